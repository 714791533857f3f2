package store_test

import (
	"context"
	"testing"

	"pme"
	"pme/store"
	"pme/store/storetest"
)

// A file's transaction keeps SQLite's statement journals in memory (temp_store = MEMORY on its own
// connection); the connection goes back to the pool with the default, after a commit or a rollback,
// so that other work on it (a flag run's sorts) keeps its temporary files.
func TestSQLiteFileConnectionTempStoreReset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		if s.Backend() != store.SQLite {
			t.Skip("SQLite only")
		}
		s.DB().SetMaxOpenConns(1) // every statement below runs on the connection the file used
		rt := sheet{typ: pme.ReducedTimetable, name: "Reduced timetables", schools: []string{schoolA},
			recs: []pme.Record{timetable(schoolA, ada, "2026-01-05", 10)}}
		check := func(when string) {
			t.Helper()
			var mode int
			if err := s.DB().GetContext(context.Background(), &mode, `PRAGMA temp_store`); err != nil {
				t.Fatalf("PRAGMA temp_store %s: %v", when, err)
			}
			if mode != 0 {
				t.Fatalf("temp_store %s = %d, want 0 (default)", when, mode)
			}
		}
		if err := feed(t, s, "rolled-back.csv", rt).Rollback(); err != nil {
			t.Fatalf("Rollback: %v", err)
		}
		check("after a rollback")
		if err := feed(t, s, "kept.csv", rt).Commit(pme.FileAccepted); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		check("after a commit")
	})
}
