package rules

import (
	"fmt"
	"sort"
	"strings"

	"pme"
)

// UpdateCases carries the cases forward to today's results (rules.md, Cases). It is a pure
// function: it returns every case, changed or not, ordered by pupil, and the status changes made,
// each an event dated today.
//
//   - a pupil flagged with no case, or whose case is closed, gets status new (a closed case reopens
//     with its id and history, and keeps its first-flagged date);
//   - a case flagged again with the same fingerprint becomes open; with a different one, changed;
//   - a case whose pupil no longer has a finding is closed, with the date and why.
//
// Running it again on the same day with the same results changes nothing: a case whose status
// was set today keeps it (a case new today stays new, not open), and no event is added. Results
// without findings (a letter due and nothing else) raise no case.
func UpdateCases(prev []pme.Case, results []PupilResult, today pme.Date, newID func() string) (next []pme.Case, events []pme.CaseEvent) {
	byPupil := make(map[int64]PupilResult, len(results))
	for _, r := range results {
		if len(r.Findings) > 0 {
			byPupil[r.PupilID] = r
		}
	}
	seen := make(map[int64]bool, len(prev))
	next = make([]pme.Case, 0, len(prev)+len(byPupil))
	for _, c := range prev {
		if seen[c.PupilID] {
			continue // one case per pupil: a duplicate would be a store bug, never two cases
		}
		seen[c.PupilID] = true
		r, flagged := byPupil[c.PupilID]
		var ev *pme.CaseEvent
		if flagged {
			c, ev = carry(c, r, today)
		} else {
			c, ev = closeCase(c, today)
		}
		next = append(next, c)
		if ev != nil {
			events = append(events, *ev)
		}
	}
	var fresh []int64
	for id := range byPupil {
		if !seen[id] {
			fresh = append(fresh, id)
		}
	}
	sort.Slice(fresh, func(i, j int) bool { return fresh[i] < fresh[j] })
	for _, id := range fresh {
		r := byPupil[id]
		c := pme.Case{ID: newID(), PupilID: id, Status: pme.CaseNew, FirstFlagged: today, LastChanged: today}
		fill(&c, r)
		next = append(next, c)
		events = append(events, event(c, today, "flagged: "+strings.Join(c.Rules, ", ")))
	}
	sort.SliceStable(next, func(i, j int) bool { return next[i].PupilID < next[j].PupilID })
	return next, events
}

// carry updates a case whose pupil is flagged today.
func carry(c pme.Case, r PupilResult, today pme.Date) (pme.Case, *pme.CaseEvent) {
	before := c
	fill(&c, r)
	sameDay := !c.LastChanged.Before(today) // the status was already set by a run on this date
	switch {
	case before.Status == pme.CaseClosed:
		c.Status, c.LastChanged = pme.CaseNew, today
		c.ClosedOn, c.CloseReason = pme.Date{}, ""
		if c.FirstFlagged.IsZero() {
			c.FirstFlagged = today
		}
		ev := event(c, today, fmt.Sprintf("flagged again after closing on %s: %s", before.ClosedOn.UK(), strings.Join(c.Rules, ", ")))
		return c, &ev
	case before.Fingerprint == c.Fingerprint:
		if before.Status == pme.CaseOpen || sameDay {
			return c, nil
		}
		c.Status, c.LastChanged = pme.CaseOpen, today
		ev := event(c, today, "still flagged, no change: "+strings.Join(c.Rules, ", "))
		return c, &ev
	case before.Status == pme.CaseNew && sameDay:
		// Flagged for the first time today and changed by a rerun today: still new since the
		// last report, but the change is kept in the history.
		ev := event(c, today, "changed on a rerun: "+diff(before, c))
		return c, &ev
	default:
		c.Status, c.LastChanged = pme.CaseChanged, today
		ev := event(c, today, diff(before, c))
		return c, &ev
	}
}

// closeCase closes a case whose pupil has no finding today; a closed case stays as it is.
func closeCase(c pme.Case, today pme.Date) (pme.Case, *pme.CaseEvent) {
	if c.Status == pme.CaseClosed {
		return c, nil
	}
	c.CloseReason = closeReason(c.Rules, today)
	c.Status, c.ClosedOn, c.LastChanged = pme.CaseClosed, today, today
	ev := event(c, today, c.CloseReason)
	return c, &ev
}

