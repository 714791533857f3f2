package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"pme"
	"pme/ingest"
	"pme/reports"
	"pme/store"
)

// IngestSummary is `pme ingest --json` (cli.md).
type IngestSummary struct {
	Files []FileSummary `json:"files"`
}

// FileSummary is one file's outcome.
type FileSummary struct {
	File     string         `json:"file"`
	SHA256   string         `json:"sha256"`
	Status   string         `json:"status"` // accepted, partial, rejected, duplicate
	Sheets   []SheetSummary `json:"sheets"`
	Issues   []pme.Issue    `json:"issues"`
	Skipped  []string       `json:"skipped_sheets,omitempty"` // sheets not read, and why
	Moved    string         `json:"moved_to,omitempty"`       // where the file now is, relative to the data folder
	Feedback []string       `json:"feedback,omitempty"`       // the feedback report for the school
	Note     string         `json:"note,omitempty"`
	// named are the schools a file refused as a whole named in its readable rows: its feedback
	// goes to the one school they name when its file name gives none.
	named []string
}

// SheetSummary is one sheet's outcome.
type SheetSummary struct {
	Sheet      string `json:"sheet"`
	ReturnType string `json:"return_type"`
	School     string `json:"school"`
	Rows       int    `json:"rows"`
	Accepted   int    `json:"accepted"`
	Rejected   int    `json:"rejected"`
	Skipped    int    `json:"skipped"` // exact duplicate rows skipped with a warning
}

// Counts adds up the summary for the run ledger and the human summary.
func (s IngestSummary) Counts() (files, rows, accepted, rejected int, byStatus map[string]int) {
	byStatus = map[string]int{}
	for _, f := range s.Files {
		byStatus[f.Status]++
		for _, sh := range f.Sheets {
			rows += sh.Rows
			accepted += sh.Accepted
			rejected += sh.Rejected
		}
	}
	return len(s.Files), rows, accepted, rejected, byStatus
}

// InboxFiles lists the files waiting in inbox/, oldest first. Hidden files, Office lock files
// ("~$…") and folders are left alone.
func (e *Env) InboxFiles() ([]string, error) {
	entries, err := os.ReadDir(e.Path(InboxDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read inbox: %w", err)
	}
	type file struct {
		path string
		mod  time.Time
	}
	var files []file
	for _, de := range entries {
		name := de.Name()
		if de.IsDir() || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$") {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue // gone since the listing
		}
		files = append(files, file{e.Path(InboxDir, name), info.ModTime()})
	}
	sort.Slice(files, func(i, j int) bool {
		if !files[i].mod.Equal(files[j].mod) {
			return files[i].mod.Before(files[j].mod)
		}
		return files[i].path < files[j].path
	})
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.path
	}
	return out, nil
}

// Ingest ingests the named files, or every file in inbox/ when none is named. A file in inbox/ is
// moved to archive/ or rejected/ after its transaction commits; a file named elsewhere is copied
// there and left where it is. Rows and files rejected for their content are results, not errors:
// the error is for what stopped the run (the database, the disk).
func (e *Env) Ingest(ctx context.Context, paths []string) (IngestSummary, error) {
	return e.ingestPaths(ctx, paths, false)
}

// ingestPaths is Ingest; attendanceOnly reads attendance extracts and no returns (`pme load
// attendance`).
func (e *Env) ingestPaths(ctx context.Context, paths []string, attendanceOnly bool) (IngestSummary, error) {
	defer softMemoryLimit(ingestMemoryLimit)()
	sum := IngestSummary{Files: []FileSummary{}}
	if err := e.EnsureDataDir(); err != nil {
		return sum, fmt.Errorf("ingest: %w", err)
	}
	if len(paths) == 0 {
		var err error
		if paths, err = e.InboxFiles(); err != nil {
			return sum, err
		}
	}
	for _, p := range paths {
		if fi, err := os.Stat(p); err != nil || fi.IsDir() {
			return sum, usageErrorf("%s is not a file that can be read: name the returns to ingest, or leave the names out to ingest %s", p, e.Path(InboxDir))
		}
	}
	dir, err := e.schoolDirectory(ctx)
	if err != nil {
		return sum, err
	}
	att, err := e.attendanceOptions(ctx, attendanceOnly)
	if err != nil {
		return sum, err
	}
	if err := e.readFeedbackEmails(ctx); err != nil {
		return sum, err
	}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return sum, err // stop between files: the current file has finished
		}
		// A signal lets the current file finish: its transaction, feedback and move.
		fs, err := e.ingestFile(context.WithoutCancel(ctx), p, dir, att)
		if err != nil {
			return sum, fmt.Errorf("ingest %s: %w", filepath.Base(p), err)
		}
		sum.Files = append(sum.Files, fs)
	}
	return sum, nil
}

