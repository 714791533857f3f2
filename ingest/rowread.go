package ingest

import (
	"errors"
	"fmt"

	"pme"
)

// cursor is the data row being read under a sheet's header: the state returns (validator) and
// reference data (refRow) share; each records the row's issues its own way.
type cursor struct {
	sheet  string
	h      *Header
	dates  DateOptions
	today  pme.Date
	latest pme.Date // today.AddYears(1), the latest plausible date other than a birth date
	num    int
	row    []Cell
	errors int // error issues raised on the row
}

// newCursor starts reading the sheet info under its header h, with dates checked against today.
func newCursor(info SheetInfo, h *Header, today pme.Date) cursor {
	return cursor{sheet: info.Name, h: h, today: today, latest: today.AddYears(1), dates: DateOptions{Date1904: info.Date1904, Today: today}}
}

func (c *cursor) text(col string) string       { return c.h.Text(c.row, col) }
func (c *cursor) cell(col string) Cell         { return c.h.Cell(c.row, col) }
func (c *cursor) columnName(col string) string { return c.h.ColumnName(col) }

// issue is an issue on the current row in the named column, showing value; an error is counted.
func (c *cursor) issue(col, value, code, severity, msg string) pme.Issue {
	if severity == pme.SeverityError {
		c.errors++
	}
	return pme.Issue{Sheet: c.sheet, Row: c.num, Column: c.h.ColumnName(col), Value: value,
		Code: code, Severity: severity, Message: msg}
}

// rowReader is what the column readers shared by returns (validator) and reference data (refRow)
// need of a row: each records its issues its own way, but a date or a yes/no cell is read, and
// worded, the same in both.
type rowReader interface {
	cell(col string) Cell
	text(col string) string
	columnName(col string) string
	fail(col, code, msg string)
	// date reads a date column with the reader's own range check.
	date(col string, required, birth bool) (pme.Date, bool)
}

// readDateCell parses the date in col, as a birth date when birth is set, raising REQUIRED for a
// blank required cell and DATE_INVALID for a cell that is not a date. ok is false when the cell is
// blank or an issue was raised; the range check is the caller's, as its limits differ.
func readDateCell(r rowReader, col string, o DateOptions, required, birth bool) (pme.Date, bool) {
	c := r.cell(col)
	if trimSpace(c.Value) == "" {
		if required {
			r.fail(col, pme.CodeRequired, fmt.Sprintf("%s is blank: every row needs it (dd/mm/yyyy).", r.columnName(col)))
		}
		return pme.Date{}, false
	}
	o.BirthDate = birth
	d, err := ParseUKDate(c, o)
	switch {
	case errors.Is(err, ErrDateUS):
		r.fail(col, pme.CodeDateInvalid, "This looks like month/day/year: write dates day first, as dd/mm/yyyy.")
		return pme.Date{}, false
	case errors.Is(err, ErrDateImpossible):
		r.fail(col, pme.CodeDateInvalid, "This is not a real date: check the day and the month.")
		return pme.Date{}, false
	case err != nil:
		r.fail(col, pme.CodeDateInvalid, "This is not a date: write dates as dd/mm/yyyy (for example 02/01/2026).")
		return pme.Date{}, false
	}
	return d, true
}

// readEndDate reads an optional end date and checks it is not before start.
func readEndDate(r rowReader, col string, start pme.Date, startOK bool) pme.Date {
	d, ok := r.date(col, false, false)
	if ok && startOK && d.Before(start) {
		r.fail(col, pme.CodeDateOrder, fmt.Sprintf("This date is before the start date (%s): check both dates.", start.UK()))
	}
	return d
}

// readYesNo reads an optional Y/N column.
func readYesNo(r rowReader, col string) string {
	s := r.text(col)
	if s == "" {
		return ""
	}
	yn, ok := ParseYN(s)
	if !ok {
		r.fail(col, pme.CodeCodeUnknown, "This is not a yes/no answer: use Y or N.")
	}
	return yn
}
