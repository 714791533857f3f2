package reports

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pme"
)

// sampleReport is a run with cases of every severity, one case already closed (which belongs on
// the Closed sheet, not Cases), a school name carrying a formula, and letters produced and not.
// Every pupil is synthetic.
func sampleReport() FlaggedReport {
	d := pme.MustDate
	finding := func(rule, sev, text string) pme.Finding {
		return pme.Finding{Rule: rule, Severity: sev, Explanation: text, LAESTAB: "8912345"}
	}
	return FlaggedReport{
		Today:      d("2026-11-27"),
		LastReport: d("2026-11-20"),
		Cases: []CaseRow{
			{
				Case: pme.Case{ID: "C-0003", UPN: "A950000178301", Status: pme.CaseOpen, Severity: pme.SeverityMedium,
					Rules:        []string{pme.RuleRTNoEndDate},
					Findings:     []pme.Finding{finding(pme.RuleRTNoEndDate, pme.SeverityMedium, "On a reduced timetable since 02/11/2026 with no planned end date.")},
					LAESTAB:      "8912345",
					FirstFlagged: d("2026-11-03"), LastChanged: d("2026-11-03")},
				Pupil:      pme.Pupil{UPN: "A950000178301", Surname: "Testpupil", Forename: "Zoë", DOB: d("2013-04-09"), NCYear: "8", SEN: "N"},
				SchoolName: "Synthetic Academy",
				Provision:  "Reduced timetable 15 h/wk from 02/11/2026",
			},
			{
				Case: pme.Case{ID: "C-0001", UPN: "B801200005001", Status: pme.CaseChanged, Severity: pme.SeverityCritical,
					Rules: []string{pme.RuleRTOverLimit, pme.RuleRTLowHours},
					Findings: []pme.Finding{
						finding(pme.RuleRTOverLimit, pme.SeverityCritical, "On a reduced timetable for 34 school days since 03/09/2026, over the 30-day limit."),
						finding(pme.RuleRTLowHours, pme.SeverityHigh, "10 hours a week is below half of the 24 full-time hours for year 9."),
					},
					LAESTAB: "8912345", Plan: pme.PlanCP, LetterDue: true, Vulnerable: "open Child Protection plan since 01/09/2026",
					FirstFlagged: d("2026-10-16"), LastChanged: d("2026-11-27")},
				Pupil:              pme.Pupil{UPN: "B801200005001", Surname: "O'Example", Forename: "Łukasz", DOB: d("2012-02-29"), NCYear: "9", SEN: "E"},
				SchoolName:         "Synthetic Academy",
				PlanText:           "CP – social worker A. Worker (Team North)",
				Provision:          "Reduced timetable 10 h/wk from 03/09/2026",
				NewSinceLastReport: false,
			},
			{
				Case: pme.Case{ID: "C-0004", UPN: "H801200001001", Status: pme.CaseNew, Severity: pme.SeverityHigh,
					Rules: []string{pme.RuleAPUnapprovedProvider, pme.RuleMultipleReturns},
					Findings: []pme.Finding{
						finding(pme.RuleAPUnapprovedProvider, pme.SeverityHigh, "Placed at Acorn Centre, which is not on the approved list."),
						finding(pme.RuleMultipleReturns, pme.SeverityMedium, "On reduced timetable and alternative provision returns this academic year."),
					},
					LAESTAB:      "8919999",
					FirstFlagged: d("2026-11-27"), LastChanged: d("2026-11-27")},
				Pupil:              pme.Pupil{UPN: "H801200001001", Surname: "Nguyễn", Forename: "Test", DOB: d("2011-12-01"), NCYear: "10"},
				SchoolName:         hostileValue,
				Provision:          "AP: Acorn Centre 15 h/wk + school 5 h/wk",
				NewSinceLastReport: true,
			},
			{
				Case: pme.Case{ID: "C-0005", UPN: "H243278544154", Status: pme.CaseOpen, Severity: pme.SeverityLow,
					Rules:        []string{pme.RuleRTReviewOverdue},
					Findings:     []pme.Finding{finding(pme.RuleRTReviewOverdue, pme.SeverityLow, "No review date given.")},
					LAESTAB:      "8912345",
					FirstFlagged: d("2026-11-10"), LastChanged: d("2026-11-10")},
				Pupil:      pme.Pupil{UPN: "H243278544154", Surname: "Sample", Forename: "Ada", DOB: d("2016-07-15"), NCYear: "5", SEN: "K"},
				SchoolName: "Synthetic Academy",
				Provision:  "Reduced timetable 20 h/wk from 03/11/2026",
			},
			{
				Case:  pme.Case{ID: "C-0002", UPN: "G80120000101A", Status: pme.CaseClosed, Severity: pme.SeverityMedium},
				Pupil: pme.Pupil{UPN: "G80120000101A", Surname: "Closed", Forename: "Case"},
			},
		},
		Closed: []ClosedRow{{
			Case: pme.Case{ID: "C-0002", UPN: "G80120000101A", Status: pme.CaseClosed, LAESTAB: "8912345",
				ClosedOn: d("2026-11-27"), CloseReason: "No rule fires any more: the reduced timetable ended on 21/11/2026."},
			Pupil:      pme.Pupil{UPN: "G80120000101A", Surname: "Closed", Forename: "Case"},
			SchoolName: "Synthetic Academy",
		}},
		Letters: []LetterRow{
			{LetterID: "L-2026-0001", UPN: "B801200005001", Pupil: "Łukasz O'Example", LAESTAB: "8912345",
				School: "Synthetic Academy", Status: LetterProduced, Detail: "out/letters/2026-11-27/L-2026-0001.pdf"},
			{UPN: "H801200001001", Pupil: "Test Nguyễn", LAESTAB: "8919999", School: hostileValue,
				Status: LetterNotProduced, Detail: "No chair of governors on record for the school."},
		},
		Casework: pme.CaseworkReport{
			Cases: map[string]pme.CaseworkRow{
				"C-0001": {Handling: pme.HandlingInHand, Owner: "@Team North", OpenActions: 2,
					EarliestDue: d("2026-11-24"), LastNoteDate: d("2026-11-20")},
				"C-0002": {Handling: pme.HandlingEscalated, Owner: "Closed case owner"}, // closed: not on Cases
			},
			OverdueActions: 1, OverdueReplies: 3,
		},
	}
}

