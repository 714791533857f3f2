package reports

import (
	"archive/zip"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"pme"
)

// The -update flag rewrites the golden files (go test ./reports -run Flagged -update). Other
// tests in this package may register the same flag; it is registered in init, after every
// package-level flag.Bool has run, and only when nobody else has.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata/")
	}
}

func updatingGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// checkReportGolden compares got with testdata/name, or rewrites it under -update.
func checkReportGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updatingGolden() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update if the change is meant):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// openReport opens a written workbook and closes it when the test ends.
func openReport(t *testing.T, path string) *excelize.File {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// dumpWorkbook renders a workbook as text for golden files: per sheet in order, its frozen panes,
// filter, merged cells, conditional formats and rows (the values as Excel shows them).
func dumpWorkbook(t *testing.T, path string) []byte {
	t.Helper()
	f := openReport(t, path)
	var b strings.Builder
	fmt.Fprintf(&b, "active sheet: %s\n", f.GetSheetName(f.GetActiveSheetIndex()))
	filters := map[string]string{}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" {
			filters[dn.Scope] = dn.RefersTo
		}
	}
	for _, sh := range f.GetSheetList() {
		fmt.Fprintf(&b, "\n== %s ==\n", sh)
		panes, err := f.GetPanes(sh)
		if err != nil {
			t.Fatal(err)
		}
		if panes.Freeze {
			fmt.Fprintf(&b, "frozen: %s\n", panes.TopLeftCell)
		}
		if ref, ok := filters[sh]; ok {
			fmt.Fprintf(&b, "filter: %s\n", ref)
		}
		merged, err := f.GetMergeCells(sh)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range merged {
			fmt.Fprintf(&b, "merged: %s:%s\n", m.GetStartAxis(), m.GetEndAxis())
		}
		cfs, err := f.GetConditionalFormats(sh)
		if err != nil {
			t.Fatal(err)
		}
		var refs []string
		for ref := range cfs {
			refs = append(refs, ref)
		}
		sort.Strings(refs)
		for _, ref := range refs {
			for _, cf := range cfs[ref] {
				fmt.Fprintf(&b, "conditional: %s %s %s %s\n", ref, cf.Type, cf.Criteria, cf.Value)
			}
		}
		rows, err := f.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			for j := range r {
				r[j] = strings.ReplaceAll(r[j], "\n", `\n`)
			}
			fmt.Fprintf(&b, "%d: %s\n", i+1, strings.Join(r, " | "))
		}
	}
	return []byte(b.String())
}

// zipParts lists the parts of an xlsx package.
func zipParts(t *testing.T, path string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	parts := map[string][]byte{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		parts[zf.Name] = buf.Bytes()
	}
	return parts
}

// checkPrivate fails unless the file is readable by its owner only.
func checkPrivate(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s mode = %v, want 0600", filepath.Base(path), fi.Mode().Perm())
	}
}

// checkTextCell fails unless the cell holds value as plain text, never a formula.
func checkTextCell(t *testing.T, f *excelize.File, sheet, cell, want string) {
	t.Helper()
	formula, err := f.GetCellFormula(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	if formula != "" {
		t.Errorf("%s!%s formula = %q, want none", sheet, cell, formula)
	}
	got, err := f.GetCellValue(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	if got != want || !strings.HasPrefix(got, "'") {
		t.Errorf("%s!%s = %q, want %q", sheet, cell, got, want)
	}
}

// checkTable fails unless the sheet has the header, a frozen header row and a filter over it.
func checkTable(t *testing.T, f *excelize.File, sheet string, header []string) {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || strings.Join(rows[0], "|") != strings.Join(header, "|") {
		t.Errorf("%s header = %q, want %q", sheet, rows[0], header)
	}
	panes, err := f.GetPanes(sheet)
	if err != nil {
		t.Fatal(err)
	}
	// The header row frozen, and any columns frozen beside it (the Returns sheet keeps two).
	if !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != xlCell(panes.XSplit+1, 2) {
		t.Errorf("%s panes = %+v, want the header row frozen", sheet, panes)
	}
	found := false
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" && dn.Scope == sheet && strings.Contains(dn.RefersTo, "$A$1:") {
			found = true
		}
	}
	if !found {
		t.Errorf("%s has no filter on its header row", sheet)
	}
}

