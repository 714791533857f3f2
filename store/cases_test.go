package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"pme"
	"pme/store"
	"pme/store/storetest"
)

func sampleCase(id string, pupil int64, status string) pme.Case {
	return pme.Case{
		ID: id, PupilID: pupil, UPN: "A123456789012", Status: status, Severity: pme.SeverityHigh,
		Rules: []string{pme.RuleRTOverLimit, pme.RuleRTNoEndDate},
		Findings: []pme.Finding{
			{Rule: pme.RuleRTOverLimit, Severity: pme.SeverityHigh, Explanation: "on a reduced timetable for 34 school days since 03/11/2026, over the 30-day limit", LAESTAB: "8912345"},
			{Rule: pme.RuleRTNoEndDate, Severity: pme.SeverityMedium, Explanation: "on a reduced timetable since 03/11/2026 with no planned end date", LAESTAB: "8912345"},
		},
		LAESTAB: "8912345", Plan: pme.PlanCP, LetterDue: true, Vulnerable: "open Child Protection plan since 01/09/2026",
		Fingerprint: "abc", FirstFlagged: pme.MustDate("2026-11-27"), LastChanged: pme.MustDate("2026-11-27"),
	}
}

func TestSaveCasesRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		day := pme.MustDate("2026-11-27")
		a := sampleCase("C-A", 1, pme.CaseNew)
		b := sampleCase("C-B", 2, pme.CaseClosed)
		b.Findings, b.Rules, b.LetterDue, b.Plan = nil, nil, false, ""
		b.ClosedOn, b.CloseReason = day, "no rule fires since 27/11/2026"
		evs := []pme.CaseEvent{{CaseID: "C-A", Date: day, Status: pme.CaseNew, Note: "flagged"}, {CaseID: "C-B", Date: day, Status: pme.CaseClosed, Note: "closed"}}
		if err := s.SaveCases(ctx, []pme.Case{a, b}, evs, day); err != nil {
			t.Fatal(err)
		}
		got, err := s.Cases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := []pme.Case{a, b}; !reflect.DeepEqual(got, want) {
			t.Fatalf("cases =\n%+v\nwant\n%+v", got, want)
		}

		// A second run updates in place: findings replaced, events appended.
		next := day.AddDays(3)
		a.Status, a.LastChanged = pme.CaseChanged, next
		a.Findings, a.Rules = a.Findings[:1], a.Rules[:1]
		if err := s.SaveCases(ctx, []pme.Case{a}, []pme.CaseEvent{{CaseID: "C-A", Date: next, Status: pme.CaseChanged, Note: "no longer RT_NO_END_DATE"}}, next); err != nil {
			t.Fatal(err)
		}
		got, err = s.Cases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got[0], a) {
			t.Fatalf("case after update =\n%+v\nwant\n%+v", got[0], a)
		}
		hist, err := s.CaseEvents(ctx, "C-A")
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 2 || hist[0].Status != pme.CaseNew || hist[1].Status != pme.CaseChanged || !hist[1].Date.Equal(next) {
			t.Fatalf("history = %+v, want new then changed on %s", hist, next)
		}
		since, err := s.CaseEventsSince(ctx, day)
		if err != nil {
			t.Fatal(err)
		}
		if len(since) != 1 || since[0].Status != pme.CaseChanged {
			t.Fatalf("events since %s = %+v, want the one change", day, since)
		}
		all, err := s.CaseEventsSince(ctx, pme.Date{})
		if err != nil || len(all) != 3 {
			t.Fatalf("events since never = %d, %v; want 3", len(all), err)
		}
		last, ok, err := s.LastFlagDate(ctx)
		if err != nil || !ok || !last.Equal(next) {
			t.Fatalf("LastFlagDate = %s, %v, %v; want %s", last, ok, err, next)
		}
	})
}

func TestSaveCasesManyInBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		day := pme.MustDate("2026-11-27")
		const n = 1234 // more than two batches of cases and of findings
		cases := make([]pme.Case, n)
		evs := make([]pme.CaseEvent, n)
		for i := range cases {
			cases[i] = sampleCase(fmt.Sprintf("C-%05d", i), int64(i+1), pme.CaseNew)
			evs[i] = pme.CaseEvent{CaseID: cases[i].ID, Date: day, Status: pme.CaseNew}
		}
		if err := s.SaveCases(ctx, cases, evs, day); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveCases(ctx, cases, nil, day); err != nil {
			t.Fatalf("save again: %v", err)
		}
		got, err := s.Cases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n || len(got[n-1].Findings) != 2 {
			t.Fatalf("got %d cases, last with %d findings; want %d with 2", len(got), len(got[n-1].Findings), n)
		}
		since, err := s.CaseEventsSince(ctx, day.AddDays(-1))
		if err != nil || len(since) != n {
			t.Fatalf("events = %d, %v; want %d", len(since), err, n)
		}
	})
}

