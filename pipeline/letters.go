package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"

	"pme"
	"pme/match"
	"pme/reports"
	"pme/rules"
	"pme/store"
)

// LettersSummary is `pme letters --json` (cli.md).
type LettersSummary struct {
	Letters     []LetterSummary       `json:"letters"`
	NotProduced []reports.NotProduced `json:"not_produced"`
	Dir         string                `json:"dir,omitempty"`      // out/letters/YYYY-MM-DD
	Manifest    string                `json:"manifest,omitempty"` // the day's manifest.csv
	Reminders   []ReminderSummary     `json:"reminders"`          // reminder letters made in this run
}

// LetterSummary is one letter made in this run.
type LetterSummary struct {
	LetterID string `json:"letter_id"`
	UPN      string `json:"upn"`
	LAESTAB  string `json:"laestab"`
	File     string `json:"file"` // relative to the data folder
	SHA256   string `json:"sha256"`
}

// letterConfig maps the configuration file's letters section.
func (e *Env) letterConfig() reports.LetterConfig {
	l := e.Config.Letters
	return reports.LetterConfig{Council: l.Council, Service: l.Service, Address: l.Address,
		Signatory:       reports.LetterSignatory{Name: l.Signatory.Name, Role: l.Signatory.Role},
		ReplySchoolDays: l.ReplySchoolDays, TemplatePath: l.Template, FontPath: l.Font}
}

// letterTools loads and checks the template and font before any letter is made: a template with a
// mistake is refused with its line and the reason.
func (e *Env) letterTools() (*reports.LetterTemplate, *reports.LetterFont, error) {
	cfg := e.letterConfig()
	if err := cfg.Validate(); err != nil {
		return nil, nil, UsageError{err.Error()}
	}
	t, err := reports.LoadLetterTemplate(cfg.TemplatePath)
	if err != nil {
		return nil, nil, UsageError{err.Error()}
	}
	font := reports.DefaultLetterFont()
	if cfg.FontPath != "" {
		if font, err = reports.LoadLetterFont(cfg.FontPath); err != nil {
			return nil, nil, UsageError{err.Error()}
		}
	}
	return t, font, nil
}

// Letters writes the assurance letters that are due: one per provision episode of each pupil on
// an open CP or CIN plan with an active reduced timetable or AP placement. A rerun makes none; a
// letter that cannot be made is listed with what is missing and made on a later run once it is
// loaded. Each letter is written, then recorded: a crash between the two rewrites the same file
// (its id comes from the episode) on the next run.
func (e *Env) Letters(ctx context.Context) (LettersSummary, error) {
	sum := LettersSummary{Letters: []LetterSummary{}, NotProduced: []reports.NotProduced{}, Reminders: []ReminderSummary{}}
	tmpl, font, err := e.letterTools()
	if err != nil {
		return sum, err
	}
	// The font is readied for printing while the database plans the letters (the first letter
	// waited about 0.1 s for it, and the other printer with it).
	warm := make(chan struct{})
	go func() {
		defer close(warm)
		font.Warm()
	}()
	plan, err := e.planLetters(ctx)
	<-warm
	if err != nil {
		return sum, err
	}
	notProduced := plan.NotProduced
	// Printing allocates heavily (fpdf rebuilds the embedded font for every PDF) while holding
	// little: a lazier garbage collector here measured 1,000 letters at 7.7 s and 146 MB instead
	// of 11 s and 46 MB.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	defer softMemoryLimit(lettersMemoryLimit)()
	bar := e.progress(len(plan.Due), "letters")
	// Letters are printed and written in parallel (printing is CPU work, about 10 ms a letter),
	// then recorded in order a chunk at a time while the next are printed: a crash between writing
	// and recording rewrites the same file, as the id comes from the episode.
	printed, stop := e.printLetters(tmpl, font, plan.Due)
	defer stop()
	const chunkSize = 64 // letters recorded by one ledger write
	for start := 0; start < len(plan.Due); start += chunkSize {
		var made []pme.Letter
		for i := start; i < min(start+chunkSize, len(plan.Due)); i++ {
			err := printed(i)
			l := &plan.Due[i]
			var glyph *reports.MissingGlyphError
			switch {
			case errors.As(err, &glyph):
				notProduced = append(notProduced, reports.NotProducedFor(*l, err))
				continue
			case err != nil:
				return sum, err
			}
			l.Created = e.now()
			made = append(made, *l)
		}
		if err := e.Store.RecordLetters(ctx, made); err != nil {
			return sum, err
		}
		for _, l := range made {
			sum.Letters = append(sum.Letters, LetterSummary{LetterID: l.ID, UPN: l.UPN, LAESTAB: l.LAESTAB, File: l.File, SHA256: l.SHA256})
		}
		bar.Add(len(made))
	}
	bar.Finish()
	sum.NotProduced = append(sum.NotProduced, notProduced...)
	if sum.Reminders, err = e.writeReminders(ctx, font); err != nil {
		return sum, err
	}

	// The day's manifest lists every letter made today (earlier runs' too) and what could not be.
	today, err := e.Store.Letters(ctx, e.Today)
	if err != nil {
		return sum, err
	}
	made := today[:0:0]
	for _, l := range today {
		if l.Date.Equal(e.Today) {
			made = append(made, l)
		}
	}
	if len(made) > 0 || len(notProduced) > 0 {
		sum.Dir = filepath.Join(OutDir, "letters", e.Today.String())
		sum.Manifest = filepath.Join(sum.Dir, "manifest.csv")
		if err := reports.WriteManifest(e.Path(sum.Manifest), reports.ManifestRows(made, notProduced)); err != nil {
			return sum, err
		}
	}
	e.log().Info("letters", "made", len(sum.Letters), "not_produced", len(sum.NotProduced), "already_sent", plan.AlreadySent)

	// The day's flagged-case report lists the letters: write it again now they are made.
	if _, err := e.writeReport(ctx, letterRows(made, notProduced)); err != nil {
		return sum, err
	}
	return sum, nil
}

