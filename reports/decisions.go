package reports

import (
	"errors"
	"fmt"
	"strings"

	"pme"
	"pme/ingest"
)

// The decisions reader reads a filled-in agenda workbook back (casework.md, `pme load
// decisions`). It goes through the ingest readers, so a file that is not really a workbook (a web
// page saved as .xlsx, an encrypted or damaged file, a zip bomb) is refused the way a return is,
// and it finds the header by name like a return, so a column moved or rows sorted still read.
// Each row is checked like a return row; a row with an error is refused whole and is not in
// Rows. It only reads: the store checks the agenda id and the cases, and applies the rows.

// DecisionOptions say how to check a decisions file.
type DecisionOptions struct {
	// IsSchoolDay is the school calendar's test, for the warning on a due or review date that is
	// not a school day; nil skips the check.
	IsSchoolDay func(pme.Date) bool
	// Limits bound what the file may cost; zero fields take ingest.DefaultLimits.
	Limits ingest.Limits
}

// decisionColumns are the agenda columns the reader needs (the Case ID and the four decision
// columns, exactly as the agenda names them) and the two it uses when present. A few spellings a
// person retyping a header might use are accepted too.
var decisionColumns = []ingest.Column{
	{Name: pme.ColumnCaseID, Aliases: []string{"Case", "CaseID"}, Required: true},
	{Name: pme.ColumnDecision, Required: true},
	{Name: pme.ColumnText, Aliases: []string{"Action/note text", "Action or note text"}, Required: true},
	{Name: pme.ColumnOwner, Required: true},
	{Name: pme.ColumnDue, Aliases: []string{"Due/review date", "Due or review date"}, Required: true},
	{Name: "Section"},
	{Name: "Letter ID"},
}

// decisionAliases are the spellings of a decision typed instead of chosen from the drop-down,
// after lower-casing and turning spaces and underscores into hyphens.
var decisionAliases = map[string]string{
	"in-hand": pme.DecisionInHand, "inhand": pme.DecisionInHand,
	"escalate": pme.DecisionEscalate, "escalated": pme.DecisionEscalate,
	"no-further-action": pme.DecisionNFA, "nfa": pme.DecisionNFA,
	"note":   pme.DecisionNote,
	"action": pme.DecisionAction,
}

// agendaMeta is what the hidden pme sheet says about the agenda.
type agendaMeta struct {
	meeting, id     string
	date, factsAsOf pme.Date
	caseIDs         []string // in agenda order
	cases           map[string]bool
}

// ReadDecisions reads the filled-in agenda workbook at path. A problem with the file as a whole
// (not a workbook, not an agenda pme wrote, a required column deleted) is an issue at row 0 (or at
// the header's row, naming the column) and no rows are read. The Go error is for I/O only.
func ReadDecisions(path string, opt DecisionOptions) (pme.DecisionSheet, error) {
	var out pme.DecisionSheet
	wb, err := ingest.Open(path, opt.Limits)
	if err != nil {
		var fe *pme.FileError
		if errors.As(err, &fe) {
			out.Issues = []pme.Issue{fe.Issue()}
			return out, nil
		}
		return out, fmt.Errorf("read decisions: %w", err)
	}
	defer wb.Close()
	meta, issue, err := readAgendaMeta(wb)
	if err != nil {
		return out, fmt.Errorf("read decisions: %w", err)
	}
	if issue != nil {
		out.Issues = []pme.Issue{*issue}
		return out, nil
	}
	out.AgendaID, out.Meeting, out.Date, out.FactsAsOf, out.CaseIDs = meta.id, meta.meeting, meta.date, meta.factsAsOf, meta.caseIDs
	if err := readDecisionRows(wb, meta, opt, &out); err != nil {
		return out, fmt.Errorf("read decisions: %w", err)
	}
	return out, nil
}

// fileIssue is an issue about the file as a whole.
func fileIssue(code, msg string) *pme.Issue {
	return &pme.Issue{Code: code, Severity: pme.SeverityError, Message: msg}
}