var wantCaseHeader = []string{"Case ID", "Status", "Severity", "Rules", "Why", "UPN", "Surname", "Forename",
	"Date of Birth", "NC Year", "SEN", "Plan", "LAESTAB", "School", "Provision", "First Flagged",
	"Last Changed", "New Since Last Report", "Handling", "Owner", "Open actions", "Earliest due", "Last note date"}

func TestFlaggedReportWorkbook(t *testing.T) {
	dir := t.TempDir()
	paths, err := WriteFlaggedReport(dir, sampleReport())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "flagged-cases-2026-11-27.xlsx"), filepath.Join(dir, "flagged-cases-2026-11-27.csv")}
	if strings.Join(paths, ",") != strings.Join(want, ",") {
		t.Fatalf("paths = %v, want %v", paths, want)
	}
	for _, p := range paths {
		checkPrivate(t, p)
	}
	f := openReport(t, paths[0])
	if got, want := strings.Join(f.GetSheetList(), ","), "Summary,Cases,Closed since last report,Letters"; got != want {
		t.Errorf("sheets = %s, want %s", got, want)
	}
	if got := f.GetActiveSheetIndex(); got != 0 {
		t.Errorf("active sheet = %d, want 0 (Summary)", got)
	}
	checkTable(t, f, "Cases", wantCaseHeader)
	checkTable(t, f, "Closed since last report", []string{"Case ID", "UPN", "Surname", "Forename", "LAESTAB", "School", "Closed", "Why"})
	checkTable(t, f, "Letters", []string{"Letter ID", "UPN", "Pupil", "LAESTAB", "School", "Status", "Detail"})

	rows, err := f.GetRows("Cases")
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, r := range rows[1:] {
		order = append(order, r[0]+"/"+r[2])
	}
	if got, want := strings.Join(order, " "), "C-0001/critical C-0004/high C-0003/medium C-0005/low"; got != want {
		t.Errorf("case order = %s, want %s (severity, then newest; closed left out)", got, want)
	}
	checkTextCell(t, f, "Cases", "N3", "'"+hostileValue)
	checkTextCell(t, f, "Letters", "E3", "'"+hostileValue)
	// The casework columns: C-0001 has casework recorded, C-0004 none (unreviewed, blank, 0).
	for _, c := range []struct{ cell, want string }{
		{"S2", "in-hand"}, {"T2", "'@Team North"}, {"U2", "2"}, {"V2", "24/11/2026"}, {"W2", "20/11/2026"},
		{"S3", "unreviewed"}, {"T3", ""}, {"U3", "0"}, {"V3", ""}, {"W3", ""},
	} {
		if got, _ := f.GetCellValue("Cases", c.cell); got != c.want {
			t.Errorf("Cases!%s = %q, want %q", c.cell, got, c.want)
		}
	}
	summary, err := f.GetRows("Summary")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Overdue actions|1", "Overdue letter replies|3"} {
		found := false
		for _, r := range summary {
			found = found || strings.Join(r, "|") == want
		}
		if !found {
			t.Errorf("Summary lacks the line %s", want)
		}
	}
	if got, _ := f.GetCellValue("Cases", "I2"); got != "29/02/2012" {
		t.Errorf("Cases!I2 (date of birth) = %q, want 29/02/2012", got)
	}

	cfs, err := f.GetConditionalFormats("Cases")
	if err != nil {
		t.Fatal(err)
	}
	colours := cfs["C2:C5"]
	if len(colours) != 4 {
		t.Fatalf("conditional formats on Cases = %+v, want 4 on C2:C5 (one per severity)", cfs)
	}
	for i, sev := range []string{"critical", "high", "medium", "low"} {
		if c := colours[i]; c.Value != `"`+sev+`"` || c.Format == nil {
			t.Errorf("conditional format %d = %+v, want a colour for %s", i, c, sev)
		}
	}

	parts := zipParts(t, paths[0])
	chart, ok := parts["xl/charts/chart1.xml"]
	if !ok {
		t.Fatal("workbook has no chart part xl/charts/chart1.xml")
	}
	for _, ref := range []string{"<barChart>", `<barDir val="bar">`, "<f>Summary!$B$23</f>",
		"<f>Summary!$A$24:$A$29</f>", "<f>Summary!$B$24:$B$29</f>"} {
		if !bytes.Contains(chart, []byte(ref)) {
			t.Errorf("chart lacks %s:\n%.1500s", ref, chart)
		}
	}

	checkReportGolden(t, "flagged-cases.xlsx.txt", dumpWorkbook(t, paths[0]))
	csv, err := os.ReadFile(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	checkReportGolden(t, "flagged-cases.csv", csv)
}

