package ingest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
)

// The xlsx reader reads the workbook's zip directly and scans each sheet's XML with a small
// purpose-built scanner, instead of going through excelize. Measured on a 100,000-row sheet,
// excelize's streaming Rows iterator reads about 17,000 rows/s (a 1,000,000-row return would take a
// minute, nearly all of it in encoding/xml); it gives values without their cell types (so a number
// could not be told from text); its row iterator stops quietly at broken XML; and it keeps what it
// got from a part that fails to inflate. The scanner streams the part straight out of the zip (no
// temporary files, nothing held in memory but the shared strings), knows each cell's type, and
// reports a damaged sheet as FILE_UNREADABLE. Only what a return needs is read: the sheet list with
// its visibility, the date system, shared strings, and cell values (a formula's cached value).

// Excel's own limits: a sheet has at most this many rows and columns.
const (
	xlsxMaxRows = 1_048_576
	xlsxMaxCols = 16_384
)

// openZip opens a zip archive that is a workbook, or says what else it is.
func openZip(r io.ReaderAt, size int64, name string, lim Limits, file *os.File) (Workbook, error) {
	zr, kind, err := inspectZip(r, size, lim)
	if err != nil {
		return nil, err
	}
	if kind != kindXLSX {
		return nil, formatError(kind, name)
	}
	wb, err := openXLSX(zr, lim, file)
	if err != nil {
		return nil, err
	}
	return wb, nil
}

// xlsxWorkbook is an Excel workbook (xlsx or xlsm) read from its zip.
type xlsxWorkbook struct {
	parts  map[string]*zip.File // by lower-case part name
	sheets []SheetInfo
	paths  map[string]string // sheet name → part name
	sst    *sharedStrings    // the shared strings, loaded by the first call to Rows
	sstErr error
	sstOK  bool
	lim    Limits
	file   *os.File
}

