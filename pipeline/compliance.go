package pipeline

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"pme"
	"pme/compliance"
	"pme/config"
	"pme/ingest"
	"pme/reports"
	"pme/rules"
)

// Who has returned (compliance.md): the operations behind pme returns, pme chase, the Returns
// sheet, "School not returning" and STALE_RETURN, shared by the command line and the web.

// HistoryPeriods is how many periods of history a grid holds: enough for a year of monthly
// returns, for missing_in_a_row and STALE_RETURN.
const HistoryPeriods = 12

// SheetPeriods is how many periods the Returns sheet shows.
const SheetPeriods = 6

// ErrComplianceNotConfigured is returned when returns.la_codes is not set: the commands that need
// compliance exit 2 with it, and the report, agenda and flag leave compliance out with a warning.
var ErrComplianceNotConfigured = UsageError{config.ErrNoLACodes}

// ErrNoSchools is returned when no GIAS extract is loaded: pme cannot tell who should return.
var ErrNoSchools = errors.New("no GIAS school extract is loaded, so pme cannot tell which schools should return: download edubasealldata from Get Information about Schools and load it with pme load schools FILE")

// ComplianceWarning is the warning report, agenda and flag give when compliance is left out.
const ComplianceWarning = "Returns compliance was left out: returns.la_codes is not set. Add the council's three-digit LA codes to the configuration file (returns: {la_codes: [891]})."

// Compliance is a computed grid with what the commands around it need.
type Compliance struct {
	Grid     *compliance.Grid
	Periods  *compliance.Periods
	Rejected []pme.RejectedFile // files refused as a whole in the grid's periods, with their school
	Receipts []pme.Receipt      // the accepted sheets the grid was computed from
}

// ReturnPeriods returns the return periods of the configured cadence over the school calendar.
func (e *Env) ReturnPeriods(ctx context.Context) (*compliance.Periods, error) {
	r := e.Config.Returns
	if !r.Configured() {
		return nil, ErrComplianceNotConfigured
	}
	cal, err := e.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	p, err := compliance.NewPeriods(cal, pme.Cadence(r.Cadence), r.DueSchoolDay)
	if err != nil {
		return nil, UsageError{"returns: " + err.Error()}
	}
	return p, nil
}

// ComplianceFor computes the grid of the n periods ending with last, as at the run date.
func (e *Env) ComplianceFor(ctx context.Context, per *compliance.Periods, last pme.Period, n int) (*Compliance, error) {
	r := e.Config.Returns
	if !r.Configured() {
		return nil, ErrComplianceNotConfigured
	}
	loaded, err := e.Store.ReferenceLoaded(ctx, pme.KindSchools)
	if err != nil {
		return nil, err
	}
	if !loaded {
		return nil, ErrNoSchools
	}
	schools, err := e.Store.Schools(ctx)
	if err != nil {
		return nil, err
	}
	c := &Compliance{Periods: per}
	expected := compliance.Expected(schools, compliance.Scope{LACodes: r.LACodes, TypeGroups: r.TypeGroups, ExcludeLAESTAB: r.ExcludeLAESTAB})
	if len(expected) == 0 {
		e.Warn("%s", fmt.Sprintf("No open school in the GIAS extract is in LA %s and the type groups %s: check returns.la_codes and returns.type_groups.",
			strings.Join(r.LACodes, ", "), strings.Join(r.TypeGroups, ", ")))
	}
	periods := per.Last(last.Start, n)
	if a := per.Assumption(last); a != "" {
		e.Warn("%s", a)
	}
	from := periods[0].Start
	receipts, err := e.Store.Receipts(ctx, from)
	if err != nil {
		return nil, err
	}
	if c.Rejected, err = e.Store.RejectedFiles(ctx, from); err != nil {
		return nil, err
	}
	for i := range c.Rejected {
		c.Rejected[i].LAESTAB, _ = ingest.FileNameLAESTAB(c.Rejected[i].Name)
	}
	since := e.Today
	if first, ok, err := e.Store.FirstReceived(ctx); err != nil {
		return nil, err
	} else if ok && first.Before(since) {
		since = first
	}
	types := make([]pme.ReturnType, len(r.Types))
	for i, t := range r.Types {
		types[i] = pme.ReturnType(t)
	}
	c.Receipts = receipts
	c.Grid = compliance.Compute(compliance.Input{Schools: expected, Periods: periods, Types: types, Receipts: receipts,
		Rejected: c.Rejected, Today: e.Today, Since: since})
	return c, nil
}

