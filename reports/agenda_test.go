package reports

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"pme"
)

// sampleAgenda is a COOS agenda with an item in most sections (the changed and schools sections
// empty), a case in two sections, a child whose name is a formula, and a warning. Every pupil is
// synthetic.
func sampleAgenda() pme.Agenda {
	d := pme.MustDate
	return pme.Agenda{
		ID: "A-20261127-coos", Meeting: pme.MeetingCOOS, Date: d("2026-11-27"), FactsAsOf: d("2026-11-25"),
		Warnings: []string{"Compliance is not configured (returns.la_codes): schools not returning are not listed."},
		Sections: []string{pme.SectionNew, pme.SectionChanged, pme.SectionReviewDue, pme.SectionActionsDue,
			pme.SectionLettersOverdue, pme.SectionAssurance, pme.SectionConsiderVCEC},
		Items: []pme.AgendaItem{
			{Section: pme.SectionNew, CaseID: "C-0004", UPN: "H801200001001", Child: "Test Nguyễn", LAESTAB: "8919999",
				School: "Synthetic Academy", Severity: pme.SeverityHigh, Handling: pme.HandlingUnreviewed,
				Why: []string{"Placed at Acorn Centre, which is not on the approved list.", "On two returns this year."}},
			{Section: pme.SectionNew, CaseID: "C-0007", UPN: "A950000178301", Child: hostileValue, LAESTAB: "8912345",
				School: "Synthetic Academy", Severity: pme.SeverityMedium, Handling: pme.HandlingUnreviewed,
				Why: []string{"On a reduced timetable since 02/11/2026 with no planned end date."}},
			{Section: pme.SectionReviewDue, CaseID: "C-0001", UPN: "B801200005001", Child: "Łukasz O'Example", LAESTAB: "8912345",
				School: "Synthetic Academy", Severity: pme.SeverityCritical, Handling: pme.HandlingInHand, Review: d("2026-11-26"),
				Why:      []string{"On a reduced timetable for 34 school days, over the 30-day limit."},
				LastNote: &pme.Note{Text: "Spoke to the head; plan due.", At: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}},
			{Section: pme.SectionActionsDue, CaseID: "C-0001", UPN: "B801200005001", Child: "Łukasz O'Example", LAESTAB: "8912345",
				School: "Synthetic Academy", Handling: pme.HandlingInHand, Review: d("2026-11-26"),
				Actions: []pme.Action{{ID: "A-1", Text: "Visit home", Owner: "J. Smith", Due: d("2026-11-24"), Status: pme.ActionOpen}}},
			{Section: pme.SectionLettersOverdue, CaseID: "C-0005", UPN: "H243278544154", Child: "Ada Sample", LAESTAB: "8912345",
				School: "Synthetic Academy", Handling: pme.HandlingUnreviewed, LetterID: "L-0005-1",
				Sent: d("2026-11-02"), ReplyBy: d("2026-11-16")},
			{Section: pme.SectionConsiderVCEC, CaseID: "C-0009", UPN: "G80120000101A", Child: "Case Nine", LAESTAB: "8912345",
				School: "Synthetic Academy", Handling: pme.HandlingUnreviewed, DaysFlagged: 21,
				Why: []string{"Out of school 21 school days."}},
		},
	}
}

