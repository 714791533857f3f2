package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"pme"
	"pme/store"
	"pme/store/storetest"
)

func mark(school string, c child, day, am, pm string) pme.Record {
	p := c.pupil()
	return pme.Record{Type: pme.AttendanceMarks, LAESTAB: school, Pupil: pme.Pupil{UPN: p.UPN},
		Attendance: &pme.AttendanceRow{Date: pme.MustDate(day), AM: am, PM: pm}}
}

// marksOf describes a pupil's stored marks as "school day am/pm".
func marksOf(t *testing.T, s *store.Store, id int64) []string {
	t.Helper()
	days, err := s.AttendanceMarks(context.Background(), id)
	if err != nil {
		t.Fatalf("AttendanceMarks: %v", err)
	}
	var out []string
	for _, d := range days {
		out = append(out, fmt.Sprintf("%s %s %s/%s", d.LAESTAB, d.Date, d.AM, d.PM))
	}
	return out
}

func TestAttendanceMarksReplace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ingestFile(t, s, "att1.csv", sheet{typ: pme.AttendanceMarks, schools: []string{schoolA}, recs: []pme.Record{
			mark(schoolA, ada, "2026-11-30", "C2", ""),
			mark(schoolA, ada, "2026-12-01", "/", ""),
			mark(schoolA, bo, "2026-11-30", "E", ""),
			mark(schoolA, ada, "2026-11-30", "", "C2"), // the same day's PM, further down the file
		}})
		// Re-sent: the PM of 30/11 corrected, the AM left as held; a new day added.
		ingestFile(t, s, "att2.csv", sheet{typ: pme.AttendanceMarks, schools: []string{schoolA}, recs: []pme.Record{
			mark(schoolA, ada, "2026-11-30", "", "/"),
			mark(schoolA, ada, "2026-12-02", "C2", "C2"),
		}})
		ids := pupilIDs(t, s)
		got := marksOf(t, s, ids[ada.upn])
		want := []string{"8012345 2026-11-30 C2//", "8012345 2026-12-01 //", "8012345 2026-12-02 C2/C2"}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("marks = %q, want %q", got, want)
		}
		days, _, err := s.AttendanceCounts(context.Background())
		if err != nil || days != 4 {
			t.Fatalf("day rows = %d (%v), want 4: a re-sent mark replaces, never adds", days, err)
		}
	})
}

func TestAttendanceMatchesPupils(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		// Ada is returned by the school; the register gives her under another (temporary) UPN with
		// her name and date of birth: she is matched by name and date of birth within the school.
		ingestFile(t, s, "rt.csv", sheet{typ: pme.ReducedTimetable, schools: []string{schoolA},
			recs: []pme.Record{timetable(schoolA, ada, "2026-11-02", 10), timetable(schoolA, bo, "2026-11-02", 10)}})
		byName := mark(schoolA, ada, "2026-11-30", "C2", "C2")
		byName.Pupil = pme.Pupil{UPN: tempUPNFor(77), Surname: "LOVELACE", Forename: " ada", DOB: pme.MustDate(ada.dob)}
		elsewhere := mark(schoolB, cy, "2026-11-30", "/", "/")
		elsewhere.Pupil = pme.Pupil{UPN: cy.upn, Surname: ada.surname, Forename: ada.forename, DOB: pme.MustDate(ada.dob)}
		ingestFile(t, s, "att.csv", sheet{typ: pme.AttendanceMarks, schools: []string{schoolA, schoolB}, recs: []pme.Record{
			mark(schoolA, bo, "2026-11-30", "E", "E"), // by UPN
			byName,
			elsewhere, // same name and birth date, but another school: not Ada
		}})
		ids := pupilIDs(t, s)
		if got := marksOf(t, s, ids[ada.upn]); !reflect.DeepEqual(got, []string{"8012345 2026-11-30 C2/C2"}) {
			t.Errorf("Ada's marks = %q", got)
		}
		if got := marksOf(t, s, ids[bo.upn]); !reflect.DeepEqual(got, []string{"8012345 2026-11-30 E/E"}) {
			t.Errorf("Bo's marks = %q", got)
		}
		if _, ok := ids[tempUPNFor(77)]; ok {
			t.Errorf("a pupil was created for the UPN matched by name")
		}
		if got := marksOf(t, s, ids[cy.upn]); !reflect.DeepEqual(got, []string{"8016789 2026-11-30 ///"}) {
			t.Errorf("the other school's pupil's marks = %q", got)
		}
	})
}

