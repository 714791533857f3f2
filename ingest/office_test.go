package ingest

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"pme"
)

// officeDir holds returns written by real LibreOffice (see its README.md): the bytes office
// software writes, where the rest of testdata/ was made by excelize or by hand.
const officeDir = "testdata/office"

// officeCase is one LibreOffice-written file and everything Open and Parse must make of it.
type officeCase struct {
	file string
	// For a file-level rejection: its code and words its message must hold.
	code    string
	msgHave []string
	// Otherwise: the sheets (sheetLine), skipped sheets, issues (issueLine) and records
	// (recordLine), each exactly and in order.
	sheets  []string
	skipped []string
	issues  []string
	records []string
}

func officeCases() []officeCase {
	// The three CSV files LibreOffice wrote from one sheet (libreoffice-csv-source in
	// make-fods.py) read the same: a title and a blank row above the header, a note over two
	// lines that is still one Excel row, hours with a decimal comma, accented names in UTF-8,
	// Windows-1252 or UTF-16.
	csv := func(file string) officeCase {
		return officeCase{
			file:   file,
			sheets: []string{"|reduced-timetable|8912345|header 3|rows 3|accepted 1|rejected 2|skipped 0"},
			issues: []string{
				"|3|Notes|Notes|COLUMN_UNKNOWN|warning",
				"|5|Start Date|02/13/2026|DATE_INVALID|error",
				"|6|Hours Per Week|41,0|NUMBER_INVALID|error",
			},
			records: []string{"|4|8912345|E891234526001|Renée|Zoë|2016-05-01|RT start 2026-09-01 planned - actual - 12.5h MED parental - review -"},
		}
	}
	return []officeCase{
		{
			// Real date cells in three display formats (dd/mm/yyyy, "d mmm yyyy", with a time of
			// day): the column decides they are dates, and issues show them as the school sees them.
			file:   "libreoffice-date-cells.xlsx",
			sheets: []string{"Reduced timetables|reduced-timetable|8912345|header 1|rows 3|accepted 1|rejected 2|skipped 0"},
			issues: []string{
				"Reduced timetables|3|Planned End Date|01/08/2026|DATE_ORDER|error",
				"Reduced timetables|4|Date of Birth|01/01/2030|DATE_RANGE|error",
			},
			records: []string{"Reduced timetables|2|8912345|E891234526001|Smith|Ann|2014-05-01|RT start 2026-09-01 planned 2026-12-18 actual - 12.5h MED parental - review 2026-10-15"},
		},
		{
			// Two merged title rows and a blank row above a header written with aliases, `*`
			// markers and bracketed hints; LAESTAB as 891/2345; a provider URN as a number cell.
			file:   "libreoffice-merged-title.xlsx",
			sheets: []string{"AP|alternative-provision|8912345|header 4|rows 2|accepted 1|rejected 1|skipped 0"},
			issues: []string{"AP|6|Provider URN|12345|NUMBER_INVALID|error"},
			records: []string{"AP|5|8912345|U891234526002|O'Brien|Łukasz|2012-05-01|AP Synthetic Skills Centre urn 100123 ukprn - registered Y " +
				"start 2026-09-01 end 2027-07-20 12.5h at provider 0h at school VOC"},
		},
		{
			// A hidden sheet holding a whole suspensions table is not read; an instructions sheet
			// is skipped; the visible return is read.
			file:    "libreoffice-hidden-sheet.xlsx",
			sheets:  []string{"Exclusions|suspensions|8912345|header 1|rows 1|accepted 1|rejected 0|skipped 0"},
			skipped: []string{"Instructions: no recognisable header", "Old data: hidden"},
			records: []string{"Exclusions|2|8912345|L891234526005|Black|Eve|2012-05-01|SUSP 2026-10-02 4 sessions PA - - sixth day -"},
		},
		{
			// Formulas: LibreOffice writes text results as t="str", dates and numbers as numbers,
			// errors as t="e"; the cached values are read. Sessions (a formula) wins over Days.
			file:    "libreoffice-formulas.xlsx",
			sheets:  []string{"Suspensions|suspensions|8912345|header 1|rows 2|accepted 1|rejected 1|skipped 0"},
			issues:  []string{"Suspensions|3|Reason 2|#N/A|CODE_UNKNOWN|error"},
			records: []string{"Suspensions|2|8912345|E891234526001|Smith|Ann|2012-05-01|SUSP 2026-10-02 4 sessions PA - - sixth day -"},
		},
		{
			// Numbers stored as text: a LAESTAB, a URN, a lower-case UPN with a trailing space,
			// "08" and "Year 8", a serial date as text, hours as "12.5", "12,5" and "12 hrs".
			file:   "libreoffice-numbers-as-text.xlsx",
			sheets: []string{"Reduced timetables|reduced-timetable|8912345|header 1|rows 4|accepted 3|rejected 1|skipped 0"},
			issues: []string{"Reduced timetables|5|Hours Per Week|twelve|NUMBER_INVALID|error"},
			records: []string{
				"Reduced timetables|2|8912345|E891234526001|Smith|Ann|2014-05-01|year 8|RT start 2026-09-01 planned - actual - 12.5h MED parental - review -",
				"Reduced timetables|3|8912345|U891234526002|Jones|Bob|2014-05-01|year 8|RT start 2026-09-01 planned - actual - 12.5h MED parental - review -",
				"Reduced timetables|4|8912345|H891234526003|Brown|Cat|2014-05-01|year 8|RT start 2026-09-01 planned - actual - 12h MED parental - review -",
			},
		},
		{
			// The three returns in one workbook. The AP sheet's columns (Provider Name, Start
			// Date, Hours Per Week) fit both the reduced timetable and the AP return: its name
			// breaks the tie. A lunchtime exclusion counts one session with none written.
			file: "libreoffice-three-returns.xlsx",
			sheets: []string{
				"Reduced timetables|reduced-timetable|8912345|header 1|rows 1|accepted 1|rejected 0|skipped 0",
				"AP|alternative-provision|8912345|header 1|rows 1|accepted 1|rejected 0|skipped 0",
				"Exclusions|suspensions|8912345|header 1|rows 1|accepted 1|rejected 0|skipped 0",
			},
			records: []string{
				"Reduced timetables|2|8912345|E891234526001|Smith|Ann|2014-05-01|RT start 2026-09-01 planned - actual - 15h MED parental - review -",
				"AP|2|8912345|U891234526002|Jones|Bob|2012-05-01|AP Synthetic Skills Centre urn - ukprn - registered - start 2026-09-01 end - 20h at provider 0h at school -",
				"Exclusions|2|8912345|H891234526003|Brown|Cat|2012-05-01|LNCH 2026-10-05 1 sessions PA - - sixth day -",
			},
		},
		{
			// The same workbook saved as "Excel 2007-365 (macro-enabled)": read as an xlsx.
			file: "libreoffice-macro-enabled.xlsm",
			sheets: []string{
				"Reduced timetables|reduced-timetable|8912345|header 1|rows 1|accepted 1|rejected 0|skipped 0",
				"AP|alternative-provision|8912345|header 1|rows 1|accepted 1|rejected 0|skipped 0",
				"Exclusions|suspensions|8912345|header 1|rows 1|accepted 1|rejected 0|skipped 0",
			},
			records: []string{
				"Reduced timetables|2|8912345|E891234526001|Smith|Ann|2014-05-01|RT start 2026-09-01 planned - actual - 15h MED parental - review -",
				"AP|2|8912345|U891234526002|Jones|Bob|2012-05-01|AP Synthetic Skills Centre urn - ukprn - registered - start 2026-09-01 end - 20h at provider 0h at school -",
				"Exclusions|2|8912345|H891234526003|Brown|Cat|2012-05-01|LNCH 2026-10-05 1 sessions PA - - sixth day -",
			},
		},
		csv("libreoffice-semicolon-utf8.csv"),
		csv("libreoffice-comma-cp1252.csv"),
		csv("libreoffice-tab-utf16.txt"),
		{file: "libreoffice-legacy.xls", code: pme.CodeFileFormat, msgHave: []string{"(.xls, Excel 97-2003)", "save it as .xlsx"}},
		{file: "libreoffice-opendocument.ods", code: pme.CodeFileFormat, msgHave: []string{"OpenDocument spreadsheet (.ods)", "save it as .xlsx"}},
		{file: "libreoffice-html-named.xlsx", code: pme.CodeFileFormat, msgHave: []string{"web page (HTML)", "save it as .xlsx"}},
		{file: "libreoffice-excel-2003.xml", code: pme.CodeFileFormat, msgHave: []string{"XML Spreadsheet 2003", "save it as .xlsx"}},
		{file: "libreoffice-encrypted.xlsx", code: pme.CodeFileEncrypted, msgHave: []string{"password", "remove the password"}},
	}
}

