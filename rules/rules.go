// Package rules runs the risk rules of rules.md over the stored facts as at a run date, and keeps
// the cases they raise. Everything here is a pure function of its arguments: no I/O, no SQL, no
// clock. The command loads the facts from the store, calls Evaluate and UpdateCases, and saves
// what they return.
package rules

import (
	"sort"

	"pme"
	"pme/calendar"
	"pme/match"
)

// Facts is everything the rules read: the pupils, each school's current snapshot of reduced
// timetables and AP placements (stale rows included), every suspension event, the pupils' social
// care matches, the approved providers, and the return types each pupil appeared on this academic
// year as the store knows them (earlier snapshots included).
type Facts struct {
	Pupils      []pme.StoredPupil
	Timetables  []pme.StoredTimetable
	Placements  []pme.StoredPlacement
	Suspensions []pme.StoredSuspension
	Matches     []pme.PlanMatch
	Providers   []pme.Provider
	ReturnTypes map[int64][]pme.ReturnType
	// Missed says how many return periods that began after since the school has missed the return
	// type (compliance.md), for STALE_RETURN; nil when compliance is not configured.
	Missed func(laestab string, t pme.ReturnType, since pme.Date) int

	// The attendance register (attendance.go): each pupil's aggregate by school, the recent
	// windows it was aggregated over, the schools' names, and the date of each school's latest
	// reduced-timetable return.
	Attendance       []pme.AttendanceFact
	Windows          AttendanceWindows
	SchoolNames      map[string]string
	TimetableReturns map[string]pme.Date
}

// PupilResult is what the rules found for one pupil on the run date.
type PupilResult struct {
	PupilID    int64
	UPN        string
	LAESTAB    string        // the school of the most severe finding, else of the latest record
	Findings   []pme.Finding // most severe first, then by rule id
	Severity   string        // the highest finding's severity; "" when there is no finding
	Plan       string        // CP, CIN or LAC: the most serious open plan (CP, then CIN, then LAC)
	Plans      []pme.Plan    // open plans from confirmed matches (by UPN or name and date of birth)
	Vulnerable string        // why severities were raised, "" when they were not
	LetterDue  bool          // an open CP or CIN plan and an active reduced timetable or AP placement

	// Fingerprint changes when the rules, their severities or the figures the school returned
	// change, but not when a count of school days merely grows with time (see fingerprint).
	Fingerprint string

	// The active provision on the run date, for letters and the report's Provision column.
	Timetables []pme.StoredTimetable
	Placements []pme.StoredPlacement
	// RegisterC2 is the register's part-time timetable a CP or CIN child's letter describes when
	// ATT_C2_NOT_RETURNED fires (the school returned none); nil otherwise.
	RegisterC2 *pme.AttendanceFact
}

// Rules returns the ids of the rules that fired, in the order of Findings.
func (r PupilResult) Rules() []string {
	ids := make([]string, len(r.Findings))
	for i, f := range r.Findings {
		ids[i] = f.Rule
	}
	return ids
}

// pupilFacts is one pupil's share of the facts, gathered once so that no rule scans all facts.
type pupilFacts struct {
	id          int64
	pupil       pme.StoredPupil // zero when the pupil row is missing
	timetables  []*pme.StoredTimetable
	placements  []*pme.StoredPlacement
	suspensions []*pme.StoredSuspension
	matches     []*pme.PlanMatch
	returnTypes []pme.ReturnType
	attendance  []*pme.AttendanceFact
	c2          *pme.AttendanceFact // the school whose register shows C2 it has not returned, once found

	// Worked out once per pupil before the rules run.
	activeRT []*pme.StoredTimetable // oldest first
	activeAP []*pme.StoredPlacement // oldest first
	yearSusp []*pme.StoredSuspension
	plans    []pme.Plan
	days     *yearDays // this year's suspension days, once summed
}