// readAgendaMeta reads the hidden pme sheet. A workbook without it, or with it damaged, is not an
// agenda pme can match to a meeting: an issue, not an error.
func readAgendaMeta(wb ingest.Workbook) (agendaMeta, *pme.Issue, error) {
	m := agendaMeta{cases: map[string]bool{}}
	found := false
	for _, s := range wb.Sheets() {
		found = found || s.Name == agendaMetaSheet
	}
	if !found {
		return m, fileIssue(pme.DecisionFileInvalid, "This workbook is not an agenda written by pme, or it has lost "+
			"the hidden details that say which meeting it is for (as happens when the Agenda sheet is copied into "+
			"a new workbook): fill in the agenda file pme agenda wrote (out/meetings/), under any name, and load that."), nil
	}
	it, err := wb.Rows(agendaMetaSheet)
	if err != nil {
		is, err := fileIssueFrom(err)
		return m, is, err
	}
	defer it.Close()
	vals := map[string]string{}
	for it.Next() {
		row := it.Row()
		if len(row) < 2 {
			continue
		}
		k, v := strings.TrimSpace(row[0].Value), strings.TrimSpace(row[1].Value)
		if k == metaCase {
			if !m.cases[v] {
				m.caseIDs = append(m.caseIDs, v)
			}
			m.cases[v] = true
		} else {
			vals[k] = v
		}
	}
	if err := it.Err(); err != nil {
		is, err := fileIssueFrom(err)
		return m, is, err
	}
	damaged := func(what string) (agendaMeta, *pme.Issue, error) {
		return m, fileIssue(pme.DecisionFileInvalid, "The agenda's hidden details are damaged ("+what+"), so pme "+
			"cannot tell which meeting this file is for: write the agenda again with pme agenda, copy the "+
			"decisions into it, and load that."), nil
	}
	if vals[metaFormat] != metaFormatV1 {
		return damaged("the format is not " + metaFormatV1)
	}
	m.meeting, m.id = vals[metaMeeting], vals[metaAgendaID]
	if meetingNames[m.meeting] == "" {
		return damaged(fmt.Sprintf("the meeting is %q, not %s or %s", m.meeting, pme.MeetingCOOS, pme.MeetingVCEC))
	}
	if m.id == "" {
		return damaged("no agenda id")
	}
	if m.date, err = pme.ParseISO(vals[metaDate]); err != nil {
		return damaged(fmt.Sprintf("the meeting date %q is not a date", vals[metaDate]))
	}
	if f := vals[metaFactsAsOf]; f != "" {
		if m.factsAsOf, err = pme.ParseISO(f); err != nil {
			return damaged(fmt.Sprintf("the facts date %q is not a date", f))
		}
	}
	return m, nil, nil
}

// fileIssueFrom turns a whole-file problem met while reading into an issue; other errors are I/O.
func fileIssueFrom(err error) (*pme.Issue, error) {
	var fe *pme.FileError
	if errors.As(err, &fe) {
		is := fe.Issue()
		return &is, nil
	}
	return nil, err
}

// decisionSheet picks the sheet to read: the one named Agenda, else the first visible sheet.
func decisionSheet(wb ingest.Workbook) (ingest.SheetInfo, bool) {
	var first *ingest.SheetInfo
	for _, s := range wb.Sheets() {
		if s.Name == AgendaSheet {
			return s, true
		}
		if !s.Hidden && first == nil {
			first = &s
		}
	}
	if first == nil {
		return ingest.SheetInfo{}, false
	}
	return *first, true
}

