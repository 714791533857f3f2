package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"pme"
	"pme/casework"
	"pme/reports"
	"pme/store"
)

// AgendaSchools supplies the COOS agenda's "schools not returning" section (compliance.md). It
// reports configured false when compliance is not configured (no returns.la_codes): the section is
// then left out with a warning. Nil, until the compliance capability sets it, means not configured.
var AgendaSchools func(ctx context.Context, e *Env, meetingDate pme.Date) (items []pme.AgendaItem, configured bool, err error)

// MeetingsDir is where agendas are written, inside the data folder's out/.
const MeetingsDir = "meetings"

// PreviewAgenda builds a meeting's agenda as Agenda does, without recording it or writing the
// workbook: for the web's Meeting page, which a GET must not change.
func (e *Env) PreviewAgenda(ctx context.Context, meeting string, date pme.Date) (pme.Agenda, error) {
	a, _, err := e.buildAgenda(ctx, meeting, date)
	return a, err
}

func (e *Env) buildAgenda(ctx context.Context, meeting string, date pme.Date) (pme.Agenda, casework.AgendaInput, error) {
	meeting = strings.ToLower(strings.TrimSpace(meeting))
	if meeting == "" {
		meeting = pme.MeetingCOOS
	}
	if meeting != pme.MeetingCOOS && meeting != pme.MeetingVCEC {
		return pme.Agenda{}, casework.AgendaInput{}, usageErrorf("--meeting %q: want coos or vcec", meeting)
	}
	if date.IsZero() {
		date = e.Today
	}
	if date.Before(e.Today) {
		return pme.Agenda{}, casework.AgendaInput{}, usageErrorf("the meeting date %s is before today (%s): an agenda is written for a meeting to come", date.UK(), e.Today.UK())
	}
	facts, err := e.allCaseFacts(ctx)
	if err != nil {
		return pme.Agenda{}, casework.AgendaInput{}, err
	}
	cal, err := e.Calendar(ctx)
	if err != nil {
		return pme.Agenda{}, casework.AgendaInput{}, err
	}
	in := casework.AgendaInput{Meeting: meeting, Date: date, Today: e.Today, Cases: facts, Calendar: cal,
		Config: e.CaseworkConfig(), CreatedAt: e.now()}
	if in.Letters, err = e.caselessLetters(ctx, cal, facts); err != nil {
		return pme.Agenda{}, casework.AgendaInput{}, err
	}
	if meeting == pme.MeetingCOOS && AgendaSchools != nil {
		if in.Schools, in.SchoolsConfigured, err = AgendaSchools(ctx, e, date); err != nil {
			return pme.Agenda{}, casework.AgendaInput{}, err
		}
	}
	a := casework.BuildAgenda(in)
	if !cal.IsSchoolDay(date) {
		a.Warnings = append(a.Warnings, fmt.Sprintf("The meeting date %s is not a school day: check --date.", date.UK()))
	}
	return a, in, nil
}

// Agenda builds a meeting's agenda from the facts as at the run date, records it (so that the
// decisions written on it can be checked against it) and writes the workbook
// out/meetings/<meeting>-YYYY-MM-DD.xlsx. by is who asked (PME_USER, else SystemActor).
func (e *Env) Agenda(ctx context.Context, by, meeting string, date pme.Date) (pme.Agenda, error) {
	a, in, err := e.buildAgenda(ctx, meeting, date)
	if err != nil {
		return a, err
	}
	meeting, date = a.Meeting, a.Date
	by = first(by, SystemActor)
	// Recorded before the workbook is written: a workbook whose agenda is not recorded could not
	// be loaded, while a record whose workbook failed is harmless.
	err = e.Store.WriteCasework(ctx, store.CaseworkWrite{
		Agendas: []pme.AgendaRecord{{ID: a.ID, Meeting: meeting, Date: date, FactsAsOf: e.Today, By: by, At: in.CreatedAt}},
		Audit:   []pme.AuditEntry{{At: in.CreatedAt, Person: by, Action: "agenda.write", Detail: fmt.Sprintf("agenda=%s items=%d", a.ID, len(a.Items))}},
	})
	if err != nil {
		return a, err
	}
	a.Warnings = append(a.Warnings, e.Warnings()...) // the run's own (a run date outside the calendar)
	path, err := reports.WriteAgenda(e.Path(OutDir, MeetingsDir), a)
	if err != nil {
		return a, fmt.Errorf("write agenda: %w", err)
	}
	a.File = e.Rel(path)
	e.log().Info("agenda written", "agenda", a.ID, "meeting", meeting, "items", len(a.Items))
	return a, nil
}

