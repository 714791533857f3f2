package ingest

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"pme"
)

// The reference test files are generated (a Windows-1252 GIAS slice with the real 139-column
// header, an xlsx contact list) and committed; -update-reference rewrites them.
var updateReference = flag.Bool("update-reference", false, "rewrite the generated files in testdata/reference")

func referencePath(name string) string { return filepath.Join("testdata", "reference", name) }

func openReference(t *testing.T, name string) Workbook {
	t.Helper()
	if *updateReference {
		writeReferenceTestdata(t)
	}
	wb, err := Open(referencePath(name), DefaultLimits)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	t.Cleanup(func() { wb.Close() })
	return wb
}

// issueList is a compact form of issues: "row column CODE severity".
func issueList(is []pme.Issue) []string {
	var out []string
	for _, i := range is {
		out = append(out, fmt.Sprintf("%d %s %s %s", i.Row, i.Column, i.Code, i.Severity))
	}
	return out
}

func checkIssues(t *testing.T, got []pme.Issue, want []string) {
	t.Helper()
	if g := issueList(got); strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Fatalf("issues =\n%s\nwant\n%s", strings.Join(g, "\n"), strings.Join(want, "\n"))
	}
	for _, i := range got {
		if i.Message == "" || i.Value == "" && i.Code != pme.CodeRequired {
			t.Fatalf("issue %+v lacks a message or the value as written", i)
		}
	}
}

func TestReferenceSchoolsGIAS(t *testing.T) {
	schools, issues, err := ParseSchools(openReference(t, "gias-cp1252-all-columns.csv"))
	if err != nil {
		t.Fatalf("ParseSchools: %v", err)
	}
	checkIssues(t, issues, []string{
		"5 URN DUPLICATE_ROW error",
		"6 URN NUMBER_INVALID error",
		"7 EstablishmentNumber NUMBER_INVALID warning",
	})
	opened := pme.MustDate("1974-09-01") // OpenDate: GIAS dates go back before 1990
	want := []pme.School{
		{URN: "151001", LAESTAB: "8912345", Name: "École Sainte-Thérèse Primary", Type: "Voluntary aided school",
			Phase: "Primary", Status: "Open", LAName: "Nottinghamshire", Street: "Rue de l'Église", Locality: "Bramcote",
			Town: "Nottingham", County: "Nottinghamshire", Postcode: "NG9 3AA", HeadTitle: "Mrs", HeadFirstName: "Zoë",
			HeadLastName: "Brontë", HeadJobTitle: "Headteacher", OpenDate: opened},
		{URN: "151002", LAESTAB: "8910045", Name: "Øakfield Academy", Type: "Academy converter", Phase: "Secondary",
			Status: "Closed", LAName: "Nottinghamshire", Town: "Mansfield", Postcode: "NG18 1AA", HeadFirstName: "Seán",
			HeadLastName: "Ó Briain", HeadJobTitle: "Principal", OpenDate: opened, CloseDate: pme.MustDate("2024-08-31")},
		{URN: "151003", Name: "Bramcote Children's Centre", Status: "Open", LAName: "Nottinghamshire", Town: "Nottingham", OpenDate: opened},
		{URN: "151006", Name: "Bad Number School", Status: "Open", LAName: "Nottinghamshire", OpenDate: opened},
	}
	if len(schools) != len(want) {
		t.Fatalf("schools = %d (%+v), want %d", len(schools), schools, len(want))
	}
	for i := range want {
		if schools[i] != want[i] {
			t.Errorf("school %d =\n%+v\nwant\n%+v", i, schools[i], want[i])
		}
	}
}

func TestReferenceSchoolsMissingColumns(t *testing.T) {
	wb := csvWorkbookOf(t, "\"URN\",\"EstablishmentName\",\"LA (name)\"\n\"100001\",\"A School\",\"Somewhere\"\n")
	_, _, err := ParseSchools(wb)
	fe, ok := err.(*pme.FileError)
	if !ok || fe.Code != pme.CodeFileMissingColumns || !strings.Contains(fe.Message, "LA (code), EstablishmentNumber") {
		t.Fatalf("err = %v, want FILE_MISSING_COLUMNS naming LA (code), EstablishmentNumber", err)
	}
}

