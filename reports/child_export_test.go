package reports

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pme"
)

// sampleHistory is a synthetic child's history, given out of order, with a note carrying a
// formula and a character the letter font cannot print.
func sampleHistory() pme.ChildHistory {
	d := pme.MustDate
	at := func(day string, h int) time.Time { return d(day).Time().Add(time.Duration(h) * time.Hour) }
	return pme.ChildHistory{
		UPN: "B801200005001", Child: "Łukasz O'Example", DOB: d("2012-02-29"),
		Entries: []pme.ChildEntry{
			{Date: d("2026-11-27"), At: at("2026-11-27", 15), Kind: pme.EntryNote, CaseID: "C-0001", Summary: hostileValue + " 🙂", By: "J. Smith"},
			{Date: d("2026-09-10"), Kind: pme.EntryRecord, LAESTAB: "8912345", School: "Synthetic Academy",
				File: "8912345_reduced_timetables.xlsx", Summary: "Reduced timetable from 03/09/2026, 10 hours a week"},
			{Date: d("2026-11-27"), At: at("2026-11-27", 10), Kind: pme.EntryLetter, CaseID: "C-0001", LetterID: "L-2026-0001",
				LAESTAB: "8912345", School: "Synthetic Academy", Summary: "Assurance letter sent; reply by 11/12/2026", By: "pme"},
			{Date: d("2026-10-16"), Kind: pme.EntryFiring, CaseID: "C-0001", Summary: "RT_OVER_LIMIT: over the 30-day limit"},
		},
	}
}

func TestChildExport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sar", "request-7") // made if missing
	on := pme.MustDate("2026-12-07")
	paths, err := WriteChildExport(dir, sampleHistory(), nil, on)
	if err != nil {
		t.Fatal(err)
	}
	want := ChildExportPaths(dir, "B801200005001", on)
	if strings.Join(paths, ",") != strings.Join(want, ",") || filepath.Base(paths[1]) != "child-B801200005001-2026-12-07.pdf" {
		t.Fatalf("paths = %v, want %v", paths, want)
	}
	for _, p := range paths {
		checkPrivate(t, p)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("folder mode = %v (%v), want 0700", fi.Mode().Perm(), err)
	}

	f := openAgenda(t, paths[0])
	checkTable(t, f, "History", []string{"Date", "What", "Case ID", "Letter ID", "School", "File", "Details", "By", "Recorded at"})
	rows, err := f.GetRows("History")
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, r := range rows[1:] {
		order = append(order, r[0]+" "+r[1])
	}
	wantOrder := "10/09/2026 Record returned by a school|16/10/2026 Rule fired|27/11/2026 Assurance letter|27/11/2026 Note"
	if strings.Join(order, "|") != wantOrder {
		t.Errorf("history order = %q, want %q", strings.Join(order, "|"), wantOrder)
	}
	checkTextCell(t, f, "History", "G5", "'"+hostileValue+" 🙂")
	if v, _ := f.GetCellValue("About", "B3"); v != "B801200005001" {
		t.Errorf("About!B3 = %q, want the UPN", v)
	}

	pdf, err := os.ReadFile(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, pdf)
	for _, s := range []string{"Record held by pme about Łukasz O'Example", "29/02/2012", "Assurance letter · C-0001 · L-2026-0001",
		"File: 8912345_reduced_timetables.xlsx", "Recorded by J. Smith", "shown as ?"} {
		if !strings.Contains(text, s) {
			t.Errorf("PDF lacks %q:\n%s", s, text)
		}
	}
	if i, j := strings.Index(text, "Rule fired"), strings.Index(text, "Note · C-0001"); i < 0 || j < i {
		t.Errorf("PDF not in date order:\n%s", text)
	}

	// The same history on the same day gives the same bytes.
	again, err := WriteChildExport(t.TempDir(), sampleHistory(), nil, on)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(again[1]); string(b) != string(pdf) {
		t.Errorf("a second export of the same history differs")
	}
}

func TestChildExportEmpty(t *testing.T) {
	paths, err := WriteChildExport(t.TempDir(), pme.ChildHistory{UPN: "A950000178301"}, nil, pme.MustDate("2026-12-07"))
	if err != nil {
		t.Fatal(err)
	}
	f := openAgenda(t, paths[0])
	if v, _ := f.GetCellValue("History", "A2"); v != "pme holds no history for this child" {
		t.Errorf("History!A2 = %q", v)
	}
	if _, err := WriteChildExport(t.TempDir(), pme.ChildHistory{}, nil, pme.MustDate("2026-12-07")); err == nil {
		t.Errorf("an export without a UPN gave no error")
	}
}
