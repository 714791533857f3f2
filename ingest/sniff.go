package ingest

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/richardlehane/mscfb"

	"pme"
)

// sniffBytes is how much of a file is read to decide what it is (and, for text, its encoding and
// delimiter): enough for many CSV lines, small enough to be free.
const sniffBytes = 64 << 10

// sniffKind is what a file's content says it is.
type sniffKind int

const (
	kindBinary         sniffKind = iota // none of the below: an image, an executable, UTF-16 without a BOM...
	kindText                            // CSV or tab-separated text, read as CSV
	kindZip                             // a zip archive: xlsx, ods, docx or other, told apart by its parts
	kindXLSX                            // a zip holding xl/workbook.xml
	kindODS                             // a zip whose mimetype is application/vnd.oasis.opendocument.*
	kindDOCX                            // a zip holding word/
	kindXLSB                            // a zip holding xl/workbook.bin: Excel's binary format
	kindZipOther                        // any other zip
	kindOLE                             // an OLE2 compound file: .xls, .doc, or an encrypted xlsx
	kindLegacyXLS                       // an OLE2 file that is not encrypted and not named .doc/.ppt
	kindOLEOther                        // an OLE2 file named .doc, .ppt...
	kindPDF                             // %PDF
	kindHTML                            // a web page, often saved by an MIS as .xls/.xlsx
	kindXMLSpreadsheet                  // an XML document (Excel 2003 XML spreadsheet and others)
	kindRTF                             // {\rtf
)

