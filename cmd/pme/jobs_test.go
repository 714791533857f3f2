package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"pme"
	"pme/pipeline"
	"pme/store"
	"pme/store/storetest"
)

// The run dates of the case lifecycle: a Friday, then the school days after it.
const (
	jobsDay1 = "2026-11-27" // fixtures, first flag, report and letters
	jobsDay2 = "2026-11-30" // flagged again: new → open
	jobsDay3 = "2026-12-01" // the school sends different hours: changed
	jobsDay4 = "2026-12-02" // the school sends a nil return: closed
	jobsDay5 = "2026-12-03" // pme run with the timetable back: new again, same case id
)

// jobsEnv is one data folder and database that the steps of the job test share.
type jobsEnv struct {
	t     *testing.T
	data  string // the data folder
	dbURL string
	fx    string // the fixtures folder
}

func (j *jobsEnv) env(today string) map[string]string {
	return map[string]string{"PME_DATA_DIR": j.data, "PME_DATABASE_URL": j.dbURL, "PME_TODAY": today, "PME_LOG_LEVEL": "error"}
}

// json runs pme with --json on the day and decodes its standard output into v.
func (j *jobsEnv) json(today string, v any, args ...string) string {
	j.t.Helper()
	out := mustRun(j.t, j.env(today), append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		j.t.Fatalf("pme %s --json is not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// store opens the database to read what pme stored; the caller closes it before running pme again
// (SQLite allows one connection).
func (j *jobsEnv) store() *store.Store {
	j.t.Helper()
	s, err := store.Open(context.Background(), j.dbURL)
	if err != nil {
		j.t.Fatal(err)
	}
	return s
}

// storyWant is what the rules must make of a story pupil (fixtures/stories.go).
type storyWant struct {
	forename, surname string
	flagged           bool
	rules             []string // each must be among the case's rules
	severity          string   // "" when the fixtures leave it to chance (SEN drawn at random)
	plan              string
	letterDue         bool
}

var jobsStories = []storyWant{
	{"Tyler", "Campbell", true, []string{pme.RuleRTOverLimit, pme.RuleRTNoEndDate}, pme.SeverityCritical, pme.PlanCP, true},
	{"Siobhán", "O'Brien", true, []string{pme.RuleRTPastEndDate, pme.RuleRTLowHours, pme.RuleRTNoParentalAgreement, pme.RuleRTBehaviour}, pme.SeverityCritical, pme.PlanCIN, true},
	{"Amara", "Okafor", false, nil, "", "", false},       // LAC, reduced timetable within every limit
	{"Callum", "Smith-Jones", false, nil, "", "", false}, // CIN plan ended, timetable within limits
	{"Linh", "Nguyễn", true, []string{pme.RuleAPUnapprovedProvider, pme.RuleAPUnregisteredFT}, pme.SeverityCritical, pme.PlanCP, true},
	{"Oluwaseun", "Adeyemi", true, []string{pme.RuleAPUnapprovedProvider}, pme.SeverityCritical, pme.PlanCIN, true},
	{"Kacper", "Dąbrowski", true, []string{pme.RuleAPUnregisteredFT}, "", "", false},
	{"Zoë", "Hughes", true, []string{pme.RuleAPNotFullTime}, pme.SeverityHigh, "", false}, // medium, raised for SEN E
	{"Łukasz", "Wiśniewski", true, []string{pme.RuleSuspOver45Days}, "", "", false},
	{"Ruby", "Walker", true, []string{pme.RuleSuspRepeated}, "", "", false},
	{"Mohammed", "Iqbal", true, []string{pme.RuleSuspNoSixthDay}, "", "", false},
	{"Jayden", "Robinson", true, []string{pme.RulePermExclusion}, "", "", false},
	{"Ailís", "Brennan", true, []string{pme.RuleMultipleReturns}, "", "", false},
	{"Zofia", "Nowak", true, []string{pme.RuleMatchAmbiguous}, "", "", false},
	{"Harvey", "Thompson", true, []string{pme.RuleSuspApproaching}, "", "", false},
}

// TestJobsFlagReportLettersRun runs the practitioner's side of pme over the fixtures on both
// backends: load the reference data and ingest the returns, then flag, report, letters, the case
// lifecycle over five run dates, and pme run with the ledger.
func TestJobsFlagReportLettersRun(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	fx := filepath.Join(t.TempDir(), "fx")
	mustRun(t, map[string]string{"PME_DATA_DIR": t.TempDir(), "PME_TODAY": jobsDay1},
		"fixtures", "--out", fx, "--schools", "12", "--pupils", "120", "--seed", "11")
	for backend, dbURL := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			j := &jobsEnv{t: t, data: filepath.Join(t.TempDir(), "data"), dbURL: dbURL, fx: fx}
			j.loadAndIngest()
			stories := j.storyUPNs()
			var flagged pipeline.FlagSummary
			steps := []struct {
				name string
				fn   func(t *testing.T)
			}{
				{"flag", func(t *testing.T) { flagged = j.checkFlag(t, stories) }},
				{"report", func(t *testing.T) { j.checkReport(t, flagged, stories) }},
				{"letters", func(t *testing.T) { j.checkLetters(t, flagged, stories) }},
				{"lifecycle", func(t *testing.T) { j.checkLifecycle(t, stories["Tyler Campbell"]) }},
			}
			for _, st := range steps {
				j.t = t
				ok := t.Run(st.name, func(t *testing.T) {
					j.t = t
					st.fn(t)
				})
				if !ok {
					return // the later steps build on this one's state
				}
			}
		})
	}
}

