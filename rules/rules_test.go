package rules

import (
	"strings"
	"testing"

	"pme"
	"pme/calendar"
)

type ruleCase struct {
	name  string
	rule  string
	today string
	facts Facts
	fires bool
	text  string // when it fires: the explanation, or a part of it
}

func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, fired := findings(t, tc.facts, tc.today)[tc.rule]
			if fired != tc.fires {
				t.Fatalf("%s fired = %v (%q), want %v", tc.rule, fired, got.Explanation, tc.fires)
			}
			if fired && !strings.Contains(got.Explanation, tc.text) {
				t.Fatalf("explanation = %q, want it to contain %q", got.Explanation, tc.text)
			}
		})
	}
}

// rt returns facts with one timetable changed by edit.
func rt(start string, edit func(*pme.StoredTimetable)) Facts {
	t := timetable(1, start)
	t.ID = 1
	if edit != nil {
		edit(&t)
	}
	return Facts{Timetables: []pme.StoredTimetable{t}}
}

func TestTimetableRules(t *testing.T) {
	noEnd := func(t *pme.StoredTimetable) { t.PlannedEndDate = pme.Date{} }
	runRuleCases(t, []ruleCase{
		{"no planned end", pme.RuleRTNoEndDate, "2026-11-27", rt("2026-11-02", noEnd), true,
			"on a reduced timetable since 02/11/2026 with no planned end date"},
		{"planned end given", pme.RuleRTNoEndDate, "2026-11-27", rt("2026-11-02", nil), false, ""},
		{"starts after the run date", pme.RuleRTNoEndDate, "2026-11-27", rt("2026-11-30", noEnd), false, ""},
		{"actual end on the run date ends it", pme.RuleRTNoEndDate, "2026-11-27",
			rt("2026-11-02", func(t *pme.StoredTimetable) { noEnd(t); t.ActualEndDate = d("2026-11-27") }), false, ""},
		{"actual end after the run date: still active", pme.RuleRTNoEndDate, "2026-11-27",
			rt("2026-11-02", func(t *pme.StoredTimetable) { noEnd(t); t.ActualEndDate = d("2026-11-30") }), true, "no planned end date"},
		{"stale row says so", pme.RuleRTNoEndDate, "2026-11-27",
			rt("2026-11-02", func(t *pme.StoredTimetable) { noEnd(t); t.Stale = true; t.Received = d("2026-11-06") }), true,
			"(as returned on 06/11/2026: the school's latest row for this pupil was rejected)"},

		// 02/11/2026 is a Monday: the 30th school day is Friday 11/12, the 31st Monday 14/12.
		{"exactly 30 school days", pme.RuleRTOverLimit, "2026-12-11", rt("2026-11-02", nil), false, ""},
		{"31 school days", pme.RuleRTOverLimit, "2026-12-14", rt("2026-11-02", nil), true,
			"on a reduced timetable for 31 school days since 02/11/2026, over the 30-day limit"},
		{"the weekend after day 30 adds nothing", pme.RuleRTOverLimit, "2026-12-13", rt("2026-11-02", nil), false, ""},
		// From 19/10, half-term week 26–30/10 is not counted: 30 days on 04/12, 31 on 07/12.
		{"across half-term, 30 days", pme.RuleRTOverLimit, "2026-12-04", rt("2026-10-19", nil), false, ""},
		{"across half-term, 31 days", pme.RuleRTOverLimit, "2026-12-07", rt("2026-10-19", nil), true, "31 school days since 19/10/2026"},
		// From 07/12: 10 days to 18/12, spring starts Tuesday 05/01: 30 days on 01/02/2027.
		{"across Christmas, 30 days", pme.RuleRTOverLimit, "2027-02-01", rt("2026-12-07", nil), false, ""},
		{"across Christmas, 31 days", pme.RuleRTOverLimit, "2027-02-02", rt("2026-12-07", nil), true, "31 school days since 07/12/2026"},

		{"planned end passed", pme.RuleRTPastEndDate, "2026-11-27",
			rt("2026-11-02", func(t *pme.StoredTimetable) { t.PlannedEndDate = d("2026-11-20") }), true,
			"the reduced timetable since 02/11/2026 was planned to end on 20/11/2026 but the school still reports it, 5 school days later"},
		{"planned end is the run date", pme.RuleRTPastEndDate, "2026-11-27",
			rt("2026-11-02", func(t *pme.StoredTimetable) { t.PlannedEndDate = d("2026-11-27") }), false, ""},
		{"ended timetable is not reported", pme.RuleRTPastEndDate, "2026-11-27",
			rt("2026-11-02", func(t *pme.StoredTimetable) { t.PlannedEndDate = d("2026-11-20"); t.ActualEndDate = d("2026-11-20") }), false, ""},

		{"exactly half of 24 hours", pme.RuleRTLowHours, "2026-11-27", rt("2026-11-02", func(t *pme.StoredTimetable) { t.HoursPerWeek = 12 }), false, ""},
		{"below half of 24 hours", pme.RuleRTLowHours, "2026-11-27", rt("2026-11-02", func(t *pme.StoredTimetable) { t.HoursPerWeek = 11.5 }), true,
			"on a reduced timetable of 11.5 hours a week, below 50% of the 24 full-time hours for Year 9 (12 hours)"},

		{"parental agreement N", pme.RuleRTNoParentalAgreement, "2026-11-27",
			rt("2026-11-02", func(t *pme.StoredTimetable) { t.ParentalAgreement = "N" }), true, "has no recorded parental agreement (returned as N)"},
		{"parental agreement blank", pme.RuleRTNoParentalAgreement, "2026-11-27",
			rt("2026-11-02", func(t *pme.StoredTimetable) { t.ParentalAgreement = "" }), true, "(left blank)"},
		{"parental agreement Y", pme.RuleRTNoParentalAgreement, "2026-11-27", rt("2026-11-02", nil), false, ""},

		{"no review date", pme.RuleRTReviewOverdue, "2026-11-27",
			rt("2026-11-02", func(t *pme.StoredTimetable) { t.ReviewDate = pme.Date{} }), true, "has no review date"},
		// Review on Friday 13/11: 10 school days after it is Friday 27/11, 11 is Monday 30/11.
		{"review 10 school days ago", pme.RuleRTReviewOverdue, "2026-11-27",
			rt("2026-11-02", func(t *pme.StoredTimetable) { t.ReviewDate = d("2026-11-13") }), false, ""},
		{"review 11 school days ago", pme.RuleRTReviewOverdue, "2026-11-30",
			rt("2026-11-02", func(t *pme.StoredTimetable) { t.ReviewDate = d("2026-11-13") }), true,
			"was due for review on 13/11/2026, 11 school days ago, over the 10-day limit"},

		{"behaviour", pme.RuleRTBehaviour, "2026-11-27", rt("2026-11-02", func(t *pme.StoredTimetable) { t.Reason = "BEH" }), true,
			"is for behaviour (BEH): guidance says a part-time timetable must not be used to manage behaviour"},
		{"medical", pme.RuleRTBehaviour, "2026-11-27", rt("2026-11-02", nil), false, ""},
	})
}

