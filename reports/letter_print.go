package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"pme"
)

// Printing: a letter's PDF made, recorded and reprinted byte for byte.

// LetterPath returns where a letter's PDF is written, relative to the data folder:
// out/letters/YYYY-MM-DD/<letter id>.pdf.
func LetterPath(l pme.Letter) string {
	return path.Join("out", "letters", l.Date.String(), l.ID+".pdf")
}

// MakeLetter prints a planned letter and records in it the template, font and PDF hash the ledger
// keeps. The caller writes the bytes to LetterPath and records the letter with its file and time.
func MakeLetter(t *LetterTemplate, font *LetterFont, l *pme.Letter) ([]byte, error) {
	if font == nil {
		font = DefaultLetterFont()
	}
	pdf, err := RenderLetter(t, l.Data, font)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(pdf)
	l.TemplateHash, l.Template, l.FontHash, l.SHA256 = t.Hash(), t.Source(), font.Hash(), hex.EncodeToString(sum[:])
	return pdf, nil
}

// ReprintLetter prints a recorded letter again from its snapshot and its recorded template, and
// checks that the bytes are those sent. It fails, saying why, when the font configured now is not
// the one the letter was printed with.
func ReprintLetter(l pme.Letter, font *LetterFont) ([]byte, error) {
	if font == nil {
		font = DefaultLetterFont()
	}
	if font.Hash() != l.FontHash && l.FontHash == goFonts().Hash() {
		font = goFonts() // printed before DejaVu Sans was the built-in font
	}
	if font.Hash() != l.FontHash {
		return nil, fmt.Errorf("reprint %s: it was printed with another font than %s (font %s…): set letters.font to the font used then", l.ID, font.Name(), short(l.FontHash))
	}
	t, err := ParseLetterTemplate("recorded template "+short(l.TemplateHash), l.Template)
	if err != nil {
		return nil, fmt.Errorf("reprint %s: %w", l.ID, err)
	}
	if t.Hash() != l.TemplateHash {
		return nil, fmt.Errorf("reprint %s: the recorded template does not match its hash %s…", l.ID, short(l.TemplateHash))
	}
	pdf, err := RenderLetter(t, l.Data, font)
	if err != nil {
		return nil, fmt.Errorf("reprint %s: %w", l.ID, err)
	}
	sum := sha256.Sum256(pdf)
	if got := hex.EncodeToString(sum[:]); got != l.SHA256 {
		return nil, fmt.Errorf("reprint %s: the printed bytes differ from those sent (SHA-256 %s…, recorded %s…): was pme's PDF library upgraded?", l.ID, short(got), short(l.SHA256))
	}
	return pdf, nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// RenderLetter prints a letter as PDF: the letterhead, addressees, reference and date laid out by
// pme, then the template's text, then "OFFICIAL-SENSITIVE" and (over one page) "Page N of M" at the
// foot of each page. The same template, data and font always give the same bytes: the PDF's dates
// are the letter's date and it carries no random ids. A character the font cannot print refuses
// the letter with a *MissingGlyphError.
func RenderLetter(t *LetterTemplate, data pme.LetterData, font *LetterFont) ([]byte, error) {
	if font == nil {
		font = DefaultLetterFont()
	}
	if data.Issued.IsZero() {
		return nil, errors.New("render letter: the letter has no date")
	}
	data = cleanLetterData(data)
	text, err := t.text(data)
	if err != nil {
		return nil, err
	}
	blocks := parseLetterText(text)
	if err := font.checkGlyphs(data, append(headerTexts(data), blockTexts(blocks)...)...); err != nil {
		return nil, err
	}
	return layoutLetter(data, blocks, font)
}

// cleanLetterData returns a copy of d with every text in Unicode NFC (a name typed as "a" and a
// combining accent prints as one character) and control characters as spaces.
func cleanLetterData(d pme.LetterData) pme.LetterData {
	mapStrings(&d, func(_ string, s string) string { return cleanText(s) })
	return d
}

func cleanText(s string) string {
	s = norm.NFC.String(s)
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' {
			return ' '
		}
		return r
	}, s)
}

func headerTexts(d pme.LetterData) []string {
	out := []string{d.Council, d.Service, d.ID, d.Date, d.Headteacher, d.HeadteacherRole, d.Chair, d.School.Name}
	out = append(out, d.CouncilAddress...)
	return append(out, d.School.Address...)
}