// loadAndIngest loads the four reference files and ingests every return.
func (j *jobsEnv) loadAndIngest() {
	j.t.Helper()
	refs, _ := filepath.Glob(filepath.Join(j.fx, "reference", "*"))
	kinds := map[string]bool{}
	for _, ref := range refs {
		kind := referenceKind(filepath.Base(ref))
		if kind == "" {
			continue
		}
		var sum pipeline.LoadSummary
		j.json(jobsDay1, &sum, "load", kind, ref)
		if sum.Status != pipeline.LoadLoaded || sum.Loaded == 0 {
			j.t.Fatalf("load %s: status %s, %d loaded, issues %v", kind, sum.Status, sum.Loaded, sum.Issues)
		}
		kinds[kind] = true
	}
	if len(kinds) != 4 {
		j.t.Fatalf("loaded %v, want schools, contacts, social-care and providers", kinds)
	}
	returns, _ := filepath.Glob(filepath.Join(j.fx, "returns", "*"))
	var sum pipeline.IngestSummary
	j.json(jobsDay1, &sum, append([]string{"ingest"}, returns...)...)
	if len(sum.Files) != len(returns) {
		j.t.Fatalf("ingested %d files, want %d", len(sum.Files), len(returns))
	}
}

// storyUPNs finds each story pupil's UPN among the stored pupils by name: the fixtures give every
// story pupil a name of its own.
func (j *jobsEnv) storyUPNs() map[string]string {
	j.t.Helper()
	s := j.store()
	defer s.Close()
	pupils, err := s.Pupils(context.Background())
	if err != nil {
		j.t.Fatal(err)
	}
	byName := map[string][]string{}
	for _, p := range pupils {
		byName[p.Forename+" "+p.Surname] = append(byName[p.Forename+" "+p.Surname], p.UPN)
	}
	upns := map[string]string{}
	for _, st := range jobsStories {
		name := st.forename + " " + st.surname
		if got := byName[name]; len(got) != 1 {
			j.t.Fatalf("stored pupils named %s: %v, want exactly one", name, got)
		}
		upns[name] = byName[name][0]
	}
	return upns
}

