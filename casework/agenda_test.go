package casework

import (
	"slices"
	"strings"
	"testing"

	"pme"
	"pme/calendar"
)

// agendaCases is one case per situation the COOS agenda tells apart, as at Tuesday 1 December 2026
// for a meeting on Friday 4 December.
func agendaCases() []CaseFacts {
	mk := func(id, first string) CaseFacts {
		c := flaggedCase()
		c.Case.ID, c.Case.FirstFlagged = id, d(first)
		c.Events = []pme.CaseEvent{{CaseID: id, Date: d(first), Status: pme.CaseNew, Note: "flagged"}}
		return c
	}
	fresh := mk("C-NEW", "2026-11-30")
	changed := mk("C-CHANGED", "2026-11-23")
	changed.Events = append(changed.Events, pme.CaseEvent{Date: d("2026-11-30"), Status: pme.CaseChanged, Note: "now also RT_LOW_HOURS"})
	inHand := mk("C-INHAND", "2026-11-23")
	inHand.Decisions = []pme.HandlingDecision{decision(pme.HandlingInHand, "2026-11-27", "2026-12-11")}
	review := mk("C-REVIEW", "2026-11-16")
	review.Decisions = []pme.HandlingDecision{decision(pme.HandlingInHand, "2026-11-20", "2026-12-01")}
	back := mk("C-BACK", "2026-11-16")
	back.Decisions = []pme.HandlingDecision{decision(pme.HandlingNFA, "2026-11-20", "")}
	back.Events = append(back.Events, pme.CaseEvent{Date: d("2026-11-26"), Status: pme.CaseChanged, Note: "severity RT_LOW_HOURS medium to high"})
	// In hand, so not "needs attention", but its action is due before the meeting and a letter
	// about it is overdue a reply: handling hides facts, never a deadline.
	deadlines := mk("C-DEADLINES", "2026-11-16")
	deadlines.Decisions = []pme.HandlingDecision{decision(pme.HandlingInHand, "2026-11-20", "2026-12-18")}
	deadlines.Actions = []pme.Action{
		{ID: "A-DUE", Status: pme.ActionOpen, Due: d("2026-12-04"), Owner: "Sam"},
		{ID: "A-LATER", Status: pme.ActionOpen, Due: d("2026-12-05"), Owner: "Sam"},
		{ID: "A-DONE", Status: pme.ActionDone, Due: d("2026-11-27"), StatusAt: at("2026-11-26")},
	}
	deadlines.Letters = []LetterFacts{{Letter: pme.Letter{ID: "PME-LATE", Date: d("2026-11-02")}, ReplyBy: d("2026-11-16")}}
	closed := mk("C-CLOSED", "2026-10-05")
	closed.Case.Status, closed.Case.CloseReason, closed.Case.Findings = pme.CaseClosed, "no rule fires", nil
	closed.Actions = []pme.Action{{ID: "A-CLOSED", Status: pme.ActionOpen, Due: d("2026-11-30")}}
	partial := mk("C-PARTIAL", "2026-11-16")
	partial.Decisions = []pme.HandlingDecision{decision(pme.HandlingInHand, "2026-11-17", "2026-12-18")}
	partial.Letters = []LetterFacts{{Letter: pme.Letter{ID: "PME-PART", Date: d("2026-11-16")}, ReplyBy: d("2026-11-30"),
		Replies: []pme.LetterReply{{Received: d("2026-11-25"), Assurance: pme.AssurancePartial, At: at("2026-11-25")}}}}
	old := mk("C-OLD", "2026-10-05")
	escalated := mk("C-ESC", "2026-10-05")
	escalated.Decisions = []pme.HandlingDecision{decision(pme.HandlingEscalated, "2026-11-27", "")}
	return []CaseFacts{fresh, changed, inHand, review, back, deadlines, closed, partial, old, escalated}
}