var (
	magicZip      = []byte("PK\x03\x04")
	magicZipEmpty = []byte("PK\x05\x06")
	magicOLE      = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// sniffContent tells from the first bytes of a file what it is. For text it also returns the
// encoding, so that the CSV reader does not have to guess twice.
func sniffContent(prefix []byte, truncated bool) (sniffKind, textEncoding) {
	switch {
	case bytes.HasPrefix(prefix, magicZip), bytes.HasPrefix(prefix, magicZipEmpty):
		return kindZip, textEncoding{}
	case bytes.HasPrefix(prefix, magicOLE):
		return kindOLE, textEncoding{}
	}
	enc := detectEncoding(prefix, truncated)
	head := enc.decodeHead(prefix, 1024)
	if k, ok := sniffMarkup(head); ok {
		return k, enc
	}
	if enc.kind != encUTF16LE && enc.kind != encUTF16BE && bytes.IndexByte(prefix, 0) >= 0 {
		return kindBinary, enc
	}
	if looksBinary(enc.decodeHead(prefix, len(prefix))) {
		return kindBinary, enc
	}
	return kindText, enc
}

// sniffMarkup recognises the text formats that are not CSV: PDF, HTML, XML and RTF, after an
// optional BOM and white space.
func sniffMarkup(head []byte) (sniffKind, bool) {
	head = bytes.TrimLeft(head, " \t\r\n\f\v")
	lower := strings.ToLower(string(head[:min(len(head), 512)]))
	switch {
	case strings.HasPrefix(lower, "%pdf"):
		return kindPDF, true
	case strings.HasPrefix(lower, "mime-version:"):
		return kindHTML, true // a single-file web page (.mht), which Excel and some MIS save as .xls
	case strings.HasPrefix(lower, `{\rtf`):
		return kindRTF, true
	case strings.HasPrefix(lower, "<?xml"):
		if strings.Contains(lower, "<html") || strings.Contains(lower, "<!doctype html") {
			return kindHTML, true
		}
		return kindXMLSpreadsheet, true
	}
	for _, tag := range []string{"<!doctype", "<html", "<table", "<head", "<body", "<meta", "<style", "<!--"} {
		if strings.HasPrefix(lower, tag) {
			return kindHTML, true
		}
	}
	return kindBinary, false
}

// looksBinary reports whether decoded text has too many control characters to be a spreadsheet
// export (CSV has tabs, newlines and, from old DOS tools, a trailing Ctrl-Z; not much else).
func looksBinary(text []byte) bool {
	controls, runes := 0, 0
	for len(text) > 0 {
		r, size := utf8.DecodeRune(text)
		text = text[size:]
		runes++
		switch {
		case r == '\t', r == '\n', r == '\r', r == '\f', r == '\v', r == 0x1A:
		case r < 0x20, r == 0x7F:
			controls++
		}
	}
	return controls > 0 && controls*100 > runes
}

// inspectZip tells an xlsx from the other zip-based formats by its parts, and checks the unzipped
// size each part declares before anything is decompressed: archive/zip refuses to inflate a part
// beyond its declared size (the read fails), so a zip bomb is caught here, cheaply, and a zip that
// lies about its sizes fails when read. A zip that cannot be read is FILE_UNREADABLE.
func inspectZip(r io.ReaderAt, size int64, lim Limits) (*zip.Reader, sniffKind, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, kindZipOther, unreadable("The file looks like an Excel workbook (a zip archive) but it is damaged", err)
	}
	kind := kindZipOther
	for _, f := range zr.File {
		name := strings.ToLower(strings.ReplaceAll(f.Name, `\`, "/"))
		switch {
		case name == "xl/workbook.xml":
			kind = kindXLSX
		case name == "xl/workbook.bin" && kind == kindZipOther:
			kind = kindXLSB
		case strings.HasPrefix(name, "word/") && kind == kindZipOther:
			kind = kindDOCX
		case name == "mimetype" && kind == kindZipOther && isODFMimetype(f):
			kind = kindODS
		}
		if f.UncompressedSize64 > uint64(lim.MaxUnzippedBytes) {
			return nil, kind, fileErr(pme.CodeFileTooLarge, "The workbook unpacks to more data than pme accepts in one return (a part over "+
				sizeText(lim.MaxUnzippedBytes)+" unzipped): split it into smaller files and send them again.")
		}
	}
	return zr, kind, nil
}

// isODFMimetype reports whether a zip's "mimetype" part names an OpenDocument format.
func isODFMimetype(f *zip.File) bool {
	if f.UncompressedSize64 > 200 {
		return false
	}
	rc, err := f.Open()
	if err != nil {
		return false
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 200))
	return bytes.HasPrefix(b, []byte("application/vnd.oasis.opendocument"))
}

// oleError decides what an OLE2 compound file is. An xlsx protected with a password is stored as
// an OLE2 file with EncryptionInfo and EncryptedPackage streams (MS-OFFCRYPTO): that is
// FILE_ENCRYPTED, because the school can remove the password. Anything else is an old binary Office
// file (.xls, or .doc by its name): FILE_FORMAT.
func oleError(r io.ReaderAt, size int64, name string) error {
	if oleEncrypted(r, size) {
		return fileErr(pme.CodeFileEncrypted,
			"The workbook is protected with a password, so pme cannot read it: remove the password "+
				"(in Excel: File > Info > Protect Workbook > Encrypt with Password, clear it), save, and send it again.")
	}
	switch strings.ToLower(extOr(name, "")) {
	case ".doc", ".dot", ".ppt", ".msg", ".pub", ".vsd":
		return formatError(kindOLEOther, name)
	}
	return formatError(kindLegacyXLS, name)
}

// oleEncrypted reports whether the OLE2 file's directory holds the streams of an encrypted OOXML
// package. A directory mscfb cannot read is not an encrypted workbook Excel made.
func oleEncrypted(r io.ReaderAt, size int64) (encrypted bool) {
	defer func() {
		// mscfb is not hardened against every hostile directory; a panic there means "not a
		// readable encrypted workbook", which is still a FILE_FORMAT rejection.
		if recover() != nil {
			encrypted = false
		}
	}()
	doc, err := mscfb.New(io.NewSectionReader(r, 0, size))
	if err != nil {
		return false
	}
	for _, f := range doc.File {
		if f.Name == "EncryptedPackage" || f.Name == "EncryptionInfo" {
			return true
		}
	}
	return false
}