// CurrentCompliance computes the grid of the history ending with the period holding the run date.
func (e *Env) CurrentCompliance(ctx context.Context, n int) (*Compliance, error) {
	per, err := e.ReturnPeriods(ctx)
	if err != nil {
		return nil, err
	}
	return e.ComplianceFor(ctx, per, per.At(e.Today), n)
}

// ReturnsSummary is pme returns: one period, school by return type (compliance.md).
type ReturnsSummary struct {
	Period  string          `json:"period"`
	Due     pme.Date        `json:"due"`
	Schools []SchoolReturns `json:"schools"`
	Counts  map[string]int  `json:"counts"`
}

// SchoolReturns is one school's returns for the period.
type SchoolReturns struct {
	LAESTAB       string                     `json:"laestab"`
	School        string                     `json:"school"`
	Types         map[string]compliance.Cell `json:"types"`
	MissingInARow int                        `json:"missing_in_a_row"`
}

// Returns says who has returned what for the period (--period: current, previous, YYYY-MM, …),
// for every expected school or the one named, worst first.
func (e *Env) Returns(ctx context.Context, period, school string) (ReturnsSummary, error) {
	per, err := e.ReturnPeriods(ctx)
	if err != nil {
		return ReturnsSummary{}, err
	}
	p, err := per.Parse(period, e.Today)
	if err != nil {
		return ReturnsSummary{}, UsageError{"--period: " + err.Error()}
	}
	c, err := e.ComplianceFor(ctx, per, p, HistoryPeriods)
	if err != nil {
		return ReturnsSummary{}, err
	}
	g := c.Grid
	last := len(g.Periods) - 1
	sum := ReturnsSummary{Period: p.ID, Due: p.Due, Schools: []SchoolReturns{}, Counts: map[string]int{}}
	if !p.Expects() {
		e.Warn("Period %s has no school day, so no return is expected for it.", p.ID)
	}
	if school != "" && g.School(school) < 0 {
		return sum, UsageError{fmt.Sprintf("--school %s: no school with that LAESTAB is expected to return (open, in returns.la_codes and returns.type_groups)", school)}
	}
	for _, s := range worstIn(g, last) {
		sch := g.Schools[s]
		if school != "" && sch.LAESTAB != school {
			continue
		}
		sr := SchoolReturns{LAESTAB: sch.LAESTAB, School: sch.Name, Types: map[string]compliance.Cell{}, MissingInARow: g.MissingInARow(s)}
		for t, typ := range g.Types {
			if cell := g.Cell(s, last, t); cell.Status != "" {
				sr.Types[string(typ)] = cell
				sum.Counts[string(cell.Status)]++
			}
		}
		if len(sr.Types) > 0 {
			sum.Schools = append(sum.Schools, sr)
		}
	}
	return sum, nil
}

// worstIn orders the schools by their worst status in period p, then by LAESTAB.
func worstIn(g *compliance.Grid, p int) []int {
	rank := func(s int) int {
		best := len(statusOrder)
		for t := range g.Types {
			if r, ok := statusOrder[g.Cell(s, p, t).Status]; ok && r < best {
				best = r
			}
		}
		return best
	}
	idx := make([]int, len(g.Schools))
	ranks := make([]int, len(g.Schools))
	for i := range idx {
		idx[i], ranks[i] = i, rank(i)
	}
	sort.SliceStable(idx, func(i, j int) bool { return ranks[idx[i]] < ranks[idx[j]] })
	return idx
}

var statusOrder = map[pme.ReturnStatus]int{pme.StatusMissing: 0, pme.StatusRejectedOnly: 1, pme.StatusLate: 2,
	pme.StatusNotDue: 3, pme.StatusNil: 4, pme.StatusReturned: 5}

// NotReturning is a school escalated as "School not returning" (compliance.md): missing for
// returns.escalate_after_missing periods in a row.
type NotReturning struct {
	LAESTAB       string           `json:"laestab"`
	School        string           `json:"school"`
	Types         []pme.ReturnType `json:"types"`
	PeriodsMissed int              `json:"periods_missed"`
	LastReceived  pme.Date         `json:"last_received"`
	Children      int              `json:"children"` // on its last reduced-timetable and AP lists
}

