package reports

import (
	"encoding/csv"
	"io"
	"strconv"

	"github.com/gocarina/gocsv"

	"pme"
)

// The CSV outputs (the cases CSV, the feedback CSV, manifest.csv) are slices of a struct per
// file, written by gocsv: the struct's csv tags are the header (outputs.md's column names), and
// each field's type says how its cell is written. Every cell type here is formula-safe, so that
// no value from a school's file can run in Excel. Reading CSV stays on encoding/csv (ingest).

// writeCSV writes rows to path as UTF-8 CSV with a byte-order mark (so that Excel shows accents and
// other scripts), CRLF line ends, 0600 and atomically. With no rows it writes the header alone.
func writeCSV[T any](path string, rows []T) error {
	return writeCSVFunc(path, len(rows), func(i int) T { return rows[i] })
}

// csvChunk is how many rows writeCSVFunc hands gocsv at a time: a feedback CSV of a million
// issues is written through one small slice rather than a million-row copy.
const csvChunk = 1024

// writeCSVFunc is writeCSV for n rows made one at a time by row(i).
func writeCSVFunc[T any](path string, n int, row func(int) T) error {
	return WriteFileAtomic(path, func(w io.Writer) error {
		if _, err := io.WriteString(w, "\uFEFF"); err != nil {
			return err
		}
		cw := csv.NewWriter(w)
		cw.UseCRLF = true
		out := gocsv.NewSafeCSVWriter(cw)
		chunk := make([]T, 0, min(n, csvChunk))
		for start := 0; start == 0 || start < n; start += csvChunk {
			chunk = chunk[:0]
			for i := start; i < min(n, start+csvChunk); i++ {
				chunk = append(chunk, row(i))
			}
			marshal := gocsv.MarshalCSVWithoutHeaders
			if start == 0 {
				marshal = gocsv.MarshalCSV // the header, then the first rows
			}
			if err := marshal(chunk, out); err != nil {
				return err
			}
		}
		return nil
	})
}

// SafeText is a CSV cell gocsv writes formula-safe (SafeCell): a value from a school's file or a
// person that Excel must show as text and never run.
type SafeText string

// MarshalCSV implements gocsv's TypeMarshaller.
func (s SafeText) MarshalCSV() (string, error) { return SafeCell(string(s)), nil }

// csvDate is a date cell, dd/mm/yyyy; blank for the zero date.
type csvDate pme.Date

// MarshalCSV implements gocsv's TypeMarshaller.
func (d csvDate) MarshalCSV() (string, error) { return pme.Date(d).UK(), nil }

// csvInt is a whole-number cell, formula-safe like any other (a negative number gains the
// apostrophe, as every cell of these files always has).
type csvInt int

// MarshalCSV implements gocsv's TypeMarshaller.
func (n csvInt) MarshalCSV() (string, error) { return SafeCell(strconv.Itoa(int(n))), nil }

// csvRowNum is a row number as the school sees it in Excel; blank for 0 (a file-level issue has
// no row to look at).
type csvRowNum int

// MarshalCSV implements gocsv's TypeMarshaller.
func (n csvRowNum) MarshalCSV() (string, error) {
	if n <= 0 {
		return "", nil
	}
	return strconv.Itoa(int(n)), nil
}
