package pme

import "strings"

// Attendance register extracts (attendance.md): the shapes a file may take, the 2024 code set and
// what the store keeps of each row.

// Attendance "return types": a sheet of an attendance extract is classified by its header like a
// return, and its summary says which shape it was. They are not in ReturnTypes: they are not
// returns a school sends by hand, and nothing that counts returns should count them.
const (
	AttendanceMarks     ReturnType = "attendance-marks"      // one session mark a row (long)
	AttendanceMarksWide ReturnType = "attendance-marks-wide" // one school day a row, AM and PM columns
	AttendanceSummary   ReturnType = "attendance-summary"    // session counts by code over a period
)

// AttendanceTypes lists the attendance shapes.
var AttendanceTypes = []ReturnType{AttendanceMarks, AttendanceMarksWide, AttendanceSummary}

// Attendance reports whether the type is an attendance shape rather than a return.
func (t ReturnType) Attendance() bool {
	return t == AttendanceMarks || t == AttendanceMarksWide || t == AttendanceSummary
}

// Attendance row issue codes.
const (
	CodeAttCodeUnknown  = "ATT_CODE_UNKNOWN"   // error: not a code of the 2024 set
	CodeAttCodeWithdraw = "ATT_CODE_WITHDRAWN" // warning: H, J or Y on or after 19 August 2024
	CodeAttSession      = "ATT_SESSION"        // error: a session that is neither AM nor PM
	CodeAttNotSchoolDay = "ATT_NOT_SCHOOL_DAY" // warning: a mark on a day the calendar has no school
	CodeAttDateYear     = "ATT_DATE_YEAR"      // error: a date outside any academic year held (future, or before the calendar)
	CodeAttCounts       = "ATT_COUNTS"         // error: a summary's code counts exceed its possible sessions
)

// Code categories of the 2024 register (School Attendance (Pupil Registration) (England)
// Regulations 2024, reg. 10 tables 1-5; DfE "Working together to improve school attendance",
// August 2024, "Attendance and absence codes").
const (
	AttPresent      = "present"      // present at school (/ \ L)
	AttOffsite      = "offsite"      // attending a place other than the school (K V P W B D)
	AttLeave        = "leave"        // absent: leave of absence (C1 M J1 S X C2 C)
	AttAuthorised   = "authorised"   // absent: other authorised reasons (T R I E)
	AttUnable       = "unable"       // absent: unable to attend, exceptional circumstances (Q Y1-Y7)
	AttUnauthorised = "unauthorised" // absent: unauthorised (G N O U)
	AttAdmin        = "admin"        // administrative (Z #)
)

// AttendanceCode is one register code and what it counts as.
type AttendanceCode struct {
	Code     string
	Category string
	Meaning  string
	Possible bool // counts as a possible session (DfE absence statistics)
	Present  bool // counts as attendance (present, or an approved off-site activity)
	// Withdrawn is set for the codes withdrawn by the 2024 regulations: accepted (with a warning)
	// on marks dated on or after AttendanceCodes2024.
	Withdrawn bool
}

// AttendanceCodes2024 is the day the 2024 regulations and codes took effect.
var AttendanceCodes2024 = NewDate(2024, 8, 19)

