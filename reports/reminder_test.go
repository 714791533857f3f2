package reports

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pme"
)

func TestReminderLetter(t *testing.T) {
	plan := PlanLetters(letterRun(zoe()))
	if len(plan.Due) != 1 {
		t.Fatalf("due = %d letters, want 1", len(plan.Due))
	}
	l := plan.Due[0]
	tmpl, err := LoadReminderTemplate("")
	if err != nil {
		t.Fatal(err)
	}
	date, replyBy := pme.MustDate("2026-12-18"), pme.MustDate("2027-01-08")
	pdf, err := RenderReminder(tmpl, l, date, replyBy, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(pdfText(t, pdf)), " ")
	for _, want := range []string{
		"Our ref: " + l.ID, "18 December 2026", // the reminder's date and the letter's reference
		"Reminder: Zoë Łukasz-O'Brien",
		"On " + l.Data.Date + " the council wrote to you", "a reply by " + l.Data.ReplyBy,
		"Please reply by 8 January 2027",
		l.Data.Headteacher, l.Data.School.Name, // laid out by the letters' own code
	} {
		if !strings.Contains(text, want) {
			t.Errorf("reminder lacks %q:\n%s", want, text)
		}
	}
	again, err := RenderReminder(tmpl, l, date, replyBy, nil)
	if err != nil || string(again) != string(pdf) {
		t.Errorf("a second printing differs (err %v)", err)
	}
	if got, want := ReminderPath(l.ID, date), "out/letters/2026-12-18/"+l.ID+"-reminder.pdf"; got != want {
		t.Errorf("path = %s, want %s", got, want)
	}
	if _, err := RenderReminder(tmpl, pme.Letter{ID: "L-1"}, date, replyBy, nil); err == nil {
		t.Errorf("a letter without its snapshot gave no error")
	}
}

func TestReminderTemplateMistakes(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, src string
		line      int
	}{
		{"a misspelt field", "Dear {{.Salutation}}\n\nYour letter of {{.LetterDat}}\n", 3},
		{"bold not closed", "Dear {{.Salutation}}\n**Reply by {{.ReplyBy}}\n", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "reminder.tmpl")
			if err := os.WriteFile(p, []byte(tc.src), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadReminderTemplate(p)
			var te *TemplateError
			if !errors.As(err, &te) || te.Line != tc.line {
				t.Fatalf("err = %v, want a TemplateError on line %d", err, tc.line)
			}
		})
	}
}
