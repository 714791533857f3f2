package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"pme"
	"pme/ingest"
	"pme/store"
	"pme/store/storetest"
)

var _ ingest.Sink = (*store.FileTx)(nil)

// Synthetic pupils only.
const (
	schoolA = "8012345"
	schoolB = "8016789"
)

// upnFor builds a valid permanent UPN (DfE check letter) from a serial number.
func upnFor(serial int) string {
	return withCheckLetter(fmt.Sprintf("801234524%03d", serial))
}

// tempUPNFor builds a valid temporary UPN: its last character is a letter.
func tempUPNFor(serial int) string {
	return withCheckLetter(fmt.Sprintf("80123452%03dA", serial%1000))
}

func withCheckLetter(body string) string {
	const letters = "ABCDEFGHJKLMNPQRTUVWXYZ"
	sum := 0
	for i := 0; i < 12; i++ {
		c := body[i]
		v := int(c - '0')
		if c >= 'A' && c <= 'Z' {
			v = indexByte(letters, c)
		}
		sum += v * (i + 2)
	}
	return string(letters[sum%23]) + body
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return 0
}

type child struct {
	upn, surname, forename, dob string
}

func (c child) pupil() pme.Pupil {
	return pme.Pupil{UPN: c.upn, Surname: c.surname, Forename: c.forename, DOB: pme.MustDate(c.dob)}
}

func (c child) key() pme.PupilKey {
	return pme.PupilKey{UPN: c.upn, Surname: c.surname, Forename: c.forename, DOB: pme.MustDate(c.dob)}
}

var (
	ada   = child{upnFor(1), "Lovelace", "Ada", "2014-12-10"}
	bo    = child{upnFor(2), "Nguyễn", "Bảo", "2013-03-04"}
	cy    = child{upnFor(3), "O'Brien", "Cy", "2012-07-21"}
	zoe   = child{upnFor(4), "Łukasz", "Zoë", "2011-01-31"}
	tempy = child{tempUPNFor(5), "Testchild", "Tempa", "2015-05-05"}
)

func timetable(school string, c child, start string, hours float64) pme.Record {
	return pme.Record{Type: pme.ReducedTimetable, LAESTAB: school, Pupil: c.pupil(),
		Timetable: &pme.Timetable{StartDate: pme.MustDate(start), HoursPerWeek: hours, Reason: "MED"}}
}

func placement(school string, c child, provider string) pme.Record {
	return pme.Record{Type: pme.AlternativeProvision, LAESTAB: school, Pupil: c.pupil(),
		Placement: &pme.Placement{ProviderName: provider, StartDate: pme.MustDate("2026-01-05"), HoursAtProvider: 10}}
}

func suspension(school string, c child, start string, sessions int) pme.Record {
	return pme.Record{Type: pme.Suspensions, LAESTAB: school, Pupil: c.pupil(),
		Suspension: &pme.Suspension{Category: pme.CategorySuspension, StartDate: pme.MustDate(start), Sessions: sessions, Reason: "PP"}}
}

// sheet is one sheet to feed the sink: its records, its issues, and the pupils of its rejected rows.
type sheet struct {
	typ      pme.ReturnType
	name     string
	schools  []string
	recs     []pme.Record
	issues   []pme.Issue
	rejected map[string][]pme.PupilKey
}

var received = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// feed opens a file, feeds its sheets through the Sink methods and returns the open FileTx.
func feed(t *testing.T, s *store.Store, name string, sheets ...sheet) *store.FileTx {
	t.Helper()
	ctx := context.Background()
	sum := sha256.Sum256([]byte(name))
	ft, err := s.BeginFile(ctx, store.FileMeta{SHA256: hex.EncodeToString(sum[:]), Name: name, Size: 100,
		Received: received, DestPath: "archive/2026/03/" + name})
	if err != nil {
		t.Fatalf("BeginFile: %v", err)
	}
	// A test that fails with the file open must not leave its transaction holding locks: the
	// PostgreSQL schema's cleanup would wait for it for ever.
	t.Cleanup(func() { ft.Rollback() })
	for _, sh := range sheets {
		res := pme.SheetResult{Sheet: sh.name, ReturnType: sh.typ, HeaderRow: 1}
		if err := ft.StartSheet(res); err != nil {
			t.Fatalf("StartSheet: %v", err)
		}
		recs := make([]pme.Record, len(sh.recs))
		for i, r := range sh.recs {
			r.Sheet = sh.name
			if r.Row == 0 {
				r.Row = i + 2
			}
			recs[i] = r
		}
		// Two batches, the first slice clobbered afterwards, as the reader reuses its slice.
		half := len(recs) / 2
		first := append([]pme.Record(nil), recs[:half]...)
		if err := ft.Records(first); err != nil {
			t.Fatalf("Records: %v", err)
		}
		for i := range first {
			first[i] = pme.Record{}
		}
		if err := ft.Records(recs[half:]); err != nil {
			t.Fatalf("Records: %v", err)
		}
		if err := ft.Issues(sh.issues); err != nil {
			t.Fatalf("Issues: %v", err)
		}
		res.Schools, res.Accepted, res.RejectedPupils = sh.schools, len(recs), sh.rejected
		if len(sh.schools) == 1 {
			res.School = sh.schools[0]
		}
		for _, keys := range sh.rejected {
			res.Rejected += len(keys)
		}
		res.Rows = res.Accepted + res.Rejected
		if err := ft.EndSheet(res); err != nil {
			t.Fatalf("EndSheet: %v", err)
		}
	}
	return ft
}

// ingestFile feeds and commits a file.
func ingestFile(t *testing.T, s *store.Store, name string, sheets ...sheet) *store.FileTx {
	t.Helper()
	ft := feed(t, s, name, sheets...)
	if err := ft.Commit(pme.FileAccepted); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return ft
}