func TestLowHoursByYear(t *testing.T) {
	cases := []struct {
		year  string
		hours float64
		fires bool
		text  string
	}{
		{"R", 10.5, false, ""},
		{"R", 10, true, "below 50% of the 21 full-time hours for Reception (10.5 hours)"},
		{"4", 11.75, false, ""},
		{"4", 11.5, true, "of the 23.5 full-time hours for Year 4"},
		{"11", 12.5, false, ""},
		{"11", 12, true, "of the 25 full-time hours for Year 11"},
		{"", 11.5, true, "of the 24 full-time hours for an unknown year"},
		{"12", 11.5, true, "of the 24 full-time hours for Year 12"},
	}
	for _, tc := range cases {
		t.Run(tc.year+"/"+hours(tc.hours), func(t *testing.T) {
			p := pupil(1)
			p.NCYear = tc.year
			f := rt("2026-11-02", func(t *pme.StoredTimetable) { t.HoursPerWeek = tc.hours })
			f.Pupils = []pme.StoredPupil{p}
			got, fired := findings(t, f, "2026-11-27")[pme.RuleRTLowHours]
			if fired != tc.fires || (fired && !strings.Contains(got.Explanation, tc.text)) {
				t.Fatalf("RT_LOW_HOURS = %v %q, want %v %q", fired, got.Explanation, tc.fires, tc.text)
			}
		})
	}
}