func TestSaveCasesRejectsTwoCasesForOnePupil(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		day := pme.MustDate("2026-11-27")
		err := s.SaveCases(ctx, []pme.Case{sampleCase("C-1", 7, pme.CaseNew), sampleCase("C-2", 7, pme.CaseNew)}, nil, day)
		if err == nil {
			t.Fatal("SaveCases with two cases for one pupil succeeded, want an error")
		}
		got, err := s.Cases(ctx)
		if err != nil || len(got) != 0 {
			t.Fatalf("cases after a failed save = %d, %v; want none (one transaction)", len(got), err)
		}
	})
}

func TestReportDates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, ok, err := s.LastReportDate(ctx); err != nil || ok {
			t.Fatalf("LastReportDate with none = %v, %v; want not ok", ok, err)
		}
		first, second := pme.MustDate("2026-11-20"), pme.MustDate("2026-11-27")
		for _, d := range []pme.Date{first, second, second} {
			if err := s.RecordReport(ctx, d, []string{"out/reports/flagged-cases-" + d.String() + ".xlsx"}); err != nil {
				t.Fatal(err)
			}
		}
		last, ok, err := s.LastReportDate(ctx)
		if err != nil || !ok || !last.Equal(second) {
			t.Fatalf("LastReportDate = %s, %v, %v; want %s", last, ok, err, second)
		}
		prev, ok, err := s.ReportBefore(ctx, second)
		if err != nil || !ok || !prev.Equal(first) {
			t.Fatalf("ReportBefore(%s) = %s, %v, %v; want %s", second, prev, ok, err, first)
		}
		if _, ok, err := s.ReportBefore(ctx, first); err != nil || ok {
			t.Fatalf("ReportBefore(first) = %v, %v; want not ok", ok, err)
		}
	})
}

func TestFlagRunSavesNewAndReplacedCases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		day, next := pme.MustDate("2026-11-27"), pme.MustDate("2026-12-04")
		z, a := sampleCase("C-Z", 1, pme.CaseNew), sampleCase("C-A", 2, pme.CaseNew)
		run := func(day pme.Date, cases []pme.Case, replaced []string, evs []pme.CaseEvent) {
			t.Helper()
			err := s.Flag(ctx, day, func(f *store.FlagRun) (int, error) { return len(cases), f.SaveCases(cases, replaced, evs) })
			if err != nil {
				t.Fatal(err)
			}
		}
		run(day, []pme.Case{z, a}, nil, []pme.CaseEvent{{CaseID: "C-Z", Date: day, Status: pme.CaseNew}, {CaseID: "C-A", Date: day, Status: pme.CaseNew}})
		// A replaced case (updated, findings rewritten) and a new one, in no order of id.
		z.Status, z.LastChanged, z.Findings, z.Rules = pme.CaseChanged, next, z.Findings[1:], z.Rules[1:]
		m := sampleCase("C-M", 3, pme.CaseNew)
		run(next, []pme.Case{z, m}, []string{"C-Z"}, []pme.CaseEvent{{CaseID: "C-Z", Date: next, Status: pme.CaseChanged}, {CaseID: "C-M", Date: next, Status: pme.CaseNew}})
		got, err := s.Cases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := []pme.Case{z, a, m}; !reflect.DeepEqual(got, want) {
			t.Fatalf("cases =\n%+v\nwant\n%+v", got, want)
		}
		// Events keep the order they were given in, whatever order the cases are written in.
		evs, err := s.CaseEventsSince(ctx, pme.Date{})
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, e := range evs {
			order = append(order, e.CaseID+" "+e.Status)
		}
		if want := []string{"C-Z new", "C-A new", "C-Z changed", "C-M new"}; !reflect.DeepEqual(order, want) {
			t.Fatalf("events in order %q, want %q", order, want)
		}
	})
}

// TestCancelledFlagRunRestoresSQLiteSettings: a flag run whose context is cancelled part-way
// still gives SQLite's connection back with its foreign key checks on and its usual page cache.
func TestCancelledFlagRunRestoresSQLiteSettings(t *testing.T) {
	s := storetest.Open(t, storetest.Backends(t)[store.SQLite])
	ctx, cancel := context.WithCancel(context.Background())
	err := s.Flag(ctx, pme.MustDate("2026-11-27"), func(f *store.FlagRun) (int, error) {
		cancel()
		return 0, ctx.Err()
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Flag = %v, want the cancellation", err)
	}
	var fk, cache int
	if err := s.DB().Get(&fk, `PRAGMA foreign_keys`); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d (%v), want 1", fk, err)
	}
	if err := s.DB().Get(&cache, `PRAGMA cache_size`); err != nil || cache != -2000 {
		t.Errorf("cache_size = %d (%v), want -2000", cache, err)
	}
}
