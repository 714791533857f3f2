package rules

import (
	"fmt"

	"pme"
)

// The suspension rules apply the DfE's "Suspension and permanent exclusion from maintained schools,
// academies and pupil referral units in England" (statutory guidance, August 2024): a pupil may be
// suspended for at most 45 school days in an academic year; a lunchtime suspension counts as half
// a school day; from the sixth consecutive school day of a suspension the school must arrange
// suitable full-time education, and after a permanent exclusion the local authority must.
//
// Events count in the academic year of the run date when they start in it (1 September to 31
// August), from every school the pupil attended: the limit follows the child.

// yearDays sums the sessions of this year's suspensions and lunchtime suspensions (a lunchtime is
// one session, half a day); permanent exclusions do not count towards the 45 days.
type yearDays struct {
	sessions, lunchtimes, events int
	schools                      map[string]bool
}

// suspensionDays returns the pupil's suspension days this year, summed once: two rules ask.
func (e *evaluator) suspensionDays(p *pupilFacts) yearDays {
	if p.days == nil {
		d := sumDays(p.yearSusp)
		p.days = &d
	}
	return *p.days
}

func sumDays(events []*pme.StoredSuspension) yearDays {
	d := yearDays{schools: map[string]bool{}}
	for _, s := range events {
		switch s.Category {
		case pme.CategorySuspension:
			d.sessions += s.Sessions
		case pme.CategoryLunchtime:
			n := max(s.Sessions, 1)
			d.sessions += n
			d.lunchtimes += n
		default:
			continue
		}
		d.events++
		d.schools[s.LAESTAB] = true
	}
	return d
}

// days returns the suspension days: sessions ÷ 2.
func (d yearDays) days() float64 { return float64(d.sessions) / 2 }

// describe says "93 sessions, 3 of them lunchtimes, across 2 schools" or "60 sessions, 1 of them
// a lunchtime, at one school".
func (d yearDays) describe() string {
	lunch := ""
	switch {
	case d.lunchtimes == 1:
		lunch = ", 1 of them a lunchtime"
	case d.lunchtimes > 1:
		lunch = fmt.Sprintf(", %d of them lunchtimes", d.lunchtimes)
	}
	where := "at one school"
	if len(d.schools) > 1 {
		where = fmt.Sprintf("across %d schools", len(d.schools))
	}
	return fmt.Sprintf("%s%s, %s", plural(d.sessions, "session"), lunch, where)
}

func (d yearDays) basis() string {
	return fmt.Sprintf("%d sessions %d lunchtimes %d events %d schools", d.sessions, d.lunchtimes, d.events, len(d.schools))
}

// latestSchool returns the school of the pupil's latest suspension this year.
func latestSchool(p *pupilFacts) string {
	if n := len(p.yearSusp); n > 0 {
		return p.yearSusp[n-1].LAESTAB
	}
	return ""
}

// suspOver45Days (SUSP_OVER_45_DAYS; "Suspension and permanent exclusion", DfE 2024): the guidance's limit of 45 school days of suspension in an academic year.
func suspOver45Days(e *evaluator, p *pupilFacts) (finding, bool) {
	limit := e.cfg.threshold(pme.RuleSuspOver45Days, KeyDays)
	d := e.suspensionDays(p)
	if d.days() <= limit {
		return finding{}, false
	}
	return finding{
		text: fmt.Sprintf("suspended for %s days in %s (%s), over the %s-day limit",
			sessionDays(d.sessions), e.yearName, d.describe(), hours(limit)),
		basis:   d.basis(),
		laestab: latestSchool(p),
	}, true
}

// suspApproaching (SUSP_APPROACHING_LIMIT; "Suspension and permanent exclusion", DfE 2024): 30 days or more (configurable) and not yet over the limit of
// SUSP_OVER_45_DAYS: time to act before the pupil reaches the 45-day limit.
func suspApproaching(e *evaluator, p *pupilFacts) (finding, bool) {
	from := e.cfg.threshold(pme.RuleSuspApproaching, KeyDays)
	limit := e.cfg.threshold(pme.RuleSuspOver45Days, KeyDays)
	d := e.suspensionDays(p)
	if d.days() < from || d.days() > limit {
		return finding{}, false
	}
	return finding{
		text: fmt.Sprintf("suspended for %s days in %s (%s), approaching the %s-day limit",
			sessionDays(d.sessions), e.yearName, d.describe(), hours(limit)),
		basis:   d.basis(),
		laestab: latestSchool(p),
	}, true
}

