package reports

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"

	"pme"
)

// CaseRow is one open case as the flagged-case report shows it, with the pupil and school it is
// about and the plan and provision already put into words by the caller.
type CaseRow struct {
	Case               pme.Case
	Pupil              pme.Pupil
	SchoolName         string
	PlanText           string // e.g. "CP – social worker A. Worker (Team North)"; "" shows Case.Plan
	Provision          string // e.g. "Reduced timetable 12.5 h/wk; AP: Acorn Centre 15 h"
	NewSinceLastReport bool
}

// ClosedRow is a case closed since the last report: Case.ClosedOn and Case.CloseReason say when
// and why.
type ClosedRow struct {
	Case       pme.Case
	Pupil      pme.Pupil
	SchoolName string
}

// Letter statuses on the Letters sheet.
const (
	LetterProduced    = "produced"
	LetterNotProduced = "not produced"
)

// LetterRow is one letter due in this run: produced (Detail is its file) or not produced (Detail
// says what is missing).
type LetterRow struct {
	LetterID, UPN, Pupil, LAESTAB, School string
	Status                                string // LetterProduced or LetterNotProduced
	Detail                                string // the file, or why the letter was not produced
}

// FlaggedReport is everything the flagged-case report shows for one run.
type FlaggedReport struct {
	Today      pme.Date // the run date: names the files
	LastReport pme.Date // the previous report's run date; zero when this is the first
	Cases      []CaseRow
	Closed     []ClosedRow
	Letters    []LetterRow
	// Casework is the casework beside the cases (casework.md, "On the existing outputs"): a row
	// per case id for the Cases sheet's casework columns, and the Summary's overdue counts. Zero
	// when casework has nothing recorded: the columns are blank and the counts 0.
	Casework pme.CaseworkReport
	Warnings []string // the run's warnings (cli.md), listed on the Summary sheet
	// Returns is the Returns sheet and NotReturning the schools escalated as not returning
	// (compliance.md); Returns is nil when compliance is not configured: both sheets are left out.
	Returns      *ReturnsSheet
	NotReturning []NotReturningRow
}

// caseColumns are the columns of the Cases sheet and of the CSV, exactly as outputs.md names them.
var caseColumns = []xlColumn{
	{name: "Case ID", width: 14},
	{name: "Status", width: 10},
	{name: "Severity", width: 10},
	{name: "Rules", width: 28, wrap: true},
	{name: "Why", width: 70, wrap: true},
	{name: "UPN", width: 16},
	{name: "Surname", width: 18, wrap: true},
	{name: "Forename", width: 16, wrap: true},
	{name: "Date of Birth", width: 12, date: true},
	{name: "NC Year", width: 8},
	{name: "SEN", width: 6},
	{name: "Plan", width: 32, wrap: true},
	{name: "LAESTAB", width: 10},
	{name: "School", width: 30, wrap: true},
	{name: "Provision", width: 36, wrap: true},
	{name: "First Flagged", width: 12, date: true},
	{name: "Last Changed", width: 12, date: true},
	{name: "New Since Last Report", width: 11},
	// The casework columns (casework.md), after the rule columns so that those keep their places.
	{name: "Handling", width: 14},
	{name: "Owner", width: 18, wrap: true},
	{name: "Open actions", width: 9},
	{name: "Earliest due", width: 12, date: true},
	{name: "Last note date", width: 12, date: true},
}

// casesSeverityCol is the Cases sheet's Severity column (1-based), which is coloured.
const casesSeverityCol = 3

var closedColumns = []xlColumn{
	{name: "Case ID", width: 14},
	{name: "UPN", width: 16},
	{name: "Surname", width: 18, wrap: true},
	{name: "Forename", width: 16, wrap: true},
	{name: "LAESTAB", width: 10},
	{name: "School", width: 30, wrap: true},
	{name: "Closed", width: 12, date: true},
	{name: "Why", width: 60, wrap: true},
}

var letterColumns = []xlColumn{
	{name: "Letter ID", width: 16},
	{name: "UPN", width: 16},
	{name: "Pupil", width: 26, wrap: true},
	{name: "LAESTAB", width: 10},
	{name: "School", width: 30, wrap: true},
	{name: "Status", width: 13},
	{name: "Detail", width: 60, wrap: true},
}