// planLetters decides which letters are due today and which cannot be made for want of an
// addressee or address.
func (e *Env) planLetters(ctx context.Context) (reports.LetterPlan, error) {
	cal, err := e.Calendar(ctx)
	if err != nil {
		return reports.LetterPlan{}, err
	}
	candidates, err := e.letterCandidates(ctx)
	if err != nil {
		return reports.LetterPlan{}, err
	}
	issued, err := e.Store.Letters(ctx, pme.Date{})
	if err != nil {
		return reports.LetterPlan{}, err
	}
	cfg := e.letterConfig()
	return reports.PlanLetters(reports.LetterRun{
		Today:      e.Today,
		ReplyBy:    cal.AddSchoolDays(e.Today, cfg.ReplySchoolDays),
		Config:     cfg,
		Candidates: candidates,
		Issued:     issued,
	}), nil
}

// lettersNotProducible lists, without writing anything, the letters due today that cannot be made
// and why: a missing addressee or address, or a character the font cannot print. The report
// written on its own (pme report) lists them too, not only the report the letters step rewrites.
// A letter configuration that cannot be used is the letters step's error to report: here it only
// means nothing can be said.
func (e *Env) lettersNotProducible(ctx context.Context) ([]reports.NotProduced, error) {
	tmpl, font, err := e.letterTools()
	if err != nil {
		e.log().Warn("report: letters not checked", "error", err.Error())
		return nil, nil
	}
	plan, err := e.planLetters(ctx)
	if err != nil {
		return nil, err
	}
	out := plan.NotProduced
	for i := range plan.Due {
		var glyph *reports.MissingGlyphError
		if _, err := reports.MakeLetter(tmpl, font, &plan.Due[i]); errors.As(err, &glyph) {
			out = append(out, reports.NotProducedFor(plan.Due[i], err))
		}
	}
	return out, nil
}

// lettersMemoryLimit holds the lazy collector above in check once letters are printed in
// parallel: 1,000 letters peaked at 239 MB without it and 116 MB with it, in the same 4.4 s
// (2026-12-07, PostgreSQL, 2 cores, quiet machine; GOMEMLIMIT=100MiB).
const lettersMemoryLimit = 100 << 20

// letterWorkers is how many letters are printed at once: one a core. A variable for the test that
// parallel printing gives the bytes a serial one does.
var letterWorkers = runtime.GOMAXPROCS(0)

