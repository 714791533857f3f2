package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"pme"
	"pme/store"
	"pme/store/storetest"
)

// receiveFile stores a file taken by an ingest run dated runDate, with one sheet per entry of
// sheets (its schools, its records, and its rows counted as rows + rejected).
func receiveFile(t *testing.T, s *store.Store, name, runDate string, sheets ...sheet) {
	t.Helper()
	ctx := context.Background()
	sum := sha256.Sum256([]byte(name))
	ft, err := s.BeginFile(ctx, store.FileMeta{SHA256: hex.EncodeToString(sum[:]), Name: name, Size: 10,
		Received: time.Now(), DestPath: "archive/" + name, RunDate: pme.MustDate(runDate)})
	if err != nil {
		t.Fatalf("BeginFile: %v", err)
	}
	t.Cleanup(func() { ft.Rollback() })
	status := pme.FileAccepted
	for _, sh := range sheets {
		res := pme.SheetResult{Sheet: sh.name, ReturnType: sh.typ, HeaderRow: 1}
		if err := ft.StartSheet(res); err != nil {
			t.Fatalf("StartSheet: %v", err)
		}
		if err := ft.Records(sh.recs); err != nil {
			t.Fatalf("Records: %v", err)
		}
		res.Schools, res.Accepted = sh.schools, len(sh.recs)
		if len(sh.schools) == 1 {
			res.School = sh.schools[0]
		}
		for _, keys := range sh.rejected {
			res.Rejected += len(keys)
			status = pme.FilePartial
		}
		res.Rows = res.Accepted + res.Rejected
		if err := ft.EndSheet(res); err != nil {
			t.Fatalf("EndSheet: %v", err)
		}
	}
	if err := ft.Commit(status); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func TestReceipts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, ok, err := s.FirstReceived(ctx); ok || err != nil {
			t.Fatalf("FirstReceived on an empty store = %v, %v; want none", ok, err)
		}
		receiveFile(t, s, "old.csv", "2026-09-03", sheet{typ: pme.ReducedTimetable, schools: []string{schoolA},
			recs: []pme.Record{timetable(schoolA, ada, "2026-09-01", 10)}})
		receiveFile(t, s, "8012345_returns.xlsx", "2026-11-03",
			sheet{typ: pme.ReducedTimetable, schools: []string{schoolA}, recs: []pme.Record{timetable(schoolA, ada, "2026-09-01", 10)}},
			sheet{typ: pme.AlternativeProvision, schools: []string{schoolA}}, // a nil return
			sheet{typ: pme.Suspensions, schools: []string{schoolA}, rejected: map[string][]pme.PupilKey{schoolA: {bo.key()}}})
		// One sheet for two schools: each counts its own rows; schoolB has none, a nil return.
		receiveFile(t, s, "la-wide.csv", "2026-11-12", sheet{typ: pme.Suspensions, schools: []string{schoolA, schoolB},
			recs: []pme.Record{suspension(schoolA, cy, "2026-11-02", 2), suspension(schoolA, zoe, "2026-11-03", 2)}})
		// One reduced-timetable sheet for two schools: schoolB's only row was rejected, so it has
		// rows and none accepted (rejected-only), not a nil return.
		receiveFile(t, s, "trust-rt.csv", "2026-11-13", sheet{typ: pme.ReducedTimetable, schools: []string{schoolA, schoolB},
			recs: []pme.Record{timetable(schoolA, ada, "2026-09-01", 10)}, rejected: map[string][]pme.PupilKey{schoolB: {bo.key()}}})
		meta := store.FileMeta{SHA256: shaOf("8016789_returns.xls"), Name: "8016789_returns.xls", Received: time.Now(),
			RunDate: pme.MustDate("2026-11-20")}
		if err := s.RecordRejectedFile(ctx, meta, (&pme.FileError{Code: pme.CodeFileFormat, Message: "Send .xlsx."}).Issue(), nil); err != nil {
			t.Fatal(err)
		}
		// A trust's file refused for its columns, whose rows named two schools.
		meta = store.FileMeta{SHA256: shaOf("trust.csv"), Name: "trust.csv", Received: time.Now(), RunDate: pme.MustDate("2026-11-21")}
		if err := s.RecordRejectedFile(ctx, meta, (&pme.FileError{Code: pme.CodeFileMissingColumns, Message: "Add Hours Per Week."}).Issue(),
			[]string{schoolA, schoolB}); err != nil {
			t.Fatal(err)
		}

		got, err := s.Receipts(ctx, pme.MustDate("2026-10-01"))
		if err != nil {
			t.Fatalf("Receipts: %v", err)
		}
		var lines []string
		for _, r := range got {
			lines = append(lines, fmt.Sprintf("%s %s %s %d/%d", r.LAESTAB, r.Type, r.Received, r.Accepted, r.Rows))
		}
		sort.Strings(lines)
		want := []string{
			"8012345 alternative-provision 2026-11-03 0/0",
			"8012345 reduced-timetable 2026-11-03 1/1",
			"8012345 reduced-timetable 2026-11-13 1/1",
			"8012345 suspensions 2026-11-03 0/1",
			"8012345 suspensions 2026-11-12 2/2",
			"8016789 reduced-timetable 2026-11-13 0/1",
			"8016789 suspensions 2026-11-12 0/0",
		}
		if !reflect.DeepEqual(lines, want) {
			t.Fatalf("Receipts =\n%v\nwant\n%v", lines, want)
		}
		rej, err := s.RejectedFiles(ctx, pme.MustDate("2026-10-01"))
		if err != nil || len(rej) != 2 || rej[0].Name != "8016789_returns.xls" || rej[0].Code != pme.CodeFileFormat ||
			rej[0].Received != pme.MustDate("2026-11-20") || len(rej[0].Schools) != 0 {
			t.Fatalf("RejectedFiles = %+v, %v; want the .xls received 2026-11-20, then trust.csv", rej, err)
		}
		if r := rej[1]; r.Name != "trust.csv" || !reflect.DeepEqual(r.Schools, []string{schoolA, schoolB}) {
			t.Fatalf("RejectedFiles[1] = %+v, want trust.csv naming %s and %s", r, schoolA, schoolB)
		}
		if first, ok, err := s.FirstReceived(ctx); err != nil || !ok || first != pme.MustDate("2026-09-03") {
			t.Fatalf("FirstReceived = %s, %v, %v; want 2026-09-03", first, ok, err)
		}
		last, err := s.LastReceived(ctx)
		if err != nil || last[schoolA] != pme.MustDate("2026-11-13") || last[schoolB] != pme.MustDate("2026-11-13") {
			t.Fatalf("LastReceived = %v, %v", last, err)
		}
		kids, err := s.ChildrenOnLists(ctx)
		if err != nil || kids[schoolA] != 1 {
			t.Fatalf("ChildrenOnLists = %v, %v; want 1 at %s", kids, err, schoolA)
		}
	})
}

func TestChaseDrafts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		d := pme.ChaseDraft{LAESTAB: schoolA, Period: "2026-11", Drafted: pme.MustDate("2026-11-27"), To: "head@example.org",
			Types: []pme.ReturnType{pme.ReducedTimetable, pme.Suspensions}, File: "out/chase/2026-11-27/a.eml"}
		if ok, err := s.RecordChaseDraft(ctx, d); !ok || err != nil {
			t.Fatalf("RecordChaseDraft = %v, %v; want recorded", ok, err)
		}
		again := d
		again.File = "out/chase/2026-11-28/b.eml"
		if ok, err := s.RecordChaseDraft(ctx, again); ok || err != nil {
			t.Fatalf("second RecordChaseDraft = %v, %v; want nothing new", ok, err)
		}
		got, err := s.ChaseDrafts(ctx, "2026-11")
		if err != nil || !reflect.DeepEqual(got[schoolA], d) || len(got) != 1 {
			t.Fatalf("ChaseDrafts = %+v, %v; want %+v", got, err, d)
		}
		if got, _ := s.ChaseDrafts(ctx, "2026-12"); len(got) != 0 {
			t.Fatalf("ChaseDrafts(2026-12) = %v, want none", got)
		}
	})
}