// caseSeverityRank orders severities, most severe highest; an unknown one ranks lowest.
var caseSeverityRank = map[string]int{
	pme.SeverityCritical: 4, pme.SeverityHigh: 3, pme.SeverityMedium: 2, pme.SeverityLow: 1,
}

// summarySeverities and summaryStatuses are the severities and statuses, in the order the Summary lists them.
var (
	summarySeverities = []string{pme.SeverityCritical, pme.SeverityHigh, pme.SeverityMedium, pme.SeverityLow}
	summaryStatuses   = []string{pme.CaseNew, pme.CaseChanged, pme.CaseOpen}
	severityFills     = map[string][2]string{ // fill, font: Excel's own "light red fill" family
		pme.SeverityCritical: {"C00000", "FFFFFF"},
		pme.SeverityHigh:     {"FFC7CE", "9C0006"},
		pme.SeverityMedium:   {"FFEB9C", "9C5700"},
		pme.SeverityLow:      {"DDEBF7", "1F4E78"},
	}
)

// reportRuleOrder is the order of rules.md, used to break ties between rules with as many cases.
var reportRuleOrder = []string{
	pme.RuleRTNoEndDate, pme.RuleRTOverLimit, pme.RuleRTPastEndDate, pme.RuleRTLowHours,
	pme.RuleRTNoParentalAgreement, pme.RuleRTReviewOverdue, pme.RuleRTBehaviour,
	pme.RuleAPUnapprovedProvider, pme.RuleAPUnregisteredFT, pme.RuleAPNotFullTime,
	pme.RuleSuspOver45Days, pme.RuleSuspApproaching, pme.RuleSuspRepeated, pme.RuleSuspNoSixthDay,
	pme.RulePermExclusion, pme.RulePMEOver20Days, pme.RuleMultipleReturns, pme.RuleMatchAmbiguous,
}

// WriteFlaggedReport writes dir/flagged-cases-YYYY-MM-DD.xlsx and .csv (the run date) and
// returns their paths, workbook first. The workbook has the sheets Summary (counts and a chart of
// cases by rule), Cases (one row per open case, most severe first, then most recently changed),
// "Closed since last report" and Letters; the CSV holds the Cases sheet alone. Cases whose status
// is closed belong in Closed and are left out of Cases.
func WriteFlaggedReport(dir string, r FlaggedReport) ([]string, error) {
	if r.Today.IsZero() {
		return nil, errors.New("write flagged-case report: no run date")
	}
	r.Cases = sortedCases(r.Cases)
	r.Closed = sortedClosed(r.Closed)
	base := filepath.Join(dir, "flagged-cases-"+r.Today.String())
	paths := []string{base + ".xlsx", base + ".csv"}
	if err := writeFlaggedBook(paths[0], r); err != nil {
		return nil, fmt.Errorf("write flagged-case report: %w", err)
	}
	rows := make([]caseLine, len(r.Cases))
	for i, c := range r.Cases {
		rows[i] = newCaseLine(c, r.Casework.Cases[c.Case.ID])
	}
	if err := writeCSV(paths[1], rows); err != nil {
		return nil, fmt.Errorf("write flagged-case report: %w", err)
	}
	return paths, nil
}

// sortedCases drops closed cases and orders the rest: highest severity first, then newest (last
// changed, then first flagged, most recent first), then by case id so that the order is stable.
func sortedCases(in []CaseRow) []CaseRow {
	var out []CaseRow
	for _, c := range in {
		if c.Case.Status != pme.CaseClosed {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Case, out[j].Case
		if ra, rb := caseSeverityRank[a.Severity], caseSeverityRank[b.Severity]; ra != rb {
			return ra > rb
		}
		if !a.LastChanged.Equal(b.LastChanged) {
			return a.LastChanged.After(b.LastChanged)
		}
		if !a.FirstFlagged.Equal(b.FirstFlagged) {
			return a.FirstFlagged.After(b.FirstFlagged)
		}
		return a.ID < b.ID
	})
	return out
}