func ap(start string, edit func(*pme.StoredPlacement)) Facts {
	a := placement(1, start)
	if edit != nil {
		edit(&a)
	}
	return Facts{Placements: []pme.StoredPlacement{a}, Providers: []pme.Provider{acorn}}
}

func TestPlacementRules(t *testing.T) {
	lapsed := acorn
	lapsed.ApprovedUntil = d("2026-08-31")
	unlisted := func(a *pme.StoredPlacement) { a.ProviderName, a.ProviderURN = "Somewhere Else", "" }
	runRuleCases(t, []ruleCase{
		{"approved provider", pme.RuleAPUnapprovedProvider, "2026-11-27", ap("2026-11-02", nil), false, ""},
		{"provider not on the list", pme.RuleAPUnapprovedProvider, "2026-11-27", ap("2026-11-02", unlisted), true,
			"placed at Somewhere Else since 02/11/2026, a provider not on the council's approved list"},
		{"approval lapsed", pme.RuleAPUnapprovedProvider, "2026-11-27",
			Facts{Placements: []pme.StoredPlacement{placement(1, "2026-11-02")}, Providers: []pme.Provider{lapsed}}, true,
			"placed at Acorn Centre since 02/11/2026, whose approval lapsed on 31/08/2026"},
		{"approval not yet begun", pme.RuleAPUnapprovedProvider, "2026-11-27",
			Facts{Placements: []pme.StoredPlacement{placement(1, "2026-11-02")},
				Providers: []pme.Provider{func() pme.Provider { p := acorn; p.ApprovedFrom = d("2026-12-01"); return p }()}}, true,
			"placed at Acorn Centre since 02/11/2026, whose approval starts on 01/12/2026"},
		{"matched by normalised name", pme.RuleAPUnapprovedProvider, "2026-11-27",
			ap("2026-11-02", func(a *pme.StoredPlacement) { a.ProviderName, a.ProviderURN = "The Acorn Centre Ltd", "" }), false, ""},
		{"stale placement says so", pme.RuleAPUnapprovedProvider, "2026-11-27",
			ap("2026-11-02", func(a *pme.StoredPlacement) { unlisted(a); a.Stale = true; a.Received = d("2026-11-06") }), true,
			"not on the council's approved list (as returned on 06/11/2026: the school's latest row for this pupil was rejected)"},
		{"placement ended yesterday", pme.RuleAPUnapprovedProvider, "2026-11-27",
			ap("2026-11-02", func(a *pme.StoredPlacement) { unlisted(a); a.EndDate = d("2026-11-26") }), false, ""},
		{"placement ends today: still active", pme.RuleAPUnapprovedProvider, "2026-11-27",
			ap("2026-11-02", func(a *pme.StoredPlacement) { unlisted(a); a.EndDate = d("2026-11-27") }), true, "not on the council's approved list"},

		{"18 hours unregistered", pme.RuleAPUnregisteredFT, "2026-11-27",
			ap("2026-11-02", func(a *pme.StoredPlacement) { unlisted(a); a.ProviderRegistered, a.HoursAtProvider = "N", 18 }), false, ""},
		{"18.5 hours unregistered", pme.RuleAPUnregisteredFT, "2026-11-27",
			ap("2026-11-02", func(a *pme.StoredPlacement) { unlisted(a); a.ProviderRegistered, a.HoursAtProvider = "N", 18.5 }), true,
			"placed at Somewhere Else for 18.5 hours a week, over 18, though the provider is not registered"},
		{"registration not recorded", pme.RuleAPUnregisteredFT, "2026-11-27",
			ap("2026-11-02", func(a *pme.StoredPlacement) { unlisted(a); a.ProviderRegistered, a.HoursAtProvider = "", 20 }), true,
			"though the provider's registration is not recorded"},
		{"the approved list says registered", pme.RuleAPUnregisteredFT, "2026-11-27",
			ap("2026-11-02", func(a *pme.StoredPlacement) { a.ProviderRegistered, a.HoursAtProvider = "N", 25 }), false, ""},

		{"24 hours for Year 9", pme.RuleAPNotFullTime, "2026-11-27", ap("2026-11-02", nil), false, ""},
		{"23.5 hours for Year 9", pme.RuleAPNotFullTime, "2026-11-27",
			ap("2026-11-02", func(a *pme.StoredPlacement) { a.HoursAtSchool = 3.5 }), true,
			"in alternative provision for 23.5 hours a week (20 at Acorn Centre, 3.5 at school), below the 24 full-time hours for Year 9"},
		{"two providers add up", pme.RuleAPNotFullTime, "2026-11-27", Facts{
			Placements: []pme.StoredPlacement{
				func() pme.StoredPlacement {
					a := placement(1, "2026-11-02")
					a.HoursAtProvider, a.HoursAtSchool = 10, 4
					return a
				}(),
				func() pme.StoredPlacement {
					a := placement(1, "2026-11-09")
					a.ProviderName, a.HoursAtProvider, a.HoursAtSchool = "Beta Farm", 10, 4
					return a
				}(),
			},
			Providers: []pme.Provider{acorn},
		}, false, ""},
	})
}

