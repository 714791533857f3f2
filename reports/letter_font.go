package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"

	"codeberg.org/go-pdf/fpdf"
	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/go-fonts/dejavu/dejavusansbold"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"

	"pme"
)

// Fonts: the faces letters are printed in, and the refusal of a character they lack.

// LetterFont is the TrueType faces letters are printed in, embedded in every PDF so that names such
// as Zoë, Łukasz, Nguyễn, Şükrü, Γιώργος and Ярослав print, and can be searched and copied, on any
// computer.
type LetterFont struct {
	name          string
	regular, bold []byte
	faces         []*sfnt.Font
	hash          string
	printable     glyphSet // what checkGlyphs has found, as every letter checks the same characters
}

// glyphSet remembers, for each character of the Basic Multilingual Plane, whether it was looked
// up and whether the font prints it: safe for the printing goroutines without a lock.
type glyphSet struct{ known, yes [1 << 10]atomic.Uint64 }

func (g *glyphSet) lookup(r rune) (yes, known bool) {
	i, bit := r>>6, uint64(1)<<(r&63)
	if g.known[i].Load()&bit == 0 {
		return false, false
	}
	return g.yes[i].Load()&bit != 0, true
}

func (g *glyphSet) store(r rune, yes bool) {
	i, bit := r>>6, uint64(1)<<(r&63)
	if yes {
		g.yes[i].Or(bit)
	}
	g.known[i].Or(bit) // after yes: a reader that sees known sees yes
}

// DefaultLetterFont returns DejaVu Sans and DejaVu Sans Bold, embedded in pme: Latin with all its
// extensions (Vietnamese, Polish, Turkish, Irish …), Greek and Cyrillic. A safeguarding letter
// must not wait on a font setting because of a child's name; letters.font is for a house font.
func DefaultLetterFont() *LetterFont { return dejaVuSans() }

var dejaVuSans = sync.OnceValue(func() *LetterFont {
	return builtinFont("DejaVu Sans", dejavusans.TTF, dejavusansbold.TTF)
})

// goFonts are the Go fonts, pme's built-in letter font before DejaVu Sans: a letter printed with
// them is reprinted with them (see ReprintLetter).
var goFonts = sync.OnceValue(func() *LetterFont {
	return builtinFont("Go fonts", goregular.TTF, gobold.TTF)
})

func builtinFont(name string, regular, bold []byte) *LetterFont {
	f, err := newLetterFont(name, regular, bold)
	if err != nil {
		panic(fmt.Sprintf("built-in letter font %s: %v", name, err)) // the embedded fonts are known good
	}
	return f
}

// LoadLetterFont reads the TrueType font at path (letters.font), or returns DejaVu Sans when path
// is "". Bold text uses the font's bold sibling when one sits beside it under the usual name
// (Noto Sans-Regular.ttf → NotoSans-Bold.ttf, DejaVuSans.ttf → DejaVuSans-Bold.ttf), and the font
// itself otherwise.
func LoadLetterFont(fontPath string) (*LetterFont, error) {
	if fontPath == "" {
		return DefaultLetterFont(), nil
	}
	regular, err := os.ReadFile(fontPath)
	if err != nil {
		return nil, fmt.Errorf("load letter font: %w", err)
	}
	bold := regular
	for _, p := range boldSiblings(fontPath) {
		if b, err := os.ReadFile(p); err == nil {
			bold = b
			break
		}
	}
	f, err := newLetterFont(filepath.Base(fontPath), regular, bold)
	if err != nil {
		return nil, fmt.Errorf("load letter font %s: %w", fontPath, err)
	}
	return f, nil
}

// boldSiblings lists where a regular font's bold face usually is.
func boldSiblings(p string) []string {
	ext := filepath.Ext(p)
	base := strings.TrimSuffix(p, ext)
	var out []string
	if strings.HasSuffix(base, "-Regular") {
		out = append(out, strings.TrimSuffix(base, "-Regular")+"-Bold"+ext)
	}
	return append(out, base+"-Bold"+ext, base+"Bold"+ext)
}

func newLetterFont(name string, regular, bold []byte) (*LetterFont, error) {
	f := &LetterFont{name: name, regular: regular, bold: bold}
	for _, b := range [][]byte{regular, bold} {
		face, err := sfnt.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("read TrueType font: %w", err)
		}
		f.faces = append(f.faces, face)
	}
	h := sha256.New()
	h.Write(regular)
	h.Write(bold)
	f.hash = hex.EncodeToString(h.Sum(nil))
	// fpdf reads TrueType outlines only; a font it cannot embed is refused now, not per letter.
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("check", "", regular)
	pdf.AddUTF8FontFromBytes("check", "B", bold)
	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("embed font (a TrueType .ttf is needed): %w", err)
	}
	return f, nil
}

