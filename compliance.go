package pme

// Compliance (compliance.md): which schools owe which return for which period, and what arrived.

// ReturnStatus is where a school stands on one return type for one period.
type ReturnStatus string

// The statuses, from worst to best as the Returns sheet sorts them.
const (
	StatusMissing      ReturnStatus = "missing"       // due date passed, nothing of the type arrived in the period
	StatusRejectedOnly ReturnStatus = "rejected-only" // only files refused as a whole (or with every row rejected) arrived
	StatusLate         ReturnStatus = "late"          // returned or nil, but after the due date
	StatusNotDue       ReturnStatus = "not-due"       // due date not passed yet, nothing arrived so far
	StatusNil          ReturnStatus = "nil"           // a sheet of the type with no data rows, on time
	StatusReturned     ReturnStatus = "returned"      // a sheet of the type with rows accepted, on time
)

// Cadence is how often schools return: the length of a period.
type Cadence string

// The cadences compliance.md names.
const (
	Monthly    Cadence = "monthly"
	HalfTermly Cadence = "half-termly"
	Weekly     Cadence = "weekly"
)

// Period is one return period: its id ("2026-11" for a month or the half-term starting that
// month, "2026-W45" for a week), its days, and the date its returns are due (the end of its Nth
// school day). A period with no school day (the summer holiday) has a zero Due and expects nothing.
type Period struct {
	ID    string `json:"period"`
	Start Date   `json:"start"`
	End   Date   `json:"end"`
	Due   Date   `json:"due"`
}

// Expects reports whether the period expects any return at all.
func (p Period) Expects() bool { return !p.Due.IsZero() }

// Receipt is one accepted sheet as it counts for one school: the return type, the run date of the
// ingest that accepted it, and its rows (0 for a nil return; Accepted 0 with Rows > 0 is a sheet
// whose every row was rejected).
type Receipt struct {
	FileID   int64      `db:"file_id"`
	LAESTAB  string     `db:"laestab"`
	Type     ReturnType `db:"return_type"`
	Received Date       `db:"received"`
	Rows     int        `db:"rows"`
	Accepted int        `db:"accepted"`
}

// RejectedFile is a file refused as a whole: it has no return type that can be trusted, and counts
// for the school its file name's LAESTAB prefix names (LAESTAB, "" when it names none) and for
// every school its readable rows name (Schools): each of them tried, and none has its data in.
type RejectedFile struct {
	FileID  int64    `db:"file_id"`
	LAESTAB string   `db:"-"`
	Schools []string `db:"-"` // the LAESTABs the rows read before the file was refused named

	Name     string `db:"name"`
	Received Date   `db:"received"`
	Code     string `db:"code"`
	Message  string `db:"message"`
}

// CountsFor reports whether the file counts for the school: the one its name gives, or one its
// readable rows name.
func (f RejectedFile) CountsFor(laestab string) bool {
	if laestab == "" {
		return false
	}
	if f.LAESTAB == laestab {
		return true
	}
	for _, s := range f.Schools {
		if s == laestab {
			return true
		}
	}
	return false
}

// ExpectedSchool is a school expected to return: open, in the council's LA codes and type groups,
// not excluded. OpenDate and CloseDate (zero when unknown) decide the periods it is expected for.
type ExpectedSchool struct {
	LAESTAB   string `json:"laestab"`
	URN       string `json:"urn"`
	Name      string `json:"school"`
	OpenDate  Date   `json:"-"`
	CloseDate Date   `json:"-"`
}

// ChaseDraft is a chase e-mail drafted for a school and period: the ledger that makes a rerun
// draft nothing new.
type ChaseDraft struct {
	LAESTAB string       `db:"laestab" json:"laestab"`
	Period  string       `db:"period" json:"period"`
	Drafted Date         `db:"drafted" json:"drafted"`
	To      string       `db:"recipient" json:"to"`
	Types   []ReturnType `db:"-" json:"types"`
	File    string       `db:"file" json:"file"`
}

// RuleStaleReturn is the rule id of STALE_RETURN (compliance.md): a pupil's active reduced
// timetable or AP placement comes from a snapshot after which the school stopped returning.
const RuleStaleReturn = "STALE_RETURN"
