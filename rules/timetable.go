package rules

import (
	"fmt"

	"pme"
)

// The reduced-timetable rules apply the DfE's "Working together to improve school attendance"
// (statutory guidance, August 2024), paragraphs on part-time timetables: a part-time timetable is
// an exceptional, temporary measure to meet a pupil's individual needs; it needs the parent's
// agreement, a time limit by which the pupil returns to full time, and regular review; it must not
// be used to manage behaviour; and the school should tell the local authority. The rules look only
// at active timetables (rules.md): in the snapshot, started, and no actual end on or before today.

// rtBasis is what a timetable finding rests on: which timetable it is.
func rtBasis(t *pme.StoredTimetable) string {
	return t.LAESTAB + " " + t.StartDate.String()
}

// rtNoEndDate (RT_NO_END_DATE; "Working together to improve school attendance", DfE 2024): the
// guidance expects a time limit with a planned return to full time. A timetable
// with no planned end date has none.
func rtNoEndDate(e *evaluator, p *pupilFacts) (finding, bool) {
	for _, t := range p.activeRT {
		if t.PlannedEndDate.IsZero() {
			return finding{
				text:    fmt.Sprintf("on a reduced timetable since %s with no planned end date%s", t.StartDate.UK(), staleNote(t.Stale, t.Received)),
				basis:   rtBasis(t),
				laestab: t.LAESTAB,
			}, true
		}
	}
	return finding{}, false
}

// rtOverLimit (RT_OVER_LIMIT; "Working together to improve school attendance", DfE 2024): the
// guidance wants part-time timetables short. The council's limit is 30 school
// days (configurable), counted from the start date to the run date, both included, on the school
// calendar; it fires when the count is over the limit.
func rtOverLimit(e *evaluator, p *pupilFacts) (finding, bool) {
	limit := int(e.cfg.threshold(pme.RuleRTOverLimit, KeySchoolDays))
	for _, t := range p.activeRT {
		n := e.schoolDaysSince(t.StartDate)
		if n > limit {
			return finding{
				text: fmt.Sprintf("on a reduced timetable for %d school days since %s, over the %d-day limit%s",
					n, t.StartDate.UK(), limit, staleNote(t.Stale, t.Received)),
				basis:   rtBasis(t),
				laestab: t.LAESTAB,
			}, true
		}
	}
	return finding{}, false
}

// rtPastEndDate (RT_PAST_END_DATE; "Working together to improve school attendance", DfE 2024): the
// guidance's time limit has passed, yet the school still returns the timetable
// as running (no actual end date): either it overran or the return is out of date.
func rtPastEndDate(e *evaluator, p *pupilFacts) (finding, bool) {
	for _, t := range p.activeRT {
		end := t.PlannedEndDate
		if end.IsZero() || !end.Before(e.today) {
			continue
		}
		late := ""
		if n := e.schoolDaysSince(end.AddDays(1)); n > 0 {
			late = fmt.Sprintf(", %s later", plural(n, "school day"))
		}
		return finding{
			text: fmt.Sprintf("the reduced timetable since %s was planned to end on %s but the school still reports it%s%s",
				t.StartDate.UK(), end.UK(), late, staleNote(t.Stale, t.Received)),
			basis:   rtBasis(t) + " " + end.String(),
			laestab: t.LAESTAB,
		}, true
	}
	return finding{}, false
}

// rtLowHours (RT_LOW_HOURS; "Working together to improve school attendance", DfE 2024, with the
// Local Government Ombudsman's full-time benchmark): a timetable well below full time (by default under half the Local Government
// Ombudsman's full-time hours for the pupil's NC year) leaves the child missing most of their
// education.
func rtLowHours(e *evaluator, p *pupilFacts) (finding, bool) {
	pct := e.cfg.threshold(pme.RuleRTLowHours, KeyPercent)
	year := p.pupil.NCYear
	full := e.cfg.fullTime(year)
	floor := full * pct / 100
	for _, t := range p.activeRT {
		if t.HoursPerWeek < floor {
			return finding{
				text: fmt.Sprintf("on a reduced timetable of %s hours a week, below %s%% of the %s full-time hours for %s (%s hours)%s",
					hours(t.HoursPerWeek), hours(pct), hours(full), yearLabel(year), hours(floor), staleNote(t.Stale, t.Received)),
				basis:   fmt.Sprintf("%s %s %s", rtBasis(t), hours(t.HoursPerWeek), year),
				laestab: t.LAESTAB,
			}, true
		}
	}
	return finding{}, false
}

// rtNoParentalAgreement (RT_NO_PARENTAL_AGREEMENT; "Working together to improve school attendance",
// DfE 2024): the guidance requires the parent's agreement to a part-time timetable.
// A blank is treated as no agreement: the school has not shown it.
func rtNoParentalAgreement(e *evaluator, p *pupilFacts) (finding, bool) {
	for _, t := range p.activeRT {
		if t.ParentalAgreement == "Y" {
			continue
		}
		how := "left blank"
		if t.ParentalAgreement == "N" {
			how = "returned as N"
		}
		return finding{
			text: fmt.Sprintf("the reduced timetable since %s has no recorded parental agreement (%s)%s",
				t.StartDate.UK(), how, staleNote(t.Stale, t.Received)),
			basis:   rtBasis(t) + " " + t.ParentalAgreement,
			laestab: t.LAESTAB,
		}, true
	}
	return finding{}, false
}

// rtReviewOverdue (RT_REVIEW_OVERDUE; "Working together to improve school attendance", DfE 2024):
// the guidance requires regular review. It fires when no review date is given,
// or when the review date is more than 10 school days ago (configurable); "ago" counts the school
// days after the review date up to the run date, so a review last Friday is 5 school days ago on
// the next Friday.
func rtReviewOverdue(e *evaluator, p *pupilFacts) (finding, bool) {
	limit := int(e.cfg.threshold(pme.RuleRTReviewOverdue, KeySchoolDays))
	for _, t := range p.activeRT {
		if t.ReviewDate.IsZero() {
			return finding{
				text:    fmt.Sprintf("the reduced timetable since %s has no review date%s", t.StartDate.UK(), staleNote(t.Stale, t.Received)),
				basis:   rtBasis(t),
				laestab: t.LAESTAB,
			}, true
		}
		if !t.ReviewDate.Before(e.today) {
			continue
		}
		if n := e.schoolDaysSince(t.ReviewDate.AddDays(1)); n > limit {
			return finding{
				text: fmt.Sprintf("the reduced timetable since %s was due for review on %s, %d school days ago, over the %d-day limit%s",
					t.StartDate.UK(), t.ReviewDate.UK(), n, limit, staleNote(t.Stale, t.Received)),
				basis:   rtBasis(t) + " " + t.ReviewDate.String(),
				laestab: t.LAESTAB,
			}, true
		}
	}
	return finding{}, false
}

// rtBehaviour (RT_BEHAVIOUR; "Working together to improve school attendance", DfE 2024): the
// guidance says a part-time timetable must not be used to manage a pupil's
// behaviour.
func rtBehaviour(e *evaluator, p *pupilFacts) (finding, bool) {
	for _, t := range p.activeRT {
		if t.Reason == "BEH" {
			return finding{
				text: fmt.Sprintf("the reduced timetable since %s is for behaviour (BEH): guidance says a part-time timetable must not be used to manage behaviour%s",
					t.StartDate.UK(), staleNote(t.Stale, t.Received)),
				basis:   rtBasis(t),
				laestab: t.LAESTAB,
			}, true
		}
	}
	return finding{}, false
}