// openXLSX reads the workbook's sheet list, visibility and date system.
func openXLSX(zr *zip.Reader, lim Limits, file *os.File) (*xlsxWorkbook, error) {
	w := &xlsxWorkbook{parts: map[string]*zip.File{}, paths: map[string]string{}, lim: lim, file: file}
	for _, f := range zr.File {
		w.parts[strings.ToLower(strings.ReplaceAll(f.Name, `\`, "/"))] = f
	}
	if err := w.readWorkbook(); err != nil {
		return nil, unreadable("The workbook's list of sheets cannot be read, so the file is damaged", err)
	}
	return w, nil
}

// workbookXML is the part of xl/workbook.xml a return needs.
type workbookXML struct {
	WorkbookPr struct {
		Date1904 string `xml:"date1904,attr"`
	} `xml:"workbookPr"`
	Sheets []struct {
		Name  string     `xml:"name,attr"`
		State string     `xml:"state,attr"`
		Attrs []xml.Attr `xml:",any,attr"` // r:id, in whichever namespace (transitional or strict)
	} `xml:"sheets>sheet"`
}

// relsXML is a relationships part: which part each r:id points to.
type relsXML struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

func (w *xlsxWorkbook) readWorkbook() error {
	var wb workbookXML
	if err := w.decodePart("xl/workbook.xml", &wb); err != nil {
		return err
	}
	var rels relsXML
	if err := w.decodePart("xl/_rels/workbook.xml.rels", &rels); err != nil {
		return err
	}
	targets := map[string]string{}
	for _, r := range rels.Rels {
		targets[r.ID] = partPath(r.Target)
	}
	date1904 := wb.WorkbookPr.Date1904 == "1" || wb.WorkbookPr.Date1904 == "true"
	for _, s := range wb.Sheets {
		if _, dup := w.paths[s.Name]; dup || s.Name == "" {
			return fmt.Errorf("sheet name %q empty or repeated", s.Name)
		}
		w.paths[s.Name] = "" // listed but pointing nowhere: Rows reports the sheet missing
		for _, a := range s.Attrs {
			if a.Name.Local == "id" && a.Name.Space != "" {
				w.paths[s.Name] = targets[a.Value]
			}
		}
		hidden := s.State == "hidden" || s.State == "veryHidden"
		w.sheets = append(w.sheets, SheetInfo{Name: s.Name, Hidden: hidden, Date1904: date1904})
	}
	return nil
}

// partPath resolves a relationship target of xl/workbook.xml to a part name.
func partPath(target string) string {
	if strings.HasPrefix(target, "/") {
		return strings.ToLower(strings.TrimPrefix(target, "/"))
	}
	return strings.ToLower(path.Join("xl", target))
}

// decodePart unmarshals a small XML part.
func (w *xlsxWorkbook) decodePart(name string, v any) error {
	f, ok := w.parts[name]
	if !ok {
		return fmt.Errorf("part %s missing", name)
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	defer rc.Close()
	if err := xml.NewDecoder(rc).Decode(v); err != nil {
		return fmt.Errorf("decode %s: %w", name, err)
	}
	return nil
}

// Sheets returns the workbook's sheets in tab order, hidden ones included (marked Hidden).
func (w *xlsxWorkbook) Sheets() []SheetInfo { return w.sheets }

// Rows streams a sheet's rows straight from the zip.
func (w *xlsxWorkbook) Rows(sheet string) (RowIter, error) {
	name, ok := w.paths[sheet]
	if !ok {
		return nil, fmt.Errorf("xlsx rows: no sheet %q", sheet)
	}
	part, ok := w.parts[name]
	if !ok {
		return nil, unreadable(fmt.Sprintf("The sheet %q is missing from the workbook, so the file is damaged", sheet), nil)
	}
	if err := w.loadSharedStrings(); err != nil {
		return nil, err
	}
	rc, err := part.Open()
	if err != nil {
		return nil, unreadable(fmt.Sprintf("The sheet %q cannot be read", sheet), err)
	}
	return &xlsxRows{
		sheetScanner: sheetScanner{br: bufio.NewReaderSize(rc, 64<<10), sst: w.sst},
		rc:           rc, sheet: sheet, lim: w.lim,
	}, nil
}

// Close closes the file when the workbook was opened from a path.
func (w *xlsxWorkbook) Close() error {
	if w.file == nil {
		return nil
	}
	err := w.file.Close()
	w.file = nil
	return err
}

// loadSharedStrings reads the shared string table once. Excel stores every text cell's text there;
// it is held in memory (its size is bounded by MaxUnzippedBytes).
func (w *xlsxWorkbook) loadSharedStrings() error {
	if w.sstOK {
		return w.sstErr
	}
	w.sstOK = true
	name := "xl/sharedstrings.xml"
	var rels relsXML
	if err := w.decodePart("xl/_rels/workbook.xml.rels", &rels); err == nil {
		for _, r := range rels.Rels {
			if strings.HasSuffix(r.Type, "/sharedStrings") {
				name = partPath(r.Target)
			}
		}
	}
	f, ok := w.parts[name]
	if !ok {
		return nil // a workbook with no text has no shared strings
	}
	w.sst, w.sstErr = openSharedStrings(f)
	if w.sstErr != nil {
		w.sstErr = unreadable("The workbook's text (its shared strings) cannot be read, so the file is damaged", w.sstErr)
	}
	return w.sstErr
}

// openSharedStrings reads the shared strings part.
func openSharedStrings(f *zip.File) (*sharedStrings, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return readSharedStrings(rc)
}

// xlsxRows is the RowIter of one sheet.
type xlsxRows struct {
	sheetScanner
	rc    io.Closer
	sheet string
	lim   Limits
	count int // non-blank rows so far
	err   error
}

// Next advances to the next row with content.
func (it *xlsxRows) Next() bool {
	if it.err != nil {
		return false
	}
	for {
		ok, err := it.scanRow()
		if err != nil {
			it.err = unreadable(fmt.Sprintf("The sheet %q is damaged (after row %d)", it.sheet, it.num), err)
			return false
		}
		if !ok {
			return false
		}
		it.cells = trimCells(it.cells)
		if len(it.cells) == 0 {
			continue
		}
		it.count++
		if it.count > it.lim.MaxRowsPerSheet+leadingRows {
			it.err = rowLimitError(it.sheet, it.lim)
			return false
		}
		return true
	}
}

// Row returns the current row's cells; the slice is reused by Next.
func (it *xlsxRows) Row() []Cell { return it.cells }

// Num returns the current row's number in the sheet, as Excel shows it.
func (it *xlsxRows) Num() int { return it.num }

// Err returns the error that stopped Next, if any.
func (it *xlsxRows) Err() error { return it.err }

// Close closes the sheet's stream.
func (it *xlsxRows) Close() error {
	if it.rc == nil {
		return nil
	}
	err := it.rc.Close()
	it.rc = nil
	if err != nil {
		return fmt.Errorf("close sheet %q: %w", it.sheet, err)
	}
	return nil
}

// sheetScanner reads the <sheetData> of a worksheet part, one <row> at a time. It understands the
// little of XML that Excel and other writers use there: elements with or without a namespace
// prefix, quoted attributes, the five named entities and character references, comments,
// processing instructions and CDATA. It allocates one string per non-shared-string cell.
type sheetScanner struct {
	br    *bufio.Reader
	sst   *sharedStrings // nil when the workbook has none
	cells []Cell
	num   int // the current row's number

	inSheetData, done bool
	inIS, inRPh       bool
	sawIS             bool   // the current cell has an <is> (an inline string, whatever its t says)
	capture           bool   // inside <v>, or a <t> of an inline string
	col               int    // the current cell's column, 1-based
	cellType          []byte // the current cell's t attribute
	text              []byte // the current cell's <v> or inline text, raw

	// the tag just read
	tag                  []byte // local name
	closing, selfClosing bool
	attrR, attrT         []byte
}

// scanRow reads up to the end of the next <row>, filling cells and num; false at </sheetData>.
func (s *sheetScanner) scanRow() (bool, error) {
	s.cells = s.cells[:0]
	inRow := false
	for {
		if s.done {
			return false, nil
		}
		text, err := s.br.ReadSlice('<')
		if err == bufio.ErrBufferFull {
			if s.capture {
				s.text = append(s.text, text...)
			}
			continue
		}
		if err != nil {
			if err == io.EOF {
				if s.inSheetData || inRow {
					return false, io.ErrUnexpectedEOF
				}
				s.done = true
				return false, nil // no <sheetData>: a chart sheet or an empty sheet
			}
			return false, err
		}
		if s.capture {
			s.text = append(s.text, text[:len(text)-1]...)
		}
		if err := s.readTag(); err != nil {
			return false, err
		}
		if len(s.tag) == 0 {
			continue // comment, processing instruction or CDATA
		}
		if !s.inSheetData {
			if string(s.tag) == "sheetData" && !s.closing {
				s.inSheetData = true
				s.done = s.selfClosing
			}
			continue
		}
		rowDone, err := s.element(&inRow)
		if err != nil || rowDone {
			return rowDone, err
		}
	}
}

// element handles one tag inside <sheetData>; it reports whether a row has just ended.
func (s *sheetScanner) element(inRow *bool) (bool, error) {
	switch string(s.tag) {
	case "sheetData":
		if s.closing {
			s.done = true
			if *inRow {
				return false, errors.New("row not closed")
			}
			return false, nil
		}
	case "row":
		if s.closing {
			*inRow = false
			return true, nil
		}
		if *inRow {
			return false, errors.New("row not closed")
		}
		n := s.num + 1
		if len(s.attrR) > 0 {
			v, err := strconv.Atoi(string(s.attrR))
			if err != nil {
				return false, fmt.Errorf("row number %q", s.attrR)
			}
			n = v
		}
		if n <= s.num || n > xlsxMaxRows {
			return false, fmt.Errorf("row number %d after %d", n, s.num)
		}
		s.num, s.col = n, 0
		*inRow = !s.selfClosing
		return s.selfClosing, nil
	case "c":
		if !*inRow {
			return false, nil
		}
		if s.closing {
			return false, s.endCell()
		}
		if err := s.startCell(); err != nil {
			return false, err
		}
		if s.selfClosing {
			return false, s.endCell()
		}
	case "v":
		s.capture = !s.closing && !s.selfClosing && *inRow
	case "is":
		s.inIS = !s.closing && !s.selfClosing
		s.sawIS = s.sawIS || s.inIS
	case "rPh":
		s.inRPh = !s.closing && !s.selfClosing
	case "t":
		s.capture = s.inIS && !s.inRPh && !s.closing && !s.selfClosing
	}
	return false, nil
}

// startCell begins a <c>: its column from its reference (or the next column), and its type.
func (s *sheetScanner) startCell() error {
	col := s.col + 1
	if len(s.attrR) > 0 {
		c, ok := columnOf(s.attrR)
		if !ok {
			return fmt.Errorf("cell reference %q", s.attrR)
		}
		col = c
	}
	if col > xlsxMaxCols {
		return fmt.Errorf("column %d", col)
	}
	s.col = col
	s.cellType = append(s.cellType[:0], s.attrT...)
	s.text = s.text[:0]
	s.capture, s.inIS, s.inRPh, s.sawIS = false, false, false, false
	return nil
}

// endCell stores the finished cell at its column.
func (s *sheetScanner) endCell() error {
	s.capture = false
	c, err := s.cellValue()
	if err != nil || c.Value == "" {
		return err
	}
	for len(s.cells) < s.col {
		s.cells = append(s.cells, Cell{})
	}
	s.cells[s.col-1] = c
	return nil
}

// cellValue turns the cell's raw text into its value by its type: a shared string is looked up, a
// number is kept as written with Number set, a boolean reads TRUE/FALSE as Excel shows it, a
// formula's value is the cached <v> (the formula itself is ignored).
func (s *sheetScanner) cellValue() (Cell, error) {
	raw := s.text
	if bytes.IndexByte(raw, '&') >= 0 || bytes.IndexByte(raw, '\r') >= 0 {
		raw = unescapeXMLText(raw)
	}
	if s.sawIS {
		return Cell{Value: decodeExcelEscapes(string(raw))}, nil
	}
	switch string(s.cellType) {
	case "s":
		i, err := strconv.Atoi(string(bytes.TrimSpace(raw)))
		if len(raw) == 0 {
			return Cell{}, nil
		}
		if err != nil || i < 0 || s.sst == nil || i >= s.sst.len() {
			return Cell{}, fmt.Errorf("shared string %q out of range", raw)
		}
		return Cell{Value: s.sst.at(i)}, nil
	case "inlineStr", "str", "e":
		return Cell{Value: decodeExcelEscapes(string(raw))}, nil
	case "b":
		switch string(raw) {
		case "1":
			return Cell{Value: "TRUE"}, nil
		case "0":
			return Cell{Value: "FALSE"}, nil
		}
		return Cell{Value: string(raw)}, nil
	case "d":
		return Cell{Value: string(raw)}, nil // an ISO 8601 date (strict OOXML), parsed as text
	}
	v := string(bytes.TrimSpace(raw))
	return Cell{Value: v, Number: v != ""}, nil
}

// readTag reads a tag after its '<' into s.tag (local name, without prefix), s.closing,
// s.selfClosing, and the r and t attributes. Comments, processing instructions and declarations
// leave s.tag empty; CDATA content goes to the text being captured.
func (s *sheetScanner) readTag() error {
	s.tag, s.attrR, s.attrT = s.tag[:0], s.attrR[:0], s.attrT[:0]
	s.closing, s.selfClosing = false, false
	b, err := s.br.ReadByte()
	if err != nil {
		return eof(err)
	}
	switch b {
	case '?':
		return s.skipPast("?>")
	case '!':
		return s.readBang()
	case '/':
		s.closing = true
		b, err = s.br.ReadByte()
		if err != nil {
			return eof(err)
		}
	}
	for !isXMLSpace(b) && b != '>' && b != '/' {
		if b == ':' {
			s.tag = s.tag[:0] // drop the namespace prefix
		} else {
			s.tag = append(s.tag, b)
		}
		if len(s.tag) > 64 {
			return errors.New("tag name too long")
		}
		if b, err = s.br.ReadByte(); err != nil {
			return eof(err)
		}
	}
	if len(s.tag) == 0 {
		return errors.New("empty tag name")
	}
	return s.readAttrs(b)
}

// readAttrs reads a tag's attributes up to its '>', keeping r and t. b is the byte after the name.
func (s *sheetScanner) readAttrs(b byte) error {
	var name [8]byte
	for {
		for isXMLSpace(b) {
			var err error
			if b, err = s.br.ReadByte(); err != nil {
				return eof(err)
			}
		}
		switch b {
		case '>':
			return nil
		case '/':
			c, err := s.br.ReadByte()
			if err != nil {
				return eof(err)
			}
			if c != '>' {
				return errors.New("'/' not followed by '>' in a tag")
			}
			s.selfClosing = true
			return nil
		}
		n := 0
		for b != '=' && !isXMLSpace(b) {
			if b == '>' || b == '/' || b == '"' || b == '\'' {
				return errors.New("attribute without a value")
			}
			if b == ':' {
				n = 0
			} else if n < len(name) {
				name[n] = b
				n++
			} else {
				n = len(name) + 1 // too long to be r or t
			}
			var err error
			if b, err = s.br.ReadByte(); err != nil {
				return eof(err)
			}
		}
		quote, err := s.skipToQuote(b)
		if err != nil {
			return err
		}
		val, err := s.br.ReadSlice(quote)
		if err != nil {
			return eof(err)
		}
		val = val[:len(val)-1]
		if n <= len(name) && !s.closing {
			switch string(name[:n]) {
			case "r":
				s.attrR = append(s.attrR, val...)
			case "t":
				s.attrT = append(s.attrT, val...)
			}
		}
		if b, err = s.br.ReadByte(); err != nil {
			return eof(err)
		}
	}
}

// skipToQuote skips "= " after an attribute name (b is the byte after the name) and returns the
// opening quote.
func (s *sheetScanner) skipToQuote(b byte) (byte, error) {
	seenEq := false
	for {
		switch {
		case b == '=' && !seenEq:
			seenEq = true
		case (b == '"' || b == '\'') && seenEq:
			return b, nil
		case !isXMLSpace(b):
			return 0, errors.New("malformed attribute")
		}
		var err error
		if b, err = s.br.ReadByte(); err != nil {
			return 0, eof(err)
		}
	}
}

// readBang handles "<!": a comment, CDATA (its content is text) or a declaration. A DOCTYPE is
// refused: Excel never writes one, and its entities are a classic XML attack.
func (s *sheetScanner) readBang() error {
	peek, _ := s.br.Peek(7)
	switch {
	case bytes.HasPrefix(peek, []byte("--")):
		return s.skipPast("-->")
	case bytes.HasPrefix(peek, []byte("[CDATA[")):
		s.br.Discard(7)
		return s.readCDATA()
	}
	return errors.New("DOCTYPE or other declaration in a worksheet")
}

// readCDATA appends CDATA content (up to "]]>") to the captured text.
func (s *sheetScanner) readCDATA() error {
	start := len(s.text)
	for {
		b, err := s.br.ReadByte()
		if err != nil {
			return eof(err)
		}
		s.text = append(s.text, b)
		if n := len(s.text); n-start >= 3 && string(s.text[n-3:]) == "]]>" {
			s.text = s.text[:n-3]
			if !s.capture {
				s.text = s.text[:start]
			}
			return nil
		}
	}
}

// skipPast reads past the next occurrence of end.
func (s *sheetScanner) skipPast(end string) error {
	last := end[len(end)-1]
	var tail []byte
	for {
		b, err := s.br.ReadByte()
		if err != nil {
			return eof(err)
		}
		tail = append(tail, b)
		if len(tail) > len(end) {
			tail = tail[1:]
		}
		if b == last && string(tail) == end {
			return nil
		}
	}
}

func eof(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func isXMLSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// columnOf returns the 1-based column of a cell reference such as "AB12" (the letters only).
func columnOf(ref []byte) (int, bool) {
	col, i := 0, 0
	for ; i < len(ref); i++ {
		c := ref[i]
		switch {
		case c >= 'A' && c <= 'Z':
			col = col*26 + int(c-'A'+1)
		case c >= 'a' && c <= 'z':
			col = col*26 + int(c-'a'+1)
		default:
			return col, i > 0 && col <= xlsxMaxCols
		}
		if col > xlsxMaxCols {
			return 0, false
		}
	}
	return col, i > 0
}

// unescapeXMLText decodes entities and normalises line ends (CR LF and CR become LF) in raw XML
// text, as an XML parser does. An unknown or malformed entity is kept as written.
func unescapeXMLText(raw []byte) []byte {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; c {
		case '\r':
			out = append(out, '\n')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
		case '&':
			end := bytes.IndexByte(raw[i:min(len(raw), i+12)], ';')
			if end < 0 {
				out = append(out, c)
				continue
			}
			if r, ok := entity(string(raw[i+1 : i+end])); ok {
				out = append(out, r...)
				i += end
				continue
			}
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return out
}

// entity decodes the body of an entity reference (between & and ;).
func entity(name string) (string, bool) {
	switch name {
	case "lt":
		return "<", true
	case "gt":
		return ">", true
	case "amp":
		return "&", true
	case "quot":
		return `"`, true
	case "apos":
		return "'", true
	}
	if !strings.HasPrefix(name, "#") {
		return "", false
	}
	base, digits := 10, name[1:]
	if strings.HasPrefix(digits, "x") || strings.HasPrefix(digits, "X") {
		base, digits = 16, digits[1:]
	}
	n, err := strconv.ParseUint(digits, base, 32)
	if err != nil || n == 0 || n > 0x10FFFF || (n >= 0xD800 && n <= 0xDFFF) {
		return "", false
	}
	return string(rune(n)), true
}

// decodeExcelEscapes decodes Excel's _xHHHH_ escapes in text (Excel writes a carriage return in a
// cell as _x000D_, and a literal "_x" as _x005F_x).
func decodeExcelEscapes(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i+7 <= len(s) && s[i] == '_' && s[i+1] == 'x' && s[i+6] == '_' {
			if n, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
				if n == 0x0D {
					// Excel pairs _x000D_ with the LF that follows; one line break is what the school typed.
					if i+7 < len(s) && s[i+7] == '\n' {
						i += 6
						continue
					}
					n = '\n'
				}
				b.WriteRune(rune(n))
				i += 6
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