// checkFlag runs pme flag and checks each story pupil's case, and that a rerun changes nothing.
func (j *jobsEnv) checkFlag(t *testing.T, stories map[string]string) pipeline.FlagSummary {
	var first pipeline.FlagSummary
	firstOut := j.json(jobsDay1, &first, "flag")
	if first.Today != jobsDay1 {
		t.Errorf("today = %q, want %s", first.Today, jobsDay1)
	}
	byUPN := casesByUPN(first)
	for _, st := range jobsStories {
		name := st.forename + " " + st.surname
		c, ok := byUPN[stories[name]]
		if ok != st.flagged {
			t.Errorf("%s flagged = %v (%+v), want %v", name, ok, c, st.flagged)
			continue
		}
		if !ok {
			continue
		}
		for _, r := range st.rules {
			if !slices.Contains(c.Rules, r) {
				t.Errorf("%s: rules %v, want %s among them", name, c.Rules, r)
			}
		}
		if st.severity != "" && c.Severity != st.severity {
			t.Errorf("%s: severity %s, want %s", name, c.Severity, st.severity)
		}
		if c.Plan != st.plan || c.LetterDue != st.letterDue {
			t.Errorf("%s: plan %q letter_due %v, want %q %v", name, c.Plan, c.LetterDue, st.plan, st.letterDue)
		}
		if c.Status != pme.CaseNew || !strings.HasPrefix(c.CaseID, "C-") {
			t.Errorf("%s: case %q status %s, want a new case", name, c.CaseID, c.Status)
		}
	}
	// Łukasz's 47 days are at two schools: the case is with the school of his latest suspension.
	j.checkTwoSchools(t, stories["Łukasz Wiśniewski"])

	// Pupils without a risk are not flagged: most pupils have no case.
	s := j.store()
	pupils, err := s.Pupils(context.Background())
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Cases) == 0 || len(first.Cases) >= len(pupils) {
		t.Errorf("%d cases for %d pupils", len(first.Cases), len(pupils))
	}
	for _, c := range first.Cases {
		if len(c.Rules) == 0 || c.Severity == "" || len(c.LAESTAB) != 7 {
			t.Errorf("case %s: rules %v severity %q laestab %q", c.CaseID, c.Rules, c.Severity, c.LAESTAB)
		}
	}

	// The same data and date: nothing changes, and pme cases lists the same.
	var again pipeline.FlagSummary
	if out := j.json(jobsDay1, &again, "flag"); out != firstOut {
		t.Errorf("second pme flag differs from the first:\n%s\nwant\n%s", out, firstOut)
	}
	var cases pipeline.FlagSummary
	j.json(jobsDay1, &cases, "cases")
	if got, want := fmt.Sprint(cases.Cases), fmt.Sprint(first.Cases); got != want {
		t.Errorf("pme cases lists\n%s\nwant the flagged\n%s", got, want)
	}
	return first
}

