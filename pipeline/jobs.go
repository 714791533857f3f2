package pipeline

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"time"

	"pme"
	"pme/store"
)

// The jobs, as the ledger and the schedule name them.
const (
	JobIngest  = "ingest"
	JobFlag    = "flag"
	JobReport  = "report"
	JobLetters = "letters"
	JobRun     = "run" // ingest, flag, report and letters in that order
)

// RunSummary is `pme run --json` (cli.md): each step's own summary.
type RunSummary struct {
	Ingest  *IngestSummary  `json:"ingest,omitempty"`
	Flag    *FlagSummary    `json:"flag,omitempty"`
	Report  *ReportSummary  `json:"report,omitempty"`
	Letters *LettersSummary `json:"letters,omitempty"`
	Skipped []string        `json:"skipped,omitempty"` // steps another process was already running
}

// ErrSkipped is returned by RunJob when another process holds the job's lock.
var ErrSkipped = errors.New("job already running elsewhere")

// RunJob runs one job under its lock and records it in the run ledger. planned is when the
// schedule meant it to run (the start time for a run by hand). A job whose lock is held by
// another process is not run: it is recorded as skipped, with who held it, and ErrSkipped returned.
func (e *Env) RunJob(ctx context.Context, job string, planned time.Time) (RunSummary, error) {
	return e.runJob(ctx, job, planned, false)
}

// runJob is RunJob; scheduled runs also skip an activation another replica has already done.
func (e *Env) runJob(ctx context.Context, job string, planned time.Time, scheduled bool) (RunSummary, error) {
	host, _ := os.Hostname()
	r := pme.Run{ID: newRunID(), Job: job, Planned: planned, Started: e.now(), Outcome: pme.RunRunning, Host: host}
	log := e.log().With("run_id", r.ID, "job", job)

	lock, held, err := e.Store.TryLock(ctx, job)
	if err != nil {
		return RunSummary{}, err
	}
	if !held {
		r.Outcome, r.Ended, r.Reason = pme.RunSkipped, e.now(), e.holder(ctx, job)
		log.Warn("job skipped: already running", "reason", r.Reason)
		if err := e.Store.SaveRun(ctx, r); err != nil {
			return RunSummary{}, err
		}
		return RunSummary{Skipped: []string{job}}, ErrSkipped
	}
	defer lock.Release()
	if scheduled {
		prev, err := e.Store.RunFor(ctx, job, planned)
		if err == nil {
			r.Outcome, r.Ended = pme.RunSkipped, e.now()
			r.Reason = fmt.Sprintf("already done for %s by run %s on %s", planned.Format(time.RFC3339), prev.ID, prev.Host)
			log.Info("job skipped: this activation already ran", "reason", r.Reason)
			if err := e.Store.SaveRun(ctx, r); err != nil {
				return RunSummary{}, err
			}
			return RunSummary{Skipped: []string{job}}, ErrSkipped
		}
		if !errors.Is(err, store.ErrNotFound) {
			return RunSummary{}, err
		}
	}
	if err := e.Store.SaveRun(ctx, r); err != nil {
		return RunSummary{}, err
	}
	log.Info("job started")
	sum, runErr := e.runSteps(ctx, job, &r)
	r.Ended = e.now()
	r.Outcome = pme.RunOK
	if runErr != nil {
		r.Outcome, r.Reason = pme.RunFailed, runErr.Error()
	}
	// The ledger is written even when the run was stopped by a signal.
	if err := e.Store.SaveRun(context.WithoutCancel(ctx), r); err != nil && runErr == nil {
		runErr = err
	}
	for _, w := range e.Warnings() {
		log.Warn("warning", "warning", w)
	}
	log.Info("job ended", "outcome", r.Outcome, "files", r.Files, "rows", r.Rows, "cases", r.Cases,
		"letters", r.Letters, "seconds", r.Ended.Sub(r.Started).Seconds())
	return sum, runErr
}

// holder says which run holds a job's lock, from the ledger.
func (e *Env) holder(ctx context.Context, job string) string {
	runs, err := e.Store.Runs(ctx, 50)
	if err == nil {
		for _, r := range runs {
			if r.Outcome == pme.RunRunning && (r.Job == job || r.Job == JobRun) {
				return fmt.Sprintf("%s is already running as run %s on %s since %s", job, r.ID, r.Host, r.Started.Format(time.RFC3339))
			}
		}
	}
	return job + " is already running in another pme process"
}

// runSteps does the job's work, filling the ledger's counts.
func (e *Env) runSteps(ctx context.Context, job string, r *pme.Run) (RunSummary, error) {
	var sum RunSummary
	steps := []string{job}
	if job == JobRun {
		steps = []string{JobIngest, JobFlag, JobReport, JobLetters}
	}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if job == JobRun {
			// Each step also takes its own lock, so a scheduled job elsewhere and this run never
			// do the same step at once.
			lock, held, err := e.Store.TryLock(ctx, step)
			if err != nil {
				return sum, err
			}
			if !held {
				sum.Skipped = append(sum.Skipped, step)
				continue
			}
			err = e.step(ctx, step, &sum, r)
			lock.Release()
			if err != nil {
				return sum, err
			}
			continue
		}
		if err := e.step(ctx, step, &sum, r); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

func (e *Env) step(ctx context.Context, step string, sum *RunSummary, r *pme.Run) error {
	switch step {
	case JobIngest:
		s, err := e.Ingest(ctx, nil)
		sum.Ingest = &s
		files, _, accepted, _, _ := s.Counts()
		r.Files, r.Rows = files, accepted
		return err
	case JobFlag:
		s, err := e.Flag(ctx)
		sum.Flag = &s
		r.Cases = s.Listed()
		return err
	case JobReport:
		s, err := e.Report(ctx)
		sum.Report = &s
		return err
	case JobLetters:
		s, err := e.Letters(ctx)
		sum.Letters = &s
		r.Letters = len(s.Letters)
		return err
	}
	return fmt.Errorf("unknown job %q", step)
}

// newRunID returns a run id such as "R-20261128-7F3A9B".
func newRunID() string {
	b := make([]byte, 3)
	rand.Read(b)
	return fmt.Sprintf("R-%s-%X", time.Now().UTC().Format("20060102T150405"), b)
}
