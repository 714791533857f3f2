package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pme"
	"pme/casework/caseworktest"
	"pme/store/storetest"
)

// caseworkEnv is an Env on 2026-11-27 with one flagged case, C-1, for pupil 1 (UPN A123456789012,
// a synthetic child), and a letter about that pupil.
func caseworkEnv(t *testing.T, fn func(t *testing.T, e *Env, letterID string)) {
	eachEnv(t, func(t *testing.T, e *Env) {
		ctx := context.Background()
		e.Now = func() time.Time { return time.Date(2026, 11, 27, 11, 0, 0, 0, time.UTC) }
		db := e.Store.DB()
		if _, err := db.Exec(db.Rebind(`INSERT INTO pupil (id, upn, surname, forename, name_key, file_id) VALUES (1, ?, ?, ?, ?, 0)`),
			"A123456789012", "Synthetic", "Zoë", "synthetic|zoë"); err != nil {
			t.Fatal(err)
		}
		day := e.Today
		c := pme.Case{ID: "C-1", PupilID: 1, UPN: "A123456789012", Status: pme.CaseNew, Severity: pme.SeverityHigh,
			Rules:    []string{pme.RuleRTOverLimit},
			Findings: []pme.Finding{{Rule: pme.RuleRTOverLimit, Severity: pme.SeverityHigh, Explanation: "over the 30-day limit"}},
			LAESTAB:  "8912345", Fingerprint: "f1", FirstFlagged: day, LastChanged: day}
		if err := e.Store.SaveCases(ctx, []pme.Case{c}, []pme.CaseEvent{{CaseID: "C-1", Date: day, Status: pme.CaseNew, Note: "flagged: RT_OVER_LIMIT"}}, day); err != nil {
			t.Fatal(err)
		}
		ep := pme.Episode{UPN: "A123456789012", LAESTAB: "8912345", Kind: pme.ReducedTimetable, Start: pme.MustDate("2026-11-02"), Hours: 10}
		l := pme.Letter{ID: pme.LetterID(ep.Key()), EpisodeKey: ep.Key(), Episode: ep, UPN: ep.UPN, LAESTAB: ep.LAESTAB, Date: day,
			TemplateHash: "t", Template: "x", FontHash: "f", SHA256: "s", File: "l.pdf", Created: e.now(),
			Data: pme.LetterData{ReplyBy: "11 December 2026"}}
		if err := e.Store.RecordLetter(ctx, l); err != nil {
			t.Fatal(err)
		}
		fn(t, e, l.ID)
	})
}

func isUsage(err error) bool {
	var ue UsageError
	return errors.As(err, &ue)
}

