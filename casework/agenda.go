package casework

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"pme"
)

// AgendaInput is what an agenda is built from.
type AgendaInput struct {
	Meeting  string   // pme.MeetingCOOS or pme.MeetingVCEC
	Date     pme.Date // the meeting's date
	Today    pme.Date // the date the facts are as of (the run date)
	Cases    []CaseFacts
	Calendar Calendar
	Config   Config
	// SchoolsConfigured says whether compliance is configured (compliance.md: returns.la_codes).
	// Without it the COOS agenda leaves the schools section out with a warning; with it, Schools
	// holds the section's items (schools not returning), which the compliance engineer's code
	// supplies.
	SchoolsConfigured bool
	Schools           []pme.AgendaItem
	// Letters are the letters about pupils with no case (a letter can be due with no rule firing):
	// listed when overdue a reply or answered with inadequate or partial assurance.
	Letters []LetterFacts
	// CreatedAt makes the agenda id: the same meeting written twice gets two ids, so decisions
	// are always checked against the agenda they were written on.
	CreatedAt time.Time
}

// SchoolsWarning is the warning printed when the schools section is left out.
const SchoolsWarning = "The schools-not-returning section is left out: compliance is not configured. " +
	"Set returns.la_codes in the configuration (compliance.md) to list schools that have not returned."

// BuildAgenda selects and orders a meeting's items (casework.md, The meeting agenda).
//
// COOS, in this order: new cases; changed cases (and in-hand or no-further-action cases whose
// facts changed); in-hand cases whose review date is reached; actions due by the meeting date or
// overdue (whatever the case's handling, closed cases too); letters overdue a reply; inadequate or
// partial assurances not yet decided on; schools not returning; and the escalation prompt,
// "consider VCEC referral". A case needing attention is listed once, in the first of new, changed,
// review-due and consider-vcec that fits; its deadlines are listed as well. VCEC: the escalated
// cases with their history.
func BuildAgenda(in AgendaInput) pme.Agenda {
	a := pme.Agenda{Meeting: in.Meeting, Date: in.Date, FactsAsOf: in.Today, Items: []pme.AgendaItem{}, Warnings: []string{}}
	a.ID = AgendaID(in.Meeting, in.Date, in.CreatedAt)
	if in.Meeting == pme.MeetingVCEC {
		a.Sections = slices.Clone(pme.VCECSections)
		a.Items = vcecItems(in)
		return a
	}
	a.Sections = slices.Clone(pme.COOSSections)
	if !in.SchoolsConfigured {
		a.Sections = slices.DeleteFunc(a.Sections, func(s string) bool { return s == pme.SectionSchools })
		a.Warnings = append(a.Warnings, SchoolsWarning)
	}
	bySection := map[string][]pme.AgendaItem{}
	for _, c := range in.Cases {
		h := HandlingToday(c.Decisions, c.Events, in.Today)
		if s := attentionSection(c, h, in); s != "" {
			bySection[s] = append(bySection[s], caseItem(s, c, h, in))
		}
		if due := dueActions(c.Actions, in.Date); len(due) > 0 {
			it := caseItem(pme.SectionActionsDue, c, h, in)
			it.Actions = due
			bySection[pme.SectionActionsDue] = append(bySection[pme.SectionActionsDue], it)
		}
		for _, l := range c.Letters {
			st := LetterState(l, in.Date, in.Calendar, in.Config)
			if st.Overdue {
				it := letterItem(pme.SectionLettersOverdue, c, h, l, in)
				it.Detail = reminderDetail(st, in.Config)
				bySection[pme.SectionLettersOverdue] = append(bySection[pme.SectionLettersOverdue], it)
			}
			if r, ok := undecidedAssurance(c, l, in.Today); ok {
				it := letterItem(pme.SectionAssurance, c, h, l, in)
				it.Assurance = r.Assurance
				bySection[pme.SectionAssurance] = append(bySection[pme.SectionAssurance], it)
			}
		}
	}
	for _, l := range in.Letters {
		st := LetterState(l, in.Date, in.Calendar, in.Config)
		if st.Overdue {
			bySection[pme.SectionLettersOverdue] = append(bySection[pme.SectionLettersOverdue], caselessLetterItem(l, st, in.Config))
		}
		if r, ok := undecidedAssurance(CaseFacts{}, l, in.Today); ok {
			it := caselessLetterItem(l, st, in.Config)
			it.Detail, it.Assurance = "", r.Assurance
			bySection[pme.SectionAssurance] = append(bySection[pme.SectionAssurance], it)
		}
	}
	bySection[pme.SectionSchools] = in.Schools
	for _, s := range a.Sections {
		items := bySection[s]
		sortSection(s, items)
		for i := range items {
			items[i].Section = s
		}
		a.Items = append(a.Items, items...)
	}
	return a
}

