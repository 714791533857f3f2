// Package casework is the casework logic of casework.md as pure functions of the records, the
// school calendar and a date: what handling a case has today, what is overdue, when a reminder
// letter is due, when a case should be considered for the VCEC panel, what goes on a meeting's
// agenda, and whether a filled-in agenda's decisions can be applied. It does no I/O: pipeline
// loads the records and writes what these functions decide.
package casework

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"pme"
)

// Calendar is the school-day arithmetic the casework needs (calendar.Calendar has it).
type Calendar interface {
	IsSchoolDay(d pme.Date) bool
	SchoolDays(from, to pme.Date) int         // school days in [from, to], both ends included
	AddSchoolDays(d pme.Date, n int) pme.Date // the n-th school day after d
}

// Config holds the casework settings (casework.vcec_after_school_days and
// letters.chase_after_school_days).
type Config struct {
	VCECAfterSchoolDays  int // a case flagged for more than this many school days, unresolved, is prompted for VCEC
	ChaseAfterSchoolDays int // school days after a letter's reply-by date before a reminder is due
}

// Defaults from casework.md.
const (
	DefaultVCECAfterSchoolDays  = 20
	DefaultChaseAfterSchoolDays = 5
)

// DefaultConfig returns the spec's defaults.
func DefaultConfig() Config {
	return Config{VCECAfterSchoolDays: DefaultVCECAfterSchoolDays, ChaseAfterSchoolDays: DefaultChaseAfterSchoolDays}
}

// HandlingToday returns a case's handling on today from its handling decisions (oldest first) and
// its status events (oldest first). The latest decision made on or before today applies, except:
//   - an in-hand or no-further-action decision goes back to unreviewed when the facts change after
//     it (the case becomes changed, which a new rule or a severity rise makes it, or is flagged
//     again after closing) after the day it was made, saying which change (a decision made on an
//     agenda whose case had already changed is applied as made: its FactsOf marks it "decided on
//     facts of" the agenda's date);
//   - an in-hand decision goes back to unreviewed on its review date.
//
// An escalated case stays escalated until a person decides otherwise.
func HandlingToday(decisions []pme.HandlingDecision, events []pme.CaseEvent, today pme.Date) pme.Handling {
	var d *pme.HandlingDecision
	for i := range decisions {
		if !decisions[i].Day.After(today) {
			d = &decisions[i]
		}
	}
	if d == nil || d.State == pme.HandlingUnreviewed {
		h := pme.Handling{State: pme.HandlingUnreviewed}
		if d != nil {
			h.By, h.At = d.By, d.At
		}
		return h
	}
	h := pme.Handling{State: d.State, Review: d.Review, Reason: d.Reason, By: d.By, At: d.At, FactsOf: d.FactsOf}
	if d.State == pme.HandlingEscalated {
		return h
	}
	for _, ev := range events {
		if !ev.Date.After(d.Day) || ev.Date.After(today) {
			continue
		}
		if ev.Status == pme.CaseChanged || ev.Status == pme.CaseNew {
			back := pme.Handling{State: pme.HandlingUnreviewed, Returned: pme.ReturnedFactsChanged, FactsOf: d.FactsOf}
			what := "the case changed"
			if ev.Status == pme.CaseNew {
				what = "the case was flagged again"
			}
			back.ReturnedBecause = fmt.Sprintf("was %s; %s on %s: %s", label(d), what, ev.Date.UK(), ev.Note)
			return back
		}
	}
	if d.State == pme.HandlingInHand && !d.Review.IsZero() && !today.Before(d.Review) {
		return pme.Handling{State: pme.HandlingUnreviewed, Returned: pme.ReturnedReviewDate, Review: d.Review,
			ReturnedBecause: fmt.Sprintf("was in hand; the review date %s is reached", d.Review.UK())}
	}
	return h
}

// label names a decision's state for a sentence: "in hand until 11/12/2026", "no further action".
func label(d *pme.HandlingDecision) string {
	switch d.State {
	case pme.HandlingInHand:
		return "in hand until " + d.Review.UK()
	case pme.HandlingNFA:
		return "no further action"
	}
	return d.State
}

// ActionOverdue reports whether an action is overdue today: open, and its due date has passed
// (on the due date itself it is due, not overdue).
func ActionOverdue(a pme.Action, today pme.Date) bool { return a.Overdue(today) }

// LetterFacts is an assurance letter with what came back: its replies (oldest first) and the
// reminder sent for it, if any.
type LetterFacts struct {
	Letter   pme.Letter
	ReplyBy  pme.Date // the reply-by date the letter printed
	Replies  []pme.LetterReply
	Reminder *pme.Reminder
}

