package reports

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"pme"
)

// Feedback is what ingest learned from one returned file, as the school will read it: the
// feedback report is written so that the council can e-mail it to the school as it is, so it holds
// this file's own data only and no path on the council's servers.
type Feedback struct {
	File     string            // the file's name as the school sent it (a path is cut to its base name)
	SHA256   string            // the file's content hash, hex: a reference if the school queries it
	Received time.Time         // when the file was received, in the council's time zone
	Status   string            // pme.FileAccepted, FilePartial, FileRejected or FileDuplicate
	Sheets   []pme.SheetResult // the sheets read, with their counts
	Skipped  []string          // sheets not read, each with why ("Lookups: no return header")
	Issues   []pme.Issue       // every issue, file-level ones at row 0
	// OutputName, when set, names the report files instead of File: another file of the same
	// name already has its feedback there, and that must not be overwritten.
	OutputName string
}

// feedbackColumns are the columns of the Issues sheet and of the CSV (outputs.md).
var feedbackColumns = []xlColumn{
	{name: "Sheet", width: 22, wrap: true},
	{name: "Row", width: 7},
	{name: "Column", width: 20, wrap: true},
	{name: "Value", width: 24, wrap: true},
	{name: "Severity", width: 10},
	{name: "Code", width: 22},
	{name: "Message", width: 80, wrap: true},
}

// WriteFeedback writes dir/<file name>.feedback.xlsx and dir/<file name>.feedback.csv for one
// returned file and returns their paths, workbook first. The workbook opens on a Summary sheet
// (the file, when it was received, rows read, accepted and rejected per sheet, sheets skipped and
// what to do next) and has an Issues sheet with a filter and a frozen header; the CSV holds the
// issues alone.
func WriteFeedback(dir string, fb Feedback) ([]string, error) {
	name := filepath.Base(fb.File)
	if fb.File == "" || name == "." || name == string(filepath.Separator) {
		return nil, errors.New("write feedback: no file name")
	}
	fb.File = name
	issues := sortedIssues(fb.Issues, fb.Sheets)
	out := name
	if fb.OutputName != "" {
		out = filepath.Base(fb.OutputName)
	}
	base := filepath.Join(dir, out+".feedback")
	paths := []string{base + ".xlsx", base + ".csv"}
	if err := writeFeedbackBook(paths[0], fb, issues); err != nil {
		return nil, fmt.Errorf("write feedback for %s: %w", name, err)
	}
	line := func(i int) feedbackLine { return newFeedbackLine(issues[i]) }
	if err := writeCSVFunc(paths[1], len(issues), line); err != nil {
		return nil, fmt.Errorf("write feedback for %s: %w", name, err)
	}
	return paths, nil
}

// sortedIssues orders issues as a school works through them: file-level first, then sheet by
// sheet in the order of the file (sheets read, then any other in the order its issues come), then
// by row. Issues within a row keep their order.
func sortedIssues(in []pme.Issue, sheets []pme.SheetResult) []pme.Issue {
	out := append([]pme.Issue(nil), in...)
	sheetOrder := map[string]int{}
	for _, s := range sheets {
		if _, ok := sheetOrder[s.Sheet]; !ok {
			sheetOrder[s.Sheet] = len(sheetOrder)
		}
	}
	for _, is := range out {
		if _, ok := sheetOrder[is.Sheet]; !ok {
			sheetOrder[is.Sheet] = len(sheetOrder)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Row == 0) != (b.Row == 0) {
			return a.Row == 0
		}
		if sheetOrder[a.Sheet] != sheetOrder[b.Sheet] {
			return sheetOrder[a.Sheet] < sheetOrder[b.Sheet]
		}
		return a.Row < b.Row
	})
	return out
}

func xlColumnNames(cols []xlColumn) []string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	return names
}

// feedbackLine is one issue as the feedback CSV writes it: the tags are feedbackColumns' names.
type feedbackLine struct {
	Sheet    SafeText  `csv:"Sheet"`
	Row      csvRowNum `csv:"Row"` // blank for a file-level issue: there is no row to look at
	Column   SafeText  `csv:"Column"`
	Value    SafeText  `csv:"Value"`
	Severity SafeText  `csv:"Severity"`
	Code     SafeText  `csv:"Code"`
	Message  SafeText  `csv:"Message"`
}