// attentionSection returns the "needs attention" section a case goes in, "" for none.
func attentionSection(c CaseFacts, h pme.Handling, in AgendaInput) string {
	if c.Case.Status == pme.CaseClosed || h.State != pme.HandlingUnreviewed {
		return ""
	}
	switch h.Returned {
	case pme.ReturnedReviewDate:
		return pme.SectionReviewDue
	case pme.ReturnedFactsChanged:
		return pme.SectionChanged
	}
	if ConsiderVCEC(c, h, in.Today, in.Calendar, in.Config) {
		return pme.SectionConsiderVCEC
	}
	since := FlaggedSince(c)
	for _, ev := range c.Events {
		if ev.Status == pme.CaseChanged && !ev.Date.Before(since) && !ev.Date.After(in.Today) {
			return pme.SectionChanged
		}
	}
	return pme.SectionNew
}

// dueActions returns the open actions due by the meeting date (overdue ones included).
func dueActions(actions []pme.Action, by pme.Date) []pme.Action {
	var out []pme.Action
	for _, a := range OpenActions(actions) {
		if !a.Due.IsZero() && !a.Due.After(by) {
			out = append(out, a)
		}
	}
	return out
}

// undecidedAssurance returns a letter's latest reply when it gave inadequate or partial assurance
// and nobody has decided the case's handling since it came (the escalation an inadequate reply
// makes itself does not count).
func undecidedAssurance(c CaseFacts, l LetterFacts, today pme.Date) (pme.LetterReply, bool) {
	var last *pme.LetterReply
	for i := range l.Replies {
		if !l.Replies[i].Received.After(today) {
			last = &l.Replies[i]
		}
	}
	if last == nil || last.Assurance == pme.AssuranceAdequate {
		return pme.LetterReply{}, false
	}
	for _, d := range c.Decisions {
		if d.At.After(last.At) && d.Source != LetterSource(l.Letter.ID) && !d.Day.After(today) {
			return pme.LetterReply{}, false
		}
	}
	return *last, true
}

// LetterSource is the Source of the handling decision a letter reply makes.
func LetterSource(letterID string) string { return "letter " + letterID }

// caseItem fills an item's case fields.
func caseItem(section string, c CaseFacts, h pme.Handling, in AgendaInput) pme.AgendaItem {
	it := pme.AgendaItem{Section: section, CaseID: c.Case.ID, UPN: c.Case.UPN, Child: c.Child, LAESTAB: c.Case.LAESTAB,
		School: c.School, Status: c.Case.Status, Severity: c.Case.Severity, Handling: h.State, Review: h.Review,
		Reason: h.Reason, ReturnedBecause: h.ReturnedBecause, Owner: c.Owner, Why: Why(c.Case),
		Actions: OpenActions(c.Actions), DaysFlagged: DaysFlagged(c, in.Today, in.Calendar)}
	if it.Actions == nil {
		it.Actions = []pme.Action{}
	}
	if n := len(c.Notes); n > 0 {
		last := c.Notes[n-1]
		it.LastNote = &last
	}
	return it
}

// letterItem is a case item about one of its letters.
func letterItem(section string, c CaseFacts, h pme.Handling, l LetterFacts, in AgendaInput) pme.AgendaItem {
	it := caseItem(section, c, h, in)
	it.LetterID, it.Sent, it.ReplyBy = l.Letter.ID, l.Letter.Date, l.ReplyBy
	if it.LAESTAB == "" {
		it.LAESTAB = l.Letter.LAESTAB
	}
	return it
}

// caselessLetterItem is an item about a letter whose pupil has no case: the child and school as
// the letter printed them.
func caselessLetterItem(l LetterFacts, st pme.CaseLetter, cfg Config) pme.AgendaItem {
	return pme.AgendaItem{UPN: l.Letter.UPN, Child: l.Letter.Data.Pupil.Name, LAESTAB: l.Letter.LAESTAB,
		School: l.Letter.Data.School.Name, Why: []string{}, Handling: pme.HandlingUnreviewed, Actions: []pme.Action{},
		LetterID: l.Letter.ID, Sent: l.Letter.Date, ReplyBy: l.ReplyBy, Detail: reminderDetail(st, cfg)}
}