// ingestFile takes one file through its whole lifecycle. The order makes a crash at any point
// safe: the database transaction commits first (recording where the file will go), then the
// feedback is written, then the file moves. A rerun finds the file's hash and finishes the move.
func (e *Env) ingestFile(ctx context.Context, path string, dir ingest.SchoolDirectory, att ingest.AttendanceOptions) (FileSummary, error) {
	name := filepath.Base(path)
	fs := FileSummary{File: name, Sheets: []SheetSummary{}, Issues: []pme.Issue{}}
	sha, size, err := hashFile(path)
	if err != nil {
		return fs, err
	}
	fs.SHA256 = sha
	log := e.log().With("file_sha", sha[:12])

	prev, err := e.Store.FindFile(ctx, sha)
	switch {
	case err == nil:
		return e.seenBefore(ctx, path, fs, prev)
	case !errors.Is(err, store.ErrNotFound):
		return fs, err
	}

	received := e.now()
	meta := store.FileMeta{SHA256: sha, Name: name, Size: size, Received: received, RunDate: e.Today}
	lim := e.attendanceLimits(att)
	wb, err := ingest.Open(path, lim)
	var fileErr *pme.FileError
	if errors.As(err, &fileErr) {
		return e.rejectFile(ctx, path, fs, meta, fileErr)
	}
	if err != nil {
		return fs, err
	}
	defer wb.Close()

	meta.DestPath = e.destination(ArchiveDir, name, sha, received)
	ft, err := e.Store.BeginFile(ctx, meta)
	if err != nil {
		return fs, err
	}
	bar := e.progress(-1, "rows of file "+sha[:12]) // a hash, not the name: logs carry no names
	defer bar.Finish()
	async := newAsyncSink(ft)
	tee := &collectSink{Sink: async, progress: bar, text: ingest.IsText(wb)}
	res, err := ingest.Parse(wb, ingest.Options{
		FileName:   name,
		Today:      e.Today,
		Aliases:    e.Config.Aliases,
		Schools:    dir,
		Limits:     e.limits(), // a returns sheet keeps its own row limit
		Attendance: att,
	}, tee)
	tee.sheetEnded() // a sheet cut short by an error keeps no limit of its own
	if storeErr := async.Close(); err == nil {
		err = storeErr
	}
	if errors.As(err, &fileErr) {
		ft.Rollback()
		return e.rejectFile(ctx, path, fs, meta, fileErr)
	}
	if err != nil {
		ft.Rollback()
		return fs, err
	}
	status := pme.FileAccepted
	for _, sh := range res.Sheets {
		if sh.Rejected > 0 || sheetHasError(tee.issues, sh) {
			status = pme.FilePartial
		}
	}
	if err := ft.Commit(status); err != nil {
		return fs, err
	}
	fs.Status = status
	fs.Issues = append(append([]pme.Issue{}, tee.issues...), ft.StoreIssues()...)
	for _, sh := range res.Sheets {
		fs.Sheets = append(fs.Sheets, sheetSummary(sh))
	}
	for _, sk := range res.Skipped {
		fs.Skipped = append(fs.Skipped, sk.Name+": "+sk.Reason)
	}
	log.Info("return ingested", "status", status, "sheets", len(fs.Sheets), "issues", len(fs.Issues))
	if err := e.finish(path, &fs, meta.DestPath, received); err != nil {
		return fs, err
	}
	return fs, nil
}