func newFeedbackLine(is pme.Issue) feedbackLine {
	return feedbackLine{SafeText(is.Sheet), csvRowNum(is.Row), SafeText(is.Column), SafeText(is.Value),
		SafeText(is.Severity), SafeText(is.Code), SafeText(is.Message)}
}

// feedbackSheetLimit caps the Issues sheet: a million-row file with an error on every row would
// need gigabytes in memory as a workbook, and nobody reads that far. The CSV lists every issue.
var feedbackSheetLimit = 50000

func writeFeedbackBook(path string, fb Feedback, issues []pme.Issue) error {
	b, err := newXLBook("Summary")
	if err != nil {
		return err
	}
	if err := feedbackSummary(b, fb, issues); err != nil {
		return err
	}
	if err := b.addSheet("Issues"); err != nil {
		return err
	}
	shown := issues
	if len(shown) > feedbackSheetLimit {
		shown = shown[:feedbackSheetLimit]
	}
	rows := make([][]any, len(shown))
	for i, is := range shown {
		var row any
		if is.Row > 0 {
			row = is.Row
		}
		rows[i] = []any{is.Sheet, row, is.Column, is.Value, is.Severity, is.Code, is.Message}
	}
	if err := b.table("Issues", feedbackColumns, rows, "No issues: every row was read without a problem."); err != nil {
		return err
	}
	if len(shown) < len(issues) {
		note := fmt.Sprintf("Only the first %d issues are listed here; the CSV file sent with this report lists all %d.",
			len(shown), len(issues))
		if err := b.set("Issues", 1, len(rows)+3, note); err != nil {
			return err
		}
	}
	return b.save(path, "Feedback on "+fb.File, fb.Received)
}

// feedbackSheetColumns are the per-sheet counts on the feedback Summary.
var feedbackSheetColumns = []xlColumn{
	{name: "Sheet", width: 30},
	{name: "Return", width: 22},
	{name: "School (LAESTAB)", width: 16},
	{name: "Rows read", width: 10},
	{name: "Accepted", width: 10},
	{name: "Rejected", width: 10},
	{name: "Duplicates skipped", width: 11},
	{name: "Note", width: 40},
}

// feedbackSummaryWidth is the width of the Summary's columns together, in characters.
func feedbackSummaryWidth() float64 {
	w := 0.0
	for _, c := range feedbackSheetColumns {
		w += c.width
	}
	return w
}

func feedbackSummary(b *xlBook, fb Feedback, issues []pme.Issue) error {
	const sh = "Summary"
	for i, c := range feedbackSheetColumns {
		if err := b.width(sh, i+1, c.width); err != nil {
			return err
		}
	}
	if err := b.setRow(sh, 1, b.title, "Feedback on your return"); err != nil {
		return err
	}
	received := ""
	if !fb.Received.IsZero() {
		received = fb.Received.Format("02/01/2006 15:04")
	}
	facts := [][2]string{
		{"File", fb.File},
		{"Received", received},
		{"Result", feedbackStatusSentence(fb)},
		{"File reference (SHA-256)", fb.SHA256},
	}
	row := 2
	for _, fact := range facts {
		if fact[1] == "" {
			continue
		}
		if err := b.setRow(sh, row, 0, fact[0], fact[1]); err != nil {
			return err
		}
		if err := b.style(sh, 1, row, 1, row, b.label); err != nil {
			return err
		}
		row++
	}
	row++
	row, err := feedbackSheetTable(b, row, fb)
	if err != nil {
		return err
	}
	row++
	if err := b.setRow(sh, row, b.label, "Sheets not read"); err != nil {
		return err
	}
	row++
	skipped := fb.Skipped
	if len(skipped) == 0 {
		skipped = []string{"None: every sheet was read."}
	}
	for _, s := range skipped {
		if err := b.paragraph(sh, row, len(feedbackSheetColumns), feedbackSummaryWidth(), s); err != nil {
			return err
		}
		row++
	}
	row++
	if err := b.setRow(sh, row, b.label, "Issues"); err != nil {
		return err
	}
	row++
	if err := b.paragraph(sh, row, len(feedbackSheetColumns), feedbackSummaryWidth(), issueCountSentence(issues)); err != nil {
		return err
	}
	row += 2
	if err := b.setRow(sh, row, b.label, "What to do next"); err != nil {
		return err
	}
	row++
	for _, p := range feedbackNextSteps(fb, issues) {
		if err := b.paragraph(sh, row, len(feedbackSheetColumns), feedbackSummaryWidth(), p); err != nil {
			return err
		}
		row++
	}
	return nil
}