// Hash returns the SHA-256 of the font files: the ledger records it, because the same letter in a
// different font is different bytes.
func (f *LetterFont) Hash() string { return f.hash }

// Name returns the font's file name, or "DejaVu Sans".
func (f *LetterFont) Name() string { return f.name }

// has reports whether every face of the font can print r. fpdf reads only the font's Basic
// Multilingual Plane map, so a character beyond it is missing whatever the font holds.
func (f *LetterFont) has(r rune) bool {
	if r > 0xFFFF {
		return false
	}
	var buf sfnt.Buffer
	for _, face := range f.faces {
		if i, err := face.GlyphIndex(&buf, r); err != nil || i == 0 {
			return false
		}
	}
	return true
}

// prints reports whether letters can print r: the font has it and its script needs no shaping.
func (f *LetterFont) prints(r rune) bool {
	if r > 0xFFFF {
		return false
	}
	if yes, known := f.printable.lookup(r); known {
		return yes
	}
	yes := f.has(r) && complexScript(r) == ""
	f.printable.store(r, yes)
	return yes
}

// MissingGlyphError refuses a letter with a character the font cannot print: fpdf would drop it
// silently, and a child's name printed wrong is worse than a letter not sent.
type MissingGlyphError struct {
	Char  rune
	Field string // the letter field it is in ("Pupil.Forename"), or "the letter template"
	Font  string
}

func (e *MissingGlyphError) Error() string {
	if s := complexScript(e.Char); s != "" {
		return fmt.Sprintf("the letter cannot print %q (U+%04X), used in %s: pme lays text out one character after another, left to right, so %s text would be misspelt in any font; the letter waits until the record holds the name in Latin letters, then run pme letters again",
			string(e.Char), e.Char, e.Field, s)
	}
	return fmt.Sprintf("the letter font (%s) has no %q (U+%04X), used in %s: set letters.font to a TrueType font that has it%s, and run pme letters again",
		e.Font, string(e.Char), e.Char, e.Field, fontFor(e.Char))
}

// complexScript returns the script of r when it is written right to left or needs its letters
// joined or reordered (fpdf does neither), "" otherwise.
func complexScript(r rune) string {
	for _, s := range []string{"Arabic", "Hebrew", "Syriac", "Thaana", "Nko", "Devanagari", "Bengali", "Gurmukhi",
		"Gujarati", "Oriya", "Tamil", "Telugu", "Kannada", "Malayalam", "Sinhala", "Thai", "Lao", "Tibetan",
		"Myanmar", "Khmer"} {
		if unicode.Is(unicode.Scripts[s], r) {
			return s
		}
	}
	return ""
}

// fontFor names a TrueType font (.ttf: fpdf embeds no other kind) with r's script, from Debian's
// packages, as " (for example …)"; "" when pme knows none.
func fontFor(r rune) string {
	for _, s := range []string{"Han", "Hiragana", "Katakana", "Hangul", "Bopomofo"} {
		if unicode.Is(unicode.Scripts[s], r) {
			return " (for example Droid Sans Fallback: DroidSansFallbackFull.ttf in Debian's fonts-droid-fallback)"
		}
	}
	for _, s := range []string{"Ethiopic", "Armenian", "Georgian", "Tifinagh", "Cherokee"} {
		if unicode.Is(unicode.Scripts[s], r) {
			return fmt.Sprintf(" (for example Noto Sans %s: NotoSans%s-Regular.ttf in Debian's fonts-noto-core)", s, s)
		}
	}
	return ""
}

// checkGlyphs returns a *MissingGlyphError for the first character of text the font cannot print,
// naming the data field it came from.
func (f *LetterFont) checkGlyphs(data pme.LetterData, texts ...string) error {
	for _, s := range texts {
		for _, r := range s {
			if r == '\n' || r == ' ' || f.prints(r) {
				continue
			}
			field := "the letter template"
			found := false
			mapStrings(&data, func(p, v string) string {
				if !found && strings.ContainsRune(v, r) {
					field, found = p, true
				}
				return v
			})
			return &MissingGlyphError{Char: r, Field: field, Font: f.name}
		}
	}
	return nil
}
