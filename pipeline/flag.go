package pipeline

import (
	"context"
	"crypto/rand"
	"fmt"
	"sort"

	"pme"
	"pme/calendar"
	"pme/match"
	"pme/rules"
)

// FlagSummary is `pme flag --json` and `pme cases --json` (cli.md).
type FlagSummary struct {
	Today string        `json:"today"`
	Cases []CaseSummary `json:"cases"`
}

// CaseSummary is one case in the JSON summaries.
type CaseSummary struct {
	CaseID    string   `json:"case_id"`
	UPN       string   `json:"upn"`
	Status    string   `json:"status"`
	Severity  string   `json:"severity"`
	Rules     []string `json:"rules"`
	LAESTAB   string   `json:"laestab"`
	Plan      string   `json:"plan"`
	LetterDue bool     `json:"letter_due"`
}

// Counts returns the number of cases by status.
func (s FlagSummary) Counts() map[string]int {
	by := map[string]int{}
	for _, c := range s.Cases {
		by[c.Status]++
	}
	return by
}

// RulesConfig builds the rules' configuration from the configuration file.
func (e *Env) RulesConfig() (rules.Config, error) {
	return rules.FromYAML(e.Config.Rules, e.Config.FullTimeHours)
}

// Calendar returns the loaded school calendar, or the built-in one for England.
func (e *Env) Calendar(ctx context.Context) (*calendar.Calendar, error) {
	terms, closures, loaded, err := e.Store.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	if !loaded {
		return calendar.Default(), nil
	}
	return calendar.New(terms, closures)
}

// Facts gathers everything the rules read, and matches pupils to social care plans.
func (e *Env) Facts(ctx context.Context) (rules.Facts, error) {
	var f rules.Facts
	var err error
	if f.Pupils, err = e.Store.Pupils(ctx); err != nil {
		return f, err
	}
	if f.Timetables, err = e.Store.CurrentTimetables(ctx); err != nil {
		return f, err
	}
	if f.Placements, err = e.Store.CurrentPlacements(ctx); err != nil {
		return f, err
	}
	if f.Suspensions, err = e.Store.Suspensions(ctx); err != nil {
		return f, err
	}
	if f.Providers, err = e.Store.Providers(ctx); err != nil {
		return f, err
	}
	plans, err := e.Store.Plans(ctx)
	if err != nil {
		return f, err
	}
	f.Matches = match.Plans(f.Pupils, plans)
	start, _, _ := calendar.AcademicYear(e.Today)
	if f.ReturnTypes, err = e.Store.ReturnTypesByPupil(ctx, start); err != nil {
		return f, err
	}
	return f, nil
}

// Flag runs the rules over everything stored, as at the run date, and updates the cases. Running it
// twice on the same data and date changes nothing.
func (e *Env) Flag(ctx context.Context) (FlagSummary, error) {
	sum := FlagSummary{Today: e.Today.String(), Cases: []CaseSummary{}}
	cfg, err := e.RulesConfig()
	if err != nil {
		return sum, err
	}
	cal, err := e.Calendar(ctx)
	if err != nil {
		return sum, err
	}
	facts, err := e.Facts(ctx)
	if err != nil {
		return sum, err
	}
	results := rules.Evaluate(facts, cal, cfg, e.Today)
	prev, err := e.Store.Cases(ctx)
	if err != nil {
		return sum, err
	}
	next, events := rules.UpdateCases(prev, results, e.Today, newCaseID)
	if err := e.Store.SaveCases(ctx, next, events, e.Today); err != nil {
		return sum, err
	}
	for _, c := range next {
		if c.Status != pme.CaseClosed || c.ClosedOn.Equal(e.Today) {
			sum.Cases = append(sum.Cases, caseSummary(c))
		}
	}
	sortCases(sum.Cases)
	e.log().Info("cases flagged", "cases", len(sum.Cases), "events", len(events))
	return sum, nil
}

// OpenCases returns the cases whose status is not closed, for `pme cases`.
func (e *Env) OpenCases(ctx context.Context) (FlagSummary, error) {
	sum := FlagSummary{Today: e.Today.String(), Cases: []CaseSummary{}}
	cases, err := e.Store.Cases(ctx)
	if err != nil {
		return sum, err
	}
	for _, c := range cases {
		if c.Status != pme.CaseClosed {
			sum.Cases = append(sum.Cases, caseSummary(c))
		}
	}
	sortCases(sum.Cases)
	return sum, nil
}

func caseSummary(c pme.Case) CaseSummary {
	rs := c.Rules
	if rs == nil {
		rs = []string{}
	}
	return CaseSummary{CaseID: c.ID, UPN: c.UPN, Status: c.Status, Severity: c.Severity, Rules: rs,
		LAESTAB: c.LAESTAB, Plan: c.Plan, LetterDue: c.LetterDue}
}

var severityOrder = map[string]int{pme.SeverityCritical: 0, pme.SeverityHigh: 1, pme.SeverityMedium: 2, pme.SeverityLow: 3}

// sortCases puts the most severe first, then by case id for a stable order.
func sortCases(cs []CaseSummary) {
	sort.SliceStable(cs, func(i, j int) bool {
		if a, b := severityOrder[cs[i].Severity], severityOrder[cs[j].Severity]; a != b {
			return a < b
		}
		return cs[i].CaseID < cs[j].CaseID
	})
}

// newCaseID returns a short random case id such as "C-7F3A9B2C". Random, not a sequence, so that
// two databases never hand out the same id, and it says nothing about the child.
func newCaseID() string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("read random: %v", err))
	}
	return "C-" + fmt.Sprintf("%X", b)
}
