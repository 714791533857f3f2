package ingest

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"pme"
)

// memWorkbook is an in-memory Workbook: each sheet is lines of "|"-separated cells, numbered from
// row 1; a blank line is a blank row (counted, not returned, as the readers do); a cell written
// "#46024" is an Excel number cell.
type memWorkbook struct {
	sheets []memSheet
}

type memSheet struct {
	info  SheetInfo
	lines []string
}

func (w *memWorkbook) Sheets() []SheetInfo {
	var s []SheetInfo
	for _, sh := range w.sheets {
		s = append(s, sh.info)
	}
	return s
}

func (w *memWorkbook) Rows(name string) (RowIter, error) {
	for _, sh := range w.sheets {
		if sh.info.Name == name {
			return &memRows{lines: sh.lines, i: -1}, nil
		}
	}
	return nil, fmt.Errorf("no sheet %q", name)
}

func (w *memWorkbook) Close() error { return nil }

type memRows struct {
	lines []string
	i     int
	row   []Cell
}

func (r *memRows) Next() bool {
	for r.i++; r.i < len(r.lines); r.i++ {
		if strings.TrimSpace(r.lines[r.i]) == "" {
			continue
		}
		r.row = r.row[:0]
		for _, v := range strings.Split(r.lines[r.i], "|") {
			c := Cell{Value: v}
			if strings.HasPrefix(v, "#") {
				c = Cell{Value: v[1:], Number: true}
			}
			r.row = append(r.row, c)
		}
		return true
	}
	return false
}

func (r *memRows) Row() []Cell  { return r.row }
func (r *memRows) Num() int     { return r.i + 1 }
func (r *memRows) Err() error   { return nil }
func (r *memRows) Close() error { return nil }

// memSink keeps everything Parse sends, copying the reused batches.
type memSink struct {
	starts  []pme.SheetResult
	ends    []pme.SheetResult
	records []pme.Record
	issues  []pme.Issue
	batches []int
}

func (s *memSink) StartSheet(r pme.SheetResult) error { s.starts = append(s.starts, r); return nil }
func (s *memSink) EndSheet(r pme.SheetResult) error   { s.ends = append(s.ends, r); return nil }
func (s *memSink) Records(b []pme.Record) error {
	s.batches = append(s.batches, len(b))
	s.records = append(s.records, b...)
	return nil
}
func (s *memSink) Issues(b []pme.Issue) error { s.issues = append(s.issues, b...); return nil }

// memDirectory is a loaded school directory.
type memDirectory map[string]string // LAESTAB → URN

func (d memDirectory) Loaded() bool { return len(d) > 0 }
func (d memDirectory) URNForLAESTAB(l string) (string, bool) {
	u, ok := d[l]
	return u, ok
}
func (d memDirectory) LAESTABForURN(u string) (string, bool) {
	for l, x := range d {
		if x == u {
			return l, true
		}
	}
	return "", false
}

var testToday = pme.MustDate("2026-11-29")

// testUPN returns the n-th valid permanent UPN of a synthetic school.
func testUPN(n int) string {
	body := fmt.Sprintf("891234526%03d", n)
	c, _ := UPNCheckLetter(body)
	return string(c) + body
}

func parseSheets(t *testing.T, opt Options, sheets ...memSheet) (Result, *memSink, error) {
	t.Helper()
	if opt.Today.IsZero() {
		opt.Today = testToday
	}
	sink := &memSink{}
	res, err := Parse(&memWorkbook{sheets: sheets}, opt, sink)
	return res, sink, err
}

func sheet(name string, lines ...string) memSheet {
	return memSheet{info: SheetInfo{Name: name}, lines: lines}
}

