package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	"pme"
	"pme/config"
	"pme/store"
)

// cronParser reads the five-field schedules of the configuration file.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// Schedule runs the configured jobs on their cron schedules, in the configured time zone, until
// ctx is cancelled (SIGINT/SIGTERM); then it lets the running job finish its current unit of work
// and returns nil. At start, a job whose last successful run is older than its period runs once
// (catch-up after downtime).
func (e *Env) Schedule(ctx context.Context) error {
	loc, err := time.LoadLocation(e.Config.Timezone)
	if err != nil {
		return fmt.Errorf("schedule: %w", err)
	}
	for _, w := range e.Config.DSTWarnings() {
		e.log().Warn(w)
	}
	logger := cronLogger{e.log()}
	// SkipIfStillRunning then Recover, in that order: the other way round, a panic leaves the
	// skip wrapper's token taken and the job never runs again.
	c := cron.New(cron.WithLocation(loc), cron.WithParser(cronParser),
		cron.WithChain(cron.SkipIfStillRunning(logger), cron.Recover(logger)))
	// Jobs keep working through a signal until their current file or step is done; they check the
	// signal context between units of work.
	for _, job := range config.Jobs {
		spec := e.Config.Schedule[job]
		if spec == "" {
			continue
		}
		sched, err := cronParser.Parse(spec)
		if err != nil {
			return fmt.Errorf("schedule.%s: %w", job, err)
		}
		if _, err := c.AddFunc(spec, e.scheduled(ctx, job, sched, loc)); err != nil {
			return fmt.Errorf("schedule.%s: %w", job, err)
		}
		if e.catchUpDue(ctx, job, sched, loc) {
			e.log().Info("catching up: last successful run is older than the schedule's period", "job", job)
			planned := previousActivation(sched, e.now().In(loc))
			if planned.IsZero() {
				planned = e.now()
			}
			e.runScheduled(ctx, job, planned)
		}
	}
	c.Start()
	e.log().Info("scheduler started", "jobs", len(c.Entries()), "timezone", loc.String())
	<-ctx.Done()
	e.log().Info("stopping: waiting for the running job to finish its current work")
	<-c.Stop().Done()
	return nil
}

// scheduled returns the cron job for one of pme's jobs.
func (e *Env) scheduled(ctx context.Context, job string, sched cron.Schedule, loc *time.Location) func() {
	return func() {
		if ctx.Err() != nil {
			return
		}
		now := e.now().In(loc)
		// The activation that fired: the schedule's time at this minute.
		planned := sched.Next(now.Truncate(time.Minute).Add(-time.Second))
		if planned.After(now) {
			planned = now
		}
		e.runScheduled(ctx, job, planned)
	}
}

func (e *Env) runScheduled(ctx context.Context, job string, planned time.Time) {
	// A copy per run: jobs may overlap, and each computes for its own day.
	run := *e
	run.warnings = nil
	run.Today = pme.DateOf(e.now().In(planned.Location()))
	if _, err := run.runJob(ctx, job, planned, true); err != nil && !errors.Is(err, ErrSkipped) {
		e.log().Error("job failed", "job", job, "error", err.Error())
	}
}

// catchUpDue reports whether the job's last successful run is older than its period: the time
// between two activations.
func (e *Env) catchUpDue(ctx context.Context, job string, sched cron.Schedule, loc *time.Location) bool {
	last, err := e.Store.LastSuccess(ctx, job)
	if errors.Is(err, store.ErrNotFound) {
		return true
	}
	if err != nil {
		e.log().Warn("cannot read the run ledger for catch-up", "job", job, "error", err.Error())
		return false
	}
	now := e.now().In(loc)
	prev := previousActivation(sched, now)
	return last.Before(prev)
}

// previousActivation returns the latest activation of sched at or before now (searching back
// up to eight days, which covers weekday-only schedules over a long weekend).
func previousActivation(sched cron.Schedule, now time.Time) time.Time {
	var prev time.Time
	for t := sched.Next(now.Add(-8 * 24 * time.Hour)); !t.After(now); t = sched.Next(t) {
		prev = t
	}
	return prev
}

// cronLogger adapts slog to cron's logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "error", err.Error())...)
}
