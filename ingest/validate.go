package ingest

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"pme"
)

// MaxNameLength is the longest surname or forename accepted, in characters.
const MaxNameLength = 100

// MaxHours is the most hours a week a timetable or placement may have.
const MaxHours = 40

// MaxSessions is the most half-day sessions one suspension may have.
const MaxSessions = 90

// validator checks the rows of one classified sheet. It holds the current row's issues in cur,
// which the caller drains after each row, so one allocation serves the whole sheet.
type validator struct {
	cursor
	typ        pme.ReturnType
	schools    SchoolDirectory // nil when no directory is loaded
	fileSchool string          // the LAESTAB the file name starts with, or ""
	mapped     []int           // the cell indexes of the return's columns

	slab slab
	cur  []pme.Issue
}

// rowResult is what the validator learned of one row beyond its issues.
type rowResult struct {
	rec    pme.Record
	school string       // the resolved LAESTAB, "" when unknown
	key    pme.PupilKey // whose row it is, for RejectedPupils
	end    pme.Date     // the end of the row's period (snapshot duplicates)
}

// MaxIssueValue is the longest cell value an issue repeats, in characters: enough to recognise
// the cell, and a pasted essay does not bloat the feedback report.
const MaxIssueValue = 200

// add records an issue on the current row in the named column.
func (v *validator) add(col, code, severity, msg string) {
	v.cur = append(v.cur, v.issue(col, clip(v.value(col)), code, severity, msg))
}

func (v *validator) fail(col, code, msg string) { v.add(col, code, pme.SeverityError, msg) }
func (v *validator) warn(col, code, msg string) { v.add(col, code, pme.SeverityWarning, msg) }

// value is the cell as the school wrote it; a date cell is shown as the date Excel displays.
func (v *validator) value(col string) string {
	c := v.h.Cell(v.row, col)
	s := trimSpace(c.Value)
	if c.Number && isDateColumn(col) {
		if d, err := ParseUKDate(c, v.dates); err == nil {
			return d.UK()
		}
	}
	return s
}

