// Package ingest turns the bytes of a school return (CSV or Excel, however messy) into validated
// domain records and the issues found on the way. It streams: a 1,000,000-row file never sits in
// memory whole. It does no database work; the caller hands it a Sink.
package ingest

import (
	"pme"
)

// Limits bound what one file may cost.
type Limits struct {
	MaxFileBytes     int64 // larger files are FILE_TOO_LARGE
	MaxRowsPerSheet  int   // more data rows than this in a sheet is FILE_TOO_LARGE
	MaxUnzippedBytes int64 // the unzipped size of an xlsx part; a zip bomb is FILE_TOO_LARGE
}

// DefaultLimits are the limits of returns.md.
var DefaultLimits = Limits{
	MaxFileBytes:     200 << 20,
	MaxRowsPerSheet:  1_000_000,
	MaxUnzippedBytes: 256 << 20,
}

// Cell is one cell as read from the file. CSV cells are always text. Excel cells carry their raw
// value: a date cell or a number is its serial/number text ("45623", "12.5") with Number set, so
// that the column (not the cell's display format) decides whether it is a date.
type Cell struct {
	Value  string
	Number bool // an Excel numeric cell (including date cells and cached formula numbers)
}

// SheetInfo describes one sheet of a workbook (a CSV file is one sheet named "").
type SheetInfo struct {
	Name     string
	Hidden   bool
	Date1904 bool // the workbook counts serial dates from 1904 (old Mac Excel)
}

// Workbook is an opened return file: one or more sheets to read in order.
type Workbook interface {
	Sheets() []SheetInfo
	// Rows streams the named sheet's rows.
	Rows(sheet string) (RowIter, error)
	Close() error
}

// RowIter streams the rows of one sheet.
type RowIter interface {
	// Next advances to the next row that has any content; it returns false at the end or on error.
	Next() bool
	// Row returns the current row's cells (trailing empty cells trimmed). The slice may be reused by
	// the next call to Next.
	Row() []Cell
	// Num returns the current row's number as the school sees it in Excel: 1-based, counting blank
	// rows and the rows above the header. For CSV, blank lines count as rows and a quoted field
	// holding newlines is one row.
	Num() int
	Err() error
	Close() error
}

// Sink receives what ingest finds in one file, sheet by sheet, in order. The store implements it
// inside the file's transaction. Any error from the sink stops the file.
type Sink interface {
	StartSheet(s pme.SheetResult) error // ReturnType, Sheet and HeaderRow are set
	Records(batch []pme.Record) error   // accepted rows, in file order; the slice is reused after the call
	Issues(batch []pme.Issue) error     // row issues, in file order; the slice is reused after the call
	EndSheet(s pme.SheetResult) error   // final counts, schools and rejected pupils
}