// NotReturning lists the schools to escalate, most periods missed first.
func (e *Env) NotReturning(ctx context.Context, c *Compliance) ([]NotReturning, error) {
	g := c.Grid
	var out []NotReturning
	for s := range g.Schools {
		n := g.MissingInARow(s)
		if n < e.Config.Returns.EscalateAfterMissing {
			continue
		}
		// The types missed in the last period the run counted.
		var types []pme.ReturnType
		for p := len(g.Periods) - 1; p >= 0 && len(types) == 0; p-- {
			types = g.MissingTypes(s, p)
		}
		out = append(out, NotReturning{LAESTAB: g.Schools[s].LAESTAB, School: g.Schools[s].Name, Types: types, PeriodsMissed: n})
	}
	if len(out) == 0 {
		return nil, nil
	}
	last, err := e.Store.LastReceived(ctx)
	if err != nil {
		return nil, err
	}
	kids, err := e.Store.ChildrenOnLists(ctx)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].LastReceived, out[i].Children = last[out[i].LAESTAB], kids[out[i].LAESTAB]
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].PeriodsMissed > out[j].PeriodsMissed })
	return out, nil
}

// ChaseSummary is pme chase (compliance.md).
type ChaseSummary struct {
	Period         string           `json:"period"`
	Drafts         []pme.ChaseDraft `json:"drafts"`
	AlreadyDrafted int              `json:"already_drafted"`
	NoEmail        []NoEmail        `json:"no_email"`
}

// NoEmail is a school that needs chasing but has no usable headteacher e-mail in the contacts.
type NoEmail struct {
	LAESTAB string `json:"laestab"`
	School  string `json:"school"`
	Reason  string `json:"reason"`
}

// Chase drafts one e-mail per school that is missing or rejected-only for the current period, to
// its headteacher, in out/chase/YYYY-MM-DD/. A school already drafted for the period gets nothing
// new; a school without a usable e-mail address is listed.
func (e *Env) Chase(ctx context.Context) (ChaseSummary, error) {
	c, err := e.CurrentCompliance(ctx, HistoryPeriods)
	if err != nil {
		return ChaseSummary{}, err
	}
	g := c.Grid
	last := len(g.Periods) - 1
	per := g.Periods[last]
	sum := ChaseSummary{Period: per.ID, Drafts: []pme.ChaseDraft{}, NoEmail: []NoEmail{}}
	done, err := e.Store.ChaseDrafts(ctx, per.ID)
	if err != nil {
		return sum, err
	}
	emails, err := e.headEmails(ctx)
	if err != nil {
		return sum, err
	}
	template := e.Config.Returns.Template
	if template != "" {
		if _, err := os.Stat(template); err != nil {
			e.Warn("returns.template %s cannot be read, so the drafts go without it: %v", template, err)
			template = ""
		}
	}
	dir := e.Path(OutDir, "chase", e.Today.String())
	for s, sch := range g.Schools {
		var missing, rejected []pme.ReturnType
		for t, typ := range g.Types {
			switch g.Cell(s, last, t).Status {
			case pme.StatusMissing:
				missing = append(missing, typ)
			case pme.StatusRejectedOnly:
				rejected = append(rejected, typ)
			}
		}
		if len(missing)+len(rejected) == 0 {
			continue
		}
		if _, ok := done[sch.LAESTAB]; ok {
			sum.AlreadyDrafted++
			continue
		}
		to, problem := emails.lookup(sch)
		if problem != "" {
			sum.NoEmail = append(sum.NoEmail, NoEmail{LAESTAB: sch.LAESTAB, School: sch.Name, Reason: problem})
			continue
		}
		files := rejectedFilesOf(c.Rejected, sch.LAESTAB, per)
		d := pme.ChaseDraft{LAESTAB: sch.LAESTAB, Period: per.ID, Drafted: e.Today, To: to, Types: append(missing, rejected...),
			File: filepath.Join(OutDir, "chase", e.Today.String(), sch.LAESTAB+"-"+per.ID+".eml")}
		draft := reports.Draft{To: to, Date: e.now(), Body: chaseBody(e.Config, sch, per, missing, rejected, files, template != ""),
			Subject: fmt.Sprintf("Returns due for %s: %s (%s)", periodLabel(per), sch.Name, sch.LAESTAB)}
		if template != "" {
			draft.Attachments = []string{template}
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return sum, fmt.Errorf("chase: %w", err)
		}
		if err := reports.WriteDraft(e.Path(d.File), draft); err != nil {
			return sum, fmt.Errorf("chase %s: %w", sch.LAESTAB, err)
		}
		if _, err := e.Store.RecordChaseDraft(ctx, d); err != nil {
			return sum, err
		}
		sum.Drafts = append(sum.Drafts, d)
	}
	e.log().Info("chase drafted", "period", per.ID, "drafts", len(sum.Drafts), "already", sum.AlreadyDrafted, "no_email", len(sum.NoEmail))
	return sum, nil
}

