package ingest

import (
	"bytes"
	"encoding/binary"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// encodingKind is the character encoding of a text return.
type encodingKind int

const (
	encUTF8    encodingKind = iota // UTF-8, with or without BOM (the default)
	encCP1252                      // Windows-1252: Excel's "CSV (Comma delimited)" on a UK PC
	encUTF16LE                     // Excel's "Unicode text" (with BOM FF FE)
	encUTF16BE                     // UTF-16 big-endian (with BOM FE FF)
)

var encodingNames = [...]string{encUTF8: "UTF-8", encCP1252: "Windows-1252", encUTF16LE: "UTF-16LE", encUTF16BE: "UTF-16BE"}

// String names the encoding (for logs and test messages).
func (k encodingKind) String() string { return encodingNames[k] }

// textEncoding is how a text file's bytes become UTF-8: its encoding and the length of its BOM.
type textEncoding struct {
	kind encodingKind
	bom  int
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// detectEncoding decides a text file's encoding from its first bytes: a BOM says so; otherwise
// UTF-8 when the prefix is valid UTF-8, else Windows-1252. truncated says the prefix is not the
// whole file, so that a character cut in two at its end does not count as invalid.
func detectEncoding(prefix []byte, truncated bool) textEncoding {
	switch {
	case bytes.HasPrefix(prefix, bomUTF8):
		return textEncoding{kind: encUTF8, bom: len(bomUTF8)}
	case bytes.HasPrefix(prefix, bomUTF16LE):
		return textEncoding{kind: encUTF16LE, bom: len(bomUTF16LE)}
	case bytes.HasPrefix(prefix, bomUTF16BE):
		return textEncoding{kind: encUTF16BE, bom: len(bomUTF16BE)}
	}
	if truncated {
		prefix = trimPartialRune(prefix)
	}
	if utf8.Valid(prefix) {
		return textEncoding{kind: encUTF8}
	}
	return textEncoding{kind: encCP1252}
}

// trimPartialRune drops an incomplete UTF-8 sequence at the end of b.
func trimPartialRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			return b
		}
	}
	return b
}

// transformer returns a fresh decoder from the encoding to UTF-8.
func (e textEncoding) transformer() transform.Transformer {
	switch e.kind {
	case encCP1252:
		return charmap.Windows1252.NewDecoder()
	case encUTF16LE:
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder()
	case encUTF16BE:
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder()
	}
	return utf8Fallback{}
}

// reader streams the file's text as UTF-8, without its BOM. Nothing is read ahead beyond the
// transformer's small buffer: a 200 MB file is decoded as it is parsed. crLines says the file ends
// its lines with a bare CR (Excel for Mac's "CSV (Macintosh)"), which encoding/csv would read as
// one endless line; they become LFs.
func (e textEncoding) reader(r io.ReaderAt, size int64, crLines bool) io.Reader {
	src := io.NewSectionReader(r, int64(e.bom), size-int64(e.bom))
	t := e.transformer()
	if crLines {
		t = transform.Chain(t, crToLF{})
	}
	return transform.NewReader(src, t)
}

// hasCRLines reports whether decoded text ends its lines with bare CRs: it has a CR and no LF.
func hasCRLines(text []byte) bool {
	return bytes.IndexByte(text, '\n') < 0 && bytes.IndexByte(text, '\r') >= 0
}

// crToLF turns every CR into LF (used only for files with no LF at all).
type crToLF struct{ transform.NopResetter }

// Transform implements transform.Transformer.
func (crToLF) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	n := copy(dst, src)
	for i, c := range dst[:n] {
		if c == '\r' {
			dst[i] = '\n'
		}
	}
	if n < len(src) {
		err = transform.ErrShortDst
	}
	return n, n, err
}

// decodeHead decodes at most n bytes of the file's start (without its BOM) to UTF-8, for sniffing.
func (e textEncoding) decodeHead(prefix []byte, n int) []byte {
	b := prefix[min(e.bom, len(prefix)):]
	b = b[:min(n, len(b))]
	out, _, err := transform.Bytes(e.transformer(), b)
	if err != nil {
		return b
	}
	return out
}

// utf8Fallback passes valid UTF-8 through and decodes each byte that is not part of a valid UTF-8
// sequence as Windows-1252. A file is called UTF-8 from its first 64 KB; when a Windows-1252 "é" or
// "£" turns up further down (files pasted together from two sources), it is read as the school
// meant it instead of becoming invalid UTF-8 in the database.
type utf8Fallback struct{ transform.NopResetter }

// Transform implements transform.Transformer.
func (utf8Fallback) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		// A run of ASCII is copied at once (byte by byte, this was 5% of parsing a 1M-row CSV).
		if n := asciiPrefix(src[nSrc:min(len(src), nSrc+len(dst)-nDst)]); n > 0 {
			nDst += copy(dst[nDst:], src[nSrc:nSrc+n])
			nSrc += n
			continue
		}
		c := src[nSrc]
		if c < utf8.RuneSelf {
			if nDst >= len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst++
			nSrc++
			continue
		}
		r, size := utf8.DecodeRune(src[nSrc:])
		if r == utf8.RuneError && size == 1 {
			if !atEOF && !utf8.FullRune(src[nSrc:]) {
				return nDst, nSrc, transform.ErrShortSrc
			}
			r = charmap.Windows1252.DecodeByte(c)
			if nDst+utf8.RuneLen(r) > len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			nDst += utf8.EncodeRune(dst[nDst:], r)
			nSrc++
			continue
		}
		if nDst+size > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += copy(dst[nDst:], src[nSrc:nSrc+size])
		nSrc += size
	}
	return nDst, nSrc, nil
}

// asciiPrefix returns the length of b's leading run of ASCII bytes, looking at 8 bytes at a time.
func asciiPrefix(b []byte) int {
	n := 0
	for ; n+8 <= len(b); n += 8 {
		if binary.LittleEndian.Uint64(b[n:])&0x8080808080808080 != 0 {
			break
		}
	}
	for n < len(b) && b[n] < utf8.RuneSelf {
		n++
	}
	return n
}