// fill copies today's result into the case.
func fill(c *pme.Case, r PupilResult) {
	c.UPN = r.UPN
	c.Severity = r.Severity
	c.Rules = r.Rules()
	c.Findings = append([]pme.Finding(nil), r.Findings...)
	c.LAESTAB = r.LAESTAB
	c.Plan = r.Plan
	c.LetterDue = r.LetterDue
	c.Vulnerable = r.Vulnerable
	c.Fingerprint = r.Fingerprint
}

func event(c pme.Case, today pme.Date, note string) pme.CaseEvent {
	return pme.CaseEvent{CaseID: c.ID, Date: today, Status: c.Status, Note: note}
}

// diff says what changed between two versions of a case: rules added and gone, severities
// raised or lowered, else that the figures behind the same rules changed.
func diff(before, after pme.Case) string {
	was := map[string]string{}
	for _, f := range before.Findings {
		was[f.Rule] = f.Severity
	}
	now := map[string]bool{}
	var added, sev []string
	for _, f := range after.Findings {
		now[f.Rule] = true
		old, ok := was[f.Rule]
		switch {
		case !ok:
			added = append(added, f.Rule)
		case old != f.Severity:
			sev = append(sev, fmt.Sprintf("%s %s to %s", f.Rule, old, f.Severity))
		}
	}
	var gone []string
	for _, r := range before.Rules {
		if !now[r] {
			gone = append(gone, r)
		}
	}
	var parts []string
	if len(added) > 0 {
		parts = append(parts, "now also "+strings.Join(added, ", "))
	}
	if len(gone) > 0 {
		parts = append(parts, "no longer "+strings.Join(gone, ", "))
	}
	if len(sev) > 0 {
		parts = append(parts, "severity "+strings.Join(sev, ", "))
	}
	if len(parts) == 0 {
		return "the figures behind " + strings.Join(after.Rules, ", ") + " changed"
	}
	return strings.Join(parts, "; ")
}

// cleared says, per rule, what has most likely happened when it stops firing. The rules see only
// today's facts, so the reason names the possibilities rather than guess one.
var cleared = map[string]string{
	pme.RuleRTNoEndDate:           "the reduced timetable ended, was corrected or is no longer returned",
	pme.RuleRTOverLimit:           "the reduced timetable ended, was corrected or is no longer returned",
	pme.RuleRTPastEndDate:         "the reduced timetable ended, was corrected or is no longer returned",
	pme.RuleRTLowHours:            "the reduced timetable ended, was corrected or is no longer returned",
	pme.RuleRTNoParentalAgreement: "the reduced timetable ended, was corrected or is no longer returned",
	pme.RuleRTReviewOverdue:       "the reduced timetable ended, was corrected or is no longer returned",
	pme.RuleRTBehaviour:           "the reduced timetable ended, was corrected or is no longer returned",
	pme.RuleAPUnapprovedProvider:  "the AP placement ended, was corrected or is no longer returned",
	pme.RuleAPUnregisteredFT:      "the AP placement ended, was corrected or is no longer returned",
	pme.RuleAPNotFullTime:         "the AP placement ended, was corrected or is no longer returned",
	pme.RulePMEOver20Days:         "the pupil is back in full-time education or the provision is no longer returned",
	pme.RuleSuspOver45Days:        "the suspensions no longer fall in the year or term counted, or were corrected",
	pme.RuleSuspApproaching:       "the suspensions no longer fall in the year or term counted, or were corrected",
	pme.RuleSuspRepeated:          "the suspensions no longer fall in the year or term counted, or were corrected",
	pme.RuleSuspNoSixthDay:        "the suspensions no longer fall in the year or term counted, or were corrected",
	pme.RulePermExclusion:         "the permanent exclusion is no longer in this academic year, or was corrected",
	pme.RuleMultipleReturns:       "the pupil is no longer on several return types this academic year",
	pme.RuleMatchAmbiguous:        "the social care match was settled or the plan closed",
}

// closeReason explains an automatic close: "no rule fires since 28/11/2026 (last flagged for
// RT_OVER_LIMIT): the reduced timetable ended, was corrected or is no longer returned".
func closeReason(rules []string, today pme.Date) string {
	var whys []string
	seen := map[string]bool{}
	for _, r := range rules {
		w := cleared[r]
		if w == "" {
			w = "the rule is turned off or no longer applies"
		}
		if !seen[w] {
			seen[w] = true
			whys = append(whys, w)
		}
	}
	s := "no rule fires since " + today.UK()
	if len(rules) > 0 {
		s += " (last flagged for " + strings.Join(rules, ", ") + ")"
	}
	if len(whys) > 0 {
		s += ": " + strings.Join(whys, "; ")
	}
	return s
}
