package ingest

import (
	"bytes"
	"crypto/rand"
	"errors"
	mrand "math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"pme"
)

// The packed table must give back exactly what was put in, across chunk boundaries and for empty
// entries.
func TestSharedStringsPacked(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(1, 2))
	var want []string
	ss := &sharedStrings{}
	add := func(s string) {
		want = append(want, s)
		if err := ss.add([]byte(s)); err != nil {
			t.Fatalf("add(%d bytes): %v", len(s), err)
		}
	}
	for i := range 3 * sstBlockSize {
		add(strings.Repeat(string(rune('a'+i%26)), rng.IntN(40)))
	}
	// Entries that do not fit in the rest of a chunk start the next one.
	add(strings.Repeat("x", sstChunkSize-10))
	add(strings.Repeat("y", 600<<10))
	add(strings.Repeat("z", 600<<10))
	add("")
	add(strings.Repeat("w", sstChunkSize))
	add("Zoë")
	ss.finish()
	if ss.len() != len(want) {
		t.Fatalf("len = %d, want %d", ss.len(), len(want))
	}
	for i, w := range want {
		if got := ss.at(i); got != w {
			t.Fatalf("at(%d) = %d bytes %.10q, want %d bytes %.10q", i, len(got), got, len(w), w)
		}
	}
	if err := ss.add(make([]byte, maxSharedString+1)); err == nil {
		t.Errorf("add of a string longer than a chunk succeeded, want an error")
	}
}

// A shared string table of a million tiny entries (17 MB of XML that zips to a few KB) must cost
// memory in proportion to its text, not 16 bytes of string header, an allocation and a token
// allocation per entry: the encoding/xml reader allocated over 100 MB for it, and 900 MB for a
// 250 MB table.
func TestSharedStringsMemory(t *testing.T) {
	const n = 1_000_000
	shared := make([]string, n)
	for i := range shared {
		shared[i] = "a"
	}
	shared[n-1] = "B801200005001 &amp; _x000D_"
	b := buildXLSX(t, []testSheet{{name: "Sheet1", xml: `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>999999</v></c></row>`}}, shared, false)
	shared = nil
	wb, err := OpenReader(bytes.NewReader(b), int64(len(b)), "many-strings.xlsx", DefaultLimits)
	if err != nil {
		t.Fatalf("OpenReader: %v", err)
	}
	defer wb.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	got := dumpRows(t, wb, "Sheet1")
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if want := "1: a | B801200005001 & \\n\n"; got != want {
		t.Errorf("rows = %q, want %q", got, want)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("reading the table allocated %d MB, want under 32 MB", alloc>>20)
	}
	t.Logf("read the table in %v", elapsed) // speed is for benchmarks, not assertions
}

// Hostile files are refused with a file-level code, quickly. (Zip bombs, honest and lying about
// their sizes, are TestOpenLimits and TestReadZipBombLyingSizes.)
func TestHostileFiles(t *testing.T) {
	random := make([]byte, 1<<20)
	rand.Read(random)
	deep := strings.Repeat("<x>", 200_000) + strings.Repeat("</x>", 200_000)
	header := "UPN,Surname,Forename,Date of Birth,Start Date,Hours Per Week\n"
	tests := []struct {
		name     string
		data     []byte
		wantCode string
		wantIn   string
	}{
		{"random bytes.xlsx", random, pme.CodeFileFormat, "not a spreadsheet"},
		{"zip signature then random bytes.xlsx", append([]byte("PK\x03\x04"), random...), pme.CodeFileUnreadable, "damaged"},
		{"one long line.csv", []byte(header + strings.Repeat(",", maxLineBytes+1) + "\n"), pme.CodeFileUnreadable, "Line 2 of the file is longer than 512 KB"},
		{"one long field.csv", []byte(header + strings.Repeat("x", maxLineBytes+1) + "\n"), pme.CodeFileUnreadable, "Line 2 of the file is longer"},
		{"too many columns.csv", []byte(header + strings.Repeat(",", xlsxMaxCols) + "x\n"), pme.CodeFileUnreadable, "Line 2 of the file has 16385 columns"},
		{"deep nesting in a sheet.xlsx", buildXLSX(t, []testSheet{{name: "Sheet1", xml: `<row r="1"><c r="A1" t="inlineStr"><is><t>UPN</t></is></c><c r="B1">` +
			deep + `</c></row>`}}, nil, false), pme.CodeFileNoReturn, "No sheet"},
		{"deep nesting in the shared strings.xlsx", buildXLSX(t, []testSheet{{name: "Sheet1", xml: `<row r="1"><c r="A1" t="s"><v>0</v></c></row>`}},
			[]string{"UPN", deep}, false), pme.CodeFileNoReturn, "No sheet"},
		{"DOCTYPE in the shared strings.xlsx", buildXLSX(t, []testSheet{{name: "Sheet1", xml: `<row r="1"><c r="A1" t="s"><v>0</v></c></row>`}},
			[]string{`</t></si><!DOCTYPE x [<!ENTITY a "aaaa">]><si><t>&a;`}, false), pme.CodeFileUnreadable, "shared strings"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			err := openAndParseBytes(tc.data, tc.name)
			checkFileError(t, err, tc.wantCode, tc.wantIn)
			t.Logf("refused in %v", time.Since(start))
		})
	}
}

// A legitimate line a little under the limit is still read.
func TestCSVLongLineUnderLimit(t *testing.T) {
	note := strings.Repeat("n", maxLineBytes-200)
	data := []byte("UPN,Surname,Notes\nB801200005001,Sample," + note + "\n")
	wb, err := OpenReader(bytes.NewReader(data), int64(len(data)), "notes.csv", DefaultLimits)
	if err != nil {
		t.Fatalf("OpenReader: %v", err)
	}
	defer wb.Close()
	got := dumpRows(t, wb, "")
	if want := "1: UPN | Surname | Notes\n2: B801200005001 | Sample | " + note + "\n"; got != want {
		t.Errorf("rows = %.80q…, want %.80q…", got, want)
	}
}

// openAndParseBytes runs data through OpenReader and Parse and returns the error that stopped it.
func openAndParseBytes(data []byte, name string) error {
	wb, err := OpenReader(bytes.NewReader(data), int64(len(data)), name, DefaultLimits)
	if err != nil {
		return err
	}
	defer wb.Close()
	_, err = Parse(wb, Options{FileName: name, Today: testToday}, &memSink{})
	if err == nil {
		return errors.New("parsed without a file-level error")
	}
	return err
}
