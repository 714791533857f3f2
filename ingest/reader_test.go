package ingest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"pme"
)

// The flag is not called -update so that it cannot clash with a golden-file flag of another test
// file in this package.
var updateReaders = flag.Bool("update-readers", false, "rewrite the generated files in testdata/readers")

const readersDir = "testdata/readers"

// dumpRows renders every row of a sheet as "num: cell | cell#" (# marks a numeric cell, newlines
// inside a cell show as \n), the form the tests compare.
func dumpRows(t testing.TB, wb Workbook, sheet string) string {
	t.Helper()
	it, err := wb.Rows(sheet)
	if err != nil {
		t.Fatalf("Rows(%q): %v", sheet, err)
	}
	defer it.Close()
	got := renderRows(it)
	if err := it.Err(); err != nil {
		t.Fatalf("rows of %q: %v", sheet, err)
	}
	return got
}

// renderRows renders the rows left in it the way dumpRows does, leaving it.Err to the caller.
func renderRows(it RowIter) string {
	var b strings.Builder
	for it.Next() {
		fmt.Fprintf(&b, "%d:", it.Num())
		for i, c := range it.Row() {
			if i > 0 {
				b.WriteString(" |")
			}
			b.WriteString(" " + strings.ReplaceAll(c.Value, "\n", `\n`))
			if c.Number {
				b.WriteString("#")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestReadFiles(t *testing.T) {
	tests := []struct {
		file   string
		sheets []SheetInfo
		want   map[string]string // sheet → dumpRows
		comma  rune              // CSV only
		enc    encodingKind      // CSV only
	}{
		{
			file: "utf16le-tab.txt", sheets: []SheetInfo{{}}, comma: '\t', enc: encUTF16LE,
			want: map[string]string{"": "1: UPN | Surname | Forename | Date of Birth | Hours Per Week\n" +
				"2: B801200005001 | Sample | Zoë | 02/03/2014 | 12.5\n" +
				"3: H801200001001 | Nguyễn | Łukasz | 15/09/2013 | 10\n"},
		},
		{
			file: "utf16be-bom.csv", sheets: []SheetInfo{{}}, comma: ',', enc: encUTF16BE,
			want: map[string]string{"": "1: UPN | Surname | Forename\n2: A950000178301 | Exämple | Anna\n"},
		},
		{
			file: "cp1252-semicolon.csv", sheets: []SheetInfo{{}}, comma: ';', enc: encCP1252,
			want: map[string]string{"": "1: UPN | Surname | Forename | Hours Per Week | Note\n" +
				"2: B801200005001 | Exemple | Chloé | 12,5 | £5 lunch, “late”\n" +
				"3: H801200001001 | Sample | Noël | 7,5\n"},
		},
		{
			file: "utf8-bom.csv", sheets: []SheetInfo{{}}, comma: ',', enc: encUTF8,
			want: map[string]string{"": "1: UPN | Surname | Forename\n2: B801200005001 | Sample | Zoë\n"},
		},
		{
			file: "blank-lines-and-multiline-quotes.csv", sheets: []SheetInfo{{}}, comma: ',', enc: encUTF8,
			want: map[string]string{"": "1: Reduced timetable return\n" +
				"3: UPN | Surname | Forename | Reason\n" +
				"4: B801200005001 | Sample | Amy | Medical,\\nsee plan\n" +
				"7: H801200001001 | Line \"quoted\" | Ben | a\\n\\nb\n" +
				"8: A950000178301 | Last | Cal | OTH\n"},
		},
		{
			file: "stray-quotes.csv", sheets: []SheetInfo{{}}, comma: ',', enc: encUTF8,
			want: map[string]string{"": "1: UPN | Surname | Forename | Note\n" +
				"2: B801200005001 | O\"Example | Dee | said \"hi\"\n" +
				"3: H801200001001 | Sample | Eve | 5\" screen\n"},
		},
		{
			file: "mac-cr-lines.csv", sheets: []SheetInfo{{}}, comma: ',', enc: encCP1252,
			want: map[string]string{"": "1: UPN | Surname\n3: B801200005001 | Chloé\n"},
		},
		{
			file: "title-rows.xlsx", sheets: []SheetInfo{{Name: "Reduced timetables"}},
			want: map[string]string{"Reduced timetables": "1: Reduced Timetable Return\n" +
				"2: School: Example Primary (8912345)\n" +
				"4: LAESTAB | UPN | Surname | Forename | Start Date | Hours Per Week\n" +
				"5: 8912345# | B801200005001 | Sample | Amy | 46027# | 12.5#\n" +
				"7: 8912345# | H801200001001 | Sample | Ben | 46028# | 10#\n"},
		},
		{
			file: "merged-title.xlsx", sheets: []SheetInfo{{Name: "Suspensions"}},
			want: map[string]string{"Suspensions": "1: Suspensions return — Spring term\n" +
				"2: UPN | Category | Start Date | Sessions\n" +
				"3: B801200005001 | SUSP | 46027# | 2#\n"},
		},
		{
			file: "hidden-sheet.xlsx",
			sheets: []SheetInfo{
				{Name: "Instructions"}, {Name: "AP"}, {Name: "Lookups", Hidden: true}, {Name: "Old", Hidden: true},
			},
			want: map[string]string{
				"Instructions": "1: How to fill in this return\n2: One row per pupil.\n",
				"AP":           "1: UPN | Provider Name\n2: B801200005001 | Example AP\n",
				"Lookups":      "1: BEH\n2: SEMH\n",
				"Old":          "1: old\n",
			},
		},
		{
			file: "excel-date-cells.xlsx", sheets: []SheetInfo{{Name: "Sheet1"}},
			want: map[string]string{"Sheet1": "1: UPN | Date of Birth | Start Date | Review Date\n" +
				"2: B801200005001 | 41700# | 46027.5# | 02/03/2026\n"},
		},
		{
			file: "date1904.xlsx", sheets: []SheetInfo{{Name: "Sheet1", Date1904: true}},
			want: map[string]string{"Sheet1": "1: UPN | Start Date\n2: B801200005001 | 44565#\n"},
		},
		{
			file: "numbers-as-text.xlsx", sheets: []SheetInfo{{Name: "Sheet1"}},
			want: map[string]string{"Sheet1": "1: LAESTAB | URN | Hours | Year | Sessions\n" +
				"2: 8912345 | 012345 | 12,5 | Y7 | 4#\n"},
		},
		{
			file: "formula-cached.xlsx", sheets: []SheetInfo{{Name: "Sheet1"}},
			want: map[string]string{"Sheet1": "1: UPN | Hours | Total | Label | Registered | Check\n" +
				"2: B801200005001 | 12# | 24# | 12 hrs | TRUE | #N/A\n" +
				"5: H801200001001 | 3.5# | 7# | inline text\n"},
		},
		{
			// Decide by content: an xlsx sent with a .csv name is read as the workbook it is.
			file: "xlsx-named.csv", sheets: []SheetInfo{{Name: "Sheet1"}},
			want: map[string]string{"Sheet1": "1: UPN | Surname\n2: B801200005001 | Sample\n"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			wb, err := Open(filepath.Join(readersDir, tc.file), DefaultLimits)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer func() {
				if err := wb.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}()
			if got := wb.Sheets(); fmt.Sprint(got) != fmt.Sprint(tc.sheets) {
				t.Fatalf("Sheets = %v, want %v", got, tc.sheets)
			}
			if cw, ok := wb.(*csvWorkbook); ok {
				if cw.comma != tc.comma || cw.enc.kind != tc.enc {
					t.Errorf("delimiter, encoding = %q, %v; want %q, %v", cw.comma, cw.enc.kind, tc.comma, tc.enc)
				}
			}
			for _, s := range tc.sheets {
				if got := dumpRows(t, wb, s.Name); got != tc.want[s.Name] {
					t.Errorf("sheet %q rows =\n%s\nwant\n%s", s.Name, got, tc.want[s.Name])
				}
			}
		})
	}
}

// The sheet scanner must read what excelize reads: every value of every sheet of the testdata
// workbooks, at the same row numbers (booleans aside: the scanner shows TRUE/FALSE as Excel does).
func TestXLSXMatchesExcelize(t *testing.T) {
	files := []string{"title-rows.xlsx", "merged-title.xlsx", "hidden-sheet.xlsx", "excel-date-cells.xlsx",
		"date1904.xlsx", "numbers-as-text.xlsx", "xlsx-named.csv"}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			path := filepath.Join(readersDir, file)
			wb, err := Open(path, DefaultLimits)
			must(t, err)
			defer wb.Close()
			f, err := excelize.OpenFile(path)
			must(t, err)
			defer f.Close()
			for _, s := range wb.Sheets() {
				got := strings.ReplaceAll(dumpRows(t, wb, s.Name), "#", "")
				rows, err := f.GetRows(s.Name, excelize.Options{RawCellValue: true})
				must(t, err)
				var want strings.Builder
				for i, row := range rows {
					for len(row) > 0 && isBlank(row[len(row)-1]) {
						row = row[:len(row)-1]
					}
					if len(row) > 0 {
						fmt.Fprintf(&want, "%d: %s\n", i+1, strings.Join(row, " | "))
					}
				}
				if got != want.String() {
					t.Errorf("sheet %q: scanner read\n%s\nexcelize read\n%s", s.Name, got, want.String())
				}
			}
		})
	}
}

// The sheet scanner's XML, case by case: what other writers than Excel put in sheetData, and the
// damage that must stop a file rather than lose its rows quietly.
func TestSheetScanner(t *testing.T) {
	tests := []struct {
		name    string
		rows    string
		want    string
		wantErr string // a phrase of the FILE_UNREADABLE message; "" for none
	}{
		{name: "prefixed elements, no r attributes",
			rows: `<x:row><x:c t="s"><x:v>0</x:v></x:c><x:c><x:v>1.5</x:v></x:c></x:row><x:row/><x:row><x:c/><x:c t="s"><x:v>1</x:v></x:c></x:row>`,
			want: "1: UPN | 1.5#\n3:  | Sample\n"},
		{name: "comments, CDATA, entities, line ends",
			rows: `<!-- made by an MIS --><row r="2"><c r="B2" t="inlineStr"><is><t><![CDATA[a<b]]> &amp; &#233;</t></is></c>` +
				`<c r="C2" t="inlineStr"><is><t xml:space="preserve">x` + "\r\n" + `y_x000D_` + "\n" + `z</t></is></c></row>`,
			want: "2:  | a<b & é | x\\ny\\nz\n"},
		{name: "rich text with a phonetic run, attributes in single quotes",
			rows: `<row r='1'><c r='A1' t='inlineStr'><is><r><t>Nguy</t></r><r><t>ễn</t></r><rPh sb="0" eb="1"><t>ignored</t></rPh></is></c>` +
				`<c r="B1" t="b"><v>0</v></c><c r="C1" t="str"><f>A1</f><v>Nguyễn</v></c><c r="D1"><v> 7 </v></c></row>`,
			want: "1: Nguyễn | FALSE | Nguyễn | 7#\n"},
		{name: "inline string without its type", rows: `<row r="1"><c r="A1"><is><t>123</t></is></c></row>`, want: "1: 123\n"},
		{name: "gaps and blank rows", rows: `<row r="3"><c r="C3" t="s"><v>0</v></c></row><row r="9"><c r="A9"><f>X</f></c></row><row r="12"><c r="A12" t="s"><v>1</v></c></row>`,
			want: "3:  |  | UPN\n12: Sample\n"},
		{name: "empty sheet", rows: ``, want: ""},
		{name: "row numbers going back", rows: `<row r="5"><c r="A5"><v>1</v></c></row><row r="4"><c r="A4"><v>1</v></c></row>`,
			want: "5: 1#\n", wantErr: "damaged (after row 5)"},
		{name: "shared string out of range", rows: `<row r="1"><c r="A1" t="s"><v>7</v></c></row>`, wantErr: "damaged"},
		{name: "column past XFD", rows: `<row r="1"><c r="XFE1"><v>1</v></c></row>`, wantErr: "damaged"},
		{name: "truncated XML", rows: `<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>2`, want: "1: 1#\n", wantErr: "damaged"},
		{name: "row not closed", rows: `<row r="1"><c r="A1"><v>1</v></c><row r="2"><c r="A2"><v>2</v></c></row>`, wantErr: "damaged"},
		{name: "DOCTYPE refused", rows: `<!DOCTYPE x [<!ENTITY a "b">]><row r="1"><c r="A1"><v>1</v></c></row>`, wantErr: "damaged"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			xml := sheetXML(tc.rows)
			if strings.HasSuffix(tc.rows, "<v>2") {
				xml = strings.TrimSuffix(xml, "</sheetData></worksheet>") // cut off mid-cell
			}
			b := buildXLSXParts(t, map[string]string{"xl/worksheets/sheet1.xml": xml}, []testSheet{{name: "S"}},
				[]string{"UPN", "Sample"}, false, nil)
			wb, err := OpenReader(bytes.NewReader(b), int64(len(b)), "scan.xlsx", DefaultLimits)
			must(t, err)
			defer wb.Close()
			it, err := wb.Rows("S")
			must(t, err)
			defer it.Close()
			if got := renderRows(it); got != tc.want {
				t.Errorf("rows =\n%s\nwant\n%s", got, tc.want)
			}
			if tc.wantErr == "" {
				if it.Err() != nil {
					t.Fatalf("Err = %v, want nil", it.Err())
				}
				return
			}
			checkFileError(t, it.Err(), pme.CodeFileUnreadable, tc.wantErr)
		})
	}
}

