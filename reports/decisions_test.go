package reports

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"pme"
)

// Rows of sampleAgenda's workbook: the header is row 4, each section opens with a heading row.
const (
	rowNew1    = 6  // C-0004
	rowNew2    = 7  // C-0007
	rowReview  = 10 // C-0001, in hand, review due
	rowActions = 12 // C-0001 again, its action due
	rowLetter  = 14 // C-0005, letter overdue
	rowVCEC    = 17 // C-0009, consider VCEC
)

// fill writes a decision into a row of an open agenda, as a person would in Excel: strings typed
// in, a date either typed as text or a real date cell. Blank values are left blank.
func fill(t *testing.T, f *excelize.File, row int, decision, text, owner string, due any) {
	t.Helper()
	idx := headerIndex(t, f)
	set := func(col string, v any) {
		if v == nil || v == "" {
			return
		}
		if err := f.SetCellValue(AgendaSheet, xlCell(idx[col], row), v); err != nil {
			t.Fatal(err)
		}
	}
	set(pme.ColumnDecision, decision)
	set(pme.ColumnText, text)
	set(pme.ColumnOwner, owner)
	set(pme.ColumnDue, due)
}

// filledAgenda writes sampleAgenda, fills it as the meeting did, lets change edit it further,
// and saves it under another name, as people do. It returns the saved file.
func filledAgenda(t *testing.T, change func(f *excelize.File)) string {
	t.Helper()
	dir := t.TempDir()
	path, err := WriteAgenda(dir, sampleAgenda())
	if err != nil {
		t.Fatal(err)
	}
	f := openAgenda(t, path)
	fill(t, f, rowNew1, "action", "Ring the school about the provider", "J. Smith", "11/12/2026") // a date typed as text
	fill(t, f, rowNew2, "note", hostileValue, "", nil)
	fill(t, f, rowReview, "in-hand", "", "", time.Date(2026, 12, 11, 0, 0, 0, 0, time.UTC)) // a date cell
	fill(t, f, rowLetter, "escalate", "No reply after two chasers", "", nil)
	if change != nil {
		change(f)
	}
	out := filepath.Join(dir, "coos 27 Nov FINAL.xlsx")
	if err := f.SaveAs(out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDecisionsRoundTrip(t *testing.T) {
	path := filledAgenda(t, nil)
	got, err := ReadDecisions(path, DecisionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.AgendaID != "A-20261127-coos" || got.Meeting != pme.MeetingCOOS || got.Date != pme.MustDate("2026-11-27") {
		t.Errorf("agenda = %s %s %s, want A-20261127-coos coos 2026-11-27", got.AgendaID, got.Meeting, got.Date)
	}
	if got.FactsAsOf != pme.MustDate("2026-11-25") || strings.Join(got.CaseIDs, ",") != "C-0004,C-0007,C-0001,C-0005,C-0009" {
		t.Errorf("facts as of %s, cases %v; want 2026-11-25 and the agenda's five cases", got.FactsAsOf, got.CaseIDs)
	}
	if len(got.Issues) != 0 {
		t.Errorf("issues = %+v, want none", got.Issues)
	}
	d := pme.MustDate
	want := []pme.DecisionRow{
		{Row: rowNew1, CaseID: "C-0004", Decision: pme.DecisionAction, Text: "Ring the school about the provider", Owner: "J. Smith",
			Due: d("2026-12-11"), Section: pme.SectionNew},
		{Row: rowNew2, CaseID: "C-0007", Decision: pme.DecisionNote, Text: hostileValue, Section: pme.SectionNew},
		{Row: rowReview, CaseID: "C-0001", Decision: pme.DecisionInHand, Due: d("2026-12-11"), Section: pme.SectionReviewDue},
		{Row: rowLetter, CaseID: "C-0005", Decision: pme.DecisionEscalate, Text: "No reply after two chasers",
			Section: pme.SectionLettersOverdue, LetterID: "L-0005-1"},
	}
	if fmt.Sprintf("%+v", got.Rows) != fmt.Sprintf("%+v", want) {
		t.Errorf("rows =\n%+v\nwant\n%+v", got.Rows, want)
	}
	if got.Skipped != 2 {
		t.Errorf("skipped = %d, want 2 (the two case rows left blank)", got.Skipped)
	}
}

// issueKey is what a test checks of an issue: where it is, its code and severity.
func issueKey(is pme.Issue) string {
	return fmt.Sprintf("%d|%s|%s|%s", is.Row, is.Column, is.Code, is.Severity)
}

func TestDecisionsNonsense(t *testing.T) {
	const err, warn = pme.SeverityError, pme.SeverityWarning
	key := func(row int, col, code, sev string) string { return fmt.Sprintf("%d|%s|%s|%s", row, col, code, sev) }
	setMeta := func(k, v string) func(f *excelize.File) {
		return func(f *excelize.File) {
			rows, e := f.GetRows(agendaMetaSheet)
			if e != nil {
				t.Fatal(e)
			}
			for i, r := range rows {
				if r[0] == k {
					if e := f.SetCellStr(agendaMetaSheet, xlCell(2, i+1), v); e != nil {
						t.Fatal(e)
					}
				}
			}
		}
	}
	tests := []struct {
		name   string
		change func(f *excelize.File)
		issues []string
		rows   int // decision rows read
	}{
		{"a column deleted", func(f *excelize.File) {
			name, _ := excelize.ColumnNumberToName(headerIndex(t, f)[pme.ColumnOwner])
			if e := f.RemoveCol(AgendaSheet, name); e != nil {
				t.Fatal(e)
			}
		}, []string{key(agendaHeaderRow, pme.ColumnOwner, pme.DecisionColumnMissing, err)}, 0},
		{"the header retyped in capitals and columns moved", func(f *excelize.File) {
			idx := headerIndex(t, f)
			if e := f.SetCellStr(AgendaSheet, xlCell(idx[pme.ColumnOwner], agendaHeaderRow), "OWNER"); e != nil {
				t.Fatal(e)
			}
			name, _ := excelize.ColumnNumberToName(idx["Severity"])
			if e := f.RemoveCol(AgendaSheet, name); e != nil {
				t.Fatal(e)
			}
		}, nil, 4},
		{"rows re-ordered", func(f *excelize.File) {
			// Swap the two new cases' rows whole, as a sort would.
			for _, c := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18} {
				a, b := xlCell(c, rowNew1), xlCell(c, rowNew2)
				va, _ := f.GetCellValue(AgendaSheet, a)
				vb, _ := f.GetCellValue(AgendaSheet, b)
				f.SetCellStr(AgendaSheet, a, vb)
				f.SetCellStr(AgendaSheet, b, va)
			}
		}, nil, 4},
		{"a row from another meeting's file", func(f *excelize.File) {
			f.SetCellStr(AgendaSheet, xlCell(headerIndex(t, f)[pme.ColumnCaseID], rowActions), "C-0999")
			fill(t, f, rowActions, "note", "pasted in", "", nil)
		}, []string{key(rowActions, pme.ColumnCaseID, pme.DecisionCaseUnknown, err)}, 4},
		{"the hidden details removed", func(f *excelize.File) {
			if e := f.DeleteSheet(agendaMetaSheet); e != nil {
				t.Fatal(e)
			}
		}, []string{key(0, "", pme.DecisionFileInvalid, err)}, 0},
		{"the meeting garbled", setMeta(metaMeeting, "board"), []string{key(0, "", pme.DecisionFileInvalid, err)}, 0},
		{"the date garbled", setMeta(metaDate, "27/11/2026"), []string{key(0, "", pme.DecisionFileInvalid, err)}, 0},
		{"the agenda id blank", setMeta(metaAgendaID, ""), []string{key(0, "", pme.DecisionFileInvalid, err)}, 0},
		{"a bad date", func(f *excelize.File) { fill(t, f, rowVCEC, "action", "Refer", "Panel", "31/02/2027") },
			[]string{key(rowVCEC, pme.ColumnDue, pme.DecisionDateInvalid, err)}, 4},
		{"a US date", func(f *excelize.File) { fill(t, f, rowVCEC, "in-hand", "", "", "12/13/2026") },
			[]string{key(rowVCEC, pme.ColumnDue, pme.DecisionDateInvalid, err)}, 4},
		{"a date before the meeting", func(f *excelize.File) { fill(t, f, rowVCEC, "in-hand", "", "", "20/11/2026") },
			[]string{key(rowVCEC, pme.ColumnDue, pme.DecisionDatePast, err)}, 4},
		{"an unknown decision", func(f *excelize.File) { fill(t, f, rowVCEC, "maybe", "", "", nil) },
			[]string{key(rowVCEC, pme.ColumnDecision, pme.DecisionUnknown, err)}, 4},
		{"a decision typed loosely", func(f *excelize.File) { fill(t, f, rowVCEC, "No Further Action", "Back in school full time", "", nil) },
			nil, 5},
		{"an action without owner", func(f *excelize.File) { fill(t, f, rowVCEC, "action", "Refer", "", "11/12/2026") },
			[]string{key(rowVCEC, pme.ColumnOwner, pme.DecisionOwnerMissing, err)}, 4},
		{"an action without a date or text", func(f *excelize.File) { fill(t, f, rowVCEC, "action", "", "Panel", nil) },
			[]string{key(rowVCEC, pme.ColumnText, pme.DecisionTextMissing, err), key(rowVCEC, pme.ColumnDue, pme.DecisionDateMissing, err)}, 4},
		{"in-hand without a date", func(f *excelize.File) { fill(t, f, rowVCEC, "in-hand", "", "", nil) },
			[]string{key(rowVCEC, pme.ColumnDue, pme.DecisionDateMissing, err)}, 4},
		{"no-further-action without a reason", func(f *excelize.File) { fill(t, f, rowVCEC, "no-further-action", "", "", nil) },
			[]string{key(rowVCEC, pme.ColumnText, pme.DecisionTextMissing, err)}, 4},
		{"two handling decisions for one case", func(f *excelize.File) { fill(t, f, rowActions, "escalate", "Not moving", "", nil) },
			[]string{key(rowActions, pme.ColumnDecision, pme.DecisionConflict, err)}, 4},
		{"text but no decision", func(f *excelize.File) { fill(t, f, rowVCEC, "", "Discussed", "", nil) },
			[]string{key(rowVCEC, pme.ColumnDecision, pme.DecisionNotChosen, warn)}, 4},
		{"a decision on a section heading", func(f *excelize.File) { fill(t, f, rowNew1-1, "note", "hello", "", nil) },
			[]string{key(rowNew1-1, pme.ColumnCaseID, pme.DecisionCaseUnknown, err)}, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, e := ReadDecisions(filledAgenda(t, tc.change), DecisionOptions{})
			if e != nil {
				t.Fatal(e)
			}
			var keys []string
			for _, is := range got.Issues {
				keys = append(keys, issueKey(is))
				if is.Message == "" {
					t.Errorf("issue %s has no message", issueKey(is))
				}
			}
			if strings.Join(keys, "\n") != strings.Join(tc.issues, "\n") {
				t.Errorf("issues =\n%s\nwant\n%s\n(%+v)", strings.Join(keys, "\n"), strings.Join(tc.issues, "\n"), got.Issues)
			}
			if len(got.Rows) != tc.rows {
				t.Errorf("rows = %d, want %d: %+v", len(got.Rows), tc.rows, got.Rows)
			}
			if tc.name == "rows re-ordered" && (got.Rows[0].CaseID != "C-0007" || got.Rows[0].Row != rowNew1 ||
				got.Rows[1].CaseID != "C-0004" || got.Rows[1].Row != rowNew2 || got.Rows[1].Decision != pme.DecisionAction) {
				t.Errorf("rows = %+v, want C-0007's note at row %d and C-0004's action at row %d", got.Rows[:2], rowNew1, rowNew2)
			}
			for _, r := range got.Rows {
				for _, is := range got.Issues {
					if is.Row == r.Row && is.IsError() {
						t.Errorf("row %d was read despite the error %s", r.Row, issueKey(is))
					}
				}
			}
		})
	}
}

func TestDecisionsNotAWorkbook(t *testing.T) {
	dir := t.TempDir()
	html := filepath.Join(dir, "coos-2026-11-27.xlsx")
	if err := os.WriteFile(html, []byte("<html><body><table><tr><td>Case ID</td></tr></table></body></html>"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.xlsx")
	f := excelize.NewFile()
	f.SetCellStr("Sheet1", "A1", "Case ID")
	f.SetCellStr("Sheet1", "B1", "Decision")
	if err := f.SaveAs(other); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, code string }{
		{html, pme.CodeFileFormat},
		{other, pme.DecisionFileInvalid},
	} {
		got, err := ReadDecisions(tc.path, DecisionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Issues) != 1 || got.Issues[0].Code != tc.code || got.Issues[0].Row != 0 || len(got.Rows) != 0 {
			t.Errorf("%s: issues = %+v, rows = %d; want one %s at row 0", filepath.Base(tc.path), got.Issues, len(got.Rows), tc.code)
		}
	}
	if _, err := ReadDecisions(filepath.Join(dir, "missing.xlsx"), DecisionOptions{}); err == nil {
		t.Errorf("a missing file gave no error")
	}
}

func TestDecisionsNonSchoolDay(t *testing.T) {
	path := filledAgenda(t, func(f *excelize.File) { fill(t, f, rowVCEC, "in-hand", "", "", "12/12/2026") }) // a Saturday
	weekday := func(d pme.Date) bool { return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday }
	got, err := ReadDecisions(path, DecisionOptions{IsSchoolDay: weekday})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Issues) != 1 || issueKey(got.Issues[0]) != fmt.Sprintf("%d|%s|%s|warning", rowVCEC, pme.ColumnDue, pme.DecisionDateNotSchool) {
		t.Errorf("issues = %+v, want one non-school-day warning", got.Issues)
	}
	if len(got.Rows) != 5 {
		t.Errorf("rows = %d, want 5: a warning does not refuse the row", len(got.Rows))
	}
}

// TestDecisionsSavedByLibreOffice reads a filled agenda saved again by LibreOffice Calc 7.4 (which
// turns "very hidden" into "hidden" and rewrites every part): the decisions read the same. The
// file is the README's screenshot agenda (written by WriteAgenda, filled with excelize, one date
// typed as text and one a date cell), then `soffice --headless --convert-to xlsx`.
func TestDecisionsSavedByLibreOffice(t *testing.T) {
	got, err := ReadDecisions(filepath.Join("testdata", "agenda-filled-libreoffice.xlsx"), DecisionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Issues) != 0 || got.AgendaID != "AG-coos-2026-11-27-1" || got.Meeting != pme.MeetingCOOS {
		t.Fatalf("agenda %s %s, issues %+v", got.AgendaID, got.Meeting, got.Issues)
	}
	var rows []string
	for _, r := range got.Rows {
		rows = append(rows, fmt.Sprintf("%d %s %s %q %q %s", r.Row, r.CaseID, r.Decision, r.Text, r.Owner, r.Due))
	}
	want := []string{
		`6 C-0004 action "Ask the school for the provider's registration" "J. Smith" 2026-12-04`,
		`7 C-0007 note "Plan end date expected at the review on 01/12" "" `,
		`10 C-0001 in-hand "" "" 2026-12-11`,
		`14 C-0005 escalate "No reply after two reminders" "" `,
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows =\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	if got.Skipped != 2 {
		t.Errorf("skipped = %d, want 2", got.Skipped)
	}
}

// FuzzReadDecisions: whatever bytes arrive under an agenda's name, the reader never panics, and a
// row it returns has a decision and a case.
func FuzzReadDecisions(f *testing.F) {
	lo, err := os.ReadFile(filepath.Join("testdata", "agenda-filled-libreoffice.xlsx"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(lo)
	f.Add([]byte("<html><table><tr><td>Case ID</td><td>Decision</td></tr></table></html>"))
	f.Add([]byte("Case ID,Decision,Action / note text,Owner,Due / review date\nC-1,note,hello,,\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "agenda.xlsx")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := ReadDecisions(p, DecisionOptions{})
		if err != nil {
			return
		}
		for _, r := range got.Rows {
			if r.CaseID == "" || r.Decision == "" {
				t.Errorf("row %+v lacks its case or decision", r)
			}
		}
	})
}
