package reports

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"pme"
)

// The agenda workbook (casework.md, "The meeting agenda"): one sheet, Agenda, that the meeting
// reads and fills in, and a very hidden sheet, pme, that says which agenda it is. The Agenda sheet
// has a title, a line of instructions and any warnings above one header row; under it each
// section in the spec's order opens with a heading row ("New cases (3)", or "New cases: none")
// followed by its items. The sheet is protected (no password: it guards against slips, not
// people) with only the four decision columns of case rows unlocked, and the Decision column is a
// real drop-down. The reader (decisions.go) finds the header by name, so columns moved or rows
// sorted still read correctly.

// Sheet names of the agenda workbook.
const (
	AgendaSheet     = "Agenda"
	agendaMetaSheet = "pme"
)

// Keys of the pme sheet: one key and value a row; each case on the agenda is a "case" row.
const (
	metaFormat    = "pme agenda"
	metaFormatV1  = "1"
	metaMeeting   = "meeting"
	metaDate      = "date"
	metaAgendaID  = "agenda_id"
	metaFactsAsOf = "facts_as_of"
	metaCase      = "case"
)

// agendaHeaderRow is the header's row: below the title, the instructions and the warnings line,
// and well inside the rows the reader searches for it.
const agendaHeaderRow = 4

// meetingNames are the meetings' names in full, for the title.
var meetingNames = map[string]string{
	pme.MeetingCOOS: "Children Out of School (COOS) meeting",
	pme.MeetingVCEC: "Vulnerable Children Education Commissioning (VCEC) panel",
}

// agendaColumn is one column of the Agenda sheet and how an item fills it.
type agendaColumn struct {
	xlColumn
	edit bool                        // one of the four decision columns: unlocked, left blank
	cell func(it pme.AgendaItem) any // nil for the decision columns
}

// agendaColumns returns the Agenda sheet's columns for a meeting: the facts of each item, then the
// four decision columns, exactly as the spec names them.
func agendaColumns(meeting string, today pme.Date) []agendaColumn {
	cols := []agendaColumn{
		{xlColumn{name: "Section", width: 18, wrap: true}, false, func(it pme.AgendaItem) any { return sectionTitle(it.Section) }},
		{xlColumn{name: pme.ColumnCaseID, width: 14}, false, func(it pme.AgendaItem) any { return it.CaseID }},
		{xlColumn{name: "Child", width: 20, wrap: true}, false, func(it pme.AgendaItem) any { return it.Child }},
		{xlColumn{name: "UPN", width: 15}, false, func(it pme.AgendaItem) any { return it.UPN }},
		{xlColumn{name: "School", width: 24, wrap: true}, false, agendaSchool},
		{xlColumn{name: "Severity", width: 9}, false, func(it pme.AgendaItem) any { return it.Severity }},
		{xlColumn{name: "Why", width: 48, wrap: true}, false, agendaWhy},
		{xlColumn{name: "Handling", width: 20, wrap: true}, false, func(it pme.AgendaItem) any { return handlingText(it) }},
		{xlColumn{name: "Open actions", width: 36, wrap: true}, false, func(it pme.AgendaItem) any { return actionsText(it.Actions, today) }},
		{xlColumn{name: "Last note", width: 30, wrap: true}, false, lastNoteText},
		{xlColumn{name: "Letter ID", width: 16}, false, func(it pme.AgendaItem) any { return it.LetterID }},
		{xlColumn{name: "Sent", width: 11, date: true}, false, func(it pme.AgendaItem) any { return it.Sent }},
		{xlColumn{name: "Reply by", width: 11, date: true}, false, func(it pme.AgendaItem) any { return it.ReplyBy }},
	}
	switch meeting {
	case pme.MeetingCOOS:
		cols = append(cols, agendaColumn{xlColumn{name: "Days flagged", width: 8}, false, func(it pme.AgendaItem) any {
			if it.DaysFlagged == 0 {
				return nil
			}
			return it.DaysFlagged
		}})
	case pme.MeetingVCEC:
		cols = append(cols, agendaColumn{xlColumn{name: "History", width: 50, wrap: true}, false, func(it pme.AgendaItem) any {
			return strings.Join(it.History, "\n")
		}})
	}
	return append(cols,
		agendaColumn{xlColumn{name: pme.ColumnDecision, width: 18}, true, nil},
		agendaColumn{xlColumn{name: pme.ColumnText, width: 40, wrap: true}, true, nil},
		agendaColumn{xlColumn{name: pme.ColumnOwner, width: 18, wrap: true}, true, nil},
		agendaColumn{xlColumn{name: pme.ColumnDue, width: 14, date: true}, true, nil},
	)
}

