package pipeline

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"testing"

	"pme"
	"pme/calendar"
	"pme/fixtures"
	"pme/match"
	"pme/rules"
)

// Flag works a range of pupils at a time and matches social care plans against the candidate
// pupils only: its cases must be those of the rules run over every fact at once.
func TestFlagByRangesEqualsRulesOverEverything(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *Env) {
		ctx := context.Background()
		ingestFixtures(t, e, 400)

		old := pupilsPerRange
		pupilsPerRange = 7 // about sixty ranges, several with nobody flagged
		defer func() { pupilsPerRange = old }()
		e.ListCases = true
		sum, err := e.Flag(ctx)
		if err != nil {
			t.Fatal(err)
		}

		want := rulesOverEverything(t, e)
		var got []string
		for _, c := range sum.Cases {
			got = append(got, fmt.Sprintf("%s %s %v %s %v", c.UPN, c.Severity, c.Rules, c.Plan, c.LetterDue))
		}
		sort.Strings(got)
		if len(got) < 50 {
			t.Fatalf("only %d cases from %d pupils: the fixtures no longer exercise the ranges", len(got), 400)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("cases by ranges differ from the rules over everything:\n got %v\nwant %v", got, want)
		}
		stored, err := e.Store.Cases(ctx)
		if err != nil || len(stored) != len(got) || sum.Listed() != len(got) {
			t.Fatalf("stored %d cases (%v), summary counts %d, listed %d", len(stored), err, sum.Listed(), len(got))
		}
		var recorded int
		if err := e.Store.DB().Get(&recorded, e.Store.DB().Rebind(`SELECT cases FROM flag_run WHERE day = ?`), e.Today); err != nil || recorded != len(got) {
			t.Fatalf("flag_run records %d open cases (%v), want %d", recorded, err, len(got))
		}

		// The same day again changes nothing.
		if _, err := e.Flag(ctx); err != nil {
			t.Fatal(err)
		}
		again, err := e.Store.Cases(ctx)
		if err != nil || !reflect.DeepEqual(again, stored) {
			t.Fatalf("a second run on the same day changed the cases (%v)", err)
		}
	})
}

// rulesOverEverything runs the rules once over every stored fact, matching plans against every
// pupil, as Flag did before it worked in ranges.
func rulesOverEverything(t *testing.T, e *Env) []string {
	ctx := context.Background()
	var f rules.Facts
	var err error
	must := func(err error) {
		if err != nil {
			t.Helper()
			t.Fatal(err)
		}
	}
	f.Pupils, err = e.Store.Pupils(ctx)
	must(err)
	f.Timetables, err = e.Store.CurrentTimetables(ctx)
	must(err)
	f.Placements, err = e.Store.CurrentPlacements(ctx)
	must(err)
	f.Suspensions, err = e.Store.Suspensions(ctx)
	must(err)
	f.Providers, err = e.Store.Providers(ctx)
	must(err)
	plans, err := e.Store.Plans(ctx)
	must(err)
	f.Matches = match.Plans(f.Pupils, plans)
	start, _, _ := calendar.AcademicYear(e.Today)
	f.ReturnTypes, err = e.Store.ReturnTypesByPupil(ctx, start)
	must(err)
	cfg, err := e.RulesConfig()
	must(err)
	cal, err := e.Calendar(ctx)
	must(err)
	var out []string
	for _, r := range rules.Evaluate(f, cal, cfg, e.Today) {
		if len(r.Findings) == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s %v %s %v", r.UPN, r.Severity, r.Rules(), r.Plan, r.LetterDue))
	}
	sort.Strings(out)
	return out
}

// ingestFixtures loads the reference data and ingests the returns of a synthetic LA, and returns
// what it generated.
func ingestFixtures(t *testing.T, e *Env, pupils int) fixtures.Summary {
	ctx := context.Background()
	fx, err := fixtures.Generate(t.TempDir(), fixtures.Options{Pupils: pupils, Seed: 7, Today: e.Today, Format: "csv"})
	if err != nil {
		t.Fatal(err)
	}
	for kind, path := range fx.Reference {
		if _, err := e.Load(ctx, kind, path); err != nil {
			t.Fatalf("load %s: %v", kind, err)
		}
	}
	if _, err := e.Ingest(ctx, fx.Returns); err != nil {
		t.Fatal(err)
	}
	return fx
}

// Random case ids collide (32 bits); each case must still get its own id, and its history.
func TestFlagGivesEveryCaseItsOwnID(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *Env) {
		ctx := context.Background()
		ingestFixtures(t, e, 200)
		oldRange, oldID := pupilsPerRange, newCaseID
		n := 0
		newCaseID = func() string { n++; return fmt.Sprintf("C-%08X", n/2) } // every id comes twice
		pupilsPerRange = 5
		defer func() { pupilsPerRange, newCaseID = oldRange, oldID }()
		if _, err := e.Flag(ctx); err != nil {
			t.Fatal(err)
		}
		cases, err := e.Store.Cases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, c := range cases {
			if seen[c.ID] {
				t.Fatalf("case id %s given twice", c.ID)
			}
			seen[c.ID] = true
			evs, err := e.Store.CaseEvents(ctx, c.ID)
			if err != nil || len(evs) != 1 || evs[0].Status != "new" {
				t.Fatalf("case %s has events %v (%v), want its one new event", c.ID, evs, err)
			}
		}
		if len(cases) < 20 {
			t.Fatalf("only %d cases: too few to meet a collision", len(cases))
		}
	})
}

func TestChangedCasesKeepsOnlyWhatDiffers(t *testing.T) {
	day := pme.MustDate("2026-11-27")
	a := pme.Case{ID: "C-A", PupilID: 1, Status: pme.CaseOpen, Rules: []string{"RT_NO_END_DATE"}, LastChanged: day}
	b := pme.Case{ID: "C-B", PupilID: 2, Status: pme.CaseOpen, Rules: []string{"SUSP_OVER_45"}, LastChanged: day}
	b2 := b
	b2.Status = pme.CaseChanged
	c := pme.Case{ID: "C-C", PupilID: 3, Status: pme.CaseNew, LastChanged: day}
	changed, replaced := changedCases([]pme.Case{a, b}, []pme.Case{a, b2, c})
	if len(changed) != 2 || changed[0].ID != "C-B" || changed[1].ID != "C-C" {
		t.Fatalf("changed = %v, want C-B and C-C", changed)
	}
	if !reflect.DeepEqual(replaced, []string{"C-B"}) {
		t.Fatalf("replaced = %v, want only C-B (C-C was never stored)", replaced)
	}
}