const hostileValue = `=HYPERLINK("http://evil.example/x","Click me")`

func sampleFeedback() Feedback {
	const rt, susp = "Reduced timetables", "Suspensions"
	return Feedback{
		File:     "/srv/pme/data/inbox/8912345_returns.xlsx",
		SHA256:   "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Received: time.Date(2026, 11, 27, 9, 15, 0, 0, time.UTC),
		Status:   pme.FilePartial,
		Sheets: []pme.SheetResult{
			{Sheet: rt, ReturnType: pme.ReducedTimetable, School: "8912345", HeaderRow: 3, Rows: 6, Accepted: 4, Rejected: 2},
			{Sheet: susp, ReturnType: pme.Suspensions, School: "8912345", HeaderRow: 1, Rows: 4, Accepted: 2, Rejected: 1, Skipped: 1},
		},
		Skipped: []string{"Instructions: no return header", "Lookups: hidden sheet"},
		Issues: []pme.Issue{
			{Sheet: susp, Row: 5, Column: "Sessions", Value: "-2", Code: pme.CodeNumberInvalid, Severity: pme.SeverityError,
				Message: "Sessions must be a whole number of half-day sessions from 1 to 90."},
			{Sheet: rt, Row: 9, Column: "Hours Per Week", Value: hostileValue, Code: pme.CodeNumberInvalid, Severity: pme.SeverityError,
				Message: "Hours Per Week must be a number of hours from 0 to 40, such as 12.5."},
			{Sheet: rt, Row: 7, Column: "UPN", Value: "A801200005001", Code: pme.CodeUPNCheck, Severity: pme.SeverityError,
				Message: "The UPN's check letter is wrong: check the UPN against your MIS."},
			{Sheet: rt, Row: 7, Column: "DOB", Value: "02/13/2015", Code: pme.CodeDateInvalid, Severity: pme.SeverityError,
				Message: "Date of Birth is not a date: write it as dd/mm/yyyy."},
			{Sheet: rt, Row: 3, Column: "Notes", Value: "Notes", Code: pme.CodeColumnUnknown, Severity: pme.SeverityWarning,
				Message: "The column Notes is not part of the return and was not read."},
			{Sheet: susp, Row: 4, Column: "Reason", Value: "OT", Code: pme.CodeCodeLegacy, Severity: pme.SeverityWarning,
				Message: "OT was withdrawn in 2020; it was recorded, but please use a current reason code."},
			{Sheet: susp, Row: 6, Column: "", Value: "", Code: pme.CodeDuplicateRow, Severity: pme.SeverityWarning,
				Message: "This row repeats row 3 exactly and was skipped."},
		},
	}
}

func TestFeedbackWorkbook(t *testing.T) {
	dir := t.TempDir()
	paths, err := WriteFeedback(dir, sampleFeedback())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "8912345_returns.xlsx.feedback.xlsx"), filepath.Join(dir, "8912345_returns.xlsx.feedback.csv")}
	if strings.Join(paths, ",") != strings.Join(want, ",") {
		t.Fatalf("paths = %v, want %v", paths, want)
	}
	for _, p := range paths {
		checkPrivate(t, p)
	}
	f := openReport(t, paths[0])
	if got := strings.Join(f.GetSheetList(), ","); got != "Summary,Issues" {
		t.Errorf("sheets = %s, want Summary,Issues", got)
	}
	if got := f.GetActiveSheetIndex(); got != 0 {
		t.Errorf("active sheet = %d, want 0 (Summary)", got)
	}
	checkTable(t, f, "Issues", []string{"Sheet", "Row", "Column", "Value", "Severity", "Code", "Message"})
	// Issues are sorted by sheet then row: the hostile value is in the third data row.
	checkTextCell(t, f, "Issues", "D5", "'"+hostileValue)
	checkTextCell(t, f, "Issues", "D7", "'-2")

	dump := dumpWorkbook(t, paths[0])
	if bytes.Contains(dump, []byte("/srv/")) {
		t.Errorf("workbook names a server path:\n%s", dump)
	}
	checkReportGolden(t, "feedback-partial.xlsx.txt", dump)
	csv, err := os.ReadFile(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	checkReportGolden(t, "feedback-partial.csv", csv)
}