// openAgenda opens a written workbook the way a reader of untrusted files should: with excelize's
// unzip limits set.
func openAgenda(t *testing.T, path string) *excelize.File {
	t.Helper()
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: 64 << 20, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// headerIndex returns the 1-based column of each header on the Agenda sheet's header row.
func headerIndex(t *testing.T, f *excelize.File) map[string]int {
	t.Helper()
	rows, err := f.GetRows(AgendaSheet)
	if err != nil {
		t.Fatal(err)
	}
	idx := map[string]int{}
	for i, h := range rows[agendaHeaderRow-1] {
		idx[h] = i + 1
	}
	return idx
}

func TestAgendaWorkbook(t *testing.T) {
	a := sampleAgenda()
	path, err := WriteAgenda(t.TempDir(), a)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "coos-2026-11-27.xlsx" {
		t.Errorf("file = %s, want coos-2026-11-27.xlsx", filepath.Base(path))
	}
	checkPrivate(t, path)
	f := openAgenda(t, path)

	if got := f.GetSheetList(); strings.Join(got, ",") != "Agenda,pme" {
		t.Errorf("sheets = %v, want Agenda,pme", got)
	}
	if vis, _ := f.GetSheetVisible(agendaMetaSheet); vis {
		t.Errorf("the pme sheet is visible")
	}
	if !strings.Contains(string(zipParts(t, path)["xl/workbook.xml"]), `state="veryHidden"`) {
		t.Errorf("the pme sheet is not very hidden")
	}

	// One header row holding the Case ID and the four decision columns, exactly named.
	idx := headerIndex(t, f)
	for _, h := range []string{pme.ColumnCaseID, pme.ColumnDecision, pme.ColumnText, pme.ColumnOwner, pme.ColumnDue} {
		if idx[h] == 0 {
			t.Errorf("header row %d has no %q column: %v", agendaHeaderRow, h, idx)
		}
	}

	// Sections in order, each heading saying how many or "none", items under them.
	rows, err := f.GetRows(AgendaSheet)
	if err != nil {
		t.Fatal(err)
	}
	var headings []string
	for _, r := range rows[agendaHeaderRow:] {
		if len(r) > 0 && (len(r) < idx[pme.ColumnCaseID] || r[idx[pme.ColumnCaseID]-1] == "") {
			headings = append(headings, r[0])
		}
	}
	want := []string{"New cases (2)", "Changed cases: none", "In hand: review date reached (1)", "Actions due or overdue (1)",
		"Letters overdue a reply (1)", "Inadequate or partial assurances: none", "Consider VCEC referral (1)"}
	if strings.Join(headings, "|") != strings.Join(want, "|") {
		t.Errorf("section headings = %q, want %q", headings, want)
	}
	if !strings.Contains(rows[2][0], "Compliance is not configured") {
		t.Errorf("row 3 = %q, want the warning", rows[2][0])
	}

	// The child's formula is text, the action reads in words, the dates are date cells.
	cellOf := func(col string, row int) string { return xlCell(idx[col], row) }
	checkTextCell(t, f, AgendaSheet, cellOf("Child", 7), "'"+hostileValue)
	if v, _ := f.GetCellValue(AgendaSheet, cellOf("Open actions", 12)); v != "Visit home – J. Smith, due 24/11/2026 (overdue)" {
		t.Errorf("open actions = %q", v)
	}
	if v, _ := f.GetCellValue(AgendaSheet, cellOf("Handling", 10)); v != "in-hand until 26/11/2026" {
		t.Errorf("handling = %q", v)
	}
	if h, _ := f.GetRowHeight(AgendaSheet, 6); h < 30 {
		t.Errorf("row 6 height = %v, want room for its two lines of Why", h)
	}
	if v, _ := f.GetCellValue(AgendaSheet, cellOf("Reply by", 14)); v != "16/11/2026" {
		t.Errorf("reply by = %q, want 16/11/2026", v)
	}

	// The Decision column is a drop-down of exactly the spec's decisions over every item row.
	dvs, err := f.GetDataValidations(AgendaSheet)
	if err != nil {
		t.Fatal(err)
	}
	dec := xlCell(idx[pme.ColumnDecision], agendaHeaderRow+1)
	found := false
	for _, dv := range dvs {
		if strings.HasPrefix(dv.Sqref, dec+":") && dv.Type == "list" {
			found = true
			if dv.Formula1 != `"in-hand,escalate,no-further-action,note,action"` {
				t.Errorf("drop-down = %s", dv.Formula1)
			}
			if dv.ErrorStyle == nil || *dv.ErrorStyle != "stop" || !dv.ShowErrorMessage {
				t.Errorf("drop-down does not refuse other values: %+v", dv)
			}
		}
	}
	if !found {
		t.Errorf("no drop-down on %s: %+v", dec, dvs)
	}

	// Protected, with only the decision cells of case rows unlocked.
	sheetXML := string(zipParts(t, path)["xl/worksheets/sheet1.xml"])
	if !strings.Contains(sheetXML, "<sheetProtection") {
		t.Errorf("the Agenda sheet is not protected")
	}
	locked := func(cell string) bool {
		id, err := f.GetCellStyle(AgendaSheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		return st.Protection == nil || st.Protection.Locked
	}
	for col, i := range idx {
		edit := col == pme.ColumnDecision || col == pme.ColumnText || col == pme.ColumnOwner || col == pme.ColumnDue
		for _, row := range []int{6, 14} { // case rows
			if got := locked(xlCell(i, row)); got == edit {
				t.Errorf("%s row %d locked = %v, want %v", col, row, got, !edit)
			}
		}
		if !locked(xlCell(i, agendaHeaderRow)) || !locked(xlCell(i, agendaHeaderRow+1)) {
			t.Errorf("%s: header or section heading unlocked", col)
		}
	}

	// The meeting, date, agenda id and cases are inside the workbook.
	meta, err := f.GetRows(agendaMetaSheet)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range meta {
		got = append(got, strings.Join(r, "="))
	}
	wantMeta := "pme agenda=1|meeting=coos|date=2026-11-27|agenda_id=A-20261127-coos|facts_as_of=2026-11-25|" +
		"case=C-0004|case=C-0007|case=C-0001|case=C-0005|case=C-0009"
	if strings.Join(got, "|") != wantMeta {
		t.Errorf("meta = %s\nwant %s", strings.Join(got, "|"), wantMeta)
	}
}

func TestAgendaVCEC(t *testing.T) {
	d := pme.MustDate
	a := pme.Agenda{ID: "A-vcec-1", Meeting: pme.MeetingVCEC, Date: d("2026-12-04"), Items: []pme.AgendaItem{{
		Section: pme.SectionEscalated, CaseID: "C-0001", Child: "Łukasz O'Example", Handling: pme.HandlingEscalated,
		Reason: "No plan for a return to full time", Owner: "J. Smith",
		History: []string{"16/10/2026 first flagged", "27/11/2026 escalated by J. Smith"},
	}}}
	path, err := WriteAgenda(t.TempDir(), a)
	if err != nil {
		t.Fatal(err)
	}
	f := openAgenda(t, path)
	idx := headerIndex(t, f)
	for col, want := range map[string]string{
		"Handling": "escalated: No plan for a return to full time\nHeld by J. Smith",
		"History":  "16/10/2026 first flagged\n27/11/2026 escalated by J. Smith",
	} {
		if got, _ := f.GetCellValue(AgendaSheet, xlCell(idx[col], agendaHeaderRow+2)); got != want {
			t.Errorf("%s = %q, want %q", col, got, want)
		}
	}
	if strings.Count(strings.Join(mapKeys(idx), "|"), "Owner") != 1 {
		t.Errorf("headers %v: more than one Owner column would confuse the reader", idx)
	}
}

func mapKeys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestAgendaVCECAndEmpty(t *testing.T) {
	a := pme.Agenda{ID: "A-vcec", Meeting: pme.MeetingVCEC, Date: pme.MustDate("2026-12-04")}
	path, err := WriteAgenda(t.TempDir(), a)
	if err != nil {
		t.Fatal(err)
	}
	f := openAgenda(t, path)
	rows, err := f.GetRows(AgendaSheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != agendaHeaderRow+1 || rows[agendaHeaderRow][0] != "Escalated to VCEC: none" {
		t.Errorf("rows = %q, want the header and \"Escalated to VCEC: none\"", rows)
	}
	if _, ok := headerIndex(t, f)["Days flagged"]; ok {
		t.Errorf("a VCEC agenda has the COOS Days flagged column")
	}
}

func TestAgendaRefusesIncomplete(t *testing.T) {
	for _, a := range []pme.Agenda{
		{Meeting: "board", Date: pme.MustDate("2026-11-27"), ID: "x"},
		{Meeting: pme.MeetingCOOS, ID: "x"},
		{Meeting: pme.MeetingCOOS, Date: pme.MustDate("2026-11-27")},
	} {
		if _, err := WriteAgenda(t.TempDir(), a); err == nil {
			t.Errorf("WriteAgenda(%+v) = nil error", a)
		}
	}
}
