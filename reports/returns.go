package reports

import (
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"pme"
)

// ReturnsSheet is the flagged-case workbook's Returns sheet (compliance.md): one row per expected
// school, worst first, and for each of the last periods one column per return type.
type ReturnsSheet struct {
	Periods []pme.Period // oldest first
	Types   []pme.ReturnType
	Rows    []ReturnsRow
	Counts  map[pme.ReturnStatus]int // the current (last) period's statuses, for the Summary
}

// ReturnsRow is one school's row: Cells[p*len(Types)+t] is period p, type t.
type ReturnsRow struct {
	LAESTAB, School string
	Cells           []ReturnsCell
}

// ReturnsCell is a status and, when something arrived, the date received.
type ReturnsCell struct {
	Status   pme.ReturnStatus // "" when nothing was expected
	Received pme.Date
}

// NotReturningRow is a school escalated as "School not returning" (compliance.md).
type NotReturningRow struct {
	LAESTAB, School string
	Types           string // the return types missed, in words
	PeriodsMissed   int
	LastReceived    pme.Date
	Children        int // on its last reduced-timetable and AP lists
}

// returnFills colour the Returns sheet's cells by status (fill, font): missing red, rejected-only
// orange, late amber, returned and nil green, not due grey.
var returnFills = map[pme.ReturnStatus][2]string{
	pme.StatusMissing:      {"FFC7CE", "9C0006"},
	pme.StatusRejectedOnly: {"F8CBAD", "843C0C"},
	pme.StatusLate:         {"FFEB9C", "9C5700"},
	pme.StatusReturned:     {"C6EFCE", "006100"},
	pme.StatusNil:          {"C6EFCE", "006100"},
	pme.StatusNotDue:       {"EDEDED", "595959"},
}

// returnTypeShort heads the Returns sheet's columns.
var returnTypeShort = map[pme.ReturnType]string{pme.ReducedTimetable: "RT", pme.AlternativeProvision: "AP", pme.Suspensions: "Suspensions"}

// ReturnsStatusOrder is the statuses worst first, as the Summary counts them.
var ReturnsStatusOrder = []pme.ReturnStatus{pme.StatusMissing, pme.StatusRejectedOnly, pme.StatusLate,
	pme.StatusNotDue, pme.StatusNil, pme.StatusReturned}

