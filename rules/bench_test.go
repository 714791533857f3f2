package rules

import (
	"testing"
	"time"

	"pme"
)

// bigFacts builds a county-sized load: pupils pupils, one reduced timetable each, a placement for
// every fifth, ten suspension events each, and a CP plan for every twentieth.
func bigFacts(pupils int) Facts {
	f := Facts{Providers: []pme.Provider{acorn}, ReturnTypes: map[int64][]pme.ReturnType{}}
	start := d("2026-09-07")
	for i := 1; i <= pupils; i++ {
		id := int64(i)
		f.Pupils = append(f.Pupils, pupil(id))
		tt := timetable(id, start.AddDays(i%60).String())
		tt.HoursPerWeek = float64(8 + i%16)
		if i%3 == 0 {
			tt.PlannedEndDate = pme.Date{}
		}
		f.Timetables = append(f.Timetables, tt)
		if i%5 == 0 {
			f.Placements = append(f.Placements, placement(id, start.AddDays(i%30).String()))
		}
		for k := 0; k < 10; k++ {
			f.Suspensions = append(f.Suspensions, suspension(id, pme.CategorySuspension, start.AddDays(k*7+i%5).String(), 1+(i+k)%9))
		}
		if i%20 == 0 {
			f.Matches = append(f.Matches, plan(id, pme.MatchUPN, pme.PlanCP, "2026-09-01"))
		}
	}
	return f
}

func BenchmarkEvaluate(b *testing.B) {
	f := bigFacts(100_000)
	cal := testCalendar(b)
	cfg := DefaultConfig()
	today := d("2026-11-27")
	rows := len(f.Timetables) + len(f.Placements) + len(f.Suspensions)
	b.ResetTimer()
	start := time.Now()
	var results []PupilResult
	for b.Loop() {
		results = Evaluate(f, cal, cfg, today)
	}
	secs := time.Since(start).Seconds()
	b.ReportMetric(float64(rows*b.N)/secs, "rows/s")
	b.ReportMetric(float64(len(results)), "flagged")
}

func BenchmarkUpdateCases(b *testing.B) {
	f := bigFacts(100_000)
	results := Evaluate(f, testCalendar(b), DefaultConfig(), d("2026-11-27"))
	prev, _ := UpdateCases(nil, results, d("2026-11-26"), ids())
	b.ResetTimer()
	for b.Loop() {
		UpdateCases(prev, results, d("2026-11-27"), ids())
	}
	b.ReportMetric(float64(len(results)*b.N)/b.Elapsed().Seconds(), "cases/s")
}