// sortedClosed orders closed cases most recently closed first.
func sortedClosed(in []ClosedRow) []ClosedRow {
	out := append([]ClosedRow(nil), in...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Case, out[j].Case
		if !a.ClosedOn.Equal(b.ClosedOn) {
			return a.ClosedOn.After(b.ClosedOn)
		}
		return a.ID < b.ID
	})
	return out
}

// caseRules returns the case's rule ids, from its findings when Rules is not filled in.
func caseRules(c pme.Case) []string {
	if len(c.Rules) > 0 {
		return c.Rules
	}
	var ids []string
	for _, f := range c.Findings {
		ids = append(ids, f.Rule)
	}
	return ids
}

// caseWhy is the rule explanations, one per line, and why severities were raised when they were.
func caseWhy(c pme.Case) string {
	var lines []string
	for _, f := range c.Findings {
		if f.Explanation != "" {
			lines = append(lines, f.Explanation)
		}
	}
	if c.Vulnerable != "" {
		lines = append(lines, "Severity raised one step: "+c.Vulnerable)
	}
	return strings.Join(lines, "\n")
}

func casePlanText(c CaseRow) string {
	if c.PlanText != "" {
		return c.PlanText
	}
	return c.Case.Plan
}

func ynFlag(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

// caseCells returns a case's cells in caseColumns order, with its casework: caseLine's cells, with
// dates as pme.Date and numbers as int for the workbook.
func caseCells(c CaseRow, w pme.CaseworkRow) []any {
	l := newCaseLine(c, w)
	return []any{
		string(l.ID), string(l.Status), string(l.Severity), string(l.Rules), string(l.Why),
		string(l.UPN), string(l.Surname), string(l.Forename), pme.Date(l.DOB), string(l.NCYear), string(l.SEN), string(l.Plan),
		string(l.LAESTAB), string(l.School), string(l.Provision), pme.Date(l.FirstFlagged), pme.Date(l.LastChanged), string(l.New),
		string(l.Handling), string(l.Owner), int(l.OpenActions), pme.Date(l.EarliestDue), pme.Date(l.LastNoteDate),
	}
}

// caseHandling is the handling shown for a case: unreviewed when nothing is recorded.
func caseHandling(w pme.CaseworkRow) string {
	if w.Handling == "" {
		return pme.HandlingUnreviewed
	}
	return w.Handling
}

// caseLine is one open case as the cases CSV writes it: the tags are caseColumns' names
// (outputs.md), the cells those of caseCells.
type caseLine struct {
	ID           SafeText `csv:"Case ID"`
	Status       SafeText `csv:"Status"`
	Severity     SafeText `csv:"Severity"`
	Rules        SafeText `csv:"Rules"`
	Why          SafeText `csv:"Why"`
	UPN          SafeText `csv:"UPN"`
	Surname      SafeText `csv:"Surname"`
	Forename     SafeText `csv:"Forename"`
	DOB          csvDate  `csv:"Date of Birth"`
	NCYear       SafeText `csv:"NC Year"`
	SEN          SafeText `csv:"SEN"`
	Plan         SafeText `csv:"Plan"`
	LAESTAB      SafeText `csv:"LAESTAB"`
	School       SafeText `csv:"School"`
	Provision    SafeText `csv:"Provision"`
	FirstFlagged csvDate  `csv:"First Flagged"`
	LastChanged  csvDate  `csv:"Last Changed"`
	New          SafeText `csv:"New Since Last Report"`
	Handling     SafeText `csv:"Handling"`
	Owner        SafeText `csv:"Owner"`
	OpenActions  csvInt   `csv:"Open actions"`
	EarliestDue  csvDate  `csv:"Earliest due"`
	LastNoteDate csvDate  `csv:"Last note date"`
}

func newCaseLine(c CaseRow, w pme.CaseworkRow) caseLine {
	k, p := c.Case, c.Pupil
	upn := p.UPN
	if upn == "" {
		upn = k.UPN
	}
	return caseLine{
		ID: SafeText(k.ID), Status: SafeText(k.Status), Severity: SafeText(k.Severity),
		Rules: SafeText(strings.Join(caseRules(k), ", ")), Why: SafeText(caseWhy(k)),
		UPN: SafeText(upn), Surname: SafeText(p.Surname), Forename: SafeText(p.Forename), DOB: csvDate(p.DOB),
		NCYear: SafeText(p.NCYear), SEN: SafeText(p.SEN), Plan: SafeText(casePlanText(c)),
		LAESTAB: SafeText(k.LAESTAB), School: SafeText(c.SchoolName), Provision: SafeText(c.Provision),
		FirstFlagged: csvDate(k.FirstFlagged), LastChanged: csvDate(k.LastChanged), New: SafeText(ynFlag(c.NewSinceLastReport)),
		Handling: SafeText(caseHandling(w)), Owner: SafeText(w.Owner), OpenActions: csvInt(w.OpenActions),
		EarliestDue: csvDate(w.EarliestDue), LastNoteDate: csvDate(w.LastNoteDate),
	}
}

func writeFlaggedBook(path string, r FlaggedReport) error {
	b, err := newXLBook("Summary")
	if err != nil {
		return err
	}
	if err := flaggedSummary(b, r); err != nil {
		return err
	}
	if err := flaggedCaseSheet(b, r.Cases, r.Casework); err != nil {
		return err
	}
	if r.Returns != nil {
		if err := flaggedReturnsSheet(b, r.Returns); err != nil {
			return err
		}
		if err := flaggedNotReturningSheet(b, r.NotReturning); err != nil {
			return err
		}
	}
	if err := flaggedClosedSheet(b, r); err != nil {
		return err
	}
	if err := flaggedLetterSheet(b, r.Letters); err != nil {
		return err
	}
	return b.save(path, "Flagged cases "+r.Today.UK(), r.Today.Time())
}

func flaggedCaseSheet(b *xlBook, cases []CaseRow, work pme.CaseworkReport) error {
	const sh = "Cases"
	if err := b.addSheet(sh); err != nil {
		return err
	}
	rows := make([][]any, len(cases))
	for i, c := range cases {
		rows[i] = caseCells(c, work.Cases[c.Case.ID])
	}
	if err := b.table(sh, caseColumns, rows, "No open cases"); err != nil {
		return err
	}
	if len(cases) == 0 {
		return nil
	}
	return colourSeverity(b, sh, len(cases)+1)
}

// colourSeverity colours the Severity column by conditional formatting, so the colour follows
// the value when the practitioner sorts or filters.
func colourSeverity(b *xlBook, sheet string, lastRow int) error {
	var opts []excelize.ConditionalFormatOptions
	for _, sev := range summarySeverities {
		c := severityFills[sev]
		id, err := b.f.NewConditionalStyle(&excelize.Style{
			Font: &excelize.Font{Color: c[1], Bold: sev == pme.SeverityCritical},
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c[0]}},
		})
		if err != nil {
			return fmt.Errorf("add %s colour: %w", sev, err)
		}
		opts = append(opts, excelize.ConditionalFormatOptions{
			Type: "cell", Criteria: "==", Value: `"` + sev + `"`, Format: &id,
		})
	}
	ref := xlCell(casesSeverityCol, 2) + ":" + xlCell(casesSeverityCol, lastRow)
	if err := b.f.SetConditionalFormat(sheet, ref, opts); err != nil {
		return fmt.Errorf("colour summarySeverities: %w", err)
	}
	return nil
}