// feedbackSheetTable writes the per-sheet counts and their total from row, and returns the next free row.
func feedbackSheetTable(b *xlBook, row int, fb Feedback) (int, error) {
	const sh = "Summary"
	if err := b.setRow(sh, row, b.header, stringsToAny(xlColumnNames(feedbackSheetColumns))...); err != nil {
		return 0, err
	}
	row++
	if len(fb.Sheets) == 0 {
		if err := b.setRow(sh, row, b.text, "No sheet was read from this file."); err != nil {
			return 0, err
		}
		return row + 1, nil
	}
	var tot pme.SheetResult
	for _, s := range fb.Sheets {
		name := s.Sheet
		if name == "" {
			name = fb.File // a CSV file is one sheet, named by the file
		}
		school := s.School
		if school == "" {
			school = strings.Join(s.Schools, ", ")
		}
		if err := b.setRow(sh, row, b.text, name, returnTypeName(s.ReturnType), school,
			s.Rows, s.Accepted, s.Rejected, s.Skipped, feedbackSheetNote(s)); err != nil {
			return 0, err
		}
		if err := b.style(sh, 8, row, 8, row, b.wrapped); err != nil {
			return 0, err
		}
		tot.Rows += s.Rows
		tot.Accepted += s.Accepted
		tot.Rejected += s.Rejected
		tot.Skipped += s.Skipped
		row++
	}
	if err := b.setRow(sh, row, b.total, "Total", "", "", tot.Rows, tot.Accepted, tot.Rejected, tot.Skipped, ""); err != nil {
		return 0, err
	}
	return row + 1, nil
}

func stringsToAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// returnTypeName is a return type as the council's template names it.
func returnTypeName(t pme.ReturnType) string {
	switch t {
	case pme.ReducedTimetable:
		return "Reduced timetables"
	case pme.AlternativeProvision:
		return "Alternative provision"
	case pme.Suspensions:
		return "Suspensions"
	}
	return string(t)
}

// feedbackSheetNote explains a count that could surprise the school.
func feedbackSheetNote(s pme.SheetResult) string {
	switch {
	case s.NilReturn() && s.ReturnType.Snapshot():
		return "Nil return: no pupils currently. Your previous list is closed."
	case s.NilReturn():
		return "Nil return: no suspensions to report."
	case s.Rejected > 0 && s.ReturnType.Snapshot():
		return "Rejected rows were not recorded: those pupils keep the record from your previous return until you resend."
	case s.Rejected > 0:
		return "Rejected rows were not recorded."
	}
	return ""
}

// feedbackStatusSentence is the file's outcome in a school office's words.
func feedbackStatusSentence(fb Feedback) string {
	rejected := 0
	for _, s := range fb.Sheets {
		rejected += s.Rejected
	}
	switch fb.Status {
	case pme.FileAccepted:
		return "Accepted: every row was recorded."
	case pme.FilePartial:
		return "Accepted in part: " + countWords(rejected, "row was", "rows were") +
			" rejected and not recorded; the other rows were recorded."
	case pme.FileRejected:
		return "Rejected: nothing from this file was recorded."
	case pme.FileDuplicate:
		return "Already received: this file is identical to one we had before, so nothing changed."
	}
	return fb.Status
}

