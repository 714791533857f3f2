package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"pme"
	"pme/store"
	"pme/store/storetest"
)

// benchRows is the size of one benchmark file: large enough that per-file costs fade, small enough
// to run in a minute. `make bench` reports rows/s, which scales to the 1,000,000-row limit.
const benchRows = 200_000

// BenchmarkStoreRecords stores a suspensions file of benchRows events (in batches of 1,000 with the
// slice reused, as ingest sends them) on each backend, and reports rows/s: "new" files hold events
// never seen (all inserts) of 1,000 known pupils, 20 each; "resent" files the same events again
// (the monthly year-to-date return: every row an upsert that finds its event); "first" files
// pupils never seen, 3 events each (a school's first return, the shape of `pme fixtures
// --suspensions-csv`).
func BenchmarkStoreRecords(b *testing.B) {
	for backend, url := range storetest.Backends(b) {
		s := storetest.Open(b, url)
		files := 0 // b.Run calls the body more than once on the same store: hashes stay unique
		for _, mode := range []string{"new", "resent", "first"} {
			b.Run(backend+"/"+mode, func(b *testing.B) {
				ctx := context.Background()
				batch := make([]pme.Record, 0, 1000)
				susp := make([]pme.Suspension, 1000)
				b.ResetTimer()
				for n := 0; n < b.N; n++ {
					files++
					ft, err := s.BeginFile(ctx, store.FileMeta{SHA256: fmt.Sprintf("bench-%s-%d", backend, files),
						Name: "bench.csv", Received: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)})
					if err != nil {
						b.Fatal(err)
					}
					if err := ft.StartSheet(pme.SheetResult{ReturnType: pme.Suspensions, HeaderRow: 1}); err != nil {
						b.Fatal(err)
					}
					start := pme.MustDate("2025-09-01")
					if mode == "new" {
						start = start.AddDays(20 * files) // events never seen: all inserts
					}
					perPupil, pupilBase := 20, 0
					if mode == "first" {
						perPupil, pupilBase = 3, 1_000_000*files // pupils never seen
					}
					for i := 0; i < benchRows; i++ {
						j := len(batch)
						susp[j] = pme.Suspension{Category: pme.CategorySuspension, StartDate: start.AddDays(i % perPupil),
							Sessions: 1 + i%10, Reason: "PP", SixthDayProvision: "Y"}
						pupil := i / perPupil
						if mode != "first" {
							pupil %= 1000
						}
						batch = append(batch, pme.Record{Type: pme.Suspensions, Row: i + 2, LAESTAB: schoolA,
							Pupil:      pme.Pupil{UPN: upnFor(pupilBase + pupil), Surname: "Benchmark", Forename: fmt.Sprint("F", pupil), DOB: pme.MustDate("2013-01-01"), Gender: "F"},
							Suspension: &susp[j]})
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
					if err := ft.EndSheet(pme.SheetResult{ReturnType: pme.Suspensions, HeaderRow: 1, Rows: benchRows, Accepted: benchRows}); err != nil {
						b.Fatal(err)
					}
					if err := ft.Commit(pme.FileAccepted); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*benchRows)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}
