package casework

import (
	"strings"
	"testing"
	"time"

	"pme"
	"pme/calendar"
)

var d = pme.MustDate

func at(day string) time.Time { return d(day).Time().Add(10 * time.Hour) }

func decision(state, day, review string) pme.HandlingDecision {
	h := pme.HandlingDecision{CaseID: "C-1", State: state, Day: d(day), By: "ann", At: at(day)}
	if review != "" {
		h.Review = d(review)
	}
	return h
}

func TestHandlingToday(t *testing.T) {
	inHand := decision(pme.HandlingInHand, "2026-11-27", "2026-12-11")
	nfa := decision(pme.HandlingNFA, "2026-11-27", "")
	nfa.Reason = "back full time"
	esc := decision(pme.HandlingEscalated, "2026-11-27", "")
	stale := inHand
	stale.Day, stale.FactsOf = d("2026-12-02"), d("2026-11-27")
	changed := func(day string) pme.CaseEvent {
		return pme.CaseEvent{CaseID: "C-1", Date: d(day), Status: pme.CaseChanged, Note: "now also RT_LOW_HOURS"}
	}
	tests := []struct {
		name      string
		decisions []pme.HandlingDecision
		events    []pme.CaseEvent
		today     string
		want      string
		returned  string
		because   string
	}{
		{"no decision", nil, nil, "2026-12-01", pme.HandlingUnreviewed, "", ""},
		{"in hand before its review date", []pme.HandlingDecision{inHand}, nil, "2026-12-10", pme.HandlingInHand, "", ""},
		{"in hand on its review date", []pme.HandlingDecision{inHand}, nil, "2026-12-11", pme.HandlingUnreviewed, pme.ReturnedReviewDate, "review date 11/12/2026"},
		{"in hand after its review date", []pme.HandlingDecision{inHand}, nil, "2026-12-14", pme.HandlingUnreviewed, pme.ReturnedReviewDate, "reached"},
		{"in hand, case changed after", []pme.HandlingDecision{inHand}, []pme.CaseEvent{changed("2026-11-30")}, "2026-12-01", pme.HandlingUnreviewed, pme.ReturnedFactsChanged, "changed on 30/11/2026: now also RT_LOW_HOURS"},
		{"in hand, changed the same day (seen)", []pme.HandlingDecision{inHand}, []pme.CaseEvent{changed("2026-11-27")}, "2026-12-01", pme.HandlingInHand, "", ""},
		{"in hand, change after today not seen", []pme.HandlingDecision{inHand}, []pme.CaseEvent{changed("2026-12-03")}, "2026-12-01", pme.HandlingInHand, "", ""},
		{"in hand, still open (no change)", []pme.HandlingDecision{inHand}, []pme.CaseEvent{{Date: d("2026-11-30"), Status: pme.CaseOpen}}, "2026-12-01", pme.HandlingInHand, "", ""},
		{"in hand, closed (no change of facts that matters)", []pme.HandlingDecision{inHand}, []pme.CaseEvent{{Date: d("2026-11-30"), Status: pme.CaseClosed}}, "2026-12-01", pme.HandlingInHand, "", ""},
		{"no further action stays without a date", []pme.HandlingDecision{nfa}, nil, "2027-03-01", pme.HandlingNFA, "", ""},
		{"no further action, flagged again", []pme.HandlingDecision{nfa}, []pme.CaseEvent{{Date: d("2026-12-07"), Status: pme.CaseNew, Note: "flagged again"}}, "2026-12-07", pme.HandlingUnreviewed, pme.ReturnedFactsChanged, "was no further action; the case was flagged again on 07/12/2026"},
		{"escalated stays escalated when facts change", []pme.HandlingDecision{esc}, []pme.CaseEvent{changed("2026-11-30")}, "2026-12-01", pme.HandlingEscalated, "", ""},
		{"a later decision supersedes", []pme.HandlingDecision{inHand, esc}, nil, "2026-12-14", pme.HandlingEscalated, "", ""},
		{"a decision after today is not yet made", []pme.HandlingDecision{decision(pme.HandlingInHand, "2026-12-04", "2026-12-18")}, nil, "2026-12-01", pme.HandlingUnreviewed, "", ""},
		{"decided on the facts of an earlier date: applied as made", []pme.HandlingDecision{stale}, []pme.CaseEvent{changed("2026-11-30")}, "2026-12-02", pme.HandlingInHand, "", ""},
		{"decided on the facts of an earlier date, changed again after", []pme.HandlingDecision{stale}, []pme.CaseEvent{changed("2026-11-30"), changed("2026-12-03")}, "2026-12-03", pme.HandlingUnreviewed, pme.ReturnedFactsChanged, "changed on 03/12/2026"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := HandlingToday(tc.decisions, tc.events, d(tc.today))
			if h.State != tc.want || h.Returned != tc.returned || !strings.Contains(h.ReturnedBecause, tc.because) {
				t.Fatalf("handling = %+v, want %s returned %q because ~%q", h, tc.want, tc.returned, tc.because)
			}
			if tc.returned == "" && h.ReturnedBecause != "" {
				t.Fatalf("returned_because = %q, want none", h.ReturnedBecause)
			}
		})
	}
}

