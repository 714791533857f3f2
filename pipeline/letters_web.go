package pipeline

import (
	"context"
	"sort"

	"pme"
	"pme/casework"
	"pme/reports"
)

// LetterBook is the web's Letters page (web.md): the letters due and not yet made, those that
// cannot be made and why, and every letter made with its state today (awaiting a reply, overdue,
// replied), as the letters job and the casework see them.
type LetterBook struct {
	Due         []pme.Letter          // due: the next letters run makes them
	NotProduced []reports.NotProduced // due but missing what a letter needs
	Made        []LetterState         // every letter in the ledger, newest first
	Awaiting    int                   // made, no reply yet, reply-by date not passed
	Overdue     int                   // reply-by date passed with no reply (casework.md)
}

// LetterState is a letter made and where it stands today.
type LetterState struct {
	pme.Letter
	State pme.CaseLetter
}

// Replied reports whether a reply has been recorded.
func (l LetterState) Replied() bool { return len(l.State.Replies) > 0 }

// LetterBook gathers the Letters page: the plan the letters job would carry out today (without
// printing anything) and the ledger with each letter's reply state.
func (e *Env) LetterBook(ctx context.Context) (LetterBook, error) {
	var b LetterBook
	plan, err := e.planLetters(ctx)
	if err != nil {
		return b, err
	}
	b.Due, b.NotProduced = plan.Due, plan.NotProduced
	cal, err := e.Calendar(ctx)
	if err != nil {
		return b, err
	}
	facts, err := e.letterFacts(ctx, cal)
	if err != nil {
		return b, err
	}
	cfg := e.CaseworkConfig()
	for _, f := range facts {
		st := casework.LetterState(f, e.Today, cal, cfg)
		b.Made = append(b.Made, LetterState{Letter: f.Letter, State: st})
		switch {
		case st.Overdue:
			b.Overdue++
		case len(st.Replies) == 0:
			b.Awaiting++
		}
	}
	sort.SliceStable(b.Made, func(i, j int) bool { return b.Made[j].Date.Before(b.Made[i].Date) })
	return b, nil
}
