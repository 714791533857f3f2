package ingest

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"pme"
)

// AttendanceOptions say how attendance extracts are read (attendance.md).
type AttendanceOptions struct {
	// Only reads attendance extracts and no returns (`pme load attendance`).
	Only bool
	// MaxRowsPerSheet bounds an attendance sheet (a month of marks for a county is millions of
	// rows); 0 takes Limits.MaxRowsPerSheet.
	MaxRowsPerSheet int
	// Calendar tells school days and the academic years held; nil: every weekday, any year.
	Calendar AttendanceCalendar
}

// AttendanceCalendar is what the attendance reader asks of the school calendar.
type AttendanceCalendar interface {
	Covers(d pme.Date) bool      // the date is in an academic year the calendar holds
	IsSchoolDay(d pme.Date) bool // a school day
}

// Canonical column names of attendance extracts.
const (
	ColAttDate  = "Date"
	ColSession  = "Session"
	ColAttCode  = "Code"
	ColAM       = "AM"
	ColPM       = "PM"
	ColFrom     = "From"
	ColTo       = "To"
	ColPossible = "Possible Sessions"
	ColPresent  = "Present"
)

// attendancePupil are the pupil columns of an attendance extract: only the UPN is required; names
// and date of birth, when given, match a pupil the school returned under another UPN.
var attendancePupil = []Column{
	{Name: ColLAESTAB, Aliases: []string{"DfE Number", "DfE No", "LA Estab", "LAEstab", "School Number"}},
	{Name: ColURN, Aliases: []string{"School URN"}},
	{Name: ColUPN, Aliases: []string{"Unique Pupil Number", "Pupil UPN"}, Required: true},
	{Name: ColSurname, Aliases: []string{"Legal Surname", "Last Name", "Family Name"}},
	{Name: ColForename, Aliases: []string{"Legal Forename", "First Name", "Given Name"}},
	{Name: ColDOB, Aliases: []string{"DOB", "Birth Date"}},
	{Name: ColNCYear, Aliases: []string{"Year Group", "Year", "National Curriculum Year"}},
}

var attDate = Column{Name: ColAttDate, Aliases: []string{"Session Date", "Attendance Date", "Mark Date", "Register Date"}, Required: true}

// AttendanceLongColumns: one session mark a row.
var AttendanceLongColumns = []Column{
	attDate,
	{Name: ColSession, Aliases: []string{"AM/PM", "AM PM", "Session Type", "Period"}, Required: true},
	{Name: ColAttCode, Aliases: []string{"Mark", "Attendance Code", "Attendance Mark", "Register Code", "Session Code"}, Required: true},
}

// AttendanceWideColumns: one school day a row.
var AttendanceWideColumns = []Column{
	attDate,
	{Name: ColAM, Aliases: []string{"AM Mark", "AM Code", "Morning"}, Required: true},
	{Name: ColPM, Aliases: []string{"PM Mark", "PM Code", "Afternoon"}, Required: true},
}

// AttendanceSummaryColumns: session counts over a period; a column per code follows (see
// attendanceCodeColumns).
var AttendanceSummaryColumns = []Column{
	{Name: ColFrom, Aliases: []string{"From Date", "Date From", "Period From", "Period Start"}, Required: true},
	{Name: ColTo, Aliases: []string{"To Date", "Date To", "Period To", "Period End"}, Required: true},
	{Name: ColPossible, Aliases: []string{"Possible", "Sessions Possible", "Possible Sessions Count"}, Required: true},
	{Name: ColPresent, Aliases: []string{"Present Sessions", "Attendances"}},
}

// attendanceCodeColumns is a column per register code, for the summary shape.
var attendanceCodeColumns = func() []Column {
	var cols []Column
	for _, c := range pme.AttendanceCodes() {
		cols = append(cols, Column{Name: c.Code})
	}
	return cols
}()

func attendanceColumns(t pme.ReturnType) []Column {
	cols := slices.Clip(attendancePupil)
	switch t {
	case pme.AttendanceMarks:
		return append(cols, AttendanceLongColumns...)
	case pme.AttendanceMarksWide:
		return append(cols, AttendanceWideColumns...)
	}
	return append(append(cols, AttendanceSummaryColumns...), attendanceCodeColumns...)
}

// headerColumns are the columns that find a header row: a summary's code columns are left out,
// since a data row's one-letter cells (M, F, K, N) would then look like a header.
func headerColumns(t pme.ReturnType) []Column {
	cols := ReturnColumns(t)
	if t == pme.AttendanceSummary {
		return cols[:len(cols)-len(attendanceCodeColumns)]
	}
	return cols
}