func shaOf(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

// pupilIDs maps UPNs to pupil ids.
func pupilIDs(t *testing.T, s *store.Store) map[string]int64 {
	t.Helper()
	ps, err := s.Pupils(context.Background())
	if err != nil {
		t.Fatalf("Pupils: %v", err)
	}
	ids := map[string]int64{}
	for _, p := range ps {
		ids[p.UPN] = p.ID
	}
	return ids
}

// currentTimetables describes the current timetables as "school upn hours[ stale]", sorted.
func currentTimetables(t *testing.T, s *store.Store) []string {
	t.Helper()
	upns := map[int64]string{}
	for upn, id := range pupilIDs(t, s) {
		upns[id] = upn
	}
	tts, err := s.CurrentTimetables(context.Background())
	if err != nil {
		t.Fatalf("CurrentTimetables: %v", err)
	}
	out := []string{}
	for _, tt := range tts {
		d := fmt.Sprintf("%s %s %g", tt.LAESTAB, upns[tt.PupilID], tt.HoursPerWeek)
		if tt.Stale {
			d += " stale"
		}
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

func want(lines ...string) []string {
	sort.Strings(lines)
	if lines == nil {
		return []string{}
	}
	return lines
}

func TestIngestCommitAndRollback(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		rt := sheet{typ: pme.ReducedTimetable, name: "Reduced timetables", schools: []string{schoolA},
			recs:   []pme.Record{timetable(schoolA, ada, "2026-01-05", 10), timetable(schoolA, bo, "2026-01-06", 12.5)},
			issues: []pme.Issue{{Sheet: "Reduced timetables", Row: 4, Column: "UPN", Value: "X", Code: pme.CodeUPNFormat, Severity: pme.SeverityError, Message: "m"}},
		}
		ft := feed(t, s, "rolled-back.csv", rt)
		if err := ft.Rollback(); err != nil {
			t.Fatalf("Rollback: %v", err)
		}
		if _, err := s.FindFile(ctx, shaOf("rolled-back.csv")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindFile after rollback: err = %v, want ErrNotFound", err)
		}
		if got := currentTimetables(t, s); len(got) != 0 {
			t.Fatalf("timetables after rollback = %v, want none", got)
		}
		if got := pupilIDs(t, s); len(got) != 0 {
			t.Fatalf("pupils after rollback = %v, want none", got)
		}

		ft = feed(t, s, "kept.csv", rt)
		if err := ft.Commit(pme.FilePartial); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		if err := ft.Rollback(); err != nil {
			t.Fatalf("Rollback after Commit: %v, want nil", err)
		}
		f, err := s.FindFile(ctx, shaOf("kept.csv"))
		if err != nil {
			t.Fatalf("FindFile: %v", err)
		}
		gotFile := fmt.Sprintf("%s %s %s %d/%d/%d %v", f.Name, f.Status, f.DestPath, f.Rows, f.Accepted, f.Rejected, f.Received.Equal(received))
		if wantFile := "kept.csv partial archive/2026/03/kept.csv 2/2/0 true"; gotFile != wantFile {
			t.Fatalf("file = %q, want %q", gotFile, wantFile)
		}
		if got, want := currentTimetables(t, s), want(schoolA+" "+ada.upn+" 10", schoolA+" "+bo.upn+" 12.5"); !reflect.DeepEqual(got, want) {
			t.Fatalf("timetables = %v, want %v", got, want)
		}
		issues, err := s.FileIssues(ctx, f.ID)
		if err != nil {
			t.Fatalf("FileIssues: %v", err)
		}
		if !reflect.DeepEqual(issues, rt.issues) {
			t.Fatalf("issues = %+v, want %+v", issues, rt.issues)
		}
		sheets, err := s.FileSheets(ctx, f.ID)
		if err != nil {
			t.Fatalf("FileSheets: %v", err)
		}
		wantSheet := pme.SheetResult{Sheet: "Reduced timetables", ReturnType: pme.ReducedTimetable, School: schoolA,
			Schools: []string{schoolA}, HeaderRow: 1, Rows: 2, Accepted: 2}
		if len(sheets) != 1 || !reflect.DeepEqual(sheets[0], wantSheet) {
			t.Fatalf("sheets = %+v, want [%+v]", sheets, wantSheet)
		}

		// The hash is unique: the same bytes cannot be stored twice.
		if _, err := s.BeginFile(ctx, store.FileMeta{SHA256: shaOf("kept.csv"), Name: "again.csv", Received: received}); err == nil {
			t.Fatalf("BeginFile with a stored hash: err = nil, want a unique violation")
		}
	})
}

func TestCommitStatus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ft := feed(t, s, "status.csv")
		if err := ft.Commit(pme.FileRejected); err == nil {
			t.Fatalf("Commit(rejected): err = nil, want an error")
		}
		if _, err := s.FindFile(context.Background(), shaOf("status.csv")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindFile after a refused commit: err = %v, want ErrNotFound", err)
		}
	})
}