func csvWorkbookOf(t *testing.T, text string) Workbook {
	t.Helper()
	wb, err := OpenReader(strings.NewReader(text), int64(len(text)), "x.csv", DefaultLimits)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { wb.Close() })
	return wb
}

func TestReferenceContactsXLSX(t *testing.T) {
	contacts, issues, err := ParseContacts(openReference(t, "contacts-slash-laestab.xlsx"))
	if err != nil {
		t.Fatalf("ParseContacts: %v", err)
	}
	checkIssues(t, issues, []string{
		"3 Notes COLUMN_UNKNOWN warning",
		"7 Head Email EMAIL_INVALID warning",
		"8 DfE Number DUPLICATE_ROW error",
		"9 DfE Number REQUIRED error",
		"10 DfE Number SCHOOL_UNKNOWN error",
	})
	want := []pme.Contact{
		{LAESTAB: "8912345", HeadEmail: "head@acorn.example.org", Chair: "Mr Peter O'Neill", ChairEmail: "chair@acorn.example.org",
			CorrespondenceAddress: "The Clerk to the Governors\nAcorn Learning Trust\nUnit 4, Enterprise Park\nNottingham\nNG1 1AA"},
		{LAESTAB: "8912346", URN: "151002", HeadEmail: "j.smith@beech.example.org", Chair: "Dr Ana Łoś"},
		{LAESTAB: "8912347", HeadEmail: "office@cedar.example.org"},
		{URN: "151009", Chair: "Ms Ruth Green", ChairEmail: "ruth.green@governors.example.org"},
	}
	if fmt.Sprintf("%+v", contacts) != fmt.Sprintf("%+v", want) {
		t.Fatalf("contacts =\n%+v\nwant\n%+v", contacts, want)
	}
}