// attGiveUpRows is how many data rows an attendance sheet may reject before its first accepted
// row: past it the file is refused as a whole, so that ten million rows of garbage under a header
// cost seconds and a bounded list of issues, not a feedback report of ten million lines.
const attGiveUpRows = 1000

// attSheet is the state of one attendance sheet's rows.
type attSheet struct {
	v     *validator
	typ   pme.ReturnType
	cal   AttendanceCalendar
	marks markSet
	sums  map[string]int32 // summary key → first row
	idx   struct{ date, session, code, am, pm, from, to, possible, present int }
	codes []codeColumn // summary: the code columns present

	// Caches of the last row's values: a sheet's rows come in runs of one school, pupil and day.
	laText, urnText, lastSchool string
	upnText                     string
	upnCode                     string
	dateText                    string
	date                        pme.Date
	dateOK                      bool
	rows                        []pme.AttendanceRow // slab
	days                        [64]struct {        // see dateKind
		day  int64
		kind byte
	}
}

type codeColumn struct {
	code pme.AttendanceCode
	i    int
}

func (p *parser) newAttSheet(v *validator) *attSheet {
	a := &attSheet{v: v, typ: v.typ, cal: p.opt.Attendance.Calendar, marks: markSet{pupils: map[string]*markSpan{}}}
	h := v.h
	a.idx.date, a.idx.session, a.idx.code = h.index(ColAttDate), h.index(ColSession), h.index(ColAttCode)
	a.idx.am, a.idx.pm = h.index(ColAM), h.index(ColPM)
	a.idx.from, a.idx.to, a.idx.possible, a.idx.present = h.index(ColFrom), h.index(ColTo), h.index(ColPossible), h.index(ColPresent)
	if a.typ == pme.AttendanceSummary {
		a.sums = map[string]int32{}
		for _, c := range pme.AttendanceCodes() {
			if i := h.index(c.Code); i >= 0 {
				a.codes = append(a.codes, codeColumn{c, i})
			}
		}
	}
	return a
}

// attendanceRows validates the data rows of an attendance sheet. An exact copy of a mark (same
// pupil, school, day, session and code) is skipped with a warning; the same mark with another code
// is an error on the later row.
func (p *parser) attendanceRows(v *validator, it RowIter, sr *pme.SheetResult) error {
	a := p.newAttSheet(v)
	st := sheetState{schools: map[string]bool{}}
	limit := p.opt.Attendance.MaxRowsPerSheet
	if limit <= 0 {
		limit = p.opt.Limits.MaxRowsPerSheet
	}
	for it.Next() {
		row, num := it.Row(), it.Num()
		if p.ignorable(v, row) {
			continue
		}
		sr.Rows++
		if limit > 0 && sr.Rows > limit {
			return &pme.FileError{Code: pme.CodeFileTooLarge, Message: fmt.Sprintf(
				"A sheet has more than %d rows: split the extract into smaller files (a month at a time), or raise attendance.max_rows_per_sheet.", limit)}
		}
		if sr.Rows > attGiveUpRows && sr.Accepted == 0 {
			return &pme.FileError{Code: pme.CodeFileUnreadable, Message: fmt.Sprintf(
				"None of the first %d rows is a valid attendance row, so the file was not read further: check that it is the register extract (UPN, LAESTAB, Date, Session, Code) and send it again.", attGiveUpRows)}
		}
		v.num, v.row, v.cur, v.errors = num, row, v.cur[:0], 0
		rec, skip := a.validate()
		if skip {
			sr.Skipped++
		} else {
			if rec.LAESTAB != "" && rec.LAESTAB != st.lastSchool {
				st.schools[rec.LAESTAB] = true
				st.lastSchool = rec.LAESTAB
			}
			if v.errors > 0 {
				sr.Rejected++
			} else {
				sr.Accepted++
				p.records = append(p.records, rec)
			}
		}
		for _, is := range v.cur {
			if err := p.issue(is); err != nil {
				return err
			}
		}
		if len(p.records) >= BatchSize {
			if err := p.flushRecords(); err != nil {
				return err
			}
		}
	}
	if err := it.Err(); err != nil {
		return fileError(v.sheet, err)
	}
	return p.finishSchools(v, &st, sr)
}

