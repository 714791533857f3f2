package ingest

import (
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"time"

	"pme"
)

// SchoolDirectory answers whether schools exist. A nil directory, or one whose Loaded reports
// false, means no directory is loaded: any well-formed school is accepted.
type SchoolDirectory interface {
	Loaded() bool
	URNForLAESTAB(laestab string) (urn string, ok bool)
	LAESTABForURN(urn string) (laestab string, ok bool)
}

// Options say how to read one file.
type Options struct {
	FileName string              // the file's original base name: a leading LAESTAB ("8912345_...") is the default school
	Today    pme.Date            // the run date: date ranges are checked against it (zero: today, UTC)
	Aliases  map[string][]string // extra header spellings by canonical column name ("UPN": ["Pupil UPN"])
	Schools  SchoolDirectory     // nil when no directory is loaded
	Limits   Limits              // MaxRowsPerSheet is enforced here as well as by the reader
}

// SkippedSheet is a sheet Parse did not read, and why ("hidden", "no recognisable header").
type SkippedSheet struct {
	Name   string
	Reason string
}

// Result is what Parse read: one SheetResult per classified sheet, in file order, and the sheets
// it skipped.
type Result struct {
	Sheets  []pme.SheetResult
	Skipped []SkippedSheet
}

// BatchSize is how many records or issues Parse hands the sink at once.
const BatchSize = 1000

// Skip reasons.
const (
	SkipHidden   = "hidden"
	SkipNoHeader = "no recognisable header"
)

// minHeaderCells is how many header cells must name a known column for a row to be a header: one
// alone is too easily a word in an instructions sheet.
const minHeaderCells = 2

// Parse reads every visible sheet of wb, classifies each by its header, validates every row and
// hands accepted records and issues to sink, sheet by sheet. A file-level problem
// (FILE_NO_RETURN, FILE_MISSING_COLUMNS, FILE_TOO_LARGE, or a *pme.FileError from the reader) is
// returned as *pme.FileError; the caller then rolls back whatever the sink got. Other errors are
// the sink's or an unexpected read failure, wrapped.
func Parse(wb Workbook, opt Options, sink Sink) (Result, error) {
	if err := ValidateAliases(opt.Aliases); err != nil {
		return Result{}, fmt.Errorf("parse: %w", err)
	}
	p := newParser(opt, sink)
	var res Result
	for _, info := range wb.Sheets() {
		if info.Hidden {
			res.Skipped = append(res.Skipped, SkippedSheet{Name: info.Name, Reason: SkipHidden})
			continue
		}
		sr, skip, err := p.sheet(wb, info)
		if err != nil {
			return res, err
		}
		if skip != "" {
			res.Skipped = append(res.Skipped, SkippedSheet{Name: info.Name, Reason: skip})
			continue
		}
		res.Sheets = append(res.Sheets, sr)
	}
	if len(res.Sheets) == 0 {
		return res, &pme.FileError{Code: pme.CodeFileNoReturn, Message: "No sheet in this file has the columns of a return (reduced timetables, alternative provision or suspensions): " +
			"use the council's template, or make sure the header row names UPN, Surname, Forename, Date of Birth and the return's own columns."}
	}
	return res, nil
}

// parser holds what lasts across the sheets of one file.
type parser struct {
	opt        Options
	sink       Sink
	schemas    []*returnSchema
	union      *Matcher // every column of every return, to find header rows
	common     *Matcher
	fileSchool string
	schools    SchoolDirectory
	seed       maphash.Seed

	records []pme.Record
	issues  []pme.Issue
}

func newParser(opt Options, sink Sink) *parser {
	if opt.Today.IsZero() {
		opt.Today = pme.DateOf(time.Now().UTC())
	}
	p := &parser{opt: opt, sink: sink, seed: maphash.MakeSeed(),
		records: make([]pme.Record, 0, BatchSize), issues: make([]pme.Issue, 0, BatchSize)}
	var all []Column
	for _, t := range pme.ReturnTypes {
		cols := ReturnColumns(t)
		p.schemas = append(p.schemas, &returnSchema{typ: t, matcher: NewMatcher(cols, opt.Aliases)})
		all = append(all, cols...)
	}
	p.union = NewMatcher(all, opt.Aliases)
	p.common = NewMatcher(CommonColumns, opt.Aliases)
	p.fileSchool, _ = FileNameLAESTAB(opt.FileName)
	if opt.Schools != nil && opt.Schools.Loaded() {
		p.schools = opt.Schools
	}
	return p
}