// susp returns facts with the given suspension events for pupil 1.
func susp(events ...pme.StoredSuspension) Facts { return Facts{Suspensions: events} }

func TestSuspensionRules(t *testing.T) {
	other := func(s pme.StoredSuspension) pme.StoredSuspension { s.LAESTAB = "8917654"; return s }
	noSixth := func(s pme.StoredSuspension, v string) pme.StoredSuspension { s.SixthDayProvision = v; return s }
	runRuleCases(t, []ruleCase{
		{"45 days exactly", pme.RuleSuspOver45Days, "2026-11-27",
			susp(suspension(1, "SUSP", "2026-09-10", 50), other(suspension(1, "SUSP", "2026-11-02", 40))), false, ""},
		{"45.5 days across two schools", pme.RuleSuspOver45Days, "2026-11-27",
			susp(suspension(1, "SUSP", "2026-09-10", 50), other(suspension(1, "SUSP", "2026-11-02", 41))), true,
			"suspended for 45.5 days in 2026/27 (91 sessions, across 2 schools), over the 45-day limit"},
		{"a lunchtime counts as half a day", pme.RuleSuspOver45Days, "2026-11-27",
			susp(suspension(1, "SUSP", "2026-09-10", 90), suspension(1, "LNCH", "2026-11-02", 1)), true,
			"suspended for 45.5 days in 2026/27 (91 sessions, 1 of them a lunchtime, at one school)"},
		{"last year's suspensions do not count", pme.RuleSuspOver45Days, "2026-11-27",
			susp(suspension(1, "SUSP", "2026-06-10", 90), suspension(1, "SUSP", "2026-09-10", 2)), false, ""},
		{"on 31 August last year's still count", pme.RuleSuspOver45Days, "2026-08-31",
			susp(suspension(1, "SUSP", "2026-06-10", 90), suspension(1, "SUSP", "2026-07-01", 2)), true, "in 2025/26"},
		{"permanent exclusion sessions do not count", pme.RuleSuspOver45Days, "2026-11-27",
			susp(suspension(1, "SUSP", "2026-09-10", 90), suspension(1, "PERM", "2026-11-02", 10)), false, ""},

		{"30 days approaching", pme.RuleSuspApproaching, "2026-11-27", susp(suspension(1, "SUSP", "2026-09-10", 60)), true,
			"suspended for 30 days in 2026/27 (60 sessions, at one school), approaching the 45-day limit"},
		{"29.5 days", pme.RuleSuspApproaching, "2026-11-27", susp(suspension(1, "SUSP", "2026-09-10", 59)), false, ""},
		{"45 days still approaching", pme.RuleSuspApproaching, "2026-11-27", susp(suspension(1, "SUSP", "2026-09-10", 90)), true, "45 days"},
		{"over 45 is not approaching", pme.RuleSuspApproaching, "2026-11-27", susp(suspension(1, "SUSP", "2026-09-10", 91)), false, ""},

		{"three this term", pme.RuleSuspRepeated, "2026-11-27", susp(
			suspension(1, "SUSP", "2026-09-10", 2), suspension(1, "SUSP", "2026-10-05", 2), suspension(1, "SUSP", "2026-11-16", 1)), true,
			"suspended 3 times in the Autumn 2026 term (starting 10/09/2026, 05/10/2026, 16/11/2026)"},
		{"two this term and one last term", pme.RuleSuspRepeated, "2026-11-27", susp(
			suspension(1, "SUSP", "2026-07-10", 2), suspension(1, "SUSP", "2026-10-05", 2), suspension(1, "SUSP", "2026-11-16", 1)), false, ""},
		{"lunchtimes are not counted", pme.RuleSuspRepeated, "2026-11-27", susp(
			suspension(1, "SUSP", "2026-09-10", 2), suspension(1, "LNCH", "2026-10-05", 1), suspension(1, "SUSP", "2026-11-16", 1)), false, ""},
		{"in the Christmas holiday the autumn term counts", pme.RuleSuspRepeated, "2026-12-28", susp(
			suspension(1, "SUSP", "2026-09-10", 2), suspension(1, "SUSP", "2026-10-05", 2), suspension(1, "SUSP", "2026-12-14", 1)), true,
			"Autumn 2026 term"},
		{"a new term starts afresh", pme.RuleSuspRepeated, "2027-01-05", susp(
			suspension(1, "SUSP", "2026-09-10", 2), suspension(1, "SUSP", "2026-10-05", 2), suspension(1, "SUSP", "2026-12-14", 1)), false, ""},

		{"over 5 days without sixth-day provision", pme.RuleSuspNoSixthDay, "2026-11-27", susp(noSixth(suspension(1, "SUSP", "2026-11-02", 11), "N")), true,
			"suspended for 5.5 days from 02/11/2026 (11 sessions) without sixth-day provision (returned as N)"},
		{"exactly 5 days", pme.RuleSuspNoSixthDay, "2026-11-27", susp(noSixth(suspension(1, "SUSP", "2026-11-02", 10), "N")), false, ""},
		{"sixth-day provision blank", pme.RuleSuspNoSixthDay, "2026-11-27", susp(noSixth(suspension(1, "SUSP", "2026-11-02", 12), "")), true, "(left blank)"},
		{"sixth-day provision given", pme.RuleSuspNoSixthDay, "2026-11-27", susp(suspension(1, "SUSP", "2026-11-02", 12)), false, ""},

		// Thursday 22/10/2026: days 1–2 are 22–23/10, half-term, then 02/11 is day 3, 04/11 day 5, 05/11 day 6.
		{"permanent exclusion this year", pme.RulePermExclusion, "2026-11-27", susp(suspension(1, "PERM", "2026-10-22", 0)), true,
			"permanently excluded from 22/10/2026: the council must arrange suitable full-time education from the sixth school day, 05/11/2026"},
		{"permanent exclusion last year", pme.RulePermExclusion, "2026-11-27", susp(suspension(1, "PERM", "2026-06-22", 0)), false, ""},
	})
}