// index groups the facts by pupil in one pass over each slice.
func index(f Facts) map[int64]*pupilFacts {
	by := make(map[int64]*pupilFacts, len(f.Pupils))
	get := func(id int64) *pupilFacts {
		p := by[id]
		if p == nil {
			p = &pupilFacts{id: id}
			by[id] = p
		}
		return p
	}
	for i := range f.Pupils {
		get(f.Pupils[i].ID).pupil = f.Pupils[i]
	}
	for i := range f.Timetables {
		p := get(f.Timetables[i].PupilID)
		p.timetables = append(p.timetables, &f.Timetables[i])
	}
	for i := range f.Placements {
		p := get(f.Placements[i].PupilID)
		p.placements = append(p.placements, &f.Placements[i])
	}
	for i := range f.Suspensions {
		p := get(f.Suspensions[i].PupilID)
		p.suspensions = append(p.suspensions, &f.Suspensions[i])
	}
	for i := range f.Matches {
		p := get(f.Matches[i].PupilID)
		p.matches = append(p.matches, &f.Matches[i])
	}
	for id, types := range f.ReturnTypes {
		get(id).returnTypes = types
	}
	for id, as := range attendanceOf(f.Attendance) {
		get(id).attendance = as
	}
	return by
}

// evaluator holds what every pupil's evaluation shares: the run date, its academic year and term,
// the calendar with a memo of school-day counts, and the provider list.
type evaluator struct {
	missed    func(laestab string, t pme.ReturnType, since pme.Date) int
	cal       *calendar.Calendar
	cfg       Config
	today     pme.Date
	yearStart pme.Date
	yearEnd   pme.Date
	yearName  string
	term      pme.Term
	hasTerm   bool
	providers *match.Providers // the approved list, indexed once
	since     map[pme.Date]int // school days from a date to today, inclusive

	providerMemo map[string]providerMatch

	windows     AttendanceWindows
	schoolNames map[string]string
	rtReturns   map[string]pme.Date
}

// Evaluate runs every enabled rule for every pupil in the facts as at today. It returns one result
// per pupil with a finding or a letter due, ordered by pupil id.
func Evaluate(f Facts, cal *calendar.Calendar, cfg Config, today pme.Date) []PupilResult {
	e := &evaluator{cal: cal, cfg: cfg, today: today, providers: match.NewProviders(f.Providers), missed: f.Missed,
		since: map[pme.Date]int{}, providerMemo: map[string]providerMatch{},
		windows: f.Windows, schoolNames: f.SchoolNames, rtReturns: f.TimetableReturns}
	e.yearStart, e.yearEnd, e.yearName = calendar.AcademicYear(today)
	e.term, e.hasTerm = cal.TermOrPrevious(today)

	by := index(f)
	ids := make([]int64, 0, len(by))
	for id := range by {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })

	out := make([]PupilResult, 0, len(ids))
	for _, id := range ids {
		if r, ok := e.pupil(by[id]); ok {
			out = append(out, r)
		}
	}
	return out
}

// schoolDaysSince returns the school days from d to today, both counted; 0 when d is after today.
func (e *evaluator) schoolDaysSince(d pme.Date) int {
	if n, ok := e.since[d]; ok {
		return n
	}
	n := e.cal.SchoolDays(d, e.today)
	e.since[d] = n
	return n
}

