package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

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

// BenchmarkSQLiteTimetables stores a 100,000-row reduced-timetable sheet of pupils never seen (12
// schools interleaved, the shape of `pme fixtures --timetables-xlsx`) into a fresh SQLite database
// each time, in batches of 1,000 as ingest sends them. It reports rows/s and the process's CPU
// time a file, which a loaded machine inflates less than the wall time.
func BenchmarkSQLiteTimetables(b *testing.B) {
	const rows = 100_000
	schools := make([]string, 12)
	for i := range schools {
		schools[i] = fmt.Sprint(8012300 + i)
	}
	tts := make([]pme.Timetable, 1000)
	batch := make([]pme.Record, 0, 1000)
	var cpu time.Duration
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		s := storetest.Open(b, "sqlite:"+filepath.Join(b.TempDir(), "pme.db"))
		ctx := context.Background()
		before := cpuTime()
		b.StartTimer()
		ft, err := s.BeginFile(ctx, store.FileMeta{SHA256: fmt.Sprint("bench-", n), Name: "bench.xlsx",
			Received: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)})
		if err != nil {
			b.Fatal(err)
		}
		sheet := pme.SheetResult{Sheet: "Reduced timetables", ReturnType: pme.ReducedTimetable, HeaderRow: 1}
		if err := ft.StartSheet(sheet); err != nil {
			b.Fatal(err)
		}
		start := pme.MustDate("2026-09-07")
		for i := 0; i < rows; i++ {
			j := len(batch)
			tts[j] = pme.Timetable{StartDate: start.AddDays(i % 60), PlannedEndDate: start.AddDays(60 + i%60),
				HoursPerWeek: float64(10 + i%15), Reason: "MED", ParentalAgreement: "Y",
				ReviewDate: start.AddDays(30 + i%30)}
			batch = append(batch, pme.Record{Type: pme.ReducedTimetable, Sheet: sheet.Sheet, Row: i + 2,
				LAESTAB: schools[i%len(schools)], Pupil: pme.Pupil{UPN: withCheckLetter(fmt.Sprintf("8%011d", i*7919%1_000_003)),
					Surname: "Benchmark", Forename: fmt.Sprint("F", i), DOB: pme.MustDate("2013-01-01"), Gender: "F",
					NCYear: "8", SEN: "N"}, Timetable: &tts[j]})
			if len(batch) == cap(batch) {
				if err := ft.Records(batch); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		if err := ft.Records(batch); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
		sheet.Schools, sheet.Rows, sheet.Accepted = schools, rows, rows
		if err := ft.EndSheet(sheet); err != nil {
			b.Fatal(err)
		}
		if err := ft.Commit(pme.FileAccepted); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cpu += cpuTime() - before
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// The SQLite writer numbers new pupils itself, after the largest stored id, instead of asking
// SQLite for each one's id. That is safe because the file's transaction holds SQLite's one write
// lock from its first statement to its end: here a second connection trying to store a pupil while
// a file is open is kept out, and the file's pupils take the ids after the largest (a deleted
// largest id is taken again, as SQLite itself numbers rows) in the order the file first lists them.
func TestSQLitePupilsNumberedUnderTheWriteLock(t *testing.T) {
	url := storetest.Backends(t)[store.SQLite]
	s := storetest.Open(t, url)
	other := storetest.Open(t, url)
	ctx := context.Background()
	rt := func(cs ...child) sheet {
		sh := sheet{typ: pme.ReducedTimetable, name: "Reduced timetables", schools: []string{schoolA}}
		for _, c := range cs {
			sh.recs = append(sh.recs, timetable(schoolA, c, "2026-01-05", 10))
		}
		return sh
	}
	if err := feed(t, s, "first.csv", rt(ada, bo)).Commit(pme.FileAccepted); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	for _, q := range []string{`DELETE FROM timetable WHERE pupil_id = 2`, `DELETE FROM pupil WHERE id = 2`} {
		if _, err := s.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}

	ft := feed(t, s, "second.csv", rt(zoe, ada, cy, zoe))
	wait, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_, err := other.DB().ExecContext(wait, `INSERT INTO pupil (upn, surname, forename, name_key, file_id, updated)
		VALUES ('X000000000001', 'Other', 'Writer', 'other\x1fwriter', 1, '')`)
	if err == nil {
		t.Fatal("another connection stored a pupil while a file was open")
	}
	if err := ft.Commit(pme.FileAccepted); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	var got []struct {
		ID  int64  `db:"id"`
		UPN string `db:"upn"`
	}
	if err := s.DB().SelectContext(ctx, &got, `SELECT id, upn FROM pupil ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	want := []string{ada.upn, zoe.upn, cy.upn}
	if len(got) != len(want) {
		t.Fatalf("pupils %+v, want ids 1-3 for %v", got, want)
	}
	for i, p := range got {
		if p.ID != int64(i+1) || p.UPN != want[i] {
			t.Fatalf("pupils %+v, want ids 1-3 for %v", got, want)
		}
	}
}
