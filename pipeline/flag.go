package pipeline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"

	"pme"
	"pme/calendar"
	"pme/match"
	"pme/rules"
	"pme/store"
)

// FlagSummary is `pme flag --json` and `pme cases --json` (cli.md).
type FlagSummary struct {
	Today string        `json:"today"`
	Cases []CaseSummary `json:"cases"`

	// ByStatus counts the cases the summary covers by status, whether or not Cases lists them.
	ByStatus map[string]int `json:"-"`
	// Evaluated is how many pupils the rules ran for: on a rerun, those whose facts changed.
	Evaluated int `json:"-"`
	// Read is how many pupils' facts were read: on a rerun, those that files since may have changed
	// (store.FlagRun.ChangedSince), or every pupil when it cannot tell.
	Read int `json:"-"`
}

// CaseSummary is one case in the JSON summaries.
type CaseSummary struct {
	CaseID    string   `json:"case_id"`
	UPN       string   `json:"upn"`
	Status    string   `json:"status"`
	Severity  string   `json:"severity"`
	Rules     []string `json:"rules"`
	LAESTAB   string   `json:"laestab"`
	Plan      string   `json:"plan"`
	LetterDue bool     `json:"letter_due"`
}

// Counts returns the number of cases by status.
func (s FlagSummary) Counts() map[string]int {
	if s.ByStatus != nil {
		return s.ByStatus
	}
	by := map[string]int{}
	for _, c := range s.Cases {
		by[c.Status]++
	}
	return by
}

// Listed returns the number of cases the summary covers: those not closed, and those closed in
// this run.
func (s FlagSummary) Listed() int {
	n := 0
	for _, c := range s.Counts() {
		n += c
	}
	return n
}

// RulesConfig builds the rules' configuration from the configuration file.
func (e *Env) RulesConfig() (rules.Config, error) {
	return rules.FromYAML(e.Config.Rules, e.Config.FullTimeHours)
}

// Calendar returns the loaded school calendar, or the built-in one for England. The run's warnings
// name any academic year outside it that it is asked about (see calendarWarning).
func (e *Env) Calendar(ctx context.Context) (*calendar.Calendar, error) {
	terms, closures, loaded, err := e.Store.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	cal := calendar.Default()
	if loaded {
		if cal, err = calendar.New(terms, closures); err != nil {
			return nil, err
		}
	}
	cal = cal.Tracked()
	e.trackCalendar(cal, loaded)
	return cal, nil
}

// pupilsPerRange is how many pupil ids the rules take at a time: about 60,000 suspension events
// and 30 MB of facts at national density, and few enough ranges that their queries cost little.
var pupilsPerRange int64 = 20_000 // a variable so that a test can make ranges small

// flagMemoryLimit is the Go runtime's soft memory limit during a flag run (see softMemoryLimit).
// A second run rewriting 474,104 cases peaked at 172-198 MB RSS without it (85-99 MB of heap,
// the collector aiming at up to 116), and at 163-166 MB with it, in the same time.
const flagMemoryLimit = 96 << 20

// evaluation is what the rules need besides the facts of a range of pupils: read once, before the
// facts, since on SQLite every read of a flag run must then go through its transaction.
type evaluation struct {
	cfg       rules.Config
	cal       *calendar.Calendar
	today     pme.Date
	plans     []pme.Plan
	providers []pme.Provider
	schools   map[string]string                                          // LAESTAB → name, for the attendance rules' sentences
	missed    func(laestab string, t pme.ReturnType, since pme.Date) int // STALE_RETURN; nil without compliance
	missedSum [32]byte                                                   // the compliance grid behind missed, for contextHash
}

func (e *Env) newEvaluation(ctx context.Context) (*evaluation, error) {
	ev := &evaluation{today: e.Today}
	var err error
	if ev.cfg, err = e.RulesConfig(); err != nil {
		return nil, err
	}
	if ev.cal, err = e.Calendar(ctx); err != nil {
		return nil, err
	}
	if ev.plans, err = e.Store.Plans(ctx); err != nil {
		return nil, err
	}
	if ev.providers, err = e.Store.Providers(ctx); err != nil {
		return nil, err
	}
	if ev.schools, err = e.schoolNames(ctx); err != nil {
		return nil, err
	}
	if ev.missed, ev.missedSum, err = e.staleReturns(ctx, &ev.cfg); err != nil {
		return nil, err
	}
	return ev, nil
}