func TestFeedbackCSV(t *testing.T) {
	paths, err := WriteFeedback(t.TempDir(), sampleFeedback())
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	const header = "\ufeffSheet,Row,Column,Value,Severity,Code,Message\r\n"
	if !strings.HasPrefix(string(b), header) {
		t.Fatalf("CSV starts %q, want %q", b[:min(len(b), len(header))], header)
	}
	for _, want := range []string{`"'=HYPERLINK(""http://evil.example/x"",""Click me"")"`, ",'-2,"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("CSV lacks the neutralised value %s:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), ",=HYPERLINK") || strings.Contains(string(b), ",-2,") {
		t.Errorf("CSV holds a live formula:\n%s", b)
	}
}

// summaryText is every cell of the Summary sheet, one line per row.
func summaryText(t *testing.T, path string) string {
	t.Helper()
	rows, err := openReport(t, path).GetRows("Summary")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, r := range rows {
		lines = append(lines, strings.Join(r, " "))
	}
	return strings.Join(lines, "\n")
}

func TestFeedbackWhatToDoNext(t *testing.T) {
	fileIssue := func(code string) []pme.Issue {
		return []pme.Issue{{Code: code, Severity: pme.SeverityError, Message: "The file could not be read."}}
	}
	tests := []struct {
		name   string
		fb     Feedback
		want   []string
		refuse []string
	}{
		{"partial snapshot", sampleFeedback(),
			[]string{"Accepted in part: 3 rows were rejected", "Send the whole return again",
				"replaces your previous list", "Suspensions you send again update"}, nil},
		{"accepted with warnings", Feedback{File: "a.csv", Status: pme.FileAccepted,
			Sheets: []pme.SheetResult{{ReturnType: pme.AlternativeProvision, Rows: 2, Accepted: 2}},
			Issues: []pme.Issue{{Row: 2, Code: pme.CodeUPNTemporary, Severity: pme.SeverityWarning}}},
			[]string{"Accepted: every row was recorded.", "do not need to send this return again",
				"0 errors", "1 warning ", "a.csv"}, []string{"Send the whole return again"}},
		{"nil return", Feedback{File: "b.csv", Status: pme.FileAccepted,
			Sheets: []pme.SheetResult{{ReturnType: pme.ReducedTimetable}},
			Issues: []pme.Issue{{Row: 1, Code: pme.CodeColumnUnknown, Severity: pme.SeverityWarning}}},
			[]string{"Nil return: no pupils currently"}, nil},
		{"wrong format", Feedback{File: "c.xls", Status: pme.FileRejected, Issues: fileIssue(pme.CodeFileFormat)},
			[]string{"Rejected: nothing from this file was recorded.", "Excel Workbook (.xlsx)", "No sheet was read"}, nil},
		{"encrypted", Feedback{File: "d.xlsx", Status: pme.FileRejected, Issues: fileIssue(pme.CodeFileEncrypted)},
			[]string{"Remove the password"}, nil},
		{"missing columns", Feedback{File: "e.xlsx", Status: pme.FileRejected, Issues: fileIssue(pme.CodeFileMissingColumns)},
			[]string{"Add the missing columns"}, nil},
		{"duplicate", Feedback{File: "f.xlsx", Status: pme.FileDuplicate, Issues: fileIssue(pme.CodeFileDuplicate)},
			[]string{"Already received", "You do not need to do anything"}, []string{"Send the whole return again"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			paths, err := WriteFeedback(t.TempDir(), tc.fb)
			if err != nil {
				t.Fatal(err)
			}
			text := summaryText(t, paths[0])
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("summary lacks %q:\n%s", w, text)
				}
			}
			for _, r := range tc.refuse {
				if strings.Contains(text, r) {
					t.Errorf("summary says %q, want not:\n%s", r, text)
				}
			}
		})
	}
}