// sheetHasError reports a sheet-level error (such as a nil return with no school) that rejected
// no row but still needs the school to act.
func sheetHasError(issues []pme.Issue, sh pme.SheetResult) bool {
	for _, is := range issues {
		if is.Sheet == sh.Sheet && is.IsError() && is.Row == sh.HeaderRow {
			return true
		}
	}
	return false
}

func sheetSummary(sh pme.SheetResult) SheetSummary {
	return SheetSummary{Sheet: sh.Sheet, ReturnType: string(sh.ReturnType), School: sh.School,
		Rows: sh.Rows, Accepted: sh.Accepted, Rejected: sh.Rejected, Skipped: sh.Skipped}
}

// rejectFile records a file-level rejection, writes the school's feedback and moves the file to
// rejected/.
func (e *Env) rejectFile(ctx context.Context, path string, fs FileSummary, meta store.FileMeta, fe *pme.FileError) (FileSummary, error) {
	meta.DestPath = e.destination(RejectedDir, meta.Name, meta.SHA256, meta.Received)
	is := fe.Issue()
	if err := e.Store.RecordRejectedFile(ctx, meta, is, fe.Schools); err != nil {
		return fs, err
	}
	fs.Status = pme.FileRejected
	fs.Issues = []pme.Issue{is}
	fs.named = fe.Schools
	e.log().Info("return rejected", "file_sha", meta.SHA256[:12], "code", fe.Code)
	return fs, e.finish(path, &fs, meta.DestPath, meta.Received)
}

// seenBefore handles a file whose hash is known: either an earlier run stopped before moving it
// (finish the move), or the school sent the same bytes again (a duplicate: nothing changes).
func (e *Env) seenBefore(ctx context.Context, path string, fs FileSummary, prev *store.StoredFile) (FileSummary, error) {
	dest := e.Path(prev.DestPath)
	if _, err := os.Stat(dest); errors.Is(err, os.ErrNotExist) {
		issues, err := e.Store.FileIssues(ctx, prev.ID)
		if err != nil {
			return fs, err
		}
		sheets, err := e.Store.FileSheets(ctx, prev.ID)
		if err != nil {
			return fs, err
		}
		fs.Status = prev.Status
		fs.Issues = append(fs.Issues, issues...)
		for _, sh := range sheets {
			fs.Sheets = append(fs.Sheets, sheetSummary(sh))
		}
		fs.Note = "stored by an earlier run that stopped before moving the file; the move is now finished"
		e.log().Info("finishing an interrupted ingest", "file_sha", fs.SHA256[:12])
		return fs, e.finish(path, &fs, prev.DestPath, prev.Received)
	}
	fs.Status = pme.FileDuplicate
	fs.Issues = []pme.Issue{{
		Code: pme.CodeFileDuplicate, Severity: pme.SeverityError,
		Message: fmt.Sprintf("This file is identical to %q, already received on %s; nothing has changed. To correct a return, change the file and send it again.",
			prev.Name, prev.Received.In(londonOrUTC()).Format("02/01/2006 15:04")),
	}}
	e.log().Info("duplicate file", "file_sha", fs.SHA256[:12])
	now := e.now()
	dup := e.destination(RejectedDir, fs.File, fs.SHA256, now)
	if err := e.feedback(&fs, dup, now); err != nil {
		return fs, err
	}
	if isIn(path, e.Path(InboxDir)) {
		if err := moveFile(path, e.Path(dup)); err != nil {
			return fs, err
		}
		fs.Moved = dup
	}
	return fs, nil
}

// finish writes the feedback (when there is any issue) and then moves or copies the file to its
// recorded destination.
func (e *Env) finish(path string, fs *FileSummary, dest string, received time.Time) error {
	if err := e.feedback(fs, dest, received); err != nil {
		return err
	}
	abs := e.Path(dest)
	var err error
	if isIn(path, e.Path(InboxDir)) {
		err = moveFile(path, abs)
	} else {
		err = copyFile(path, abs)
	}
	if err != nil {
		return err
	}
	fs.Moved = dest
	return nil
}