func flaggedClosedSheet(b *xlBook, r FlaggedReport) error {
	const sh = "Closed since last report"
	if err := b.addSheet(sh); err != nil {
		return err
	}
	rows := make([][]any, len(r.Closed))
	for i, c := range r.Closed {
		upn := c.Pupil.UPN
		if upn == "" {
			upn = c.Case.UPN
		}
		rows[i] = []any{c.Case.ID, upn, c.Pupil.Surname, c.Pupil.Forename, c.Case.LAESTAB,
			c.SchoolName, c.Case.ClosedOn, c.Case.CloseReason}
	}
	empty := "No cases closed since the last report"
	if r.LastReport.IsZero() {
		empty = "No cases closed: this is the first report"
	}
	return b.table(sh, closedColumns, rows, empty)
}

func flaggedLetterSheet(b *xlBook, letters []LetterRow) error {
	const sh = "Letters"
	if err := b.addSheet(sh); err != nil {
		return err
	}
	rows := make([][]any, len(letters))
	for i, l := range letters {
		rows[i] = []any{l.LetterID, l.UPN, l.Pupil, l.LAESTAB, l.School, l.Status, l.Detail}
	}
	return b.table(sh, letterColumns, rows, "No letters were due in this run")
}

// tallyLine is one line of a Summary table: a label and a number of cases.
type tallyLine struct {
	label string
	n     int
}

