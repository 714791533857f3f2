package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"pme"
	"pme/store"
	"pme/store/storetest"
)

func TestCaseworkRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		day := pme.MustDate("2026-11-27")
		if err := s.SaveCases(ctx, []pme.Case{sampleCase("C-A", 1, pme.CaseNew)}, nil, day); err != nil {
			t.Fatal(err)
		}
		l := sampleLetter("A123456789012", day, 12)
		if err := s.RecordLetter(ctx, l); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
		w := store.CaseworkWrite{
			Actions: []pme.Action{{ID: "A-1", CaseID: "C-A", Text: "=call school", Owner: "Sam", Due: day.AddDays(7),
				Meeting: pme.MeetingCOOS, MeetDate: day, By: "ann", At: at}},
			Notes:    []pme.Note{{CaseID: "C-A", Text: "spoke to head", By: "ann", At: at}},
			Handling: []pme.HandlingDecision{{CaseID: "C-A", State: pme.HandlingInHand, Review: day.AddDays(14), Day: day, Source: "case", By: "ann", At: at}},
			Owners:   []pme.CaseOwner{{CaseID: "C-A", Owner: "Sam", By: "ann", At: at}},
			Replies:  []pme.LetterReply{{LetterID: l.ID, Received: day.AddDays(3), Assurance: pme.AssurancePartial, Note: "n", By: "ann", At: at}},
			Agendas:  []pme.AgendaRecord{{ID: "AG-1", Meeting: pme.MeetingCOOS, Date: day, FactsAsOf: day, By: "pme", At: at}},
			Applied:  []store.AppliedDecision{{AgendaID: "AG-1", Key: "k1", Row: 5, CaseID: "C-A", Decision: "note", By: "ann", At: at}},
			Audit:    []pme.AuditEntry{{At: at, Person: "ann", Action: "case.note", CaseID: "C-A"}},
		}
		if err := s.WriteCasework(ctx, w); err != nil {
			t.Fatal(err)
		}
		if err := s.WriteCasework(ctx, store.CaseworkWrite{ActionStatuses: []store.ActionStatus{{ActionID: "A-1", Status: pme.ActionDone, By: "bob", At: at.Add(time.Hour)}}}); err != nil {
			t.Fatal(err)
		}
		rec, err := s.CaseRecords(ctx, "C-A")
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Actions) != 1 || rec.Actions[0].Status != pme.ActionDone || rec.Actions[0].StatusBy != "bob" ||
			rec.Actions[0].Text != "=call school" || rec.Actions[0].AgreedAt != "coos 2026-11-27" || !rec.Actions[0].At.Equal(at) ||
			!rec.Actions[0].Due.Equal(day.AddDays(7)) {
			t.Fatalf("actions = %+v", rec.Actions)
		}
		if len(rec.Notes) != 1 || rec.Notes[0].Text != "spoke to head" || !rec.Notes[0].At.Equal(at) {
			t.Fatalf("notes = %+v", rec.Notes)
		}
		if len(rec.Handling) != 1 || rec.Handling[0].State != pme.HandlingInHand || !rec.Handling[0].Review.Equal(day.AddDays(14)) || !rec.Handling[0].Day.Equal(day) {
			t.Fatalf("handling = %+v", rec.Handling)
		}
		if len(rec.Owners) != 1 || rec.Owners[0].Owner != "Sam" {
			t.Fatalf("owners = %+v", rec.Owners)
		}
		all, err := s.CaseRecords(ctx, "")
		if err != nil || len(all.Actions) != 1 || len(all.Notes) != 1 {
			t.Fatalf("all records = %+v, %v", all, err)
		}
		a, err := s.Action(ctx, "A-1")
		if err != nil || a.Status != pme.ActionDone {
			t.Fatalf("action = %+v, %v", a, err)
		}
		if _, err := s.Action(ctx, "A-404"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown action: err = %v, want ErrNotFound", err)
		}
		reps, err := s.LetterReplies(ctx, l.ID)
		if err != nil || len(reps) != 1 || reps[0].Assurance != pme.AssurancePartial || !reps[0].Received.Equal(day.AddDays(3)) {
			t.Fatalf("replies = %+v, %v", reps, err)
		}
		ag, err := s.Agenda(ctx, "AG-1")
		if err != nil || ag.Meeting != pme.MeetingCOOS || !ag.Date.Equal(day) {
			t.Fatalf("agenda = %+v, %v", ag, err)
		}
		if _, ok, err := s.LastAgenda(ctx, pme.MeetingCOOS, day.AddDays(7)); !ok || err != nil {
			t.Fatalf("last agenda: ok = %v, err = %v", ok, err)
		}
		keys, err := s.AppliedDecisions(ctx, "AG-1")
		if err != nil || !keys["k1"] {
			t.Fatalf("applied = %v, %v", keys, err)
		}
		ids, err := s.CaseIDs(ctx, []string{"C-A", "C-Z"})
		if err != nil || !ids["C-A"] || ids["C-Z"] {
			t.Fatalf("case ids = %v, %v", ids, err)
		}
		c, err := s.Case(ctx, "C-A")
		if err != nil || len(c.Findings) != 2 {
			t.Fatalf("case = %+v, %v", c, err)
		}
		if _, err := s.Case(ctx, "C-404"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown case: err = %v, want ErrNotFound", err)
		}
		log, err := s.AuditLog(ctx, pme.AuditFilter{CaseID: "C-A", Since: day})
		if err != nil || len(log) != 1 || log[0].Person != "ann" || !log[0].At.Equal(at) {
			t.Fatalf("audit = %+v, %v", log, err)
		}
		if log, _ := s.AuditLog(ctx, pme.AuditFilter{Since: day.AddDays(1)}); len(log) != 0 {
			t.Fatalf("audit since next day = %+v, want none", log)
		}
	})
}

