package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"pme"
	"pme/calendar"
	"pme/ingest"
	"pme/reports"
)

// Load statuses.
const (
	LoadLoaded  = "loaded"
	LoadRefused = "refused" // nothing changed: the previous data of that kind stays in place
)

// LoadSummary is `pme load KIND FILE --json`.
type LoadSummary struct {
	Kind     string      `json:"kind"`
	File     string      `json:"file"`
	SHA256   string      `json:"sha256"`
	Status   string      `json:"status"`
	Rows     int         `json:"rows"`
	Loaded   int         `json:"loaded"`
	Rejected int         `json:"rejected"`
	Issues   []pme.Issue `json:"issues"`
	Feedback []string    `json:"feedback,omitempty"`
}

var loadKinds = []string{pme.KindSchools, pme.KindContacts, pme.KindSocialCare, pme.KindProviders, pme.KindCalendar}

// Load replaces the reference data of one kind with the file's, in one transaction. Rows with
// errors are reported and left out, except in a social care extract: there a rejected row refuses
// the whole load, because a child silently missing from the plan list would silence the letters
// and the vulnerability uplift for that child. A refused load leaves the previous data in place.
func (e *Env) Load(ctx context.Context, kind, path string) (LoadSummary, error) {
	sum := LoadSummary{Kind: kind, File: filepath.Base(path), Issues: []pme.Issue{}}
	if !contains(loadKinds, kind) {
		return sum, usageErrorf("unknown kind %q: want one of %s", kind, strings.Join(loadKinds, ", "))
	}
	sha, _, err := hashFile(path)
	if err != nil {
		return sum, fmt.Errorf("load %s: %w", kind, err)
	}
	sum.SHA256 = sha
	rows, issues, err := e.loadKind(ctx, kind, path)
	var fe *pme.FileError
	switch {
	case errors.As(err, &fe):
		sum.Status = LoadRefused
		sum.Issues = []pme.Issue{fe.Issue()}
	case err != nil:
		return sum, fmt.Errorf("load %s: %w", kind, err)
	default:
		sum.Issues = append(sum.Issues, issues...)
		sum.Rows, sum.Loaded = rows.total, rows.loaded
		sum.Rejected = rows.total - rows.loaded
		sum.Status = LoadLoaded
		if rows.refused != "" {
			sum.Status = LoadRefused
			sum.Loaded = 0
			sum.Issues = append(sum.Issues, pme.Issue{Code: pme.CodeFileUnreadable, Severity: pme.SeverityError, Message: rows.refused})
		}
	}
	if len(sum.Issues) > 0 {
		files, err := reports.WriteFeedback(e.Path(OutDir, "feedback"), reports.Feedback{
			File: sum.File, SHA256: sha, Received: e.now(), Status: loadFeedbackStatus(sum), Issues: sum.Issues,
		})
		if err != nil {
			return sum, err
		}
		for _, f := range files {
			sum.Feedback = append(sum.Feedback, e.Rel(f))
		}
	}
	e.log().Info("reference data", "kind", kind, "file_sha", sha[:12], "status", sum.Status, "rows", sum.Rows, "loaded", sum.Loaded)
	return sum, nil
}

func loadFeedbackStatus(s LoadSummary) string {
	switch {
	case s.Status == LoadRefused:
		return pme.FileRejected
	case s.Rejected > 0:
		return pme.FilePartial
	}
	return pme.FileAccepted
}

type loadCounts struct {
	total, loaded int
	refused       string // why the whole load was refused, if it was
}

// loadKind parses the file and replaces the stored data of its kind.
func (e *Env) loadKind(ctx context.Context, kind, path string) (loadCounts, []pme.Issue, error) {
	if kind == pme.KindCalendar {
		return e.loadCalendar(ctx, path)
	}
	wb, err := ingest.Open(path, e.limits())
	if err != nil {
		return loadCounts{}, nil, err
	}
	defer wb.Close()
	switch kind {
	case pme.KindSchools:
		schools, issues, err := ingest.ParseSchools(wb)
		if err != nil {
			return loadCounts{}, issues, err
		}
		c := counts(len(schools), issues)
		return c, issues, e.Store.ReplaceSchools(ctx, schools)
	case pme.KindContacts:
		contacts, issues, err := ingest.ParseContacts(wb)
		if err != nil {
			return loadCounts{}, issues, err
		}
		return counts(len(contacts), issues), issues, e.Store.ReplaceContacts(ctx, contacts)
	case pme.KindProviders:
		providers, issues, err := ingest.ParseProviders(wb)
		if err != nil {
			return loadCounts{}, issues, err
		}
		return counts(len(providers), issues), issues, e.Store.ReplaceProviders(ctx, providers)
	case pme.KindSocialCare:
		plans, issues, err := ingest.ParseSocialCare(wb)
		if err != nil {
			return loadCounts{}, issues, err
		}
		c := counts(len(plans), issues)
		if c.loaded < c.total {
			c.refused = fmt.Sprintf("%d row(s) of the social care extract have errors, so none of it was loaded (a child left out would lose their plan); correct the rows listed and load the whole extract again", c.total-c.loaded)
			return c, issues, nil
		}
		return c, issues, e.Store.ReplacePlans(ctx, plans)
	}
	return loadCounts{}, nil, fmt.Errorf("unknown kind %q", kind)
}

// counts derives row counts from the records kept and the issues: each row with an error was left out.
func counts(loaded int, issues []pme.Issue) loadCounts {
	bad := map[string]bool{}
	for _, is := range issues {
		if is.IsError() && is.Row > 0 {
			bad[fmt.Sprintf("%s\x00%d", is.Sheet, is.Row)] = true
		}
	}
	return loadCounts{total: loaded + len(bad), loaded: loaded}
}

func (e *Env) loadCalendar(ctx context.Context, path string) (loadCounts, []pme.Issue, error) {
	f, err := os.Open(path)
	if err != nil {
		return loadCounts{}, nil, err
	}
	defer f.Close()
	terms, closures, err := calendar.Parse(f, filepath.Base(path))
	if err == nil {
		_, err = calendar.New(terms, closures)
	}
	if err != nil {
		return loadCounts{}, nil, &pme.FileError{Code: pme.CodeFileUnreadable,
			Message: fmt.Sprintf("the calendar could not be read: %v. Correct the file and load it again; the previous calendar stays in use.", err)}
	}
	n := len(terms) + len(closures)
	return loadCounts{total: n, loaded: n}, nil, e.Store.ReplaceCalendar(ctx, terms, closures)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// UsageError is a mistake in how a job was asked for: cmd/pme exits with status 2 for it.
type UsageError struct{ Msg string }

func (e UsageError) Error() string { return e.Msg }

func usageErrorf(format string, a ...any) error { return UsageError{fmt.Sprintf(format, a...)} }
