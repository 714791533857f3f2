package reports

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"pme"
)

// The subject access request export (casework.md, `pme child UPN --export DIR`): one child's whole
// history, in date order, as a workbook and as a PDF printed in the letters' font, so that names
// and free text print as written. Both are made from the same pme.ChildHistory.

// entryKindNames are the history's entry kinds in words.
var entryKindNames = map[string]string{
	pme.EntryRecord:       "Record returned by a school",
	pme.EntryFiring:       "Rule fired",
	pme.EntryStatus:       "Case status",
	pme.EntryLetter:       "Assurance letter",
	pme.EntryReminder:     "Reminder letter",
	pme.EntryReply:        "Reply to a letter",
	pme.EntryAction:       "Action agreed",
	pme.EntryActionStatus: "Action done or cancelled",
	pme.EntryNote:         "Note",
	pme.EntryHandling:     "Handling decision",
	pme.EntryOwner:        "Case owner",
}

func entryKindName(k string) string {
	if n := entryKindNames[k]; n != "" {
		return n
	}
	return k
}

// ChildExportPaths returns where WriteChildExport writes a child's history: the workbook and the
// PDF, named by the UPN and the export date so that exports for several children, or on several
// days, sit side by side in one folder. The names hold the UPN: log counts, not these paths.
func ChildExportPaths(dir, upn string, on pme.Date) []string {
	base := filepath.Join(dir, "child-"+upn+"-"+on.String())
	return []string{base + ".xlsx", base + ".pdf"}
}

// WriteChildExport writes h as a workbook and a PDF into dir (made 0700 if missing) and returns
// their paths, workbook first. on is the export's date; font is the letters' font.
func WriteChildExport(dir string, h pme.ChildHistory, font *LetterFont, on pme.Date) ([]string, error) {
	if h.UPN == "" || on.IsZero() {
		return nil, errors.New("write child history: no UPN or no export date")
	}
	if font == nil {
		font = DefaultLetterFont()
	}
	h.Entries = sortedEntries(h.Entries)
	paths := ChildExportPaths(dir, h.UPN, on)
	if err := writeChildBook(paths[0], h, on); err != nil {
		return nil, fmt.Errorf("write child history: %w", err)
	}
	pdf, err := childPDF(h, font, on)
	if err != nil {
		return nil, fmt.Errorf("write child history: %w", err)
	}
	if err := WriteFileAtomic(paths[1], func(w io.Writer) error { _, err := w.Write(pdf); return err }); err != nil {
		return nil, fmt.Errorf("write child history: %w", err)
	}
	return paths, nil
}

// sortedEntries orders the history by date, then by when it was recorded, keeping the given order
// otherwise.
func sortedEntries(in []pme.ChildEntry) []pme.ChildEntry {
	out := append([]pme.ChildEntry(nil), in...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.Date.Equal(b.Date) {
			return a.Date.Before(b.Date)
		}
		return a.At.Before(b.At)
	})
	return out
}

var childColumns = []xlColumn{
	{name: "Date", width: 12, date: true},
	{name: "What", width: 24, wrap: true},
	{name: "Case ID", width: 14},
	{name: "Letter ID", width: 16},
	{name: "School", width: 28, wrap: true},
	{name: "File", width: 30, wrap: true},
	{name: "Details", width: 70, wrap: true},
	{name: "By", width: 18, wrap: true},
	{name: "Recorded at", width: 18},
}

func entrySchool(e pme.ChildEntry) string { return schoolLabel(e.School, e.LAESTAB) }

func recordedAt(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("02/01/2006 15:04 UTC")
}

func writeChildBook(path string, h pme.ChildHistory, on pme.Date) error {
	b, err := newXLBook("About")
	if err != nil {
		return err
	}
	const about = "About"
	if err := b.width(about, 1, 26); err != nil {
		return err
	}
	if err := b.width(about, 2, 60); err != nil {
		return err
	}
	if err := b.setRow(about, 1, b.title, "Record held by pme about one child"); err != nil {
		return err
	}
	var dob any = "not recorded"
	if !h.DOB.IsZero() {
		dob = h.DOB
	}
	if _, err := b.facts(about, 2, []fact{
		{"Child", h.Child},
		{"UPN", h.UPN},
		{"Date of birth", dob},
		{"Exported on", on},
		{"Entries", len(h.Entries)},
		{"What this is", "Everything pme holds about the child, in date order: each record a school returned " +
			"(which school, file and date), each rule that fired and each change of the case's status, letters and " +
			"replies, actions, notes and decisions, with who recorded them. The History sheet has one line per entry."},
	}, b.wrapped); err != nil {
		return err
	}
	const sh = "History"
	if err := b.addSheet(sh); err != nil {
		return err
	}
	rows := make([][]any, len(h.Entries))
	for i, e := range h.Entries {
		rows[i] = []any{e.Date, entryKindName(e.Kind), e.CaseID, e.LetterID, entrySchool(e), e.File, e.Summary, e.By, recordedAt(e.At)}
	}
	if err := b.table(sh, childColumns, rows, "pme holds no history for this child"); err != nil {
		return err
	}
	return b.save(path, "Child history "+h.UPN, on.Time())
}

// Page layout of the history PDF, in millimetres: A4 portrait.
const (
	histMarginL = 18.0
	histMarginR = 18.0
	histMarginT = 16.0
	histMarginB = 20.0
	histLineH   = 4.6
	histDateW   = 24.0
)