func TestReferenceSocialCare(t *testing.T) {
	plans, issues, err := ParseSocialCare(openReference(t, "social-care-name-variants.csv"))
	if err != nil {
		t.Fatalf("ParseSocialCare: %v", err)
	}
	checkIssues(t, issues, []string{
		"4 UPN UPN_CHECK warning",
		"6 Worker Email EMAIL_INVALID warning",
		"7 Plan CODE_UNKNOWN error",
		"8 End Date DATE_ORDER error",
		"9 Surname REQUIRED error",
		"10 Person ID DUPLICATE_ROW warning",
		"11 DOB DATE_INVALID error",
	})
	var got []string
	for _, p := range plans {
		got = append(got, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s", p.ChildID, p.UPN, p.Surname, p.Forename, p.DOB,
			p.PlanType, p.StartDate, p.EndDate, p.SocialWorker, p.SocialWorkerEmail, p.Team))
	}
	want := []string{
		"SC0001|B801200005001|O'Brien|Zoë|2014-03-02|CP|2026-01-05||Sam Lee|sam.lee@council.example.gov.uk|North",
		"SC0001|B801200005001|O’Brien|Zoe|2014-03-02|CIN|2025-09-01|2026-01-05|Sam Lee|sam.lee@council.example.gov.uk|North",
		"SC0002||Wiśniewski|Łukasz|2012-07-15|LAC|2025-04-01||||",
		"SC0003||Nowak|Maja|2013-05-05|LAC|2026-02-01||||",
		"SC0004||Smith-Jones|Ann|2011-01-01|CIN|2026-03-01||Jo Bloggs||East",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("plans =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestReferencePlanTypeWords(t *testing.T) {
	cases := map[string]string{"CP": "CP", "cp": "CP", "Child Protection": "CP", "Child Protection Plan": "CP",
		"Child in Need": "CIN", "CIN plan": "CIN", "Looked After": "LAC", "Looked-after child": "LAC", "CLA": "LAC",
		"LAC": "LAC", "Child Looked After": "LAC"}
	for in, want := range cases {
		if got := planTypes[planKey(in)]; got != want {
			t.Errorf("plan type %q = %q, want %q", in, got, want)
		}
	}
	if _, ok := planTypes[planKey("Early Help")]; ok {
		t.Error("Early Help read as a plan type")
	}
}

func TestReferenceProviders(t *testing.T) {
	providers, issues, err := ParseProviders(openReference(t, "providers-aliases.csv"))
	if err != nil {
		t.Fatalf("ParseProviders: %v", err)
	}
	checkIssues(t, issues, []string{
		"4 UKPRN NUMBER_INVALID error",
		"5 Provider URN NUMBER_INVALID error",
		"5 Ofsted Registered CODE_UNKNOWN error",
		"6 Expiry DATE_ORDER error",
		"7 Provider REQUIRED error",
	})
	want := []pme.Provider{
		{Name: "The Acorn Centre Ltd", URN: "151234", Registered: "Y", ApprovedFrom: pme.MustDate("2023-09-01"), ApprovedUntil: pme.MustDate("2027-08-31")},
		{Name: "Bridges Learning CIC", UKPRN: "10065544", Registered: "N", ApprovedFrom: pme.MustDate("2024-01-01")},
	}
	if fmt.Sprintf("%+v", providers) != fmt.Sprintf("%+v", want) {
		t.Fatalf("providers =\n%+v\nwant\n%+v", providers, want)
	}
}

func TestReferenceNoSheet(t *testing.T) {
	wb := csvWorkbookOf(t, "Name,Colour\nA,B\n")
	for name, parse := range map[string]func(Workbook) error{
		"contacts":    func(wb Workbook) error { _, _, err := ParseContacts(wb); return err },
		"social care": func(wb Workbook) error { _, _, err := ParseSocialCare(wb); return err },
		"providers":   func(wb Workbook) error { _, _, err := ParseProviders(wb); return err },
		"schools":     func(wb Workbook) error { _, _, err := ParseSchools(wb); return err },
	} {
		err := parse(wb)
		fe, ok := err.(*pme.FileError)
		if !ok || fe.Code != pme.CodeFileNoReturn {
			t.Errorf("%s: err = %v, want FILE_NO_RETURN", name, err)
		}
	}
	wb = csvWorkbookOf(t, "Child ID,Surname,Forename,DOB\n1,A,B,01/01/2012\n")
	_, _, err := ParseSocialCare(wb)
	fe, ok := err.(*pme.FileError)
	if !ok || fe.Code != pme.CodeFileMissingColumns || !strings.Contains(fe.Message, "Plan Type, Plan Start Date") {
		t.Fatalf("err = %v, want FILE_MISSING_COLUMNS naming Plan Type, Plan Start Date", err)
	}
}

func TestReferenceValidEmail(t *testing.T) {
	for s, want := range map[string]bool{"head@school.example.org": true, "a.b+c@x.co.uk": true, "head at school": false,
		"a@b": false, "@x.org": false, "a@@x.org": false, "a@x..org": false, "a@x.org; b@y.org": false, "a b@x.org": false} {
		if got := validEmail(s); got != want {
			t.Errorf("validEmail(%q) = %v, want %v", s, got, want)
		}
	}
}

// writeReferenceTestdata writes the generated reference files.
func writeReferenceTestdata(t *testing.T) {
	t.Helper()
	if err := writeGIASSlice(referencePath("gias-cp1252-all-columns.csv")); err != nil {
		t.Fatal(err)
	}
	if err := writeContactsXLSX(referencePath("contacts-slash-laestab.xlsx")); err != nil {
		t.Fatal(err)
	}
}

// writeGIASSlice writes a few synthetic establishments under the real 139-column GIAS header, every
// field quoted, in Windows-1252, with accented names the encoding holds.
func writeGIASSlice(path string) error {
	b, err := os.ReadFile(filepath.Join("..", "fixtures", "gias-columns.txt"))
	if err != nil {
		return err
	}
	var cols []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			cols = append(cols, l)
		}
	}
	if len(cols) != 139 {
		return fmt.Errorf("GIAS header has %d columns, want the 139 of the real extract", len(cols))
	}
	base := map[string]string{"LA (code)": "891", "LA (name)": "Nottinghamshire", "EstablishmentStatus (name)": "Open",
		"EstablishmentStatus (code)": "1", "OpenDate": "01-09-1974", "Country (name)": "United Kingdom"}
	rows := []map[string]string{
		{"URN": "151001", "EstablishmentNumber": "2345", "EstablishmentName": "École Sainte-Thérèse Primary",
			"TypeOfEstablishment (name)": "Voluntary aided school", "TypeOfEstablishment (code)": "02", "PhaseOfEducation (name)": "Primary",
			"Street": "Rue de l'Église", "Locality": "Bramcote", "Town": "Nottingham", "County (name)": "Nottinghamshire",
			"Postcode": "NG9 3AA", "HeadTitle (name)": "Mrs", "HeadFirstName": "Zoë", "HeadLastName": "Brontë",
			"HeadPreferredJobTitle": "Headteacher"},
		{"URN": "151002", "EstablishmentNumber": "45", "EstablishmentName": "Øakfield Academy", "TypeOfEstablishment (name)": "Academy converter",
			"PhaseOfEducation (name)": "Secondary", "EstablishmentStatus (name)": "Closed", "EstablishmentStatus (code)": "2",
			"CloseDate": "31-08-2024", "Town": "Mansfield", "Postcode": "NG18 1AA", "HeadTitle (name)": "Not applicable",
			"HeadFirstName": "Seán", "HeadLastName": "Ó Briain", "HeadPreferredJobTitle": "Principal"},
		{"URN": "151003", "LA (code)": "891", "EstablishmentNumber": "", "EstablishmentName": "Bramcote Children's Centre", "Town": "Nottingham"},
		{"URN": "151001", "EstablishmentNumber": "2999", "EstablishmentName": "A second row for URN 151001"},
		{"URN": "15100", "EstablishmentNumber": "3000", "EstablishmentName": "Short URN School"},
		{"URN": "151006", "EstablishmentNumber": "23A5", "EstablishmentName": "Bad Number School"},
	}
	var sb strings.Builder
	line := func(get func(c string) string) {
		for i, c := range cols {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(`"` + strings.ReplaceAll(get(c), `"`, `""`) + `"`)
		}
		sb.WriteString("\r\n")
	}
	line(func(c string) string { return c })
	for _, r := range rows {
		line(func(c string) string {
			if v, ok := r[c]; ok {
				return v
			}
			return base[c]
		})
	}
	enc, err := charmap.Windows1252.NewEncoder().String(sb.String())
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(enc), 0o644)
}

