package ingest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"pme"
)

// Open sniffs the file at path by its content (magic bytes, not its extension), checks the limits
// and returns a Workbook to read it. The caller must Close the Workbook.
//
// A problem with the file itself (empty, damaged, an unsupported format, encrypted, too large) is
// returned as a *pme.FileError whose Message says what was wrong and what to send instead; any other
// error is an I/O error on our side (the file could not be opened or read) and the file should be
// retried, not rejected.
//
// Zero fields of lim take their value from DefaultLimits.
func Open(path string, lim Limits) (Workbook, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", filepath.Base(path), err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %s: %w", filepath.Base(path), err)
	}
	wb, err := open(f, fi.Size(), path, lim, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return wb, nil
}

// OpenReader is Open for data already in hand (fuzz tests, reference loads, uploads): r holds size
// bytes, and name (a file name, only its extension is used) is a hint for the messages when the
// content alone cannot tell, e.g. an OLE2 file that may be an old .xls or an old .doc.
//
// r must stay readable until the Workbook is closed: every call to Rows streams from it.
func OpenReader(r io.ReaderAt, size int64, name string, lim Limits) (Workbook, error) {
	return open(r, size, name, lim, nil)
}

// open sniffs r and opens the right reader. When the data came from a file on disk, file is that
// file (the Workbook then owns it and closes it) and name is its path.
func open(r io.ReaderAt, size int64, name string, lim Limits, file *os.File) (Workbook, error) {
	lim = lim.withDefaults()
	if size > lim.MaxFileBytes {
		return nil, fileErr(pme.CodeFileTooLarge, fmt.Sprintf(
			"The file is %s, more than the %s a return may be: split it into smaller files (for example one per return type) and send them again.",
			sizeText(size), sizeText(lim.MaxFileBytes)))
	}
	if size == 0 {
		return nil, fileErr(pme.CodeFileUnreadable, "The file is empty: send the return again with its data.")
	}
	prefix := make([]byte, min(size, sniffBytes))
	if n, err := r.ReadAt(prefix, 0); n < len(prefix) {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("read %s: %w", filepath.Base(name), err)
	}
	kind, enc := sniffContent(prefix, size > int64(len(prefix)))
	switch kind {
	case kindZip:
		return openZip(r, size, name, lim, file)
	case kindOLE:
		return nil, oleError(r, size, name)
	case kindText:
		return openCSV(r, size, prefix, enc, lim, file), nil
	}
	return nil, formatError(kind, name)
}

// withDefaults fills the zero fields of lim from DefaultLimits, so that Limits{} means "the usual".
func (lim Limits) withDefaults() Limits {
	if lim.MaxFileBytes <= 0 {
		lim.MaxFileBytes = DefaultLimits.MaxFileBytes
	}
	if lim.MaxRowsPerSheet <= 0 {
		lim.MaxRowsPerSheet = DefaultLimits.MaxRowsPerSheet
	}
	if lim.MaxUnzippedBytes <= 0 {
		lim.MaxUnzippedBytes = DefaultLimits.MaxUnzippedBytes
	}
	return lim
}

// leadingRows is how many non-blank rows above the data a sheet may have (title rows and the header:
// the header is looked for within the first 20 rows) without counting against MaxRowsPerSheet.
const leadingRows = 20

// rowLimitError is the error a RowIter returns when a sheet has more data rows than allowed.
func rowLimitError(sheet string, lim Limits) error {
	where := "The file"
	if sheet != "" {
		where = fmt.Sprintf("The sheet %q", sheet)
	}
	return fileErr(pme.CodeFileTooLarge, fmt.Sprintf(
		"%s has more than %d rows of data, the most one return may have: split it into smaller files and send them again.",
		where, lim.MaxRowsPerSheet))
}

// fileErr builds the *pme.FileError that rejects a whole file.
func fileErr(code, msg string) error {
	return &pme.FileError{Code: code, Message: msg}
}

// sendInstead is the sentence every unsupported-format message ends with.
const sendInstead = "save it as .xlsx (Excel Workbook) or CSV and send it again."

// formatError is the FILE_FORMAT error for a file of the given (unsupported) kind.
func formatError(kind sniffKind, name string) error {
	var what string
	switch kind {
	case kindPDF:
		what = "This file is a PDF, which cannot be read as a return: open the original spreadsheet and " + sendInstead
	case kindHTML:
		what = "This file is a web page (HTML) with a spreadsheet name, not a real Excel file: open it in Excel and " + sendInstead
	case kindXMLSpreadsheet:
		what = "This file is an XML document (perhaps an \"XML Spreadsheet 2003\"), not a workbook pme can read: open it in Excel and " + sendInstead
	case kindRTF:
		what = "This file is a Word/RTF document, not a spreadsheet: put the return in a spreadsheet and " + sendInstead
	case kindODS:
		what = "This file is an OpenDocument spreadsheet (.ods): open it in Excel or LibreOffice and " + sendInstead
	case kindDOCX:
		what = "This file is a Word document, not a spreadsheet: put the return in a spreadsheet and " + sendInstead
	case kindXLSB:
		what = "This file is an Excel Binary Workbook (.xlsb), which pme cannot read: open it in Excel and " + sendInstead
	case kindZipOther:
		what = "This file is a zip archive without an Excel workbook in it: send the workbook itself, or " + sendInstead
	case kindLegacyXLS:
		what = "This file is an old-style Excel workbook (.xls, Excel 97-2003), which pme cannot read: open it in Excel and " + sendInstead
	case kindOLEOther:
		what = "This file is an old-style Office document (" + extOr(name, "not .xlsx") + "), which pme cannot read: open it and " + sendInstead
	default:
		what = "This file is not a spreadsheet pme can read (" + extOr(name, "unknown type") + "): " + sendInstead
	}
	return fileErr(pme.CodeFileFormat, what)
}

// extOr returns the file's extension for a message, or alt when it has none.
func extOr(name, alt string) string {
	if ext := strings.ToLower(filepath.Ext(name)); ext != "" {
		return ext
	}
	return alt
}

// unreadable is the FILE_UNREADABLE error for a damaged file.
func unreadable(what string, err error) error {
	msg := what + ": open it in Excel, save it again as .xlsx (Excel Workbook) or CSV, and send it again."
	fe := &pme.FileError{Code: pme.CodeFileUnreadable, Message: msg}
	if err == nil {
		return fe
	}
	return &wrappedFileError{FileError: fe, err: err}
}

// wrappedFileError is a FileError that keeps the underlying cause for logs and errors.Is, while
// errors.As still finds the *pme.FileError the caller reports.
type wrappedFileError struct {
	*pme.FileError
	err error
}

func (e *wrappedFileError) Error() string { return e.FileError.Error() + " (" + e.err.Error() + ")" }

// Unwrap returns both the FileError and its cause.
func (e *wrappedFileError) Unwrap() []error { return []error{e.FileError, e.err} }

// sizeText writes a byte count the way a school office reads it.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
