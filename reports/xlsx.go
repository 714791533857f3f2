package reports

import (
	"fmt"
	"io"
	"math"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"pme"
)

// The workbooks are written with excelize's normal (in-memory) API, not its stream writer: the
// stream writer drops autofilters and conditional formats, and these reports are small (one row
// per issue or per case).

// xlColumn describes one column of a table sheet: its header, width and how its cells look.
type xlColumn struct {
	name  string
	width float64
	wrap  bool // long text: wrapped, so the row grows instead of the text running off
	date  bool // pme.Date values, shown dd/mm/yyyy
}

// xlBook is a workbook being written, with the few styles every report shares.
type xlBook struct {
	f                                   *excelize.File
	title, label, header, text, wrapped int
	date, total                         int
}

// newXLBook starts a workbook whose first (and active) sheet is named first.
func newXLBook(first string) (*xlBook, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", first); err != nil {
		return nil, fmt.Errorf("name sheet %s: %w", first, err)
	}
	b := &xlBook{f: f}
	top := &excelize.Alignment{Vertical: "top"}
	wrap := &excelize.Alignment{Vertical: "top", WrapText: true}
	left := &excelize.Alignment{Vertical: "top", Horizontal: "left"}
	dateFmt := "dd/mm/yyyy"
	styles := []struct {
		id *int
		s  *excelize.Style
	}{
		{&b.title, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}},
		{&b.label, &excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: top}},
		{&b.header, &excelize.Style{
			Font:      &excelize.Font{Bold: true},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
			Border:    []excelize.Border{{Type: "bottom", Color: "8EA9DB", Style: 1}},
			Alignment: wrap,
		}},
		{&b.text, &excelize.Style{Alignment: top}},
		{&b.wrapped, &excelize.Style{Alignment: wrap}},
		{&b.date, &excelize.Style{CustomNumFmt: &dateFmt, Alignment: left}},
		{&b.total, &excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: top,
			Border: []excelize.Border{{Type: "top", Color: "000000", Style: 1}}}},
	}
	for _, st := range styles {
		id, err := f.NewStyle(st.s)
		if err != nil {
			return nil, fmt.Errorf("add style: %w", err)
		}
		*st.id = id
	}
	return b, nil
}

// addSheet appends a sheet after the existing ones.
func (b *xlBook) addSheet(name string) error {
	if _, err := b.f.NewSheet(name); err != nil {
		return fmt.Errorf("add sheet %s: %w", name, err)
	}
	return nil
}

// xlCell returns the A1 name of (col, row), both 1-based.
func xlCell(col, row int) string {
	name, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		panic(err) // only reachable with a column or row below 1: a bug here, not bad data
	}
	return name
}

// set writes one value. Every string goes through SafeCell, whether or not it came from a school:
// one rule for every cell is easier to trust than a list of the cells that need it. Excel shows
// a string cell as text in any case; the apostrophe also keeps the value inert when it is copied
// into a CSV or retyped.
func (b *xlBook) set(sheet string, col, row int, v any) error {
	cell := xlCell(col, row)
	var err error
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		if v == "" {
			return nil
		}
		err = b.f.SetCellStr(sheet, cell, SafeCell(v))
	case int:
		err = b.f.SetCellInt(sheet, cell, int64(v))
	case float64:
		err = b.f.SetCellFloat(sheet, cell, v, -1, 64)
	case pme.Date:
		if v.IsZero() {
			return nil
		}
		err = b.f.SetCellValue(sheet, cell, v.Time())
	default:
		return fmt.Errorf("write %s!%s: unsupported value %T", sheet, cell, v)
	}
	if err != nil {
		return fmt.Errorf("write %s!%s: %w", sheet, cell, err)
	}
	return nil
}

// setRow writes values from column 1 of row, with one style for the cells written.
func (b *xlBook) setRow(sheet string, row, style int, vals ...any) error {
	for i, v := range vals {
		if err := b.set(sheet, i+1, row, v); err != nil {
			return err
		}
	}
	if style != 0 && len(vals) > 0 {
		if err := b.f.SetCellStyle(sheet, xlCell(1, row), xlCell(len(vals), row), style); err != nil {
			return fmt.Errorf("style %s row %d: %w", sheet, row, err)
		}
	}
	return nil
}

// width sets the width of column col, in characters.
func (b *xlBook) width(sheet string, col int, w float64) error {
	name, err := excelize.ColumnNumberToName(col)
	if err == nil {
		err = b.f.SetColWidth(sheet, name, name, w)
	}
	if err != nil {
		return fmt.Errorf("size %s column %d: %w", sheet, col, err)
	}
	return nil
}

// style applies a style to a range of cells.
func (b *xlBook) style(sheet string, col1, row1, col2, row2, style int) error {
	if err := b.f.SetCellStyle(sheet, xlCell(col1, row1), xlCell(col2, row2), style); err != nil {
		return fmt.Errorf("style %s: %w", sheet, err)
	}
	return nil
}

