package ingest

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
)

// decodeUTF8Fallback is what utf8Fallback does, rune by rune: the reference for its fast path.
func decodeUTF8Fallback(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			r = charmap.Windows1252.DecodeByte(b[0])
		}
		sb.WriteRune(r)
		b = b[size:]
	}
	return sb.String()
}

// The ASCII fast path gives the same text as decoding rune by rune, whatever the buffer sizes
// and wherever a multi-byte or Windows-1252 character falls.
func TestUTF8FallbackAgreesRuneByRune(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"a", "UPN,Surname\n", "0123456789abcdef", "é", "£", "\xe9", "\xa3", "€", "\xe2\x82", "𝄞", "\x80", "\n"}
	for i := range 2000 {
		var b bytes.Buffer
		for range r.IntN(200) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		want := decodeUTF8Fallback(b.Bytes())
		var src io.Reader = bytes.NewReader(b.Bytes())
		if i%2 == 0 {
			src = iotest.OneByteReader(src) // transform sees partial runes at the end of src
		}
		got, err := io.ReadAll(iotest.HalfReader(transform.NewReader(src, utf8Fallback{})))
		if err != nil || string(got) != want {
			t.Fatalf("decode %q = %q, %v; want %q", b.Bytes(), got, err, want)
		}
	}
}

func TestASCIIPrefix(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{{"", 0}, {"abc", 3}, {"abcdefgh", 8}, {"abcdefghi", 9}, {"abcdefgé", 7}, {"é", 0}, {"abcdefghijklmno\x80", 15}} {
		if got := asciiPrefix([]byte(tc.in)); got != tc.want {
			t.Errorf("asciiPrefix(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// The line limit is enforced at the same byte whatever the reads: a line of maxLineBytes passes,
// one byte more fails naming its line.
func TestLineLimiterBoundary(t *testing.T) {
	for _, tc := range []struct {
		lines   []int // line lengths, without the newline
		wantErr string
	}{
		{[]int{10, maxLineBytes, 3}, ""},
		{[]int{10, maxLineBytes + 1, 3}, "Line 2 of the file"},
		{[]int{maxLineBytes, maxLineBytes, 0, maxLineBytes + 1}, "Line 4 of the file"},
		{[]int{5, 5, maxLineBytes + 1}, "Line 3 of the file"}, // the last line, with no newline after it
	} {
		var b bytes.Buffer
		for i, n := range tc.lines {
			b.WriteString(strings.Repeat("x", n))
			if i < len(tc.lines)-1 {
				b.WriteByte('\n')
			}
		}
		for _, chunked := range []bool{false, true} {
			var src io.Reader = bytes.NewReader(b.Bytes())
			if chunked {
				src = iotest.HalfReader(src)
			}
			got, err := io.ReadAll(&lineLimiter{r: src, line: 1})
			switch {
			case tc.wantErr == "" && (err != nil || !bytes.Equal(got, b.Bytes())):
				t.Errorf("lines %v: %d bytes, %v; want all %d bytes", tc.lines, len(got), err, b.Len())
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("lines %v: error %v, want %q", tc.lines, err, tc.wantErr)
			}
		}
	}
}