// clip shortens a value to MaxIssueValue characters, marking the cut with "…".
func clip(s string) string {
	if len(s) <= MaxIssueValue {
		return s
	}
	n := 0
	for i := range s {
		if n == MaxIssueValue {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

func isDateColumn(col string) bool {
	switch col {
	case ColDOB, ColStartDate, ColPlannedEnd, ColActualEnd, ColReviewDate, ColEndDate:
		return true
	}
	return false
}

// validate checks one data row; the row is accepted when v.errors is 0 afterwards.
func (v *validator) validate(num int, row []Cell) rowResult {
	v.num, v.row, v.cur, v.errors = num, row, v.cur[:0], 0
	var r rowResult
	r.rec = pme.Record{Type: v.typ, Sheet: v.sheet, Row: num}
	r.school = v.school()
	r.rec.LAESTAB = r.school
	upnOK := v.pupil(&r.rec.Pupil)
	r.key = pme.PupilKey{Surname: r.rec.Pupil.Surname, Forename: r.rec.Pupil.Forename, DOB: r.rec.Pupil.DOB}
	if upnOK {
		r.key.UPN = r.rec.Pupil.UPN
	}
	switch v.typ {
	case pme.ReducedTimetable:
		t := v.slab.timetable()
		v.timetable(t, r.rec.Pupil.DOB)
		r.rec.Timetable, r.end = t, t.ActualEndDate
		if r.end.IsZero() {
			r.end = t.PlannedEndDate
		}
	case pme.AlternativeProvision:
		p := v.slab.placement()
		v.placement(p, r.rec.Pupil.DOB)
		r.rec.Placement, r.end = p, p.EndDate
	case pme.Suspensions:
		s := v.slab.suspension()
		v.suspension(s, r.rec.Pupil.DOB)
		r.rec.Suspension = s
	}
	return r
}

// school resolves the row's LAESTAB from its LAESTAB and URN cells, the file name and the school
// directory (returns.md, School). It returns "" after raising an issue.
func (v *validator) school() string {
	laText, urnText := v.text(ColLAESTAB), v.text(ColURN)
	var la, urn string
	if laText != "" {
		var ok bool
		if la, ok = NormalizeLAESTAB(laText); !ok {
			v.fail(ColLAESTAB, pme.CodeSchoolUnknown, fmt.Sprintf("%s is not a LAESTAB: write the school's 7-digit DfE number (LA code and establishment number), for example 8912345 or 891/2345.", laText))
			return ""
		}
	}
	if urnText != "" {
		var ok bool
		if urn, ok = NormalizeURN(urnText); !ok {
			v.fail(ColURN, pme.CodeSchoolUnknown, fmt.Sprintf("%s is not a school URN: a URN is 6 digits.", urnText))
			return ""
		}
	}
	if v.schools == nil {
		return v.schoolWithoutDirectory(la, urn)
	}
	switch {
	case la != "" && urn != "":
		dirURN, ok := v.schools.URNForLAESTAB(la)
		if !ok {
			v.fail(ColLAESTAB, pme.CodeSchoolUnknown, fmt.Sprintf("LAESTAB %s is not a school in the school directory: check the number.", la))
			return ""
		}
		if dirURN != urn {
			v.fail(ColURN, pme.CodeSchoolUnknown, fmt.Sprintf("URN %s does not belong to LAESTAB %s (the school directory gives URN %s): check both numbers.", urn, la, dirURN))
			return ""
		}
		return la
	case la != "":
		if _, ok := v.schools.URNForLAESTAB(la); !ok {
			v.fail(ColLAESTAB, pme.CodeSchoolUnknown, fmt.Sprintf("LAESTAB %s is not a school in the school directory: check the number.", la))
			return ""
		}
		return la
	case urn != "":
		found, ok := v.schools.LAESTABForURN(urn)
		if !ok {
			v.fail(ColURN, pme.CodeSchoolUnknown, fmt.Sprintf("URN %s is not a school in the school directory: check the number.", urn))
			return ""
		}
		return found
	case v.fileSchool != "":
		if _, ok := v.schools.URNForLAESTAB(v.fileSchool); !ok {
			v.fail(ColLAESTAB, pme.CodeSchoolUnknown, fmt.Sprintf("The file name starts with %s, which is not a school in the school directory: start the file name with your school's LAESTAB.", v.fileSchool))
			return ""
		}
		return v.fileSchool
	}
	v.noSchool()
	return ""
}

// schoolWithoutDirectory resolves the school when no directory is loaded: any well-formed LAESTAB
// is accepted, and a URN alone cannot be placed unless the file name gives the school.
func (v *validator) schoolWithoutDirectory(la, urn string) string {
	switch {
	case la != "":
		return la
	case v.fileSchool != "":
		return v.fileSchool
	case urn != "":
		v.fail(ColLAESTAB, pme.CodeRequired, "This row gives only a URN, and no school directory is loaded to find its LAESTAB: add the school's LAESTAB (7 digits) to the row, or start the file name with it.")
		return ""
	}
	v.noSchool()
	return ""
}

func (v *validator) noSchool() {
	v.fail(ColLAESTAB, pme.CodeRequired, "No school is given: add a LAESTAB or URN column, or start the file name with your school's LAESTAB (for example 8912345_returns.xlsx).")
}

// pupil reads the common pupil columns into p and reports whether the UPN itself is usable.
func (v *validator) pupil(p *pme.Pupil) (upnOK bool) {
	p.UPN = strings.ToUpper(v.text(ColUPN))
	switch code := CheckUPN(p.UPN); {
	case p.UPN == "":
		v.fail(ColUPN, pme.CodeRequired, "UPN is blank: every row needs the pupil's 13-character Unique Pupil Number from your MIS.")
	case code == pme.CodeUPNFormat:
		v.fail(ColUPN, code, "This is not a UPN: a UPN is 13 characters, a letter, 11 digits, then a digit or letter. Copy it from your MIS.")
	case code == pme.CodeUPNCheck:
		v.fail(ColUPN, code, "The UPN's check letter does not match the rest, so a character has probably been mistyped: copy the UPN from your MIS.")
	case code == pme.CodeUPNTemporary:
		v.warn(ColUPN, code, "This is a temporary UPN: the row is kept, but please return the pupil's permanent UPN as soon as you have it.")
		upnOK = true
	default:
		upnOK = true
	}
	p.Surname = v.name(ColSurname)
	p.Forename = v.name(ColForename)
	if d, ok := v.date(ColDOB, true, true); ok {
		p.DOB = d
	}
	if g := v.text(ColGender); g != "" {
		var ok bool
		if p.Gender, ok = ParseGender(g); !ok {
			v.fail(ColGender, pme.CodeCodeUnknown, "This is not a valid gender: use M, F or U (Male, Female, Unknown).")
		}
	}
	if y := v.text(ColNCYear); y != "" {
		var ok bool
		if p.NCYear, ok = ParseNCYear(y); !ok {
			v.fail(ColNCYear, pme.CodeCodeUnknown, "This is not a valid NC year: use N1, N2, R or 1 to 14 (Y7, Year 7 and Reception are read too).")
		}
	}
	if s := v.text(ColSEN); s != "" {
		code, legacy, ok := ParseSEN(s)
		switch {
		case !ok:
			v.fail(ColSEN, pme.CodeCodeUnknown, "This is not a valid SEN provision: use E (EHC plan), K (SEN support) or N (none).")
		case legacy:
			v.warn(ColSEN, pme.CodeCodeLegacy, fmt.Sprintf("%s is an old SEN code and has been read as %s: please use E, K or N in future returns.", s, code))
		}
		p.SEN = code
	}
	return upnOK
}

// name reads a required surname or forename.
func (v *validator) name(col string) string {
	s := v.text(col)
	switch {
	case s == "":
		v.fail(col, pme.CodeRequired, fmt.Sprintf("%s is blank: every row needs the pupil's legal %s.", v.h.ColumnName(col), strings.ToLower(col)))
	case utf8.RuneCountInString(s) > MaxNameLength:
		v.fail(col, pme.CodeRequired, fmt.Sprintf("%s is longer than %d characters: give the pupil's legal %s only.", v.h.ColumnName(col), MaxNameLength, strings.ToLower(col)))
	}
	return s
}

// date reads a date column. ok is false when the cell is blank or an issue was raised.
func (v *validator) date(col string, required, birth bool) (d pme.Date, ok bool) {
	if d, ok = readDateCell(v, col, v.dates, required, birth); !ok {
		return d, false
	}
	if !dateInRange(d, v.today, v.latest, birth) {
		if birth {
			v.fail(col, pme.CodeDateRange, "This date of birth is in the future: check the year.")
		} else {
			v.fail(col, pme.CodeDateRange, fmt.Sprintf("This date is before 1990 or more than a year after today (%s): check the year.", v.today.UK()))
		}
		return d, false
	}
	return d, true
}

// endDate reads an optional end date and checks it is not before start.
func (v *validator) endDate(col string, start pme.Date, startOK bool) pme.Date {
	return readEndDate(v, col, start, startOK)
}

// hours reads a number of hours a week, 0–40; a blank optional cell is 0.
func (v *validator) hours(col string, required bool) float64 {
	c := v.h.Cell(v.row, col)
	if trimSpace(c.Value) == "" {
		if required {
			v.fail(col, pme.CodeRequired, fmt.Sprintf("%s is blank: give the hours a week (0 to %d).", v.h.ColumnName(col), MaxHours))
		}
		return 0
	}
	h, err := ParseNumber(c)
	if err != nil || h < 0 || h > MaxHours {
		v.fail(col, pme.CodeNumberInvalid, fmt.Sprintf("This is not a number of hours a week from 0 to %d (decimals such as 12.5 are fine).", MaxHours))
		return 0
	}
	return h
}

// yesNo reads an optional Y/N column.
func (v *validator) yesNo(col string) string { return readYesNo(v, col) }

// coded reads an optional coded column through a code table.
func (v *validator) coded(col string, t CodeTable) string {
	s := v.text(col)
	if s == "" {
		return ""
	}
	code, ok := t.Lookup(s)
	if !ok {
		v.fail(col, pme.CodeCodeUnknown, fmt.Sprintf("This is not a valid %s: use one of %s.", strings.ToLower(col), t.List()))
	}
	return code
}

// age checks the pupil's age at the start date: an error outside 2–19, a warning outside
// compulsory school age.
func (v *validator) age(dob, start pme.Date) {
	if dob.IsZero() || start.IsZero() {
		return
	}
	b, on := ymdOf(dob), ymdOf(start)
	a := on.y - b.y
	if on.md() < b.md() {
		a-- // as pme.Date.AgeOn
	}
	switch {
	case a < 2 || a > 19:
		v.fail(ColDOB, pme.CodeAgeRange, fmt.Sprintf("With this date of birth the pupil would be %d at the start date, outside 2 to 19: check the date of birth and the start date.", a))
	case !compulsorySchoolAge(b, on):
		v.warn(ColDOB, pme.CodeAgeRange, "The pupil was not of compulsory school age at the start date: the row is kept, but check the date of birth and the start date.")
	}
}

// CompulsorySchoolAge reports whether a child born on dob is of compulsory school age on a date in
// England (Education Act 1996 s.8): from the first prescribed day (31 March, 31 August or 31
// December) on or after their 5th birthday, to the last Friday in June of the school year
// (September to August) in which they turn 16.
func CompulsorySchoolAge(dob, on pme.Date) bool {
	return compulsorySchoolAge(ymdOf(dob), ymdOf(on))
}

// compulsorySchoolAge is CompulsorySchoolAge in integer arithmetic: with time.AddDate and
// time.Date it was 10% of the CPU time of parsing a 1M-row return.
func compulsorySchoolAge(dob, on ymd) bool {
	// The first prescribed day on or after the 5th birthday is in the same year: 31 March for a
	// birthday up to 31 March (29 February, as 1 March in a common year, too), and so on.
	from := ymd{y: dob.y + 5, m: 12, d: 31}
	switch md := dob.md(); {
	case md <= 331:
		from.m = 3
	case md <= 831:
		from.m = 8
	}
	// The 16th birthday is in the same month as the birth (29 February becomes 1 March), so
	// the school year it falls in is told by the birth month.
	year := dob.y + 16
	if dob.m >= 9 {
		year++
	}
	until := ymd{y: year, m: 6, d: 30 - (int(weekdayOfJune30(year))-int(time.Friday)+7)%7}
	return !on.before(from) && !until.before(on)
}

// timetable reads the reduced timetable columns.
func (v *validator) timetable(t *pme.Timetable, dob pme.Date) {
	start, startOK := v.date(ColStartDate, true, false)
	t.StartDate = start
	t.PlannedEndDate = v.endDate(ColPlannedEnd, start, startOK)
	t.ActualEndDate = v.endDate(ColActualEnd, start, startOK)
	t.HoursPerWeek = v.hours(ColHoursPW, true)
	// Reason is optional with a warning (returns.md): neither a blank nor an unlisted reason
	// drops a child on a part-time timetable from the list.
	switch r := v.text(ColReason); {
	case r == "":
		v.warn(ColReason, pme.CodeRequired, fmt.Sprintf("Reason is blank: the row is kept, but please give the reason for the reduced timetable (%s).", TimetableReasons.List()))
	default:
		var ok bool
		if t.Reason, ok = TimetableReasons.Lookup(r); !ok {
			v.warn(ColReason, pme.CodeCodeUnknown, fmt.Sprintf("This is not a reduced timetable reason: the row is kept without a reason, but please use one of %s.", TimetableReasons.List()))
		}
	}
	t.ParentalAgreement = v.yesNo(ColParental)
	t.ReviewDate, _ = v.date(ColReviewDate, false, false)
	if startOK {
		v.age(dob, start)
	}
}

// placement reads the alternative provision columns.
func (v *validator) placement(p *pme.Placement, dob pme.Date) {
	p.ProviderName = v.text(ColProvider)
	if p.ProviderName == "" {
		v.fail(ColProvider, pme.CodeRequired, "Provider Name is blank: give the name of the alternative provision provider.")
	}
	if id := trimZeroFraction(v.text(ColProviderURN)); id != "" {
		switch {
		case len(id) == 6 && allDigits(id):
			p.ProviderURN = id
		case len(id) == 8 && allDigits(id):
			p.ProviderUKPRN = id
		default:
			v.fail(ColProviderURN, pme.CodeNumberInvalid, "This is not a provider URN (6 digits) or UKPRN (8 digits).")
		}
	}
	p.ProviderRegistered = v.yesNo(ColRegistered)
	start, startOK := v.date(ColStartDate, true, false)
	p.StartDate = start
	p.EndDate = v.endDate(ColEndDate, start, startOK)
	p.HoursAtProvider = v.hours(ColHoursAtProv, true)
	p.HoursAtSchool = v.hours(ColHoursAtSch, false)
	p.Reason = v.coded(ColReason, PlacementReasons)
	if startOK {
		v.age(dob, start)
	}
}

// suspension reads the suspensions columns.
func (v *validator) suspension(s *pme.Suspension, dob pme.Date) {
	if v.text(ColCategory) == "" {
		v.fail(ColCategory, pme.CodeRequired, "Category is blank: use SUSP (suspension), PERM (permanent exclusion) or LNCH (lunchtime exclusion).")
	} else {
		s.Category = v.coded(ColCategory, Categories)
	}
	start, startOK := v.date(ColStartDate, true, false)
	s.StartDate = start
	s.Sessions = v.sessions(s.Category)
	s.Reason = v.reason(ColReason, true)
	s.Reason2 = v.reason(ColReason2, false)
	s.Reason3 = v.reason(ColReason3, false)
	s.SixthDayProvision = v.yesNo(ColSixthDay)
	if startOK {
		v.age(dob, start)
	}
}

// sessions reads the half-day sessions of a suspension: a lunchtime exclusion counts 1 whatever
// is written; a Days column is read when Sessions is blank or absent, and doubled; a permanent
// exclusion may leave it blank (0).
func (v *validator) sessions(category string) int {
	if category == pme.CategoryLunchtime {
		return 1
	}
	col, factor := ColSessions, 2.0
	c := v.h.Cell(v.row, ColSessions)
	if trimSpace(c.Value) != "" {
		factor = 1
	} else if d := v.h.Cell(v.row, ColDays); trimSpace(d.Value) != "" {
		col, c = ColDays, d
	} else {
		if category == pme.CategorySuspension {
			v.fail(ColSessions, pme.CodeRequired, "Sessions is blank: give the number of half-day sessions of the suspension (1 to 90).")
		}
		return 0
	}
	f, err := ParseNumber(c)
	n := int(f * factor)
	lowest := 1
	if category == pme.CategoryPermanent {
		lowest = 0
	}
	if err != nil || f*factor != float64(n) || n < lowest || n > MaxSessions {
		if col == ColDays {
			v.fail(col, pme.CodeNumberInvalid, "This is not a number of days from 0.5 to 45 in half days: or give Sessions, the number of half-day sessions (1 to 90).")
		} else {
			v.fail(col, pme.CodeNumberInvalid, "This is not a whole number of half-day sessions from 1 to 90.")
		}
		return 0
	}
	return n
}

// reason reads a DfE suspension reason code.
func (v *validator) reason(col string, required bool) string {
	s := strings.ToUpper(v.text(col))
	if s == "" {
		if required {
			v.fail(col, pme.CodeRequired, fmt.Sprintf("Reason is blank: give the DfE reason code (%s).", exclusionCodes))
		}
		return ""
	}
	r, ok := exclusionReasons[s]
	switch {
	case !ok:
		v.fail(col, pme.CodeCodeUnknown, fmt.Sprintf("This is not a DfE reason code: use one of %s.", exclusionCodes))
		return ""
	case r.Withdrawn:
		v.warn(col, pme.CodeCodeLegacy, fmt.Sprintf("%s was withdrawn by the DfE: the row is kept, but please use one of the current codes (%s).", s, exclusionCodes))
	}
	return s
}

// slab hands out the detail structs of records from blocks, one allocation per slabSize rows. A
// block is never reused: the sink may keep the records it was given.
type slab struct {
	tt []pme.Timetable
	pl []pme.Placement
	su []pme.Suspension
}

const slabSize = 1024

func (s *slab) timetable() *pme.Timetable   { return take(&s.tt) }
func (s *slab) placement() *pme.Placement   { return take(&s.pl) }
func (s *slab) suspension() *pme.Suspension { return take(&s.su) }

// take hands out the next struct of *block, starting a new block of slabSize when it is used up.
func take[T any](block *[]T) *T {
	if len(*block) == 0 {
		*block = make([]T, slabSize)
	}
	p := &(*block)[0]
	*block = (*block)[1:]
	return p
}
