package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"

	"pme"
	"pme/fixtures"
	"pme/reports"
)

// demoSchools are the schools the demo's returns history singles out (compliance.md): one never
// returns, one returns late, one sends nil returns, and one sends only a file pme refuses.
type demoSchools struct {
	never, late, nilReturn, rejected string
}

// demoReturnsHistory gives the demo two earlier periods of returns, so that pme returns and the
// Returns sheet have something to show: every school sends on time (nil returns, in those
// periods) except the four singled out. It writes the council's la_codes into the demo's
// pme.yaml, ingests the history with the run date of each period, and returns the demo's own
// files to leave out of today's run and the files to add to it.
func (a *app) demoReturnsHistory(ctx context.Context, dir string, gen fixtures.Summary) (skip map[string]bool, add []string, who demoSchools, err error) {
	var las []string
	for la := range gen.BySchool {
		las = append(las, la)
	}
	sort.Strings(las)
	if len(las) < 6 {
		return nil, nil, who, nil // too few schools to single four out
	}
	la := las[0][:3]
	yaml := fmt.Sprintf("# Written by pme demo: the council's LA codes, so that pme returns and pme chase work here.\nreturns:\n  la_codes: [%q]\n", la)
	if err := reports.WriteFileAtomic(filepath.Join(dir, "pme.yaml"), func(w io.Writer) error {
		_, err := io.WriteString(w, yaml)
		return err
	}); err != nil {
		return nil, nil, who, err
	}
	a.cfg.Returns.LACodes = []string{la}
	a.env.Config = a.cfg

	n := len(las)
	who = demoSchools{never: las[n-1], late: las[n-2], nilReturn: las[n-3], rejected: las[n-4]}
	per, err := a.env.ReturnPeriods(ctx)
	if err != nil {
		return nil, nil, who, err
	}
	// The two periods before today's that expect returns (the summer holiday expects none).
	var history []pme.Period
	for p := per.Previous(per.At(a.env.Today)); len(history) < 2; p = per.Previous(p) {
		if p.Expects() {
			history = append([]pme.Period{p}, history...)
		}
	}
	hist := filepath.Join(dir, "fixtures", "history")
	today := a.env.Today
	defer func() { a.env.Today = today }()
	for i, p := range history {
		onTime := map[string][]string{}
		var late []string
		for _, school := range las {
			var paths []string
			switch school {
			case who.never:
				continue
			case who.rejected:
				path, err := fixtures.WriteRejectedReturn(hist, school, p.ID)
				if err != nil {
					return nil, nil, who, err
				}
				paths = []string{path}
			default:
				if paths, err = fixtures.WriteNilReturns(hist, school, p.ID, pme.ReturnTypes); err != nil {
					return nil, nil, who, err
				}
			}
			if school == who.late && i == len(history)-1 {
				late = paths
				continue
			}
			onTime[school] = paths
		}
		var files []string
		for _, school := range las {
			files = append(files, onTime[school]...)
		}
		// On time: received on the period's first day; late: a week after the due date.
		if err := a.demoIngest(ctx, p.Start, files); err != nil {
			return nil, nil, who, err
		}
		lateDay := p.Due.AddDays(7)
		if lateDay.After(p.End) {
			lateDay = p.End
		}
		if err := a.demoIngest(ctx, lateDay, late); err != nil {
			return nil, nil, who, err
		}
	}
	a.env.Today = today
	skip = map[string]bool{}
	for _, school := range []string{who.never, who.nilReturn, who.rejected} {
		for _, p := range gen.BySchool[school] {
			skip[p] = true
		}
	}
	cur := per.At(today).ID
	nils, err := fixtures.WriteNilReturns(filepath.Join(dir, "fixtures", "returns"), who.nilReturn, cur, pme.ReturnTypes)
	if err != nil {
		return nil, nil, who, err
	}
	pdf, err := fixtures.WriteRejectedReturn(filepath.Join(dir, "fixtures", "returns"), who.rejected, cur)
	if err != nil {
		return nil, nil, who, err
	}
	return skip, append(nils, pdf), who, nil
}

// demoIngest ingests files as an ingest run on the given date would have.
func (a *app) demoIngest(ctx context.Context, day pme.Date, files []string) error {
	if len(files) == 0 {
		return nil
	}
	a.env.Today = day
	_, err := a.env.Ingest(ctx, files)
	return err
}
