package rules

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"pme"
)

// ids hands out C-1, C-2, … so that tests can name the cases.
func ids() func() string {
	n := 0
	return func() string { n++; return fmt.Sprintf("C-%d", n) }
}

// flagRun is one `pme flag`: evaluate, then carry the cases forward.
func flagRun(t *testing.T, prev []pme.Case, f Facts, today string, newID func() string) ([]pme.Case, []pme.CaseEvent) {
	t.Helper()
	return UpdateCases(prev, Evaluate(f, testCalendar(t), DefaultConfig(), d(today)), d(today), newID)
}

func statuses(cs []pme.Case) string {
	var s []string
	for _, c := range cs {
		s = append(s, fmt.Sprintf("%s:%s", c.ID, c.Status))
	}
	return strings.Join(s, " ")
}

func TestCaseLifecycle(t *testing.T) {
	newID := ids()
	fine := timetable(1, "2026-11-02")
	noEnd := fine
	noEnd.PlannedEndDate = pme.Date{}
	ended := noEnd
	ended.ActualEndDate = d("2026-11-25")
	facts := func(tt pme.StoredTimetable) Facts {
		return Facts{Pupils: []pme.StoredPupil{pupil(1)}, Timetables: []pme.StoredTimetable{tt}}
	}

	steps := []struct {
		today      string
		facts      Facts
		want       string // statuses after the run
		wantEvents []string
	}{
		{"2026-11-16", facts(noEnd), "C-1:new", []string{"new"}},
		{"2026-11-16", facts(noEnd), "C-1:new", nil}, // a rerun on the same day changes nothing
		{"2026-11-17", facts(noEnd), "C-1:open", []string{"open"}},
		{"2026-11-18", facts(noEnd), "C-1:open", nil},
		{"2026-11-19", facts(func() pme.StoredTimetable { t := noEnd; t.Reason = "BEH"; return t }()), "C-1:changed", []string{"changed"}},
		{"2026-11-20", facts(func() pme.StoredTimetable { t := noEnd; t.Reason = "BEH"; return t }()), "C-1:open", []string{"open"}},
		{"2026-11-25", facts(ended), "C-1:closed", []string{"closed"}},
		{"2026-11-26", facts(ended), "C-1:closed", nil},
		{"2026-11-30", facts(noEnd), "C-1:new", []string{"new"}}, // reopened, same id
	}
	var cases []pme.Case
	var history []pme.CaseEvent
	for i, s := range steps {
		var evs []pme.CaseEvent
		cases, evs = flagRun(t, cases, s.facts, s.today, newID)
		history = append(history, evs...)
		if got := statuses(cases); got != s.want {
			t.Fatalf("step %d (%s): cases = %s, want %s", i, s.today, got, s.want)
		}
		var got []string
		for _, e := range evs {
			got = append(got, e.Status)
			if !e.Date.Equal(d(s.today)) || e.CaseID != "C-1" {
				t.Fatalf("step %d: event %+v, want dated %s for C-1", i, e, s.today)
			}
		}
		if strings.Join(got, " ") != strings.Join(s.wantEvents, " ") {
			t.Fatalf("step %d (%s): events = %v, want %v", i, s.today, got, s.wantEvents)
		}
	}
	c := cases[0]
	if !c.FirstFlagged.Equal(d("2026-11-16")) || !c.LastChanged.Equal(d("2026-11-30")) || !c.ClosedOn.IsZero() || c.CloseReason != "" {
		t.Fatalf("reopened case = %+v, want first flagged 16/11, changed 30/11, not closed", c)
	}
	if len(history) != 6 {
		t.Fatalf("history has %d events, want 6", len(history))
	}
	closed := history[4]
	want := "no rule fires since 25/11/2026 (last flagged for RT_BEHAVIOUR, RT_NO_END_DATE): the reduced timetable ended, was corrected or is no longer returned"
	if closed.Note != want {
		t.Fatalf("close note = %q, want %q", closed.Note, want)
	}
	if changed := history[2].Note; changed != "now also RT_BEHAVIOUR" {
		t.Fatalf("change note = %q, want %q", changed, "now also RT_BEHAVIOUR")
	}
}