func TestAttendanceSummaryReplaces(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		sum := func(c2 int) pme.Record {
			return pme.Record{Type: pme.AttendanceSummary, LAESTAB: schoolA, Pupil: pme.Pupil{UPN: ada.upn},
				Attendance: &pme.AttendanceRow{From: pme.MustDate("2026-11-02"), To: pme.MustDate("2026-11-27"),
					Possible: 40, Counts: map[string]int{"C2": c2, "/": 40 - c2}}}
		}
		ingestFile(t, s, "s1.csv", sheet{typ: pme.AttendanceSummary, schools: []string{schoolA}, recs: []pme.Record{sum(8)}})
		ingestFile(t, s, "s2.csv", sheet{typ: pme.AttendanceSummary, schools: []string{schoolA}, recs: []pme.Record{sum(12)}})
		sums, err := s.AttendanceSummaries(context.Background())
		if err != nil {
			t.Fatalf("AttendanceSummaries: %v", err)
		}
		if len(sums) != 1 || sums[0].Counts["C2"] != 12 {
			t.Fatalf("summaries = %+v, want the later one only", sums)
		}
	})
}

// The register's aggregate for the rules, on both backends: windows, E days and summaries.
func TestAttendanceFacts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ingestFile(t, s, "att.csv", sheet{typ: pme.AttendanceMarks, schools: []string{schoolA}, recs: []pme.Record{
			mark(schoolA, ada, "2026-11-02", "/", "/"),
			mark(schoolA, ada, "2026-11-20", "C2", "C2"),
			mark(schoolA, ada, "2026-11-23", "C2", "/"),
			mark(schoolA, ada, "2026-11-24", "E", "E"),
			mark(schoolA, ada, "2026-11-25", "E", "I"),
			mark(schoolA, ada, "2026-11-26", "B", "B"),
			mark(schoolA, bo, "2026-11-26", "/", "/"), // nothing to say about Bo
		}})
		sum := pme.Record{Type: pme.AttendanceSummary, LAESTAB: schoolB, Pupil: pme.Pupil{UPN: cy.upn},
			Attendance: &pme.AttendanceRow{From: pme.MustDate("2026-11-23"), To: pme.MustDate("2026-11-27"),
				Possible: 10, Counts: map[string]int{"C2": 6, "/": 4}}}
		ingestFile(t, s, "sum.csv", sheet{typ: pme.AttendanceSummary, schools: []string{schoolB}, recs: []pme.Record{sum}})
		r := s.Reader(context.Background())
		facts, err := r.AttendanceFacts(store.AttendanceQuery{YearStart: pme.MustDate("2026-09-01"), Today: pme.MustDate("2026-11-27"),
			C2From: pme.MustDate("2026-11-23"), BFrom: pme.MustDate("2026-11-23"), From: pme.MustDate("2026-11-23"), Percent: 90})
		if err != nil {
			t.Fatalf("AttendanceFacts: %v", err)
		}
		ids := pupilIDs(t, s)
		got := map[int64]pme.AttendanceFact{}
		for _, f := range facts {
			got[f.PupilID] = f
		}
		if len(facts) != 2 {
			t.Fatalf("facts = %+v, want Ada's and Cy's", facts)
		}
		a := got[ids[ada.upn]]
		a.EDays = nil
		want := pme.AttendanceFact{PupilID: ids[ada.upn], LAESTAB: schoolA, Possible: 12, Present: 5, LastMark: pme.MustDate("2026-11-26"),
			RecentDays: 4, RecentC2: 1, C2From: pme.MustDate("2026-11-23"), C2To: pme.MustDate("2026-11-23"),
			RecentB: 2, BFrom: pme.MustDate("2026-11-26"), BTo: pme.MustDate("2026-11-26"),
			YearC2: 3, YearC2From: pme.MustDate("2026-11-20"), YearC2To: pme.MustDate("2026-11-23"),
			EText: a.EText}
		if !reflect.DeepEqual(a, want) {
			t.Errorf("Ada = %+v\nwant %+v", a, want)
		}
		if e := a.EText; e != "2026-11-24:2 2026-11-25:1" && e != "2026-11-25:1 2026-11-24:2" {
			t.Errorf("E days = %q", e)
		}
		c := got[ids[cy.upn]]
		if c.LAESTAB != schoolB || c.Possible != 10 || c.Present != 4 || c.RecentC2 != 6 || c.C2From != pme.MustDate("2026-11-23") {
			t.Errorf("Cy (a summary) = %+v", c)
		}
	})
}