// flaggedSummary writes the Summary sheet: facts about the run, then tables of counts, and a bar
// chart of cases by rule that Excel draws from the rule table's cells.
func flaggedSummary(b *xlBook, r FlaggedReport) error {
	const sh = "Summary"
	if err := b.width(sh, 1, 52); err != nil {
		return err
	}
	if err := b.width(sh, 2, 14); err != nil {
		return err
	}
	if err := b.setRow(sh, 1, b.title, "Pupils missing education: flagged cases"); err != nil {
		return err
	}
	row, err := flaggedFacts(b, r)
	if err != nil {
		return err
	}
	if row, err = summaryWarnings(b, row, r.Warnings); err != nil {
		return err
	}
	if len(r.Cases) == 0 {
		row++
		if err := b.setRow(sh, row, b.label, "No open cases"); err != nil {
			return err
		}
		return nil
	}
	byStatus, bySeverity, byRule, bySchool := tallyCases(r.Cases)
	for _, t := range []struct {
		title string
		rows  []tallyLine
	}{
		{"Cases by status", byStatus},
		{"Cases by severity", bySeverity},
	} {
		if row, err = summaryCountTable(b, row+1, t.title, t.rows); err != nil {
			return err
		}
	}
	ruleFirst := row + 3 // a blank row, the table's header, then its first rule
	if row, err = summaryCountTable(b, row+1, "Cases by rule", byRule); err != nil {
		return err
	}
	if err := ruleChart(b, ruleFirst, ruleFirst+len(byRule)-1); err != nil {
		return err
	}
	_, err = summaryCountTable(b, row+1, "Schools with most cases", bySchool)
	return err
}

// flaggedFacts writes the run's dates and headline counts from row 2 and returns the last row
// written.
func flaggedFacts(b *xlBook, r FlaggedReport) (int, error) {
	const sh = "Summary"
	var last any = "None: this is the first report"
	if !r.LastReport.IsZero() {
		last = r.LastReport
	}
	newCases, produced := 0, 0
	for _, c := range r.Cases {
		if c.NewSinceLastReport {
			newCases++
		}
	}
	for _, l := range r.Letters {
		if l.Status == LetterProduced {
			produced++
		}
	}
	facts := []fact{
		{"Run date", r.Today},
		{"Previous report", last},
		{"Open cases", len(r.Cases)},
		{"New since the previous report", newCases},
		{"Closed since the previous report", len(r.Closed)},
		{"Letters produced", produced},
		{"Letters due but not produced (see Letters)", len(r.Letters) - produced},
		{"Overdue actions", r.Casework.OverdueActions},
		{"Overdue letter replies", r.Casework.OverdueReplies},
	}
	if rs := r.Returns; rs != nil && len(rs.Periods) > 0 {
		p := rs.Periods[len(rs.Periods)-1]
		facts = append(facts,
			fact{fmt.Sprintf("Returns for %s (see Returns)", p.ID), ReturnsCountLine(rs.Counts)},
			fact{"Schools not returning (see that sheet)", len(r.NotReturning)})
	}
	return b.facts(sh, 2, facts, b.text)
}

