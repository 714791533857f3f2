package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"

	"pme"
)

// Fonts: the faces letters are printed in, and the refusal of a character they lack.

// LetterFont is the TrueType faces letters are printed in, embedded in every PDF so that names such
// as Zoë, Łukasz, Siobhán and Ailís print, and can be searched and copied, on any computer.
type LetterFont struct {
	name          string
	regular, bold []byte
	faces         []*sfnt.Font
	hash          string
}

// DefaultLetterFont returns the Go fonts (Go Regular and Go Bold): Latin, Greek and Cyrillic.
func DefaultLetterFont() *LetterFont {
	f, err := newLetterFont("Go fonts", goregular.TTF, gobold.TTF)
	if err != nil {
		panic(fmt.Sprintf("built-in letter font: %v", err)) // the embedded fonts are known good
	}
	return f
}

// LoadLetterFont reads the TrueType font at path (letters.font), or returns the Go fonts when path
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

// Name returns the font's file name, or "Go fonts".
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

// MissingGlyphError refuses a letter with a character the font cannot print: fpdf would drop it
// silently, and a child's name printed wrong is worse than a letter not sent.
type MissingGlyphError struct {
	Char  rune
	Field string // the letter field it is in ("Pupil.Forename"), or "the letter template"
	Font  string
}

func (e *MissingGlyphError) Error() string {
	return fmt.Sprintf("the letter font (%s) has no %q (U+%04X), used in %s: set letters.font to a TrueType font that has it, and run pme letters again",
		e.Font, string(e.Char), e.Char, e.Field)
}

// checkGlyphs returns a *MissingGlyphError for the first character of text the font cannot print,
// naming the data field it came from.
func (f *LetterFont) checkGlyphs(data pme.LetterData, texts ...string) error {
	for _, s := range texts {
		for _, r := range s {
			if r == '\n' || r == ' ' || f.has(r) {
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