func readDecisionRows(wb ingest.Workbook, meta agendaMeta, opt DecisionOptions, out *pme.DecisionSheet) error {
	info, ok := decisionSheet(wb)
	if !ok {
		out.Issues = append(out.Issues, *fileIssue(pme.DecisionFileInvalid,
			"The workbook has no visible sheet to read: fill in the agenda's "+AgendaSheet+" sheet."))
		return nil
	}
	it, err := wb.Rows(info.Name)
	if err != nil {
		is, err := fileIssueFrom(err)
		if is != nil {
			out.Issues = append(out.Issues, *is)
		}
		return err
	}
	defer it.Close()
	h, rest, err := ingest.FindHeader(it, decisionColumns, nil)
	if errors.Is(err, ingest.ErrNoHeader) {
		out.Issues = append(out.Issues, pme.Issue{Sheet: info.Name, Code: pme.DecisionColumnMissing, Severity: pme.SeverityError,
			Message: fmt.Sprintf("No header row with the agenda's columns (%s, %s, %s, %s, %s) in the first %d rows of the sheet %q: "+
				"load the agenda as pme wrote it.", pme.ColumnCaseID, pme.ColumnDecision, pme.ColumnText, pme.ColumnOwner,
				pme.ColumnDue, ingest.HeaderSearchRows, info.Name)})
		return nil
	}
	if err != nil {
		is, err := fileIssueFrom(err)
		if is != nil {
			out.Issues = append(out.Issues, *is)
		}
		return err
	}
	defer rest.Close()
	if len(h.Missing) > 0 {
		for _, col := range h.Missing {
			out.Issues = append(out.Issues, pme.Issue{Sheet: info.Name, Row: h.Row, Column: col,
				Code: pme.DecisionColumnMissing, Severity: pme.SeverityError,
				Message: fmt.Sprintf("The column %q is missing from the header (row %d), perhaps deleted: no row was read. "+
					"Put it back with exactly that header, or copy the decisions into a fresh agenda from pme agenda.", col, h.Row)})
		}
		return nil
	}
	r := decisionReader{info: info, h: h, meta: meta, opt: opt, handling: map[string]decided{}}
	for rest.Next() {
		r.row(rest.Num(), rest.Row(), out)
	}
	if err := rest.Err(); err != nil {
		is, err := fileIssueFrom(err)
		if is != nil {
			// A sheet damaged part way: nothing from the file is applied.
			out.Rows = nil
			out.Issues = append(out.Issues, *is)
		}
		return err
	}
	return nil
}

// decided is a handling decision already read for a case, to catch a second, different one.
type decided struct {
	row      int
	decision string
	due      pme.Date
}

// decisionReader checks the rows of one sheet.
type decisionReader struct {
	info     ingest.SheetInfo
	h        *ingest.Header
	meta     agendaMeta
	opt      DecisionOptions
	handling map[string]decided // case id → its handling decision in this file
	cells    []ingest.Cell
	num      int
	issues   []pme.Issue
	errs     int
}

func (r *decisionReader) text(col string) string { return r.h.Text(r.cells, col) }

func (r *decisionReader) add(col, code, severity, msg string) {
	if severity == pme.SeverityError {
		r.errs++
	}
	r.issues = append(r.issues, pme.Issue{Sheet: r.info.Name, Row: r.num, Column: r.h.ColumnName(col),
		Value: clipValue(r.text(col)), Code: code, Severity: severity, Message: msg})
}

func (r *decisionReader) fail(col, code, msg string) { r.add(col, code, pme.SeverityError, msg) }

// clipValue keeps an issue's Value short: free text typed in a decision may be long.
func clipValue(s string) string {
	const most = 80
	if len([]rune(s)) <= most {
		return s
	}
	return string([]rune(s)[:most]) + "…"
}

// sectionIDs maps the Section column's titles back to their ids.
var sectionIDs = func() map[string]string {
	m := map[string]string{}
	for id, t := range pme.SectionTitles {
		m[t] = id
	}
	return m
}()

// row reads one row: skipped when it has no decision, else checked and, without errors, added.
func (r *decisionReader) row(num int, cells []ingest.Cell, out *pme.DecisionSheet) {
	r.num, r.cells, r.issues, r.errs = num, cells, nil, 0
	defer func() { out.Issues = append(out.Issues, r.issues...) }()
	caseID := r.text(pme.ColumnCaseID)
	raw := r.text(pme.ColumnDecision)
	text, owner := r.text(pme.ColumnText), r.text(pme.ColumnOwner)
	if raw == "" {
		if caseID == "" {
			return // a section heading, a schools line or a blank row
		}
		out.Skipped++
		if text != "" || owner != "" || r.text(pme.ColumnDue) != "" {
			r.add(pme.ColumnDecision, pme.DecisionNotChosen, pme.SeverityWarning, fmt.Sprintf(
				"This row has text but no Decision, so nothing from it was recorded: choose one of %s and load the file again.",
				strings.Join(pme.Decisions, ", ")))
		}
		return
	}
	d := pme.DecisionRow{Row: num, CaseID: caseID, Text: text, Owner: owner,
		Section: sectionIDs[r.text("Section")], LetterID: r.text("Letter ID")}
	d.Decision = decisionAliases[strings.NewReplacer(" ", "-", "_", "-").Replace(strings.ToLower(raw))]
	if d.Decision == "" {
		r.fail(pme.ColumnDecision, pme.DecisionUnknown, fmt.Sprintf("%q is not a decision: choose one of %s from the drop-down.",
			raw, strings.Join(pme.Decisions, ", ")))
	}
	switch {
	case caseID == "":
		r.fail(pme.ColumnCaseID, pme.DecisionCaseUnknown, "This row has a Decision but no Case ID: decisions can only be "+
			"recorded on the agenda's case rows.")
	case !r.meta.cases[caseID]:
		r.fail(pme.ColumnCaseID, pme.DecisionCaseUnknown, fmt.Sprintf("Case %s is not on this agenda (%s %s), so the row "+
			"may have come from another meeting's file: record it on that case's own agenda, or with pme case.",
			caseID, strings.ToUpper(r.meta.meeting), r.meta.date.UK()))
	}
	needText := map[string]string{
		pme.DecisionNote: "the note", pme.DecisionAction: "the action", pme.DecisionEscalate: "the reason for escalating",
		pme.DecisionNFA: "the reason for no further action",
	}
	if what := needText[d.Decision]; what != "" && text == "" {
		r.fail(pme.ColumnText, pme.DecisionTextMissing, fmt.Sprintf("A %s decision needs %s in %s.", d.Decision, what, pme.ColumnText))
	}
	if d.Decision == pme.DecisionAction && owner == "" {
		r.fail(pme.ColumnOwner, pme.DecisionOwnerMissing, "An action needs an Owner: the person or team who will do it.")
	}
	if d.Decision == pme.DecisionAction || d.Decision == pme.DecisionInHand {
		d.Due = r.date(d.Decision)
	}
	r.conflict(d)
	if r.errs == 0 {
		out.Rows = append(out.Rows, d)
	}
}