// The columns of the test sheets, and a valid row of each type as column → value.
var (
	rtHeader = []string{"LAESTAB", "UPN", "Surname", "Forename", "Date of Birth", "Start Date", "Planned End Date",
		"Actual End Date", "Hours Per Week", "Reason", "Parental Agreement", "Review Date", "Gender", "NC Year", "SEN Provision", "URN"}
	rtValid = map[string]string{"LAESTAB": "8912345", "UPN": testUPN(1), "Surname": "Nguyễn", "Forename": "Zoë",
		"Date of Birth": "01/05/2014", "Start Date": "01/09/2026", "Planned End Date": "18/12/2026", "Hours Per Week": "15",
		"Reason": "MED", "Parental Agreement": "Y", "Gender": "F", "NC Year": "Y8", "SEN Provision": "K"}
	apHeader = []string{"LAESTAB", "UPN", "Surname", "Forename", "Date of Birth", "Provider Name", "Provider URN",
		"Provider Registered", "Start Date", "End Date", "Hours At Provider", "Hours At School", "Reason"}
	apValid = map[string]string{"LAESTAB": "8912345", "UPN": testUPN(2), "Surname": "O'Brien", "Forename": "Łukasz",
		"Date of Birth": "01/05/2012", "Provider Name": "Synthetic Skills Centre", "Provider URN": "100123",
		"Provider Registered": "Yes", "Start Date": "01/09/2026", "End Date": "20/07/2027", "Hours At Provider": "12,5",
		"Hours At School": "", "Reason": "VOC"}
	suHeader = []string{"LAESTAB", "UPN", "Surname", "Forename", "Date of Birth", "Category", "Start Date", "Sessions",
		"Reason", "Reason 2", "Reason 3", "Sixth Day Provision"}
	suValid = map[string]string{"LAESTAB": "8912345", "UPN": testUPN(3), "Surname": "Smith", "Forename": "Ann",
		"Date of Birth": "01/05/2012", "Category": "SUSP", "Start Date": "02/10/2026", "Sessions": "4", "Reason": "PA"}
)

// line joins a row in header order, taking valid values overridden by over.
func line(header []string, valid, over map[string]string) string {
	cells := make([]string, len(header))
	for i, h := range header {
		cells[i] = valid[h]
		if v, ok := over[h]; ok {
			cells[i] = v
		}
	}
	return strings.Join(cells, "|")
}

func TestParseValidRows(t *testing.T) {
	res, sink, err := parseSheets(t, Options{},
		sheet("Reduced timetables", strings.Join(rtHeader, "|"), line(rtHeader, rtValid, nil)),
		sheet("AP", strings.Join(apHeader, "|"), line(apHeader, apValid, nil)),
		sheet("Suspensions", strings.Join(suHeader, "|"), line(suHeader, suValid, nil),
			line(suHeader, suValid, map[string]string{"UPN": testUPN(4), "Category": "Lunchtime", "Sessions": "", "Reason": "VA"})),
	)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(sink.issues) != 0 {
		t.Fatalf("issues = %+v, want none", sink.issues)
	}
	wantTypes := []pme.ReturnType{pme.ReducedTimetable, pme.AlternativeProvision, pme.Suspensions}
	for i, sr := range res.Sheets {
		if sr.ReturnType != wantTypes[i] || sr.School != "8912345" || sr.HeaderRow != 1 || sr.Rejected != 0 {
			t.Errorf("sheet %d = %+v, want type %s, school 8912345, header row 1, none rejected", i, sr, wantTypes[i])
		}
	}
	if len(sink.records) != 4 {
		t.Fatalf("records = %d, want 4", len(sink.records))
	}
	rt := sink.records[0]
	wantPupil := pme.Pupil{UPN: testUPN(1), Surname: "Nguyễn", Forename: "Zoë", DOB: pme.MustDate("2014-05-01"), Gender: "F", NCYear: "8", SEN: "K"}
	if rt.Pupil != wantPupil || rt.LAESTAB != "8912345" || rt.Row != 2 || rt.Sheet != "Reduced timetables" {
		t.Errorf("timetable record = %+v, want pupil %+v at row 2", rt, wantPupil)
	}
	wantTT := pme.Timetable{StartDate: pme.MustDate("2026-09-01"), PlannedEndDate: pme.MustDate("2026-12-18"), HoursPerWeek: 15, Reason: "MED", ParentalAgreement: "Y"}
	if rt.Timetable == nil || *rt.Timetable != wantTT || rt.Placement != nil || rt.Suspension != nil {
		t.Errorf("timetable = %+v, want %+v only", rt.Timetable, wantTT)
	}
	wantAP := pme.Placement{ProviderName: "Synthetic Skills Centre", ProviderURN: "100123", ProviderRegistered: "Y",
		StartDate: pme.MustDate("2026-09-01"), EndDate: pme.MustDate("2027-07-20"), HoursAtProvider: 12.5, Reason: "VOC"}
	if ap := sink.records[1].Placement; ap == nil || *ap != wantAP {
		t.Errorf("placement = %+v, want %+v", ap, wantAP)
	}
	wantSU := pme.Suspension{Category: "SUSP", StartDate: pme.MustDate("2026-10-02"), Sessions: 4, Reason: "PA"}
	if su := sink.records[2].Suspension; su == nil || *su != wantSU {
		t.Errorf("suspension = %+v, want %+v", su, wantSU)
	}
	if su := sink.records[3].Suspension; su.Category != "LNCH" || su.Sessions != 1 {
		t.Errorf("lunchtime = %+v, want LNCH counting 1 session", su)
	}
}