func TestFeedbackNeedsFileName(t *testing.T) {
	if _, err := WriteFeedback(t.TempDir(), Feedback{Status: pme.FileAccepted}); err == nil {
		t.Fatal("WriteFeedback with no file name: err = nil, want an error")
	}
}

func TestFeedbackSheetLimit(t *testing.T) {
	defer func(n int) { feedbackSheetLimit = n }(feedbackSheetLimit)
	feedbackSheetLimit = 3
	paths, err := WriteFeedback(t.TempDir(), sampleFeedback())
	if err != nil {
		t.Fatal(err)
	}
	f := openReport(t, paths[0])
	rows, err := f.GetRows("Issues")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 || !strings.HasPrefix(rows[5][0], "Only the first 3 issues") {
		t.Errorf("Issues sheet = %q, want a header, 3 issues, a blank row and a note", rows)
	}
	csv, err := os.ReadFile(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(csv), "\r\n"); got != 8 {
		t.Errorf("CSV has %d lines, want the header and all 7 issues", got)
	}
	if text := summaryText(t, paths[0]); !strings.Contains(text, "lists the first 3; the CSV file lists them all") {
		t.Errorf("summary does not say the Issues sheet is cut short:\n%s", text)
	}
}

// TestFeedbackCSVGoldenEdges pins the CSV's bytes where the writer has choices to make: a
// file-level issue (no row), values that Excel would run (each SafeCell prefix), a value with a
// line break, quotes and a leading space, and a file with no issues (the header alone).
func TestFeedbackCSVGoldenEdges(t *testing.T) {
	fb := Feedback{File: "8912345_edges.csv", Status: pme.FilePartial, Issues: []pme.Issue{
		{Sheet: "Suspensions", Row: 4, Column: "Reason", Value: "+44 1234", Code: pme.CodeCodeUnknown, Severity: pme.SeverityError, Message: "Not a reason code."},
		{Sheet: "Suspensions", Row: 5, Column: "Reason", Value: "@SUM(A1)", Code: pme.CodeCodeUnknown, Severity: pme.SeverityError, Message: "Not a reason code."},
		{Sheet: "Suspensions", Row: 6, Column: "Notes\tx", Value: "\tTAB", Code: pme.CodeColumnUnknown, Severity: pme.SeverityWarning, Message: "Unknown."},
		{Sheet: "Suspensions", Row: 7, Column: "Reason", Value: "\rCR", Code: pme.CodeCodeUnknown, Severity: pme.SeverityError, Message: "Not a reason code."},
		{Sheet: "Suspensions", Row: 8, Column: "Surname", Value: " O\"Brien\nline two", Code: pme.CodeRequired, Severity: pme.SeverityError, Message: "Two lines,\none with a comma."},
		{Code: pme.CodeFileMissingColumns, Severity: pme.SeverityError, Message: "Sheet \"RT\" is missing Hours Per Week."},
	}}
	paths, err := WriteFeedback(t.TempDir(), fb)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	checkReportGolden(t, "feedback-edges.csv", b)

	paths, err = WriteFeedback(t.TempDir(), Feedback{File: "clean.csv", Status: pme.FileAccepted})
	if err != nil {
		t.Fatal(err)
	}
	if b, err = os.ReadFile(paths[1]); err != nil {
		t.Fatal(err)
	}
	if want := "\ufeffSheet,Row,Column,Value,Severity,Code,Message\r\n"; string(b) != want {
		t.Errorf("CSV of a file with no issues = %q, want the header alone", b)
	}
}
