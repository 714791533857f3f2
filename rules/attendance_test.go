package rules

import (
	"strings"
	"testing"

	"pme"
)

// att is pupil 1's register aggregate at 8912345.
func att(mod func(a *pme.AttendanceFact)) pme.AttendanceFact {
	a := pme.AttendanceFact{PupilID: 1, LAESTAB: "8912345", Possible: 100, Present: 95, LastMark: d("2026-11-27"), RecentDays: 10}
	mod(&a)
	return a
}

func eDays(days ...string) []pme.AttendanceEDay {
	var out []pme.AttendanceEDay
	for _, s := range days {
		out = append(out, pme.AttendanceEDay{Date: d(s), Sessions: 2})
	}
	return out
}

func TestAttendanceRules(t *testing.T) {
	// Autumn half-term is 26-30/10/2026: 21, 22, 23 October and 2, 3 November are five consecutive
	// school days, across the half-term and two weekends; 4 November is the sixth.
	fiveE := eDays("2026-10-21", "2026-10-22", "2026-10-23", "2026-11-02", "2026-11-03")
	sixE := eDays("2026-10-21", "2026-10-22", "2026-10-23", "2026-11-02", "2026-11-03", "2026-11-04")
	cp := []pme.PlanMatch{plan(1, pme.MatchUPN, pme.PlanCP, "2026-01-01")}
	cases := []struct {
		name     string
		f        Facts
		rule     string
		fires    bool
		severity string // after any uplift; "" not checked
		says     string
	}{
		{"3 C2 sessions", Facts{Attendance: []pme.AttendanceFact{att(func(a *pme.AttendanceFact) {
			a.RecentC2, a.C2From, a.C2To = 3, d("2026-11-23"), d("2026-11-25")
		})}}, pme.RuleAttC2NotReturned, false, "", ""},
		{"4 C2 sessions, no return", Facts{Attendance: []pme.AttendanceFact{att(func(a *pme.AttendanceFact) {
			a.RecentC2, a.C2From, a.C2To = 4, d("2026-11-23"), d("2026-11-26")
		})}}, pme.RuleAttC2NotReturned, true, pme.SeverityHigh,
			"C2 (part-time timetable) recorded for 4 sessions between 23/11/2026 and 26/11/2026 at school 8912345, but the school has not returned a reduced-timetable list."},
		{"4 C2 sessions, return without the pupil", Facts{SchoolNames: map[string]string{"8912345": "Oakfield Academy"},
			TimetableReturns: map[string]pme.Date{"8912345": d("2026-11-02")},
			Attendance: []pme.AttendanceFact{att(func(a *pme.AttendanceFact) {
				a.RecentC2, a.C2From, a.C2To = 8, d("2026-11-16"), d("2026-11-27")
			})}}, pme.RuleAttC2NotReturned, true, pme.SeverityHigh,
			"C2 (part-time timetable) recorded for 8 sessions between 16/11/2026 and 27/11/2026 at Oakfield Academy, but the school's reduced-timetable return of 02/11/2026 does not list this pupil."},
		{"4 C2 sessions, timetable returned", Facts{Timetables: []pme.StoredTimetable{timetable(1, "2026-11-02")},
			Attendance: []pme.AttendanceFact{att(func(a *pme.AttendanceFact) { a.RecentC2 = 4 })}}, pme.RuleAttC2NotReturned, false, "", ""},
		{"E covered by a suspension", Facts{Suspensions: []pme.StoredSuspension{suspension(1, pme.CategorySuspension, "2026-10-21", 10)},
			Attendance: []pme.AttendanceFact{att(func(a *pme.AttendanceFact) { a.EDays = fiveE })}}, pme.RuleAttENotReturned, false, "", ""},
		{"E beyond the suspension", Facts{Suspensions: []pme.StoredSuspension{suspension(1, pme.CategorySuspension, "2026-10-21", 8)},
			Attendance: []pme.AttendanceFact{att(func(a *pme.AttendanceFact) { a.EDays = fiveE })}}, pme.RuleAttENotReturned, true, pme.SeverityHigh,
			"E (suspended or excluded, no alternative provision) recorded for 2 sessions on 1 school day (03/11/2026) at school 8912345, but the school has returned no suspension or exclusion covering it."},
		{"fifth consecutive E day", Facts{Attendance: []pme.AttendanceFact{att(func(a *pme.AttendanceFact) { a.EDays = fiveE })}},
			pme.RuleAttESixthDay, false, "", ""},
		{"sixth consecutive E day across a weekend and half-term", Facts{Attendance: []pme.AttendanceFact{att(func(a *pme.AttendanceFact) { a.EDays = sixE })}},
			pme.RuleAttESixthDay, true, pme.SeverityHigh,
			"E (suspended or excluded, no alternative provision) recorded on 6 consecutive school days from 21/10/2026 to 04/11/2026 at school 8912345: full-time provision was due from day 6 (04/11/2026)."},
		{"a gap breaks the run", Facts{Attendance: []pme.AttendanceFact{att(func(a *pme.AttendanceFact) {
			a.EDays = eDays("2026-10-21", "2026-10-22", "2026-10-23", "2026-11-02", "2026-11-04", "2026-11-05")
		})}}, pme.RuleAttESixthDay, false, "", ""},
		{"5 B sessions", Facts{Attendance: []pme.AttendanceFact{att(func(a *pme.AttendanceFact) { a.RecentB = 5 })}}, pme.RuleAttBNoAP, false, "", ""},
		{"6 B sessions, no AP", Facts{Attendance: []pme.AttendanceFact{att(func(a *pme.AttendanceFact) {
			a.RecentB, a.BFrom, a.BTo = 6, d("2026-11-23"), d("2026-11-25")
		})}}, pme.RuleAttBNoAP, true, pme.SeverityMedium, "B (off-site educational activity) recorded for 6 sessions between 23/11/2026 and 25/11/2026"},
		{"6 B sessions, AP returned", Facts{Placements: []pme.StoredPlacement{placement(1, "2026-11-02")}, Providers: []pme.Provider{acorn},
			Attendance: []pme.AttendanceFact{att(func(a *pme.AttendanceFact) { a.RecentB = 6 })}}, pme.RuleAttBNoAP, false, "", ""},
		{"timetable, no C2 in the register", Facts{Timetables: []pme.StoredTimetable{timetable(1, "2026-11-02")},
			Windows:    AttendanceWindows{Any: pme.AttendanceWindow{From: d("2026-11-16"), To: d("2026-11-27"), Days: 10}},
			Attendance: []pme.AttendanceFact{att(func(a *pme.AttendanceFact) {})}}, pme.RuleAttRTNotCoded, true, pme.SeverityLow,
			"A reduced timetable of 20 hours a week since 02/11/2026 is returned, but the register at school 8912345 shows no C2 in the last 10 school days of marks (16/11/2026 to 27/11/2026)."},
		{"timetable, C2 in the register", Facts{Timetables: []pme.StoredTimetable{timetable(1, "2026-11-02")},
			Attendance: []pme.AttendanceFact{att(func(a *pme.AttendanceFact) { a.RecentC2 = 2 })}}, pme.RuleAttRTNotCoded, false, "", ""},
		{"timetable, no marks in the window", Facts{Timetables: []pme.StoredTimetable{timetable(1, "2026-11-02")},
			Attendance: []pme.AttendanceFact{att(func(a *pme.AttendanceFact) { a.RecentDays = 0 })}}, pme.RuleAttRTNotCoded, false, "", ""},
		{"89.9% on a CP plan", Facts{Matches: cp, Attendance: []pme.AttendanceFact{att(func(a *pme.AttendanceFact) { a.Possible, a.Present = 1000, 899 })}},
			pme.RuleAttAbsencePlan, true, pme.SeverityHigh, // medium, raised for the plan
			"Attendance 89.9% this academic year (899 of 1000 possible sessions, marks to 27/11/2026), below 90% (persistent absence), while on a CP plan."},
		{"90% on a CP plan", Facts{Matches: cp, Attendance: []pme.AttendanceFact{att(func(a *pme.AttendanceFact) { a.Possible, a.Present = 1000, 900 })}},
			pme.RuleAttAbsencePlan, false, "", ""},
		{"89.9% without a plan", Facts{Attendance: []pme.AttendanceFact{att(func(a *pme.AttendanceFact) { a.Possible, a.Present = 1000, 899 })}},
			pme.RuleAttAbsencePlan, false, "", ""},
		{"19 possible sessions", Facts{Matches: cp, Attendance: []pme.AttendanceFact{att(func(a *pme.AttendanceFact) { a.Possible, a.Present = 19, 0 })}},
			pme.RuleAttAbsencePlan, false, "", ""},
		{"20 possible sessions, severe", Facts{Matches: cp, Attendance: []pme.AttendanceFact{att(func(a *pme.AttendanceFact) { a.Possible, a.Present = 20, 9 })}},
			pme.RuleAttAbsencePlan, true, pme.SeverityCritical, "below 50% (severe absence)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.f.Pupils = []pme.StoredPupil{pupil(1)}
			got, fired := findings(t, tc.f, "2026-11-27")[tc.rule]
			if fired != tc.fires {
				t.Fatalf("%s fired = %v, want %v (%q)", tc.rule, fired, tc.fires, got.Explanation)
			}
			if !fired {
				return
			}
			if tc.severity != "" && got.Severity != tc.severity {
				t.Errorf("severity = %s, want %s", got.Severity, tc.severity)
			}
			if !strings.Contains(got.Explanation, tc.says) {
				t.Errorf("explanation = %q, want it to say %q", got.Explanation, tc.says)
			}
		})
	}
}

// A CP child whose register shows a part-time timetable the school never returned gets a letter.
func TestAttendanceC2LetterDue(t *testing.T) {
	f := Facts{Pupils: []pme.StoredPupil{pupil(1)}, Matches: []pme.PlanMatch{plan(1, pme.MatchUPN, pme.PlanCP, "2026-01-01")},
		Attendance: []pme.AttendanceFact{att(func(a *pme.AttendanceFact) { a.RecentC2 = 6 })}}
	res := Evaluate(f, testCalendar(t), DefaultConfig(), d("2026-11-27"))
	if len(res) != 1 || !res[0].LetterDue {
		t.Fatalf("results = %+v, want a letter due", res)
	}
}

func TestWindow(t *testing.T) {
	// Ten school days up to Friday 06/11/2026 (run on the Sunday after), the week after
	// half-term: five that week and five before half-term, from Monday 19/10/2026.
	w := window(testCalendar(t), d("2026-11-08"), 10)
	if w.From != d("2026-10-19") || w.To != d("2026-11-06") {
		t.Fatalf("window = %v to %v", w.From, w.To)
	}
}