// suspRepeated (SUSP_REPEATED; "Suspension and permanent exclusion", DfE 2024): repeated suspensions in one term (3 or more, configurable) suggest the school's
// approach is not working and the guidance's expectation of early help and a review of the
// pupil's needs applies. Counts SUSP events (not lunchtimes, not permanent exclusions) starting in
// the current term, or the last term when the run date is in a holiday.
func suspRepeated(e *evaluator, p *pupilFacts) (finding, bool) {
	if !e.hasTerm {
		return finding{}, false
	}
	limit := int(e.cfg.threshold(pme.RuleSuspRepeated, KeyCount))
	var starts []pme.Date
	var la string
	for _, s := range p.suspensions {
		if s.Category != pme.CategorySuspension || s.StartDate.Before(e.term.Start) || s.StartDate.After(e.term.End) {
			continue
		}
		starts = append(starts, s.StartDate)
		la = s.LAESTAB
	}
	if len(starts) < limit || len(starts) == 0 {
		return finding{}, false
	}
	sortDates(starts)
	list := dateList(starts)
	return finding{
		text:    fmt.Sprintf("suspended %d times in the %s term (starting %s)", len(starts), e.term.Name, list),
		basis:   e.term.Name + " " + list,
		laestab: la,
	}, true
}

// suspNoSixthDay (SUSP_NO_SIXTH_DAY; "Suspension and permanent exclusion", DfE 2024): for a suspension of more than 5 school days (10 sessions; configurable in days)
// the school must arrange suitable full-time education from the sixth day. It fires when the
// return does not say Y to Sixth Day Provision.
func suspNoSixthDay(e *evaluator, p *pupilFacts) (finding, bool) {
	limit := e.cfg.threshold(pme.RuleSuspNoSixthDay, KeyDays)
	for _, s := range p.yearSusp {
		if s.Category != pme.CategorySuspension || float64(s.Sessions)/2 <= limit || s.SixthDayProvision == "Y" {
			continue
		}
		how := "left blank"
		if s.SixthDayProvision == "N" {
			how = "returned as N"
		}
		return finding{
			text: fmt.Sprintf("suspended for %s days from %s (%s) without sixth-day provision (%s)",
				sessionDays(s.Sessions), s.StartDate.UK(), plural(s.Sessions, "session"), how),
			basis:   fmt.Sprintf("%s %s %d %s", s.LAESTAB, s.StartDate, s.Sessions, s.SixthDayProvision),
			laestab: s.LAESTAB,
		}, true
	}
	return finding{}, false
}

// permExclusion (PERM_EXCLUSION; "Suspension and permanent exclusion", DfE 2024, and Education Act 1996 s19):
// after a permanent exclusion the local authority must arrange suitable full-time
// education from the sixth school day (Education Act 1996 s19; the 2024 guidance). Fires for a
// permanent exclusion starting in the academic year; the latest is named.
func permExclusion(e *evaluator, p *pupilFacts) (finding, bool) {
	var last *pme.StoredSuspension
	for _, s := range p.yearSusp {
		if s.Category == pme.CategoryPermanent {
			last = s
		}
	}
	if last == nil {
		return finding{}, false
	}
	sixth := e.sixthSchoolDay(last.StartDate)
	return finding{
		text: fmt.Sprintf("permanently excluded from %s: the council must arrange suitable full-time education from the sixth school day, %s",
			last.StartDate.UK(), sixth.UK()),
		basis:   last.LAESTAB + " " + last.StartDate.String(),
		laestab: last.LAESTAB,
	}, true
}

// sixthSchoolDay returns the sixth school day of an exclusion that starts on d: d itself is the
// first when it is a school day, else the first school day after it.
func (e *evaluator) sixthSchoolDay(d pme.Date) pme.Date {
	if e.cal.IsSchoolDay(d) {
		return e.cal.AddSchoolDays(d, 5)
	}
	return e.cal.AddSchoolDays(d, 6)
}

func sortDates(ds []pme.Date) {
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && ds[j].Before(ds[j-1]); j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}