func TestCaseworkService(t *testing.T) {
	caseworkEnv(t, func(t *testing.T, e *Env, _ string) {
		ctx := context.Background()
		const secret = "=mum says HYPERLINK"
		if _, err := e.AddNote(ctx, "", "C-1", secret); !errors.Is(err, ErrNoActor) {
			t.Fatalf("note without an actor: err = %v, want ErrNoActor", err)
		}
		if _, err := e.AddNote(ctx, "ann", "C-404", secret); !isUsage(err) {
			t.Fatalf("note on an unknown case: err = %v, want a usage error", err)
		}
		if _, err := e.AddNote(ctx, "ann", "C-1", secret); err != nil {
			t.Fatal(err)
		}
		if _, err := e.AddAction(ctx, "ann", "C-1", "call school", "Sam", e.Today.AddDays(-1)); !isUsage(err) {
			t.Fatalf("action due yesterday: err = %v, want a usage error", err)
		}
		if _, err := e.AddAction(ctx, "ann", "C-1", "call school", "", e.Today.AddDays(7)); !isUsage(err) {
			t.Fatalf("action without an owner: err = %v, want a usage error", err)
		}
		res, err := e.AddAction(ctx, "ann", "C-1", "call school", "Sam", pme.MustDate("2026-12-05")) // a Saturday
		if err != nil || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "not a school day") {
			t.Fatalf("action due on a Saturday = %+v, %v; want it kept with a warning", res, err)
		}
		actionID := res.Action.ID
		if _, err := e.SetActionStatus(ctx, "bob", "C-1", "A-404", pme.ActionDone); !isUsage(err) {
			t.Fatalf("done on an unknown action: err = %v", err)
		}
		if _, err := e.SetActionStatus(ctx, "bob", "C-1", actionID, pme.ActionDone); err != nil {
			t.Fatal(err)
		}
		if _, err := e.SetActionStatus(ctx, "bob", "C-1", actionID, pme.ActionDone); !isUsage(err) {
			t.Fatalf("done twice: err = %v, want a usage error", err)
		}
		if _, err := e.SetHandling(ctx, "ann", "C-1", pme.HandlingInHand, e.Today, ""); !isUsage(err) {
			t.Fatalf("in-hand until today: err = %v, want a usage error", err)
		}
		if _, err := e.SetHandling(ctx, "ann", "C-1", pme.HandlingNFA, pme.Date{}, " "); !isUsage(err) {
			t.Fatalf("nfa without a reason: err = %v, want a usage error", err)
		}
		if _, err := e.SetHandling(ctx, "ann", "C-1", pme.HandlingInHand, pme.MustDate("2026-12-11"), ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Assign(ctx, "ann", "C-1", "Sam Practitioner"); err != nil {
			t.Fatal(err)
		}

		v, err := e.ShowCase(ctx, "viewer", "C-1")
		if err != nil {
			t.Fatal(err)
		}
		if v.Child != "Zoë Synthetic" || v.Handling.State != pme.HandlingInHand || v.Owner != "Sam Practitioner" ||
			len(v.Notes) != 1 || v.Notes[0].Text != secret || len(v.Actions) != 1 || v.Actions[0].Status != pme.ActionDone ||
			len(v.Letters) != 1 || !v.Letters[0].ReplyBy.Equal(pme.MustDate("2026-12-11")) {
			t.Fatalf("case view = %+v", v)
		}
		log, err := e.AuditLog(ctx, pme.AuditFilter{CaseID: "C-1"})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, en := range log {
			actions = append(actions, en.Action)
			if strings.Contains(en.Detail, "mum") || strings.Contains(en.Detail, "call school") || strings.Contains(en.Detail, "Sam") {
				t.Fatalf("audit entry carries free text: %+v", en)
			}
		}
		want := "case.note case.action case.done case.in-hand case.assign case.view"
		if strings.Join(actions, " ") != want {
			t.Fatalf("audit actions = %v, want %s", actions, want)
		}
	})
}