// feedback writes the school's feedback report when the file has any issue. It is named after the
// file as sent; when a report of that name is already there (another file of the same name, sent
// earlier), it is named after the file's archived name instead, so no feedback is overwritten.
func (e *Env) feedback(fs *FileSummary, dest string, received time.Time) error {
	if len(fs.Issues) == 0 {
		return nil
	}
	dir := e.Path(OutDir, "feedback")
	fb := reports.Feedback{File: fs.File, SHA256: fs.SHA256, Received: received.In(londonOrUTC()), Status: fs.Status,
		Sheets: sheetResults(fs.Sheets), Skipped: fs.Skipped, Issues: fs.Issues}
	if _, err := os.Stat(filepath.Join(dir, fs.File+".feedback.xlsx")); err == nil {
		fb.OutputName = filepath.Base(dest)
	}
	files, err := reports.WriteFeedback(dir, fb)
	if err != nil {
		return err
	}
	for _, f := range files {
		fs.Feedback = append(fs.Feedback, e.Rel(f))
	}
	return e.feedbackDraft(fs, files, received)
}

func sheetResults(ss []SheetSummary) []pme.SheetResult {
	out := make([]pme.SheetResult, len(ss))
	for i, s := range ss {
		out[i] = pme.SheetResult{Sheet: s.Sheet, ReturnType: pme.ReturnType(s.ReturnType), School: s.School,
			Rows: s.Rows, Accepted: s.Accepted, Rejected: s.Rejected, Skipped: s.Skipped}
	}
	return out
}

// destination names where a file goes: archive/YYYY/MM/ or rejected/, renamed with a timestamp and
// a short content hash so that nothing is ever overwritten. Relative to the data folder.
func (e *Env) destination(kind, name, sha string, at time.Time) string {
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	file := fmt.Sprintf("%s.%s.%s%s", stem, at.UTC().Format("20060102T150405Z"), sha[:8], ext)
	if kind == ArchiveDir {
		return filepath.Join(ArchiveDir, at.UTC().Format("2006"), at.UTC().Format("01"), file)
	}
	return filepath.Join(kind, file)
}

// collectSink passes everything to the store and keeps the issues for the summary and feedback.
// While a returns sheet of a text file is read, it sets the tighter memory limit for it.
type collectSink struct {
	ingest.Sink
	issues   []pme.Issue
	progress Progress
	text     bool
	restore  func() // the limit before the sheet's, while it is read
}

func (c *collectSink) StartSheet(s pme.SheetResult) error {
	if c.text && !s.ReturnType.Attendance() && c.restore == nil {
		c.restore = softMemoryLimit(textReturnLimit(liveHeap()))
	}
	return c.Sink.StartSheet(s)
}

func (c *collectSink) EndSheet(s pme.SheetResult) error {
	c.sheetEnded()
	return c.Sink.EndSheet(s)
}

func (c *collectSink) sheetEnded() {
	if c.restore != nil {
		c.restore()
		c.restore = nil
	}
}

func (c *collectSink) Records(batch []pme.Record) error {
	c.progress.Add(len(batch))
	return c.Sink.Records(batch)
}

func (c *collectSink) Issues(batch []pme.Issue) error {
	c.issues = append(c.issues, batch...)
	return c.Sink.Issues(batch)
}

func hashFile(path string) (sha string, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func isIn(path, dir string) bool {
	abs, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(dir)
	return err1 == nil && err2 == nil && filepath.Dir(abs) == d
}

// moveFile renames src to dst, never replacing an existing file.
func moveFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("move %s: %s already exists", filepath.Base(src), dst)
	}
	if err := os.Rename(src, dst); err != nil {
		return fmt.Errorf("move %s: %w", filepath.Base(src), err)
	}
	// The school's file holds children's data: readable by its owner only, however it arrived.
	if err := os.Chmod(dst, 0o600); err != nil {
		return fmt.Errorf("move %s: %w", filepath.Base(src), err)
	}
	return nil
}

// copyFile copies src to dst (0600), for files named outside the inbox.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("copy %s: %s already exists", filepath.Base(src), dst)
	}
	return reports.WriteFileAtomic(dst, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}

func londonOrUTC() *time.Location {
	if loc, err := time.LoadLocation("Europe/London"); err == nil {
		return loc
	}
	return time.UTC
}