// checkTwoSchools checks the suspensions story counted both schools.
func (j *jobsEnv) checkTwoSchools(t *testing.T, upn string) {
	s := j.store()
	defer s.Close()
	susp, err := s.Suspensions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	pupils, err := s.Pupils(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	for _, p := range pupils {
		if p.UPN == upn {
			id = p.ID
		}
	}
	schools := map[string]bool{}
	for _, su := range susp {
		if su.PupilID == id {
			schools[su.LAESTAB] = true
		}
	}
	if len(schools) != 2 {
		t.Errorf("suspensions of the two-schools story at %d schools, want 2", len(schools))
	}
}

func casesByUPN(s pipeline.FlagSummary) map[string]pipeline.CaseSummary {
	m := map[string]pipeline.CaseSummary{}
	for _, c := range s.Cases {
		m[c.UPN] = c
	}
	return m
}

var ukDate = regexp.MustCompile(`\b\d\d/\d\d/20\d\d\b`)

// checkReport writes the report and reads it as the practitioner would.
func (j *jobsEnv) checkReport(t *testing.T, flagged pipeline.FlagSummary, stories map[string]string) {
	var sum pipeline.ReportSummary
	j.json(jobsDay1, &sum, "report")
	want := []string{"out/reports/flagged-cases-" + jobsDay1 + ".xlsx", "out/reports/flagged-cases-" + jobsDay1 + ".csv"}
	got := append([]string(nil), sum.Files...)
	for i := range got {
		got[i] = filepath.ToSlash(got[i])
	}
	sort.Strings(got)
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("report files %v, want %v", got, want)
	}
	for _, f := range want {
		checkOwnerOnly(t, filepath.Join(j.data, f))
	}
	book := filepath.Join(j.data, want[1])
	sheets := readBook(t, book)
	for _, sh := range []string{"Summary", "Cases", "Closed since last report", "Letters"} {
		if _, ok := sheets[sh]; !ok {
			t.Errorf("the workbook has no %q sheet", sh)
		}
	}
	rows := sheetRecords(sheets["Cases"])
	if len(rows) != len(flagged.Cases) {
		t.Errorf("Cases sheet has %d rows, want the %d open cases", len(rows), len(flagged.Cases))
	}
	byUPN := map[string]map[string]string{}
	for _, r := range rows {
		byUPN[r["UPN"]] = r
	}
	flaggedByUPN := casesByUPN(flagged)
	for _, st := range jobsStories {
		name := st.forename + " " + st.surname
		r, ok := byUPN[stories[name]]
		if ok != st.flagged {
			t.Errorf("%s in the Cases sheet: %v, want %v", name, ok, st.flagged)
			continue
		}
		if !ok {
			continue
		}
		c := flaggedByUPN[stories[name]]
		if r["Case ID"] != c.CaseID || r["Surname"] != st.surname || r["Forename"] != st.forename {
			t.Errorf("%s: row %v, want case %s", name, r, c.CaseID)
		}
		// One sentence per rule, plus one saying why severities were raised; each with a figure.
		why := strings.Split(r["Why"], "\n")
		raised := 0
		if strings.HasPrefix(why[len(why)-1], "Severity raised one step: ") {
			raised = 1
		}
		if len(why) != len(c.Rules)+raised {
			t.Errorf("%s: Why has %d lines for rules %v:\n%s", name, len(why), c.Rules, r["Why"])
		}
		for _, line := range why[:len(why)-raised] {
			if !strings.ContainsAny(line, "0123456789") {
				t.Errorf("%s: Why line %q names no figure", name, line)
			}
		}
		if st.plan != "" && !strings.HasPrefix(r["Plan"], st.plan+" – ") {
			t.Errorf("%s: Plan %q, want %s and the social worker", name, r["Plan"], st.plan)
		}
	}
	tyler := byUPN[stories["Tyler Campbell"]]
	if !strings.Contains(tyler["Why"], "school days since") || !ukDate.MatchString(tyler["Why"]) ||
		!strings.HasPrefix(tyler["Provision"], "Reduced timetable ") || !strings.Contains(tyler["Why"], "Child Protection plan") {
		t.Errorf("Tyler's row: Why %q, Provision %q", tyler["Why"], tyler["Provision"])
	}
	if p := byUPN[stories["Linh Nguyễn"]]["Provision"]; !strings.HasPrefix(p, "AP: Streetwise Boxing Academy") {
		t.Errorf("Linh's Provision %q, want the AP provider", p)
	}
	if w := byUPN[stories["Łukasz Wiśniewski"]]["Why"]; !strings.Contains(w, "2 schools") {
		t.Errorf("Łukasz's Why %q does not say the days were at two schools", w)
	}
	if p := byUPN[stories["Zofia Nowak"]]["Plan"]; !strings.Contains(p, "needs checking") {
		t.Errorf("Zofia's Plan %q, want the match to be checked", p)
	}

	csvBytes, err := os.ReadFile(filepath.Join(j.data, want[0]))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(csvBytes, []byte("\ufeff")) {
		t.Errorf("the CSV starts %q, want a UTF-8 BOM", csvBytes[:min(3, len(csvBytes))])
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(csvBytes, []byte("\ufeff")))).ReadAll()
	if err != nil || len(recs)-1 != len(flagged.Cases) {
		t.Errorf("the CSV has %d rows (%v), want a header and %d cases", len(recs), err, len(flagged.Cases))
	}
}

