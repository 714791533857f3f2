package pipeline

import (
	"context"
	"errors"
	"testing"
	"time"

	"pme"
	"pme/config"
	"pme/store/storetest"
)

func TestPreviousActivation(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	sched, err := cronParser.Parse("30 6 * * 1-5")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		now, want time.Time
	}{
		{time.Date(2026, 11, 27, 7, 0, 0, 0, london), time.Date(2026, 11, 27, 6, 30, 0, 0, london)},  // Friday after the run
		{time.Date(2026, 11, 27, 6, 30, 0, 0, london), time.Date(2026, 11, 27, 6, 30, 0, 0, london)}, // at the activation
		{time.Date(2026, 11, 30, 6, 0, 0, 0, london), time.Date(2026, 11, 27, 6, 30, 0, 0, london)},  // Monday before it: Friday's
	}
	for _, tc := range tests {
		if got := previousActivation(sched, tc.now); !got.Equal(tc.want) {
			t.Errorf("previousActivation(%v) = %v, want %v", tc.now, got, tc.want)
		}
	}
}

// testEnv returns an Env on a fresh database of each backend.
func eachEnv(t *testing.T, fn func(t *testing.T, e *Env)) {
	for backend, url := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			e := &Env{Store: storetest.Open(t, url), Config: config.Default(), DataDir: t.TempDir(),
				Today: pme.MustDate("2026-11-27")}
			fn(t, e)
		})
	}
}

func TestRunJobSkipsWhileAnotherHoldsTheLock(t *testing.T) {
	for backend, url := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			a := &Env{Store: storetest.Open(t, url), Config: config.Default(), DataDir: t.TempDir(), Today: pme.MustDate("2026-11-27")}
			b := &Env{Store: storetest.Open(t, url), Config: config.Default(), DataDir: a.DataDir, Today: a.Today}
			lock, held, err := a.Store.TryLock(ctx, JobFlag)
			if err != nil || !held {
				t.Fatalf("TryLock = %v, %v", held, err)
			}
			sum, err := b.RunJob(ctx, JobFlag, time.Now())
			if !errors.Is(err, ErrSkipped) || len(sum.Skipped) != 1 {
				t.Fatalf("RunJob while locked = %+v, %v; want ErrSkipped", sum, err)
			}
			lock.Release()
			runs, err := b.Store.Runs(ctx, 10)
			if err != nil || len(runs) != 1 || runs[0].Outcome != pme.RunSkipped || runs[0].Reason == "" {
				t.Fatalf("ledger = %+v, %v; want one skipped run with a reason", runs, err)
			}
			if _, err := b.RunJob(ctx, JobFlag, time.Now()); err != nil {
				t.Fatalf("RunJob after release: %v", err)
			}
		})
	}
}

func TestScheduledActivationRunsOnceAcrossReplicas(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *Env) {
		ctx := context.Background()
		planned := time.Date(2026, 11, 27, 6, 30, 0, 0, time.UTC)
		if _, err := e.runJob(ctx, JobFlag, planned, true); err != nil {
			t.Fatalf("first replica: %v", err)
		}
		// A second replica firing for the same activation after the first finished does nothing.
		if _, err := e.runJob(ctx, JobFlag, planned, true); !errors.Is(err, ErrSkipped) {
			t.Fatalf("second replica: %v, want ErrSkipped", err)
		}
		runs, _ := e.Store.Runs(ctx, 10)
		var ok, skipped int
		for _, r := range runs {
			switch r.Outcome {
			case pme.RunOK:
				ok++
			case pme.RunSkipped:
				skipped++
			}
		}
		if ok != 1 || skipped != 1 {
			t.Fatalf("ledger has %d ok and %d skipped runs, want 1 and 1: %+v", ok, skipped, runs)
		}
	})
}

func TestCatchUpDue(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *Env) {
		ctx := context.Background()
		london, _ := time.LoadLocation("Europe/London")
		sched, _ := cronParser.Parse("30 6 * * 1-5")
		now := time.Date(2026, 11, 27, 9, 0, 0, 0, london)
		e.Now = func() time.Time { return now }
		if !e.catchUpDue(ctx, JobFlag, sched, london) {
			t.Fatal("a job that never ran is not due for catch-up")
		}
		e.Store.SaveRun(ctx, pme.Run{ID: "r1", Job: JobFlag, Planned: now, Started: now.Add(-time.Hour), Ended: now.Add(-time.Hour), Outcome: pme.RunOK})
		if e.catchUpDue(ctx, JobFlag, sched, london) {
			t.Fatal("a job that ran after its last activation is due for catch-up")
		}
		e.Now = func() time.Time { return now.Add(72 * time.Hour) } // Monday 09:00: Monday 06:30 was missed
		if !e.catchUpDue(ctx, JobFlag, sched, london) {
			t.Fatal("a job that missed Monday's activation is not due for catch-up")
		}
	})
}