// validate reads the current row. skip reports an exact copy of an earlier mark.
func (a *attSheet) validate() (rec pme.Record, skip bool) {
	v := a.v
	rec = pme.Record{Type: a.typ, Sheet: v.sheet, Row: v.num}
	rec.LAESTAB = a.school()
	a.pupil(&rec.Pupil)
	r := a.row()
	rec.Attendance = r
	switch a.typ {
	case pme.AttendanceMarks:
		r.Date, _ = a.markDate()
		session := a.session()
		code, ok := a.code(ColAttCode, a.idx.code, r.Date, true)
		if session == pme.SessionAM {
			r.AM = code
		} else if session == pme.SessionPM {
			r.PM = code
		}
		if ok && session != "" && v.errors == 0 {
			return rec, a.seen(rec, session, code)
		}
	case pme.AttendanceMarksWide:
		r.Date, _ = a.markDate()
		r.AM, _ = a.code(ColAM, a.idx.am, r.Date, false)
		r.PM, _ = a.code(ColPM, a.idx.pm, r.Date, false)
		if a.cellText(a.idx.am) == "" && a.cellText(a.idx.pm) == "" {
			v.fail(ColAM, pme.CodeRequired, "AM and PM are both blank: give the register code of at least one session.")
		}
		if v.errors == 0 {
			skipAM := r.AM != "" && a.seen(rec, pme.SessionAM, r.AM)
			skipPM := r.PM != "" && a.seen(rec, pme.SessionPM, r.PM)
			return rec, (skipAM || r.AM == "") && (skipPM || r.PM == "") && v.errors == 0
		}
	default:
		a.summary(rec, r)
	}
	return rec, false
}

func (a *attSheet) row() *pme.AttendanceRow {
	if len(a.rows) == 0 {
		a.rows = make([]pme.AttendanceRow, slabSize)
	}
	r := &a.rows[0]
	a.rows = a.rows[1:]
	return r
}

func (a *attSheet) cellText(i int) string {
	if i < 0 || i >= len(a.v.row) {
		return ""
	}
	return trimSpace(a.v.row[i].Value)
}

// school resolves the row's school as a return's (LAESTAB or URN, the file name, the directory),
// remembering the last one that resolved.
func (a *attSheet) school() string {
	la, urn := a.v.text(ColLAESTAB), a.v.text(ColURN)
	if a.lastSchool != "" && la == a.laText && urn == a.urnText {
		return a.lastSchool
	}
	s := a.v.school()
	if s != "" {
		a.laText, a.urnText, a.lastSchool = la, urn, s
	}
	return s
}

// pupil reads the UPN (required) and the optional name, date of birth and year.
func (a *attSheet) pupil(p *pme.Pupil) {
	v := a.v
	upn := v.text(ColUPN)
	if upn != a.upnText || upn == "" {
		a.upnText = upn
		a.upnCode = CheckUPN(strings.ToUpper(upn))
	}
	p.UPN = strings.ToUpper(upn)
	switch a.upnCode {
	case "":
	case pme.CodeUPNTemporary:
		v.warn(ColUPN, pme.CodeUPNTemporary, "This is a temporary UPN: the row is kept, but please give the pupil's permanent UPN as soon as you have it.")
	default:
		if upn == "" {
			v.fail(ColUPN, pme.CodeRequired, "UPN is blank: every row needs the pupil's 13-character Unique Pupil Number from your MIS.")
		} else if a.upnCode == pme.CodeUPNFormat {
			v.fail(ColUPN, pme.CodeUPNFormat, "This is not a UPN: a UPN is 13 characters, a letter, 11 digits, then a digit or letter. Copy it from your MIS.")
		} else {
			v.fail(ColUPN, pme.CodeUPNCheck, "The UPN's check letter does not match the rest, so a character has probably been mistyped: copy the UPN from your MIS.")
		}
	}
	for _, col := range []string{ColSurname, ColForename} {
		s := v.text(col)
		if utf8.RuneCountInString(s) > MaxNameLength {
			v.fail(col, pme.CodeRequired, fmt.Sprintf("%s is longer than %d characters: give the pupil's legal %s only.", v.h.ColumnName(col), MaxNameLength, strings.ToLower(col)))
			s = ""
		}
		if col == ColSurname {
			p.Surname = s
		} else {
			p.Forename = s
		}
	}
	if v.h.has(ColDOB) {
		p.DOB, _ = v.date(ColDOB, false, true)
	}
	if y := v.text(ColNCYear); y != "" {
		var ok bool
		if p.NCYear, ok = ParseNCYear(y); !ok {
			v.fail(ColNCYear, pme.CodeCodeUnknown, "This is not a valid NC year: use N1, N2, R or 1 to 14 (Y7, Year 7 and Reception are read too).")
		}
	}
}