// checkLetters makes the letters, checks what was not made and why, reruns, supplies the missing
// chair of governors, and reprints.
func (j *jobsEnv) checkLetters(t *testing.T, flagged pipeline.FlagSummary, stories map[string]string) {
	var sum pipeline.LettersSummary
	j.json(jobsDay1, &sum, "letters")
	due := map[string]bool{}
	for _, c := range flagged.Cases {
		if c.LetterDue {
			due[c.UPN] = true
		}
	}
	// A CP or CIN child on provision within every limit has a letter due but no case: a letter
	// for a pupil whose case says no letter is due is wrong.
	cases := casesByUPN(flagged)
	covered := map[string]bool{}
	for _, l := range sum.Letters {
		covered[l.UPN] = true
		if c, ok := cases[l.UPN]; ok && !c.LetterDue {
			t.Errorf("letter %s for %s, whose case has no letter due", l.LetterID, l.UPN)
		}
		path := filepath.Join(j.data, filepath.FromSlash(l.File))
		checkOwnerOnly(t, path)
		if got := fileSHA(t, path); got != l.SHA256 {
			t.Errorf("letter %s: file SHA-256 %s, summary says %s", l.LetterID, got, l.SHA256)
		}
	}
	reasons := map[string]string{}
	for _, n := range sum.NotProduced {
		covered[n.UPN] = true
		reasons[n.UPN] = n.Reason
	}
	for upn := range due {
		if !covered[upn] {
			t.Errorf("%s has a letter due but neither a letter nor a reason", upn)
		}
	}
	if len(sum.Letters) == 0 {
		t.Fatal("no letter made")
	}
	for _, want := range []struct{ story, says string }{
		{"Oluwaseun Adeyemi", "chair of governors"}, // the school without a chair
	} {
		if r := reasons[stories[want.story]]; !strings.Contains(r, want.says) {
			t.Errorf("%s: not-produced reason %q, want it to mention %q", want.story, r, want.says)
		}
	}
	for _, story := range []string{"Tyler Campbell", "Siobhán O'Brien", "Linh Nguyễn"} { // ễ is in the built-in font
		if !covered[stories[story]] || reasons[stories[story]] != "" {
			t.Errorf("%s: no letter made (reason %q)", story, reasons[stories[story]])
		}
	}
	manifest := filepath.Join(j.data, "out", "letters", jobsDay1, "manifest.csv")
	checkOwnerOnly(t, manifest)
	if m, _ := os.ReadFile(manifest); !bytes.Contains(m, []byte(sum.Letters[0].LetterID)) {
		t.Errorf("the manifest does not list letter %s", sum.Letters[0].LetterID)
	}
	book := filepath.Join(j.data, "out", "reports", "flagged-cases-"+jobsDay1+".xlsx")
	if got, want := len(sheetRecords(readBook(t, book)["Letters"])), len(sum.Letters)+len(sum.NotProduced); got != want {
		t.Errorf("the report's Letters sheet has %d rows, want %d", got, want)
	}
	// The report written again on its own still says which letters could not be made.
	var rep pipeline.ReportSummary
	j.json(jobsDay1, &rep, "report")
	if got, want := len(sheetRecords(readBook(t, book)["Letters"])), len(sum.Letters)+len(sum.NotProduced); got != want {
		t.Errorf("pme report after pme letters: the Letters sheet has %d rows, want %d", got, want)
	}

	// A rerun makes no new letter, and still lists what could not be made.
	var again pipeline.LettersSummary
	j.json(jobsDay1, &again, "letters")
	if len(again.Letters) != 0 || len(again.NotProduced) != len(sum.NotProduced) {
		t.Errorf("rerun made %d letters and %d not produced, want 0 and %d", len(again.Letters), len(again.NotProduced), len(sum.NotProduced))
	}

	// The council adds the missing chair: the next run makes that letter.
	noChair := stories["Oluwaseun Adeyemi"]
	laestab := cases[noChair].LAESTAB
	contacts := j.contactsWithChair(t, laestab, "Mrs Test Chair")
	var load pipeline.LoadSummary
	j.json(jobsDay1, &load, "load", "contacts", contacts)
	if load.Status != pipeline.LoadLoaded {
		t.Fatalf("load contacts: %s %v", load.Status, load.Issues)
	}
	var third pipeline.LettersSummary
	j.json(jobsDay1, &third, "letters")
	var made, waiting []string
	for _, l := range third.Letters {
		made = append(made, l.UPN)
	}
	for _, n := range sum.NotProduced {
		if n.LAESTAB == laestab {
			waiting = append(waiting, n.UPN)
		}
	}
	sort.Strings(made)
	sort.Strings(waiting)
	if !slices.Contains(made, noChair) || fmt.Sprint(made) != fmt.Sprint(waiting) {
		t.Errorf("after loading the chair: letters for %v, want those waiting at %s: %v", made, laestab, waiting)
	}
	for _, n := range third.NotProduced {
		if n.UPN == noChair {
			t.Errorf("still not produced: %s", n.Reason)
		}
	}

	// A house font set in the configuration (the Go fonts, as files): letters already made are not
	// made again in it.
	fontDir := t.TempDir()
	houseFont := filepath.Join(fontDir, "Go-Regular.ttf")
	if err := errors.Join(os.WriteFile(houseFont, goregular.TTF, 0o600),
		os.WriteFile(filepath.Join(fontDir, "Go-Bold.ttf"), gobold.TTF, 0o600)); err != nil {
		t.Fatal(err)
	}
	houseConfig := filepath.Join(t.TempDir(), "pme.yaml")
	if err := os.WriteFile(houseConfig, []byte("letters:\n  font: "+houseFont+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := j.env(jobsDay1)
	env["PME_CONFIG"] = houseConfig
	var fourth pipeline.LettersSummary
	if err := json.Unmarshal([]byte(mustRun(t, env, "letters", "--json")), &fourth); err != nil {
		t.Fatal(err)
	}
	if len(fourth.Letters) != 0 || len(fourth.NotProduced) != 0 {
		t.Errorf("with a house font: letters %+v, not produced %+v; want none (all made)", fourth.Letters, fourth.NotProduced)
	}

	// A reprint rewrites the same bytes.
	l := sum.Letters[0]
	path := filepath.Join(j.data, filepath.FromSlash(l.File))
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	var re map[string]string
	j.json(jobsDay1, &re, "letters", "--reprint", l.LetterID)
	if filepath.ToSlash(re["file"]) != l.File {
		t.Errorf("reprint wrote %q, want %q", re["file"], l.File)
	}
	if got := fileSHA(t, path); got != l.SHA256 {
		t.Errorf("reprint SHA-256 %s, want the original %s", got, l.SHA256)
	}
	checkOwnerOnly(t, path)
	// An unknown id, or a font other than the letter's, is the caller's to correct: exit 2.
	reprints := [][]string{{"letters", "--reprint", "PME-NOSUCH-LETTER"},
		{"letters", "--reprint", l.LetterID, "--config", houseConfig}}
	for _, args := range reprints {
		if _, errOut, code := pmeRun(t, j.env(jobsDay1), args...); code != exitUsage || errOut == "" {
			t.Errorf("pme %v: exit %d, want %d with a message\n%s", args, code, exitUsage, errOut)
		}
	}
	if got := fileSHA(t, path); got != l.SHA256 {
		t.Errorf("a refused reprint changed the file")
	}
	s := j.store()
	defer s.Close()
	rec, err := s.Letter(context.Background(), l.LetterID)
	if err != nil || rec.SHA256 != l.SHA256 {
		t.Errorf("ledger letter %s: %v %+v, want SHA-256 %s", l.LetterID, err, rec, l.SHA256)
	}
}

// contactsWithChair writes the fixtures' contacts list as CSV with a chair for the school.
func (j *jobsEnv) contactsWithChair(t *testing.T, laestab, chair string) string {
	src, _ := filepath.Glob(filepath.Join(j.fx, "reference", "contacts.*"))
	if len(src) != 1 || filepath.Ext(src[0]) != ".xlsx" {
		t.Fatalf("contacts reference %v, want contacts.xlsx", src)
	}
	f, err := excelize.OpenFile(src[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil || len(rows) < 2 {
		t.Fatalf("read contacts: %v", err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	found := false
	for i, r := range rows {
		// excelize leaves out trailing empty cells: pad each row to the header's width.
		rows[i] = append(r, make([]string, max(0, len(rows[0])-len(r)))...)
		if i > 0 && digitsOnly(rows[i][col["LAESTAB"]]) == laestab {
			rows[i][col["Chair of Governors"]] = chair
			found = true
		}
	}
	if !found {
		t.Fatalf("school %s is not in the contacts list", laestab)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.WriteAll(rows)
	w.Flush()
	path := filepath.Join(t.TempDir(), "contacts-with-chair.csv")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// checkLifecycle follows one case over five run dates: open, changed, closed and reopened.
func (j *jobsEnv) checkLifecycle(t *testing.T, upn string) {
	caseOf := func(s pipeline.FlagSummary) (pipeline.CaseSummary, bool) {
		c, ok := casesByUPN(s)[upn]
		return c, ok
	}
	var day1 pipeline.FlagSummary
	j.json(jobsDay1, &day1, "cases")
	first, ok := caseOf(day1)
	if !ok {
		t.Fatal("no case for the pupil on day 1")
	}

	// A later run date, nothing new: the case is open, and no case of day 1 stays "new" (a pupil
	// can be flagged for the first time as days pass).
	var day2 pipeline.FlagSummary
	j.json(jobsDay2, &day2, "flag")
	if c, _ := caseOf(day2); c.Status != pme.CaseOpen || c.CaseID != first.CaseID {
		t.Errorf("day 2: case %+v, want %s open", c, first.CaseID)
	}
	was := map[string]bool{}
	for _, c := range day1.Cases {
		was[c.CaseID] = true
	}
	for _, c := range day2.Cases {
		if c.Status == pme.CaseNew && was[c.CaseID] {
			t.Errorf("day 2: case %s for %s, new on day 1, is still new", c.CaseID, c.UPN)
		}
	}

	// The school sends its reduced timetables again with different hours: changed.
	tt, p := j.timetableOf(t, upn)
	row := func(hours string) []string {
		return []string{tt.LAESTAB, p.UPN, p.Surname, p.Forename, p.DOB.UK(), p.NCYear, tt.StartDate.UK(),
			tt.PlannedEndDate.UK(), tt.ActualEndDate.UK(), hours, tt.Reason, tt.ParentalAgreement, tt.ReviewDate.UK()}
	}
	j.ingestRT(t, jobsDay3, tt.LAESTAB, "v2", row(fmt.Sprint(tt.HoursPerWeek-2)))
	var day3 pipeline.FlagSummary
	j.json(jobsDay3, &day3, "flag")
	if c, _ := caseOf(day3); c.Status != pme.CaseChanged || c.CaseID != first.CaseID {
		t.Errorf("day 3 with new hours: case %+v, want %s changed", c, first.CaseID)
	}
	// New hours are a material change for a CP child: a new letter is due.
	var letters3 pipeline.LettersSummary
	j.json(jobsDay3, &letters3, "letters")
	var mine []string
	for _, l := range letters3.Letters {
		if l.UPN == upn {
			mine = append(mine, l.LetterID)
		}
	}
	if len(mine) != 1 {
		t.Errorf("day 3: letters %v for the pupil whose hours changed, want one", mine)
	}

	// A nil return: the school has no pupil on a reduced timetable now. The case closes, with why.
	j.ingestRT(t, jobsDay4, tt.LAESTAB, "v3", nil)
	var day4 pipeline.FlagSummary
	j.json(jobsDay4, &day4, "flag")
	if c, _ := caseOf(day4); c.Status != pme.CaseClosed || c.CaseID != first.CaseID {
		t.Errorf("day 4 after a nil return: case %+v, want %s closed in this run", c, first.CaseID)
	}
	var open pipeline.FlagSummary
	j.json(jobsDay4, &open, "cases")
	if _, ok := caseOf(open); ok {
		t.Error("pme cases still lists the closed case")
	}
	s := j.store()
	cases, err := s.Cases(context.Background())
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if c.ID == first.CaseID && (c.ClosedOn.String() != jobsDay4 || !strings.Contains(c.CloseReason, "reduced timetable")) {
			t.Errorf("closed case: on %s, reason %q", c.ClosedOn, c.CloseReason)
		}
	}
	// The day-4 report lists it as closed since the last report (day 3's, from pme letters), with why.
	var rep pipeline.ReportSummary
	j.json(jobsDay4, &rep, "report")
	var closedRow map[string]string
	for _, r := range sheetRecords(readBook(t, filepath.Join(j.data, "out", "reports", "flagged-cases-"+jobsDay4+".xlsx"))["Closed since last report"]) {
		if r["Case ID"] == first.CaseID {
			closedRow = r
		}
	}
	if closedRow["Closed"] != "02/12/2026" || !strings.Contains(closedRow["Why"], "no rule fires") {
		t.Errorf("day-4 report's closed row for the case: %v", closedRow)
	}

	// The timetable comes back in a file dropped in the inbox, and pme run picks it up: the case
	// reopens as new with its id.
	inbox := filepath.Join(j.data, "inbox", tt.LAESTAB+" reduced timetable v4.csv")
	writeRT(t, inbox, row(fmt.Sprint(tt.HoursPerWeek)))
	var raw map[string]json.RawMessage
	j.json(jobsDay5, &raw, "run")
	for _, k := range []string{"ingest", "flag", "report", "letters"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("pme run --json has no %q: %s", k, keys(raw))
		}
	}
	var run pipeline.RunSummary
	j.json(jobsDay5, &run, "run") // a second run: nothing to ingest, the same cases
	var day5 pipeline.FlagSummary
	if err := json.Unmarshal(raw["flag"], &day5); err != nil {
		t.Fatal(err)
	}
	if c, _ := caseOf(day5); c.Status != pme.CaseNew || c.CaseID != first.CaseID {
		t.Errorf("day 5 with the timetable back: case %+v, want %s new again", c, first.CaseID)
	}
	if run.Flag == nil || fmt.Sprint(run.Flag.Cases) != fmt.Sprint(day5.Cases) {
		t.Errorf("a second pme run the same day changed the cases")
	}
	// The day-5 report has the case again, new since the day-4 report.
	var reopened map[string]string
	for _, r := range sheetRecords(readBook(t, filepath.Join(j.data, "out", "reports", "flagged-cases-"+jobsDay5+".xlsx"))["Cases"]) {
		if r["Case ID"] == first.CaseID {
			reopened = r
		}
	}
	if reopened["Status"] != pme.CaseNew || reopened["New Since Last Report"] != "Y" || reopened["First Flagged"] != "27/11/2026" {
		t.Errorf("day-5 report row for the reopened case: %v", reopened)
	}

	var runs struct {
		Runs []map[string]any `json:"runs"`
	}
	j.json(jobsDay5, &runs, "runs")
	var found int
	for _, r := range runs.Runs {
		if r["job"] != "run" {
			continue
		}
		found++
		for _, k := range []string{"run_id", "planned", "started", "ended", "host"} {
			if s, _ := r[k].(string); s == "" {
				t.Errorf("run ledger row %v has no %s", r, k)
			}
		}
		if r["outcome"] != "ok" {
			t.Errorf("run ledger row %v: outcome %v, want ok", r, r["outcome"])
		}
	}
	if found != 2 {
		t.Errorf("the ledger lists %d run jobs, want 2: %v", found, runs.Runs)
	}
	checkPrivate(t, j.data) // every report, letter, manifest and feedback file of the five days
}

// timetableOf returns the pupil's stored reduced timetable and details.
func (j *jobsEnv) timetableOf(t *testing.T, upn string) (pme.StoredTimetable, pme.Pupil) {
	s := j.store()
	defer s.Close()
	pupils, err := s.Pupils(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var p pme.StoredPupil
	for _, sp := range pupils {
		if sp.UPN == upn {
			p = sp
		}
	}
	tts, err := s.CurrentTimetables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tts {
		if tt.PupilID == p.ID && p.ID != 0 {
			return tt, p.Pupil
		}
	}
	t.Fatalf("no reduced timetable stored for %s", upn)
	return pme.StoredTimetable{}, pme.Pupil{}
}

var rtHeader = []string{"LAESTAB", "UPN", "Surname", "Forename", "Date of Birth", "NC Year", "Start Date",
	"Planned End Date", "Actual End Date", "Hours Per Week", "Reason", "Parental Agreement", "Review Date"}

func writeRT(t *testing.T, path string, row []string) {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(rtHeader)
	if row != nil {
		w.Write(row)
	}
	w.Flush()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// ingestRT ingests a reduced-timetable return for the school holding row, or a nil return.
func (j *jobsEnv) ingestRT(t *testing.T, today, laestab, version string, row []string) {
	path := filepath.Join(t.TempDir(), laestab+" reduced timetable "+version+".csv")
	writeRT(t, path, row)
	var sum pipeline.IngestSummary
	j.json(today, &sum, "ingest", path)
	if len(sum.Files) != 1 || sum.Files[0].Status != "accepted" {
		t.Fatalf("ingest %s: %+v", filepath.Base(path), sum.Files)
	}
}

// readBook reads every sheet of a workbook as rows of cells.
func readBook(t *testing.T, path string) map[string][][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	out := map[string][][]string{}
	for _, sh := range f.GetSheetList() {
		rows, err := f.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		out[sh] = rows
	}
	return out
}

// sheetRecords maps a sheet's data rows by its header; a row of one cell (a note such as "No
// cases closed") is not a record.
func sheetRecords(rows [][]string) []map[string]string {
	if len(rows) == 0 {
		return nil
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		if len(r) < 2 {
			continue
		}
		m := map[string]string{}
		for i, h := range rows[0] {
			if i < len(r) {
				m[h] = r[i]
			}
		}
		out = append(out, m)
	}
	return out
}

// checkOwnerOnly checks a file pme wrote is readable by its owner only.
func checkOwnerOnly(t *testing.T, path string) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Errorf("%v", err)
		return
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", filepath.Base(path), info.Mode().Perm())
	}
}

func keys(m map[string]json.RawMessage) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