func TestSnapshots(t *testing.T) {
	first := []sheet{
		{typ: pme.ReducedTimetable, name: "RT A", schools: []string{schoolA},
			recs: []pme.Record{timetable(schoolA, ada, "2026-01-05", 10), timetable(schoolA, bo, "2026-01-05", 11), timetable(schoolA, cy, "2026-01-05", 12)}},
		{typ: pme.ReducedTimetable, name: "RT B", schools: []string{schoolB},
			recs: []pme.Record{timetable(schoolB, zoe, "2026-01-05", 9), timetable(schoolB, cy, "2026-01-05", 8)}},
	}
	// Cy is at both schools with the same name and date of birth: only school A's row belongs to A.
	tests := []struct {
		name   string
		second sheet
		want   []string
	}{
		{"the newest sheet replaces the school's list",
			sheet{typ: pme.ReducedTimetable, name: "RT", schools: []string{schoolA},
				recs: []pme.Record{timetable(schoolA, ada, "2026-02-01", 15)}},
			want(schoolA+" "+ada.upn+" 15", schoolB+" "+zoe.upn+" 9", schoolB+" "+cy.upn+" 8")},
		{"a rejected row keeps the pupil's previous record, stale",
			sheet{typ: pme.ReducedTimetable, name: "RT", schools: []string{schoolA},
				recs:     []pme.Record{timetable(schoolA, ada, "2026-02-01", 15)},
				rejected: map[string][]pme.PupilKey{schoolA: {bo.key()}}},
			want(schoolA+" "+ada.upn+" 15", schoolA+" "+bo.upn+" 11 stale", schoolB+" "+zoe.upn+" 9", schoolB+" "+cy.upn+" 8")},
		{"a rejected row with an unusable UPN is matched by name and date of birth",
			sheet{typ: pme.ReducedTimetable, name: "RT", schools: []string{schoolA},
				rejected: map[string][]pme.PupilKey{schoolA: {{Surname: " o'brien ", Forename: "CY", DOB: pme.MustDate(cy.dob)}}}},
			want(schoolA+" "+cy.upn+" 12 stale", schoolB+" "+zoe.upn+" 9", schoolB+" "+cy.upn+" 8")},
		{"a rejected row with an unknown UPN falls back to name and date of birth",
			sheet{typ: pme.ReducedTimetable, name: "RT", schools: []string{schoolA},
				rejected: map[string][]pme.PupilKey{schoolA: {{UPN: upnFor(999), Surname: "Lovelace", Forename: "Ada", DOB: pme.MustDate(ada.dob)}}}},
			want(schoolA+" "+ada.upn+" 10 stale", schoolB+" "+zoe.upn+" 9", schoolB+" "+cy.upn+" 8")},
		{"a nil return closes the school's list",
			sheet{typ: pme.ReducedTimetable, name: "RT", schools: []string{schoolA}},
			want(schoolB+" "+zoe.upn+" 9", schoolB+" "+cy.upn+" 8")},
		{"a sheet for two schools replaces both lists",
			sheet{typ: pme.ReducedTimetable, name: "RT", schools: []string{schoolA, schoolB},
				recs: []pme.Record{timetable(schoolB, zoe, "2026-02-01", 20)}},
			want(schoolB + " " + zoe.upn + " 20")},
		{"another return type leaves the list alone",
			sheet{typ: pme.AlternativeProvision, name: "AP", schools: []string{schoolA},
				recs: []pme.Record{placement(schoolA, ada, "Synthetic Skills Centre")}},
			want(schoolA+" "+ada.upn+" 10", schoolA+" "+bo.upn+" 11", schoolA+" "+cy.upn+" 12", schoolB+" "+zoe.upn+" 9", schoolB+" "+cy.upn+" 8")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				ingestFile(t, s, "first.xlsx", first...)
				ingestFile(t, s, "second.xlsx", tc.second)
				if got := currentTimetables(t, s); !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("current timetables =\n%v\nwant\n%v", got, tc.want)
				}
			})
		})
	}
}

// TestSheetsOfOneFile stores a file of several sheets, two of them lists of the same school: the
// later list replaces the earlier, and every sheet's row comes back in order with its counts.
func TestSheetsOfOneFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ingestFile(t, s, "first.xlsx",
			sheet{typ: pme.ReducedTimetable, name: "RT 1", schools: []string{schoolA},
				recs: []pme.Record{timetable(schoolA, ada, "2026-01-05", 10), timetable(schoolA, bo, "2026-01-05", 11)}},
			sheet{typ: pme.Suspensions, name: "Suspensions", schools: []string{schoolA},
				recs: []pme.Record{suspension(schoolA, ada, "2026-01-10", 2)}},
			sheet{typ: pme.ReducedTimetable, name: "RT 2", schools: []string{schoolA},
				recs: []pme.Record{timetable(schoolA, cy, "2026-01-05", 12)}})
		ingestFile(t, s, "second.xlsx",
			sheet{typ: pme.AlternativeProvision, name: "AP", schools: []string{schoolB},
				recs: []pme.Record{placement(schoolB, zoe, "Provider")}},
			sheet{typ: pme.ReducedTimetable, name: "RT", schools: []string{schoolB}})
		if got, want := currentTimetables(t, s), want(schoolA+" "+cy.upn+" 12"); !reflect.DeepEqual(got, want) {
			t.Fatalf("current timetables = %v, want %v", got, want)
		}
		if got, want := events(t, s), want(schoolA+" "+ada.upn+" 2026-01-10 2"); !reflect.DeepEqual(got, want) {
			t.Fatalf("events = %v, want %v", got, want)
		}
		wantSheets := map[string][]string{
			"first.xlsx":  {"RT 1 reduced-timetable 2/2/0", "Suspensions suspensions 1/1/0", "RT 2 reduced-timetable 1/1/0"},
			"second.xlsx": {"AP alternative-provision 1/1/0", "RT reduced-timetable 0/0/0"},
		}
		for name, wantSheets := range wantSheets {
			f, err := s.FindFile(ctx, shaOf(name))
			if err != nil {
				t.Fatalf("FindFile: %v", err)
			}
			sheets, err := s.FileSheets(ctx, f.ID)
			if err != nil {
				t.Fatalf("FileSheets: %v", err)
			}
			var got []string
			for _, sh := range sheets {
				got = append(got, fmt.Sprintf("%s %s %d/%d/%d", sh.Sheet, sh.ReturnType, sh.Rows, sh.Accepted, sh.Rejected))
			}
			if !reflect.DeepEqual(got, wantSheets) {
				t.Fatalf("%s sheets = %v, want %v", name, got, wantSheets)
			}
		}
	})
}

// TestLargeSnapshotReplacesTheList replaces a school's list of more rows than a small batch with one
// of more rows than a flush: lists of any size are written, and retired, the same way.
func TestLargeSnapshotReplacesTheList(t *testing.T) {
	list := func(n int, hours float64) []pme.Record {
		recs := make([]pme.Record, n)
		for i := range recs {
			c := child{upnFor(i % 700), "Surname", fmt.Sprintf("F%d", i%700), "2013-01-01"}
			recs[i] = timetable(schoolA, c, pme.MustDate("2025-09-01").AddDays(i/700).String(), hours)
		}
		return recs
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ingestFile(t, s, "1.csv", sheet{typ: pme.ReducedTimetable, schools: []string{schoolA}, recs: list(1500, 10)},
			sheet{typ: pme.ReducedTimetable, schools: []string{schoolB}, recs: []pme.Record{timetable(schoolB, zoe, "2026-01-05", 9)}})
		ingestFile(t, s, "2.csv", sheet{typ: pme.ReducedTimetable, schools: []string{schoolA}, recs: list(5600, 20)})
		tts, err := s.CurrentTimetables(context.Background())
		if err != nil {
			t.Fatalf("CurrentTimetables: %v", err)
		}
		byHours := map[float64]int{}
		for _, tt := range tts {
			byHours[tt.HoursPerWeek]++
		}
		if want := map[float64]int{20: 5600, 9: 1}; !reflect.DeepEqual(byHours, want) {
			t.Fatalf("current timetables by hours = %v, want %v", byHours, want)
		}
	})
}