func TestPupilRules(t *testing.T) {
	partAP := func(start string) pme.StoredPlacement {
		a := placement(1, start)
		a.HoursAtSchool = 0
		return a
	}
	ambiguous := plan(1, pme.MatchAmbiguous, pme.PlanCP, "2026-09-01")
	ambiguous.Note = "same surname and date of birth, different forename"
	closedAmbiguous := ambiguous
	closedAmbiguous.Plan.EndDate = d("2026-11-01")
	runRuleCases(t, []ruleCase{
		// 30/10 is half-term; from Monday 02/11 the 20th school day is 27/11, the 21st 30/11.
		{"timetable for 20 school days", pme.RulePMEOver20Days, "2026-11-27", rt("2026-11-02", nil), false, ""},
		{"timetable for 21 school days", pme.RulePMEOver20Days, "2026-11-30", rt("2026-11-02", nil), true,
			"not in full-time education for 21 school days since 02/11/2026 (a reduced timetable of 20 hours a week, as returned on 02/11/2026), over 20: consider referral to the Vulnerable Children Education Commissioning panel"},
		{"full-time AP", pme.RulePMEOver20Days, "2026-12-14", ap("2026-11-02", nil), false, ""},
		{"part-time AP for 21 school days", pme.RulePMEOver20Days, "2026-11-30",
			Facts{Placements: []pme.StoredPlacement{partAP("2026-11-02")}, Providers: []pme.Provider{acorn}}, true,
			"since 02/11/2026 (alternative provision of 20 hours a week, below 24, as returned on 02/11/2026)"},
		{"counted from the earliest provision", pme.RulePMEOver20Days, "2026-11-30", Facts{
			Timetables: []pme.StoredTimetable{timetable(1, "2026-11-16")},
			Placements: []pme.StoredPlacement{partAP("2026-11-02")}, Providers: []pme.Provider{acorn}}, true, "21 school days since 02/11/2026"},

		{"stale: two periods missed since the snapshot", pme.RuleStaleReturn, "2026-11-30", Facts{
			Timetables: []pme.StoredTimetable{timetable(1, "2026-11-02")}, Missed: missed(2)}, true,
			"Reduced timetable as last returned by the school on 02/11/2026; no return since (2 periods missed)"},
		{"stale AP", pme.RuleStaleReturn, "2026-11-30", Facts{Placements: []pme.StoredPlacement{partAP("2026-11-02")},
			Providers: []pme.Provider{acorn}, Missed: missed(3)}, true, "as last returned by the school on 02/11/2026; no return since (3 periods missed)"},
		{"one period missed is not stale yet", pme.RuleStaleReturn, "2026-11-30", Facts{
			Timetables: []pme.StoredTimetable{timetable(1, "2026-11-02")}, Missed: missed(1)}, false, ""},
		{"compliance not configured", pme.RuleStaleReturn, "2026-11-30", rt("2026-11-02", nil), false, ""},

		{"timetable and suspension", pme.RuleMultipleReturns, "2026-11-27", Facts{
			Timetables:  []pme.StoredTimetable{timetable(1, "2026-11-02")},
			Suspensions: []pme.StoredSuspension{suspension(1, "SUSP", "2026-10-01", 2)}}, true,
			"on 2 return types in 2026/27: reduced timetable and suspensions"},
		{"timetable only", pme.RuleMultipleReturns, "2026-11-27", rt("2026-11-02", nil), false, ""},
		{"the store remembers an earlier AP snapshot", pme.RuleMultipleReturns, "2026-11-27", Facts{
			Timetables:  []pme.StoredTimetable{timetable(1, "2026-11-02")},
			ReturnTypes: map[int64][]pme.ReturnType{1: {pme.AlternativeProvision}}}, true, "reduced timetable and alternative provision"},
		{"timetable that ended last year", pme.RuleMultipleReturns, "2026-11-27", Facts{
			Timetables: []pme.StoredTimetable{func() pme.StoredTimetable {
				t := timetable(1, "2026-05-01")
				t.ActualEndDate = d("2026-07-01")
				return t
			}()},
			Suspensions: []pme.StoredSuspension{suspension(1, "SUSP", "2026-10-01", 2)}}, false, ""},

		{"ambiguous match", pme.RuleMatchAmbiguous, "2026-11-27", Facts{Matches: []pme.PlanMatch{ambiguous}}, true,
			"may be on a Child Protection plan (social care child SCCP): same surname and date of birth, different forename; the match to social care needs a person to check"},
		{"ambiguous match to a closed plan", pme.RuleMatchAmbiguous, "2026-11-27", Facts{Matches: []pme.PlanMatch{closedAmbiguous}}, false, ""},
		{"confirmed match", pme.RuleMatchAmbiguous, "2026-11-27", Facts{Matches: []pme.PlanMatch{plan(1, pme.MatchUPN, pme.PlanCP, "2026-09-01")}}, false, ""},
	})
}