// reminderDetail says where a letter overdue a reply stands with its reminder.
func reminderDetail(st pme.CaseLetter, cfg Config) string {
	switch {
	case st.ReminderDue:
		return fmt.Sprintf("reminder due (no reply %d school days after the reply-by date)", cfg.ChaseAfterSchoolDays)
	case !st.ReminderSent.IsZero():
		return "reminder sent " + st.ReminderSent.UK()
	}
	return ""
}

// Why returns the rule explanations of a case, or for a closed case why it closed.
func Why(c pme.Case) []string {
	out := []string{}
	for _, f := range c.Findings {
		out = append(out, f.Explanation)
	}
	if len(out) == 0 && c.CloseReason != "" {
		out = append(out, c.CloseReason)
	}
	return out
}

// vcecItems lists the escalated cases, each with its history.
func vcecItems(in AgendaInput) []pme.AgendaItem {
	var out []pme.AgendaItem
	for _, c := range in.Cases {
		h := HandlingToday(c.Decisions, c.Events, in.Today)
		if h.State != pme.HandlingEscalated {
			continue
		}
		it := caseItem(pme.SectionEscalated, c, h, in)
		it.History = History(c)
		out = append(out, it)
	}
	sortSection(pme.SectionEscalated, out)
	return out
}

// History returns a case's history for the VCEC panel, oldest first, one dated line each: status
// changes, handling decisions and actions (ids, states and dates: the free text is in the item's
// other fields).
func History(c CaseFacts) []string {
	type line struct {
		day  pme.Date
		at   time.Time
		text string
	}
	var ls []line
	for _, ev := range c.Events {
		ls = append(ls, line{ev.Date, time.Time{}, ev.Date.UK() + " case " + ev.Status + ": " + ev.Note})
	}
	for _, d := range c.Decisions {
		t := d.Day.UK() + " " + d.State
		if d.State == pme.HandlingInHand {
			t += " until " + d.Review.UK()
		}
		ls = append(ls, line{d.Day, d.At, t + " (" + d.By + ")"})
	}
	for _, a := range c.Actions {
		day := pme.DateOf(a.At)
		t := day.UK() + " action " + a.ID + " agreed, owner " + a.Owner + ", due " + a.Due.UK()
		if a.Status != pme.ActionOpen {
			t += "; " + a.Status + " " + pme.DateOf(a.StatusAt).UK()
		}
		ls = append(ls, line{day, a.At, t})
	}
	slices.SortStableFunc(ls, func(a, b line) int {
		if c := cmp.Compare(a.day.String(), b.day.String()); c != 0 {
			return c
		}
		return a.at.Compare(b.at)
	})
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.text
	}
	return out
}

var severityRank = map[string]int{pme.SeverityCritical: 0, pme.SeverityHigh: 1, pme.SeverityMedium: 2, pme.SeverityLow: 3}

// sortSection orders a section: deadlines by date, cases most severe and longest flagged first.
func sortSection(section string, items []pme.AgendaItem) {
	slices.SortStableFunc(items, func(a, b pme.AgendaItem) int {
		switch section {
		case pme.SectionActionsDue:
			if c := compareDue(a.Actions[0].Due, b.Actions[0].Due); c != 0 {
				return c
			}
		case pme.SectionLettersOverdue, pme.SectionAssurance:
			if c := compareDue(a.ReplyBy, b.ReplyBy); c != 0 {
				return c
			}
		case pme.SectionSchools:
			return cmp.Compare(a.LAESTAB, b.LAESTAB)
		}
		if c := cmp.Compare(rank(a.Severity), rank(b.Severity)); c != 0 {
			return c
		}
		if c := cmp.Compare(b.DaysFlagged, a.DaysFlagged); c != 0 {
			return c
		}
		return cmp.Compare(a.CaseID+a.LetterID, b.CaseID+b.LetterID)
	})
}

func rank(sev string) int {
	if r, ok := severityRank[sev]; ok {
		return r
	}
	return len(severityRank)
}

// AgendaID returns an agenda's id: "AG-COOS-20261127-" and six characters of a hash of when it
// was written, so two agendas for one meeting differ.
func AgendaID(meeting string, date pme.Date, created time.Time) string {
	sum := sha256.Sum256([]byte(meeting + date.String() + created.UTC().Format(time.RFC3339Nano)))
	return "AG-" + strings.ToUpper(meeting) + "-" + strings.ReplaceAll(date.String(), "-", "") + "-" + strings.ToUpper(hex.EncodeToString(sum[:3]))
}
