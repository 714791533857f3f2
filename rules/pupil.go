package rules

import (
	"fmt"
	"sort"
	"strings"

	"pme"
)

// pmeOver20Days (PME_OVER_20_DAYS; "Children missing education", DfE 2024, and Education Act 1996
// s19): a child not in full-time education for a long spell is missing education in all but name,
// and the council's duty to arrange suitable full-time education applies. Not in full-time
// education means an active reduced timetable, or active AP whose hours at the provider and at
// school fall below full time (as AP_NOT_FULL_TIME measures it). The spell is counted in school
// days from the start of the earliest such provision to the run date, both included, and fires over
// 20 (configurable).
func pmeOver20Days(e *evaluator, p *pupilFacts) (finding, bool) {
	limit := int(e.cfg.threshold(pme.RulePMEOver20Days, KeySchoolDays))
	var start pme.Date
	var what, la, basis string
	for _, t := range p.activeRT {
		if start.IsZero() || t.StartDate.Before(start) {
			start, la = t.StartDate, t.LAESTAB
			what = fmt.Sprintf("a reduced timetable of %s hours a week%s", hours(t.HoursPerWeek), staleClause(t.Stale, t.Received))
			basis = rtBasis(t)
		}
	}
	if w, floor, below := e.apBelowFullTime(p); below {
		for _, a := range p.activeAP {
			if start.IsZero() || a.StartDate.Before(start) {
				start, la = a.StartDate, a.LAESTAB
				what = fmt.Sprintf("alternative provision of %s hours a week, below %s%s", hours(w.total), hours(floor), staleClause(a.Stale, a.Received))
				basis = apBasis(a)
			}
		}
	}
	if start.IsZero() {
		return finding{}, false
	}
	n := e.schoolDaysSince(start)
	if n <= limit {
		return finding{}, false
	}
	return finding{
		text: fmt.Sprintf("not in full-time education for %d school days since %s (%s), over %d: consider referral to the Vulnerable Children Education Commissioning panel",
			n, start.UK(), what, limit),
		basis:   basis,
		laestab: la,
	}, true
}

// Return type names for sentences.
var returnNames = map[pme.ReturnType]string{
	pme.ReducedTimetable:     "reduced timetable",
	pme.AlternativeProvision: "alternative provision",
	pme.Suspensions:          "suspensions",
}

// multipleReturns (MULTIPLE_RETURNS; "Children missing education", DfE 2024): a pupil on more than
// one return in a year (part-time, then AP, then suspended) is a pattern the guidance asks councils
// to notice. The
// types come from the facts (provision running at some point this academic year up to today,
// suspensions starting in it) and from the store's record of earlier snapshots this year.
func multipleReturns(e *evaluator, p *pupilFacts) (finding, bool) {
	limit := int(e.cfg.threshold(pme.RuleMultipleReturns, KeyCount))
	on := map[pme.ReturnType]bool{}
	for _, t := range p.returnTypes {
		on[t] = true
	}
	for _, t := range p.timetables {
		if e.ranThisYear(t.StartDate, t.ActualEndDate) {
			on[pme.ReducedTimetable] = true
		}
	}
	for _, a := range p.placements {
		if e.ranThisYear(a.StartDate, a.EndDate) {
			on[pme.AlternativeProvision] = true
		}
	}
	if len(p.yearSusp) > 0 {
		on[pme.Suspensions] = true
	}
	if len(on) < limit || len(on) == 0 {
		return finding{}, false
	}
	var names []string
	for _, t := range pme.ReturnTypes {
		if on[t] {
			names = append(names, returnNames[t])
		}
	}
	return finding{
		text:  fmt.Sprintf("on %d return types in %s: %s", len(names), e.yearName, joinAnd(names)),
		basis: strings.Join(names, ","),
	}, true
}

// ranThisYear reports whether provision from start to end (blank: still running) was running on
// some day of this academic year up to the run date.
func (e *evaluator) ranThisYear(start, end pme.Date) bool {
	if start.IsZero() || start.After(e.today) {
		return false
	}
	return end.IsZero() || !end.Before(e.yearStart)
}

