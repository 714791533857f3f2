package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"pme"
	"pme/store"
	"pme/store/storetest"
)

func TestRunLedger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := s.LastSuccess(ctx, "flag"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("LastSuccess on an empty ledger = %v, want ErrNotFound", err)
		}
		start := time.Date(2026, 11, 27, 6, 30, 0, 0, time.UTC)
		r := pme.Run{ID: "r1", Job: "flag", Planned: start, Started: start.Add(time.Second), Outcome: pme.RunRunning, Host: "h"}
		if err := s.SaveRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		r.Ended, r.Outcome, r.Cases = start.Add(3*time.Second), pme.RunOK, 7
		if err := s.SaveRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		runs, err := s.Runs(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 1 || runs[0].Outcome != pme.RunOK || runs[0].Cases != 7 || !runs[0].Ended.Equal(r.Ended) || !runs[0].Planned.Equal(start) {
			t.Fatalf("runs = %+v, want the one run ended ok with 7 cases", runs)
		}
		last, err := s.LastSuccess(ctx, "flag")
		if err != nil || !last.Equal(r.Started) {
			t.Fatalf("LastSuccess = %v, %v; want %v", last, err, r.Started)
		}
	})
}

func TestTryLockExcludesASecondHolder(t *testing.T) {
	for backend, url := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			a := storetest.Open(t, url)
			b := storetest.Open(t, url)
			l, held, err := a.TryLock(ctx, "ingest")
			if err != nil || !held {
				t.Fatalf("first TryLock = %v, %v; want held", held, err)
			}
			if _, held, err := b.TryLock(ctx, "ingest"); err != nil || held {
				t.Fatalf("second TryLock while held = %v, %v; want not held", held, err)
			}
			if l2, held, err := b.TryLock(ctx, "flag"); err != nil || !held {
				t.Fatalf("TryLock of another job = %v, %v; want held", held, err)
			} else {
				l2.Release()
			}
			l.Release()
			l3, held, err := b.TryLock(ctx, "ingest")
			if err != nil || !held {
				t.Fatalf("TryLock after release = %v, %v; want held", held, err)
			}
			l3.Release()
		})
	}
}