func TestDisabledRuleAndSeverityOverride(t *testing.T) {
	f := rt("2026-11-02", func(t *pme.StoredTimetable) { t.PlannedEndDate = pme.Date{} })
	cfg, err := FromYAML(map[string]map[string]any{
		pme.RuleRTNoEndDate: {"enabled": false},
		pme.RuleRTOverLimit: {"severity": "critical", "school_days": 15},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := findingsWith(t, f, "2026-11-27", cfg)
	if _, fired := got[pme.RuleRTNoEndDate]; fired {
		t.Errorf("RT_NO_END_DATE fired while disabled")
	}
	over, fired := got[pme.RuleRTOverLimit]
	if !fired || over.Severity != pme.SeverityCritical || !strings.Contains(over.Explanation, "20 school days since 02/11/2026, over the 15-day limit") {
		t.Errorf("RT_OVER_LIMIT = %v %+v, want critical over the 15-day limit at 20 days", fired, over)
	}
}

func TestVulnerabilityRaisesSeverity(t *testing.T) {
	base := func() Facts {
		return rt("2026-11-02", func(t *pme.StoredTimetable) { t.PlannedEndDate = pme.Date{}; t.Reason = "BEH" })
	}
	sen := pupil(1)
	sen.SEN = "E"
	cases := []struct {
		name       string
		edit       func(*Facts)
		vulnerable string
		want       map[string]string
	}{
		{"no plan", func(*Facts) {}, "", map[string]string{
			pme.RuleRTNoEndDate: pme.SeverityMedium, pme.RuleRTBehaviour: pme.SeverityMedium, pme.RuleRTOverLimit: pme.SeverityHigh}},
		{"open CP plan by UPN", func(f *Facts) { f.Matches = []pme.PlanMatch{plan(1, pme.MatchUPN, pme.PlanCP, "2026-09-01")} },
			"open Child Protection plan since 01/09/2026", map[string]string{
				pme.RuleRTNoEndDate: pme.SeverityHigh, pme.RuleRTBehaviour: pme.SeverityHigh, pme.RuleRTOverLimit: pme.SeverityCritical}},
		{"LAC by name and date of birth", func(f *Facts) { f.Matches = []pme.PlanMatch{plan(1, pme.MatchNameDOB, pme.PlanLAC, "2026-09-01")} },
			"open looked-after child plan since 01/09/2026", map[string]string{pme.RuleRTNoEndDate: pme.SeverityHigh}},
		{"SEN provision E", func(f *Facts) { f.Pupils = []pme.StoredPupil{sen} },
			"education, health and care plan (SEN provision E)", map[string]string{pme.RuleRTNoEndDate: pme.SeverityHigh}},
		{"ambiguous match is not used", func(f *Facts) { f.Matches = []pme.PlanMatch{plan(1, pme.MatchAmbiguous, pme.PlanCP, "2026-09-01")} },
			"", map[string]string{pme.RuleRTNoEndDate: pme.SeverityMedium, pme.RuleMatchAmbiguous: pme.SeverityMedium}},
		{"plan ended", func(f *Facts) {
			m := plan(1, pme.MatchUPN, pme.PlanCP, "2026-09-01")
			m.Plan.EndDate = d("2026-12-14")
			f.Matches = []pme.PlanMatch{m}
		}, "", map[string]string{pme.RuleRTNoEndDate: pme.SeverityMedium}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := base()
			f.Pupils = []pme.StoredPupil{pupil(1)}
			tc.edit(&f)
			r, ok := result(t, f, "2026-12-14")
			if !ok {
				t.Fatal("no result for pupil 1")
			}
			if r.Vulnerable != tc.vulnerable {
				t.Errorf("vulnerable = %q, want %q", r.Vulnerable, tc.vulnerable)
			}
			got := map[string]string{}
			for _, f := range r.Findings {
				got[f.Rule] = f.Severity
			}
			for rule, want := range tc.want {
				if got[rule] != want {
					t.Errorf("%s severity = %q, want %q", rule, got[rule], want)
				}
			}
		})
	}
}

func TestFindingsOrderedBySeverityThenRule(t *testing.T) {
	f := rt("2026-11-02", func(t *pme.StoredTimetable) {
		t.PlannedEndDate, t.ReviewDate, t.ParentalAgreement = pme.Date{}, pme.Date{}, "N"
	})
	r, ok := result(t, f, "2026-12-14")
	if !ok {
		t.Fatal("no result")
	}
	want := []string{pme.RulePMEOver20Days, pme.RuleRTOverLimit, pme.RuleRTNoEndDate, pme.RuleRTNoParentalAgreement, pme.RuleRTReviewOverdue}
	if got := r.Rules(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("rules = %v, want %v", got, want)
	}
	if r.Severity != pme.SeverityHigh || r.LAESTAB != "8912345" {
		t.Fatalf("severity, school = %q, %q; want high, 8912345", r.Severity, r.LAESTAB)
	}
}

func TestLetterDue(t *testing.T) {
	cp := plan(1, pme.MatchUPN, pme.PlanCP, "2026-09-01")
	cin := plan(1, pme.MatchNameDOB, pme.PlanCIN, "2026-09-01")
	lac := plan(1, pme.MatchUPN, pme.PlanLAC, "2026-09-01")
	fine := timetable(1, "2026-11-16") // breaks no rule on 27/11
	cases := []struct {
		name     string
		facts    Facts
		want     bool
		wantPlan string
	}{
		{"CP plan and a timetable", Facts{Timetables: []pme.StoredTimetable{fine}, Matches: []pme.PlanMatch{cp}}, true, pme.PlanCP},
		{"CIN plan and AP", Facts{Placements: []pme.StoredPlacement{placement(1, "2026-11-16")}, Providers: []pme.Provider{acorn}, Matches: []pme.PlanMatch{cin}}, true, pme.PlanCIN},
		{"LAC alone", Facts{Timetables: []pme.StoredTimetable{fine}, Matches: []pme.PlanMatch{lac}}, false, ""},
		{"CP and LAC: CP shown", Facts{Timetables: []pme.StoredTimetable{fine}, Matches: []pme.PlanMatch{lac, cp}}, true, pme.PlanCP},
		{"CP plan, no provision", Facts{Suspensions: []pme.StoredSuspension{suspension(1, "SUSP", "2026-09-10", 60)}, Matches: []pme.PlanMatch{cp}}, false, pme.PlanCP},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := result(t, tc.facts, "2026-11-27")
			if !ok {
				if tc.want {
					t.Fatal("no result, want a letter due")
				}
				return
			}
			if r.LetterDue != tc.want || (tc.wantPlan != "" && r.Plan != tc.wantPlan) {
				t.Fatalf("letter due, plan = %v, %q; want %v, %q", r.LetterDue, r.Plan, tc.want, tc.wantPlan)
			}
			if r.LetterDue && len(r.Timetables)+len(r.Placements) == 0 {
				t.Fatal("letter due without the provision it concerns")
			}
		})
	}
}