// letterWriters is how many letters are written at once. Each file is synced before its letter
// is recorded (see Letters), and a sync waits for the disk: written by the goroutine that printed
// it, a letter left its core idle meanwhile (1,000 letters on the shared machine: 39 s, of which
// 17.7 s of CPU). Many syncs at once also share the file system's journal commits.
const letterWriters = 16

// printLetters prints the letters on letterWorkers goroutines, in order of index, and writes them
// on letterWriters others. printed(i) waits for letter i to be written and returns its error;
// stop ends the printing of letters not yet started, and waits for those under way (call it once
// the caller no longer needs them).
func (e *Env) printLetters(tmpl *reports.LetterTemplate, font *reports.LetterFont, due []pme.Letter) (printed func(i int) error, stop func()) {
	errs := make([]error, len(due))
	done := make([]chan struct{}, len(due))
	for i := range done {
		done[i] = make(chan struct{})
	}
	type printedLetter struct {
		i   int
		pdf []byte
	}
	next := make(chan int)
	toWrite := make(chan printedLetter, letterWriters)
	quit := make(chan struct{})
	var printers, writers sync.WaitGroup
	for range max(letterWorkers, 1) {
		printers.Add(1)
		go func() {
			defer printers.Done()
			for i := range next {
				pdf, err := e.printLetter(tmpl, font, &due[i])
				if err != nil {
					errs[i] = err
					close(done[i])
					continue
				}
				toWrite <- printedLetter{i, pdf}
			}
		}()
	}
	for range letterWriters {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for p := range toWrite {
				errs[p.i] = e.writeLetter(&due[p.i], p.pdf)
				close(done[p.i])
			}
		}()
	}
	go func() {
		printers.Wait()
		close(toWrite)
	}()
	go func() {
		defer close(next)
		for i := range due {
			select {
			case next <- i:
			case <-quit:
				return
			}
		}
	}()
	var once sync.Once
	return func(i int) error {
			<-done[i]
			return errs[i]
		}, func() {
			once.Do(func() { close(quit) })
			printers.Wait()
			writers.Wait()
		}
}

// printLetter prints a planned letter; it is safe to call concurrently.
func (e *Env) printLetter(tmpl *reports.LetterTemplate, font *reports.LetterFont, l *pme.Letter) ([]byte, error) {
	pdf, err := reports.MakeLetter(tmpl, font, l)
	if err != nil {
		var glyph *reports.MissingGlyphError
		if errors.As(err, &glyph) {
			return nil, err
		}
		return nil, fmt.Errorf("letter %s: %w", l.ID, err)
	}
	return pdf, nil
}

// writeLetter writes a printed letter's PDF, synced, and sets its file; it is safe to call
// concurrently for different letters.
func (e *Env) writeLetter(l *pme.Letter, pdf []byte) error {
	l.File = reports.LetterPath(*l)
	return reports.WriteFileAtomic(e.Path(filepath.FromSlash(l.File)), func(w io.Writer) error {
		_, err := w.Write(pdf)
		return err
	})
}

// letterRows turns the day's letters into the report's Letters sheet.
func letterRows(made []pme.Letter, notProduced []reports.NotProduced) []reports.LetterRow {
	rows := []reports.LetterRow{}
	for _, l := range made {
		rows = append(rows, reports.LetterRow{LetterID: l.ID, UPN: l.UPN, Pupil: l.Data.Pupil.Name, LAESTAB: l.LAESTAB,
			School: l.Data.School.Name, Status: reports.LetterProduced, Detail: l.File})
	}
	for _, n := range notProduced {
		rows = append(rows, reports.LetterRow{UPN: n.UPN, Pupil: n.Pupil, LAESTAB: n.LAESTAB, School: n.School,
			Status: reports.LetterNotProduced, Detail: n.Reason})
	}
	return rows
}

// lettersMadeOn lists the letters recorded on a day and those due that cannot be made, for a
// report written apart from the letters step.
func (e *Env) lettersMadeOn(ctx context.Context, day pme.Date) ([]reports.LetterRow, error) {
	ls, err := e.Store.Letters(ctx, day)
	if err != nil {
		return nil, err
	}
	var made []pme.Letter
	for _, l := range ls {
		if l.Date.Equal(day) {
			made = append(made, l)
		}
	}
	notProduced, err := e.lettersNotProducible(ctx)
	if err != nil {
		return nil, err
	}
	return letterRows(made, notProduced), nil
}

