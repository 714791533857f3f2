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

	// Attendance says how attendance extracts are read (attendance.md); the zero value reads them
	// beside returns, with the returns' row limit.
	Attendance AttendanceOptions
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
			return res, p.withNamedSchools(err)
		}
		if skip != "" {
			res.Skipped = append(res.Skipped, SkippedSheet{Name: info.Name, Reason: skip})
			continue
		}
		res.Sheets = append(res.Sheets, sr)
	}
	if len(res.Sheets) == 0 {
		if p.opt.Attendance.Only {
			return res, &pme.FileError{Code: pme.CodeFileNoReturn, Message: "No sheet in this file has the columns of an attendance extract: " +
				"name UPN, LAESTAB (or URN) and either Date, Session and Code (one mark a row), Date, AM and PM (one day a row), or From, To and Possible Sessions with a column per code (a summary)."}
		}
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
	seeds      [2]maphash.Seed // the duplicate checks' hashes (see hasher)

	records []pme.Record
	issues  []pme.Issue
	// named holds the schools the file's rows have named so far: a file refused as a whole counts
	// as rejected-only for each (compliance.md).
	named map[string]bool
}

func newParser(opt Options, sink Sink) *parser {
	if opt.Today.IsZero() {
		opt.Today = pme.DateOf(time.Now().UTC())
	}
	p := &parser{opt: opt, sink: sink, seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, named: map[string]bool{},
		records: make([]pme.Record, 0, BatchSize), issues: make([]pme.Issue, 0, BatchSize)}
	var all []Column
	types := pme.ReturnTypes
	if opt.Attendance.Only {
		types = nil
	}
	types = append(slices.Clip(types), pme.AttendanceTypes...)
	for _, t := range types {
		cols := ReturnColumns(t)
		p.schemas = append(p.schemas, &returnSchema{typ: t, matcher: NewMatcher(cols, opt.Aliases)})
		all = append(all, headerColumns(t)...)
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
			p.nameSchools(row, rest)
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
	rows := p.rows
	if cl.schema.typ.Attendance() {
		rows = p.attendanceRows
	}
	if err := rows(v, rest, &sr); err != nil {
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
	pme.AttendanceMarks:      "attendance marks",
	pme.AttendanceMarksWide:  "attendance marks (a day a row)",
	pme.AttendanceSummary:    "attendance summary",
}

// withNamedSchools gives a file-level error the schools the rows read so far named.
func (p *parser) withNamedSchools(err error) error {
	var fe *pme.FileError
	if len(p.named) == 0 || !errors.As(err, &fe) {
		return err
	}
	fe.Schools = make([]string, 0, len(p.named))
	for s := range p.named {
		fe.Schools = append(fe.Schools, s)
	}
	slices.Sort(fe.Schools)
	return err
}

// nameSchools notes the schools that the rows of a sheet refused for missing columns name in
// their LAESTAB or URN column (a URN through the school directory; with a directory loaded, only
// the schools in it), up to the row limit: the school tried, and its data is not in.
func (p *parser) nameSchools(header []Cell, it RowIter) {
	la, urn := -1, -1
	for i, c := range header {
		switch name, _ := p.common.Match(c.Value); {
		case name == ColLAESTAB && la < 0:
			la = i
		case name == ColURN && urn < 0:
			urn = i
		}
	}
	if la < 0 && urn < 0 {
		return
	}
	cellAt := func(row []Cell, i int) string {
		if i < 0 || i >= len(row) {
			return ""
		}
		return row[i].Value
	}
	limit := p.opt.Limits.MaxRowsPerSheet
	for n := 1; it.Next() && (limit <= 0 || n <= limit); n++ {
		row := it.Row()
		if s, ok := NormalizeLAESTAB(cellAt(row, la)); ok {
			if p.schools == nil {
				p.named[s] = true
				continue
			}
			if _, ok := p.schools.URNForLAESTAB(s); ok {
				p.named[s] = true
				continue
			}
		}
		if u, ok := NormalizeURN(cellAt(row, urn)); ok && p.schools != nil {
			if s, ok := p.schools.LAESTABForURN(u); ok {
				p.named[s] = true
			}
		}
	}
	// A read error here changes nothing: the file is refused for its columns either way.
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

// sheetState is what one sheet's rows accumulate: the duplicate checks hold 12 bytes a row in
// memory (see dupSets; the file size limit bounds the rows).
type sheetState struct {
	dups       dupSets
	schools    map[string]bool
	lastSchool string // the last school added to schools
}

// rowsHinter is a RowIter that can estimate how many rows its sheet has.
type rowsHinter interface{ RowsHint() int }

// rowsBeforeHint is how many rows are read before the duplicate sets are sized for the sheet: by
// then its rows' length is known (the first rows of a file are often titles and headers).
const rowsBeforeHint = 1000

// rows validates the data rows of a sheet.
func (p *parser) rows(v *validator, it RowIter, sr *pme.SheetResult) error {
	st := sheetState{schools: map[string]bool{}}
	defer st.dups.close()
	h := newHasher(p.seeds)
	for it.Next() {
		row, num := it.Row(), it.Num()
		if p.ignorable(v, row) {
			continue
		}
		sr.Rows++
		if sr.Rows == rowsBeforeHint {
			if h, ok := it.(rowsHinter); ok {
				if err := st.dups.reserve(h.RowsHint()); err != nil {
					return dupError(err)
				}
			}
		}
		if limit := p.opt.Limits.MaxRowsPerSheet; limit > 0 && sr.Rows > limit {
			return &pme.FileError{Code: pme.CodeFileTooLarge, Message: fmt.Sprintf(
				"A sheet has more than %d rows: split the return into smaller files.", limit)}
		}
		// The row is validated before the exact-copy check: an exact copy of an accepted row is
		// found through its key (see dupSets). An exact copy's validation is thrown away.
		sum := h.row(row)
		r := v.validate(num, row)
		accepted := v.errors == 0
		key := h.key(r)
		first, copied, keyFirst, keyDup, err := st.dups.check(sum, key)
		if err != nil {
			return dupError(err)
		}
		keyDup = keyDup && accepted
		if copied {
			sr.Skipped++
			if err := p.issue(pme.Issue{Sheet: v.sheet, Row: num, Column: v.h.ColumnName(ColUPN), Value: v.h.Text(row, ColUPN),
				Code: pme.CodeDuplicateRow, Severity: pme.SeverityWarning,
				Message: fmt.Sprintf("This row is an exact copy of row %d and was skipped.", first)}); err != nil {
				return err
			}
			continue
		}
		if err := st.dups.add(int32(num), sum, key, accepted && !keyDup); err != nil {
			return dupError(err)
		}
		if err := p.row(v, &st, sr, r, keyFirst, keyDup); err != nil {
			return err
		}
	}
	if err := it.Err(); err != nil {
		return fileError(v.sheet, err)
	}
	return p.finishSchools(v, &st, sr)
}

// dupError wraps a failure of the duplicate checks' temporary file.
func dupError(err error) error { return fmt.Errorf("check rows for duplicates: %w", err) }

// row finishes a validated data row, not an exact copy, and sends its record and issues on.
// keyDup says an earlier accepted row, keyFirst, has the row's key (see keyHash).
func (p *parser) row(v *validator, st *sheetState, sr *pme.SheetResult, r rowResult, keyFirst int32, keyDup bool) error {
	if keyDup {
		what := "the same start and end dates"
		if v.typ == pme.Suspensions {
			what = "the same category and start date but different details"
		}
		v.fail(ColUPN, pme.CodeDuplicateRow, fmt.Sprintf(
			"This pupil is already returned with %s at row %d: give each one once, or correct the dates.", what, keyFirst))
	}
	if r.school != "" && r.school != st.lastSchool { // a sheet's rows are mostly one school's, in runs
		st.schools[r.school] = true
		p.named[r.school] = true
		st.lastSchool = r.school
	}
	if v.errors > 0 {
		sr.Rejected++
		if v.typ.Snapshot() && r.school != "" && !keyDup {
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

// hasher hashes rows and keys for the duplicate checks, 128 bits each (two maphash sums under two
// seeds: see dupSets). The bytes are gathered in buf and hashed at once: maphash.Hash's
// WriteString per cell was 4% of the instructions of parsing a 1M-row CSV.
type hasher struct {
	seeds [2]maphash.Seed
	h     [2]maphash.Hash // for a row longer than hashChunk; it hashes as maphash.Bytes does
	buf   []byte
}

func newHasher(seeds [2]maphash.Seed) *hasher {
	h := &hasher{seeds: seeds}
	h.h[0].SetSeed(seeds[0])
	h.h[1].SetSeed(seeds[1])
	return h
}

// hashChunk bounds buf: a longer row is hashed in pieces rather than copied whole.
const hashChunk = 4 << 10

func (h *hasher) sum(b []byte) hash128 {
	return hash128{maphash.Bytes(h.seeds[0], b), maphash.Bytes(h.seeds[1], b)}
}

// row hashes a row's cells, trimmed, for the exact-copy check.
func (h *hasher) row(row []Cell) hash128 {
	long := false
	b := h.buf[:0]
	for _, c := range row {
		s := trimSpace(c.Value)
		if len(b)+len(s) >= hashChunk {
			if !long {
				h.h[0].Reset()
				h.h[1].Reset()
				long = true
			}
			for i := range h.h {
				h.h[i].Write(b)
				h.h[i].WriteString(s)
			}
			b = append(b[:0], 0)
			continue
		}
		b = append(b, s...)
		b = append(b, 0)
	}
	h.buf = b
	if long {
		h.h[0].Write(b)
		h.h[1].Write(b)
		return hash128{h.h[0].Sum64(), h.h[1].Sum64()}
	}
	return h.sum(b)
}

// key hashes an accepted row's key, which a later accepted row must not repeat: for snapshots
// the same pupil and period (school, UPN, start date, end date: the actual end date of a
// timetable if given, else its planned end); for suspensions the same event (school, UPN,
// category, start date). Exact copies are not checked: they are skipped.
func (h *hasher) key(r rowResult) hash128 {
	b := append(h.buf[:0], r.school...)
	b = append(b, 0)
	b = append(b, r.rec.Pupil.UPN...)
	b = append(b, 0)
	switch {
	case r.rec.Suspension != nil:
		b = append(b, r.rec.Suspension.Category...)
		b = append(b, 0)
		b = appendDate(b, r.rec.Suspension.StartDate)
	case r.rec.Timetable != nil:
		b = appendDate(b, r.rec.Timetable.StartDate)
		b = appendDate(b, r.end)
	default:
		b = appendDate(b, r.rec.Placement.StartDate)
		b = appendDate(b, r.end)
	}
	h.buf = b
	return h.sum(b)
}

// appendDate appends a date in four bytes without formatting it (the zero date as zeros).
func appendDate(b []byte, d pme.Date) []byte {
	if d.IsZero() {
		return append(b, 0, 0, 0, 0)
	}
	y, m, day := d.Time().Date()
	return append(b, byte(y>>8), byte(y), byte(m), byte(day))
}

// ignorable reports a row that is not a pupil's and is skipped silently: nothing in any column of
// the return (notes beside the table), a totals row (a cell starting "Total", no name or date of
// birth, and no 13-character UPN), or the header
// repeated (exports pasted one under another).
func (p *parser) ignorable(v *validator, row []Cell) bool {
	empty := true
	for _, i := range v.mapped {
		if i < len(row) && trimSpace(row[i].Value) != "" {
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
			if s := trimSpace(c.Value); len(s) >= 5 && strings.EqualFold(s[:5], "total") {
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
