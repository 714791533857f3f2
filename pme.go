// Package pme holds the domain types of the Pupils Missing Education pipeline: the school returns
// and their rows, the issues found in them, the reference data loaded beside them, and the cases
// the risk rules raise. It does no I/O and knows no SQL: ingest, rules, reports and store speak to
// each other in these types.
package pme

// ReturnType is one of the three kinds of school return (returns.md).
type ReturnType string

// The return types, with their stable ids.
const (
	ReducedTimetable     ReturnType = "reduced-timetable"
	AlternativeProvision ReturnType = "alternative-provision"
	Suspensions          ReturnType = "suspensions"
)

// ReturnTypes lists the return types in the order the spec gives them.
var ReturnTypes = []ReturnType{ReducedTimetable, AlternativeProvision, Suspensions}

// Snapshot reports whether the school's latest sheet of this type replaces its current list
// (reduced timetables, AP) rather than adding events (suspensions).
func (t ReturnType) Snapshot() bool { return t == ReducedTimetable || t == AlternativeProvision }

// Pupil is the identity and details of a child as returned by a school. A pupil is one child
// across schools, returns and years, identified by UPN.
type Pupil struct {
	UPN      string `db:"upn" json:"upn"`
	Surname  string `db:"surname" json:"surname"`
	Forename string `db:"forename" json:"forename"`
	DOB      Date   `db:"dob" json:"dob"`
	Gender   string `db:"gender" json:"gender,omitempty"`   // M, F, U or "" (not returned)
	NCYear   string `db:"nc_year" json:"nc_year,omitempty"` // N1, N2, R, 1..14 or "" (unknown)
	SEN      string `db:"sen" json:"sen,omitempty"`         // E, K, N or "" (unknown)
}

// TemporaryUPN reports whether a (well-formed) UPN is a temporary one: it ends in a letter.
func TemporaryUPN(upn string) bool {
	if len(upn) != 13 {
		return false
	}
	c := upn[12]
	return c >= 'A' && c <= 'Z'
}

// Record is one accepted row of a return: the pupil, the school, and exactly one of the three
// kinds of detail, matching Type.
type Record struct {
	Type    ReturnType
	Sheet   string // the sheet as named in the file ("" for CSV: the file is the sheet)
	Row     int    // the row as the school sees it in Excel, 1-based, header counted
	LAESTAB string // the school, always resolved to 7 digits
	Pupil   Pupil

	Timetable  *Timetable     // Type == ReducedTimetable
	Placement  *Placement     // Type == AlternativeProvision
	Suspension *Suspension    // Type == Suspensions
	Attendance *AttendanceRow // Type is an attendance shape
}

// Timetable is a reduced (part-time) timetable as a school returned it.
type Timetable struct {
	StartDate         Date    `db:"start_date" json:"start_date"`
	PlannedEndDate    Date    `db:"planned_end_date" json:"planned_end_date"`
	ActualEndDate     Date    `db:"actual_end_date" json:"actual_end_date"`
	HoursPerWeek      float64 `db:"hours_per_week" json:"hours_per_week"`
	Reason            string  `db:"reason" json:"reason"`                         // MED, SEMH, REINT, TRANS, BEH, OTH or ""
	ParentalAgreement string  `db:"parental_agreement" json:"parental_agreement"` // Y, N or ""
	ReviewDate        Date    `db:"review_date" json:"review_date"`
}

// Placement is a pupil placed by the school in alternative provision.
type Placement struct {
	ProviderName       string  `db:"provider_name" json:"provider_name"`
	ProviderURN        string  `db:"provider_urn" json:"provider_urn"`               // 6 digits or ""
	ProviderUKPRN      string  `db:"provider_ukprn" json:"provider_ukprn"`           // 8 digits or ""
	ProviderRegistered string  `db:"provider_registered" json:"provider_registered"` // Y, N or ""
	StartDate          Date    `db:"start_date" json:"start_date"`
	EndDate            Date    `db:"end_date" json:"end_date"`
	HoursAtProvider    float64 `db:"hours_at_provider" json:"hours_at_provider"`
	HoursAtSchool      float64 `db:"hours_at_school" json:"hours_at_school"`
	Reason             string  `db:"reason" json:"reason"` // BEH, SEMH, MED, SEN, VOC, OTH or ""
}

// Suspension categories.
const (
	CategorySuspension = "SUSP"
	CategoryPermanent  = "PERM"
	CategoryLunchtime  = "LNCH"
)