func TestCasesStayOpenWhileDaysAddUp(t *testing.T) {
	f := Facts{Pupils: []pme.StoredPupil{pupil(1)}, Timetables: []pme.StoredTimetable{timetable(1, "2026-11-02")}}
	newID := ids()
	cases, _ := flagRun(t, nil, f, "2026-12-14", newID) // 31 school days
	cases, _ = flagRun(t, cases, f, "2026-12-15", newID)
	cases, evs := flagRun(t, cases, f, "2026-12-16", newID)
	if cases[0].Status != pme.CaseOpen || len(evs) != 0 {
		t.Fatalf("status %s with events %v, want open and no event as the count grows", cases[0].Status, evs)
	}
	if !strings.Contains(cases[0].Findings[0].Explanation, "33 school days") {
		t.Fatalf("explanation not refreshed: %q", cases[0].Findings[0].Explanation)
	}
}

func TestRerunOnTheSameDayChangesNothing(t *testing.T) {
	f := Facts{
		Pupils:      []pme.StoredPupil{pupil(1), pupil(2), pupil(3)},
		Timetables:  []pme.StoredTimetable{timetable(1, "2026-10-01"), timetable(2, "2026-11-23")},
		Suspensions: []pme.StoredSuspension{suspension(3, "SUSP", "2026-09-10", 70)},
		Matches:     []pme.PlanMatch{plan(1, pme.MatchUPN, pme.PlanCP, "2026-09-01")},
	}
	f.Timetables[1].PlannedEndDate = pme.Date{}
	newID := ids()
	day1, _ := flagRun(t, nil, f, "2026-11-27", newID)
	day2, _ := flagRun(t, day1, f, "2026-11-30", newID)
	f.Timetables = f.Timetables[:1] // pupil 2's timetable is gone: closes on the 1st
	day3, _ := flagRun(t, day2, f, "2026-12-01", newID)
	if got := statuses(day3); got != "C-1:open C-2:closed C-3:open" {
		t.Fatalf("cases = %s", got)
	}
	again, evs := flagRun(t, day3, f, "2026-12-01", newID)
	if len(evs) != 0 || !reflect.DeepEqual(again, day3) {
		t.Fatalf("rerun changed things: events %v\n%+v\nwant\n%+v", evs, again, day3)
	}
	first, evs := flagRun(t, nil, f, "2026-12-01", ids())
	second, evs2 := flagRun(t, first, f, "2026-12-01", ids())
	if len(evs) == 0 || len(evs2) != 0 || !reflect.DeepEqual(first, second) {
		t.Fatalf("first run of the day: %d events; rerun: %d events, equal %v; want events then none, equal",
			len(evs), len(evs2), reflect.DeepEqual(first, second))
	}
}

func TestCaseCarriesResult(t *testing.T) {
	f := Facts{
		Pupils:     []pme.StoredPupil{pupil(1)},
		Timetables: []pme.StoredTimetable{timetable(1, "2026-10-01")},
		Matches:    []pme.PlanMatch{plan(1, pme.MatchUPN, pme.PlanCIN, "2026-09-01")},
	}
	cases, evs := flagRun(t, nil, f, "2026-11-27", ids())
	c := cases[0]
	if c.UPN != "A123456789011" || c.Plan != pme.PlanCIN || !c.LetterDue || c.LAESTAB != "8912345" ||
		c.Severity != pme.SeverityCritical || c.Vulnerable == "" || c.Fingerprint == "" {
		t.Fatalf("case = %+v", c)
	}
	if len(evs) != 1 || evs[0].Note != "flagged: "+strings.Join(c.Rules, ", ") {
		t.Fatalf("events = %+v", evs)
	}
}

func TestLetterOnlyResultRaisesNoCase(t *testing.T) {
	f := Facts{
		Pupils:     []pme.StoredPupil{pupil(1)},
		Timetables: []pme.StoredTimetable{timetable(1, "2026-11-23")},
		Matches:    []pme.PlanMatch{plan(1, pme.MatchUPN, pme.PlanCP, "2026-09-01")},
	}
	results := Evaluate(f, testCalendar(t), DefaultConfig(), d("2026-11-27"))
	if len(results) != 1 || !results[0].LetterDue || len(results[0].Findings) != 0 {
		t.Fatalf("results = %+v, want one letter due and no finding", results)
	}
	if cases, _ := UpdateCases(nil, results, d("2026-11-27"), ids()); len(cases) != 0 {
		t.Fatalf("cases = %+v, want none", cases)
	}
}