// caselessLetters returns the letters about pupils with no case among facts.
func (e *Env) caselessLetters(ctx context.Context, cal casework.Calendar, facts []casework.CaseFacts) ([]casework.LetterFacts, error) {
	all, err := e.letterFacts(ctx, cal)
	if err != nil {
		return nil, err
	}
	hasCase := make(map[string]bool, len(facts))
	for _, f := range facts {
		hasCase[f.Case.UPN] = true
	}
	var out []casework.LetterFacts
	for _, l := range all {
		if !hasCase[l.Letter.UPN] {
			out = append(out, l)
		}
	}
	return out, nil
}

// ApplyDecisions applies a filled-in agenda workbook (`pme load decisions FILE`). Each row is
// checked like a return row; a row with an error is refused whole and nothing from it applied; the
// rest are applied together in one transaction, with their audit entries. A row applied before
// from the same agenda (the same file loaded twice, or a copy) is counted unchanged. A decision on
// a case whose facts changed after the agenda was written is applied and marked "decided on facts
// of <date>".
func (e *Env) ApplyDecisions(ctx context.Context, by, path string) (pme.DecisionResult, error) {
	res := pme.DecisionResult{File: path, Issues: []pme.Issue{}, Warnings: []string{}}
	by, err := actor(by)
	if err != nil {
		return res, err
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return res, usageErrorf("%s: no such file", path)
	}
	cal, err := e.Calendar(ctx)
	if err != nil {
		return res, err
	}
	sheet, err := reports.ReadDecisions(path, reports.DecisionOptions{IsSchoolDay: cal.IsSchoolDay, Limits: e.limits()})
	if err != nil {
		return res, err
	}
	res.AgendaID, res.Meeting, res.Date, res.Skipped = sheet.AgendaID, sheet.Meeting, sheet.Date, sheet.Skipped
	res.Issues = append(res.Issues, sheet.Issues...)
	refused := map[int]bool{}
	for _, is := range sheet.Issues {
		if is.IsError() {
			if is.Row == 0 {
				return e.refuseDecisions(res), nil
			}
			refused[is.Row] = true
		}
	}
	agenda, err := e.Store.Agenda(ctx, sheet.AgendaID)
	if errors.Is(err, store.ErrNotFound) {
		res.Issues = append(res.Issues, pme.Issue{Code: pme.DecisionAgendaUnknown, Severity: pme.SeverityError,
			Message: fmt.Sprintf("This workbook's agenda (%s) was not written by this pme database: load it where the agenda was made, or write a new agenda with pme agenda.", sheet.AgendaID)})
		return e.refuseDecisions(res), nil
	}
	if err != nil {
		return res, err
	}
	if agenda.Meeting != sheet.Meeting || !agenda.Date.Equal(sheet.Date) {
		res.Issues = append(res.Issues, pme.Issue{Code: pme.DecisionFileInvalid, Severity: pme.SeverityError,
			Message: fmt.Sprintf("The workbook says %s %s but agenda %s was written for %s %s: the workbook's hidden details were changed; use the file pme wrote.",
				strings.ToUpper(sheet.Meeting), sheet.Date.UK(), agenda.ID, strings.ToUpper(agenda.Meeting), agenda.Date.UK())})
		return e.refuseDecisions(res), nil
	}

	ids := make([]string, 0, len(sheet.Rows))
	for _, r := range sheet.Rows {
		ids = append(ids, r.CaseID)
	}
	known, err := e.Store.CaseIDs(ctx, ids)
	if err != nil {
		return res, err
	}
	applied, err := e.Store.AppliedDecisions(ctx, agenda.ID)
	if err != nil {
		return res, err
	}
	events, err := e.Store.CaseEventsSince(ctx, agenda.FactsAsOf)
	if err != nil {
		return res, err
	}
	changedOn := map[string]pme.CaseEvent{} // the first material change of each case after the agenda's facts
	for _, ev := range events {
		if _, seen := changedOn[ev.CaseID]; !seen && (ev.Status == pme.CaseChanged || ev.Status == pme.CaseNew) && !ev.Date.After(e.Today) {
			changedOn[ev.CaseID] = ev
		}
	}

	now := e.now()
	var w store.CaseworkWrite
	for _, r := range sheet.Rows {
		if refused[r.Row] {
			continue
		}
		if !known[r.CaseID] {
			res.Issues = append(res.Issues, pme.Issue{Sheet: "Agenda", Row: r.Row, Column: pme.ColumnCaseID, Value: r.CaseID,
				Code: pme.DecisionCaseUnknown, Severity: pme.SeverityError, Message: fmt.Sprintf("There is no case %s: check the Case ID.", r.CaseID)})
			refused[r.Row] = true
			continue
		}
		key := casework.DecisionKey(r)
		if applied[key] {
			res.Unchanged++
			continue
		}
		applied[key] = true
		var factsOf pme.Date
		if ev, ok := changedOn[r.CaseID]; ok {
			factsOf = agenda.FactsAsOf
			res.Issues = append(res.Issues, pme.Issue{Sheet: "Agenda", Row: r.Row, Column: pme.ColumnDecision, Value: r.Decision,
				Code: pme.DecisionFactsChanged, Severity: pme.SeverityWarning, Message: fmt.Sprintf(
					"Applied, and marked decided on facts of %s: case %s changed on %s (%s).", agenda.FactsAsOf.UK(), r.CaseID, ev.Date.UK(), ev.Note)})
		}
		source := "agenda " + agenda.ID
		detail := fmt.Sprintf("agenda=%s row=%d decision=%s", agenda.ID, r.Row, r.Decision)
		switch r.Decision {
		case pme.DecisionInHand:
			w.Handling = append(w.Handling, pme.HandlingDecision{CaseID: r.CaseID, State: pme.HandlingInHand, Review: r.Due,
				Reason: r.Text, Day: e.Today, Source: source, FactsOf: factsOf, By: by, At: now})
			detail += " review=" + r.Due.String()
		case pme.DecisionEscalate:
			w.Handling = append(w.Handling, pme.HandlingDecision{CaseID: r.CaseID, State: pme.HandlingEscalated,
				Reason: r.Text, Day: e.Today, Source: source, FactsOf: factsOf, By: by, At: now})
		case pme.DecisionNFA:
			w.Handling = append(w.Handling, pme.HandlingDecision{CaseID: r.CaseID, State: pme.HandlingNFA,
				Reason: r.Text, Day: e.Today, Source: source, FactsOf: factsOf, By: by, At: now})
		case pme.DecisionNote:
			w.Notes = append(w.Notes, pme.Note{CaseID: r.CaseID, Text: r.Text, FactsOf: factsOf, By: by, At: now})
		case pme.DecisionAction:
			id := decisionActionID(agenda.ID, key)
			w.Actions = append(w.Actions, pme.Action{ID: id, CaseID: r.CaseID, Text: r.Text, Owner: r.Owner, Due: r.Due,
				Status: pme.ActionOpen, Meeting: agenda.Meeting, MeetDate: agenda.Date, FactsOf: factsOf, By: by, At: now})
			detail += " action=" + id + " due=" + r.Due.String()
		default:
			continue // the reader refuses any other decision
		}
		w.Applied = append(w.Applied, store.AppliedDecision{AgendaID: agenda.ID, Key: key, Row: r.Row, CaseID: r.CaseID,
			Decision: r.Decision, By: by, At: now})
		w.Audit = append(w.Audit, pme.AuditEntry{At: now, Person: by, Action: "decisions.apply", CaseID: r.CaseID, Detail: detail})
		res.Applied++
	}
	res.Refused = len(refused)
	w.Audit = append(w.Audit, pme.AuditEntry{At: now, Person: by, Action: "decisions.load",
		Detail: fmt.Sprintf("agenda=%s applied=%d unchanged=%d refused=%d", agenda.ID, res.Applied, res.Unchanged, res.Refused)})
	if err := e.Store.WriteCasework(ctx, w); err != nil {
		return res, err
	}
	res.Warnings = append(res.Warnings, e.Warnings()...)
	e.log().Info("decisions loaded", "agenda", agenda.ID, "applied", res.Applied, "unchanged", res.Unchanged,
		"refused", res.Refused, "skipped", res.Skipped)
	return res, nil
}