func TestParseResolvesURN(t *testing.T) {
	over := map[string]string{"LAESTAB": "", "URN": "100001"}
	_, sink, err := parseSheets(t, Options{Schools: memDirectory{"8912345": "100001"}},
		sheet("RT", strings.Join(rtHeader, "|"), line(rtHeader, rtValid, over)))
	if err != nil || len(sink.records) != 1 {
		t.Fatalf("Parse = %v, %d records; want 1 record", err, len(sink.records))
	}
	if got := sink.records[0].LAESTAB; got != "8912345" {
		t.Fatalf("LAESTAB = %q, want 8912345 from the directory", got)
	}
}

func TestClassify(t *testing.T) {
	common := "UPN|Surname|Forename|DOB|"
	tests := []struct {
		name   string
		sheet  string
		header string
		want   pme.ReturnType
	}{
		{"timetable", "Sheet1", common + "Start Date|Hours Per Week|Reason", pme.ReducedTimetable},
		{"placement with Hours Per Week", "Sheet1", common + "Provider|Start Date|Hours Per Week|End Date", pme.AlternativeProvision},
		{"suspension", "Sheet1", common + "Type|Date|Sessions|Reason", pme.Suspensions},
		{"tie, no hint: spec order", "Sheet1", common + "Provider|Start Date|Hours Per Week|Parental Agreement", pme.ReducedTimetable},
		{"tie broken by AP sheet name", "AP", common + "Provider|Start Date|Hours Per Week|Parental Agreement", pme.AlternativeProvision},
		{"tie broken by RT sheet name", "Reduced timetables", common + "Provider|Start Date|Hours Per Week|Parental Agreement", pme.ReducedTimetable},
		{"sheet name only breaks ties", "Suspensions", common + "Start Date|Hours Per Week", pme.ReducedTimetable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, _, err := parseSheets(t, Options{FileName: "8912345_x.xlsx"}, sheet(tc.sheet, tc.header))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := res.Sheets[0].ReturnType; got != tc.want {
				t.Fatalf("type = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestSheetHint(t *testing.T) {
	tests := map[string]pme.ReturnType{"Reduced timetables": pme.ReducedTimetable, "RT": pme.ReducedTimetable,
		"AP": pme.AlternativeProvision, "Alternative Provision": pme.AlternativeProvision, "Suspensions": pme.Suspensions,
		"Exclusions 2026": pme.Suspensions, "Sheet1": "", "Apples": ""}
	for name, want := range tests {
		if got := sheetHint(name); got != want {
			t.Errorf("sheetHint(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestParseFileErrors(t *testing.T) {
	tests := []struct {
		name   string
		sheets []memSheet
		code   string
		in     string
	}{
		{"missing columns", []memSheet{sheet("Data", "UPN|Surname|Forename|Start Date")}, pme.CodeFileMissingColumns, "Date of Birth, Hours Per Week"},
		{"no return", []memSheet{sheet("Instructions", "How to fill in this return", "Use one row per pupil")}, pme.CodeFileNoReturn, "No sheet"},
		{"empty workbook", []memSheet{sheet("Sheet1")}, pme.CodeFileNoReturn, "No sheet"},
		{"one known word is not a header", []memSheet{sheet("Notes", "UPN", "the pupil's number")}, pme.CodeFileNoReturn, "No sheet"},
		{"only a hidden return", []memSheet{{info: SheetInfo{Name: "RT", Hidden: true}, lines: []string{strings.Join(rtHeader, "|")}}}, pme.CodeFileNoReturn, "No sheet"},
		{"too many rows", []memSheet{sheet("RT", strings.Join(rtHeader, "|"), line(rtHeader, rtValid, nil),
			line(rtHeader, rtValid, map[string]string{"UPN": testUPN(9)}))}, pme.CodeFileTooLarge, "more than 1 rows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parseSheets(t, Options{Limits: Limits{MaxRowsPerSheet: 1}}, tc.sheets...)
			var fe *pme.FileError
			if !errors.As(err, &fe) || fe.Code != tc.code || !strings.Contains(fe.Message, tc.in) {
				t.Fatalf("Parse error = %v, want %s containing %q", err, tc.code, tc.in)
			}
		})
	}
}

func TestParseSkipsSheets(t *testing.T) {
	res, _, err := parseSheets(t, Options{FileName: "8912345.xlsx"},
		sheet("Instructions", "Fill in one row per pupil"),
		memSheet{info: SheetInfo{Name: "Old", Hidden: true}, lines: []string{"UPN|Surname"}},
		sheet("Lookups", "Reason|Description", "MED|Medical"),
		sheet("RT", strings.Join(rtHeader, "|")))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := []SkippedSheet{{"Instructions", SkipNoHeader}, {"Old", SkipHidden}, {"Lookups", SkipNoHeader}}
	if !slices.Equal(res.Skipped, want) {
		t.Fatalf("skipped = %v, want %v", res.Skipped, want)
	}
	if len(res.Sheets) != 1 || res.Sheets[0].Sheet != "RT" {
		t.Fatalf("sheets = %+v, want RT only", res.Sheets)
	}
}

func TestNilReturn(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		dir     SchoolDirectory
		header  []string
		schools []string
		issue   string
	}{
		{"school from file name", "8912345_rt.xlsx", nil, rtHeader, []string{"8912345"}, ""},
		{"no school", "rt.xlsx", nil, rtHeader, nil, pme.CodeRequired},
		{"unknown school", "8910000_rt.xlsx", memDirectory{"8912345": "100001"}, rtHeader, nil, pme.CodeSchoolUnknown},
		{"suspensions need no school", "suspensions.csv", nil, suHeader, []string{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, sink, err := parseSheets(t, Options{FileName: tc.file, Schools: tc.dir}, sheet("Data", "Title", strings.Join(tc.header, "|"), "Total: 0"))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			sr := res.Sheets[0]
			if !sr.NilReturn() || !slices.Equal(sr.Schools, tc.schools) || len(sink.ends) != 1 {
				t.Fatalf("sheet = %+v, want a nil return for %v", sr, tc.schools)
			}
			if tc.issue == "" {
				if len(sink.issues) != 0 {
					t.Fatalf("issues = %+v, want none", sink.issues)
				}
				return
			}
			if len(sink.issues) != 1 {
				t.Fatalf("issues = %+v, want one %s", sink.issues, tc.issue)
			}
			is := sink.issues[0]
			if is.Code != tc.issue || is.Row != 2 || is.Column != "LAESTAB" || !is.IsError() || !strings.Contains(is.Message, "file name") {
				t.Fatalf("issue = %+v, want %s error at header row 2 on LAESTAB mentioning the file name", is, tc.issue)
			}
		})
	}
}

func TestDuplicates(t *testing.T) {
	r1 := line(rtHeader, rtValid, nil)
	later := line(rtHeader, rtValid, map[string]string{"Start Date": "05/01/2026", "Planned End Date": "", "Hours Per Week": "10"})
	sameStart := line(rtHeader, rtValid, map[string]string{"Hours Per Week": "20"})
	res, sink, err := parseSheets(t, Options{}, sheet("RT", strings.Join(rtHeader, "|"), r1, r1, later, sameStart))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	sr := res.Sheets[0]
	if sr.Rows != 4 || sr.Accepted != 2 || sr.Rejected != 1 || sr.Skipped != 1 {
		t.Fatalf("counts = rows %d accepted %d rejected %d skipped %d, want 4 2 1 1", sr.Rows, sr.Accepted, sr.Rejected, sr.Skipped)
	}
	want := []wantIssue{{pme.CodeDuplicateRow, "warning", "UPN", testUPN(1)}, {pme.CodeDuplicateRow, "error", "UPN", testUPN(1)}}
	var got []wantIssue
	var rows []int
	for _, is := range sink.issues {
		got = append(got, wantIssue{is.Code, is.Severity, is.Column, is.Value})
		rows = append(rows, is.Row)
	}
	if !slices.Equal(got, want) || !slices.Equal(rows, []int{3, 5}) {
		t.Fatalf("issues = %v at rows %v, want %v at rows [3 5]", got, rows, want)
	}
	if len(sr.RejectedPupils) != 0 {
		t.Fatalf("rejected pupils = %v, want none: a duplicate's pupil keeps its first row", sr.RejectedPupils)
	}
}

func TestDuplicateSuspensionEvent(t *testing.T) {
	first := line(suHeader, suValid, nil)
	changed := line(suHeader, suValid, map[string]string{"Sessions": "6"})
	other := line(suHeader, suValid, map[string]string{"Category": "LNCH", "Sessions": ""})
	res, sink, err := parseSheets(t, Options{}, sheet("Suspensions", strings.Join(suHeader, "|"), first, changed, other))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if sr := res.Sheets[0]; sr.Accepted != 2 || sr.Rejected != 1 {
		t.Fatalf("accepted %d rejected %d, want 2 and 1", sr.Accepted, sr.Rejected)
	}
	if len(sink.issues) != 1 || sink.issues[0].Code != pme.CodeDuplicateRow || sink.issues[0].Row != 3 || !sink.issues[0].IsError() {
		t.Fatalf("issues = %+v, want one DUPLICATE_ROW error at row 3", sink.issues)
	}
}

// Exact copies are skipped whatever became of the row they copy (accepted, rejected, or rejected
// as a repeated event), and only a row that is not a copy is checked for a repeated event.
func TestDuplicatesOfRejectedRows(t *testing.T) {
	first := line(suHeader, suValid, nil)                                                // row 2: accepted
	event := line(suHeader, suValid, map[string]string{"Sessions": "6"})                 // row 3: the same event, rejected
	bad := line(suHeader, suValid, map[string]string{"UPN": testUPN(7), "Reason": "ZZ"}) // row 4: rejected
	spaced := strings.ReplaceAll(bad, "|SUSP|", "| SUSP |")                              // a copy of row 4 once trimmed
	res, sink, err := parseSheets(t, Options{}, sheet("Suspensions", strings.Join(suHeader, "|"),
		first, event, bad, event, spaced, first, line(suHeader, suValid, map[string]string{"Sessions": "8"})))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	sr := res.Sheets[0]
	if sr.Rows != 7 || sr.Accepted != 1 || sr.Rejected != 3 || sr.Skipped != 3 {
		t.Fatalf("counts = rows %d accepted %d rejected %d skipped %d, want 7 1 3 3", sr.Rows, sr.Accepted, sr.Rejected, sr.Skipped)
	}
	type got struct {
		row      int
		severity string
		message  string
	}
	want := []got{
		{3, "error", "at row 2"},
		{4, "error", "not a DfE reason code"},
		{5, "warning", "exact copy of row 3"},
		{6, "warning", "exact copy of row 4"},
		{7, "warning", "exact copy of row 2"},
		{8, "error", "at row 2"},
	}
	if len(sink.issues) != len(want) {
		t.Fatalf("issues = %+v, want %d", sink.issues, len(want))
	}
	for i, is := range sink.issues {
		if w := want[i]; is.Row != w.row || is.Severity != w.severity || !strings.Contains(is.Message, w.message) {
			t.Errorf("issue %d = row %d %s %q, want row %d %s containing %q", i, is.Row, is.Severity, is.Message, w.row, w.severity, w.message)
		}
	}
}

func TestRejectedPupils(t *testing.T) {
	badHours := line(rtHeader, rtValid, map[string]string{"Hours Per Week": "99"})
	badUPN := line(rtHeader, rtValid, map[string]string{"UPN": "A801200005001", "Surname": " Smith ", "Forename": "Jo", "Date of Birth": "02/02/2013"})
	other := line(rtHeader, rtValid, map[string]string{"LAESTAB": "8919999", "UPN": testUPN(5), "Start Date": "bad"})
	res, _, err := parseSheets(t, Options{}, sheet("RT", strings.Join(rtHeader, "|"), badHours, badUPN, other))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	sr := res.Sheets[0]
	want := map[string][]pme.PupilKey{
		"8912345": {{UPN: testUPN(1), Surname: "Nguyễn", Forename: "Zoë", DOB: pme.MustDate("2014-05-01")},
			{Surname: "Smith", Forename: "Jo", DOB: pme.MustDate("2013-02-02")}},
		"8919999": {{UPN: testUPN(5), Surname: "Nguyễn", Forename: "Zoë", DOB: pme.MustDate("2014-05-01")}},
	}
	if fmt.Sprint(sr.RejectedPupils) != fmt.Sprint(want) {
		t.Fatalf("rejected pupils = %v, want %v", sr.RejectedPupils, want)
	}
	if !slices.Equal(sr.Schools, []string{"8912345", "8919999"}) || sr.School != "" {
		t.Fatalf("schools = %v, school %q; want both and no single school", sr.Schools, sr.School)
	}
}

func TestUnknownColumns(t *testing.T) {
	header := "UPN|Surname|Forename|Date of Birth|Start Date|Hours Per Week|Favourite Colour|Provider Name|Reason|Reason Code"
	_, sink, err := parseSheets(t, Options{FileName: "8912345.xlsx"}, sheet("Reduced timetables", "Return", header))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := []struct{ column, in string }{
		{"Favourite Colour", "was not read."},
		{"Provider Name", "was not read"},
		{"Reason Code", "second Reason column"},
	}
	if len(sink.issues) != len(want) {
		t.Fatalf("issues = %+v, want %d", sink.issues, len(want))
	}
	for i, w := range want {
		is := sink.issues[i]
		if is.Code != pme.CodeColumnUnknown || is.Severity != pme.SeverityWarning || is.Row != 2 || is.Column != w.column || !strings.Contains(is.Message, w.in) {
			t.Errorf("issue %d = %+v, want COLUMN_UNKNOWN warning at row 2 on %q containing %q", i, is, w.column, w.in)
		}
	}
}

func TestUnknownColumnSuggestion(t *testing.T) {
	header := "UPN|Surname|Forename|DOB|Start Date|Hours Per Week|Date of Birht"
	_, sink, err := parseSheets(t, Options{FileName: "8912345.csv"}, sheet("", header))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(sink.issues) != 1 || !strings.Contains(sink.issues[0].Message, "did you mean Date of Birth?") {
		t.Fatalf("issues = %+v, want a suggestion of Date of Birth", sink.issues)
	}
}

func TestConfigAliases(t *testing.T) {
	header := "School|Pupil UPN|Surname|Forename|DOB|Start Date|Hours Per Week"
	opt := Options{Aliases: map[string][]string{"UPN": {"Pupil UPN"}, "laestab": {"School"}}}
	_, sink, err := parseSheets(t, opt, sheet("RT", header, "8912345|"+testUPN(1)+"|Smith|Ann|01/05/2014|01/09/2026|15"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(sink.records) != 1 || sink.records[0].LAESTAB != "8912345" {
		t.Fatalf("records = %+v, issues %+v; want one record of school 8912345", sink.records, sink.issues)
	}
	if _, _, err := parseSheets(t, Options{Aliases: map[string][]string{"Pupil Number": {"PN"}}}, sheet("RT", header)); err == nil || !strings.Contains(err.Error(), "Pupil Number") {
		t.Fatalf("Parse with an unknown alias column: err = %v, want it named", err)
	}
}

func TestSuspensionDaysColumn(t *testing.T) {
	header := "LAESTAB|UPN|Surname|Forename|DOB|Category|Start Date|Days|Reason"
	row := "8912345|" + testUPN(3) + "|Smith|Ann|01/05/2012|Fixed Term|02/10/2026|%s|PA"
	tests := []struct {
		days     string
		sessions int
		ok       bool
	}{{"2", 4, true}, {"1.5", 3, true}, {"0.25", 0, false}, {"46", 0, false}}
	for _, tc := range tests {
		_, sink, err := parseSheets(t, Options{}, sheet("Exclusions", header, fmt.Sprintf(row, tc.days)))
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if tc.ok != (len(sink.records) == 1) || (tc.ok && sink.records[0].Suspension.Sessions != tc.sessions) {
			t.Errorf("days %s: records %+v issues %+v, want sessions %d ok %v", tc.days, sink.records, sink.issues, tc.sessions, tc.ok)
		}
	}
}

func TestParseBatches(t *testing.T) {
	lines := []string{strings.Join(rtHeader, "|")}
	const n = 2500
	for i := range n {
		lines = append(lines, line(rtHeader, rtValid, map[string]string{"UPN": testUPN(i % 1000), "Start Date": fmt.Sprintf("%02d/09/2026", i/1000+1)}))
	}
	res, sink, err := parseSheets(t, Options{}, sheet("RT", lines...))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if res.Sheets[0].Accepted != n || len(sink.records) != n || !slices.Equal(sink.batches, []int{1000, 1000, 500}) {
		t.Fatalf("accepted %d, records %d in batches %v; want %d in 1000, 1000, 500", res.Sheets[0].Accepted, len(sink.records), sink.batches, n)
	}
	for i, r := range sink.records {
		if r.Row != i+2 {
			t.Fatalf("record %d at row %d, want %d", i, r.Row, i+2)
		}
	}
}

func TestParseFileEndToEnd(t *testing.T) {
	path := filepath.Join("testdata", "parse", "8912345_reduced-timetables-title-rows.csv")
	wb, err := Open(path, DefaultLimits)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer wb.Close()
	sink := &memSink{}
	res, err := Parse(wb, Options{FileName: filepath.Base(path), Today: testToday}, sink)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	sr := res.Sheets[0]
	if sr.ReturnType != pme.ReducedTimetable || sr.HeaderRow != 3 || sr.Rows != 4 || sr.Accepted != 2 || sr.Rejected != 1 || sr.Skipped != 1 || sr.School != "8912345" {
		t.Fatalf("sheet = %+v, want RT, header row 3, 4 rows: 2 accepted, 1 rejected, 1 skipped, school 8912345", sr)
	}
	want := []struct {
		row                 int
		code, column, value string
	}{
		{5, pme.CodeDateInvalid, "Start_Date*", "09/13/2026"},
		{6, pme.CodeUPNTemporary, "UPN*", "G80120000101A"},
		{6, pme.CodeRequired, "Reason", ""},
		{7, pme.CodeDuplicateRow, "UPN*", "E891234526001"},
	}
	if len(sink.issues) != len(want) {
		t.Fatalf("issues = %+v, want %d", sink.issues, len(want))
	}
	for i, w := range want {
		is := sink.issues[i]
		if is.Row != w.row || is.Code != w.code || is.Column != w.column || is.Value != w.value || is.Sheet != "" {
			t.Errorf("issue %d = %+v, want %+v", i, is, w)
		}
	}
	first := sink.records[0]
	if first.Pupil.Forename != "Zoë" || first.Timetable.HoursPerWeek != 12.5 || first.Timetable.Reason != "SEMH" ||
		first.Timetable.StartDate != pme.MustDate("2026-09-01") || first.Row != 4 {
		t.Errorf("first record = %+v %+v", first, first.Timetable)
	}
	if keys := sr.RejectedPupils["8912345"]; len(keys) != 1 || keys[0].UPN != "U891234526002" {
		t.Errorf("rejected pupils = %v, want the pupil of row 5 by UPN", sr.RejectedPupils)
	}
}

func TestParseWorkbookEndToEnd(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	set := func(sheet string, rows ...[]any) {
		if _, err := f.NewSheet(sheet); err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(sheet, cell, &r); err != nil {
				t.Fatal(err)
			}
		}
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	if err := f.SetSheetName("Sheet1", "Instructions"); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetCellValue("Instructions", "A1", "Fill in one row per suspension."))
	set("Lookups", []any{"Category", "Reason"}, []any{"SUSP", "PP"})
	must(f.SetSheetVisible("Lookups", false))
	set("Exclusions",
		[]any{"Suspensions return"},
		[]any{"DfE Number", "Unique Pupil Number", "Surname", "Forename", "DOB", "Exclusion Type", "Exclusion Start Date", "No. of Sessions", "Reason 1"},
		[]any{8912345, testUPN(3), "Smith", "Ann", day(2012, 5, 1), "Fixed Term", day(2026, 10, 2), 4, "PA"},
		[]any{"891/2345", testUPN(4), "Jones", "Bo", day(2012, 6, 1), "PERM", day(2026, 10, 5), nil, "OT"},
	)
	path := filepath.Join(t.TempDir(), "returns.xlsx")
	must(f.SaveAs(path))

	wb, err := Open(path, DefaultLimits)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer wb.Close()
	sink := &memSink{}
	res, err := Parse(wb, Options{FileName: "returns.xlsx", Today: testToday}, sink)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(res.Sheets) != 1 || res.Sheets[0].Sheet != "Exclusions" || res.Sheets[0].ReturnType != pme.Suspensions || res.Sheets[0].HeaderRow != 2 {
		t.Fatalf("sheets = %+v, want Exclusions as suspensions with the header at row 2", res.Sheets)
	}
	wantSkipped := []SkippedSheet{{"Instructions", SkipNoHeader}, {"Lookups", SkipHidden}}
	if !slices.Equal(res.Skipped, wantSkipped) {
		t.Errorf("skipped = %v, want %v", res.Skipped, wantSkipped)
	}
	if len(sink.records) != 2 {
		t.Fatalf("records = %+v, issues %+v; want 2", sink.records, sink.issues)
	}
	wantSU := pme.Suspension{Category: "SUSP", StartDate: pme.MustDate("2026-10-02"), Sessions: 4, Reason: "PA"}
	if r := sink.records[0]; *r.Suspension != wantSU || r.Pupil.DOB != pme.MustDate("2012-05-01") || r.LAESTAB != "8912345" || r.Sheet != "Exclusions" || r.Row != 3 {
		t.Errorf("record = %+v %+v, want %+v", r, r.Suspension, wantSU)
	}
	if len(sink.issues) != 1 || sink.issues[0].Code != pme.CodeCodeLegacy || sink.issues[0].Row != 4 || sink.issues[0].Column != "Reason 1" || sink.issues[0].Sheet != "Exclusions" {
		t.Errorf("issues = %+v, want CODE_LEGACY on Reason 1 at row 4 of Exclusions", sink.issues)
	}
}

// TestParseFileErrorNamesSchools: a file refused as a whole carries the schools its readable rows
// named, for whom it counts as rejected-only (compliance.md).
func TestParseFileErrorNamesSchools(t *testing.T) {
	rt := strings.Join(rtHeader, "|")
	dir := memDirectory{"8912345": "100001", "8912346": "100002"}
	tests := []struct {
		name   string
		opt    Options
		sheets []memSheet
		code   string
		want   []string
	}{
		{"missing columns: the LAESTAB column's schools, any form", Options{},
			[]memSheet{sheet("Data", "LAESTAB|UPN|Surname", "891/2346|x|A", "8912345|y|B", "not a school|z|C", "8912345|w|D")},
			pme.CodeFileMissingColumns, []string{"8912345", "8912346"}},
		{"missing columns: a URN through the directory, an unknown school left out", Options{Schools: dir},
			[]memSheet{sheet("Data", "URN|UPN|Surname|LAESTAB", "100002|x|A|", "|y|B|8919999", "100009|z|C|")},
			pme.CodeFileMissingColumns, []string{"8912346"}},
		{"missing columns: no school column, nothing named", Options{FileName: "8912345_rt.csv"},
			[]memSheet{sheet("Data", "UPN|Surname|Forename", "x|A|B")}, pme.CodeFileMissingColumns, nil},
		{"too many rows: the schools of the rows read", Options{Limits: Limits{MaxRowsPerSheet: 2}},
			[]memSheet{sheet("RT", rt, line(rtHeader, rtValid, nil),
				line(rtHeader, rtValid, map[string]string{"LAESTAB": "8912346", "UPN": testUPN(8)}),
				line(rtHeader, rtValid, map[string]string{"UPN": testUPN(9)}))},
			pme.CodeFileTooLarge, []string{"8912345", "8912346"}},
		{"a good sheet, then one missing columns: both sheets' schools", Options{},
			[]memSheet{sheet("RT", rt, line(rtHeader, rtValid, nil)), sheet("More", "LAESTAB|UPN|Surname", "8912346|x|A")},
			pme.CodeFileMissingColumns, []string{"8912345", "8912346"}},
		{"no return: nothing named", Options{FileName: "8912345_notes.csv"},
			[]memSheet{sheet("Notes", "How to fill in this return")}, pme.CodeFileNoReturn, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parseSheets(t, tc.opt, tc.sheets...)
			var fe *pme.FileError
			if !errors.As(err, &fe) || fe.Code != tc.code {
				t.Fatalf("Parse error = %v, want %s", err, tc.code)
			}
			if !slices.Equal(fe.Schools, tc.want) {
				t.Errorf("schools named = %v, want %v", fe.Schools, tc.want)
			}
		})
	}
}