// pupil runs the rules for one pupil.
func (e *evaluator) pupil(p *pupilFacts) (PupilResult, bool) {
	e.prepare(p)
	res := PupilResult{PupilID: p.id, UPN: p.pupil.UPN, Plans: p.plans}
	basis := map[string]string{}
	for _, r := range catalogue {
		rc := e.cfg.rule(r.id)
		if !rc.On() {
			continue
		}
		fd, ok := r.eval(e, p)
		if !ok {
			continue
		}
		sev := rc.Severity
		if fd.severity != "" {
			sev = fd.severity
		}
		res.Findings = append(res.Findings, pme.Finding{
			Rule: r.id, Severity: sev, Explanation: fd.text, LAESTAB: fd.laestab,
		})
		basis[r.id] = fd.basis
	}
	res.Plan = planType(p.plans)
	res.Vulnerable = vulnerability(p)
	if res.Vulnerable != "" {
		for i := range res.Findings {
			res.Findings[i].Severity = raise(res.Findings[i].Severity)
		}
	}
	res.LetterDue = letterDue(p)
	if c2LetterDue(p, res.Findings) {
		res.LetterDue, res.RegisterC2 = true, p.c2
	}
	if len(res.Findings) == 0 && !res.LetterDue {
		return PupilResult{}, false
	}
	sortFindings(res.Findings)
	if len(res.Findings) > 0 {
		res.Severity = res.Findings[0].Severity
	}
	res.LAESTAB = school(res.Findings, p)
	res.Fingerprint = fingerprint(res.Findings, basis)
	for _, t := range p.activeRT {
		res.Timetables = append(res.Timetables, *t)
	}
	for _, a := range p.activeAP {
		res.Placements = append(res.Placements, *a)
	}
	return res, true
}

// prepare works out the pupil's active provision, this year's suspensions and open plans.
func (e *evaluator) prepare(p *pupilFacts) {
	for _, t := range p.timetables {
		if e.activeRT(t) {
			p.activeRT = append(p.activeRT, t)
		}
	}
	sort.SliceStable(p.activeRT, func(i, j int) bool { return p.activeRT[i].StartDate.Before(p.activeRT[j].StartDate) })
	for _, a := range p.placements {
		if e.activeAP(a) {
			p.activeAP = append(p.activeAP, a)
		}
	}
	sort.SliceStable(p.activeAP, func(i, j int) bool { return p.activeAP[i].StartDate.Before(p.activeAP[j].StartDate) })
	for _, s := range p.suspensions {
		if e.inYear(s.StartDate) {
			p.yearSusp = append(p.yearSusp, s)
		}
	}
	sort.SliceStable(p.yearSusp, func(i, j int) bool { return p.yearSusp[i].StartDate.Before(p.yearSusp[j].StartDate) })
	p.plans = openPlans(p.matches, e.today)
}

// activeRT: in the snapshot, started on or before today, and no actual end date on or before
// today (rules.md). A passed planned end date does not end it.
func (e *evaluator) activeRT(t *pme.StoredTimetable) bool {
	return !t.StartDate.IsZero() && !t.StartDate.After(e.today) &&
		(t.ActualEndDate.IsZero() || t.ActualEndDate.After(e.today))
}

// activeAP: in the snapshot and today between its start and end dates, both included, or no end.
func (e *evaluator) activeAP(a *pme.StoredPlacement) bool {
	return !a.StartDate.IsZero() && !a.StartDate.After(e.today) &&
		(a.EndDate.IsZero() || !a.EndDate.Before(e.today))
}

// inYear reports whether d falls in the academic year of the run date.
func (e *evaluator) inYear(d pme.Date) bool {
	return !d.Before(e.yearStart) && !d.After(e.yearEnd)
}

// sortFindings puts the most severe first, then orders by rule id.
func sortFindings(fs []pme.Finding) {
	sort.Slice(fs, func(i, j int) bool {
		a, b := severityRank(fs[i].Severity), severityRank(fs[j].Severity)
		if a != b {
			return a > b
		}
		return fs[i].Rule < fs[j].Rule
	})
}

// school picks the school a case belongs to: that of the most severe finding tied to one, else
// the school of the pupil's latest record.
func school(fs []pme.Finding, p *pupilFacts) string {
	for _, f := range fs {
		if f.LAESTAB != "" {
			return f.LAESTAB
		}
	}
	var latest pme.Date
	var la string
	consider := func(d pme.Date, l string) {
		if la == "" || d.After(latest) {
			latest, la = d, l
		}
	}
	for _, t := range p.timetables {
		consider(t.Received, t.LAESTAB)
	}
	for _, a := range p.placements {
		consider(a.Received, a.LAESTAB)
	}
	for _, s := range p.suspensions {
		consider(s.Received, s.LAESTAB)
	}
	return la
}
