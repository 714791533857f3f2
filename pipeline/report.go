package pipeline

import (
	"context"
	"fmt"
	"strings"

	"pme"
	"pme/match"
	"pme/reports"
)

// ReportSummary is the report step's part of `pme run --json` (cli.md).
type ReportSummary struct {
	Files []string `json:"files"` // relative to the data folder
}

// Report writes the flagged-case report for the run date: out/reports/flagged-cases-YYYY-MM-DD.xlsx
// and .csv. "New" and "closed since last report" are counted from the last report before today.
func (e *Env) Report(ctx context.Context) (ReportSummary, error) {
	return e.writeReport(ctx, nil)
}

// writeReport writes the report; letters, when given, are this run's letters (the letters step
// rewrites the day's report so that its Letters sheet lists what it just made).
func (e *Env) writeReport(ctx context.Context, letters []reports.LetterRow) (ReportSummary, error) {
	var sum ReportSummary
	r, err := e.flaggedReport(ctx)
	if err != nil {
		return sum, err
	}
	// The cases' school-day figures were counted for the run date: a date outside the calendar is
	// warned about on the Summary sheet, with whatever else this run has warned about.
	cal, err := e.Calendar(ctx)
	if err != nil {
		return sum, err
	}
	cal.Term(e.Today)
	if err := e.reportCompliance(ctx, &r); err != nil {
		return sum, err
	}
	r.Warnings = e.Warnings()
	if letters == nil {
		if letters, err = e.lettersMadeOn(ctx, e.Today); err != nil {
			return sum, err
		}
	}
	r.Letters = letters
	files, err := reports.WriteFlaggedReport(e.Path(OutDir, "reports"), r)
	if err != nil {
		return sum, err
	}
	for _, f := range files {
		sum.Files = append(sum.Files, e.Rel(f))
	}
	if err := e.Store.RecordReport(ctx, e.Today, sum.Files); err != nil {
		return sum, err
	}
	e.log().Info("report written", "cases", len(r.Cases), "closed", len(r.Closed), "letters", len(r.Letters))
	return sum, nil
}

// flaggedReport gathers the cases with the pupils, schools, plans and provision they concern.
func (e *Env) flaggedReport(ctx context.Context) (reports.FlaggedReport, error) {
	r := reports.FlaggedReport{Today: e.Today}
	last, ok, err := e.Store.ReportBefore(ctx, e.Today)
	if err != nil {
		return r, err
	}
	if ok {
		r.LastReport = last
	}
	cases, err := e.Store.Cases(ctx)
	if err != nil {
		return r, err
	}
	if r.Casework, err = e.CaseworkReport(ctx); err != nil {
		return r, err
	}
	ctxData, err := e.caseContext(ctx)
	if err != nil {
		return r, err
	}
	// New since the last report: flagged as new (first time, or reopened) after it.
	newSince := map[string]bool{}
	if !r.LastReport.IsZero() {
		events, err := e.Store.CaseEventsSince(ctx, r.LastReport)
		if err != nil {
			return r, err
		}
		for _, ev := range events {
			if ev.Status == pme.CaseNew {
				newSince[ev.CaseID] = true
			}
		}
	}
	for _, c := range cases {
		p := ctxData.pupils[c.PupilID]
		school := ctxData.schools[c.LAESTAB].Name
		if c.Status == pme.CaseClosed {
			if !c.ClosedOn.IsZero() && (r.LastReport.IsZero() && c.ClosedOn.Equal(e.Today) || !r.LastReport.IsZero() && c.ClosedOn.After(r.LastReport)) {
				r.Closed = append(r.Closed, reports.ClosedRow{Case: c, Pupil: p.Pupil, SchoolName: school})
			}
			continue
		}
		r.Cases = append(r.Cases, reports.CaseRow{
			Case: c, Pupil: p.Pupil, SchoolName: school,
			PlanText:           ctxData.planText(c.PupilID, e.Today),
			Provision:          ctxData.provisionText(c.PupilID),
			NewSinceLastReport: r.LastReport.IsZero() || newSince[c.ID],
		})
	}
	return r, nil
}