// fileError passes a reader's *pme.FileError through unchanged and wraps anything else.
func fileError(sheet string, err error) error {
	var fe *pme.FileError
	if errors.As(err, &fe) {
		return fe
	}
	return fmt.Errorf("read sheet %q: %w", sheet, err)
}

// sheet reads one sheet. skip is non-empty when the sheet is not a return.
func (p *parser) sheet(wb Workbook, info SheetInfo) (sr pme.SheetResult, skip string, err error) {
	it, err := wb.Rows(info.Name)
	if err != nil {
		return sr, "", fileError(info.Name, err)
	}
	defer it.Close()
	num, row, rest, err := findHeaderRow(it, p.union.score)
	if errors.Is(err, ErrNoHeader) {
		return sr, SkipNoHeader, nil
	}
	if err != nil {
		return sr, "", fileError(info.Name, err)
	}
	if p.union.score(row) < minHeaderCells {
		return sr, SkipNoHeader, nil
	}
	cl := classify(p.schemas, info.Name, num, row)
	if cl.schema == nil {
		if p.pupilHeader(row) {
			return sr, "", missingColumns(info.Name, cl)
		}
		return sr, SkipNoHeader, nil
	}
	sr = pme.SheetResult{Sheet: info.Name, ReturnType: cl.schema.typ, HeaderRow: num}
	if err := p.sink.StartSheet(sr); err != nil {
		return sr, "", err
	}
	v := &validator{cursor: newCursor(info, cl.header, p.opt.Today), typ: cl.schema.typ,
		schools: p.schools, fileSchool: p.fileSchool}
	for _, i := range cl.header.Index {
		v.mapped = append(v.mapped, i)
	}
	if err := p.headerIssues(v, cl.schema.matcher); err != nil {
		return sr, "", err
	}
	if err := p.rows(v, rest, &sr); err != nil {
		return sr, "", err
	}
	if err := p.flush(); err != nil {
		return sr, "", err
	}
	if err := p.sink.EndSheet(sr); err != nil {
		return sr, "", err
	}
	return sr, "", nil
}

// pupilHeader reports a header row naming UPN or Surname: a sheet meant as a return.
func (p *parser) pupilHeader(row []Cell) bool {
	for _, c := range row {
		if name, ok := p.common.Match(c.Value); ok && (name == ColUPN || name == ColSurname) {
			return true
		}
	}
	return false
}

// typeNames are the return types as a school office calls them.
var typeNames = map[pme.ReturnType]string{
	pme.ReducedTimetable:     "reduced timetables",
	pme.AlternativeProvision: "alternative provision",
	pme.Suspensions:          "suspensions",
}

func missingColumns(sheet string, cl classification) error {
	where := "This file"
	if sheet != "" {
		where = fmt.Sprintf("Sheet %q", sheet)
	}
	return &pme.FileError{Code: pme.CodeFileMissingColumns, Message: fmt.Sprintf(
		"%s has pupil columns but is missing %s for the %s return: add these columns (or rename yours to match the council's template) and send the file again.",
		where, strings.Join(cl.missing.Missing, ", "), typeNames[cl.closest])}
}

// headerIssues reports each unknown or repeated header column once, at the header row.
func (p *parser) headerIssues(v *validator, m *Matcher) error {
	h := v.h
	for _, i := range h.Unknown {
		msg := fmt.Sprintf("This column is not part of the %s return and was not read.", typeNames[v.typ])
		if s := suggest(m, h.Written[i]); s != "" {
			msg = fmt.Sprintf("This column is not part of the %s return and was not read: did you mean %s?", typeNames[v.typ], s)
		}
		if err := p.issue(headerIssue(v, i, msg)); err != nil {
			return err
		}
	}
	for _, i := range h.Repeated {
		name, _ := m.Match(h.Written[i])
		msg := fmt.Sprintf("This is a second %s column: only the first one (%s) was read.", name, h.ColumnName(name))
		if err := p.issue(headerIssue(v, i, msg)); err != nil {
			return err
		}
	}
	return nil
}

func headerIssue(v *validator, i int, msg string) pme.Issue {
	return pme.Issue{Sheet: v.sheet, Row: v.h.Row, Column: v.h.Written[i], Value: v.h.Written[i],
		Code: pme.CodeColumnUnknown, Severity: pme.SeverityWarning, Message: msg}
}

