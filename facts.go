package pme

// StoredPupil is a pupil as the store holds it: one child with an internal id, the latest details
// returned, and any temporary UPNs since linked to the permanent one.
type StoredPupil struct {
	ID int64 `db:"id" json:"-"`
	Pupil
	FormerUPNs []string `db:"-" json:"former_upns,omitempty"`
}

// StoredTimetable is a reduced timetable in a school's current snapshot.
type StoredTimetable struct {
	ID       int64  `db:"id"`
	PupilID  int64  `db:"pupil_id"`
	LAESTAB  string `db:"laestab"`
	Stale    bool   `db:"stale"` // kept from an earlier snapshot because the pupil's new row was rejected
	Received Date   `db:"received"`
	Timetable
}

// StoredPlacement is an AP placement in a school's current snapshot.
type StoredPlacement struct {
	ID       int64  `db:"id"`
	PupilID  int64  `db:"pupil_id"`
	LAESTAB  string `db:"laestab"`
	Stale    bool   `db:"stale"`
	Received Date   `db:"received"`
	Placement
}

// StoredSuspension is a suspension or exclusion event, from any school.
type StoredSuspension struct {
	ID       int64  `db:"id"`
	PupilID  int64  `db:"pupil_id"`
	LAESTAB  string `db:"laestab"`
	Received Date   `db:"received"`
	Suspension
}

// Match methods: how a pupil was matched to a social care record.
const (
	MatchUPN       = "upn"
	MatchNameDOB   = "name-dob"
	MatchAmbiguous = "ambiguous" // a near match or two candidates: for a person to check, never used
)

// PlanMatch links a pupil to a social care plan and records how.
type PlanMatch struct {
	PupilID int64  `json:"-"`
	Method  string `json:"method"`
	Plan    Plan   `json:"plan"`
	Note    string `json:"note,omitempty"` // for ambiguous matches: why a person must check
}