// caseData is what the report and the letters need to describe a pupil.
type caseData struct {
	pupils     map[int64]pme.StoredPupil
	schools    map[string]pme.School
	contacts   map[string]pme.Contact
	timetables map[int64][]pme.StoredTimetable
	placements map[int64][]pme.StoredPlacement
	matches    map[int64][]pme.PlanMatch
	providers  []pme.Provider
}

func (e *Env) caseContext(ctx context.Context) (*caseData, error) {
	d := &caseData{pupils: map[int64]pme.StoredPupil{}, schools: map[string]pme.School{}, contacts: map[string]pme.Contact{},
		timetables: map[int64][]pme.StoredTimetable{}, placements: map[int64][]pme.StoredPlacement{}, matches: map[int64][]pme.PlanMatch{}}
	pupils, err := e.Store.Pupils(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range pupils {
		d.pupils[p.ID] = p
	}
	schools, err := e.Store.Schools(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range schools {
		d.schools[s.LAESTAB] = s
	}
	contacts, err := e.Store.Contacts(ctx)
	if err != nil {
		return nil, err
	}
	urns := map[string]string{}
	for _, s := range schools {
		urns[s.URN] = s.LAESTAB
	}
	for _, c := range contacts {
		if c.LAESTAB == "" {
			c.LAESTAB = urns[c.URN] // a contact listed by URN only
		}
		if c.LAESTAB != "" {
			d.contacts[c.LAESTAB] = c
		}
	}
	tts, err := e.Store.CurrentTimetables(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range tts {
		d.timetables[t.PupilID] = append(d.timetables[t.PupilID], t)
	}
	pls, err := e.Store.CurrentPlacements(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range pls {
		d.placements[p.PupilID] = append(d.placements[p.PupilID], p)
	}
	plans, err := e.Store.Plans(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range match.Plans(pupils, plans) {
		d.matches[m.PupilID] = append(d.matches[m.PupilID], m)
	}
	if d.providers, err = e.Store.Providers(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// openPlan returns the pupil's open CP, CIN or LAC plan (CP first), matched by UPN or name and
// date of birth; never an ambiguous match.
func (d *caseData) openPlan(pupilID int64, on pme.Date) (pme.PlanMatch, bool) {
	var best pme.PlanMatch
	found := false
	rank := map[string]int{pme.PlanCP: 0, pme.PlanCIN: 1, pme.PlanLAC: 2}
	for _, m := range d.matches[pupilID] {
		if m.Method == pme.MatchAmbiguous || !m.Plan.OpenOn(on) {
			continue
		}
		if !found || rank[m.Plan.PlanType] < rank[best.Plan.PlanType] {
			best, found = m, true
		}
	}
	return best, found
}

// planText describes the pupil's plan for the report: "CP – A. Worker (Team North)".
func (d *caseData) planText(pupilID int64, on pme.Date) string {
	m, ok := d.openPlan(pupilID, on)
	if !ok {
		for _, m := range d.matches[pupilID] {
			if m.Method == pme.MatchAmbiguous {
				return "possible " + m.Plan.PlanType + " plan: match needs checking"
			}
		}
		return ""
	}
	parts := []string{m.Plan.PlanType}
	if m.Plan.SocialWorker != "" {
		w := m.Plan.SocialWorker
		if m.Plan.Team != "" {
			w += " (" + m.Plan.Team + ")"
		}
		parts = append(parts, w)
	}
	return strings.Join(parts, " – ")
}

// provisionText describes the pupil's current provision: "Reduced timetable 12.5 h/wk since
// 03/11/2026; AP: Acorn Centre 15 h/wk".
func (d *caseData) provisionText(pupilID int64) string {
	var parts []string
	for _, t := range d.timetables[pupilID] {
		s := fmt.Sprintf("Reduced timetable %s h/wk since %s", hours(t.HoursPerWeek), t.StartDate.UK())
		if t.Stale {
			s += " (from an earlier return)"
		}
		parts = append(parts, s)
	}
	for _, p := range d.placements[pupilID] {
		s := fmt.Sprintf("AP: %s %s h/wk", p.ProviderName, hours(p.HoursAtProvider))
		if p.HoursAtSchool > 0 {
			s += fmt.Sprintf(" + %s h/wk at school", hours(p.HoursAtSchool))
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func hours(h float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", h), "0"), ".")
}