// writeContactsXLSX writes the council's contact list as a team keeps it in Excel: a title row,
// LAESTABs typed 891/2345, as a number and 891-2345, a URN in the LAESTAB column, a multi-line
// address, and a notes column pme does not read.
func writeContactsXLSX(path string) error {
	f := excelize.NewFile()
	defer f.Close()
	const sh = "Contacts"
	if err := f.SetSheetName("Sheet1", sh); err != nil {
		return err
	}
	rows := [][]any{
		{"School contacts 2026/27"},
		nil,
		{"DfE Number", "URN", "Head Email", "Chair", "Chair Email", "Correspondence Address", "Notes"},
		{"891/2345", nil, "head@acorn.example.org", "Mr Peter O'Neill", "chair@acorn.example.org",
			"The Clerk to the Governors\r\nAcorn Learning Trust\n\nUnit 4, Enterprise Park \nNottingham\nNG1 1AA", "trust office"},
		{8912346, 151002, "j.smith@beech.example.org", "Dr Ana Łoś"},
		{"891-2347", nil, " office@cedar.example.org "},
		{"151009", nil, "head at cedar", "Ms Ruth Green", "ruth.green@governors.example.org"},
		{"8912345", nil, "other@acorn.example.org"},
		{nil, nil, "someone@example.org"},
		{"89/12345", nil, "x@example.org"},
	}
	for i, r := range rows {
		if r == nil {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sh, cell, &r); err != nil {
			return err
		}
	}
	return f.SaveAs(path)
}

// BenchmarkParseSchools reads a GIAS extract the size of all of England: 50,000 establishments
// under the real header, in Windows-1252.
func BenchmarkParseSchools(b *testing.B) {
	head, err := os.ReadFile(referencePath("gias-cp1252-all-columns.csv"))
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.SplitN(string(head), "\r\n", 3)
	var sb strings.Builder
	sb.WriteString(lines[0] + "\r\n")
	row := lines[1]
	const n = 50_000
	for i := 0; i < n; i++ {
		sb.WriteString(strings.Replace(row, `"151001"`, fmt.Sprintf(`"%06d"`, 100000+i), 1) + "\r\n")
	}
	data := sb.String()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		wb, err := OpenReader(strings.NewReader(data), int64(len(data)), "edubasealldata.csv", DefaultLimits)
		if err != nil {
			b.Fatal(err)
		}
		schools, issues, err := ParseSchools(wb)
		wb.Close()
		if err != nil || len(schools) != n || len(issues) != 0 {
			b.Fatalf("schools = %d, issues = %d, err = %v", len(schools), len(issues), err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}