// rejectedFilesOf returns the school's files refused as a whole in the period.
func rejectedFilesOf(files []pme.RejectedFile, laestab string, per pme.Period) []pme.RejectedFile {
	var out []pme.RejectedFile
	for _, f := range files {
		if f.CountsFor(laestab) && !f.Received.Before(per.Start) && !f.Received.After(per.End) {
			out = append(out, f)
		}
	}
	return out
}

// typeNames are the return types as a school office knows them.
var typeNames = map[pme.ReturnType]string{pme.ReducedTimetable: "Reduced timetables",
	pme.AlternativeProvision: "Alternative provision", pme.Suspensions: "Suspensions and exclusions"}

// TypeName returns the return type as a school office knows it.
func TypeName(t pme.ReturnType) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return string(t)
}

// periodLabel names a period for a school: "November 2026", "the half-term from 2 November 2026",
// "the week of 2 November 2026".
func periodLabel(p pme.Period) string {
	switch {
	case strings.Contains(p.ID, "-W"):
		return "the week of " + p.Start.Long()
	case p.Start.Day() != 1:
		return "the half-term from " + p.Start.Long()
	}
	return p.Start.Time().Format("January 2006")
}

func chaseBody(cfg config.Config, sch pme.ExpectedSchool, per pme.Period, missing, rejected []pme.ReturnType, files []pme.RejectedFile, template bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Dear Headteacher,\n\n%s (%s): returns for %s\n\n", sch.Name, sch.LAESTAB, periodLabel(per))
	if len(missing) > 0 {
		fmt.Fprintf(&b, "The following returns for %s were due by the end of %s and we have not received them:\n\n", periodLabel(per), per.Due.Long())
		for _, t := range missing {
			fmt.Fprintf(&b, "  - %s\n", TypeName(t))
		}
		b.WriteString("\n")
	}
	if len(rejected) > 0 {
		b.WriteString("We received a file from you, but could not take the returns from it, so they are still outstanding:\n\n")
		for _, t := range rejected {
			fmt.Fprintf(&b, "  - %s\n", TypeName(t))
		}
		b.WriteString("\n")
		for _, f := range files {
			fmt.Fprintf(&b, "%s (received %s): %s\n", f.Name, f.Received.Long(), f.Message)
		}
		if len(files) > 0 {
			b.WriteString("\n")
		}
	}
	b.WriteString("If you have no pupils to report for a return, please send a nil return: the sheet with its header row and no pupils.\n")
	if template {
		b.WriteString("The council's return template is attached.\n")
	}
	fmt.Fprintf(&b, "\nThank you,\n\n%s\n%s\n", cfg.Letters.Service, cfg.Letters.Council)
	return b.String()
}

// emailBook is the headteachers' e-mail addresses from the contacts, by LAESTAB and by URN.
type emailBook struct {
	byLAESTAB, byURN map[string]string
}

// headEmails reads the contact list's headteacher e-mail addresses.
func (e *Env) headEmails(ctx context.Context) (emailBook, error) {
	contacts, err := e.Store.Contacts(ctx)
	if err != nil {
		return emailBook{}, err
	}
	b := emailBook{byLAESTAB: map[string]string{}, byURN: map[string]string{}}
	for _, c := range contacts {
		if c.LAESTAB != "" {
			b.byLAESTAB[c.LAESTAB] = c.HeadEmail
		}
		if c.URN != "" {
			b.byURN[c.URN] = c.HeadEmail
		}
	}
	return b, nil
}