func TestOpenRejects(t *testing.T) {
	tests := []struct {
		file     string
		wantCode string
		wantIn   string // a phrase the school needs to read
	}{
		{"fake-html.xlsx", pme.CodeFileFormat, "web page (HTML)"},
		{"legacy.xls", pme.CodeFileFormat, "old-style Excel workbook (.xls"},
		{"encrypted.xlsx", pme.CodeFileEncrypted, "remove the password"},
		{"opendoc.ods", pme.CodeFileFormat, "OpenDocument"},
		{"doc.pdf", pme.CodeFileFormat, "PDF"},
		{"docx.xlsx", pme.CodeFileFormat, "Word document"},
		{"image.png", pme.CodeFileFormat, "not a spreadsheet"},
		{"xml-spreadsheet-2003.xml", pme.CodeFileFormat, "XML"},
		{"truncated.xlsx", pme.CodeFileUnreadable, "damaged"},
		{"binary-workbook.xlsb", pme.CodeFileFormat, "Excel Binary Workbook"},
		{"web-archive.xls", pme.CodeFileFormat, "web page (HTML)"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			wb, err := Open(filepath.Join(readersDir, tc.file), DefaultLimits)
			if err == nil {
				wb.Close()
				t.Fatalf("Open succeeded, want %s", tc.wantCode)
			}
			checkFileError(t, err, tc.wantCode, tc.wantIn)
			if tc.wantCode == pme.CodeFileFormat && !strings.Contains(err.Error(), "send it again") {
				t.Errorf("message %q does not say what to send", err)
			}
		})
	}
}

