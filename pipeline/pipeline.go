// Package pipeline runs pme's jobs: it wires the pure packages (ingest, rules, reports) to the
// store and the data folder. cmd/pme parses flags and calls it; the scheduler calls it too.
package pipeline

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"pme"
	"pme/config"
	"pme/ingest"
	"pme/rules"
	"pme/store"
)

// Env is what every job needs.
type Env struct {
	Store   *store.Store
	Config  config.Config
	DataDir string
	Today   pme.Date         // the date rules, reports and letters are computed for
	Now     func() time.Time // the clock, for file names and the ledger
	Log     *slog.Logger     // never given a name, UPN, address or date of birth
	// Progress, when set, shows long work to a person at a terminal.
	Progress func(total int, what string) Progress
	// User is who runs the pipeline's own commands (PME_USER), recorded on what they write (an
	// agenda, a reminder letter); "" records SystemActor.
	User string
	// ListCases makes Flag list every case in its summary, for --json; otherwise it only counts them.
	ListCases bool

	warnings *warnings  // the run's warnings (see Warn)
	emails   *emailBook // headteachers' addresses for the feedback drafts, read at the start of each ingest
}

// Progress is a progress display for long work.
type Progress interface {
	Add(n int)
	Finish()
}

// progress shows long work: a bar on a terminal (Env.Progress), otherwise a log line every few
// seconds, so a scheduler's log shows a large file moving.
func (e *Env) progress(total int, what string) Progress {
	if e.Progress != nil {
		return e.Progress(total, what)
	}
	return &logProgress{log: e.log(), what: what, total: total, last: time.Now()}
}

// progressEvery is how often logProgress logs.
const progressEvery = 5 * time.Second

type logProgress struct {
	log         *slog.Logger
	what        string
	total, done int
	last        time.Time
}

func (p *logProgress) Add(n int) {
	p.done += n
	if time.Since(p.last) >= progressEvery {
		p.last = time.Now()
		p.log.Info("progress", "work", p.what, "done", p.done, "total", p.total)
	}
}

func (p *logProgress) Finish() {}

func (e *Env) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

func (e *Env) log() *slog.Logger {
	if e.Log == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return e.Log
}

// The data folder's layout (cli.md).
const (
	InboxDir    = "inbox"
	ArchiveDir  = "archive"
	RejectedDir = "rejected"
	OutDir      = "out"
)

// Path returns a path inside the data folder.
func (e *Env) Path(parts ...string) string {
	return filepath.Join(append([]string{e.DataDir}, parts...)...)
}

// Rel returns path relative to the data folder when it lies inside it.
func (e *Env) Rel(path string) string {
	if r, err := filepath.Rel(e.DataDir, path); err == nil && !filepath.IsAbs(r) && r != ".." && !hasDotDot(r) {
		return r
	}
	return path
}

func hasDotDot(rel string) bool {
	return len(rel) >= 3 && rel[:3] == ".."+string(filepath.Separator)
}

// EnsureDataDir creates the data folder and its subfolders, private to their owner.
func (e *Env) EnsureDataDir() error {
	for _, d := range []string{InboxDir, ArchiveDir, RejectedDir, OutDir} {
		if err := os.MkdirAll(e.Path(d), 0o700); err != nil {
			return err
		}
	}
	return os.Chmod(e.DataDir, 0o700)
}

// limits converts the configured limits for the readers.
func (e *Env) limits() ingest.Limits {
	l := e.Config.Limits
	return ingest.Limits{
		MaxFileBytes:     int64(l.MaxFileMB) << 20,
		MaxRowsPerSheet:  l.MaxRowsPerSheet,
		MaxUnzippedBytes: int64(l.MaxUnzippedMB) << 20,
	}
}

// ValidateConfig checks the parts of the configuration that belong to other packages: the rules'
// severities and thresholds and the extra header aliases. Errors name the key.
func ValidateConfig(cfg config.Config) error {
	if _, err := rules.FromYAML(cfg.Rules, cfg.FullTimeHours); err != nil {
		return err
	}
	if err := ingest.ValidateAliases(cfg.Aliases); err != nil {
		return fmt.Errorf("aliases: %w", err)
	}
	return nil
}