func TestFlaggedReportCSV(t *testing.T) {
	paths, err := WriteFlaggedReport(t.TempDir(), sampleReport())
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	header := "\ufeff" + strings.Join(wantCaseHeader, ",") + "\r\n"
	if !strings.HasPrefix(string(b), header) {
		t.Fatalf("CSV starts %q, want %q", b[:min(len(b), len(header))], header)
	}
	text := string(b)
	if !strings.Contains(text, `"'=HYPERLINK(""http://evil.example/x"",""Click me"")"`) {
		t.Errorf("CSV lacks the neutralised school name:\n%s", text)
	}
	if strings.Contains(text, ",=HYPERLINK") || strings.Contains(text, `,"=HYPERLINK`) {
		t.Errorf("CSV holds a live formula:\n%s", text)
	}
	if got := strings.Count(text, "\r\n"); got < 5 {
		t.Errorf("CSV has %d lines, want a header and 4 open cases", got)
	}
	if strings.Contains(text, "C-0002") {
		t.Errorf("CSV lists the closed case C-0002:\n%s", text)
	}
}

func TestFlaggedReportEmpty(t *testing.T) {
	paths, err := WriteFlaggedReport(t.TempDir(), FlaggedReport{Today: pme.MustDate("2026-11-27")})
	if err != nil {
		t.Fatal(err)
	}
	f := openReport(t, paths[0])
	for _, c := range []struct{ sheet, cell, want string }{
		{"Cases", "A2", "No open cases"},
		{"Closed since last report", "A2", "No cases closed: this is the first report"},
		{"Letters", "A2", "No letters were due in this run"},
	} {
		if got, _ := f.GetCellValue(c.sheet, c.cell); got != c.want {
			t.Errorf("%s!%s = %q, want %q", c.sheet, c.cell, got, c.want)
		}
	}
	checkTable(t, f, "Cases", wantCaseHeader)
	if _, ok := zipParts(t, paths[0])["xl/charts/chart1.xml"]; ok {
		t.Error("an empty report has a chart, want none (there is nothing to draw)")
	}
	checkReportGolden(t, "flagged-cases-empty.xlsx.txt", dumpWorkbook(t, paths[0]))
	b, err := os.ReadFile(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	if want := "\ufeff" + strings.Join(wantCaseHeader, ",") + "\r\n"; string(b) != want {
		t.Errorf("empty CSV = %q, want the header alone", b)
	}
}

func TestFlaggedReportTopTenSchools(t *testing.T) {
	r := FlaggedReport{Today: pme.MustDate("2026-11-27")}
	for i := 0; i < 12; i++ {
		for j := 0; j <= i; j++ {
			laestab := fmt.Sprintf("89100%02d", i)
			r.Cases = append(r.Cases, CaseRow{
				Case:       pme.Case{ID: fmt.Sprintf("%s-%02d", laestab, j), Status: pme.CaseNew, Severity: pme.SeverityLow, Rules: []string{pme.RuleRTNoEndDate}, LAESTAB: laestab},
				SchoolName: "School " + laestab,
			})
		}
	}
	_, _, _, bySchool := tallyCases(r.Cases)
	if len(bySchool) != 10 {
		t.Fatalf("schools listed = %d, want 10", len(bySchool))
	}
	if got, want := bySchool[0], (tallyLine{"School 8910011 (8910011)", 12}); got != want {
		t.Errorf("first school = %+v, want %+v", got, want)
	}
	if got := bySchool[9].n; got != 3 {
		t.Errorf("tenth school has %d cases, want 3", got)
	}
}

func TestFlaggedReportNeedsRunDate(t *testing.T) {
	if _, err := WriteFlaggedReport(t.TempDir(), FlaggedReport{}); err == nil {
		t.Fatal("WriteFlaggedReport with no run date: err = nil, want an error")
	}
}

// The run's warnings are on the Summary sheet, under the facts, and the chart still draws the rule
// table wherever it has moved to.
func TestFlaggedReportSummaryWarnings(t *testing.T) {
	r := sampleReport()
	r.Warnings = []string{"School days in 2028/29 were assumed to be every weekday but bank holidays: load the council's calendar with: pme load calendar FILE"}
	paths, err := WriteFlaggedReport(t.TempDir(), r)
	if err != nil {
		t.Fatal(err)
	}
	f := openReport(t, paths[0])
	rows, err := f.GetRows("Summary")
	if err != nil {
		t.Fatal(err)
	}
	at, ruleAt := -1, -1
	for i, row := range rows {
		if len(row) > 0 && row[0] == "Warnings" && i+1 < len(rows) && rows[i+1][0] == r.Warnings[0] {
			at = i
		}
		if len(row) > 0 && row[0] == "Cases by rule" {
			ruleAt = i + 1 // 1-based row of the table's header
		}
	}
	if at < 0 {
		t.Fatalf("Summary lacks the warning under a Warnings heading:\n%q", rows)
	}
	if ruleAt < at {
		t.Fatalf("Cases by rule (row %d) comes before the warnings (row %d)", ruleAt, at+1)
	}
	chart := zipParts(t, paths[0])["xl/charts/chart1.xml"]
	if ref := fmt.Sprintf("<f>Summary!$B$%d</f>", ruleAt); !bytes.Contains(chart, []byte(ref)) {
		t.Errorf("chart does not name the rule table's header %s:\n%.1500s", ref, chart)
	}
}
