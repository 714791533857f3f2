package rules

import (
	"testing"

	"pme"
	"pme/calendar"
)

// testCalendar is the English school year 2026/27 with the year before's summer term, half-terms
// as closures, so that counts across half-term, Christmas and the summer are known by hand:
//
//	Summer 2026  13/04/2026–22/07/2026
//	Autumn 2026  03/09/2026–18/12/2026, half-term 26–30/10/2026
//	Spring 2027  05/01/2027–26/03/2027, half-term 15–19/02/2027
//	Summer 2027  12/04/2027–21/07/2027, half-term 31/05–04/06/2027
func testCalendar(t testing.TB) *calendar.Calendar {
	t.Helper()
	terms := []pme.Term{
		{Name: "Summer 2026", Start: d("2026-04-13"), End: d("2026-07-22")},
		{Name: "Autumn 2026", Start: d("2026-09-03"), End: d("2026-12-18")},
		{Name: "Spring 2027", Start: d("2027-01-05"), End: d("2027-03-26")},
		{Name: "Summer 2027", Start: d("2027-04-12"), End: d("2027-07-21")},
	}
	var closures []pme.Closure
	for _, week := range []string{"2026-05-25", "2026-10-26", "2027-02-15", "2027-05-31"} {
		for i := 0; i < 5; i++ {
			closures = append(closures, pme.Closure{Date: d(week).AddDays(i), Reason: "half-term"})
		}
	}
	cal, err := calendar.New(terms, closures)
	if err != nil {
		t.Fatalf("calendar: %v", err)
	}
	return cal
}

func d(s string) pme.Date { return pme.MustDate(s) }

// pupil is the synthetic pupil most tests use: Year 9, no SEN provision recorded.
func pupil(id int64) pme.StoredPupil {
	return pme.StoredPupil{ID: id, Pupil: pme.Pupil{UPN: "A12345678901" + string(rune('0'+id%10)), NCYear: "9"}}
}

// timetable is an active-looking reduced timetable at 8912345 that breaks no rule on its own
// (planned end, agreement, review, hours all in order); tests change what they test.
func timetable(pupilID int64, start string) pme.StoredTimetable {
	return pme.StoredTimetable{PupilID: pupilID, LAESTAB: "8912345", Received: d(start), Timetable: pme.Timetable{
		StartDate: d(start), PlannedEndDate: d("2027-07-21"), HoursPerWeek: 20, Reason: "MED",
		ParentalAgreement: "Y", ReviewDate: d("2027-07-01"),
	}}
}

// placement is a full-time placement at an approved, registered provider.
func placement(pupilID int64, start string) pme.StoredPlacement {
	return pme.StoredPlacement{PupilID: pupilID, LAESTAB: "8912345", Received: d(start), Placement: pme.Placement{
		ProviderName: "Acorn Centre", ProviderURN: "123456", ProviderRegistered: "Y",
		StartDate: d(start), HoursAtProvider: 20, HoursAtSchool: 4, Reason: "SEMH",
	}}
}

var acorn = pme.Provider{Name: "Acorn Centre", URN: "123456", Registered: "Y", ApprovedFrom: d("2025-09-01")}

func suspension(pupilID int64, cat, start string, sessions int) pme.StoredSuspension {
	return pme.StoredSuspension{PupilID: pupilID, LAESTAB: "8912345", Received: d(start), Suspension: pme.Suspension{
		Category: cat, StartDate: d(start), Sessions: sessions, Reason: "PA", SixthDayProvision: "Y",
	}}
}

func plan(pupilID int64, method, planType, start string) pme.PlanMatch {
	return pme.PlanMatch{PupilID: pupilID, Method: method, Plan: pme.Plan{
		ChildID: "SC" + planType, PlanType: planType, StartDate: d(start),
	}}
}

// findings runs the rules with the default configuration and returns pupil 1's findings by rule.
func findings(t *testing.T, f Facts, today string) map[string]pme.Finding {
	t.Helper()
	return findingsWith(t, f, today, DefaultConfig())
}

func findingsWith(t *testing.T, f Facts, today string, cfg Config) map[string]pme.Finding {
	t.Helper()
	if len(f.Pupils) == 0 {
		f.Pupils = []pme.StoredPupil{pupil(1)}
	}
	out := map[string]pme.Finding{}
	for _, r := range Evaluate(f, testCalendar(t), cfg, d(today)) {
		if r.PupilID != 1 {
			continue
		}
		for _, fd := range r.Findings {
			out[fd.Rule] = fd
		}
	}
	return out
}

func result(t *testing.T, f Facts, today string) (PupilResult, bool) {
	t.Helper()
	for _, r := range Evaluate(f, testCalendar(t), DefaultConfig(), d(today)) {
		if r.PupilID == 1 {
			return r, true
		}
	}
	return PupilResult{}, false
}