// LetterState returns a letter as the casework sees it on today: overdue when the reply-by date
// has passed with no reply; a reminder due once it is overdue and the chase period's school days
// after the reply-by date have passed (the ChaseAfterSchoolDays-th school day after it), unless a
// reminder was already sent: one per letter.
func LetterState(l LetterFacts, today pme.Date, cal Calendar, cfg Config) pme.CaseLetter {
	out := pme.CaseLetter{LetterID: l.Letter.ID, LAESTAB: l.Letter.LAESTAB, Sent: l.Letter.Date, ReplyBy: l.ReplyBy,
		Replies: l.Replies}
	if out.Replies == nil {
		out.Replies = []pme.LetterReply{}
	}
	var replied bool
	for _, r := range l.Replies {
		if !r.Received.After(today) {
			replied = true
		}
	}
	out.Overdue = !replied && !l.ReplyBy.IsZero() && today.After(l.ReplyBy)
	if l.Reminder != nil {
		out.ReminderSent = l.Reminder.Date
	}
	out.ReminderDue = out.Overdue && l.Reminder == nil && !today.Before(ReminderDate(l.ReplyBy, cal, cfg))
	return out
}

// ReminderDate returns the first day a reminder is due for a letter with that reply-by date.
func ReminderDate(replyBy pme.Date, cal Calendar, cfg Config) pme.Date {
	return cal.AddSchoolDays(replyBy, cfg.ChaseAfterSchoolDays)
}

// CaseFacts is everything the agenda needs about one case: the case, the child and school as a
// person reads them, and its records, each list oldest first.
type CaseFacts struct {
	Case      pme.Case
	Child     string // forename and surname
	School    string // the school's name
	Owner     string // who holds the case ("" when nobody): the latest of Owners
	Owners    []pme.CaseOwner
	Events    []pme.CaseEvent
	Decisions []pme.HandlingDecision
	Actions   []pme.Action
	Notes     []pme.Note
	Letters   []LetterFacts
}

// FlaggedSince returns the day the case's current episode was first flagged: its latest new
// event (a closed case flagged again starts again), else its first-flagged date.
func FlaggedSince(c CaseFacts) pme.Date {
	since := c.Case.FirstFlagged
	for _, ev := range c.Events {
		if ev.Status == pme.CaseNew {
			since = ev.Date
		}
	}
	return since
}

// DaysFlagged returns the school days the case has been flagged by today, the first day counted;
// 0 for a closed case.
func DaysFlagged(c CaseFacts, today pme.Date, cal Calendar) int {
	if c.Case.Status == pme.CaseClosed {
		return 0
	}
	return cal.SchoolDays(FlaggedSince(c), today)
}

// ConsiderVCEC reports whether the escalation prompt applies today: the case is still flagged, has
// been for more than cfg.VCECAfterSchoolDays school days, its handling is unreviewed, and no action
// on it was done in that time.
func ConsiderVCEC(c CaseFacts, h pme.Handling, today pme.Date, cal Calendar, cfg Config) bool {
	if c.Case.Status == pme.CaseClosed || h.State != pme.HandlingUnreviewed {
		return false
	}
	if DaysFlagged(c, today, cal) <= cfg.VCECAfterSchoolDays {
		return false
	}
	since := FlaggedSince(c)
	for _, a := range c.Actions {
		if a.Status == pme.ActionDone {
			done := pme.DateOf(a.StatusAt)
			if !done.Before(since) && !done.After(today) {
				return false
			}
		}
	}
	return true
}

// OpenActions returns the case's open actions, earliest due first.
func OpenActions(actions []pme.Action) []pme.Action {
	var out []pme.Action
	for _, a := range actions {
		if a.Status == pme.ActionOpen {
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(a, b pme.Action) int { return compareDue(a.Due, b.Due) })
	return out
}

// compareDue orders dates with "no date" last.
func compareDue(a, b pme.Date) int {
	switch {
	case a.Equal(b):
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	case a.Before(b):
		return -1
	}
	return 1
}

// Report returns the casework the flagged-case workbook shows: per case its handling, owner, open
// actions (count, earliest due) and last note date, and the overdue actions and letter replies.
// cases need only be those with casework recorded (a case with none is unreviewed, with nothing
// open); letters are every letter, with its replies and reminder.
func Report(cases []CaseFacts, letters []LetterFacts, today pme.Date, cal Calendar, cfg Config) pme.CaseworkReport {
	out := pme.CaseworkReport{Cases: make(map[string]pme.CaseworkRow, len(cases))}
	for _, c := range cases {
		h := HandlingToday(c.Decisions, c.Events, today)
		row := pme.CaseworkRow{Handling: h.State, Owner: c.Owner}
		for _, a := range OpenActions(c.Actions) {
			row.OpenActions++
			if row.EarliestDue.IsZero() {
				row.EarliestDue = a.Due
			}
			if a.Overdue(today) {
				out.OverdueActions++
			}
		}
		if n := len(c.Notes); n > 0 {
			row.LastNoteDate = pme.DateOf(c.Notes[n-1].At)
		}
		out.Cases[c.Case.ID] = row
	}
	for _, l := range letters {
		if LetterState(l, today, cal, cfg).Overdue {
			out.OverdueReplies++
		}
	}
	return out
}

// DecisionKey identifies what a decision row decided, whatever its row number: loading the same
// file again, or a copy with rows re-ordered, finds the same keys and applies nothing twice.
func DecisionKey(r pme.DecisionRow) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{"v1", r.CaseID, r.Decision, strings.TrimSpace(r.Text),
		strings.TrimSpace(r.Owner), r.Due.String()}, "\x1f")))
	return hex.EncodeToString(sum[:16])
}