// TestCaseworkAllOrNothing: a write that fails part-way (a second reminder for one letter) leaves
// nothing of itself behind.
func TestCaseworkAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		day := pme.MustDate("2026-11-27")
		l := sampleLetter("A123456789012", day, 12)
		if err := s.RecordLetter(ctx, l); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 12, 14, 9, 0, 0, 0, time.UTC)
		rem := pme.Reminder{LetterID: l.ID, Date: day.AddDays(17), File: "r.pdf", SHA256: "x", By: "pme", At: at}
		if err := s.WriteCasework(ctx, store.CaseworkWrite{Reminders: []pme.Reminder{rem}}); err != nil {
			t.Fatal(err)
		}
		err := s.WriteCasework(ctx, store.CaseworkWrite{
			Notes:     []pme.Note{{CaseID: "C-A", Text: "x", By: "ann", At: at}},
			Reminders: []pme.Reminder{rem},
		})
		if err == nil {
			t.Fatal("second reminder for one letter: no error")
		}
		rec, err := s.CaseRecords(ctx, "")
		if err != nil || len(rec.Notes) != 0 {
			t.Fatalf("notes after a failed write = %+v, %v; want none", rec.Notes, err)
		}
		rems, err := s.Reminders(ctx)
		if err != nil || len(rems) != 1 {
			t.Fatalf("reminders = %v, %v", rems, err)
		}
	})
}

// TestCaseworkAppendOnly: the tables refuse UPDATE and DELETE, the audit log above all.
func TestCaseworkAppendOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 12, 14, 9, 0, 0, 0, time.UTC)
		if err := s.Audit(ctx, pme.AuditEntry{At: at, Person: "ann", Action: "child.view", UPN: "A123456789012"}); err != nil {
			t.Fatal(err)
		}
		if err := s.WriteCasework(ctx, store.CaseworkWrite{Notes: []pme.Note{{CaseID: "C-A", Text: "x", By: "ann", At: at}}}); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{`UPDATE audit_log SET person = 'eve'`, `DELETE FROM audit_log`, `UPDATE case_note SET text = 'y'`, `DELETE FROM case_note`} {
			if _, err := s.DB().ExecContext(ctx, q); err == nil {
				t.Errorf("%s: no error, want the table to refuse it", q)
			}
		}
	})
}