// refuseDecisions is the result for a file refused as a whole: nothing applied.
func (e *Env) refuseDecisions(res pme.DecisionResult) pme.DecisionResult {
	res.Applied, res.Unchanged = 0, 0
	e.log().Info("decisions file refused", "issues", len(res.Issues))
	return res
}

// ExportChild writes one child's whole history as a workbook and a PDF into dir (made if missing)
// for a subject access request, and audits the export. The file names hold the UPN: they are
// returned to the person who asked and never logged.
func (e *Env) ExportChild(ctx context.Context, by, upn, dir string) ([]string, error) {
	by, err := actor(by)
	if err != nil {
		return nil, err
	}
	h, err := e.childHistory(ctx, upn)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return nil, usageErrorf("--export needs a folder to write into")
	}
	_, font, err := e.letterTools()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	files, err := reports.WriteChildExport(abs, h, font, e.Today)
	if err != nil {
		return nil, fmt.Errorf("export child: %w", err)
	}
	err = e.Store.Audit(ctx, pme.AuditEntry{At: e.now(), Person: by, Action: "child.export", UPN: h.UPN,
		Detail: fmt.Sprintf("entries=%d files=%d", len(h.Entries), len(files))})
	if err != nil {
		return files, err
	}
	e.log().Info("child exported", "entries", len(h.Entries), "files", len(files))
	return files, nil
}