func sectionTitle(id string) string {
	if t := pme.SectionTitles[id]; t != "" {
		return t
	}
	return id
}

func agendaSchool(it pme.AgendaItem) any { return schoolLabel(it.School, it.LAESTAB) }

// schoolLabel names a school as a person reads it: "Synthetic Academy (8912345)", or whichever
// of the two is known.
func schoolLabel(name, laestab string) string {
	switch {
	case name != "" && laestab != "":
		return name + " (" + laestab + ")"
	case name != "":
		return name
	}
	return laestab
}

// agendaWhy is the rule explanations, then what a schools or assurance item adds.
func agendaWhy(it pme.AgendaItem) any {
	lines := append([]string(nil), it.Why...)
	if it.Assurance != "" {
		lines = append(lines, "Assurance in reply: "+it.Assurance)
	}
	if it.Detail != "" {
		lines = append(lines, it.Detail)
	}
	return strings.Join(lines, "\n")
}

// handlingText is the handling in words: "in-hand until 11/12/2026" or "escalated: <reason>",
// why it came back to unreviewed, and who holds the case. (The case owner is not a column of its
// own: "Owner" is the decision column's header.)
func handlingText(it pme.AgendaItem) string {
	s := it.Handling
	switch {
	case it.Handling == pme.HandlingInHand && !it.Review.IsZero():
		s += " until " + it.Review.UK()
	case it.Reason != "":
		s += ": " + it.Reason
	}
	if it.ReturnedBecause != "" {
		s += " (back because " + it.ReturnedBecause + ")"
	}
	if it.Owner != "" {
		s += "\nHeld by " + it.Owner
	}
	return s
}