// lookup returns the school's headteacher address, or why there is none to use.
func (b emailBook) lookup(s pme.ExpectedSchool) (string, string) {
	addr, ok := b.byLAESTAB[s.LAESTAB]
	if !ok && s.URN != "" {
		addr, ok = b.byURN[s.URN]
	}
	switch {
	case !ok:
		return "", "not in the contact list: add the school with its Headteacher Email and load contacts again"
	case strings.TrimSpace(addr) == "":
		return "", "no Headteacher Email in the contact list: add it and load contacts again"
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Name != "" || a.Address != strings.TrimSpace(addr) {
		return "", fmt.Sprintf("the Headteacher Email %q is not one e-mail address: correct it and load contacts again", addr)
	}
	return a.Address, ""
}

// readFeedbackEmails reads the contacts' addresses once for an ingest run's feedback drafts.
func (e *Env) readFeedbackEmails(ctx context.Context) error {
	b, err := e.headEmails(ctx)
	if err != nil {
		return err
	}
	e.emails = &b
	return nil
}

// feedbackDraft drafts the feedback as an e-mail to the school, with the feedback workbook
// attached, beside it in out/feedback/ (compliance.md): the team checks it and sends it as it is.
// Without a usable address for the school the draft has no recipient, and says so.
func (e *Env) feedbackDraft(fs *FileSummary, files []string, received time.Time) error {
	var workbook string
	for _, f := range files {
		if strings.HasSuffix(f, ".xlsx") {
			workbook = f
		}
	}
	if workbook == "" {
		return nil
	}
	school := ""
	for _, sh := range fs.Sheets {
		if sh.School != "" {
			school = sh.School
			break
		}
	}
	if school == "" {
		school, _ = ingest.FileNameLAESTAB(fs.File)
	}
	if school == "" && len(fs.named) == 1 {
		school = fs.named[0] // a refused file whose rows name one school: it is that school's
	}
	to, problem := "", "the school is not known from the file"
	if school != "" && e.emails != nil {
		to, problem = e.emails.lookup(pme.ExpectedSchool{LAESTAB: school})
	}
	var b strings.Builder
	b.WriteString("Dear Headteacher,\n\n")
	fmt.Fprintf(&b, "Thank you for your return %s, received on %s.\n\n", fs.File, received.In(londonOrUTC()).Format("2 January 2006"))
	rows, accepted, rejected := 0, 0, 0
	for _, sh := range fs.Sheets {
		rows, accepted, rejected = rows+sh.Rows, accepted+sh.Accepted, rejected+sh.Rejected
	}
	switch {
	case fs.Status == pme.FileRejected:
		b.WriteString("We could not take any return from this file. The attached workbook says what was wrong and what to send instead.\n")
	case fs.Status == pme.FileDuplicate:
		b.WriteString("This file is the same as one you sent before, so nothing has changed. The attached workbook says more.\n")
	case rejected == 0:
		fmt.Fprintf(&b, "We read %d rows and accepted them all. The attached workbook lists some warnings with their sheet, row and column: please check them before your next return.\n", rows)
	default:
		fmt.Fprintf(&b, "We read %d rows: %d were accepted and %d could not be. The attached workbook lists each issue with its sheet, row and column and what to do; please correct the rows marked as errors and send the return again.\n",
			rows, accepted, rejected)
	}
	fmt.Fprintf(&b, "\nThank you,\n\n%s\n%s\n", e.Config.Letters.Service, e.Config.Letters.Council)
	if problem != "" {
		e.log().Info("feedback draft without a recipient", "file_sha", fs.SHA256[:12])
	}
	path := strings.TrimSuffix(workbook, ".xlsx") + ".eml"
	err := reports.WriteDraft(path, reports.Draft{To: to, Subject: "Feedback on your return " + fs.File, Body: b.String(),
		Attachments: []string{workbook}, Date: e.now()})
	if err != nil {
		return fmt.Errorf("feedback draft: %w", err)
	}
	fs.Feedback = append(fs.Feedback, e.Rel(path))
	return nil
}

// complianceOrWarn computes the current compliance grid, or warns and returns nil when compliance
// is not configured or no GIAS extract is loaded: report, agenda and flag then leave it out.
func (e *Env) complianceOrWarn(ctx context.Context) (*Compliance, error) {
	c, err := e.CurrentCompliance(ctx, HistoryPeriods)
	switch {
	case errors.Is(err, ErrComplianceNotConfigured):
		e.Warn("%s", ComplianceWarning)
		return nil, nil
	case errors.Is(err, ErrNoSchools):
		e.Warn("Returns compliance was left out: %v.", err)
		return nil, nil
	}
	return c, err
}

// reportCompliance adds the Returns sheet (the last SheetPeriods periods, worst first) and the
// schools not returning to the flagged-case report.
func (e *Env) reportCompliance(ctx context.Context, r *reports.FlaggedReport) error {
	c, err := e.complianceOrWarn(ctx)
	if c == nil || err != nil {
		return err
	}
	r.Returns = ReturnsSheetOf(c)
	nr, err := e.NotReturning(ctx, c)
	if err != nil {
		return err
	}
	for _, n := range nr {
		r.NotReturning = append(r.NotReturning, reports.NotReturningRow{LAESTAB: n.LAESTAB, School: n.School,
			Types: typeList(n.Types), PeriodsMissed: n.PeriodsMissed, LastReceived: n.LastReceived, Children: n.Children})
	}
	return nil
}

// ReturnsSheetOf is the Returns sheet of a grid (compliance.md): the last SheetPeriods periods,
// one row per expected school, worst first, and the current period's counts. The workbook and the
// web's Returns page both show it.
func ReturnsSheetOf(c *Compliance) *reports.ReturnsSheet {
	g := c.Grid
	from := max(0, len(g.Periods)-SheetPeriods)
	rs := &reports.ReturnsSheet{Periods: g.Periods[from:], Types: g.Types, Counts: map[pme.ReturnStatus]int{}}
	for st, n := range g.Counts(len(g.Periods) - 1) {
		rs.Counts[st] = n
	}
	for _, s := range g.WorstFirst(from) {
		row := reports.ReturnsRow{LAESTAB: g.Schools[s].LAESTAB, School: g.Schools[s].Name}
		expected := false
		for p := from; p < len(g.Periods); p++ {
			for t := range g.Types {
				cell := g.Cell(s, p, t)
				expected = expected || cell.Status != ""
				row.Cells = append(row.Cells, reports.ReturnsCell{Status: cell.Status, Received: cell.Received})
			}
		}
		// A school expected in none of the periods shown (closed before them, or opening after)
		// has no row: a blank row would read as a school with nothing to say.
		if expected {
			rs.Rows = append(rs.Rows, row)
		}
	}
	return rs
}

// typeList names return types for a person: "Reduced timetables, Suspensions and exclusions".
func typeList(ts []pme.ReturnType) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = TypeName(t)
	}
	return strings.Join(names, ", ")
}