// checkFileError fails unless err is a *pme.FileError with the code and a message containing wantIn.
func checkFileError(t *testing.T, err error, wantCode, wantIn string) {
	t.Helper()
	var fe *pme.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error = %v (%T), want a *pme.FileError %s", err, err, wantCode)
	}
	if fe.Code != wantCode || !strings.Contains(fe.Message, wantIn) {
		t.Fatalf("error = %s: %s; want %s mentioning %q", fe.Code, fe.Message, wantCode, wantIn)
	}
}

func TestOpenLimits(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A zip bomb: 8 MB of XML that compresses to a few KB, against a 1 MB part limit.
	bomb := buildXLSX(t, []testSheet{{name: "Sheet1", xml: `<row r="1"><c r="A1" t="inlineStr"><is><t>` +
		strings.Repeat(" ", 8<<20) + `</t></is></c></row>`}}, nil, false)
	tests := []struct {
		name     string
		path     string
		lim      Limits
		wantCode string
		wantIn   string
	}{
		{"empty file", write("empty.csv", nil), DefaultLimits, pme.CodeFileUnreadable, "empty"},
		{"file over size limit", write("big.csv", bytes.Repeat([]byte("a,b\n"), 1000)),
			Limits{MaxFileBytes: 1000}, pme.CodeFileTooLarge, "more than the 1000 bytes"},
		{"zip bomb", write("bomb.xlsx", bomb), Limits{MaxUnzippedBytes: 1 << 20}, pme.CodeFileTooLarge, "unpacks to more data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			wb, err := Open(tc.path, tc.lim)
			if err == nil {
				wb.Close()
				t.Fatalf("Open succeeded, want %s", tc.wantCode)
			}
			checkFileError(t, err, tc.wantCode, tc.wantIn)
			t.Logf("rejected in %v", time.Since(start))
		})
	}
}