// markDate reads the date of a mark: a day of an academic year the calendar holds, not after the
// run date; a day that is not a school day is a warning.
func (a *attSheet) markDate() (pme.Date, bool) {
	v := a.v
	text := a.cellText(a.idx.date)
	if text == "" || text != a.dateText {
		a.dateText = text
		a.date, a.dateOK = readDateCell(v, ColAttDate, v.dates, true, false)
		if !a.dateOK {
			a.dateText = "" // its issue must be raised again on the next row that has it
			return pme.Date{}, false
		}
	}
	d := a.date
	if !a.dateOK {
		return d, false
	}
	switch a.dateKind(d) {
	case dateFuture:
		v.fail(ColAttDate, pme.CodeAttDateYear, fmt.Sprintf("This date is after today (%s): a register cannot be marked ahead. Check the year.", v.today.UK()))
		return d, false
	case dateNotCovered:
		v.fail(ColAttDate, pme.CodeAttDateYear, "This date is outside every academic year in the council's school calendar: check the year, or ask the council to load its calendar for that year.")
		return d, false
	case dateNotSchoolDay:
		v.warn(ColAttDate, pme.CodeAttNotSchoolDay, fmt.Sprintf("%s is not a school day in the council's calendar (a weekend, holiday or closure): the mark is kept, but check the date.", d.UK()))
	}
	return d, true
}

// What the calendar says of a mark's date.
const (
	dateSchoolDay byte = iota + 1
	dateFuture
	dateNotCovered
	dateNotSchoolDay
)

// dateKind classes a mark's date, remembering the last 64 days classed: a register's rows go
// day by day for each pupil, and asking the calendar on every row was a seventh of a large load's
// client time.
func (a *attSheet) dateKind(d pme.Date) byte {
	day := d.Time().Unix() / 86400
	slot := &a.days[day&63]
	if slot.kind != 0 && slot.day == day {
		return slot.kind
	}
	k := dateSchoolDay
	switch {
	case d.After(a.v.today):
		k = dateFuture
	case a.cal != nil && !a.cal.Covers(d):
		k = dateNotCovered
	case a.cal != nil && !a.cal.IsSchoolDay(d):
		k = dateNotSchoolDay
	}
	slot.day, slot.kind = day, k
	return k
}

// session reads AM or PM ("am", "Morning", "A" too).
func (a *attSheet) session() string {
	s := strings.ToUpper(a.cellText(a.idx.session))
	switch s {
	case "AM", "A", "MORNING", "A.M.", "1":
		return pme.SessionAM
	case "PM", "P", "AFTERNOON", "P.M.", "2":
		return pme.SessionPM
	case "":
		a.v.fail(ColSession, pme.CodeRequired, "Session is blank: write AM or PM.")
	default:
		a.v.fail(ColSession, pme.CodeAttSession, "This is not a session: write AM (morning) or PM (afternoon).")
	}
	return ""
}

// code reads a register code, normalised ("c2 " is C2). A blank code is an error when required.
func (a *attSheet) code(col string, i int, date pme.Date, required bool) (string, bool) {
	s := a.cellText(i)
	if s == "" {
		if required {
			a.v.fail(col, pme.CodeRequired, fmt.Sprintf("%s is blank: give the register code of the session.", a.v.h.ColumnName(col)))
		}
		return "", false
	}
	c, ok := pme.LookupAttendanceCode(s)
	if !ok {
		a.v.fail(col, pme.CodeAttCodeUnknown, "This is not a register code of the 2024 regulations: use one of "+pme.AttendanceCodeList()+".")
		return "", false
	}
	if c.Withdrawn && !date.IsZero() && !date.Before(pme.AttendanceCodes2024) {
		a.v.warn(col, pme.CodeAttCodeWithdraw, fmt.Sprintf("Code %s was withdrawn on 19/08/2024 (%s): the mark is kept, but please use the current codes.", c.Code, c.Meaning))
	}
	return c.Code, true
}

// seen checks the mark against the sheet's earlier marks: an exact copy is skipped with a
// warning (true), another code for the same session is an error.
func (a *attSheet) seen(rec pme.Record, session, code string) bool {
	first, prev := a.marks.add(rec.LAESTAB, rec.Pupil.UPN, rec.Attendance.Date, session, code)
	switch {
	case !prev:
		return false
	case first == code:
		a.v.warn(ColUPN, pme.CodeDuplicateRow, fmt.Sprintf("This %s mark of %s is already in the file with the same code and was skipped.", session, rec.Attendance.Date.UK()))
		return true
	}
	a.v.fail(ColUPN, pme.CodeDuplicateRow, fmt.Sprintf("This pupil's %s session of %s is already in the file with code %s: give each session once.", session, rec.Attendance.Date.UK(), first))
	return false
}