// sheetState is what one sheet's rows accumulate: the duplicate sets hold a 64-bit hash and a row
// number per row (about 32 bytes a row for the two; the file size limit bounds the rows).
type sheetState struct {
	rows    rowSet // exact row hash → first row number
	keys    rowSet // pupil-period or event key hash → first accepted row number
	schools map[string]bool
}

// rows validates the data rows of a sheet.
func (p *parser) rows(v *validator, it RowIter, sr *pme.SheetResult) error {
	st := sheetState{schools: map[string]bool{}}
	var h maphash.Hash
	h.SetSeed(p.seed)
	for it.Next() {
		row, num := it.Row(), it.Num()
		if p.ignorable(v, row) {
			continue
		}
		sr.Rows++
		if limit := p.opt.Limits.MaxRowsPerSheet; limit > 0 && sr.Rows > limit {
			return &pme.FileError{Code: pme.CodeFileTooLarge, Message: fmt.Sprintf(
				"A sheet has more than %d rows: split the return into smaller files.", limit)}
		}
		sum := rowHash(&h, row)
		if first, dup := st.rows.firstRow(sum); dup {
			sr.Skipped++
			if err := p.issue(pme.Issue{Sheet: v.sheet, Row: num, Column: v.h.ColumnName(ColUPN), Value: v.h.Text(row, ColUPN),
				Code: pme.CodeDuplicateRow, Severity: pme.SeverityWarning,
				Message: fmt.Sprintf("This row is an exact copy of row %d and was skipped.", first)}); err != nil {
				return err
			}
			continue
		}
		st.rows.add(sum, int32(num))
		if err := p.row(v, &h, &st, sr, num, row); err != nil {
			return err
		}
	}
	if err := it.Err(); err != nil {
		return fileError(v.sheet, err)
	}
	return p.finishSchools(v, &st, sr)
}

// row validates one data row and sends its record and issues on.
func (p *parser) row(v *validator, h *maphash.Hash, st *sheetState, sr *pme.SheetResult, num int, row []Cell) error {
	r := v.validate(num, row)
	dupOnly := false
	if v.errors == 0 {
		if first, dup := p.duplicateKey(v, h, st, r); dup {
			dupOnly = true
			what := "the same start and end dates"
			if v.typ == pme.Suspensions {
				what = "the same category and start date but different details"
			}
			v.fail(ColUPN, pme.CodeDuplicateRow, fmt.Sprintf(
				"This pupil is already returned with %s at row %d: give each one once, or correct the dates.", what, first))
		}
	}
	if r.school != "" {
		st.schools[r.school] = true
	}
	if v.errors > 0 {
		sr.Rejected++
		if v.typ.Snapshot() && r.school != "" && !dupOnly {
			if sr.RejectedPupils == nil {
				sr.RejectedPupils = map[string][]pme.PupilKey{}
			}
			sr.RejectedPupils[r.school] = append(sr.RejectedPupils[r.school], r.key)
		}
	} else {
		sr.Accepted++
		p.records = append(p.records, r.rec)
	}
	for _, is := range v.cur {
		if err := p.issue(is); err != nil {
			return err
		}
	}
	if len(p.records) >= BatchSize {
		return p.flushRecords()
	}
	return nil
}

// duplicateKey records an accepted row's key and reports an earlier row with the same one: for
// snapshots the same pupil and period (school, UPN, start date, end date: the actual end date of
// a timetable if given, else its planned end); for suspensions the same event (school, UPN,
// category, start date). Exact copies never get here: they were skipped.
func (p *parser) duplicateKey(v *validator, h *maphash.Hash, st *sheetState, r rowResult) (int32, bool) {
	h.Reset()
	h.WriteString(r.school)
	h.WriteByte(0)
	h.WriteString(r.rec.Pupil.UPN)
	h.WriteByte(0)
	switch {
	case r.rec.Suspension != nil:
		h.WriteString(r.rec.Suspension.Category)
		h.WriteByte(0)
		hashDate(h, r.rec.Suspension.StartDate)
	case r.rec.Timetable != nil:
		hashDate(h, r.rec.Timetable.StartDate)
		hashDate(h, r.end)
	default:
		hashDate(h, r.rec.Placement.StartDate)
		hashDate(h, r.end)
	}
	sum := h.Sum64()
	if first, dup := st.keys.firstRow(sum); dup {
		return first, true
	}
	st.keys.add(sum, int32(v.num))
	return 0, false
}

