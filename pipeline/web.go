package pipeline

import (
	"context"
	"crypto/rand"
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
	"unicode"

	"pme"
	"pme/store"
)

// CaseFilter selects and orders the case list (web.md: the filter lives in the URL). Empty fields
// select everything.
type CaseFilter struct {
	Status, Severity, Rule, School, Plan string
	Handling, Owner                      string // casework: the handling today, who holds the case
	Overdue                              bool   // casework: an open action past its due date
	Sort                                 string // "" (the order of pme cases), case, status, school, rule
	Page                                 int    // from 1
}

// CasesPerPage is the case list's page size.
const CasesPerPage = 50

// CaseListRow is one case in the list, with its school's name and its casework.
type CaseListRow struct {
	CaseSummary
	SchoolName string
	Casework   pme.CaseworkRow
}

// CaseList is one page of the filtered case list.
type CaseList struct {
	Rows  []CaseListRow
	Total int // cases matching the filter, on every page
	Page  int
	Pages int
}

// FilterCases returns a page of the open cases that match the filter, in the order of pme cases
// (most severe first, then case id) unless another is asked for.
func (e *Env) FilterCases(ctx context.Context, f CaseFilter) (CaseList, error) {
	q := store.CaseQuery{Status: f.Status, Severity: f.Severity, Rule: f.Rule, LAESTAB: f.School, Plan: f.Plan,
		Sort: f.Sort, Limit: CasesPerPage}
	page := max(f.Page, 1)
	q.Offset = (page - 1) * CasesPerPage
	// Casework is kept per case with a record; a case without one is unreviewed and nobody's.
	cw, err := e.CaseworkReport(ctx)
	if err != nil {
		return CaseList{}, err
	}
	if f.Handling != "" || f.Owner != "" || f.Overdue {
		var in, out []string
		for id, row := range cw.Cases {
			ok := (f.Handling == "" || row.Handling == f.Handling) && (f.Owner == "" || strings.EqualFold(row.Owner, f.Owner)) &&
				(!f.Overdue || (!row.EarliestDue.IsZero() && row.EarliestDue.Before(e.Today)))
			if ok {
				in = append(in, id)
			} else if f.Handling == pme.HandlingUnreviewed && f.Owner == "" && !f.Overdue {
				out = append(out, id)
			}
		}
		if f.Handling == pme.HandlingUnreviewed && f.Owner == "" && !f.Overdue {
			q.NotIDs = out // unreviewed: every case but those decided otherwise
		} else {
			q.IDs = append([]string{}, in...)
		}
	}
	cases, total, names, err := e.Store.CasePage(ctx, q)
	if err != nil {
		return CaseList{}, err
	}
	list := CaseList{Total: total, Page: page, Pages: max((total+CasesPerPage-1)/CasesPerPage, 1)}
	if page > list.Pages { // past the end: show the last page
		f.Page = list.Pages
		return e.FilterCases(ctx, f)
	}
	for _, c := range cases {
		row, ok := cw.Cases[c.ID]
		if !ok || row.Handling == "" {
			row.Handling = pme.HandlingUnreviewed
		}
		list.Rows = append(list.Rows, CaseListRow{CaseSummary: caseSummary(c), SchoolName: names[c.LAESTAB], Casework: row})
	}
	return list, nil
}

func (e *Env) schoolNames(ctx context.Context) (map[string]string, error) {
	schools, err := e.Store.Schools(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(schools))
	for _, s := range schools {
		names[s.LAESTAB] = s.Name
	}
	return names, nil
}

// Overview is the home page's figures: the open cases by status and severity, the last run of
// each job, and the date the case data is as at.
type Overview struct {
	AsAt       pme.Date // the run date of the last flag run; zero before the first
	ByStatus   map[string]int
	BySeverity map[string]int
	// OverdueActions and OverdueReplies count open actions past their due date and letters past
	// their reply-by date with no reply (casework.md).
	OverdueActions, OverdueReplies int
	LastRuns                       []pme.Run // the latest run of each job that has run, in the order data flows
	// MissingReturns counts the schools missing a return in the current period (compliance.md);
	// ReturnsKnown is false when compliance is not configured or no GIAS extract is loaded.
	MissingReturns int
	ReturnsKnown   bool
}