// summary reads a summary row's period, possible sessions and counts.
func (a *attSheet) summary(rec pme.Record, r *pme.AttendanceRow) {
	v := a.v
	from, fromOK := v.date(ColFrom, true, false)
	to, toOK := v.date(ColTo, true, false)
	if fromOK && toOK && to.Before(from) {
		v.fail(ColTo, pme.CodeDateOrder, fmt.Sprintf("This date is before the From date (%s): check both dates.", from.UK()))
	}
	r.From, r.To = from, to
	r.Possible = a.count(ColPossible, a.idx.possible, true)
	r.Counts = map[string]int{}
	counted := 0
	if n := a.count(ColPresent, a.idx.present, false); n > 0 {
		r.Counts["/"] += n
		counted += n
	}
	for _, c := range a.codes {
		n := a.count(c.code.Code, c.i, false)
		if n == 0 {
			continue
		}
		r.Counts[c.code.Code] += n
		if c.code.Possible {
			counted += n
		}
	}
	if v.errors == 0 && counted > r.Possible {
		v.fail(ColPossible, pme.CodeAttCounts, fmt.Sprintf("The code counts add up to %d sessions, more than the %d possible sessions: check the counts.", counted, r.Possible))
	}
	if v.errors == 0 {
		key := rec.LAESTAB + "\x00" + rec.Pupil.UPN + "\x00" + from.String() + "\x00" + to.String()
		if first, ok := a.sums[key]; ok {
			v.fail(ColUPN, pme.CodeDuplicateRow, fmt.Sprintf("This pupil's summary for the same period is already at row %d: give each period once.", first))
		} else {
			a.sums[key] = int32(v.num)
		}
	}
}

// count reads a whole number of sessions, 0 to 1000.
func (a *attSheet) count(col string, i int, required bool) int {
	if i < 0 || i >= len(a.v.row) || trimSpace(a.v.row[i].Value) == "" {
		if required {
			a.v.fail(col, pme.CodeRequired, fmt.Sprintf("%s is blank: give the number of sessions.", col))
		}
		return 0
	}
	f, err := ParseNumber(a.v.row[i])
	if err != nil || f < 0 || f > 1000 || f != float64(int(f)) {
		a.v.add(col, pme.CodeNumberInvalid, pme.SeverityError, "This is not a whole number of sessions from 0 to 1000.")
		return 0
	}
	return int(f)
}

// markSet remembers each mark of a sheet in a byte per session: the index of its code in the code
// table, plus one. A month of marks for 120,000 pupils holds about 20 MB, where a hash set of the
// marks held 24 bytes a row (110 MB for 4.6 million rows).
type markSet struct {
	pupils map[string]*markSpan // school and UPN
	key    []byte
	last   *markSpan
	lastK  string
}

type markSpan struct {
	first int32  // the day number of codes[0:2]
	codes []byte // two a day, AM then PM
}

var codeIndex = func() map[string]byte {
	m := map[string]byte{}
	for i, c := range pme.AttendanceCodes() {
		m[c.Code] = byte(i + 1)
	}
	return m
}()

var codeByIndex = func() []string {
	out := []string{""}
	for _, c := range pme.AttendanceCodes() {
		out = append(out, c.Code)
	}
	return out
}()

// add records a mark; it returns the code already held for that session, if any.
func (m *markSet) add(school, upn string, d pme.Date, session, code string) (string, bool) {
	m.key = append(append(append(m.key[:0], school...), 0), upn...)
	s := m.last
	if s == nil || m.lastK != string(m.key) {
		s = m.pupils[string(m.key)]
		if s == nil {
			s = &markSpan{}
			m.pupils[string(m.key)] = s
		}
		m.last, m.lastK = s, string(m.key)
	}
	day := int32(d.Time().Unix() / 86400)
	if len(s.codes) == 0 {
		s.first = day
	}
	if day < s.first { // grow at the front
		grow := int(s.first-day) * 2
		s.codes = append(make([]byte, grow, grow+len(s.codes)), s.codes...)
		s.first = day
	}
	i := int(day-s.first) * 2
	if session == pme.SessionPM {
		i++
	}
	if i >= len(s.codes) {
		s.codes = append(s.codes, make([]byte, i+2-len(s.codes))...)
	}
	if held := s.codes[i]; held != 0 {
		return codeByIndex[held], true
	}
	s.codes[i] = codeIndex[code]
	return "", false
}