// A zip that lies about its sizes (declares a small part, inflates to a huge one) must neither fill
// memory nor pass for a shorter sheet: archive/zip stops at the declared size, and the reader
// reports the sheet as damaged.
func TestReadZipBombLyingSizes(t *testing.T) {
	sheet := sheetXML(`<row r="1"><c r="A1" t="inlineStr"><is><t>UPN</t></is></c></row>` +
		strings.Repeat(`<row><c t="inlineStr"><is><t>B801200005001</t></is></c></row>`, 200_000))
	b := buildXLSXParts(t, map[string]string{"xl/worksheets/sheet1.xml": sheet}, []testSheet{{name: "Sheet1"}}, nil, false,
		map[string]uint64{"xl/worksheets/sheet1.xml": 4096})
	wb, err := OpenReader(bytes.NewReader(b), int64(len(b)), "lying.xlsx", DefaultLimits)
	if err != nil {
		t.Fatalf("OpenReader: %v", err)
	}
	defer wb.Close()
	it, err := wb.Rows("Sheet1")
	if err != nil {
		t.Fatalf("Rows: %v", err)
	}
	defer it.Close()
	n := 0
	for it.Next() {
		n++
	}
	checkFileError(t, it.Err(), pme.CodeFileUnreadable, "damaged")
	if n > 100 {
		t.Errorf("read %d rows from a part declared as 4096 bytes, want at most 100", n)
	}
}

func TestReadRowLimit(t *testing.T) {
	lim := Limits{MaxRowsPerSheet: 30}
	csvData := []byte("UPN,Surname\n" + strings.Repeat("B801200005001,Sample\n", 60))
	var rows [][]any
	rows = append(rows, []any{"UPN", "Surname"})
	for range 60 {
		rows = append(rows, []any{"B801200005001", "Sample"})
	}
	tests := []struct {
		name string
		data []byte
		file string
	}{
		{"csv", csvData, "rows.csv"},
		{"xlsx", excelizeBook(t, func(f *excelize.File) { setRows(t, f, "Sheet1", rows) }), "rows.xlsx"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wb, err := OpenReader(bytes.NewReader(tc.data), int64(len(tc.data)), tc.file, lim)
			if err != nil {
				t.Fatalf("OpenReader: %v", err)
			}
			defer wb.Close()
			it, err := wb.Rows(wb.Sheets()[0].Name)
			if err != nil {
				t.Fatalf("Rows: %v", err)
			}
			defer it.Close()
			n := 0
			for it.Next() {
				n++
			}
			if want := lim.MaxRowsPerSheet + leadingRows; n != want {
				t.Errorf("rows before the limit = %d, want %d", n, want)
			}
			checkFileError(t, it.Err(), pme.CodeFileTooLarge, "more than 30 rows")
		})
	}
}

