package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"

	"pme"
	"pme/casework"
	"pme/reports"
	"pme/store"
)

// ReminderSummary is one reminder letter made in this run (`pme letters --json`, "reminders").
type ReminderSummary struct {
	LetterID string   `json:"letter_id"` // the letter it chases
	File     string   `json:"file"`      // relative to the data folder
	SHA256   string   `json:"sha256"`
	ReplyBy  pme.Date `json:"reply_by"` // the new reply-by date
}

// writeReminders writes the reminder letters due today (casework.md, Letter replies): one per
// letter overdue a reply for letters.chase_after_school_days school days, from its own template,
// kept in the ledger beside the letter. Each is written, then recorded: a crash between the two
// writes the same file again on the next run. A reminder that cannot be printed is left for a
// later run and logged with the letter's id.
func (e *Env) writeReminders(ctx context.Context, font *reports.LetterFont) ([]ReminderSummary, error) {
	out := []ReminderSummary{}
	tmpl, err := reports.LoadReminderTemplate(e.Config.Letters.ReminderTemplate)
	if err != nil {
		return out, UsageError{err.Error()}
	}
	cal, err := e.Calendar(ctx)
	if err != nil {
		return out, err
	}
	letters, err := e.letterFacts(ctx, cal)
	if err != nil {
		return out, err
	}
	cfg := e.CaseworkConfig()
	var failed int
	for _, l := range letters {
		if !casework.LetterState(l, e.Today, cal, cfg).ReminderDue {
			continue
		}
		replyBy := cal.AddSchoolDays(e.Today, e.replyDays())
		pdf, err := reports.RenderReminder(tmpl, l.Letter, e.Today, replyBy, font)
		if err != nil {
			// A letter whose snapshot the font or layout cannot print is left for a later run
			// (a wider letters.font); the others are made.
			failed++
			e.log().Warn("reminder not made", "letter", l.Letter.ID) // the error may quote the letter's text
			e.Warn("The reminder for letter %s could not be printed: set letters.font to a TrueType font with wider coverage if the letter itself needed one; it is tried again on the next run.", l.Letter.ID)
			continue
		}
		rel := reports.ReminderPath(l.Letter.ID, e.Today)
		if err := reports.WriteFileAtomic(e.Path(rel), func(w io.Writer) error { _, err := w.Write(pdf); return err }); err != nil {
			return out, err
		}
		sum := sha256.Sum256(pdf)
		r := pme.Reminder{LetterID: l.Letter.ID, Date: e.Today, File: rel, SHA256: hex.EncodeToString(sum[:]), By: e.user(), At: e.now()}
		err = e.Store.WriteCasework(ctx, store.CaseworkWrite{Reminders: []pme.Reminder{r},
			Audit: []pme.AuditEntry{{At: r.At, Person: r.By, Action: "letters.reminder", LetterID: r.LetterID}}})
		if err != nil {
			return out, err
		}
		out = append(out, ReminderSummary{LetterID: r.LetterID, File: rel, SHA256: r.SHA256, ReplyBy: replyBy})
	}
	e.log().Info("reminders", "made", len(out), "not_made", failed)
	return out, nil
}

// user is who the pipeline's own commands record: Env.User (PME_USER), else SystemActor.
func (e *Env) user() string { return first(e.User, SystemActor) }