func TestBuildAgendaCOOS(t *testing.T) {
	a := BuildAgenda(AgendaInput{Meeting: pme.MeetingCOOS, Date: d("2026-12-04"), Today: d("2026-12-01"),
		Cases: agendaCases(), Calendar: calendar.Default(), Config: DefaultConfig()})
	var got []string
	for _, it := range a.Items {
		got = append(got, it.Section+" "+it.CaseID+it.LetterID)
	}
	want := []string{
		"new C-NEW",
		"changed C-BACK", "changed C-CHANGED",
		"review-due C-REVIEW",
		"actions-due C-CLOSED", "actions-due C-DEADLINES",
		"letters-overdue C-DEADLINESPME-LATE",
		"assurance C-PARTIALPME-PART",
		"consider-vcec C-OLD",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("items =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Equal(a.Sections, []string{"new", "changed", "review-due", "actions-due", "letters-overdue", "assurance", "consider-vcec"}) {
		t.Fatalf("sections = %v: want the spec's order without schools", a.Sections)
	}
	if len(a.Warnings) != 1 || !strings.Contains(a.Warnings[0], "returns.la_codes") {
		t.Fatalf("warnings = %v, want the schools warning", a.Warnings)
	}
	for _, it := range a.Items {
		switch it.CaseID {
		case "C-DEADLINES":
			if it.Section == pme.SectionActionsDue && (len(it.Actions) != 1 || it.Actions[0].ID != "A-DUE") {
				t.Errorf("due actions = %+v, want A-DUE alone", it.Actions)
			}
			if it.Section == pme.SectionLettersOverdue && (!it.Sent.Equal(d("2026-11-02")) || !it.ReplyBy.Equal(d("2026-11-16")) || !strings.Contains(it.Detail, "reminder due")) {
				t.Errorf("letter item = %+v", it)
			}
		case "C-BACK":
			if !strings.Contains(it.ReturnedBecause, "severity RT_LOW_HOURS medium to high") {
				t.Errorf("returned because = %q", it.ReturnedBecause)
			}
		case "C-OLD":
			if it.DaysFlagged != 37 { // 42 weekdays less the October half-term
				t.Errorf("days flagged = %d, want 37", it.DaysFlagged)
			}
		}
	}
}

func TestBuildAgendaSchoolsSeam(t *testing.T) {
	schools := []pme.AgendaItem{{LAESTAB: "8912346", School: "Elm Primary", Detail: "no reduced-timetable return for November"}}
	a := BuildAgenda(AgendaInput{Meeting: pme.MeetingCOOS, Date: d("2026-12-04"), Today: d("2026-12-01"),
		Calendar: calendar.Default(), Config: DefaultConfig(), SchoolsConfigured: true, Schools: schools})
	if len(a.Warnings) != 0 || !slices.Contains(a.Sections, pme.SectionSchools) {
		t.Fatalf("sections = %v, warnings = %v: want schools, no warning", a.Sections, a.Warnings)
	}
	if len(a.Items) != 1 || a.Items[0].Section != pme.SectionSchools {
		t.Fatalf("items = %+v", a.Items)
	}
}

func TestBuildAgendaVCEC(t *testing.T) {
	a := BuildAgenda(AgendaInput{Meeting: pme.MeetingVCEC, Date: d("2026-12-04"), Today: d("2026-12-01"),
		Cases: agendaCases(), Calendar: calendar.Default(), Config: DefaultConfig()})
	if len(a.Items) != 1 || a.Items[0].CaseID != "C-ESC" || a.Items[0].Section != pme.SectionEscalated || len(a.Items[0].History) != 2 {
		t.Fatalf("items = %+v", a.Items)
	}
	if len(a.Warnings) != 0 {
		t.Fatalf("warnings = %v", a.Warnings)
	}
	if !strings.HasPrefix(a.ID, "AG-VCEC-20261204-") {
		t.Fatalf("agenda id = %q", a.ID)
	}
}

// TestAssuranceDecidedSince: a partial assurance leaves the agenda once someone decides the case's
// handling after it came in.
func TestAssuranceDecidedSince(t *testing.T) {
	c := agendaCases()[7]
	l := c.Letters[0]
	for _, tc := range []struct {
		day  string
		want bool
	}{{"2026-11-24", true}, {"2026-11-26", false}} {
		c.Decisions = []pme.HandlingDecision{decision(pme.HandlingInHand, tc.day, "2026-12-18")}
		_, got := undecidedAssurance(c, l, d("2026-12-01"))
		if got != tc.want {
			t.Errorf("decided %s: listed = %v, want %v", tc.day, got, tc.want)
		}
	}
}

// TestBuildAgendaCaselessLetter: a letter about a pupil with no case (a letter can be due with no
// rule firing) is still listed when overdue a reply.
func TestBuildAgendaCaselessLetter(t *testing.T) {
	l := LetterFacts{Letter: pme.Letter{ID: "PME-ORPHAN", UPN: "A123456789012", LAESTAB: "8912345", Date: d("2026-11-02"),
		Data: pme.LetterData{Pupil: pme.LetterPupil{Name: "Zoë Synthetic"}, School: pme.LetterSchool{Name: "Oakfield Academy"}}},
		ReplyBy: d("2026-11-16")}
	answered := l
	answered.Letter.ID = "PME-ANSWERED"
	answered.Replies = []pme.LetterReply{{Received: d("2026-11-20"), Assurance: pme.AssuranceAdequate}}
	a := BuildAgenda(AgendaInput{Meeting: pme.MeetingCOOS, Date: d("2026-12-04"), Today: d("2026-12-01"),
		Calendar: calendar.Default(), Config: DefaultConfig(), Letters: []LetterFacts{l, answered}})
	if len(a.Items) != 1 || a.Items[0].Section != pme.SectionLettersOverdue || a.Items[0].LetterID != "PME-ORPHAN" ||
		a.Items[0].Child != "Zoë Synthetic" || a.Items[0].School != "Oakfield Academy" || !strings.Contains(a.Items[0].Detail, "reminder due") {
		t.Fatalf("items = %+v", a.Items)
	}
}