// A later non-UTF-8 byte in a file called UTF-8 from its first 64 KB is read as Windows-1252.
func TestReadCSVLateWindows1252(t *testing.T) {
	data := append([]byte("UPN,Note\n"+strings.Repeat("B801200005001,plain\n", 4000)), []byte("B801200005001,caf\xe9 \xa35\n")...)
	wb, err := OpenReader(bytes.NewReader(data), int64(len(data)), "late.csv", DefaultLimits)
	if err != nil {
		t.Fatalf("OpenReader: %v", err)
	}
	defer wb.Close()
	if enc := wb.(*csvWorkbook).enc.kind; enc != encUTF8 {
		t.Fatalf("encoding = %v, want UTF-8", enc)
	}
	it, _ := wb.Rows("")
	var last []Cell
	for it.Next() {
		last = it.Row()
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	if got, want := last[1].Value, "café £5"; got != want {
		t.Errorf("last note = %q, want %q", got, want)
	}
}

func TestSniffDelimiter(t *testing.T) {
	tests := []struct {
		name string
		text string
		want rune
	}{
		{"comma", "a,b,c\n1,2,3\n", ','},
		{"semicolon with decimal commas", "Title\na;b;c\n1,5;2;3\n2,5;3;4\n", ';'},
		{"tab with commas in values", "a\tb\tc\nSmith, J\t2\t3\nJones\t4\t5\n", '\t'},
		{"quoted delimiters ignored", "a;b\n\"x,y,z\";1\n\"p,q,r\";2\n", ';'},
		{"one column", "UPN\nB801200005001\n", ','},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sniffDelimiter([]byte(tc.text), false); got != tc.want {
				t.Errorf("sniffDelimiter = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestXLSXTextHelpers(t *testing.T) {
	cols := map[string]int{"A1": 1, "Z9": 26, "AA10": 27, "XFD1": 16384, "b2": 2}
	for ref, want := range cols {
		if got, ok := columnOf([]byte(ref)); !ok || got != want {
			t.Errorf("columnOf(%q) = %d, %v; want %d", ref, got, ok, want)
		}
	}
	for _, ref := range []string{"", "1", "XFE1", "AAAAAA1"} {
		if got, ok := columnOf([]byte(ref)); ok {
			t.Errorf("columnOf(%q) = %d, want not ok", ref, got)
		}
	}
	texts := map[string]string{
		"a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;": `a & b <c> "d" 'e'`,
		"&#233;&#xE9;&#0;&bogus; & x":                     "éé&#0;&bogus; & x",
		"line1\r\nline2\rline3":                           "line1\nline2\nline3",
	}
	for in, want := range texts {
		if got := string(unescapeXMLText([]byte(in))); got != want {
			t.Errorf("unescapeXMLText(%q) = %q, want %q", in, got, want)
		}
	}
	escapes := map[string]string{
		"Line1_x000D_\nLine2":   "Line1\nLine2",
		"Tab_x0009_here":        "Tab\there",
		"keep _x12 and _xZZZZ_": "keep _x12 and _xZZZZ_",
		"under_x005F_x0041_":    "under_x0041_",
	}
	for in, want := range escapes {
		if got := decodeExcelEscapes(in); got != want {
			t.Errorf("decodeExcelEscapes(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWriteReaderTestdata regenerates the binary and encoded files of testdata/readers. Run it with
// go test ./ingest -run TestWriteReaderTestdata -update-readers; the files are committed.
func TestWriteReaderTestdata(t *testing.T) {
	if !*updateReaders {
		t.Skip("run with -update-readers to regenerate testdata/readers")
	}
	if err := os.MkdirAll(readersDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range readerTestdata(t) {
		if err := os.WriteFile(filepath.Join(readersDir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readerTestdata builds every file of testdata/readers. Pupils are synthetic; the UPNs are the
// public test vectors of returns.md.
func readerTestdata(t *testing.T) map[string][]byte {
	cp1252, err := charmap.Windows1252.NewEncoder().String(
		"UPN;Surname;Forename;Hours Per Week;Note\r\nB801200005001;Exemple;Chloé;12,5;\"£5 lunch, “late”\"\r\nH801200001001;Sample;Noël;7,5;;\r\n")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"utf16le-tab.txt": utf16Bytes(binary.LittleEndian,
			"UPN\tSurname\tForename\tDate of Birth\tHours Per Week\r\nB801200005001\tSample\tZoë\t02/03/2014\t12.5\r\nH801200001001\tNguyễn\tŁukasz\t15/09/2013\t10\r\n"),
		"utf16be-bom.csv":      utf16Bytes(binary.BigEndian, "UPN,Surname,Forename\r\nA950000178301,Exämple,Anna\r\n"),
		"cp1252-semicolon.csv": []byte(cp1252),
		"utf8-bom.csv":         []byte("\xEF\xBB\xBFUPN,Surname,Forename\nB801200005001,Sample,Zoë\n"),
		"blank-lines-and-multiline-quotes.csv": []byte("Reduced timetable return,,,\r\n\r\nUPN,Surname,Forename,Reason,,\r\n" +
			"B801200005001,Sample,Amy,\"Medical,\r\nsee plan\"\r\n,,,\r\n\r\n" +
			"H801200001001,\"Line \"\"quoted\"\"\",Ben,\"a\r\n\r\nb\"\r\nA950000178301,Last,Cal,OTH"),
		"stray-quotes.csv": []byte("UPN,Surname,Forename,Note\nB801200005001,O\"Example,Dee,said \"hi\"\nH801200001001,Sample,Eve,5\" screen\n"),
		"fake-html.xlsx":   []byte("\xEF\xBB\xBF  <!DOCTYPE html>\n<html><body><table><tr><td>UPN</td></tr><tr><td>B801200005001</td></tr></table></body></html>\n"),
		"legacy.xls":       buildCFB(t, "Workbook", "\x05SummaryInformation"),
		"encrypted.xlsx":   buildCFB(t, "EncryptionInfo", "EncryptedPackage"),
		"doc.pdf":          []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"),
		"image.png":        []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"),
		"xml-spreadsheet-2003.xml": []byte(`<?xml version="1.0"?>` + "\n" +
			`<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Sheet1"/></Workbook>` + "\n"),
		"opendoc.ods": zipBytes(t, []zipPart{
			{name: "mimetype", body: "application/vnd.oasis.opendocument.spreadsheet", store: true},
			{name: "content.xml", body: `<office:document-content/>`},
		}),
		// Old Excel for Mac saves "CSV (Macintosh)" with a bare CR at the end of each line.
		"mac-cr-lines.csv": []byte("UPN,Surname\r\rB801200005001,Chlo\xe9\r"),
		"web-archive.xls": []byte("MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"----=_NextPart\"\r\n\r\n------=_NextPart\r\n" +
			"Content-Type: text/html; charset=\"utf-8\"\r\n\r\n<html><table><tr><td>UPN</td></tr></table></html>\r\n"),
		"binary-workbook.xlsb": zipBytes(t, []zipPart{
			{name: "[Content_Types].xml", body: `<Types/>`},
			{name: "xl/workbook.bin", body: "\x83\x01\x00"},
		}),
		"docx.xlsx": zipBytes(t, []zipPart{
			{name: "[Content_Types].xml", body: `<Types/>`},
			{name: "word/document.xml", body: `<w:document/>`},
		}),
	}
	files["title-rows.xlsx"] = excelizeBook(t, func(f *excelize.File) {
		renameSheet(t, f, "Reduced timetables")
		setRows(t, f, "Reduced timetables", [][]any{
			{"Reduced Timetable Return"},
			{"School: Example Primary (8912345)"},
			nil,
			{"LAESTAB", "UPN", "Surname", "Forename", "Start Date", "Hours Per Week"},
			{8912345, "B801200005001", "Sample", "Amy", date(2026, 1, 5), 12.5},
			nil,
			{8912345, "H801200001001", "Sample", "Ben", date(2026, 1, 6), 10},
		})
	})
	files["merged-title.xlsx"] = excelizeBook(t, func(f *excelize.File) {
		renameSheet(t, f, "Suspensions")
		setRows(t, f, "Suspensions", [][]any{
			{"Suspensions return — Spring term"},
			{"UPN", "Category", "Start Date", "Sessions"},
			{"B801200005001", "SUSP", date(2026, 1, 5), 2},
		})
		must(t, f.MergeCell("Suspensions", "A1", "D1"))
	})
	files["hidden-sheet.xlsx"] = excelizeBook(t, func(f *excelize.File) {
		renameSheet(t, f, "Instructions")
		setRows(t, f, "Instructions", [][]any{{"How to fill in this return"}, {"One row per pupil."}})
		for _, s := range []string{"AP", "Lookups", "Old"} {
			if _, err := f.NewSheet(s); err != nil {
				t.Fatal(err)
			}
		}
		setRows(t, f, "AP", [][]any{{"UPN", "Provider Name"}, {"B801200005001", "Example AP"}})
		setRows(t, f, "Lookups", [][]any{{"BEH"}, {"SEMH"}})
		setRows(t, f, "Old", [][]any{{"old"}})
		must(t, f.SetSheetVisible("Lookups", false))
		must(t, f.SetSheetVisible("Old", false, true)) // "veryHidden": only VBA can show it
	})
	files["excel-date-cells.xlsx"] = excelizeBook(t, func(f *excelize.File) {
		setRows(t, f, "Sheet1", [][]any{
			{"UPN", "Date of Birth", "Start Date", "Review Date"},
			{"B801200005001", date(2014, 3, 2), time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC), "02/03/2026"},
		})
	})
	files["date1904.xlsx"] = excelizeBook(t, func(f *excelize.File) {
		yes := true
		must(t, f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}))
		setRows(t, f, "Sheet1", [][]any{{"UPN", "Start Date"}, {"B801200005001", date(2026, 1, 5)}})
	})
	files["numbers-as-text.xlsx"] = excelizeBook(t, func(f *excelize.File) {
		setRows(t, f, "Sheet1", [][]any{{"LAESTAB", "URN", "Hours", "Year", "Sessions"}})
		for cell, v := range map[string]string{"A2": "8912345", "B2": "012345", "C2": "12,5", "D2": "Y7"} {
			must(t, f.SetCellStr("Sheet1", cell, v))
		}
		must(t, f.SetCellValue("Sheet1", "E2", 4))
	})
	// Hand-written sheet XML: formulas with cached values as Excel saves them (excelize does not
	// calculate on save), a gap in the row numbers, inline and shared strings, a boolean, an error.
	files["formula-cached.xlsx"] = buildXLSX(t, []testSheet{{name: "Sheet1", xml: `` +
		`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>` +
		`<c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c><c r="F1" t="s"><v>5</v></c></row>` +
		`<row r="2"><c r="A2" t="s"><v>6</v></c><c r="B2"><v>12</v></c><c r="C2"><f>B2*2</f><v>24</v></c>` +
		`<c r="D2" t="str"><f>B2&amp;" hrs"</f><v>12 hrs</v></c><c r="E2" t="b"><v>1</v></c><c r="F2" t="e"><f>NA()</f><v>#N/A</v></c></row>` +
		`<row r="3"><c r="A3"><f>""</f><v></v></c></row>` +
		`<row r="5"><c r="A5" t="inlineStr"><is><t>H801200001001</t></is></c><c r="B5"><v>3.5</v></c><c r="C5"><f>B5*2</f><v>7</v></c>` +
		`<c r="D5" t="inlineStr"><is><t>inline text</t></is></c><c r="E5"><f>E4</f></c></row>`}},
		[]string{"UPN", "Hours", "Total", "Label", "Registered", "Check", "B801200005001"}, false)
	files["xlsx-named.csv"] = excelizeBook(t, func(f *excelize.File) {
		setRows(t, f, "Sheet1", [][]any{{"UPN", "Surname"}, {"B801200005001", "Sample"}})
	})
	// A workbook cut short in transit: the zip's central directory is missing.
	files["truncated.xlsx"] = files["xlsx-named.csv"][:400]
	return files
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// utf16Bytes encodes s as UTF-16 with a BOM, as Excel's "Unicode text" does.
func utf16Bytes(order binary.ByteOrder, s string) []byte {
	units := append([]uint16{0xFEFF}, utf16.Encode([]rune(s))...)
	b := make([]byte, 2*len(units))
	for i, u := range units {
		order.PutUint16(b[2*i:], u)
	}
	return b
}

// excelizeBook builds a workbook with excelize, as a school's Excel would save it.
func excelizeBook(t testing.TB, fill func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	fill(f)
	var buf bytes.Buffer
	must(t, f.Write(&buf))
	return buf.Bytes()
}

func renameSheet(t testing.TB, f *excelize.File, name string) {
	t.Helper()
	must(t, f.SetSheetName("Sheet1", name))
}

// setRows writes rows from A1 down; a nil row is left blank. excelize gives a time.Time value a
// date format, as Excel gives a typed date.
func setRows(t testing.TB, f *excelize.File, sheet string, rows [][]any) {
	t.Helper()
	for i, row := range rows {
		if row == nil {
			continue
		}
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		must(t, err)
		must(t, f.SetSheetRow(sheet, cell, &row))
	}
}

// testSheet is one sheet of a hand-built workbook: its sheetData rows as XML and its state.
type testSheet struct {
	name  string
	state string // "", "hidden", "veryHidden"
	xml   string // the rows inside <sheetData>
}

func sheetXML(rows string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + rows + `</sheetData></worksheet>`
}

// buildXLSX builds the smallest workbook Excel and excelize accept, from hand-written sheet XML.
func buildXLSX(t testing.TB, sheets []testSheet, shared []string, date1904 bool) []byte {
	t.Helper()
	parts := map[string]string{}
	for i, s := range sheets {
		parts[fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1)] = sheetXML(s.xml)
	}
	return buildXLSXParts(t, parts, sheets, shared, date1904, nil)
}

// buildXLSXParts adds the package parts around the given sheet parts. lie, when set, gives parts
// whose declared uncompressed size is falsified (a zip bomb that lies).
func buildXLSXParts(t testing.TB, sheetParts map[string]string, sheets []testSheet, shared []string, date1904 bool, lie map[string]uint64) []byte {
	t.Helper()
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	var wbSheets, rels, types strings.Builder
	for i, s := range sheets {
		state := ""
		if s.state != "" {
			state = ` state="` + s.state + `"`
		}
		fmt.Fprintf(&wbSheets, `<sheet name="%s" sheetId="%d"%s r:id="rId%d"/>`, s.name, i+1, state, i+1)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet%d.xml"/>`, i+1, i+1)
		fmt.Fprintf(&types, `<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`, i+1)
	}
	pr := ""
	if date1904 {
		pr = `<workbookPr date1904="1"/>`
	}
	parts := []zipPart{
		{name: "[Content_Types].xml", body: `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>` +
			types.String() + `</Types>`},
		{name: "_rels/.rels", body: `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{name: "xl/workbook.xml", body: `<?xml version="1.0" encoding="UTF-8"?><workbook ` + ns + `>` + pr + `<sheets>` + wbSheets.String() + `</sheets></workbook>`},
		{name: "xl/_rels/workbook.xml.rels", body: `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			rels.String() + fmt.Sprintf(`<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`, len(sheets)+1) +
			`</Relationships>`},
	}
	var sst strings.Builder
	fmt.Fprintf(&sst, `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, len(shared), len(shared))
	for _, s := range shared {
		sst.WriteString(`<si><t>` + s + `</t></si>`)
	}
	sst.WriteString(`</sst>`)
	parts = append(parts, zipPart{name: "xl/sharedStrings.xml", body: sst.String()})
	for i := range sheets {
		name := fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1)
		parts = append(parts, zipPart{name: name, body: sheetParts[name], lie: lie[name]})
	}
	return zipBytes(t, parts)
}

// zipPart is one file of a hand-built zip.
type zipPart struct {
	name  string
	body  string
	store bool   // no compression (an ODF mimetype must be stored)
	lie   uint64 // when set, the uncompressed size the zip declares instead of the real one
}

func zipBytes(t testing.TB, parts []zipPart) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		if p.lie != 0 {
			writeLyingPart(t, zw, p)
			continue
		}
		method := zip.Deflate
		if p.store {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: method})
		must(t, err)
		_, err = w.Write([]byte(p.body))
		must(t, err)
	}
	must(t, zw.Close())
	return buf.Bytes()
}

// writeLyingPart writes a deflated part whose header declares p.lie bytes uncompressed.
func writeLyingPart(t testing.TB, zw *zip.Writer, p zipPart) {
	t.Helper()
	var deflated bytes.Buffer
	fw, err := flate.NewWriter(&deflated, flate.BestCompression)
	must(t, err)
	_, err = fw.Write([]byte(p.body))
	must(t, err)
	must(t, fw.Close())
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name: p.name, Method: zip.Deflate, CRC32: 0,
		CompressedSize64: uint64(deflated.Len()), UncompressedSize64: p.lie,
	})
	must(t, err)
	_, err = w.Write(deflated.Bytes())
	must(t, err)
}

// buildCFB builds a minimal OLE2 compound file (MS-CFB version 3, 512-byte sectors) whose root
// storage holds empty streams with the given names: enough for a directory reader to list them.
// Sector 0 is the FAT, sector 1 the directory.
func buildCFB(t testing.TB, streams ...string) []byte {
	t.Helper()
	const (
		freeSect   = 0xFFFFFFFF
		endOfChain = 0xFFFFFFFE
		fatSect    = 0xFFFFFFFD
		noStream   = 0xFFFFFFFF
	)
	if len(streams) > 3 {
		t.Fatal("buildCFB: at most 3 streams fit the one directory sector")
	}
	b := make([]byte, 3*512)
	le := binary.LittleEndian
	copy(b, magicOLE)
	le.PutUint16(b[24:], 0x003E) // minor version
	le.PutUint16(b[26:], 0x0003) // major version 3
	le.PutUint16(b[28:], 0xFFFE) // little-endian
	le.PutUint16(b[30:], 9)      // 512-byte sectors
	le.PutUint16(b[32:], 6)      // 64-byte mini sectors
	le.PutUint32(b[44:], 1)      // one FAT sector
	le.PutUint32(b[48:], 1)      // directory starts at sector 1
	le.PutUint32(b[56:], 0x1000) // mini stream cutoff
	le.PutUint32(b[60:], endOfChain)
	le.PutUint32(b[68:], endOfChain)
	le.PutUint32(b[76:], 0) // DIFAT[0]: the FAT is sector 0
	for i := 1; i < 109; i++ {
		le.PutUint32(b[76+4*i:], freeSect)
	}
	fat := b[512:1024]
	for i := 0; i < 128; i++ {
		le.PutUint32(fat[4*i:], freeSect)
	}
	le.PutUint32(fat[0:], fatSect)
	le.PutUint32(fat[4:], endOfChain)
	dir := b[1024:1536]
	entry := func(i int, name string, typ byte, left, right, child uint32) {
		e := dir[128*i : 128*(i+1)]
		units := utf16.Encode([]rune(name))
		for j, u := range units {
			le.PutUint16(e[2*j:], u)
		}
		if name != "" {
			le.PutUint16(e[64:], uint16(2*len(units)+2))
		}
		e[66], e[67] = typ, 1 // type, black
		le.PutUint32(e[68:], left)
		le.PutUint32(e[72:], right)
		le.PutUint32(e[76:], child)
		le.PutUint32(e[116:], endOfChain)
	}
	for i := range 4 {
		entry(i, "", 0, noStream, noStream, noStream)
	}
	entry(0, "Root Entry", 5, noStream, noStream, 1)
	// The streams hang as a chain of right siblings: a valid (if unbalanced) directory tree.
	for i, s := range streams {
		right := uint32(noStream)
		if i+1 < len(streams) {
			right = uint32(i + 2)
		}
		entry(i+1, s, 2, noStream, right, noStream)
	}
	return b
}

// TestCSVRowsHint: after the first thousand rows, a CSV's rows are estimated from its size, in
// UTF-8 and in UTF-16, near enough to size the duplicate sets (see rowSet.reserve).
func TestCSVRowsHint(t *testing.T) {
	var b strings.Builder
	b.WriteString("Suspensions return, autumn term\r\nUPN,Surname,Forename,Date of Birth\r\n")
	const rows = 20_000
	for i := range rows {
		fmt.Fprintf(&b, "A9500001%05d,Surname%d,Forename,01/02/2015\r\n", i, i%977)
	}
	for name, data := range map[string][]byte{
		"utf8.csv":  []byte(b.String()),
		"utf16.csv": utf16Bytes(binary.LittleEndian, b.String()),
	} {
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		wb, err := Open(path, DefaultLimits)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		it, err := wb.Rows("")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := 0; i < 1000 && it.Next(); i++ {
		}
		got := it.(rowsHinter).RowsHint()
		if got < rows*9/10 || got > rows*11/10 {
			t.Errorf("%s: %d rows estimated, want about %d", name, got, rows+2)
		}
		wb.Close()
	}
}