func TestInadequateReplyEscalates(t *testing.T) {
	caseworkEnv(t, func(t *testing.T, e *Env, letterID string) {
		ctx := context.Background()
		if _, err := e.SetHandling(ctx, "ann", "C-1", pme.HandlingInHand, pme.MustDate("2026-12-11"), ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.RecordReply(ctx, "ann", "PME-NOPE", e.Today, pme.AssuranceAdequate, ""); !isUsage(err) {
			t.Fatalf("reply to an unknown letter: err = %v", err)
		}
		if _, err := e.RecordReply(ctx, "ann", letterID, e.Today.AddDays(1), pme.AssuranceAdequate, ""); !isUsage(err) {
			t.Fatalf("reply received tomorrow: err = %v", err)
		}
		if _, err := e.RecordReply(ctx, "ann", letterID, e.Today, "fine", ""); !isUsage(err) {
			t.Fatalf("reply with an unknown assurance: err = %v", err)
		}
		res, err := e.RecordReply(ctx, "ann", letterID, e.Today, pme.AssuranceInadequate, "no plan to return")
		if err != nil {
			t.Fatal(err)
		}
		if res.CaseID != "C-1" || res.Handling == nil || res.Handling.State != pme.HandlingEscalated {
			t.Fatalf("reply = %+v, want the case escalated", res)
		}
		v, err := e.ShowCase(ctx, "ann", "C-1")
		if err != nil {
			t.Fatal(err)
		}
		if v.Handling.State != pme.HandlingEscalated || !strings.Contains(v.Handling.Reason, "no plan to return") || v.Handling.By != "ann" {
			t.Fatalf("handling = %+v", v.Handling)
		}
		if len(v.Letters) != 1 || len(v.Letters[0].Replies) != 1 || v.Letters[0].Overdue {
			t.Fatalf("letters = %+v", v.Letters)
		}
		// A later handling decision changes it as usual.
		if _, err := e.SetHandling(ctx, "ann", "C-1", pme.HandlingNFA, pme.Date{}, "school returned full time"); err != nil {
			t.Fatal(err)
		}
		if v, _ := e.ShowCase(ctx, "ann", "C-1"); v.Handling.State != pme.HandlingNFA {
			t.Fatalf("handling after a later decision = %+v", v.Handling)
		}
	})
}

func TestChildHistory(t *testing.T) {
	caseworkEnv(t, func(t *testing.T, e *Env, letterID string) {
		ctx := context.Background()
		if _, err := e.ChildHistory(ctx, "ann", "Z999999999999"); !isUsage(err) {
			t.Fatalf("unknown UPN: err = %v", err)
		}
		if _, err := e.AddNote(ctx, "ann", "C-1", "seen at home"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.RecordReply(ctx, "ann", letterID, e.Today, pme.AssurancePartial, ""); err != nil {
			t.Fatal(err)
		}
		h, err := e.ChildHistory(ctx, "ann", "a123456789012")
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, en := range h.Entries {
			kinds = append(kinds, en.Kind)
		}
		if h.Child != "Zoë Synthetic" || strings.Join(kinds, " ") != "firing letter reply note" {
			t.Fatalf("history = %s %v", h.Child, kinds)
		}
		log, _ := e.AuditLog(ctx, pme.AuditFilter{Person: "ann"})
		if last := log[len(log)-1]; last.Action != "child.view" || last.UPN != "A123456789012" {
			t.Fatalf("last audit entry = %+v, want the child's view", last)
		}
	})
}

// TestApplyDecisionsOnChangedFacts: a decision on a case that changed after its agenda was
// written is applied and marked "decided on facts of" the agenda's date; a workbook whose agenda
// this database never wrote is refused whole.
func TestApplyDecisionsOnChangedFacts(t *testing.T) {
	caseworkEnv(t, func(t *testing.T, e *Env, _ string) {
		ctx := context.Background()
		ag, err := e.Agenda(ctx, "", pme.MeetingCOOS, e.Today)
		if err != nil {
			t.Fatal(err)
		}
		if len(ag.Items) != 1 || ag.Items[0].CaseID != "C-1" || ag.Items[0].Section != pme.SectionNew {
			t.Fatalf("agenda = %+v", ag.Items)
		}
		filled := filepath.Join(t.TempDir(), "filled.xlsx")
		caseworktest.FillAgenda(t, e.Path(ag.File), filled, map[string][4]string{"C-1": {"in-hand", "", "", "11/12/2026"}})

		// The case changes on Monday; the decisions are loaded on Tuesday.
		c, err := e.Store.Case(ctx, "C-1")
		if err != nil {
			t.Fatal(err)
		}
		mon := pme.MustDate("2026-11-30")
		c.Status, c.LastChanged = pme.CaseChanged, mon
		if err := e.Store.SaveCases(ctx, []pme.Case{*c}, []pme.CaseEvent{{CaseID: "C-1", Date: mon, Status: pme.CaseChanged, Note: "now also RT_LOW_HOURS"}}, mon); err != nil {
			t.Fatal(err)
		}
		e.Today = pme.MustDate("2026-12-01")
		res, err := e.ApplyDecisions(ctx, "ann", filled)
		if err != nil {
			t.Fatal(err)
		}
		var warned bool
		for _, is := range res.Issues {
			warned = warned || (is.Code == pme.DecisionFactsChanged && strings.Contains(is.Message, "decided on facts of 27/11/2026"))
		}
		if res.Applied != 1 || !warned {
			t.Fatalf("result = %+v, want applied with the facts-changed warning", res)
		}
		v, err := e.ShowCase(ctx, "ann", "C-1")
		if err != nil {
			t.Fatal(err)
		}
		if v.Handling.State != pme.HandlingInHand || !v.Handling.FactsOf.Equal(pme.MustDate("2026-11-27")) {
			t.Fatalf("handling = %+v, want in-hand decided on facts of 27/11/2026", v.Handling)
		}
	})
}

// TestApplyDecisionsUnknownAgenda: a workbook from another pme database is refused whole.
func TestApplyDecisionsUnknownAgenda(t *testing.T) {
	caseworkEnv(t, func(t *testing.T, e *Env, _ string) {
		ctx := context.Background()
		ag, err := e.Agenda(ctx, "", pme.MeetingCOOS, e.Today)
		if err != nil {
			t.Fatal(err)
		}
		filled := filepath.Join(t.TempDir(), "filled.xlsx")
		caseworktest.FillAgenda(t, e.Path(ag.File), filled, map[string][4]string{"C-1": {"note", "seen", "", ""}})
		other := &Env{Store: storetest.Open(t, "sqlite:"+filepath.Join(t.TempDir(), "other.db")), Config: e.Config,
			DataDir: t.TempDir(), Today: e.Today}
		res, err := other.ApplyDecisions(ctx, "ann", filled)
		if err != nil {
			t.Fatal(err)
		}
		if res.Applied != 0 || len(res.Issues) != 1 || res.Issues[0].Code != pme.DecisionAgendaUnknown || res.Issues[0].Row != 0 {
			t.Fatalf("result = %+v, want the file refused as an unknown agenda", res)
		}
	})
}

// TestReminderLetters: a letter unanswered for letters.chase_after_school_days school days after
// its reply-by date gets one reminder, in the ledger; the next run makes none. A letter with no
// snapshot to print from is skipped, not fatal.
func TestReminderLetters(t *testing.T) {
	caseworkEnv(t, func(t *testing.T, e *Env, letterID string) {
		ctx := context.Background()
		l, err := e.Store.Letter(ctx, letterID)
		if err != nil {
			t.Fatal(err)
		}
		// The letter is re-recorded with a full snapshot under a new episode, as pme letters makes it.
		ep := l.Episode
		ep.Hours = 11
		l.EpisodeKey, l.Episode, l.ID = ep.Key(), ep, pme.LetterID(ep.Key())
		l.Data = pme.LetterData{ID: l.ID, Issued: l.Date, Date: l.Date.Long(), ReplyBy: "11 December 2026",
			Council: "Example Council", CouncilAddress: []string{"County Hall"}, Signatory: "A. Practitioner",
			Headteacher: "Ms Head", Chair: "Mr Chair", Salutation: "Ms Head and Mr Chair",
			School:    pme.LetterSchool{Name: "Oakfield Academy", LAESTAB: "8912345", Address: []string{"1 Synthetic Lane"}},
			Pupil:     pme.LetterPupil{Name: "Zoë Synthetic", Forename: "Zoë", Surname: "Synthetic", UPN: l.UPN},
			Plan:      pme.LetterPlan{Type: "CP", Name: "Child Protection plan"},
			Provision: pme.LetterProvision{Timetable: true, Kind: "reduced timetable", Start: "02/11/2026", Hours: "11"}}
		if err := e.Store.RecordLetter(ctx, *l); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			today string
			want  int
		}{{"2026-12-17", 0}, {"2026-12-18", 1}, {"2026-12-21", 0}} {
			e.Today = pme.MustDate(tc.today)
			got, err := e.writeReminders(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.want {
				t.Fatalf("%s: %d reminders, want %d", tc.today, len(got), tc.want)
			}
		}
		rems, err := e.Store.Reminders(ctx)
		if err != nil || len(rems) != 1 || rems[l.ID].File != "out/letters/2026-12-18/"+l.ID+"-reminder.pdf" {
			t.Fatalf("reminders = %+v, %v", rems, err)
		}
		if _, err := os.Stat(e.Path(rems[l.ID].File)); err != nil {
			t.Fatal(err)
		}
	})
}