func TestOfficeFiles(t *testing.T) {
	for _, tc := range officeCases() {
		t.Run(tc.file, func(t *testing.T) {
			res, sink, err := openAndParse(t, filepath.Join(officeDir, tc.file))
			var fe *pme.FileError
			if tc.code != "" {
				if !errors.As(err, &fe) {
					t.Fatalf("Open+Parse error = %v, want a %s file error", err, tc.code)
				}
				if fe.Code != tc.code {
					t.Errorf("code = %s, want %s (%s)", fe.Code, tc.code, fe.Message)
				}
				for _, s := range tc.msgHave {
					if !strings.Contains(fe.Message, s) {
						t.Errorf("message %q does not say %q", fe.Message, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Open+Parse: %v", err)
			}
			check := func(what string, got, want []string) {
				t.Helper()
				if !slices.Equal(got, want) {
					t.Errorf("%s:\ngot  %s\nwant %s", what, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
				}
			}
			var sheets, skipped, issues, records []string
			for _, s := range res.Sheets {
				sheets = append(sheets, sheetLine(s))
			}
			for _, s := range res.Skipped {
				skipped = append(skipped, s.Name+": "+s.Reason)
			}
			for _, is := range sink.issues {
				issues = append(issues, issueLine(is))
			}
			for _, r := range sink.records {
				records = append(records, recordLine(r))
			}
			check("sheets", sheets, tc.sheets)
			check("skipped", skipped, tc.skipped)
			check("issues", issues, tc.issues)
			check("records", records, tc.records)
			if !slices.EqualFunc(sink.ends, res.Sheets, func(a, b pme.SheetResult) bool { return sheetLine(a) == sheetLine(b) }) {
				t.Errorf("EndSheet got %v, Result has %v", sink.ends, res.Sheets)
			}
		})
	}
}

// openAndParse runs a file through Open and Parse as the pipeline does, with no school directory.
func openAndParse(t *testing.T, path string) (Result, *memSink, error) {
	t.Helper()
	wb, err := Open(path, Limits{})
	if err != nil {
		return Result{}, nil, err
	}
	defer wb.Close()
	sink := &memSink{}
	res, err := Parse(wb, Options{FileName: filepath.Base(path), Today: testToday}, sink)
	return res, sink, err
}

func sheetLine(s pme.SheetResult) string {
	return fmt.Sprintf("%s|%s|%s|header %d|rows %d|accepted %d|rejected %d|skipped %d",
		s.Sheet, s.ReturnType, s.School, s.HeaderRow, s.Rows, s.Accepted, s.Rejected, s.Skipped)
}

func issueLine(is pme.Issue) string {
	return fmt.Sprintf("%s|%d|%s|%s|%s|%s", is.Sheet, is.Row, is.Column, is.Value, is.Code, is.Severity)
}

// recordLine renders an accepted record: where it is, the school, the pupil, then the return's own
// fields ("-" for a blank).
func recordLine(r pme.Record) string {
	d := func(x pme.Date) string { return or(x.String()) }
	h := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) + "h" }
	p := r.Pupil
	s := fmt.Sprintf("%s|%d|%s|%s|%s|%s|%s|", r.Sheet, r.Row, r.LAESTAB, p.UPN, p.Surname, p.Forename, d(p.DOB))
	if p.NCYear != "" {
		s += "year " + p.NCYear + "|"
	}
	switch {
	case r.Timetable != nil:
		t := r.Timetable
		s += fmt.Sprintf("RT start %s planned %s actual %s %s %s parental %s review %s", d(t.StartDate), d(t.PlannedEndDate),
			d(t.ActualEndDate), h(t.HoursPerWeek), or(t.Reason), or(t.ParentalAgreement), d(t.ReviewDate))
	case r.Placement != nil:
		a := r.Placement
		s += fmt.Sprintf("AP %s urn %s ukprn %s registered %s start %s end %s %s at provider %s at school %s", a.ProviderName,
			or(a.ProviderURN), or(a.ProviderUKPRN), or(a.ProviderRegistered), d(a.StartDate), d(a.EndDate),
			h(a.HoursAtProvider), h(a.HoursAtSchool), or(a.Reason))
	case r.Suspension != nil:
		u := r.Suspension
		s += fmt.Sprintf("%s %s %d sessions %s %s %s sixth day %s", u.Category, d(u.StartDate), u.Sessions, or(u.Reason),
			or(u.Reason2), or(u.Reason3), or(u.SixthDayProvision))
	}
	return s
}

// or is s, or "-" when it is blank.
func or(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