// date reads the Due / review date an in-hand or action decision needs.
func (r *decisionReader) date(decision string) pme.Date {
	const col = pme.ColumnDue
	what := "a due date"
	if decision == pme.DecisionInHand {
		what = "a review date"
	}
	c := r.h.Cell(r.cells, col)
	if strings.TrimSpace(c.Value) == "" {
		r.fail(col, pme.DecisionDateMissing, fmt.Sprintf("A %s decision needs %s in %s (dd/mm/yyyy).", decision, what, col))
		return pme.Date{}
	}
	d, err := ingest.ParseUKDate(c, ingest.DateOptions{Date1904: r.info.Date1904})
	switch {
	case errors.Is(err, ingest.ErrDateUS):
		r.fail(col, pme.DecisionDateInvalid, "This looks like month/day/year: write the date day first, as dd/mm/yyyy.")
		return pme.Date{}
	case errors.Is(err, ingest.ErrDateImpossible):
		r.fail(col, pme.DecisionDateInvalid, "This is not a real date: check the day and the month (dd/mm/yyyy).")
		return pme.Date{}
	case err != nil:
		r.fail(col, pme.DecisionDateInvalid, "This is not a date: write it as dd/mm/yyyy (for example 11/12/2026).")
		return pme.Date{}
	}
	if d.Before(r.meta.date) {
		r.fail(col, pme.DecisionDatePast, fmt.Sprintf("%s is before the meeting (%s): give a date on or after it.", d.UK(), r.meta.date.UK()))
		return pme.Date{}
	}
	if r.opt.IsSchoolDay != nil && !r.opt.IsSchoolDay(d) {
		r.add(col, pme.DecisionDateNotSchool, pme.SeverityWarning, fmt.Sprintf(
			"%s is not a school day: the date was kept; change it if you meant a school day.", d.UK()))
	}
	return d
}

// conflict refuses a second handling decision for a case that differs from the first: the file
// cannot say both "in hand" and "escalate" about one case.
func (r *decisionReader) conflict(d pme.DecisionRow) {
	switch d.Decision {
	case pme.DecisionInHand, pme.DecisionEscalate, pme.DecisionNFA:
	default:
		return
	}
	prev, ok := r.handling[d.CaseID]
	if !ok {
		if r.errs == 0 {
			r.handling[d.CaseID] = decided{row: d.Row, decision: d.Decision, due: d.Due}
		}
		return
	}
	if prev.decision != d.Decision || !prev.due.Equal(d.Due) {
		r.fail(pme.ColumnDecision, pme.DecisionConflict, fmt.Sprintf(
			"Case %s already has the decision %s at row %d: a case takes one handling decision (in-hand, escalate or "+
				"no-further-action) a meeting. Keep one and clear the other.", d.CaseID, prev.decision, prev.row))
	}
}