// table writes a sheet as one table: a bold header row that stays in view (frozen) and carries a
// filter, column widths, wrapped long text and dd/mm/yyyy dates. With no rows, the line empty is
// written under the header so that the sheet says why it is blank.
func (b *xlBook) table(sheet string, cols []xlColumn, rows [][]any, empty string) error {
	for i, c := range cols {
		if err := b.set(sheet, i+1, 1, c.name); err != nil {
			return err
		}
		if err := b.width(sheet, i+1, c.width); err != nil {
			return err
		}
	}
	if err := b.style(sheet, 1, 1, len(cols), 1, b.header); err != nil {
		return err
	}
	for r, vals := range rows {
		if err := b.setRow(sheet, r+2, 0, vals...); err != nil {
			return err
		}
	}
	last := len(rows) + 1
	if len(rows) == 0 {
		if err := b.set(sheet, 1, 2, empty); err != nil {
			return err
		}
		last = 2
	} else {
		for i, c := range cols {
			if err := b.style(sheet, i+1, 2, i+1, last, b.columnStyle(c)); err != nil {
				return err
			}
		}
	}
	if err := b.f.SetPanes(sheet, &excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return fmt.Errorf("freeze %s header: %w", sheet, err)
	}
	if err := b.f.AutoFilter(sheet, xlCell(1, 1)+":"+xlCell(len(cols), last), nil); err != nil {
		return fmt.Errorf("filter %s: %w", sheet, err)
	}
	return b.printSetup(sheet, 1, false)
}

// columnStyle is the style of a column's data cells: dd/mm/yyyy dates, wrapped long text, or
// plain text at the top of the cell.
func (b *xlBook) columnStyle(c xlColumn) int {
	switch {
	case c.date:
		return b.date
	case c.wrap:
		return b.wrapped
	}
	return b.text
}

// printSetup prints a table landscape on A4 with its header row (headerRow) on every page: the
// case list and the agenda are printed for the weekly Children Out of School meeting. With
// oneWide the sheet is scaled to one page wide, as many pages tall as it needs.
func (b *xlBook) printSetup(sheet string, headerRow int, oneWide bool) error {
	landscape, a4 := "landscape", 9
	if err := b.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape, Size: &a4}); err != nil {
		return fmt.Errorf("set %s page layout: %w", sheet, err)
	}
	if oneWide {
		if err := b.fitOneWide(sheet); err != nil {
			return err
		}
	}
	rows := fmt.Sprintf("$%d:$%d", headerRow, headerRow)
	if err := b.f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Titles", RefersTo: "'" + sheet + "'!" + rows, Scope: sheet,
	}); err != nil {
		return fmt.Errorf("set %s print titles: %w", sheet, err)
	}
	return nil
}

// fitOneWide scales a sheet's print to one page wide, as many pages tall as it needs.
func (b *xlBook) fitOneWide(sheet string) error {
	wide, tall, fit := 1, 0, true
	if err := b.f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return fmt.Errorf("set %s page layout: %w", sheet, err)
	}
	if err := b.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{FitToWidth: &wide, FitToHeight: &tall}); err != nil {
		return fmt.Errorf("set %s page layout: %w", sheet, err)
	}
	return nil
}

// fact is one line of a block of facts: a label in bold and its value.
type fact struct {
	label string
	value any
}

// facts writes label and value pairs in columns A and B from row first down, the labels bold, a
// date value dd/mm/yyyy and any other value in style; it returns the last row written.
func (b *xlBook) facts(sheet string, first int, lines []fact, style int) (int, error) {
	row := first - 1
	for _, f := range lines {
		row++
		if err := b.setRow(sheet, row, 0, f.label, f.value); err != nil {
			return 0, err
		}
		if err := b.style(sheet, 1, row, 1, row, b.label); err != nil {
			return 0, err
		}
		st := style
		if _, ok := f.value.(pme.Date); ok {
			st = b.date
		}
		if err := b.style(sheet, 2, row, 2, row, st); err != nil {
			return 0, err
		}
	}
	return row, nil
}

// paragraph writes text across columns 1..cols of row, merged and wrapped, with a row height
// that fits it: Excel does not grow a merged row to fit its text by itself. width is the total
// width of the merged columns, in characters.
func (b *xlBook) paragraph(sheet string, row, cols int, width float64, text string) error {
	if err := b.set(sheet, 1, row, text); err != nil {
		return err
	}
	if err := b.f.MergeCell(sheet, xlCell(1, row), xlCell(cols, row)); err != nil {
		return fmt.Errorf("merge %s row %d: %w", sheet, row, err)
	}
	if err := b.style(sheet, 1, row, cols, row, b.wrapped); err != nil {
		return err
	}
	lines := math.Ceil(float64(utf8.RuneCountInString(text)) / (width * 0.95))
	if lines < 1 {
		lines = 1
	}
	if err := b.f.SetRowHeight(sheet, row, 15*lines+3); err != nil {
		return fmt.Errorf("size %s row %d: %w", sheet, row, err)
	}
	return nil
}

// save writes the workbook to path: 0600, atomically, opening on its first sheet. The document
// properties carry the date the data is as at (not the clock), so a rerun writes the same thing.
func (b *xlBook) save(path, title string, asAt time.Time) error {
	b.f.SetActiveSheet(0)
	if err := b.f.SetDocProps(&excelize.DocProperties{
		Creator: "pme", LastModifiedBy: "pme", Title: title,
		Created: asAt.UTC().Format(time.RFC3339), Modified: asAt.UTC().Format(time.RFC3339),
	}); err != nil {
		return fmt.Errorf("set properties of %s: %w", path, err)
	}
	defer b.f.Close()
	return WriteFileAtomic(path, func(w io.Writer) error { return b.f.Write(w) })
}

// countWords returns "1 row" or "3 rows".
func countWords(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