func TestStaleRowsGoWhenThePupilIsAcceptedAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ingestFile(t, s, "1.csv", sheet{typ: pme.ReducedTimetable, schools: []string{schoolA},
			recs: []pme.Record{timetable(schoolA, ada, "2026-01-05", 10), timetable(schoolA, bo, "2026-01-05", 11)}})
		ingestFile(t, s, "2.csv", sheet{typ: pme.ReducedTimetable, schools: []string{schoolA},
			recs: []pme.Record{timetable(schoolA, ada, "2026-01-05", 10)}, rejected: map[string][]pme.PupilKey{schoolA: {bo.key()}}})
		ingestFile(t, s, "3.csv", sheet{typ: pme.ReducedTimetable, schools: []string{schoolA},
			recs: []pme.Record{timetable(schoolA, ada, "2026-01-05", 10)}, rejected: map[string][]pme.PupilKey{schoolA: {bo.key()}}})
		if got, want := currentTimetables(t, s), want(schoolA+" "+ada.upn+" 10", schoolA+" "+bo.upn+" 11 stale"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after two rejections: %v, want %v", got, want)
		}
		ingestFile(t, s, "4.csv", sheet{typ: pme.ReducedTimetable, schools: []string{schoolA},
			recs: []pme.Record{timetable(schoolA, ada, "2026-01-05", 10), timetable(schoolA, bo, "2026-01-05", 14)}})
		if got, want := currentTimetables(t, s), want(schoolA+" "+ada.upn+" 10", schoolA+" "+bo.upn+" 14"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after acceptance: %v, want %v", got, want)
		}
	})
}

func TestPlacementSnapshot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ingestFile(t, s, "ap1.csv", sheet{typ: pme.AlternativeProvision, schools: []string{schoolA},
			recs: []pme.Record{placement(schoolA, ada, "Old Provider"), placement(schoolA, bo, "Old Provider")}})
		ingestFile(t, s, "ap2.csv", sheet{typ: pme.AlternativeProvision, schools: []string{schoolA},
			recs: []pme.Record{placement(schoolA, ada, "New Provider")}, rejected: map[string][]pme.PupilKey{schoolA: {bo.key()}}})
		pls, err := s.CurrentPlacements(ctx)
		if err != nil {
			t.Fatalf("CurrentPlacements: %v", err)
		}
		var got []string
		for _, p := range pls {
			got = append(got, fmt.Sprintf("%s %v %s", p.ProviderName, p.Stale, p.StartDate))
		}
		sort.Strings(got)
		if want := []string{"New Provider false 2026-01-05", "Old Provider true 2026-01-05"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("placements = %v, want %v", got, want)
		}
	})
}

// events describes the stored suspensions as "school upn start sessions", sorted.
func events(t *testing.T, s *store.Store) []string {
	t.Helper()
	upns := map[int64]string{}
	for upn, id := range pupilIDs(t, s) {
		upns[id] = upn
	}
	ss, err := s.Suspensions(context.Background())
	if err != nil {
		t.Fatalf("Suspensions: %v", err)
	}
	out := []string{}
	for _, e := range ss {
		out = append(out, fmt.Sprintf("%s %s %s %d", e.LAESTAB, upns[e.PupilID], e.StartDate, e.Sessions))
	}
	sort.Strings(out)
	return out
}

func TestEventsUpdateInPlaceAndAreNeverRemoved(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ingestFile(t, s, "s1.csv", sheet{typ: pme.Suspensions, schools: []string{schoolA}, recs: []pme.Record{
			suspension(schoolA, ada, "2026-01-10", 2), suspension(schoolA, bo, "2026-01-11", 3)}})
		// Re-sent with more sessions, twice in one sheet (the last row wins), plus a new event.
		ingestFile(t, s, "s2.csv", sheet{typ: pme.Suspensions, schools: []string{schoolA}, recs: []pme.Record{
			suspension(schoolA, ada, "2026-01-10", 4), suspension(schoolA, ada, "2026-01-10", 6), suspension(schoolA, ada, "2026-02-01", 1)}})
		// Another school's event for the same pupil on the same day is another event.
		ingestFile(t, s, "s3.csv", sheet{typ: pme.Suspensions, schools: []string{schoolB}, recs: []pme.Record{
			suspension(schoolB, ada, "2026-01-10", 2)}})
		want := want(schoolA+" "+ada.upn+" 2026-01-10 6", schoolA+" "+bo.upn+" 2026-01-11 3",
			schoolA+" "+ada.upn+" 2026-02-01 1", schoolB+" "+ada.upn+" 2026-01-10 2")
		if got := events(t, s); !reflect.DeepEqual(got, want) {
			t.Fatalf("events =\n%v\nwant\n%v", got, want)
		}
	})
}

func TestManyRowsAcrossFlushes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		const n = 12_000 // more than two flushes
		recs := make([]pme.Record, 0, n)
		for i := 0; i < n; i++ {
			c := child{upnFor(i % 700), "Surname", fmt.Sprintf("F%d", i%700), "2013-01-01"}
			recs = append(recs, suspension(schoolA, c, pme.MustDate("2025-09-01").AddDays(i/700).String(), 1+i%5))
		}
		// Then 500 rows re-send events of the first batch with other sessions, and 10 re-send
		// events of their own batch: still one row each, the last.
		resend := func(i, sessions int) {
			r := recs[i]
			r.Suspension = &pme.Suspension{Category: pme.CategorySuspension, StartDate: r.Suspension.StartDate, Sessions: sessions, Reason: "PP"}
			recs = append(recs, r)
		}
		for i := 0; i < 500; i++ {
			resend(i, 9)
		}
		for i := n - 10; i < n; i++ {
			resend(i, 8)
		}
		ingestFile(t, s, "big.csv", sheet{typ: pme.Suspensions, schools: []string{schoolA}, recs: recs})
		ss, err := s.Suspensions(context.Background())
		if err != nil {
			t.Fatalf("Suspensions: %v", err)
		}
		nine, eight := 0, 0
		for _, e := range ss {
			switch e.Sessions {
			case 9:
				nine++
			case 8:
				eight++
			}
		}
		if len(ss) != n || nine != 500 || eight != 10 {
			t.Fatalf("events = %d with 9 sessions %d, with 8 %d; want %d, 500 and 10", len(ss), nine, eight, n)
		}
		if got := len(pupilIDs(t, s)); got != 700 {
			t.Fatalf("pupils = %d, want 700", got)
		}
	})
}