// A first load's days split across batches (its AM and PM far apart in the file) are one row each,
// whichever way the backend writes a first load (on PostgreSQL, straight into att_mark with its
// key dropped); a pupil the file created from marks is matched by name and date of birth later in
// the same file; and the key is whole afterwards, so that a re-sent mark replaces.
func TestAttendanceFirstLoadAcrossBatches(t *testing.T) {
	defer store.SetAttFlushRows(2)()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		named := func(r pme.Record, upn string) pme.Record {
			r.Pupil = pme.Pupil{UPN: upn, Surname: ada.surname, Forename: ada.forename, DOB: pme.MustDate(ada.dob)}
			return r
		}
		ingestFile(t, s, "att1.csv", sheet{typ: pme.AttendanceMarks, schools: []string{schoolA}, recs: []pme.Record{
			named(mark(schoolA, ada, "2026-11-30", "C2", ""), ada.upn),
			mark(schoolA, bo, "2026-11-30", "E", ""),
			mark(schoolA, bo, "2026-12-01", "/", ""),
			mark(schoolA, bo, "2026-11-30", "", "E"),
			mark(schoolA, ada, "2026-12-01", "/", ""),
			named(mark(schoolA, ada, "2026-11-30", "", "C2"), tempUPNFor(78)), // Ada again, by name
			mark(schoolA, bo, "2026-12-01", "", `\`),
		}})
		ids := pupilIDs(t, s)
		if _, ok := ids[tempUPNFor(78)]; ok {
			t.Errorf("a pupil was created for the UPN matched by name")
		}
		if got, want := marksOf(t, s, ids[ada.upn]), []string{"8012345 2026-11-30 C2/C2", "8012345 2026-12-01 //"}; !reflect.DeepEqual(got, want) {
			t.Errorf("Ada's marks = %q, want %q", got, want)
		}
		if got, want := marksOf(t, s, ids[bo.upn]), []string{"8012345 2026-11-30 E/E", `8012345 2026-12-01 //\`}; !reflect.DeepEqual(got, want) {
			t.Errorf("Bo's marks = %q, want %q", got, want)
		}
		ingestFile(t, s, "att2.csv", sheet{typ: pme.AttendanceMarks, schools: []string{schoolA}, recs: []pme.Record{
			mark(schoolA, bo, "2026-11-30", "", "/"),
			mark(schoolA, bo, "2026-12-02", "B", "B"),
			mark(schoolA, ada, "2026-12-01", "", "C2"),
		}})
		if got, want := marksOf(t, s, ids[bo.upn]), []string{"8012345 2026-11-30 E//", `8012345 2026-12-01 //\`, "8012345 2026-12-02 B/B"}; !reflect.DeepEqual(got, want) {
			t.Errorf("Bo's marks after the re-send = %q, want %q", got, want)
		}
		if got, want := marksOf(t, s, ids[ada.upn]), []string{"8012345 2026-11-30 C2/C2", "8012345 2026-12-01 //C2"}; !reflect.DeepEqual(got, want) {
			t.Errorf("Ada's marks after the re-send = %q, want %q", got, want)
		}
		days, _, err := s.AttendanceCounts(context.Background())
		if err != nil || days != 5 {
			t.Fatalf("day rows = %d (%v), want 5", days, err)
		}
	})
}