// attendanceCodes is the 2024 code set, in the order of the regulations' tables, and the three
// codes it withdrew. The one table in code: possible and present follow the DfE's absence
// statistics (D, X, Q, Y1-Y7, Z and # are not possible sessions; K, V, P, W and B are attendance).
var attendanceCodes = []AttendanceCode{
	{"/", AttPresent, "present (AM)", true, true, false},
	{`\`, AttPresent, "present (PM)", true, true, false},
	{"L", AttPresent, "late, before the register closed", true, true, false},
	{"K", AttOffsite, "education provision arranged by the local authority", true, true, false},
	{"V", AttOffsite, "educational visit or trip", true, true, false},
	{"P", AttOffsite, "approved sporting activity", true, true, false},
	{"W", AttOffsite, "work experience", true, true, false},
	{"B", AttOffsite, "other approved educational activity off site", true, true, false},
	{"D", AttOffsite, "dual registered: at another school", false, false, false},
	{"C1", AttLeave, "regulated performance or employment abroad", true, false, false},
	{"M", AttLeave, "medical or dental appointment", true, false, false},
	{"J1", AttLeave, "interview", true, false, false},
	{"S", AttLeave, "study leave", true, false, false},
	{"X", AttLeave, "not required to attend: non-compulsory school age", false, false, false},
	{"C2", AttLeave, "part-time timetable", true, false, false},
	{"C", AttLeave, "leave of absence, exceptional circumstances", true, false, false},
	{"T", AttAuthorised, "parent travelling for work", true, false, false},
	{"R", AttAuthorised, "religious observance", true, false, false},
	{"I", AttAuthorised, "illness", true, false, false},
	{"E", AttAuthorised, "suspended or excluded, no alternative provision", true, false, false},
	{"Q", AttUnable, "lack of access arrangements", false, false, false},
	{"Y1", AttUnable, "transport not available", false, false, false},
	{"Y2", AttUnable, "widespread disruption to travel", false, false, false},
	{"Y3", AttUnable, "part of the school premises closed", false, false, false},
	{"Y4", AttUnable, "whole school site unexpectedly closed", false, false, false},
	{"Y5", AttUnable, "in criminal justice detention", false, false, false},
	{"Y6", AttUnable, "public health guidance or law", false, false, false},
	{"Y7", AttUnable, "any other unavoidable cause", false, false, false},
	{"G", AttUnauthorised, "holiday not authorised", true, false, false},
	{"N", AttUnauthorised, "reason not yet given", true, false, false},
	{"O", AttUnauthorised, "unauthorised absence", true, false, false},
	{"U", AttUnauthorised, "arrived after the register closed", true, false, false},
	{"Z", AttAdmin, "pupil not yet on roll", false, false, false},
	{"#", AttAdmin, "planned school closure", false, false, false},
	// Withdrawn in 2024 (holiday authorised, interview, enforced closure).
	{"H", AttAuthorised, "holiday authorised (withdrawn 2024)", true, false, true},
	{"J", AttLeave, "interview (withdrawn 2024: use J1)", true, false, true},
	{"Y", AttUnable, "enforced closure (withdrawn 2024: use Y1-Y7)", false, false, true},
}

var attendanceByCode = func() map[string]AttendanceCode {
	m := make(map[string]AttendanceCode, len(attendanceCodes))
	for _, c := range attendanceCodes {
		m[c.Code] = c
	}
	return m
}()

// AttendanceCodes returns the code table, in the regulations' order, withdrawn codes last.
func AttendanceCodes() []AttendanceCode { return append([]AttendanceCode(nil), attendanceCodes...) }

// LookupAttendanceCode returns the code as written, normalised: upper case, spaces removed
// (" c2 " is C2).
func LookupAttendanceCode(s string) (AttendanceCode, bool) {
	if c, ok := attendanceByCode[s]; ok { // the common case: a clean code
		return c, true
	}
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	c, ok := attendanceByCode[s]
	return c, ok
}

// AttendanceCodeList is the current codes for a message: "/ \ L K V …".
func AttendanceCodeList() string {
	var b strings.Builder
	for _, c := range attendanceCodes {
		if c.Withdrawn {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c.Code)
	}
	return b.String()
}

// Sessions.
const (
	SessionAM = "AM"
	SessionPM = "PM"
)

// AttendanceRow is one accepted row of an attendance extract: a school day's marks (long shape:
// one of AM or PM set; wide: both or either), or a summary of counts over a period.
type AttendanceRow struct {
	Date   Date   // marks: the school day
	AM, PM string // marks: the codes, "" when the row does not give that session

	From, To Date           // summary: the period
	Possible int            // summary: possible sessions
	Counts   map[string]int // summary: sessions by code
}

// AttendanceDay is a stored school day of one pupil at one school: the two marks ("" unknown).
type AttendanceDay struct {
	PupilID int64  `db:"pupil_id"`
	LAESTAB string `db:"laestab"`
	Date    Date   `db:"day"`
	AM      string `db:"am"`
	PM      string `db:"pm"`
}

// Attendance rule ids (attendance.md).
const (
	RuleAttC2NotReturned = "ATT_C2_NOT_RETURNED"
	RuleAttENotReturned  = "ATT_E_NOT_RETURNED"
	RuleAttESixthDay     = "ATT_E_SIXTH_DAY"
	RuleAttBNoAP         = "ATT_B_NO_AP"
	RuleAttRTNotCoded    = "ATT_RT_NOT_CODED"
	RuleAttAbsencePlan   = "ATT_ABSENCE_PLAN"
)

// AttendanceFact is what the register says of one pupil at one school this academic year, as the
// store aggregates it for the rules: the year's possible and present sessions, what the recent
// window (the last school days up to the run date) holds, and the days coded E.
type AttendanceFact struct {
	PupilID  int64  `db:"pupil_id"`
	LAESTAB  string `db:"laestab"`
	Possible int    `db:"possible"` // this academic year, marks and summaries
	Present  int    `db:"present"`
	LastMark Date   `db:"last_mark"`

	RecentDays int  `db:"recent_days"` // days with a mark in the window
	RecentC2   int  `db:"recent_c2"`   // C2 sessions in the window
	C2From     Date `db:"c2_from"`
	C2To       Date `db:"c2_to"`
	RecentB    int  `db:"recent_b"`
	BFrom      Date `db:"b_from"`
	BTo        Date `db:"b_to"`

	YearC2     int  `db:"year_c2"` // C2 sessions this academic year
	YearC2From Date `db:"year_c2_from"`
	YearC2To   Date `db:"year_c2_to"`

	EText string           `db:"e_days"` // as stored: "2026-11-02:2 2026-11-03:1"
	EDays []AttendanceEDay `db:"-"`      // days with E this year, oldest first
}

// AttendanceEDay is a school day with E in one or both sessions.
type AttendanceEDay struct {
	Date     Date
	Sessions int
}

// AttendanceWindow is the recent window of the rules: its first and last school day.
type AttendanceWindow struct {
	From, To Date
	Days     int // school days in it
}