func issueCountSentence(issues []pme.Issue) string {
	errs, warns := 0, 0
	for _, is := range issues {
		if is.IsError() {
			errs++
		} else {
			warns++
		}
	}
	if errs+warns == 0 {
		return "No issues were found."
	}
	s := countWords(errs, "error", "errors") + " (each stops its row being recorded) and " +
		countWords(warns, "warning", "warnings") + " (the row was recorded, but please check it): " +
		"see the Issues sheet. Row numbers are the rows as you see them in Excel."
	if len(issues) > feedbackSheetLimit {
		s += fmt.Sprintf(" The Issues sheet lists the first %d; the CSV file lists them all.", feedbackSheetLimit)
	}
	return s
}

// feedbackNextSteps is the "what to do next" advice, one paragraph per entry.
func feedbackNextSteps(fb Feedback, issues []pme.Issue) []string {
	switch fb.Status {
	case pme.FileDuplicate:
		return []string{"You do not need to do anything: we already have this return. If you meant to " +
			"send an updated return, check that you attached the new file and send it again."}
	case pme.FileRejected:
		steps := []string{"Nothing from this file was recorded, and your previous return still stands."}
		for _, is := range issues {
			if is.Row == 0 && is.IsError() {
				steps = append(steps, feedbackFileAdvice(is.Code))
				break
			}
		}
		return append(steps, "Then send the whole return again as an Excel workbook (.xlsx) or a CSV file, "+
			"using the council's template or your MIS export.")
	case pme.FilePartial:
		return append([]string{
			"1. Open the Issues sheet. Each error names the sheet, the row as you see it in Excel, the " +
				"column and what to change. Rows with an error were not recorded.",
			"2. Correct those rows in your records and your file. Warnings did not stop a row, but please " +
				"correct them too.",
			"3. Send the whole return again, with every pupil, not only the rows you corrected.",
		}, feedbackReturnSemantics(fb)...)
	}
	steps := []string{"Every row was recorded: you do not need to send this return again."}
	if len(issues) > 0 {
		steps = append(steps, "Please read the warnings on the Issues sheet. They did not stop any row, "+
			"but each is something to correct in your records (for example in your MIS) so that your "+
			"next return is right.")
	}
	return steps
}

// feedbackReturnSemantics explains why the whole return must be sent again, for the kinds of return in
// the file.
func feedbackReturnSemantics(fb Feedback) []string {
	var snapshot, events bool
	for _, s := range fb.Sheets {
		if s.ReturnType.Snapshot() {
			snapshot = true
		} else if s.ReturnType == pme.Suspensions {
			events = true
		}
	}
	var out []string
	if snapshot {
		out = append(out, "Reduced timetable and alternative provision returns are a full list: each one "+
			"you send replaces your previous list, so a pupil left out is taken off it. Until you send it "+
			"again, a pupil whose row was rejected keeps the record from your previous return.")
	}
	if events {
		out = append(out, "Suspensions you send again update the ones already recorded and are never "+
			"counted twice.")
	}
	return out
}

// feedbackFileAdvice says what to do about a file-level error, in a school office's words.
func feedbackFileAdvice(code string) string {
	switch code {
	case pme.CodeFileFormat:
		return "Save the return as an Excel Workbook (.xlsx) or as CSV (.csv): older Excel files (.xls), " +
			"OpenDocument (.ods), PDF and Word documents cannot be read."
	case pme.CodeFileEncrypted:
		return "Remove the password from the workbook (in Excel: File, Info, Protect Workbook, Encrypt " +
			"with Password, then clear the password) and send it through the usual secure route."
	case pme.CodeFileTooLarge:
		return "The file is larger than we can accept: remove other sheets and pictures, or save the " +
			"return as CSV."
	case pme.CodeFileNoReturn:
		return "No sheet looked like a return. Keep the header row of the council's template (UPN, " +
			"Surname, Forename, Date of Birth and the return's own columns) above the pupils."
	case pme.CodeFileMissingColumns:
		return "Add the missing columns named on the Issues sheet and fill them in for every pupil."
	case pme.CodeFileUnreadable:
		return "The file could not be opened: it may be damaged or not fully saved. Save it again from " +
			"Excel or your MIS."
	}
	return "Correct what the Issues sheet describes."
}