func init() { AgendaSchools = agendaSchools }

// agendaSchools is the COOS agenda's "schools not returning" section (casework.md, compliance.md).
func agendaSchools(ctx context.Context, e *Env, _ pme.Date) ([]pme.AgendaItem, bool, error) {
	c, err := e.CurrentCompliance(ctx, HistoryPeriods)
	switch {
	case errors.Is(err, ErrComplianceNotConfigured):
		return nil, false, nil
	case errors.Is(err, ErrNoSchools):
		e.Warn("The schools not returning were left out: %v.", err)
		return nil, true, nil
	case err != nil:
		return nil, false, err
	}
	nr, err := e.NotReturning(ctx, c)
	if err != nil {
		return nil, false, err
	}
	items := make([]pme.AgendaItem, 0, len(nr))
	for _, n := range nr {
		items = append(items, pme.AgendaItem{Section: pme.SectionSchools, LAESTAB: n.LAESTAB, School: n.School,
			Detail: notReturningDetail(n), Why: []string{}, Actions: []pme.Action{}})
	}
	return items, true, nil
}

// notReturningDetail says what a school not returning has missed, in one line.
func notReturningDetail(n NotReturning) string {
	last := "nothing received yet"
	if !n.LastReceived.IsZero() {
		last = "last return received " + n.LastReceived.UK()
	}
	return fmt.Sprintf("School not returning: %s missing for %d periods in a row; %s; %d children on its last lists",
		typeList(n.Types), n.PeriodsMissed, last, n.Children)
}

// staleReturns gives STALE_RETURN the periods each school has missed, and its threshold from
// returns.stale_after_periods; nil (the rule stays silent, with a warning) without compliance.
func (e *Env) staleReturns(ctx context.Context, cfg *rules.Config) (func(string, pme.ReturnType, pme.Date) int, [32]byte, error) {
	c, err := e.complianceOrWarn(ctx)
	if c == nil || err != nil {
		return nil, [32]byte{}, err
	}
	if rc, ok := cfg.Rules[pme.RuleStaleReturn]; ok {
		rc.Thresholds = map[string]float64{rules.KeyPeriods: float64(e.Config.Returns.StaleAfterPeriods)}
		cfg.Rules[pme.RuleStaleReturn] = rc
	}
	g := c.Grid
	return func(laestab string, t pme.ReturnType, since pme.Date) int {
		return g.MissedSince(g.School(laestab), t, since)
	}, g.Digest(), nil
}
