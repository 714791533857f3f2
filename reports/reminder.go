package reports

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"text/template"

	"pme"
)

// The reminder letter (casework.md, "Letter replies"): one per assurance letter overdue a reply,
// in the same ledger, from its own template that a non-developer can edit. It is printed by the
// letters' own layout (letterhead, addressees, reference, date, footer) from the letter's
// recorded snapshot, so it names the pupil and school exactly as the letter it chases did.

// defaultReminderSource is the built-in wording of the reminder letter.
//
//go:embed reminder.tmpl
var defaultReminderSource []byte

// DefaultReminderTemplateName names the built-in reminder template in errors.
const DefaultReminderTemplateName = "built-in reminder template"

// ReminderData is what a reminder template prints: every field of the letter it chases (with
// .Date the reminder's date and .ReplyBy the new reply-by date), and that letter's own date and
// reply-by date.
type ReminderData struct {
	pme.LetterData
	LetterDate    string // the chased letter's date, as printed: "27 November 2026"
	LetterReplyBy string // the reply-by date it gave: "11 December 2026"
}

// ReminderTemplate is the wording of the reminder letters: a text/template over ReminderData,
// written with the same marks as the letter template.
type ReminderTemplate struct {
	name, src string
	tmpl      *template.Template
	hash      string
}

// LoadReminderTemplate reads and checks the reminder template at path, or the built-in one when
// path is "". A mistake is a *TemplateError naming the line, before any reminder is made.
func LoadReminderTemplate(path string) (*ReminderTemplate, error) {
	if path == "" {
		return ParseReminderTemplate(DefaultReminderTemplateName, string(defaultReminderSource))
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load reminder template: %w", err)
	}
	return ParseReminderTemplate(path, string(src))
}

// ParseReminderTemplate parses a reminder template's source and checks it over the sample letters
// the letter template is checked with, so a misspelt field fails now.
func ParseReminderTemplate(name, src string) (*ReminderTemplate, error) {
	tmpl, err := template.New("reminder").Funcs(letterFuncs).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, templateError(name, err)
	}
	if err := checkBold(name, src); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(src))
	t := &ReminderTemplate{name: name, src: src, tmpl: tmpl, hash: hex.EncodeToString(sum[:])}
	for _, sample := range sampleLetters() {
		text, err := t.text(ReminderData{LetterData: sample, LetterDate: sample.Date, LetterReplyBy: sample.ReplyBy})
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(text) == "" {
			return nil, &TemplateError{Name: name, Reason: "the template produces no text"}
		}
	}
	return t, nil
}

// Hash returns the SHA-256 of the template's source.
func (t *ReminderTemplate) Hash() string { return t.hash }

// Source returns the template's source.
func (t *ReminderTemplate) Source() string { return t.src }

// Name returns the template's file name, or DefaultReminderTemplateName.
func (t *ReminderTemplate) Name() string { return t.name }

func (t *ReminderTemplate) text(d ReminderData) (string, error) {
	d.LetterData = escapeMarkup(d.LetterData)
	var b bytes.Buffer
	if err := t.tmpl.Execute(&b, d); err != nil {
		return "", templateError(t.name, err)
	}
	return b.String(), nil
}

// ReminderPath returns where a reminder's PDF is written, relative to the data folder, beside the
// day's letters: out/letters/YYYY-MM-DD/<letter id>-reminder.pdf.
func ReminderPath(letterID string, date pme.Date) string {
	return path.Join("out", "letters", date.String(), letterID+"-reminder.pdf")
}

// RenderReminder prints the reminder for letter l, dated date, asking for a reply by replyBy. The
// same template, letter, dates and font give the same bytes. A character the font cannot print
// refuses the reminder with a *MissingGlyphError, as for letters.
func RenderReminder(t *ReminderTemplate, l pme.Letter, date, replyBy pme.Date, font *LetterFont) ([]byte, error) {
	if font == nil {
		font = DefaultLetterFont()
	}
	if date.IsZero() || replyBy.IsZero() {
		return nil, errors.New("render reminder: no date or no reply-by date")
	}
	if l.Data.ID == "" {
		return nil, fmt.Errorf("render reminder for %s: the letter has no recorded snapshot", l.ID)
	}
	data := l.Data
	data.Issued, data.Date, data.ReplyBy = date, date.Long(), replyBy.Long()
	d := ReminderData{LetterData: cleanLetterData(data), LetterDate: cleanText(l.Data.Date), LetterReplyBy: cleanText(l.Data.ReplyBy)}
	text, err := t.text(d)
	if err != nil {
		return nil, err
	}
	blocks := parseLetterText(text)
	if err := font.checkGlyphs(d.LetterData, append(headerTexts(d.LetterData), blockTexts(blocks)...)...); err != nil {
		return nil, err
	}
	pdf, err := layoutLetter(d.LetterData, blocks, font)
	if err != nil {
		return nil, fmt.Errorf("render reminder for %s: %w", l.ID, err)
	}
	return pdf, nil
}