// bigSuspensions is a file of n events of 700 pupils, each with the given sessions.
func bigSuspensions(n, sessions int) []pme.Record {
	recs := make([]pme.Record, n)
	for i := range recs {
		c := child{upnFor(i % 700), "Surname", fmt.Sprintf("F%d", i%700), "2013-01-01"}
		recs[i] = suspension(schoolA, c, pme.MustDate("2025-09-01").AddDays(i/700).String(), sessions)
	}
	return recs
}

// TestLargeFilesIntoAnEmptyTable stores a large file of events into an empty table, which loads
// it before making the table's key, then re-sends it: the key is back, and the re-sent events
// update the stored ones. On PostgreSQL, a reader of the table makes the first file go the usual
// way rather than wait.
func TestLargeFilesIntoAnEmptyTable(t *testing.T) {
	const n = 6000
	count := func(t *testing.T, s *store.Store, sessions int) {
		t.Helper()
		ss, err := s.Suspensions(context.Background())
		if err != nil {
			t.Fatalf("Suspensions: %v", err)
		}
		with := 0
		for _, e := range ss {
			if e.Sessions == sessions {
				with++
			}
		}
		if len(ss) != n || with != n {
			t.Fatalf("events = %d, %d of them with %d sessions, want %d and %d", len(ss), with, sessions, n, n)
		}
	}
	for _, reader := range []bool{false, true} {
		t.Run(fmt.Sprintf("reader %v", reader), func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				if reader {
					if s.Backend() != store.Postgres {
						t.Skip("one connection: a reader would hold it")
					}
					tx, err := s.DB().Beginx()
					if err != nil {
						t.Fatalf("Begin: %v", err)
					}
					defer tx.Rollback()
					var k int
					if err := tx.Get(&k, `SELECT count(*) FROM suspension`); err != nil {
						t.Fatalf("read suspensions: %v", err)
					}
				}
				ingestFile(t, s, "first.csv", sheet{typ: pme.Suspensions, schools: []string{schoolA}, recs: bigSuspensions(n, 1)})
				count(t, s, 1)
				ingestFile(t, s, "again.csv", sheet{typ: pme.Suspensions, schools: []string{schoolA}, recs: bigSuspensions(n, 2)})
				count(t, s, 2)
			})
		})
	}
}

// TestEventsNumberedInABulkLoad loads a large file into an empty table, with an event listed
// again in a later batch (the later row wins), and then a small file of new events: on
// PostgreSQL the first file numbers its events itself (see eventNumbers), and the second's, taken
// from the sequence, come after them, every id distinct.
func TestEventsNumberedInABulkLoad(t *testing.T) {
	const n = 12000
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		recs := bigSuspensions(n, 1)
		again := recs[3]
		again.Suspension = &pme.Suspension{Category: again.Suspension.Category, StartDate: again.Suspension.StartDate,
			Sessions: 7, Reason: "PP"}
		recs = append(recs, again) // in the third batch; recs[3] is in the first
		ingestFile(t, s, "first.csv", sheet{typ: pme.Suspensions, schools: []string{schoolA}, recs: recs})
		more := []pme.Record{suspension(schoolA, child{upnFor(1), "Surname", "F1", "2013-01-01"}, "2027-01-04", 2),
			suspension(schoolA, child{upnFor(900), "Surname", "F900", "2013-01-01"}, "2027-01-04", 2)}
		ingestFile(t, s, "more.csv", sheet{typ: pme.Suspensions, schools: []string{schoolA}, recs: more})
		var got struct {
			Rows     int   `db:"rows"`
			Distinct int   `db:"ids"`
			Sevens   int   `db:"sevens"`
			MaxBulk  int64 `db:"max_bulk"`
			MinMore  int64 `db:"min_more"`
		}
		q := `SELECT COUNT(*) AS rows, COUNT(DISTINCT id) AS ids,
			COUNT(*) FILTER (WHERE sessions = 7) AS sevens,
			MAX(id) FILTER (WHERE sessions <> 2) AS max_bulk, MIN(id) FILTER (WHERE sessions = 2) AS min_more
			FROM suspension`
		if err := s.DB().Get(&got, q); err != nil {
			t.Fatalf("read events: %v", err)
		}
		if got.Rows != n+2 || got.Distinct != n+2 || got.Sevens != 1 || got.MinMore <= got.MaxBulk {
			t.Fatalf("events: %+v, want %d rows with distinct ids, one with 7 sessions, the small file's ids after the large one's", got, n+2)
		}
	})
}

// TestManyPupilsChange re-sends a list of more pupils than a small batch, each with a new NC year:
// every pupil is updated.
func TestManyPupilsChange(t *testing.T) {
	list := func(year string) []pme.Record {
		recs := make([]pme.Record, 1500)
		for i := range recs {
			c := child{withCheckLetter(fmt.Sprintf("80123452%04d", i)), "Surname", fmt.Sprintf("F%d", i), "2013-01-01"}
			recs[i] = placement(schoolA, c, "Provider")
			recs[i].Pupil.NCYear = year
		}
		return recs
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ingestFile(t, s, "1.csv", sheet{typ: pme.AlternativeProvision, schools: []string{schoolA}, recs: list("7")})
		ingestFile(t, s, "2.csv", sheet{typ: pme.AlternativeProvision, schools: []string{schoolA}, recs: list("8")})
		ps, err := s.Pupils(context.Background())
		if err != nil {
			t.Fatalf("Pupils: %v", err)
		}
		years := map[string]int{}
		for _, p := range ps {
			years[p.NCYear]++
		}
		if want := map[string]int{"8": 1500}; !reflect.DeepEqual(years, want) {
			t.Fatalf("pupils by NC year = %v, want %v", years, want)
		}
	})
}