// Overview gathers the home page's figures.
func (e *Env) Overview(ctx context.Context) (Overview, error) {
	o := Overview{ByStatus: map[string]int{}, BySeverity: map[string]int{}}
	asAt, _, err := e.Store.LastFlagDate(ctx)
	if err != nil {
		return o, err
	}
	o.AsAt = asAt
	if o.ByStatus, o.BySeverity, err = e.Store.OpenCaseCounts(ctx); err != nil {
		return o, err
	}
	cw, err := e.CaseworkReport(ctx)
	if err != nil {
		return o, err
	}
	o.OverdueActions, o.OverdueReplies = cw.OverdueActions, cw.OverdueReplies
	if o.MissingReturns, o.ReturnsKnown, err = e.MissingReturns(ctx); err != nil {
		return o, err
	}
	runs, err := e.Store.Runs(ctx, 200)
	if err != nil {
		return o, err
	}
	for _, job := range []string{JobIngest, JobFlag, JobReport, JobLetters, JobRun} {
		for _, r := range runs { // newest first
			if r.Job == job && r.Outcome != pme.RunSkipped {
				o.LastRuns = append(o.LastRuns, r)
				break
			}
		}
	}
	return o, nil
}

// AsAt returns the run date the case data is as at: that of the last flag run, zero before one.
func (e *Env) AsAt(ctx context.Context) (pme.Date, error) {
	d, _, err := e.Store.LastFlagDate(ctx)
	return d, err
}

// Upload is one file a person uploaded: its name as their browser sent it (never trusted as a
// path) and where its content waits (a private temporary file).
type Upload struct {
	Name string
	Path string
}

// ErrIngestBusy is returned by UploadReturns when the inbox's ingest stayed busy: the files wait
// in the inbox and the running ingest, or the next, takes them.
var ErrIngestBusy = errors.New("another ingest is running: the files wait in the inbox and are taken by it or the next one; the Returns page shows them when done")

// uploadWait is how long UploadReturns waits for another ingest to finish.
var uploadWait = 20 * time.Second