// ReturnsCountLine says "3 missing, 1 late, 30 returned" for the Summary.
func ReturnsCountLine(counts map[pme.ReturnStatus]int) string {
	var parts []string
	for _, st := range ReturnsStatusOrder {
		if n := counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	if len(parts) == 0 {
		return "no return expected"
	}
	return strings.Join(parts, ", ")
}

// The Returns grid is 2 + 18 columns (six periods of three types): set in 9 point, each status
// over its date in a narrow column, and printed one page wide, it stays readable on A4 landscape.
const (
	returnsFontSize  = 9
	returnsLinePt    = 12.0 // points per line of 9 point text
	returnsGridWidth = 12   // a status column, in characters: "rejected-only" and "due 07/10/2026" fit
)

func flaggedReturnsSheet(b *xlBook, r *ReturnsSheet) error {
	const sh = "Returns"
	if err := b.addSheet(sh); err != nil {
		return err
	}
	cols := []xlColumn{{name: "LAESTAB", width: 8}, {name: "School", width: 26, wrap: true}}
	for _, p := range r.Periods {
		for _, t := range r.Types {
			name := p.ID + "\n" + returnTypeShort[t]
			if !p.Due.IsZero() {
				name += "\ndue " + p.Due.UK()
			}
			cols = append(cols, xlColumn{name: name, width: returnsGridWidth, wrap: true})
		}
	}
	rows := make([][]any, len(r.Rows))
	for i, row := range r.Rows {
		cells := []any{row.LAESTAB, row.School}
		for _, c := range row.Cells {
			text := string(c.Status)
			if !c.Received.IsZero() {
				text += "\n" + c.Received.UK()
			}
			cells = append(cells, text)
		}
		rows[i] = cells
	}
	if err := b.table(sh, cols, rows, "No school is expected to return"); err != nil {
		return err
	}
	if err := returnsLayout(b, sh, len(cols), len(rows)); err != nil {
		return err
	}
	styles := map[pme.ReturnStatus]int{}
	for st, c := range returnFills {
		id, err := b.f.NewStyle(&excelize.Style{
			Font:      &excelize.Font{Color: c[1], Size: returnsFontSize},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c[0]}},
			Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
			Border:    []excelize.Border{{Type: "left", Color: "FFFFFF", Style: 1}, {Type: "bottom", Color: "FFFFFF", Style: 1}},
		})
		if err != nil {
			return fmt.Errorf("add %s colour: %w", st, err)
		}
		styles[st] = id
	}
	for i, row := range r.Rows {
		for j, c := range row.Cells {
			if id, ok := styles[c.Status]; ok {
				if err := b.style(sh, 3+j, i+2, 3+j, i+2, id); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// returnsLayout sets the Returns sheet in 9 point with rows tall enough for a status over its date
// (Excel and LibreOffice do not grow a row for wrapped text written by a program), keeps LAESTAB and
// school in view when scrolling right, and prints it landscape, one page wide, in narrow margins,
// the header row on every page (set by table).
func returnsLayout(b *xlBook, sh string, ncols, nrows int) error {
	small := func(s excelize.Style) (int, error) {
		if s.Font == nil {
			s.Font = &excelize.Font{}
		}
		f := *s.Font
		f.Size = returnsFontSize
		s.Font = &f
		return b.f.NewStyle(&s)
	}
	header, err := small(excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
		Border:    []excelize.Border{{Type: "bottom", Color: "8EA9DB", Style: 1}},
		Alignment: &excelize.Alignment{Vertical: "top", WrapText: true},
	})
	if err != nil {
		return fmt.Errorf("add Returns styles: %w", err)
	}
	body, err := small(excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	if err != nil {
		return fmt.Errorf("add Returns styles: %w", err)
	}
	if err := b.style(sh, 1, 1, ncols, 1, header); err != nil {
		return err
	}
	if err := b.f.SetRowHeight(sh, 1, 4*returnsLinePt+4); err != nil {
		return fmt.Errorf("size Returns header: %w", err)
	}
	if nrows > 0 {
		if err := b.style(sh, 1, 2, ncols, nrows+1, body); err != nil {
			return err
		}
		for row := 2; row <= nrows+1; row++ {
			if err := b.f.SetRowHeight(sh, row, 2*returnsLinePt+3); err != nil {
				return fmt.Errorf("size Returns row %d: %w", row, err)
			}
		}
	}
	if err := b.f.SetPanes(sh, &excelize.Panes{
		Freeze: true, XSplit: 2, YSplit: 1, TopLeftCell: "C2", ActivePane: "bottomRight",
		Selection: []excelize.Selection{{SQRef: "C2", ActiveCell: "C2", Pane: "bottomRight"}},
	}); err != nil {
		return fmt.Errorf("freeze Returns: %w", err)
	}
	narrow, tb := 0.25, 0.5
	if err := b.f.SetPageMargins(sh, &excelize.PageLayoutMarginsOptions{Left: &narrow, Right: &narrow, Top: &tb, Bottom: &tb}); err != nil {
		return fmt.Errorf("set Returns margins: %w", err)
	}
	return b.fitOneWide(sh)
}

var notReturningColumns = []xlColumn{
	{name: "LAESTAB", width: 10},
	{name: "School", width: 32, wrap: true},
	{name: "Returns Missed", width: 34, wrap: true},
	{name: "Periods Missed", width: 10},
	{name: "Last Return Received", width: 12, date: true},
	{name: "Children On Its Last Lists", width: 12},
}

func flaggedNotReturningSheet(b *xlBook, rows []NotReturningRow) error {
	const sh = "Schools not returning"
	if err := b.addSheet(sh); err != nil {
		return err
	}
	out := make([][]any, len(rows))
	for i, r := range rows {
		var last any = "never"
		if !r.LastReceived.IsZero() {
			last = r.LastReceived
		}
		out[i] = []any{r.LAESTAB, r.School, r.Types, r.PeriodsMissed, last, r.Children}
	}
	return b.table(sh, notReturningColumns, out, "No school has missed its returns for long enough to escalate")
}