// Suspension is one suspension, permanent exclusion or lunchtime exclusion. Events are keyed by
// (school, pupil, category, start date).
type Suspension struct {
	Category          string `db:"category" json:"category"` // SUSP, PERM, LNCH
	StartDate         Date   `db:"start_date" json:"start_date"`
	Sessions          int    `db:"sessions" json:"sessions"` // half-day sessions; LNCH counts 1
	Reason            string `db:"reason" json:"reason"`
	Reason2           string `db:"reason2" json:"reason2"`
	Reason3           string `db:"reason3" json:"reason3"`
	SixthDayProvision string `db:"sixth_day_provision" json:"sixth_day_provision"` // Y, N or ""
}

// Severity of an issue in a returned file.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Issue codes (returns.md). Row-level codes first, then file-level ones.
const (
	CodeRequired       = "REQUIRED"
	CodeUPNFormat      = "UPN_FORMAT"
	CodeUPNCheck       = "UPN_CHECK"
	CodeUPNTemporary   = "UPN_TEMPORARY"
	CodeDateInvalid    = "DATE_INVALID"
	CodeDateRange      = "DATE_RANGE"
	CodeDateOrder      = "DATE_ORDER"
	CodeAgeRange       = "AGE_RANGE"
	CodeCodeUnknown    = "CODE_UNKNOWN"
	CodeCodeLegacy     = "CODE_LEGACY"
	CodeNumberInvalid  = "NUMBER_INVALID"
	CodeSchoolUnknown  = "SCHOOL_UNKNOWN"
	CodeDuplicateRow   = "DUPLICATE_ROW"
	CodeColumnUnknown  = "COLUMN_UNKNOWN"
	CodeDetailsChanged = "DETAILS_CHANGED"

	CodeFileUnreadable     = "FILE_UNREADABLE"
	CodeFileFormat         = "FILE_FORMAT"
	CodeFileEncrypted      = "FILE_ENCRYPTED"
	CodeFileTooLarge       = "FILE_TOO_LARGE"
	CodeFileNoReturn       = "FILE_NO_RETURN"
	CodeFileMissingColumns = "FILE_MISSING_COLUMNS"
	CodeFileDuplicate      = "FILE_DUPLICATE"
)

// Issue is a problem found in a school's data: data to store and report, not a Go error. Row is
// the row as the school sees it in Excel (1-based, header counted); 0 for a file-level issue.
type Issue struct {
	Sheet    string `db:"sheet" json:"sheet"`
	Row      int    `db:"row_num" json:"row"`
	Column   string `db:"col" json:"column"` // as written in the file
	Value    string `db:"value" json:"value"`
	Code     string `db:"code" json:"code"`
	Severity string `db:"severity" json:"severity"`
	Message  string `db:"message" json:"message"`
}

// IsError reports whether the issue rejects its row (or, at row 0, its file).
func (i Issue) IsError() bool { return i.Severity == SeverityError }

// FileError is a file-level outcome: the whole file is rejected and nothing from it is stored.
type FileError struct {
	Code    string // one of the FILE_* codes
	Message string // what was wrong and what to send instead
	// Schools are the LAESTABs that the rows read before the file was refused named (sorted;
	// none for a file that could not be read at all): the file counts as rejected-only for them
	// as well as for the school its name gives (compliance.md).
	Schools []string
}

func (e *FileError) Error() string { return e.Code + ": " + e.Message }

// Issue returns the file-level error as an issue at row 0.
func (e *FileError) Issue() Issue {
	return Issue{Code: e.Code, Severity: SeverityError, Message: e.Message}
}

// File statuses as `pme ingest --json` reports them.
const (
	FileAccepted  = "accepted"
	FilePartial   = "partial"
	FileRejected  = "rejected"
	FileDuplicate = "duplicate"
)

// PupilKey identifies the pupil a rejected row belongs to, so that the pupil keeps the record from
// the previous snapshot: by UPN, or when the UPN itself is what is wrong, by the school's pupil of
// the same surname, forename and date of birth.
type PupilKey struct {
	UPN      string // "" when the row's UPN is unusable
	Surname  string
	Forename string
	DOB      Date
}

// SheetResult is what ingest learned from one sheet: its type, its school(s) and its counts.
type SheetResult struct {
	Sheet      string     `json:"sheet"`
	ReturnType ReturnType `json:"return_type"`
	School     string     `json:"school"`            // the LAESTAB when the sheet is one school's; "" otherwise
	Schools    []string   `json:"schools,omitempty"` // every school the sheet speaks for (snapshot scope)
	HeaderRow  int        `json:"header_row"`
	Rows       int        `json:"rows"`
	Accepted   int        `json:"accepted"`
	Rejected   int        `json:"rejected"`
	Skipped    int        `json:"skipped"` // exact duplicate rows skipped with a warning
	// Rejected rows' pupils, per school (snapshot sheets only): they keep their previous record.
	RejectedPupils map[string][]PupilKey `json:"-"`
}

// NilReturn reports whether the sheet had no data rows: "no pupils currently".
func (s SheetResult) NilReturn() bool { return s.Rows == 0 }
