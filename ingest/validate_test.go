package ingest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"pme"
)

type wantIssue struct {
	code, severity, column, value string
}

func TestRowIssues(t *testing.T) {
	dir := memDirectory{"8912345": "100001", "8919999": "100002"}
	tests := []struct {
		name   string
		header []string
		valid  map[string]string
		over   map[string]string
		opt    Options
		want   []wantIssue
	}{
		{"valid", rtHeader, rtValid, nil, Options{}, nil},
		{"blank UPN", rtHeader, rtValid, map[string]string{"UPN": ""}, Options{}, []wantIssue{{pme.CodeRequired, "error", "UPN", ""}}},
		{"UPN format", rtHeader, rtValid, map[string]string{"UPN": "B80120000500"}, Options{}, []wantIssue{{pme.CodeUPNFormat, "error", "UPN", "B80120000500"}}},
		{"UPN check", rtHeader, rtValid, map[string]string{"UPN": "A801200005001"}, Options{}, []wantIssue{{pme.CodeUPNCheck, "error", "UPN", "A801200005001"}}},
		{"temporary UPN lower case", rtHeader, rtValid, map[string]string{"UPN": " g80120000101a "}, Options{}, []wantIssue{{pme.CodeUPNTemporary, "warning", "UPN", "g80120000101a"}}},
		{"blank surname and forename", rtHeader, rtValid, map[string]string{"Surname": " ", "Forename": ""}, Options{},
			[]wantIssue{{pme.CodeRequired, "error", "Surname", ""}, {pme.CodeRequired, "error", "Forename", ""}}},
		{"long surname", rtHeader, rtValid, map[string]string{"Surname": strings.Repeat("ž", 101)}, Options{}, []wantIssue{{pme.CodeRequired, "error", "Surname", strings.Repeat("ž", 101)}}},
		{"long value clipped", rtHeader, rtValid, map[string]string{"Gender": strings.Repeat("x", 300)}, Options{}, []wantIssue{{pme.CodeCodeUnknown, "error", "Gender", strings.Repeat("x", 200) + "…"}}},
		{"100-character surname", rtHeader, rtValid, map[string]string{"Surname": strings.Repeat("ž", 100)}, Options{}, nil},
		{"US date", rtHeader, rtValid, map[string]string{"Start Date": "02/13/2026"}, Options{}, []wantIssue{{pme.CodeDateInvalid, "error", "Start Date", "02/13/2026"}}},
		{"impossible date", rtHeader, rtValid, map[string]string{"Start Date": "31/09/2026"}, Options{}, []wantIssue{{pme.CodeDateInvalid, "error", "Start Date", "31/09/2026"}}},
		{"start before 1990", rtHeader, rtValid, map[string]string{"Start Date": "01/09/1989"}, Options{}, []wantIssue{{pme.CodeDateRange, "error", "Start Date", "01/09/1989"}}},
		{"end over a year ahead", rtHeader, rtValid, map[string]string{"Planned End Date": "30/11/2027"}, Options{}, []wantIssue{{pme.CodeDateRange, "error", "Planned End Date", "30/11/2027"}}},
		{"birth date in the future", rtHeader, rtValid, map[string]string{"Date of Birth": "01/01/2027"}, Options{}, []wantIssue{{pme.CodeDateRange, "error", "Date of Birth", "01/01/2027"}}},
		{"end before start", rtHeader, rtValid, map[string]string{"Planned End Date": "31/08/2026", "Actual End Date": "01/08/2026"}, Options{},
			[]wantIssue{{pme.CodeDateOrder, "error", "Planned End Date", "31/08/2026"}, {pme.CodeDateOrder, "error", "Actual End Date", "01/08/2026"}}},
		{"end on start is fine", rtHeader, rtValid, map[string]string{"Planned End Date": "01/09/2026"}, Options{}, nil},
		{"too young", rtHeader, rtValid, map[string]string{"Date of Birth": "01/01/2025"}, Options{}, []wantIssue{{pme.CodeAgeRange, "error", "Date of Birth", "01/01/2025"}}},
		{"too old", rtHeader, rtValid, map[string]string{"Date of Birth": "01/01/2006"}, Options{}, []wantIssue{{pme.CodeAgeRange, "error", "Date of Birth", "01/01/2006"}}},
		{"sixth former", rtHeader, rtValid, map[string]string{"Date of Birth": "01/01/2009"}, Options{}, []wantIssue{{pme.CodeAgeRange, "warning", "Date of Birth", "01/01/2009"}}},
		{"birth date yy", rtHeader, rtValid, map[string]string{"Date of Birth": "01/05/14"}, Options{}, nil},
		{"serial dates", rtHeader, rtValid, map[string]string{"Start Date": "#46266", "Date of Birth": "#41760"}, Options{}, nil},
		{"hours over 40", rtHeader, rtValid, map[string]string{"Hours Per Week": "41"}, Options{}, []wantIssue{{pme.CodeNumberInvalid, "error", "Hours Per Week", "41"}}},
		{"hours not a number", rtHeader, rtValid, map[string]string{"Hours Per Week": "mornings"}, Options{}, []wantIssue{{pme.CodeNumberInvalid, "error", "Hours Per Week", "mornings"}}},
		{"hours blank", rtHeader, rtValid, map[string]string{"Hours Per Week": ""}, Options{}, []wantIssue{{pme.CodeRequired, "error", "Hours Per Week", ""}}},
		{"reason blank is a warning", rtHeader, rtValid, map[string]string{"Reason": ""}, Options{}, []wantIssue{{pme.CodeRequired, "warning", "Reason", ""}}},
		{"reason description", rtHeader, rtValid, map[string]string{"Reason": "Social, emotional and mental health"}, Options{}, nil},
		{"reason unknown is a warning", rtHeader, rtValid, map[string]string{"Reason": "Sport"}, Options{}, []wantIssue{{pme.CodeCodeUnknown, "warning", "Reason", "Sport"}}},
		{"parental agreement", rtHeader, rtValid, map[string]string{"Parental Agreement": "perhaps"}, Options{}, []wantIssue{{pme.CodeCodeUnknown, "error", "Parental Agreement", "perhaps"}}},
		{"gender", rtHeader, rtValid, map[string]string{"Gender": "X"}, Options{}, []wantIssue{{pme.CodeCodeUnknown, "error", "Gender", "X"}}},
		{"NC year", rtHeader, rtValid, map[string]string{"NC Year": "Y15"}, Options{}, []wantIssue{{pme.CodeCodeUnknown, "error", "NC Year", "Y15"}}},
		{"SEN legacy", rtHeader, rtValid, map[string]string{"SEN Provision": "S"}, Options{}, []wantIssue{{pme.CodeCodeLegacy, "warning", "SEN Provision", "S"}}},
		{"SEN unknown", rtHeader, rtValid, map[string]string{"SEN Provision": "Z"}, Options{}, []wantIssue{{pme.CodeCodeUnknown, "error", "SEN Provision", "Z"}}},
		{"every issue reported", rtHeader, rtValid, map[string]string{"UPN": "X", "Start Date": "soon", "Hours Per Week": "-1"}, Options{},
			[]wantIssue{{pme.CodeUPNFormat, "error", "UPN", "X"}, {pme.CodeDateInvalid, "error", "Start Date", "soon"}, {pme.CodeNumberInvalid, "error", "Hours Per Week", "-1"}}},
		// School.
		{"LAESTAB with slash", rtHeader, rtValid, map[string]string{"LAESTAB": "891/2345"}, Options{}, nil},
		{"LAESTAB malformed", rtHeader, rtValid, map[string]string{"LAESTAB": "89123"}, Options{}, []wantIssue{{pme.CodeSchoolUnknown, "error", "LAESTAB", "89123"}}},
		{"no school", rtHeader, rtValid, map[string]string{"LAESTAB": ""}, Options{}, []wantIssue{{pme.CodeRequired, "error", "LAESTAB", ""}}},
		{"school from file name", rtHeader, rtValid, map[string]string{"LAESTAB": ""}, Options{FileName: "8912345_rt.xlsx"}, nil},
		{"URN only without directory", rtHeader, rtValid, map[string]string{"LAESTAB": "", "URN": "100001"}, Options{}, []wantIssue{{pme.CodeRequired, "error", "LAESTAB", ""}}},
		{"URN only with directory", rtHeader, rtValid, map[string]string{"LAESTAB": "", "URN": "100001"}, Options{Schools: dir}, nil},
		{"URN unknown", rtHeader, rtValid, map[string]string{"LAESTAB": "", "URN": "100009"}, Options{Schools: dir}, []wantIssue{{pme.CodeSchoolUnknown, "error", "URN", "100009"}}},
		{"LAESTAB unknown", rtHeader, rtValid, map[string]string{"LAESTAB": "8910000"}, Options{Schools: dir}, []wantIssue{{pme.CodeSchoolUnknown, "error", "LAESTAB", "8910000"}}},
		{"LAESTAB and URN disagree", rtHeader, rtValid, map[string]string{"URN": "100002"}, Options{Schools: dir}, []wantIssue{{pme.CodeSchoolUnknown, "error", "URN", "100002"}}},
		{"LAESTAB and URN agree", rtHeader, rtValid, map[string]string{"URN": "100001"}, Options{Schools: dir}, nil},
		{"unloaded directory", rtHeader, rtValid, map[string]string{"LAESTAB": "8910000"}, Options{Schools: memDirectory{}}, nil},
		// Alternative provision.
		{"AP valid", apHeader, apValid, nil, Options{}, nil},
		{"AP provider blank", apHeader, apValid, map[string]string{"Provider Name": ""}, Options{}, []wantIssue{{pme.CodeRequired, "error", "Provider Name", ""}}},
		{"AP provider UKPRN", apHeader, apValid, map[string]string{"Provider URN": "10012345"}, Options{}, nil},
		{"AP provider id", apHeader, apValid, map[string]string{"Provider URN": "1234"}, Options{}, []wantIssue{{pme.CodeNumberInvalid, "error", "Provider URN", "1234"}}},
		{"AP school hours", apHeader, apValid, map[string]string{"Hours At School": "50"}, Options{}, []wantIssue{{pme.CodeNumberInvalid, "error", "Hours At School", "50"}}},
		{"AP reason", apHeader, apValid, map[string]string{"Reason": "REINT"}, Options{}, []wantIssue{{pme.CodeCodeUnknown, "error", "Reason", "REINT"}}},
		{"AP end before start", apHeader, apValid, map[string]string{"End Date": "2026-08-01"}, Options{}, []wantIssue{{pme.CodeDateOrder, "error", "End Date", "2026-08-01"}}},
		// Suspensions.
		{"SUSP valid FIXD", suHeader, suValid, map[string]string{"Category": "FIXD"}, Options{}, nil},
		{"SUSP category blank", suHeader, suValid, map[string]string{"Category": ""}, Options{}, []wantIssue{{pme.CodeRequired, "error", "Category", ""}}},
		{"SUSP category unknown", suHeader, suValid, map[string]string{"Category": "EXPL"}, Options{}, []wantIssue{{pme.CodeCodeUnknown, "error", "Category", "EXPL"}}},
		{"SUSP sessions blank", suHeader, suValid, map[string]string{"Sessions": ""}, Options{}, []wantIssue{{pme.CodeRequired, "error", "Sessions", ""}}},
		{"SUSP sessions half", suHeader, suValid, map[string]string{"Sessions": "2.5"}, Options{}, []wantIssue{{pme.CodeNumberInvalid, "error", "Sessions", "2.5"}}},
		{"SUSP sessions 91", suHeader, suValid, map[string]string{"Sessions": "91"}, Options{}, []wantIssue{{pme.CodeNumberInvalid, "error", "Sessions", "91"}}},
		{"SUSP sessions 0", suHeader, suValid, map[string]string{"Sessions": "0"}, Options{}, []wantIssue{{pme.CodeNumberInvalid, "error", "Sessions", "0"}}},
		{"PERM without sessions", suHeader, suValid, map[string]string{"Category": "Permanent", "Sessions": ""}, Options{}, nil},
		{"reason blank", suHeader, suValid, map[string]string{"Reason": ""}, Options{}, []wantIssue{{pme.CodeRequired, "error", "Reason", ""}}},
		{"reason unknown", suHeader, suValid, map[string]string{"Reason": "ZZ"}, Options{}, []wantIssue{{pme.CodeCodeUnknown, "error", "Reason", "ZZ"}}},
		{"reason OT legacy", suHeader, suValid, map[string]string{"Reason": "ot"}, Options{}, []wantIssue{{pme.CodeCodeLegacy, "warning", "Reason", "ot"}}},
		{"reason 2 and 3", suHeader, suValid, map[string]string{"Reason 2": "BU", "Reason 3": "QQ"}, Options{}, []wantIssue{{pme.CodeCodeUnknown, "error", "Reason 3", "QQ"}}},
		{"sixth day", suHeader, suValid, map[string]string{"Sixth Day Provision": "dunno"}, Options{}, []wantIssue{{pme.CodeCodeUnknown, "error", "Sixth Day Provision", "dunno"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, sink, err := parseSheets(t, tc.opt, sheet("Return", "Title row of the template", "", strings.Join(tc.header, "|"), line(tc.header, tc.valid, tc.over)))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var got []wantIssue
			for _, is := range sink.issues {
				if is.Row != 4 || is.Sheet != "Return" || is.Message == "" {
					t.Errorf("issue %+v: want row 4 of sheet Return with a message", is)
				}
				got = append(got, wantIssue{is.Code, is.Severity, is.Column, is.Value})
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("issues = %v, want %v", got, tc.want)
			}
			rejected := slices.ContainsFunc(tc.want, func(w wantIssue) bool { return w.severity == "error" })
			if (len(sink.records) == 0) != rejected {
				t.Fatalf("records = %d, want rejected = %v", len(sink.records), rejected)
			}
		})
	}
}

func BenchmarkValidate(b *testing.B) {
	const n = 10000
	lines := []string{strings.Join(rtHeader, "|")}
	for i := range n {
		lines = append(lines, line(rtHeader, rtValid, map[string]string{"UPN": testUPN(i % 1000), "Start Date": fmt.Sprintf("%02d/09/2026", i/1000+1)}))
	}
	wb := &memWorkbook{sheets: []memSheet{sheet("RT", lines...)}}
	rows := 0
	for b.Loop() {
		if _, err := Parse(wb, Options{Today: testToday}, discardSink{}); err != nil {
			b.Fatal(err)
		}
		rows += n
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

type discardSink struct{}

func (discardSink) StartSheet(pme.SheetResult) error { return nil }
func (discardSink) Records([]pme.Record) error       { return nil }
func (discardSink) Issues([]pme.Issue) error         { return nil }
func (discardSink) EndSheet(pme.SheetResult) error   { return nil }

// BenchmarkParseCSV measures the whole path of a return, reader included: a 100,000-row CSV.
func BenchmarkParseCSV(b *testing.B) {
	const n = 100_000
	var sb strings.Builder
	sb.WriteString(strings.Join(rtHeader, ",") + "\n")
	for i := range n {
		sb.WriteString(strings.ReplaceAll(line(rtHeader, rtValid, map[string]string{"UPN": testUPN(i % 1000),
			"Start Date": fmt.Sprintf("%02d/%02d/2026", i/1000%28+1, i/28000+1), "Surname": "Nguyen"}), "|", ",") + "\n")
	}
	benchParseFile(b, "8912345_bench.csv", sb.String(), n)
}

// BenchmarkParseSuspensionsCSV measures the whole path of a national-scale suspensions return, the
// shape of make bench's 1M-row file: 200,000 rows, three events a pupil, every row accepted.
func BenchmarkParseSuspensionsCSV(b *testing.B) {
	const n = 200_000
	var sb strings.Builder
	sb.WriteString("LAESTAB,UPN,Surname,Forename,Date of Birth,Gender,NC Year,SEN Provision,Category,Start Date,Sessions,Reason,Sixth Day Provision\n")
	for i := range n {
		body := fmt.Sprintf("8912%08d", i/3)
		c, _ := UPNCheckLetter(body)
		fmt.Fprintf(&sb, "%d,%c%s,Nguyen,Zoe,%02d/%02d/%d,F,%d,N,SUSP,%02d/%02d/2026,%d,PP,Y\n",
			8912000+i%500, c, body, i%28+1, i%12+1, 2011+i%9, 6+i%6, i%3*9+1, 9+i%3, 1+i%4)
	}
	benchParseFile(b, "suspensions.csv", sb.String(), n)
}

// benchParseFile writes text to a file of that name and times opening and parsing it, all n rows
// of which must be accepted.
func benchParseFile(b *testing.B, name, text string, n int) {
	path := filepath.Join(b.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		b.Fatal(err)
	}
	rows := 0
	for b.Loop() {
		wb, err := Open(path, DefaultLimits)
		if err != nil {
			b.Fatal(err)
		}
		res, err := Parse(wb, Options{FileName: name, Today: testToday}, discardSink{})
		wb.Close()
		if err != nil || res.Sheets[0].Accepted != n {
			b.Fatalf("Parse = %v, %+v; want %d accepted", err, res.Sheets, n)
		}
		rows += n
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