func TestDetailsChanged(t *testing.T) {
	tests := []struct {
		name      string
		change    func(p *pme.Pupil)
		want      []string // column value message
		wantPupil string
	}{
		{"surname", func(p *pme.Pupil) { p.Surname = "Byron" },
			[]string{"Surname|Byron|This UPN was returned before with a different surname; the details in this return are now used. Check the UPN is right."},
			"Byron Ada 2014-12-10 F 5 E"},
		{"date of birth", func(p *pme.Pupil) { p.DOB = pme.MustDate("2014-12-11") },
			[]string{"Date of Birth|11/12/2014|This UPN was returned before with a different date of birth; the details in this return are now used. Check the UPN is right."},
			"Lovelace Ada 2014-12-11 F 5 E"},
		{"several details", func(p *pme.Pupil) { p.Forename = "Augusta"; p.DOB = pme.MustDate("2015-12-10") },
			[]string{"UPN|" + ada.upn + "|This UPN was returned before with a different forename and date of birth; the details in this return are now used. Check the UPN is right."},
			"Lovelace Augusta 2015-12-10 F 5 E"},
		{"case and spacing only: no warning, new spelling kept", func(p *pme.Pupil) { p.Surname = " LOVELACE" },
			nil, " LOVELACE Ada 2014-12-10 F 5 E"},
		{"blank gender, year and SEN keep the known ones; new ones win", func(p *pme.Pupil) { p.Gender = ""; p.NCYear = "6"; p.SEN = "" },
			nil, "Lovelace Ada 2014-12-10 F 6 E"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				ctx := context.Background()
				first := suspension(schoolA, ada, "2026-01-10", 2)
				first.Pupil.Gender, first.Pupil.NCYear, first.Pupil.SEN = "F", "5", "E"
				ingestFile(t, s, "d1.csv", sheet{typ: pme.Suspensions, name: "S", recs: []pme.Record{first}})
				second := suspension(schoolA, ada, "2026-02-10", 2)
				second.Pupil.Gender, second.Pupil.NCYear, second.Pupil.SEN = "F", "5", "E"
				tc.change(&second.Pupil)
				second.Row = 7
				ft := ingestFile(t, s, "d2.csv", sheet{typ: pme.Suspensions, name: "S", recs: []pme.Record{second}})
				var got []string
				for _, is := range ft.StoreIssues() {
					if is.Code != pme.CodeDetailsChanged || is.Severity != pme.SeverityWarning || is.Sheet != "S" || is.Row != 7 {
						t.Fatalf("issue = %+v, want a DETAILS_CHANGED warning at S row 7", is)
					}
					got = append(got, is.Column+"|"+is.Value+"|"+is.Message)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("issues =\n%q\nwant\n%q", got, tc.want)
				}
				f, err := s.FindFile(ctx, shaOf("d2.csv"))
				if err != nil {
					t.Fatalf("FindFile: %v", err)
				}
				stored, err := s.FileIssues(ctx, f.ID)
				if err != nil {
					t.Fatalf("FileIssues: %v", err)
				}
				if len(stored) != len(tc.want) {
					t.Fatalf("stored issues = %+v, want %d", stored, len(tc.want))
				}
				ps, err := s.Pupils(ctx)
				if err != nil {
					t.Fatalf("Pupils: %v", err)
				}
				if len(ps) != 1 {
					t.Fatalf("pupils = %d, want 1 (one child per UPN)", len(ps))
				}
				p := ps[0]
				if got := fmt.Sprintf("%s %s %s %s %s %s", p.Surname, p.Forename, p.DOB, p.Gender, p.NCYear, p.SEN); got != tc.wantPupil {
					t.Fatalf("pupil = %q, want %q", got, tc.wantPupil)
				}
			})
		})
	}
}

func TestDetailsChangedWithinOneFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := suspension(schoolA, ada, "2026-01-10", 2)
		b := suspension(schoolA, ada, "2026-01-12", 2)
		b.Pupil.Surname = "Byron"
		ft := ingestFile(t, s, "one.csv", sheet{typ: pme.Suspensions, recs: []pme.Record{a, b}})
		if got := ft.StoreIssues(); len(got) != 1 || got[0].Row != 3 || got[0].Column != "Surname" {
			t.Fatalf("issues = %+v, want one on row 3 naming Surname", got)
		}
	})
}

func TestTemporaryUPNIsLinked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		// Returned with a temporary UPN by school A: a timetable, and a suspension also re-sent later.
		ingestFile(t, s, "t1.csv",
			sheet{typ: pme.ReducedTimetable, schools: []string{schoolA}, recs: []pme.Record{timetable(schoolA, tempy, "2026-01-05", 10)}},
			sheet{typ: pme.Suspensions, recs: []pme.Record{suspension(schoolA, tempy, "2026-01-10", 2), suspension(schoolA, tempy, "2026-01-20", 1)}})
		tempID := pupilIDs(t, s)[tempy.upn]
		// School B returns a child with the same details and another temporary UPN: not linked.
		other := tempy
		other.upn = tempUPNFor(6)
		ingestFile(t, s, "t2.csv", sheet{typ: pme.Suspensions, recs: []pme.Record{suspension(schoolB, other, "2026-01-15", 2)}})

		// School A now returns the child with a permanent UPN (names in another case and spacing).
		perm := child{upnFor(50), " TESTCHILD", "tempa ", tempy.dob}
		ingestFile(t, s, "t3.csv", sheet{typ: pme.Suspensions, recs: []pme.Record{suspension(schoolA, perm, "2026-01-20", 4)}})

		ps, err := s.Pupils(ctx)
		if err != nil {
			t.Fatalf("Pupils: %v", err)
		}
		var got []string
		for _, p := range ps {
			got = append(got, fmt.Sprintf("%s %v", p.UPN, p.FormerUPNs))
		}
		sort.Strings(got)
		want := want(perm.upn+" ["+tempy.upn+"]", other.upn+" []")
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("pupils = %v, want %v", got, want)
		}
		ids := pupilIDs(t, s)
		if _, ok := ids[tempy.upn]; ok || ids[perm.upn] == tempID {
			t.Fatalf("temporary pupil %d still there or reused: %v", tempID, ids)
		}
		if got, want := currentTimetables(t, s), []string{schoolA + " " + perm.upn + " 10"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("timetables = %v, want %v", got, want)
		}
		wantEvents := []string{schoolA + " " + perm.upn + " 2026-01-10 2", schoolA + " " + perm.upn + " 2026-01-20 4",
			schoolB + " " + other.upn + " 2026-01-15 2"}
		if got := events(t, s); !reflect.DeepEqual(got, wantEvents) {
			t.Fatalf("events = %v, want %v", got, wantEvents)
		}

		// A later return with the temporary UPN counts for the child.
		ingestFile(t, s, "t4.csv", sheet{typ: pme.Suspensions, recs: []pme.Record{suspension(schoolA, tempy, "2026-03-01", 2)}})
		if got := len(pupilIDs(t, s)); got != 2 {
			t.Fatalf("pupils after a return under the former UPN = %d, want 2", got)
		}
		if got := events(t, s); len(got) != 4 || got[2] != schoolA+" "+perm.upn+" 2026-03-01 2" {
			t.Fatalf("events = %v, want the new one under %s", got, perm.upn)
		}
	})
}

func TestTemporaryUPNLinkedWithinOneFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		perm := child{upnFor(51), tempy.surname, tempy.forename, tempy.dob}
		ingestFile(t, s, "both.csv", sheet{typ: pme.Suspensions, recs: []pme.Record{
			suspension(schoolA, tempy, "2026-01-10", 2), suspension(schoolA, perm, "2026-01-11", 2)}})
		ps, err := s.Pupils(context.Background())
		if err != nil {
			t.Fatalf("Pupils: %v", err)
		}
		if len(ps) != 1 || ps[0].UPN != perm.upn || !reflect.DeepEqual(ps[0].FormerUPNs, []string{tempy.upn}) {
			t.Fatalf("pupils = %+v, want %s with former %s", ps, perm.upn, tempy.upn)
		}
	})
}

// TestAwkwardValuesRoundTrip stores values that COPY's text format must escape (tab, newline,
// carriage return, backslash, a literal \N), fractional hours and no dates, and reads them back
// unchanged: on PostgreSQL the store writes COPY text itself, and array literals for small
// batches. Padded with more rows, the batch is large enough to be copied.
func TestAwkwardValuesRoundTrip(t *testing.T) {
	for _, pad := range []int{0, 1500} {
		t.Run(fmt.Sprintf("with %d more rows", pad), func(t *testing.T) { testAwkwardValues(t, pad) })
	}
}

func testAwkwardValues(t *testing.T, pad int) {
	awkward := []string{"Tab\there", "Line\nbreak", "Carriage\rreturn", `Back\slash`, `\N`, `\\N`, "Ünïcødé 🙂", ""}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var recs []pme.Record
		var issues []pme.Issue
		for i, v := range awkward {
			c := child{upnFor(100 + i), "Sur" + v, v, "2014-01-02"}
			r := placement(schoolA, c, v)
			r.Placement.HoursAtProvider, r.Placement.HoursAtSchool = 12.5+float64(i)/10, 1.0/3
			r.Placement.StartDate = pme.Date{}
			recs = append(recs, r)
			issues = append(issues, pme.Issue{Row: i + 2, Column: "Provider Name", Value: v, Code: "X",
				Severity: pme.SeverityWarning, Message: v})
		}
		for j := 0; j < pad; j++ {
			recs = append(recs, placement(schoolA, child{upnFor(200 + j%500), "Pad", "Pad", "2014-01-02"}, "Pad provider"))
		}
		ft := ingestFile(t, s, "awkward.csv", sheet{typ: pme.AlternativeProvision, schools: []string{schoolA},
			recs: recs, issues: issues})
		pls, err := s.CurrentPlacements(ctx)
		if err != nil {
			t.Fatalf("CurrentPlacements: %v", err)
		}
		got := map[string]pme.StoredPlacement{}
		for _, p := range pls {
			got[p.ProviderName] = p
		}
		for i, v := range awkward {
			p, ok := got[v]
			if !ok {
				t.Fatalf("placement with provider %q not stored; got %v", v, pls)
			}
			if want := 12.5 + float64(i)/10; p.HoursAtProvider != want || p.HoursAtSchool != 1.0/3 {
				t.Errorf("provider %q hours = %v, %v, want %v, %v", v, p.HoursAtProvider, p.HoursAtSchool, want, 1.0/3)
			}
			if !p.StartDate.IsZero() {
				t.Errorf("provider %q start date = %v, want none", v, p.StartDate)
			}
		}
		pupils, err := s.Pupils(ctx)
		if err != nil {
			t.Fatalf("Pupils: %v", err)
		}
		names := map[string]string{}
		for _, p := range pupils {
			names[p.UPN] = p.Surname + "|" + p.Forename
		}
		for i, v := range awkward {
			if got, want := names[upnFor(100+i)], "Sur"+v+"|"+v; got != want {
				t.Errorf("pupil %d name = %q, want %q", i, got, want)
			}
		}
		stored, err := s.FileIssues(ctx, ft.FileID())
		if err != nil {
			t.Fatalf("FileIssues: %v", err)
		}
		if len(stored) != len(awkward) {
			t.Fatalf("issues = %d, want %d", len(stored), len(awkward))
		}
		for i, is := range stored {
			if is.Value != awkward[i] || is.Message != awkward[i] {
				t.Errorf("issue %d = %q / %q, want %q", i, is.Value, is.Message, awkward[i])
			}
		}
	})
}