// letterCandidates runs the rules and returns, for each pupil with a letter due, each active
// provision with the plan, school, contact and provider the letter needs.
func (e *Env) letterCandidates(ctx context.Context) ([]reports.LetterCandidate, error) {
	ev, err := e.newEvaluation(ctx)
	if err != nil {
		return nil, err
	}
	d, err := e.caseContext(ctx)
	if err != nil {
		return nil, err
	}
	var out []reports.LetterCandidate
	err = ev.run(e.Store.Reader(ctx), func(_ store.PupilRange, f rules.Facts) error {
		// A letter is due only for a pupil matched to an open CP or CIN plan: the rules need not
		// run for the others (at national scale, all but a few thousand).
		matched := make(map[int64]bool, len(f.Matches))
		for _, m := range f.Matches {
			matched[m.PupilID] = true
		}
		f = f.Only(func(id int64) bool { return matched[id] })
		for _, r := range rules.Evaluate(f, ev.cal, ev.cfg, ev.today) {
			if !r.LetterDue {
				continue
			}
			plan, ok := d.openPlan(r.PupilID, e.Today)
			if !ok || (plan.Plan.PlanType != pme.PlanCP && plan.Plan.PlanType != pme.PlanCIN) {
				// LAC with a CP/CIN plan too: openPlan ranks CP and CIN first, so this is a guard.
				continue
			}
			pupil := d.pupils[r.PupilID].Pupil
			if a := r.RegisterC2; a != nil {
				// The school returned no timetable: the letter describes the register's.
				c := d.candidate(pupil, plan.Plan, a.LAESTAB, &pme.Timetable{StartDate: a.YearC2From}, nil)
				c.Register = fmt.Sprintf("C2 (part-time timetable) recorded for %d sessions from %s to %s",
					a.YearC2, a.YearC2From.UK(), a.YearC2To.UK())
				out = append(out, c)
			}
			for _, t := range r.Timetables {
				out = append(out, d.candidate(pupil, plan.Plan, t.LAESTAB, &t.Timetable, nil))
			}
			for _, p := range r.Placements {
				c := d.candidate(pupil, plan.Plan, p.LAESTAB, nil, &p.Placement)
				if prov, ok := match.Provider(p.Placement, d.providers); ok {
					c.Provider = &prov
				}
				out = append(out, c)
			}
		}
		return nil
	})
	return out, err
}

func (d *caseData) candidate(p pme.Pupil, plan pme.Plan, laestab string, t *pme.Timetable, pl *pme.Placement) reports.LetterCandidate {
	c := reports.LetterCandidate{Pupil: p, Plan: plan, LAESTAB: laestab, Timetable: t, Placement: pl}
	if s, ok := d.schools[laestab]; ok {
		c.School = &s
	}
	if ct, ok := d.contacts[laestab]; ok {
		c.Contact = &ct
	}
	return c
}

// Reprint prints a recorded letter again, byte for byte, to its recorded file, and returns the
// file's path relative to the data folder.
func (e *Env) Reprint(ctx context.Context, id string) (string, error) {
	l, err := e.Store.Letter(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		// A mistyped id is a usage error (exit 2), not a failure of pme.
		return "", usageErrorf("reprint %s: no letter has that id (see the letters manifest for letter ids)", id)
	}
	if err != nil {
		return "", fmt.Errorf("reprint %s: %w", id, err)
	}
	_, font, err := e.letterTools()
	if err != nil {
		return "", err
	}
	pdf, err := reports.ReprintLetter(*l, font)
	if err != nil && font.Hash() != l.FontHash {
		// The configured font is not the one the letter was printed with: a configuration error.
		return "", UsageError{err.Error()}
	}
	if err != nil {
		return "", err
	}
	if err := reports.WriteFileAtomic(e.Path(filepath.FromSlash(l.File)), func(w io.Writer) error {
		_, err := w.Write(pdf)
		return err
	}); err != nil {
		return "", err
	}
	return l.File, nil
}