// summaryWarnings writes the run's warnings under the facts, each a wrapped paragraph across the
// two columns, and returns the last row written.
func summaryWarnings(b *xlBook, row int, warnings []string) (int, error) {
	const sh = "Summary"
	if len(warnings) == 0 {
		return row, nil
	}
	row += 2
	if err := b.setRow(sh, row, b.header, "Warnings", ""); err != nil {
		return 0, err
	}
	for _, w := range warnings {
		row++
		if err := b.paragraph(sh, row, 2, 52+14, w); err != nil {
			return 0, err
		}
	}
	return row, nil
}

// summaryCountTable writes a titled two-column table from row and returns the last row written.
func summaryCountTable(b *xlBook, row int, title string, rows []tallyLine) (int, error) {
	const sh = "Summary"
	row++
	if err := b.setRow(sh, row, b.header, title, "Cases"); err != nil {
		return 0, err
	}
	for _, c := range rows {
		row++
		if err := b.setRow(sh, row, b.text, c.label, c.n); err != nil {
			return 0, err
		}
	}
	return row, nil
}

// tallyCases counts the open cases by status, severity, rule and school (the ten with most cases).
func tallyCases(cases []CaseRow) (byStatus, bySeverity, byRule, bySchool []tallyLine) {
	status, sev, rule, school := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	names := map[string]string{}
	for _, c := range cases {
		status[c.Case.Status]++
		sev[c.Case.Severity]++
		for _, id := range caseRules(c.Case) {
			rule[id]++
		}
		school[c.Case.LAESTAB]++
		if c.SchoolName != "" {
			names[c.Case.LAESTAB] = c.SchoolName
		}
	}
	for _, s := range summaryStatuses {
		byStatus = append(byStatus, tallyLine{s, status[s]})
	}
	for _, s := range summarySeverities {
		bySeverity = append(bySeverity, tallyLine{s, sev[s]})
	}
	byRule = rankCounts(rule, func(id string) string { return id })
	bySchool = rankCounts(school, func(laestab string) string {
		if n := names[laestab]; n != "" {
			return n + " (" + laestab + ")"
		}
		return laestab
	})
	if len(bySchool) > 10 {
		bySchool = bySchool[:10]
	}
	return byStatus, bySeverity, byRule, bySchool
}

// rankCounts returns the counts most first; ties in rules.md order for rule ids, then by key.
func rankCounts(m map[string]int, label func(string) string) []tallyLine {
	order := map[string]int{}
	for i, id := range reportRuleOrder {
		order[id] = i + 1
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if m[a] != m[b] {
			return m[a] > m[b]
		}
		oa, ob := order[a], order[b]
		if oa == 0 {
			oa = len(reportRuleOrder) + 1
		}
		if ob == 0 {
			ob = len(reportRuleOrder) + 1
		}
		if oa != ob {
			return oa < ob
		}
		return a < b
	})
	out := make([]tallyLine, len(keys))
	for i, k := range keys {
		out[i] = tallyLine{label(k), m[k]}
	}
	return out
}

// ruleChart adds a bar chart of cases by rule beside the Summary's tables, drawn by Excel from
// the rule table's cells (rows first..last, under the header that names the series), so it stays
// true if someone edits a count.
func ruleChart(b *xlBook, first, last int) error {
	name := fmt.Sprintf("Summary!$B$%d", first-1)
	cats := fmt.Sprintf("Summary!$A$%d:$A$%d", first, last)
	vals := fmt.Sprintf("Summary!$B$%d:$B$%d", first, last)
	height := uint(120 + 26*(last-first+1))
	oneColour := false
	err := b.f.AddChart("Summary", "D2", &excelize.Chart{
		Type:       excelize.Bar,
		Series:     []excelize.ChartSeries{{Name: name, Categories: cats, Values: vals}},
		VaryColors: &oneColour,
		Dimension:  excelize.ChartDimension{Width: 640, Height: height},
		Title:      excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Open cases by rule"}}},
		Legend:     excelize.ChartLegend{Position: "none"},
		XAxis:      excelize.ChartAxis{ReverseOrder: true}, // the most frequent rule at the top
		YAxis:      excelize.ChartAxis{MajorGridLines: true},
		PlotArea:   excelize.ChartPlotArea{ShowVal: true},
	})
	if err != nil {
		return fmt.Errorf("add chart: %w", err)
	}
	return nil
}