// Plan names for sentences.
var planNames = map[string]string{
	pme.PlanCP:  "Child Protection",
	pme.PlanCIN: "Child in Need",
	pme.PlanLAC: "looked-after child",
}

// matchAmbiguous (MATCH_AMBIGUOUS; reference-data.md, and "Working together to safeguard
// children", 2023, on sharing what is known about a child): the pupil may be on an open plan, but the social care match was not certain
// enough to use (reference-data.md); a person must check, because a missed CP plan would mean a
// missed uplift and a missed letter.
func matchAmbiguous(e *evaluator, p *pupilFacts) (finding, bool) {
	var parts, basis []string
	for _, m := range p.matches {
		if m.Method != pme.MatchAmbiguous || !m.Plan.OpenOn(e.today) {
			continue
		}
		s := fmt.Sprintf("a %s plan (social care child %s)", planNames[m.Plan.PlanType], m.Plan.ChildID)
		if m.Note != "" {
			s += ": " + m.Note
		}
		parts = append(parts, s)
		basis = append(basis, m.Plan.PlanType+" "+m.Plan.ChildID)
	}
	if len(parts) == 0 {
		return finding{}, false
	}
	sort.Strings(basis)
	return finding{
		text:  fmt.Sprintf("may be on %s; the match to social care needs a person to check", strings.Join(parts, "; or ")),
		basis: strings.Join(basis, ","),
	}, true
}

// planOrder ranks plan types for the case's Plan: CP, then CIN (the two that make a letter due),
// then LAC.
var planOrder = map[string]int{pme.PlanCP: 0, pme.PlanCIN: 1, pme.PlanLAC: 2}

// openPlans returns the plans open today from confirmed matches (by UPN, or by name and date of
// birth), CP first. Ambiguous matches are never used.
func openPlans(ms []*pme.PlanMatch, today pme.Date) []pme.Plan {
	var out []pme.Plan
	for _, m := range ms {
		if (m.Method == pme.MatchUPN || m.Method == pme.MatchNameDOB) && m.Plan.OpenOn(today) {
			if _, known := planOrder[m.Plan.PlanType]; known {
				out = append(out, m.Plan)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return planOrder[out[i].PlanType] < planOrder[out[j].PlanType] })
	return out
}

// planType returns the most serious open plan's type, or "".
func planType(plans []pme.Plan) string {
	if len(plans) == 0 {
		return ""
	}
	return plans[0].PlanType
}

// vulnerability says why the pupil's severities are raised (rules.md): an open CP, CIN or LAC
// plan, or SEN provision E (an education, health and care plan). "" when neither.
func vulnerability(p *pupilFacts) string {
	var why []string
	if len(p.plans) > 0 {
		pl := p.plans[0]
		why = append(why, fmt.Sprintf("open %s plan since %s", planNames[pl.PlanType], pl.StartDate.UK()))
	}
	if p.pupil.SEN == "E" {
		why = append(why, "education, health and care plan (SEN provision E)")
	}
	return strings.Join(why, "; ")
}

// letterDue: an open CP or CIN plan (a looked-after child alone does not make one due) and an
// active reduced timetable or AP placement (rules.md, outputs.md).
func letterDue(p *pupilFacts) bool {
	if len(p.activeRT) == 0 && len(p.activeAP) == 0 {
		return false
	}
	for _, pl := range p.plans {
		if pl.PlanType == pme.PlanCP || pl.PlanType == pme.PlanCIN {
			return true
		}
	}
	return false
}

// c2LetterDue: an open CP or CIN plan and ATT_C2_NOT_RETURNED: the register shows a part-time
// timetable the school has not returned (attendance.md); the letter describes it from the register.
func c2LetterDue(p *pupilFacts, fs []pme.Finding) bool {
	fired := false
	for _, f := range fs {
		fired = fired || f.Rule == pme.RuleAttC2NotReturned
	}
	if !fired {
		return false
	}
	for _, pl := range p.plans {
		if pl.PlanType == pme.PlanCP || pl.PlanType == pme.PlanCIN {
			return true
		}
	}
	return false
}

// joinAnd joins "a", "b" and "c" as "a, b and c".
func joinAnd(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