// TestRefusedCopyFailsTheFile: a COPY that the PostgreSQL writer queued and the server refused
// (new pupils, one of which another connection stored after the file began) fails the file at its
// next statement, and nothing of the file is stored.
func TestRefusedCopyFailsTheFile(t *testing.T) {
	s := storetest.Open(t, storetest.Postgres(t))
	ctx := context.Background()
	ft, err := s.BeginFile(ctx, store.FileMeta{SHA256: shaOf("refused.csv"), Name: "refused.csv", Size: 100,
		Received: received, DestPath: "archive/2026/03/refused.csv"})
	if err != nil {
		t.Fatalf("BeginFile: %v", err)
	}
	t.Cleanup(func() { ft.Rollback() })
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO pupil (upn, surname, forename, name_key, file_id)
		VALUES ($1, 'Other', 'Pupil', 'other|pupil', 0)`, upnFor(0)); err != nil {
		t.Fatalf("store a pupil beside the file: %v", err)
	}
	recs := bigSuspensions(12_000, 1) // batches large enough to be copied
	for i := range recs {
		recs[i].Sheet, recs[i].Row = "Suspensions", i+2
	}
	err = ft.StartSheet(pme.SheetResult{Sheet: "Suspensions", ReturnType: pme.Suspensions, HeaderRow: 1})
	if err == nil {
		err = ft.Records(recs)
	}
	if err == nil {
		err = ft.EndSheet(pme.SheetResult{Sheet: "Suspensions", ReturnType: pme.Suspensions, HeaderRow: 1,
			Rows: len(recs), Accepted: len(recs), Schools: []string{schoolA}})
	}
	if err == nil {
		err = ft.Commit(pme.FileAccepted)
	}
	var pqErr interface{ SQLState() string }
	if !errors.As(err, &pqErr) || pqErr.SQLState() != "23505" {
		t.Fatalf("ingesting = %v, want the refused COPY's duplicate key", err)
	}
	if err := ft.Rollback(); err != nil {
		t.Fatalf("Rollback: %v", err)
	}
	if got := pupilIDs(t, s); len(got) != 1 {
		t.Errorf("pupils = %d, want only the one stored beside the file", len(got))
	}
	if got := events(t, s); len(got) != 0 {
		t.Errorf("events = %d, want none", len(got))
	}
}

// TestPupilsBeyondTheCache: a file of more pupils than the store keeps in memory, each pupil's
// rows together but cut by the batches, and 100 pupils returned again at the end: every event is
// its own pupil's, and no pupil is stored twice.
func TestPupilsBeyondTheCache(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		const pupils = 26_000
		kid := func(i int) child {
			return child{withCheckLetter(fmt.Sprintf("8012%08d", i)), "Surname", fmt.Sprintf("F%d", i), "2013-01-01"}
		}
		var recs []pme.Record
		var want []string
		add := func(i int, day string) {
			recs = append(recs, suspension(schoolA, kid(i), day, 1))
			want = append(want, schoolA+" "+kid(i).upn+" "+day+" 1")
		}
		add(0, "2026-01-02") // one row first, so that batches cut between a pupil's two rows
		for i := 0; i < pupils; i++ {
			add(i, "2026-01-05")
			add(i, "2026-01-06")
		}
		for i := 0; i < 100; i++ {
			add(i, "2026-02-02")
		}
		ingestFile(t, s, "many.csv", sheet{typ: pme.Suspensions, schools: []string{schoolA}, recs: recs})
		sort.Strings(want)
		got := events(t, s)
		if len(got) != len(want) {
			t.Fatalf("events = %d, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("event %d = %q, want %q", i, got[i], want[i])
			}
		}
		if n := len(pupilIDs(t, s)); n != pupils {
			t.Fatalf("pupils = %d, want %d", n, pupils)
		}
	})
}

// TestFirstLoads stores large first loads, which PostgreSQL copies into pupil without its UPN key
// and makes the key at the end (or sooner, when something needs it): pupils who come back after
// the cache forgot them in more batches than it looks up without the key, a pupil whose details
// change within the file, and a load rolled back. Each is then followed by a file of new pupils,
// whose ids must not meet those the first load reserved, and the UPN key must be back.
func TestFirstLoads(t *testing.T) {
	kid := func(i int) child {
		return child{withCheckLetter(fmt.Sprintf("8013%08d", i)), "Surname", fmt.Sprintf("F%d", i), "2013-01-01"}
	}
	type file struct {
		recs []pme.Record
		want []string // events
	}
	add := func(f *file, school string, c child, day string) {
		f.recs = append(f.recs, suspension(school, c, day, 1))
		f.want = append(f.want, school+" "+c.upn+" "+day+" 1")
	}
	returning := func() file {
		var f file
		for i := 0; i < 26_000; i++ { // more than the cache holds
			add(&f, schoolA, kid(i), "2026-01-05")
		}
		for b := 0; b < 12; b++ { // twelve batches of pupils the cache has forgotten
			for i := 0; i < 5000; i++ {
				add(&f, schoolA, kid((b*5000+i)%26_000), pme.MustDate("2026-02-02").AddDays(b).String())
			}
		}
		return f
	}
	changing := func() file {
		var f file
		for i := 0; i < 12_000; i++ {
			add(&f, schoolA, kid(i), "2026-01-05")
		}
		c := kid(7)
		f.recs = append(f.recs, suspension(schoolA, c, "2026-01-06", 1))
		f.recs[len(f.recs)-1].Pupil.NCYear = "9"
		f.want = append(f.want, schoolA+" "+c.upn+" 2026-01-06 1")
		return f
	}
	later := file{}
	add(&later, schoolB, kid(900_001), "2026-03-02")
	add(&later, schoolB, kid(900_002), "2026-03-02")
	for _, tc := range []struct {
		name     string
		file     file
		rollback bool
		ncYear7  string // pupil 7's NC year after the file, when the file sets it
	}{
		{"pupils come back", returning(), false, ""},
		{"details change", changing(), false, "9"},
		{"rolled back", returning(), true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				sh := sheet{typ: pme.Suspensions, schools: []string{schoolA}, recs: tc.file.recs}
				want := append([]string(nil), later.want...)
				if tc.rollback {
					ft := feed(t, s, "first.csv", sh)
					if err := ft.Rollback(); err != nil {
						t.Fatalf("Rollback: %v", err)
					}
				} else {
					ingestFile(t, s, "first.csv", sh)
					want = append(want, tc.file.want...)
				}
				ingestFile(t, s, "later.csv", sheet{typ: pme.Suspensions, schools: []string{schoolB}, recs: later.recs})
				sort.Strings(want)
				if got := events(t, s); !reflect.DeepEqual(got, want) {
					t.Fatalf("%d events, want %d (first differing: %s)", len(got), len(want), firstDiff(got, want))
				}
				ps, err := s.Pupils(context.Background())
				if err != nil {
					t.Fatalf("Pupils: %v", err)
				}
				upns := map[string]bool{}
				for _, w := range want {
					upns[strings.Fields(w)[1]] = true
				}
				if len(ps) != len(upns) {
					t.Fatalf("pupils = %d, want %d", len(ps), len(upns))
				}
				for _, p := range ps {
					if p.UPN == kid(7).upn && tc.ncYear7 != "" && p.NCYear != tc.ncYear7 {
						t.Fatalf("pupil 7's NC year = %q, want %s", p.NCYear, tc.ncYear7)
					}
				}
				if s.Backend() == store.Postgres {
					var keys int
					if err := s.DB().Get(&keys, `SELECT count(*) FROM pg_constraint
						WHERE conrelid = 'pupil'::regclass AND contype = 'u'`); err != nil || keys != 1 {
						t.Fatalf("pupil's unique keys = %d (%v), want 1", keys, err)
					}
				}
			})
		})
	}
}

// firstDiff describes where two sorted lists first differ.
func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("got %q, want %q", got[i], want[i])
		}
	}
	return "one list is longer"
}
