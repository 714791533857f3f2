package pme

import "time"

// Run outcomes in the run ledger.
const (
	RunOK      = "ok"
	RunFailed  = "failed"
	RunSkipped = "skipped" // the job was already running elsewhere
	RunRunning = "running" // started and not (yet) ended: a run that died shows so
)

// Run is one job run in the ledger: what ran, when, and what came of it.
type Run struct {
	ID      string    `db:"id" json:"run_id"`
	Job     string    `db:"job" json:"job"` // ingest, flag, report, letters, run
	Planned time.Time `db:"planned" json:"planned"`
	Started time.Time `db:"started" json:"started"`
	Ended   time.Time `db:"ended" json:"ended"`
	Outcome string    `db:"outcome" json:"outcome"`
	Reason  string    `db:"reason" json:"reason"`
	Host    string    `db:"host" json:"host"`
	Files   int       `db:"files" json:"files"`
	Rows    int       `db:"rows_stored" json:"rows"`
	Cases   int       `db:"cases" json:"cases"`
	Letters int       `db:"letters" json:"letters"`
}
