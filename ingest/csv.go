package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"pme"
)

// csvWorkbook is a CSV or tab-separated text file: one sheet named "". Its encoding and delimiter
// are decided once, at Open, from the first 64 KB.
type csvWorkbook struct {
	r     io.ReaderAt
	size  int64
	enc   textEncoding
	comma rune
	cr    bool // lines end with bare CRs
	lim   Limits
	file  *os.File // closed by Close when the workbook owns it
}

// openCSV prepares a text file for reading: prefix is its first bytes, already sniffed as text in
// encoding enc.
func openCSV(r io.ReaderAt, size int64, prefix []byte, enc textEncoding, lim Limits, file *os.File) *csvWorkbook {
	head := enc.decodeHead(prefix, len(prefix))
	cr := hasCRLines(head)
	if cr {
		head = bytes.ReplaceAll(head, []byte("\r"), []byte("\n"))
	}
	return &csvWorkbook{
		r:     r,
		size:  size,
		enc:   enc,
		comma: sniffDelimiter(head, int64(len(prefix)) < size),
		cr:    cr,
		lim:   lim,
		file:  file,
	}
}

// Sheets returns the one sheet of a CSV file, named "".
func (w *csvWorkbook) Sheets() []SheetInfo { return []SheetInfo{{Name: ""}} }

// Rows streams the file's rows from the start; it may be called again to read the file again.
func (w *csvWorkbook) Rows(sheet string) (RowIter, error) {
	if sheet != "" {
		return nil, fmt.Errorf("csv rows: no sheet %q in a CSV file", sheet)
	}
	cr := csv.NewReader(bufio.NewReaderSize(&lineLimiter{r: w.enc.reader(w.r, w.size, w.cr), line: 1}, 64<<10))
	cr.Comma = w.comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.LazyQuotes = true
	width := int64(1)
	if w.enc.kind == encUTF16LE || w.enc.kind == encUTF16BE {
		width = 2
	}
	return &csvRows{r: cr, lim: w.lim, size: w.size / width}, nil
}

// Close closes the file when the workbook was opened from a path.
func (w *csvWorkbook) Close() error {
	if w.file == nil {
		return nil
	}
	err := w.file.Close()
	w.file = nil
	return err
}

// csvRows is the RowIter of a CSV file.
type csvRows struct {
	r       *csv.Reader
	lim     Limits
	size    int64 // the file's size, in bytes of decoded text (about)
	cells   []Cell
	num     int // the current row's number in Excel
	endLine int // the line the previous record ended on
	rows    int // non-blank rows so far
	err     error
}

// Next reads the next record that has any content. encoding/csv skips blank lines silently, but
// Excel shows them as rows, so the row number is carried forward from line numbers: a record's row
// is the previous record's row plus the lines between them, and a quoted field holding newlines
// keeps its record on one row.
func (it *csvRows) Next() bool {
	if it.err != nil {
		return false
	}
	for {
		rec, err := it.r.Read()
		if err == io.EOF {
			return false
		}
		if err != nil {
			it.err = it.readError(err)
			return false
		}
		if len(rec) > xlsxMaxCols {
			start, _ := it.r.FieldPos(0)
			it.err = unreadable(fmt.Sprintf("Line %d of the file has %d columns, more than a spreadsheet can hold, so the file is damaged or is not a return", start, len(rec)), nil)
			return false
		}
		start, _ := it.r.FieldPos(0)
		last, _ := it.r.FieldPos(len(rec) - 1)
		it.num += start - it.endLine
		it.endLine = last + strings.Count(rec[len(rec)-1], "\n")
		it.cells = it.cells[:0]
		for _, v := range rec {
			it.cells = append(it.cells, Cell{Value: v})
		}
		it.cells = trimCells(it.cells)
		if len(it.cells) == 0 {
			continue
		}
		it.rows++
		if it.rows > it.lim.MaxRowsPerSheet+leadingRows {
			it.err = rowLimitError("", it.lim)
			return false
		}
		return true
	}
}

// RowsHint estimates the file's rows from its size and the bytes of the rows read so far.
func (it *csvRows) RowsHint() int {
	read := it.r.InputOffset()
	if it.rows == 0 || read <= 0 {
		return 0
	}
	n := it.size * int64(it.rows) / read
	if it.lim.MaxRowsPerSheet > 0 {
		n = min(n, int64(it.lim.MaxRowsPerSheet+leadingRows))
	}
	return int(n)
}

// readError turns a CSV read error into the error the caller reports: a parse error is a damaged
// file (with its line, as encoding/csv gives it); anything else is I/O.
func (it *csvRows) readError(err error) error {
	var fe *pme.FileError
	if errors.As(err, &fe) {
		return err // a line too long: the limiter has said what is wrong
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return unreadable(fmt.Sprintf("The file could not be read as CSV at line %d", pe.Line), err)
	}
	return fmt.Errorf("read csv: %w", err)
}