func TestPupilWithNothingToReportIsLeftOut(t *testing.T) {
	f := Facts{Pupils: []pme.StoredPupil{pupil(1), pupil(2)}, Timetables: []pme.StoredTimetable{timetable(1, "2026-11-16")}}
	if got := Evaluate(f, testCalendar(t), DefaultConfig(), d("2026-11-27")); len(got) != 0 {
		t.Fatalf("results = %+v, want none", got)
	}
}

func TestFingerprintIgnoresGrowingCounts(t *testing.T) {
	f := rt("2026-11-02", nil)
	a, _ := result(t, f, "2026-12-14")
	b, _ := result(t, f, "2026-12-15")
	if a.Findings[0].Explanation == b.Findings[0].Explanation {
		t.Fatalf("explanations should name the day count: %q", a.Findings[0].Explanation)
	}
	if a.Fingerprint != b.Fingerprint {
		t.Fatalf("fingerprint changed from one school day to the next: %s vs %s", a.Fingerprint, b.Fingerprint)
	}
	f.Timetables[0].HoursPerWeek = 10
	c, _ := result(t, f, "2026-12-15")
	if c.Fingerprint == b.Fingerprint {
		t.Fatal("fingerprint unchanged when the returned hours changed")
	}
}

func TestWithTheShippedCalendar(t *testing.T) {
	f := Facts{Pupils: []pme.StoredPupil{pupil(1)}, Timetables: []pme.StoredTimetable{timetable(1, "2026-09-07")}}
	res := Evaluate(f, calendar.Default(), DefaultConfig(), d("2026-12-14"))
	if len(res) != 1 || res[0].Findings[0].Rule != pme.RulePMEOver20Days {
		t.Fatalf("results = %+v, want PME_OVER_20_DAYS first for a timetable since September", res)
	}
	rules := strings.Join(res[0].Rules(), " ")
	if !strings.Contains(rules, pme.RuleRTOverLimit) {
		t.Fatalf("rules = %s, want RT_OVER_LIMIT among them", rules)
	}
}

// missed is a school that has missed n periods of every return type, whatever the date.
func missed(n int) func(string, pme.ReturnType, pme.Date) int {
	return func(string, pme.ReturnType, pme.Date) int { return n }
}