func TestActionOverdue(t *testing.T) {
	a := pme.Action{ID: "A-1", Status: pme.ActionOpen, Due: d("2026-11-20")}
	done := a
	done.Status = pme.ActionDone
	tests := []struct {
		name  string
		a     pme.Action
		today string
		want  bool
	}{
		{"day before due", a, "2026-11-19", false},
		{"on the due date", a, "2026-11-20", false},
		{"the day after", a, "2026-11-21", true},
		{"the next school day", a, "2026-11-23", true},
		{"done is never overdue", done, "2026-12-01", false},
		{"no due date", pme.Action{Status: pme.ActionOpen}, "2026-12-01", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ActionOverdue(tc.a, d(tc.today)); got != tc.want {
				t.Fatalf("overdue = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLetterState(t *testing.T) {
	cal := calendar.Default()
	cfg := DefaultConfig()
	l := LetterFacts{Letter: pme.Letter{ID: "PME-1", Date: d("2026-10-28")}, ReplyBy: d("2026-11-11")} // a Wednesday
	replied := l
	replied.Replies = []pme.LetterReply{{Received: d("2026-11-12"), Assurance: pme.AssuranceAdequate}}
	reminded := l
	reminded.Reminder = &pme.Reminder{LetterID: "PME-1", Date: d("2026-11-18")}
	tests := []struct {
		name                 string
		l                    LetterFacts
		today                string
		overdue, reminderDue bool
	}{
		{"on the reply-by date", l, "2026-11-11", false, false},
		{"the day after", l, "2026-11-12", true, false},
		{"4 school days after", l, "2026-11-17", true, false},
		{"5 school days after: reminder due", l, "2026-11-18", true, true},
		{"weekend after: still due", l, "2026-11-21", true, true},
		{"replied late", replied, "2026-11-18", false, false},
		{"reply recorded ahead of today is not yet in", replied, "2026-11-11", false, false},
		{"reminder already sent: one per letter", reminded, "2026-11-25", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := LetterState(tc.l, d(tc.today), cal, cfg)
			if st.Overdue != tc.overdue || st.ReminderDue != tc.reminderDue {
				t.Fatalf("overdue = %v, reminder due = %v; want %v, %v", st.Overdue, st.ReminderDue, tc.overdue, tc.reminderDue)
			}
		})
	}
}

// flaggedCase is a case first flagged on Monday 2 November 2026 (a school day in the autumn term).
func flaggedCase() CaseFacts {
	return CaseFacts{
		Case: pme.Case{ID: "C-1", UPN: "A123456789012", Status: pme.CaseOpen, Severity: pme.SeverityHigh,
			FirstFlagged: d("2026-11-02"), LAESTAB: "8912345",
			Findings: []pme.Finding{{Rule: pme.RuleRTOverLimit, Severity: pme.SeverityHigh, Explanation: "on a reduced timetable for 34 school days"}}},
		Child: "Zoë Synthetic", School: "Oakfield Academy",
		Events: []pme.CaseEvent{{CaseID: "C-1", Date: d("2026-11-02"), Status: pme.CaseNew, Note: "flagged: RT_OVER_LIMIT"},
			{CaseID: "C-1", Date: d("2026-11-03"), Status: pme.CaseOpen}},
	}
}

func TestConsiderVCEC(t *testing.T) {
	cal := calendar.Default()
	cfg := DefaultConfig()
	unreviewed := pme.Handling{State: pme.HandlingUnreviewed}
	withDone := flaggedCase()
	withDone.Actions = []pme.Action{{ID: "A-1", Status: pme.ActionDone, StatusAt: at("2026-11-20")}}
	doneBefore := flaggedCase()
	doneBefore.Actions = []pme.Action{{ID: "A-1", Status: pme.ActionDone, StatusAt: at("2026-10-20")}}
	withOpen := flaggedCase()
	withOpen.Actions = []pme.Action{{ID: "A-1", Status: pme.ActionOpen, Due: d("2026-11-20")}}
	closed := flaggedCase()
	closed.Case.Status = pme.CaseClosed
	reopened := flaggedCase()
	reopened.Events = append(reopened.Events, pme.CaseEvent{Date: d("2026-11-16"), Status: pme.CaseNew})
	tests := []struct {
		name  string
		c     CaseFacts
		h     pme.Handling
		today string
		days  int
		want  bool
	}{
		{"day 20: not yet", flaggedCase(), unreviewed, "2026-11-27", 20, false},
		{"day 21: prompt", flaggedCase(), unreviewed, "2026-11-30", 21, true},
		{"day 21 in hand", flaggedCase(), pme.Handling{State: pme.HandlingInHand}, "2026-11-30", 21, false},
		{"day 21 escalated", flaggedCase(), pme.Handling{State: pme.HandlingEscalated}, "2026-11-30", 21, false},
		{"day 21, an action done in that time", withDone, unreviewed, "2026-11-30", 21, false},
		{"day 21, an action done before it was flagged", doneBefore, unreviewed, "2026-11-30", 21, true},
		{"day 21, an action open but not done", withOpen, unreviewed, "2026-11-30", 21, true},
		{"closed", closed, unreviewed, "2026-11-30", 0, false},
		{"flagged again: counted from the new flag", reopened, unreviewed, "2026-11-30", 11, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DaysFlagged(tc.c, d(tc.today), cal); got != tc.days {
				t.Fatalf("days flagged = %d, want %d", got, tc.days)
			}
			if got := ConsiderVCEC(tc.c, tc.h, d(tc.today), cal, cfg); got != tc.want {
				t.Fatalf("consider VCEC = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDecisionKey(t *testing.T) {
	r := pme.DecisionRow{Row: 7, CaseID: "C-1", Decision: pme.DecisionAction, Text: "call school", Owner: "Sam", Due: d("2026-12-04")}
	moved := r
	moved.Row = 9
	other := r
	other.Owner = "Ann"
	if DecisionKey(r) != DecisionKey(moved) {
		t.Fatal("the same decision on another row has another key")
	}
	if DecisionKey(r) == DecisionKey(other) {
		t.Fatal("a different owner has the same key")
	}
}