// childPDF prints the history: who it is about, then one block per entry (date and what in bold,
// the details, then where it came from and who recorded it in smaller type).
func childPDF(h pme.ChildHistory, font *LetterFont, on pme.Date) ([]byte, error) {
	p := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", SizeStr: "A4"})
	p.SetMargins(histMarginL, histMarginT, histMarginR)
	p.SetAutoPageBreak(true, histMarginB)
	p.SetCellMargin(0)
	p.AddUTF8FontFromBytes("letter", "", font.regular)
	p.AddUTF8FontFromBytes("letter", "B", font.bold)
	p.SetCreationDate(on.Time()) // the export's date, not the clock: the same history gives the same bytes
	p.SetModificationDate(on.Time())
	p.SetCatalogSort(true)
	p.SetProducer("pme", false)
	p.SetCreator("pme", false)
	p.SetTitle("Child history", true)
	p.SetLang("en-GB")
	p.AliasNbPages(pagesAlias)
	missing := false
	txt := func(s string) string {
		s = cleanText(s)
		return strings.Map(func(r rune) rune {
			if r == '\n' || r == ' ' || font.has(r) {
				return r
			}
			missing = true
			return '?'
		}, s)
	}
	p.SetHeaderFunc(func() {
		p.SetY(7)
		p.SetFont("letter", "B", 8)
		p.CellFormat(0, 4, "OFFICIAL-SENSITIVE", "", 0, "C", false, 0, "")
		p.SetY(histMarginT)
	})
	p.SetFooterFunc(func() {
		p.SetY(-14)
		p.SetFont("letter", "B", 8)
		p.CellFormat(0, 4, "OFFICIAL-SENSITIVE", "", 0, "C", false, 0, "")
		p.SetFont("letter", "", 8)
		p.SetX(histMarginL)
		p.CellFormat(0, 4, txt("UPN "+h.UPN+", exported "+on.UK()), "", 0, "L", false, 0, "")
		w, _ := p.GetPageSize()
		p.SetX(w - histMarginR - pageNumberWidth)
		p.CellFormat(pageNumberWidth, 4, fmt.Sprintf("Page %d of %s", p.PageNo(), pagesAlias), "", 0, "L", false, 0, "")
	})
	p.AddPage()
	p.SetFont("letter", "B", 14)
	who := h.Child
	if who == "" {
		who = "UPN " + h.UPN
	}
	p.MultiCell(0, 7, txt("Record held by pme about "+who), "", "L", false)
	p.SetFont("letter", "", 10)
	dob := "not recorded"
	if !h.DOB.IsZero() {
		dob = h.DOB.UK()
	}
	p.MultiCell(0, 5, txt(fmt.Sprintf("UPN %s · date of birth %s · exported on %s · %s", h.UPN, dob, on.UK(),
		countWords(len(h.Entries), "entry", "entries"))), "", "L", false)
	p.Ln(2)
	p.SetFont("letter", "", 9)
	p.MultiCell(0, 4.4, "Everything pme holds about the child, in date order: each record a school returned (which school, "+
		"file and date), each rule that fired and each change of the case's status, letters and replies, actions, notes "+
		"and decisions, with who recorded them.", "", "L", false)
	p.Ln(3)
	if len(h.Entries) == 0 {
		p.SetFont("letter", "", 10)
		p.MultiCell(0, 5, "pme holds no history for this child.", "", "L", false)
	}
	bodyW := pageW - histMarginL - histMarginR - histDateW
	for _, e := range h.Entries {
		// Keep an entry's heading with at least two lines of its details.
		if p.GetY()+3*histLineH > pageH-histMarginB {
			p.AddPage()
		}
		y := p.GetY()
		p.SetDrawColor(200, 200, 200)
		p.Line(histMarginL, y, pageW-histMarginR, y)
		p.SetY(y + 1)
		p.SetFont("letter", "B", 10)
		p.CellFormat(histDateW, histLineH, e.Date.UK(), "", 0, "L", false, 0, "")
		head := entryKindName(e.Kind)
		for _, id := range []string{e.CaseID, e.LetterID} {
			if id != "" {
				head += " · " + id
			}
		}
		p.MultiCell(bodyW, histLineH, txt(head), "", "L", false)
		if e.Summary != "" {
			p.SetFont("letter", "", 10)
			p.SetX(histMarginL + histDateW)
			p.MultiCell(bodyW, histLineH, txt(e.Summary), "", "L", false)
		}
		var from []string
		if s := entrySchool(e); s != "" {
			from = append(from, "School: "+s)
		}
		if e.File != "" {
			from = append(from, "File: "+e.File)
		}
		if e.By != "" {
			from = append(from, "Recorded by "+e.By)
		}
		if at := recordedAt(e.At); at != "" {
			from = append(from, at)
		}
		if len(from) > 0 {
			p.SetFont("letter", "", 8)
			p.SetTextColor(80, 80, 80)
			p.SetX(histMarginL + histDateW)
			p.MultiCell(bodyW, 3.8, txt(strings.Join(from, " · ")), "", "L", false)
			p.SetTextColor(0, 0, 0)
		}
		p.Ln(1.5)
	}
	if missing {
		p.Ln(3)
		p.SetFont("letter", "", 9)
		p.MultiCell(0, 4.4, "Some characters could not be printed in this font and are shown as ?: the workbook "+
			"exported with this PDF holds the exact text.", "", "L", false)
	}
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, fmt.Errorf("print history: %w", err)
	}
	return buf.Bytes(), nil
}