// sharedFacts is what the rules read for all pupils at once, before the ranges: the social care
// matches, which need every pupil, and the attendance aggregate, with their rules.SharedHash.
type sharedFacts struct {
	matches map[int64][]pme.PlanMatch
	att     *attendanceFacts
	hash    int64
}

func (ev *evaluation) shared(r *store.Reader) (*sharedFacts, error) {
	matches, err := ev.matches(r)
	if err != nil {
		return nil, err
	}
	att, err := ev.attendance(r)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(matches))
	for id := range matches {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var all []pme.PlanMatch
	for _, id := range ids {
		all = append(all, matches[id]...)
	}
	return &sharedFacts{matches: matches, att: att, hash: rules.SharedHash(att.schools, all, att.facts)}, nil
}

// withAttendanceAt adds to the pupils (in order) those with attendance at the schools, and
// returns them in order, never nil (none changed reads none).
func withAttendanceAt(pupils []int64, schools []string, att []pme.AttendanceFact) []int64 {
	out := append(make([]int64, 0, len(pupils)), pupils...)
	if len(schools) == 0 || len(att) == 0 {
		return out
	}
	for _, a := range att {
		if _, ok := slices.BinarySearch(schools, a.LAESTAB); ok {
			out = append(out, a.PupilID)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// run reads every pupil's facts a range of pupils at a time, in pupil order, and hands fn each
// range's. Memory holds one range's facts.
func (ev *evaluation) run(r *store.Reader, fn func(rg store.PupilRange, f rules.Facts) error) error {
	sh, err := ev.shared(r)
	if err != nil {
		return err
	}
	return ev.runPupils(r, sh, nil, fn)
}

// runPupils is run with the shared facts read, for every pupil or, when only is not nil, only the
// pupils it lists (in order).
func (ev *evaluation) runPupils(r *store.Reader, sh *sharedFacts, only []int64, fn func(rg store.PupilRange, f rules.Facts) error) error {
	last, err := r.MaxPupilID()
	if err != nil {
		return err
	}
	yearStart, _, _ := calendar.AcademicYear(ev.today)
	matches := sh.matches
	for from := int64(0); from <= last; from += pupilsPerRange {
		rg := store.PupilRange{From: from, To: from + pupilsPerRange}
		if only != nil {
			lo, _ := slices.BinarySearch(only, rg.From)
			hi, _ := slices.BinarySearch(only, rg.To)
			if lo == hi {
				continue
			}
			rg.Only = only[lo:hi]
		}
		f := rules.Facts{Providers: ev.providers, Missed: ev.missed}
		sh.att.fill(&f, rg)
		if rg.Only != nil && len(f.Attendance) > 0 {
			var only []pme.AttendanceFact
			for _, a := range f.Attendance {
				if _, ok := slices.BinarySearch(rg.Only, a.PupilID); ok {
					only = append(only, a)
				}
			}
			f.Attendance = only
		}
		if f.Pupils, err = r.Pupils(rg); err != nil {
			return err
		}
		if f.Timetables, err = r.Timetables(rg); err != nil {
			return err
		}
		if f.Placements, err = r.Placements(rg); err != nil {
			return err
		}
		if f.Suspensions, err = r.Suspensions(rg); err != nil {
			return err
		}
		if f.ReturnTypes, err = r.ReturnTypesWith(rg, yearStart, f.Suspensions); err != nil {
			return err
		}
		for _, p := range f.Pupils {
			f.Matches = append(f.Matches, matches[p.ID]...)
		}
		if err := fn(rg, f); err != nil {
			return err
		}
	}
	return nil
}

// matches matches the plans to the pupils who could match one (match.Candidates), by pupil id.
func (ev *evaluation) matches(r *store.Reader) (map[int64][]pme.PlanMatch, error) {
	if len(ev.plans) == 0 {
		return nil, nil
	}
	mayMatch := match.Candidates(ev.plans)
	var candidates []pme.StoredPupil
	err := r.EachPupil(func(p pme.StoredPupil) error {
		if mayMatch(p) {
			candidates = append(candidates, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	by := map[int64][]pme.PlanMatch{}
	for _, m := range match.Plans(candidates, ev.plans) {
		by[m.PupilID] = append(by[m.PupilID], m)
	}
	return by, nil
}

// Flag runs the rules over everything stored, as at the run date, and updates the cases, a range
// of pupils at a time in one transaction. Running it twice on the same data and date changes
// nothing. The summary lists the cases only when ListCases is set (for --json): at national scale
// that list is most of the memory.
func (e *Env) Flag(ctx context.Context) (FlagSummary, error) {
	sum := FlagSummary{Today: e.Today.String(), Cases: []CaseSummary{}, ByStatus: map[string]int{}}
	if !e.ListCases {
		// Not with the list: at national scale it can outgrow the limit, and the collector would
		// then run all the time.
		defer softMemoryLimit(flagMemoryLimit)()
		// A range's facts and cases are garbage once written: live memory stays small (8-14 MB)
		// while the run allocates heavily, and the collector ran 455 times in a first run over
		// 469,440 cases on SQLite. Letting the heap grow to five times what is live, under the
		// limit, it ran 120 times: 15.9-16.6 s instead of 17.3-19.6 s, peak RSS 150 MB instead of
		// 142-146 (several runs each).
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	ev, err := e.newEvaluation(ctx)
	if err != nil {
		return sum, err
	}
	context, err := ev.contextHash()
	if err != nil {
		return sum, err
	}
	events, written := 0, 0
	err = e.Store.Flag(ctx, e.Today, func(f *store.FlagRun) (int, error) {
		// A rerun in the same context (see contextHash) evaluates only the pupils whose facts
		// changed since the last run: the others would get the results their cases already hold.
		last, lastVersion, ok, err := f.FlagContext()
		if err != nil {
			return 0, err
		}
		lastMark, marked, err := f.LastMark()
		if err != nil {
			return 0, err
		}
		version, mark, err := f.FactsVersion()
		if err != nil {
			return 0, err
		}
		rerun := ok && last == context
		if !rerun {
			if err := f.ResetFactHashes(context); err != nil {
				return 0, err
			}
		}
		// Nothing stored since the last run in the same context: no pupil's facts hash can have
		// changed, and the facts need not be read.
		unchanged := rerun && version == lastVersion
		perRange := func(rg store.PupilRange, facts rules.Facts) error {
			hashes := rules.PupilHashes(facts)
			sum.Read += len(hashes)
			var prev []pme.Case
			var gone []int64
			if rerun {
				var dirty []int64
				if facts, dirty, gone, err = changedPupils(f, rg, facts, hashes); err != nil {
					return err
				}
				if len(dirty) == 0 {
					return nil
				}
				if prev, err = f.CasesOf(dirty); err != nil {
					return err
				}
			} else if prev, err = f.Cases(rg); err != nil {
				return err
			}
			sum.Evaluated += len(hashes) + len(gone)
			results := rules.Evaluate(facts, ev.cal, ev.cfg, ev.today)
			ids := newCaseIDs(prev)
			next, evs := rules.UpdateCases(prev, results, e.Today, ids.next)
			if err := uniqueCaseIDs(f, ids, prev, next, evs); err != nil {
				return err
			}
			events += len(evs)
			changed, replaced := changedCases(prev, next)
			written += len(changed)
			if err := f.SaveCases(changed, replaced, evs); err != nil {
				return err
			}
			return f.SaveFactHashes(hashes, gone, !rerun)
		}
		next := &mark
		if unchanged {
			// What the last run marked still stands (the version covers what the mark's hash does).
			next = nil
			if marked {
				next = &lastMark
			}
		} else {
			sh, err := ev.shared(f.Reader)
			if err != nil {
				return 0, err
			}
			mark.Shared = sh.hash
			// A rerun whose shared facts are as the last run's reads the facts only of the pupils
			// that files since touched, instead of every pupil's to compare their hashes (a file
			// changing a tenth of pupils: most of such a run's time went on reading the rest).
			var only []int64
			if rerun && marked && lastMark.Shared == sh.hash {
				ids, schools, ok, err := f.ChangedSince(lastMark, mark)
				if err != nil {
					return 0, err
				}
				if ok {
					only = withAttendanceAt(ids, schools, sh.att.facts)
				}
			}
			if err := ev.runPupils(f.Reader, sh, only, perRange); err != nil {
				return 0, err
			}
		}
		if err := f.SetFactsVersion(version, next); err != nil {
			return 0, err
		}
		// The counts, and the list for --json, from what is stored now: the cases the run left
		// alone included.
		if sum.ByStatus, err = f.CaseCounts(e.Today); err != nil {
			return 0, err
		}
		if e.ListCases {
			all, err := f.Cases(store.AllPupils)
			if err != nil {
				return 0, err
			}
			for _, c := range all {
				if c.Status != pme.CaseClosed || c.ClosedOn.Equal(e.Today) {
					sum.Cases = append(sum.Cases, caseSummary(c))
				}
			}
		}
		open := 0
		for status, n := range sum.ByStatus {
			if status != pme.CaseClosed {
				open += n
			}
		}
		return open, nil
	})
	if err != nil {
		return sum, err
	}
	sortCases(sum.Cases)
	e.log().Info("cases flagged", "cases", sum.Listed(), "events", events, "cases_written", written,
		"pupils_evaluated", sum.Evaluated, "pupils_read", sum.Read)
	return sum, nil
}

// changedPupils compares the range's facts hashes with those stored by the last run, and returns
// the facts of the pupils whose hash changed (new pupils and pupils now without facts included),
// those pupils' ids in order, and the pupils among them with no facts now. It leaves in hashes only
// the changed ones, to be stored.
func changedPupils(f *store.FlagRun, rg store.PupilRange, facts rules.Facts, hashes map[int64]int64) (rules.Facts, []int64, []int64, error) {
	old, err := f.FactHashes(rg)
	if err != nil {
		return facts, nil, nil, err
	}
	var dirty, gone []int64
	for id := range old {
		if _, ok := hashes[id]; !ok {
			gone = append(gone, id)
			dirty = append(dirty, id)
		}
	}
	for id, h := range hashes {
		if o, ok := old[id]; ok && o == h {
			delete(hashes, id)
		} else {
			dirty = append(dirty, id)
		}
	}
	slices.Sort(dirty)
	slices.Sort(gone)
	if len(hashes) < len(facts.Pupils) || len(gone) > 0 {
		facts = facts.Only(func(id int64) bool { _, ok := hashes[id]; return ok })
	}
	return facts, dirty, gone, nil
}

// contextHash hashes what the rules read besides a pupil's own facts: the run date, the rules'
// configuration, the calendar and the attendance windows it gives, the approved providers, and
// pme's build (whose rules may differ).
func (ev *evaluation) contextHash() (int64, error) {
	b, err := json.Marshal(struct {
		Today     pme.Date
		Config    rules.Config
		Terms     []pme.Term
		Closures  []pme.Closure
		Providers []pme.Provider
		Windows   rules.AttendanceWindows
		Missed    [32]byte
		Build     string
	}{ev.today, ev.cfg, ev.cal.Terms(), ev.cal.Closures(), ev.providers, rules.Windows(ev.cal, ev.cfg, ev.today), ev.missedSum, build()})
	if err != nil {
		return 0, fmt.Errorf("flag context: %w", err)
	}
	sum := sha256.Sum256(b)
	return int64(binary.LittleEndian.Uint64(sum[:8])), nil
}

// build identifies the running binary: its module version and VCS stamp, and the executable's size
// and modification time, which change with every build.
var build = sync.OnceValue(func() string {
	var id string
	if bi, ok := debug.ReadBuildInfo(); ok {
		id = bi.Main.Version
		for _, s := range bi.Settings {
			if strings.HasPrefix(s.Key, "vcs.") {
				id += " " + s.Key + "=" + s.Value
			}
		}
	}
	if exe, err := os.Executable(); err == nil {
		if fi, err := os.Stat(exe); err == nil {
			id += fmt.Sprintf(" %d %d", fi.Size(), fi.ModTime().UnixNano())
		}
	}
	return id
})

// caseIDs hands out ids for a range's new cases that no case of the range holds: UpdateCases
// calls it for each pupil newly flagged.
type caseIDs map[string]bool

func newCaseIDs(prev []pme.Case) caseIDs {
	ids := make(caseIDs, len(prev))
	for _, c := range prev {
		ids[c.ID] = true
	}
	return ids
}

func (ids caseIDs) next() string {
	for {
		if id := newCaseID(); !ids[id] {
			ids[id] = true
			return id
		}
	}
}

// uniqueCaseIDs renames, in the cases and their events, each case new in this range whose id a
// stored case already holds (the run's earlier ranges included: they are stored in its
// transaction).
func uniqueCaseIDs(f *store.FlagRun, ids caseIDs, prev, next []pme.Case, evs []pme.CaseEvent) error {
	stored := make(map[string]bool, len(prev))
	for _, c := range prev {
		stored[c.ID] = true
	}
	orig := map[*pme.Case]string{} // each new case's id as UpdateCases gave it
	var fresh []*pme.Case
	for i := range next {
		if !stored[next[i].ID] {
			fresh = append(fresh, &next[i])
			orig[&next[i]] = next[i].ID
		}
	}
	rename := map[string]string{}
	for len(fresh) > 0 {
		check := make([]string, len(fresh))
		for i, c := range fresh {
			check[i] = c.ID
		}
		taken, err := f.TakenCaseIDs(check)
		if err != nil {
			return err
		}
		var again []*pme.Case
		for _, c := range fresh {
			if taken[c.ID] {
				c.ID = ids.next()
				rename[orig[c]] = c.ID
				again = append(again, c)
			}
		}
		fresh = again
	}
	for i := range evs {
		if id, ok := rename[evs[i].CaseID]; ok {
			evs[i].CaseID = id
		}
	}
	return nil
}

// changedCases returns the cases of next that differ from prev (a rerun on the same day, or a case
// closed long ago, rewrites nothing), and the ids of those among them that prev held.
func changedCases(prev, next []pme.Case) (changed []pme.Case, replaced []string) {
	before := make(map[string]*pme.Case, len(prev))
	for i := range prev {
		before[prev[i].ID] = &prev[i]
	}
	for _, c := range next {
		p := before[c.ID]
		if p != nil && reflect.DeepEqual(*p, c) {
			continue
		}
		changed = append(changed, c)
		if p != nil {
			replaced = append(replaced, c.ID)
		}
	}
	return changed, replaced
}

// OpenCases returns the cases whose status is not closed, for `pme cases`.
func (e *Env) OpenCases(ctx context.Context) (FlagSummary, error) {
	sum := FlagSummary{Today: e.Today.String(), Cases: []CaseSummary{}}
	cases, err := e.Store.Cases(ctx)
	if err != nil {
		return sum, err
	}
	for _, c := range cases {
		if c.Status != pme.CaseClosed {
			sum.Cases = append(sum.Cases, caseSummary(c))
		}
	}
	sortCases(sum.Cases)
	return sum, nil
}

func caseSummary(c pme.Case) CaseSummary {
	rs := c.Rules
	if rs == nil {
		rs = []string{}
	}
	return CaseSummary{CaseID: c.ID, UPN: c.UPN, Status: c.Status, Severity: c.Severity, Rules: rs,
		LAESTAB: c.LAESTAB, Plan: c.Plan, LetterDue: c.LetterDue}
}

var severityOrder = map[string]int{pme.SeverityCritical: 0, pme.SeverityHigh: 1, pme.SeverityMedium: 2, pme.SeverityLow: 3}

// sortCases puts the most severe first, then by case id for a stable order.
func sortCases(cs []CaseSummary) {
	sort.SliceStable(cs, func(i, j int) bool {
		if a, b := severityOrder[cs[i].Severity], severityOrder[cs[j].Severity]; a != b {
			return a < b
		}
		return cs[i].CaseID < cs[j].CaseID
	})
}

// newCaseID returns a short random case id such as "C-7F3A9B2C". Random, not a sequence, so that
// it says nothing about the child. Short, so that a meeting can read it out: 32 bits collide
// (about 20 times among 400,000 cases), which uniqueCaseIDs resolves. A variable for tests.
var newCaseID = randomCaseID

func randomCaseID() string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("read random: %v", err))
	}
	return "C-" + fmt.Sprintf("%X", b)
}