// maxLineBytes is the longest line a CSV return may have. encoding/csv holds a whole line, and
// then its fields, in memory: a 10 MB line of commas took 1.5 GB (512 KB of commas takes 50 MB).
// An Excel row is at most 16,384 cells; a school's return has lines of a few hundred bytes.
const maxLineBytes = 512 << 10

// lineLimiter passes text through and fails, as FILE_UNREADABLE, at a line longer than
// maxLineBytes, before the CSV reader gathers it.
type lineLimiter struct {
	r    io.Reader
	cur  int // bytes since the last newline
	line int // the current line, 1-based
}

// Read implements io.Reader.
func (l *lineLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for b := p[:n]; ; { // newline by newline with IndexByte: byte by byte was 4% of parsing a 1M-row CSV
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b)
		}
		if l.cur += i; l.cur > maxLineBytes {
			return 0, unreadable(fmt.Sprintf("Line %d of the file is longer than %s, far longer than any row of a return, so the file is damaged or is not a return",
				l.line, sizeText(maxLineBytes)), nil)
		}
		if i == len(b) {
			break
		}
		l.cur = 0
		l.line++
		b = b[i+1:]
	}
	return n, err
}

// Row returns the current row's cells; the slice is reused by Next.
func (it *csvRows) Row() []Cell { return it.cells }

// Num returns the current row's number as Excel shows it when it opens the file.
func (it *csvRows) Num() int { return it.num }

// Err returns the error that stopped Next, if any.
func (it *csvRows) Err() error { return it.err }

// Close releases nothing: the workbook owns the file.
func (it *csvRows) Close() error { return nil }

// trimCells drops trailing cells with no content (empty or only spaces): schools' exports often
// carry a ragged tail of empty columns, and a row of only such cells is a blank row.
func trimCells(cells []Cell) []Cell {
	n := len(cells)
	for n > 0 && isBlank(cells[n-1].Value) {
		n--
	}
	return cells[:n]
}

// isBlank reports whether s has no content: empty, or only white space (including no-break spaces).
func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\n', '\f', '\v':
		default:
			return strings.TrimSpace(s[i:]) == ""
		}
	}
	return true
}

// delimiters are the separators a return may use: comma (UK Excel), semicolon (Excel in European
// locales, where the comma is the decimal mark) and tab (Excel's "Unicode text", MIS exports).
var delimiters = [...]byte{',', ';', '\t'}

// maxSniffLines bounds how many lines delimiter detection looks at.
const maxSniffLines = 50

// sniffDelimiter picks the delimiter from the first lines of decoded text: for each candidate, count
// its occurrences outside quotes on every line; the candidate whose commonest non-zero count is
// shared by the most lines is the delimiter (a title row with no delimiters, or a value with a
// stray comma, does not outvote the table). Ties go to the larger count, then to comma. A file with
// none of them is one column, read with comma. truncated says the text is only the file's start, so
// that its last, partial line is not counted.
func sniffDelimiter(text []byte, truncated bool) rune {
	lines := splitSniffLines(text, truncated)
	best, bestFreq, bestCount := byte(','), 0, 0
	for _, d := range delimiters {
		freq := map[int]int{}
		for _, line := range lines {
			if n := countOutsideQuotes(line, d); n > 0 {
				freq[n]++
			}
		}
		for count, f := range freq {
			if f > bestFreq || (f == bestFreq && count > bestCount) {
				best, bestFreq, bestCount = d, f, count
			}
		}
	}
	return rune(best)
}

// splitSniffLines splits text into lines at newlines outside quotes (a quoted field may span lines),
// up to maxSniffLines.
func splitSniffLines(text []byte, truncated bool) [][]byte {
	var lines [][]byte
	inQuotes, start := false, 0
	for i := 0; i < len(text) && len(lines) < maxSniffLines; i++ {
		switch text[i] {
		case '"':
			inQuotes = !inQuotes
		case '\n':
			if !inQuotes {
				lines = append(lines, text[start:i])
				start = i + 1
			}
		}
	}
	if !truncated && start < len(text) && len(lines) < maxSniffLines {
		lines = append(lines, text[start:])
	}
	return lines
}

// countOutsideQuotes counts d in line, ignoring quoted text.
func countOutsideQuotes(line []byte, d byte) int {
	n, inQuotes := 0, false
	for _, c := range line {
		switch {
		case c == '"':
			inQuotes = !inQuotes
		case c == d && !inQuotes:
			n++
		}
	}
	return n
}

// IsText reports a workbook read from a CSV or tab-separated text file, whose reader holds
// nothing from one row to the next.
func IsText(wb Workbook) bool {
	_, ok := wb.(*csvWorkbook)
	return ok
}