// hashDate writes a date to h without formatting it (the zero date as zeros).
func hashDate(h *maphash.Hash, d pme.Date) {
	var b [4]byte
	if !d.IsZero() {
		y := d.Year()
		b = [4]byte{byte(y >> 8), byte(y), byte(d.Month()), byte(d.Day())}
	}
	h.Write(b[:])
}

// rowHash hashes a row's cells for the exact-duplicate check.
func rowHash(h *maphash.Hash, row []Cell) uint64 {
	h.Reset()
	for _, c := range row {
		h.WriteString(strings.TrimSpace(c.Value))
		h.WriteByte(0)
	}
	return h.Sum64()
}

// ignorable reports a row that is not a pupil's and is skipped silently: nothing in any column of
// the return (notes beside the table), a totals row (a cell starting "Total", no name or date of
// birth, and no 13-character UPN), or the header
// repeated (exports pasted one under another).
func (p *parser) ignorable(v *validator, row []Cell) bool {
	empty := true
	for _, i := range v.mapped {
		if i < len(row) && strings.TrimSpace(row[i].Value) != "" {
			empty = false
			break
		}
	}
	if empty {
		return true
	}
	upn := v.h.Text(row, ColUPN)
	if len(upn) != 13 && v.h.Text(row, ColSurname) == "" && v.h.Text(row, ColForename) == "" && v.h.Text(row, ColDOB) == "" {
		for _, c := range row {
			if s := strings.TrimSpace(c.Value); len(s) >= 5 && strings.EqualFold(s[:5], "total") {
				return true
			}
		}
	}
	if len(upn) != 13 && upn != "" {
		if name, ok := p.common.Match(upn); ok && name == ColUPN {
			return true
		}
	}
	return false
}

// finishSchools sets the schools the sheet speaks for: every school of its rows, or for a nil
// return the school the file name gives. A nil snapshot return with no school is an error.
func (p *parser) finishSchools(v *validator, st *sheetState, sr *pme.SheetResult) error {
	if sr.Rows == 0 {
		switch {
		case p.fileSchool != "" && p.schools != nil:
			if _, ok := p.schools.URNForLAESTAB(p.fileSchool); !ok {
				return p.nilReturnIssue(v, pme.CodeSchoolUnknown, fmt.Sprintf(
					"This sheet has no pupils, but the file name starts with %s, which is not a school in the school directory: start the file name with your school's LAESTAB.", p.fileSchool))
			}
			st.schools[p.fileSchool] = true
		case p.fileSchool != "":
			st.schools[p.fileSchool] = true
		case v.typ.Snapshot():
			return p.nilReturnIssue(v, pme.CodeRequired,
				"This sheet has no pupils, so nothing says which school it is for: to return \"no pupils currently\", start the file name with your school's LAESTAB (for example 8912345_reduced_timetables.xlsx).")
		}
	}
	sr.Schools = make([]string, 0, len(st.schools))
	for s := range st.schools {
		sr.Schools = append(sr.Schools, s)
	}
	slices.Sort(sr.Schools)
	if len(sr.Schools) == 1 {
		sr.School = sr.Schools[0]
	}
	return nil
}

func (p *parser) nilReturnIssue(v *validator, code, msg string) error {
	return p.issue(pme.Issue{Sheet: v.sheet, Row: v.h.Row, Column: v.h.ColumnName(ColLAESTAB), Value: p.fileSchool,
		Code: code, Severity: pme.SeverityError, Message: msg})
}

// issue queues an issue for the sink, sending a full batch.
func (p *parser) issue(is pme.Issue) error {
	p.issues = append(p.issues, is)
	if len(p.issues) >= BatchSize {
		return p.flushIssues()
	}
	return nil
}

func (p *parser) flushIssues() error {
	if len(p.issues) == 0 {
		return nil
	}
	err := p.sink.Issues(p.issues)
	p.issues = p.issues[:0]
	return err
}

func (p *parser) flushRecords() error {
	if len(p.records) == 0 {
		return nil
	}
	err := p.sink.Records(p.records)
	clear(p.records) // drop references so that records the sink did not keep can be collected
	p.records = p.records[:0]
	return err
}

func (p *parser) flush() error {
	if err := p.flushRecords(); err != nil {
		return err
	}
	return p.flushIssues()
}