// actionsText lists open actions one a line: "Visit home – J. Smith, due 04/12/2026 (overdue)".
func actionsText(actions []pme.Action, today pme.Date) string {
	var lines []string
	for _, a := range actions {
		if a.Status != "" && a.Status != pme.ActionOpen {
			continue
		}
		line := a.Text
		if a.Owner != "" {
			line += " – " + a.Owner
		}
		if !a.Due.IsZero() {
			line += ", due " + a.Due.UK()
			if a.Overdue(today) {
				line += " (overdue)"
			}
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

func lastNoteText(it pme.AgendaItem) any {
	if it.LastNote == nil {
		return nil
	}
	if it.LastNote.At.IsZero() {
		return it.LastNote.Text
	}
	return pme.DateOf(it.LastNote.At).UK() + ": " + it.LastNote.Text
}

// AgendaFileName is the agenda workbook's file name: coos-2026-11-27.xlsx.
func AgendaFileName(meeting string, date pme.Date) string {
	return meeting + "-" + date.String() + ".xlsx"
}

// WriteAgenda writes a's workbook to dir/<meeting>-YYYY-MM-DD.xlsx and returns its path. The
// sections are a.Sections in that order (the meeting's full list when empty); a section with no
// items says so.
func WriteAgenda(dir string, a pme.Agenda) (string, error) {
	if err := checkAgenda(a); err != nil {
		return "", fmt.Errorf("write agenda: %w", err)
	}
	path := filepath.Join(dir, AgendaFileName(a.Meeting, a.Date))
	b, err := newXLBook(AgendaSheet)
	if err != nil {
		return "", fmt.Errorf("write agenda: %w", err)
	}
	if err := writeAgendaSheet(b, a); err != nil {
		b.f.Close()
		return "", fmt.Errorf("write agenda %s: %w", path, err)
	}
	if err := writeAgendaMeta(b, a); err != nil {
		b.f.Close()
		return "", fmt.Errorf("write agenda %s: %w", path, err)
	}
	title := strings.ToUpper(a.Meeting) + " agenda " + a.Date.UK()
	asAt := a.FactsAsOf
	if asAt.IsZero() {
		asAt = a.Date
	}
	if err := b.save(path, title, asAt.Time()); err != nil {
		return "", fmt.Errorf("write agenda: %w", err)
	}
	return path, nil
}

func checkAgenda(a pme.Agenda) error {
	if meetingNames[a.Meeting] == "" {
		return fmt.Errorf("unknown meeting %q: want %s or %s", a.Meeting, pme.MeetingCOOS, pme.MeetingVCEC)
	}
	if a.Date.IsZero() {
		return errors.New("no meeting date")
	}
	if a.ID == "" {
		return errors.New("no agenda id")
	}
	return nil
}

// agendaSections returns the sections to write, in order.
func agendaSections(a pme.Agenda) []string {
	if len(a.Sections) > 0 {
		return a.Sections
	}
	if a.Meeting == pme.MeetingVCEC {
		return pme.VCECSections
	}
	return pme.COOSSections
}

// agendaStyles are the Agenda sheet's own styles, beyond xlBook's.
type agendaStyles struct {
	section, editText, editWrap, editDate int
}

func newAgendaStyles(b *xlBook) (agendaStyles, error) {
	var s agendaStyles
	top := &excelize.Alignment{Vertical: "top"}
	wrap := &excelize.Alignment{Vertical: "top", WrapText: true}
	unlocked := &excelize.Protection{Locked: false}
	editFill := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFF2CC"}}
	editBorder := []excelize.Border{
		{Type: "left", Color: "BFBFBF", Style: 1}, {Type: "right", Color: "BFBFBF", Style: 1},
		{Type: "top", Color: "BFBFBF", Style: 1}, {Type: "bottom", Color: "BFBFBF", Style: 1},
	}
	dateFmt := "dd/mm/yyyy"
	for _, st := range []struct {
		id *int
		s  *excelize.Style
	}{
		{&s.section, &excelize.Style{
			Font:      &excelize.Font{Bold: true, Size: 12, Color: "1F3864"},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
			Border:    []excelize.Border{{Type: "top", Color: "8EA9DB", Style: 1}},
			Alignment: top,
		}},
		{&s.editText, &excelize.Style{Fill: editFill, Border: editBorder, Alignment: top, Protection: unlocked}},
		{&s.editWrap, &excelize.Style{Fill: editFill, Border: editBorder, Alignment: wrap, Protection: unlocked}},
		{&s.editDate, &excelize.Style{Fill: editFill, Border: editBorder, Protection: unlocked,
			CustomNumFmt: &dateFmt, Alignment: &excelize.Alignment{Vertical: "top", Horizontal: "left"}}},
	} {
		id, err := b.f.NewStyle(st.s)
		if err != nil {
			return s, fmt.Errorf("add style: %w", err)
		}
		*st.id = id
	}
	return s, nil
}

func writeAgendaSheet(b *xlBook, a pme.Agenda) error {
	const sh = AgendaSheet
	cols := agendaColumns(a.Meeting, a.Date)
	st, err := newAgendaStyles(b)
	if err != nil {
		return err
	}
	total := 0.0
	for _, c := range cols {
		total += c.width
	}
	if err := agendaPreamble(b, a, len(cols), total); err != nil {
		return err
	}
	for i, c := range cols {
		if err := b.set(sh, i+1, agendaHeaderRow, c.name); err != nil {
			return err
		}
		if err := b.width(sh, i+1, c.width); err != nil {
			return err
		}
	}
	if err := b.style(sh, 1, agendaHeaderRow, len(cols), agendaHeaderRow, b.header); err != nil {
		return err
	}

	bySection := map[string][]pme.AgendaItem{}
	for _, it := range a.Items {
		bySection[it.Section] = append(bySection[it.Section], it)
	}
	row := agendaHeaderRow
	for _, sec := range agendaSections(a) {
		items := bySection[sec]
		row++
		heading := fmt.Sprintf("%s (%d)", sectionTitle(sec), len(items))
		if len(items) == 0 {
			heading = sectionTitle(sec) + ": none"
		}
		if err := b.set(sh, 1, row, heading); err != nil {
			return err
		}
		if err := b.style(sh, 1, row, len(cols), row, st.section); err != nil {
			return err
		}
		for _, it := range items {
			row++
			if err := agendaItemRow(b, st, cols, row, it); err != nil {
				return err
			}
		}
	}
	last := row
	if err := agendaDropDown(b, cols, last); err != nil {
		return err
	}
	if err := b.f.SetPanes(sh, &excelize.Panes{
		Freeze: true, XSplit: 2, YSplit: agendaHeaderRow, TopLeftCell: xlCell(3, agendaHeaderRow+1), ActivePane: "bottomRight",
		Selection: []excelize.Selection{{SQRef: xlCell(3, agendaHeaderRow+1), ActiveCell: xlCell(3, agendaHeaderRow+1), Pane: "bottomRight"}},
	}); err != nil {
		return fmt.Errorf("freeze agenda header: %w", err)
	}
	if err := b.f.AutoFilter(sh, xlCell(1, agendaHeaderRow)+":"+xlCell(len(cols), last), nil); err != nil {
		return fmt.Errorf("filter agenda: %w", err)
	}
	if err := b.printSetup(sh, agendaHeaderRow, true); err != nil {
		return err
	}
	// Protected without a password: a guard against typing over the facts by mistake. Sorting and
	// filtering stay allowed; the reader finds rows by their Case ID, not their place.
	if err := b.f.ProtectSheet(sh, &excelize.SheetProtectionOptions{
		SelectLockedCells: true, SelectUnlockedCells: true, AutoFilter: true, Sort: true,
		FormatColumns: true, FormatRows: true,
	}); err != nil {
		return fmt.Errorf("protect agenda: %w", err)
	}
	return nil
}

// agendaPreamble writes the title, the instructions and the warnings above the header.
func agendaPreamble(b *xlBook, a pme.Agenda, ncols int, width float64) error {
	const sh = AgendaSheet
	title := meetingNames[a.Meeting] + ", " + a.Date.Long()
	if err := b.setRow(sh, 1, b.title, title); err != nil {
		return err
	}
	facts := ""
	if !a.FactsAsOf.IsZero() {
		facts = " on the facts of " + a.FactsAsOf.UK()
	}
	help := fmt.Sprintf("Agenda %s, written%s. For each case decided, choose a Decision (%s) and fill in "+
		"%s (the note or action, or the reason for escalate and no-further-action), %s (for an action) and %s "+
		"(dd/mm/yyyy: required for in-hand and action). Rows with no Decision are left as they are. "+
		"Afterwards: pme load decisions <this file>.",
		a.ID, facts, strings.Join(pme.Decisions, ", "), pme.ColumnText, pme.ColumnOwner, pme.ColumnDue)
	if err := b.paragraph(sh, 2, ncols, width, help); err != nil {
		return err
	}
	if len(a.Warnings) > 0 {
		if err := b.paragraph(sh, 3, ncols, width, "Warning: "+strings.Join(a.Warnings, " ")); err != nil {
			return err
		}
		if err := b.style(sh, 1, 3, ncols, 3, b.label); err != nil {
			return err
		}
	}
	return nil
}

// agendaItemRow writes one item: its facts, locked, and for a case its four decision cells,
// unlocked and shaded.
func agendaItemRow(b *xlBook, st agendaStyles, cols []agendaColumn, row int, it pme.AgendaItem) error {
	const sh = AgendaSheet
	lines := 1
	for i, c := range cols {
		if c.edit {
			if it.CaseID == "" {
				continue // a schools item: nothing to decide on this sheet
			}
			s := st.editText
			if c.date {
				s = st.editDate
			} else if c.wrap {
				s = st.editWrap
			}
			if err := b.style(sh, i+1, row, i+1, row, s); err != nil {
				return err
			}
			continue
		}
		v := c.cell(it)
		if err := b.set(sh, i+1, row, v); err != nil {
			return err
		}
		if text, ok := v.(string); ok && c.wrap {
			lines = max(lines, wrappedLines(text, c.width))
		}
		if err := b.style(sh, i+1, row, i+1, row, b.columnStyle(c.xlColumn)); err != nil {
			return err
		}
	}
	// Excel and LibreOffice do not always grow a row to fit wrapped text written by a program:
	// give it the height its longest cell needs.
	if lines > 1 {
		if err := b.f.SetRowHeight(sh, row, 15*float64(lines)+2); err != nil {
			return fmt.Errorf("size agenda row %d: %w", row, err)
		}
	}
	return nil
}

// wrappedLines estimates how many lines text takes wrapped in a column width characters wide.
func wrappedLines(text string, width float64) int {
	n := 0
	for _, line := range strings.Split(text, "\n") {
		n += max(1, int(math.Ceil(float64(utf8.RuneCountInString(line))/(width*0.95))))
	}
	return n
}

// agendaDropDown makes the Decision column a drop-down of the spec's decisions, refusing
// anything else typed in.
func agendaDropDown(b *xlBook, cols []agendaColumn, last int) error {
	col := 0
	for i, c := range cols {
		if c.name == pme.ColumnDecision {
			col = i + 1
		}
	}
	if last <= agendaHeaderRow {
		return nil
	}
	dv := excelize.NewDataValidation(true)
	dv.SetSqref(xlCell(col, agendaHeaderRow+1) + ":" + xlCell(col, last))
	if err := dv.SetDropList(pme.Decisions); err != nil {
		return fmt.Errorf("decision drop-down: %w", err)
	}
	dv.SetInput(pme.ColumnDecision, "Choose from the list, or leave blank.")
	dv.SetError(excelize.DataValidationErrorStyleStop, pme.ColumnDecision,
		"Choose one of: "+strings.Join(pme.Decisions, ", ")+".")
	if err := b.f.AddDataValidation(AgendaSheet, dv); err != nil {
		return fmt.Errorf("decision drop-down: %w", err)
	}
	return nil
}

// writeAgendaMeta writes the very hidden pme sheet: which agenda this is and the cases on it, so
// that the reader knows the meeting whatever the file is called. "Very hidden" keeps it out of
// Excel's Unhide list.
func writeAgendaMeta(b *xlBook, a pme.Agenda) error {
	const sh = agendaMetaSheet
	if err := b.addSheet(sh); err != nil {
		return err
	}
	rows := [][2]string{
		{metaFormat, metaFormatV1},
		{metaMeeting, a.Meeting},
		{metaDate, a.Date.String()},
		{metaAgendaID, a.ID},
		{metaFactsAsOf, a.FactsAsOf.String()},
	}
	seen := map[string]bool{}
	for _, it := range a.Items {
		if it.CaseID != "" && !seen[it.CaseID] {
			seen[it.CaseID] = true
			rows = append(rows, [2]string{metaCase, it.CaseID})
		}
	}
	for i, r := range rows {
		if err := b.setRow(sh, i+1, 0, r[0], r[1]); err != nil {
			return err
		}
	}
	if err := b.f.SetSheetVisible(sh, false, true); err != nil {
		return fmt.Errorf("hide %s sheet: %w", sh, err)
	}
	return nil
}