// UploadReturns puts uploaded files in the inbox and ingests them at once through the inbox's own
// job, lock and ledger, so that an upload and a scheduled ingest never take the same file twice.
// Each file is written under the ingest lock with a safe name of its own (the name sent is kept
// only as text); its size is bounded like the inbox's (limits.max_file_mb). The summary lists the
// uploaded files only.
func (e *Env) UploadReturns(ctx context.Context, files []Upload) (IngestSummary, error) {
	sum := IngestSummary{Files: []FileSummary{}}
	if err := e.EnsureDataDir(); err != nil {
		return sum, err
	}
	limit := int64(e.Config.Limits.MaxFileMB) << 20
	wanted := map[string]bool{}
	deadline := time.Now().Add(uploadWait)
	for {
		lock, held, err := e.Store.TryLock(ctx, JobIngest)
		if err != nil {
			return sum, err
		}
		if held {
			var paths []string
			for _, f := range files {
				p, err := e.writeInbox(f, limit)
				if err != nil {
					for _, q := range paths {
						os.Remove(q)
					}
					lock.Release()
					return sum, err
				}
				paths = append(paths, p)
				wanted[filepath.Base(p)] = true
			}
			lock.Release()
			break
		}
		if time.Now().After(deadline) {
			return sum, ErrIngestBusy
		}
		select {
		case <-ctx.Done():
			return sum, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	// The job takes the lock again and ingests the inbox: the uploaded files and anything else
	// waiting there, in the ledger like any other ingest.
	for {
		run, err := e.RunJob(ctx, JobIngest, e.now())
		if errors.Is(err, ErrSkipped) && time.Now().Before(deadline) {
			time.Sleep(500 * time.Millisecond)
			continue
		}
		if errors.Is(err, ErrSkipped) {
			return sum, ErrIngestBusy
		}
		if err != nil {
			return sum, err
		}
		if run.Ingest != nil {
			for _, f := range run.Ingest.Files {
				if wanted[f.File] {
					sum.Files = append(sum.Files, f)
				}
			}
		}
		return sum, nil
	}
}

// writeInbox writes one upload into the inbox under a safe name, readable by its owner only.
func (e *Env) writeInbox(f Upload, limit int64) (string, error) {
	dir := e.Path(InboxDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	name := SafeFileName(f.Name)
	src, err := os.Open(f.Path)
	if err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	defer src.Close()
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	n, err := io.Copy(tmp, io.LimitReader(src, limit+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > limit {
		err = usageErrorf("%s is larger than %d MB (limits.max_file_mb): send it in parts, or ask for the limit to be raised", name, limit>>20)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	// The name as sent, cleaned (a return's name may say which school and return it is); a unique
	// prefix when a file of that name is already waiting. Link fails rather than replace one.
	path := filepath.Join(dir, name)
	for os.Link(tmp.Name(), path) != nil {
		b := make([]byte, 4)
		rand.Read(b)
		path = filepath.Join(dir, hex.EncodeToString(b)+" "+name)
		if _, err := os.Lstat(path); err == nil {
			continue
		}
		if err := os.Link(tmp.Name(), path); err != nil {
			os.Remove(tmp.Name())
			return "", fmt.Errorf("upload: %w", err)
		}
		break
	}
	os.Remove(tmp.Name())
	return path, nil
}

// SafeFileName keeps the last element of a name a browser sent, with only letters, digits,
// spaces and . _ - ( ) kept, at most 100 characters, never hidden or empty: it can then never name
// another folder or a device, whatever was sent.
func SafeFileName(name string) string {
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	var b strings.Builder
	for _, r := range name {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(" ._-()", r):
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	s := strings.Trim(b.String(), " .")
	if r := []rune(s); len(r) > 100 {
		ext := filepath.Ext(s)
		if len(ext) > 10 {
			ext = ""
		}
		s = string(r[:100-len([]rune(ext))]) + ext
	}
	if s == "" {
		s = "upload"
	}
	return s
}

// FeedbackFile returns the path of the feedback workbook for the received file with that
// SHA-256, and its name; ErrNotFound when the file is unknown or had no issue.
func (e *Env) FeedbackFile(ctx context.Context, sha string) (path, name string, err error) {
	f, err := e.Store.FindFile(ctx, sha)
	if err != nil {
		return "", "", err
	}
	issues, err := e.Store.FileIssues(ctx, f.ID)
	if err != nil {
		return "", "", err
	}
	if len(issues) == 0 {
		return "", "", store.ErrNotFound
	}
	// feedback() names it after the archived file when one of the sent name was already there.
	for _, n := range []string{filepath.Base(f.DestPath), f.Name} {
		p := e.Path(OutDir, "feedback", n+".feedback.xlsx")
		if _, err := os.Stat(p); err == nil {
			return p, n + ".feedback.xlsx", nil
		}
	}
	return "", "", store.ErrNotFound
}

// LetterPDF returns the path of a letter's PDF; ErrNotFound when there is no such letter or its
// file is gone.
func (e *Env) LetterPDF(ctx context.Context, id string) (pme.Letter, string, error) {
	l, err := e.Store.Letter(ctx, id)
	if err != nil {
		return pme.Letter{}, "", err
	}
	p := e.Path(l.File)
	if hasDotDot(l.File) || filepath.IsAbs(l.File) {
		return pme.Letter{}, "", store.ErrNotFound
	}
	if _, err := os.Stat(p); err != nil {
		return pme.Letter{}, "", store.ErrNotFound
	}
	return *l, p, nil
}

// LetterList returns the letters, newest first.
func (e *Env) LetterList(ctx context.Context) ([]pme.Letter, error) {
	ls, err := e.Store.Letters(ctx, pme.Date{})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(ls, func(i, j int) bool { return ls[j].Date.Before(ls[i].Date) })
	return ls, nil
}

// CaseBasics is a case as the rules left it: its findings, school and history.
type CaseBasics struct {
	Case       pme.Case
	SchoolName string
	Events     []pme.CaseEvent
}

// CaseBasics returns the case with that id; ErrNotFound when there is none.
func (e *Env) CaseBasics(ctx context.Context, id string) (CaseBasics, error) {
	c, err := e.Store.Case(ctx, id)
	if err != nil {
		return CaseBasics{}, err
	}
	name, err := e.Store.SchoolName(ctx, c.LAESTAB)
	if err != nil {
		return CaseBasics{}, err
	}
	evs, err := e.Store.CaseEvents(ctx, id)
	if err != nil {
		return CaseBasics{}, err
	}
	return CaseBasics{Case: *c, SchoolName: name, Events: evs}, nil
}

// Decide applies one meeting decision on a case, as a row of the agenda workbook would (the same
// five decisions): in-hand until the date, escalate or no further action with the text as the
// reason, a note, or an action with its owner and due date.
func (e *Env) Decide(ctx context.Context, by, caseID, decision, text, owner string, due pme.Date) (CaseworkResult, error) {
	switch decision {
	case pme.DecisionInHand:
		return e.SetHandling(ctx, by, caseID, pme.HandlingInHand, due, text)
	case pme.DecisionEscalate:
		return e.SetHandling(ctx, by, caseID, pme.HandlingEscalated, pme.Date{}, text)
	case pme.DecisionNFA:
		return e.SetHandling(ctx, by, caseID, pme.HandlingNFA, pme.Date{}, text)
	case pme.DecisionNote:
		return e.AddNote(ctx, by, caseID, text)
	case pme.DecisionAction:
		return e.AddAction(ctx, by, caseID, text, owner, due)
	}
	return CaseworkResult{}, usageErrorf("choose a decision: %s", strings.Join(pme.Decisions, ", "))
}

// CaseVersion is a digest of what a person saw of a case when a form was made: its facts (status,
// severity, rules) and how many casework records it has. A form carries it, so that a form sent
// after the case changed is caught and the person told, rather than deciding on old facts.
func (e *Env) CaseVersion(ctx context.Context, caseID string) (string, error) {
	c, err := e.Store.Case(ctx, caseID)
	if err != nil {
		return "", err
	}
	recs, err := e.Store.CaseRecords(ctx, caseID)
	if err != nil {
		return "", err
	}
	done := 0
	for _, a := range recs.Actions {
		if a.Status != pme.ActionOpen {
			done++
		}
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%s|%s|%d|%d|%d|%d|%d", c.Status, c.Severity, c.Fingerprint, c.LastChanged,
		len(recs.Actions), done, len(recs.Notes), len(recs.Handling), len(recs.Owners)))
	return hex.EncodeToString(sum[:8]), nil
}

// AuditView records a view or download by a signed-in person in the audit log (web.md): entry
// names the case, letter or child; never free text.
func (e *Env) AuditView(ctx context.Context, by, action string, entry pme.AuditEntry) error {
	entry.At, entry.Person, entry.Action = e.now(), first(by, SystemActor), action
	return e.Store.Audit(ctx, entry)
}

// OwnedCasesAudit returns the audit of the cases a practitioner holds (web.md: a practitioner's
// audit of their cases): those whose owner, as assigned, is the user's e-mail address or name.
// It also returns the cases, in id order; none when they hold none.
func (e *Env) OwnedCasesAudit(ctx context.Context, u pme.User) ([]pme.AuditEntry, []string, error) {
	cw, err := e.CaseworkReport(ctx)
	if err != nil {
		return nil, nil, err
	}
	var ids []string
	for id, row := range cw.Cases {
		if o := strings.TrimSpace(row.Owner); o != "" && (strings.EqualFold(o, u.Email) || strings.EqualFold(o, u.Name)) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return []pme.AuditEntry{}, nil, nil
	}
	sort.Strings(ids)
	entries, err := e.Store.AuditLog(ctx, pme.AuditFilter{CaseIDs: ids})
	return entries, ids, err
}
