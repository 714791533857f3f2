package rules

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"pme"
	"pme/calendar"
)

// The attendance rules (attendance.md) check the register against the returns: each reads the
// store's aggregate of one pupil's marks at one school (pme.AttendanceFact), worked out for the
// whole year in one pass before the rules run, and the pupil's returned provision. Codes: School
// Attendance (Pupil Registration) (England) Regulations 2024; DfE "Working together to improve
// school attendance" (August 2024): C2 is leave of absence for a pupil on a temporary part-time
// timetable, E a suspension or exclusion with no alternative provision made, B an approved
// educational activity off site.

// Threshold keys of the attendance rules.
const (
	KeySessions      = "sessions"
	KeySeverePercent = "severe_percent"
)

// AttendanceWindows are the first days of the rules' recent windows (the last N school days up to
// the run date), which the store needs to aggregate the marks: C2, B and any mark (for
// ATT_RT_NOT_CODED).
type AttendanceWindows struct {
	C2, B, Any pme.AttendanceWindow
}

// Windows works out the recent windows as at today from the configuration.
func Windows(cal *calendar.Calendar, cfg Config, today pme.Date) AttendanceWindows {
	w := func(id string) pme.AttendanceWindow {
		n := int(cfg.threshold(id, KeySchoolDays))
		return window(cal, today, n)
	}
	return AttendanceWindows{C2: w(pme.RuleAttC2NotReturned), B: w(pme.RuleAttBNoAP), Any: w(pme.RuleAttRTNotCoded)}
}

// window is the last n school days up to today (today counted when it is one).
func window(cal *calendar.Calendar, today pme.Date, n int) pme.AttendanceWindow {
	end := today
	for i := 0; i < 30 && !cal.IsSchoolDay(end); i++ {
		end = end.AddDays(-1)
	}
	start, days := end, 1
	if n < 1 {
		n = 1
	}
	for days < n {
		prev := start.AddDays(-1)
		for i := 0; i < 60 && !cal.IsSchoolDay(prev); i++ {
			prev = prev.AddDays(-1)
		}
		start = prev
		days++
	}
	return pme.AttendanceWindow{From: start, To: end, Days: n}
}

// schoolName names a school for a sentence: its name from the directory, else its LAESTAB.
func (e *evaluator) schoolName(la string) string {
	if n := e.schoolNames[la]; n != "" {
		return n
	}
	return "school " + la
}

// attC2NotReturned: C2 sessions in the recent window at a school whose current reduced-timetable
// snapshot does not list the pupil (or that has returned none).
func attC2NotReturned(e *evaluator, p *pupilFacts) (finding, bool) {
	limit := int(e.cfg.threshold(pme.RuleAttC2NotReturned, KeySessions))
	for _, a := range p.attendance {
		if a.RecentC2 < limit || a.RecentC2 == 0 {
			continue
		}
		listed := false
		for _, t := range p.timetables {
			if t.LAESTAB == a.LAESTAB {
				listed = true
			}
		}
		if listed {
			continue
		}
		p.c2 = a
		ret := "the school has not returned a reduced-timetable list"
		if d, ok := e.rtReturns[a.LAESTAB]; ok {
			ret = fmt.Sprintf("the school's reduced-timetable return of %s does not list this pupil", d.UK())
		}
		return finding{
			text: fmt.Sprintf("C2 (part-time timetable) recorded for %d sessions between %s and %s at %s, but %s.",
				a.RecentC2, a.C2From.UK(), a.C2To.UK(), e.schoolName(a.LAESTAB), ret),
			basis:   fmt.Sprintf("%s %s", a.LAESTAB, a.C2From),
			laestab: a.LAESTAB,
		}, true
	}
	return finding{}, false
}

// attENotReturned: E sessions on school days that no suspension or exclusion the school returned
// for the pupil covers.
func attENotReturned(e *evaluator, p *pupilFacts) (finding, bool) {
	limit := int(e.cfg.threshold(pme.RuleAttENotReturned, KeySessions))
	for _, a := range p.attendance {
		var days []pme.Date
		sessions := 0
		for _, d := range a.EDays {
			if !e.suspensionCovers(p, a.LAESTAB, d.Date) {
				days = append(days, d.Date)
				sessions += d.Sessions
			}
		}
		if sessions == 0 || sessions < limit {
			continue
		}
		return finding{
			text: fmt.Sprintf("E (suspended or excluded, no alternative provision) recorded for %s on %s (%s) at %s, but the school has returned no suspension or exclusion covering %s.",
				plural(sessions, "session"), plural(len(days), "school day"), dateList(days), e.schoolName(a.LAESTAB), them(len(days))),
			basis:   fmt.Sprintf("%s %d %s", a.LAESTAB, sessions, days[0]),
			laestab: a.LAESTAB,
		}, true
	}
	return finding{}, false
}

func them(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// suspensionCovers reports whether a suspension or exclusion the school returned for the pupil
// covers day: a suspension its school days from the start (sessions ÷ 2, a half day counting as a
// day), a lunchtime exclusion its day, a permanent exclusion every day from its start.
func (e *evaluator) suspensionCovers(p *pupilFacts, la string, day pme.Date) bool {
	for _, s := range p.suspensions {
		if s.LAESTAB != la || s.StartDate.IsZero() || day.Before(s.StartDate) {
			continue
		}
		switch s.Category {
		case pme.CategoryPermanent:
			return true
		case pme.CategoryLunchtime:
			if day.Equal(s.StartDate) {
				return true
			}
		default:
			n := (s.Sessions + 1) / 2
			if n < 1 {
				n = 1
			}
			last := s.StartDate
			if !e.cal.IsSchoolDay(last) {
				n++ // a start on a non-school day does not count as one of the days
			}
			last = e.cal.AddSchoolDays(last, n-1)
			if !day.After(last) {
				return true
			}
		}
	}
	return false
}

// attESixthDay: E on the sixth or later consecutive school day (weekends, holidays and closures
// do not break a run): full-time provision was due from the sixth day.
func attESixthDay(e *evaluator, p *pupilFacts) (finding, bool) {
	limit := int(e.cfg.threshold(pme.RuleAttESixthDay, KeyDays))
	for _, a := range p.attendance {
		run := 0
		var start, last, sixth pme.Date
		best := 0
		var bestStart, bestLast, bestSixth pme.Date
		for _, d := range a.EDays {
			if run > 0 && d.Date.Equal(e.cal.AddSchoolDays(last, 1)) {
				run++
			} else {
				run, start = 1, d.Date
			}
			last = d.Date
			if run == limit+1 {
				sixth = d.Date
			}
			if run > limit && run > best {
				best, bestStart, bestLast, bestSixth = run, start, last, sixth
			}
		}
		if best == 0 {
			continue
		}
		return finding{
			text: fmt.Sprintf("E (suspended or excluded, no alternative provision) recorded on %d consecutive school days from %s to %s at %s: full-time provision was due from day %d (%s).",
				best, bestStart.UK(), bestLast.UK(), e.schoolName(a.LAESTAB), limit+1, bestSixth.UK()),
			basis:   fmt.Sprintf("%s %s %d", a.LAESTAB, bestStart, best),
			laestab: a.LAESTAB,
		}, true
	}
	return finding{}, false
}

// attBNoAP: B sessions in the recent window and no active AP placement returned for the pupil.
func attBNoAP(e *evaluator, p *pupilFacts) (finding, bool) {
	if len(p.activeAP) > 0 {
		return finding{}, false
	}
	limit := int(e.cfg.threshold(pme.RuleAttBNoAP, KeySessions))
	for _, a := range p.attendance {
		if a.RecentB < limit || a.RecentB == 0 {
			continue
		}
		return finding{
			text: fmt.Sprintf("B (off-site educational activity) recorded for %d sessions between %s and %s at %s, but no alternative provision placement is returned for this pupil.",
				a.RecentB, a.BFrom.UK(), a.BTo.UK(), e.schoolName(a.LAESTAB)),
			basis:   fmt.Sprintf("%s %s", a.LAESTAB, a.BFrom),
			laestab: a.LAESTAB,
		}, true
	}
	return finding{}, false
}

// attRTNotCoded: an active returned reduced timetable, marks held for the pupil at that school in
// the recent window, and no C2 among them.
func attRTNotCoded(e *evaluator, p *pupilFacts) (finding, bool) {
	for _, t := range p.activeRT {
		for _, a := range p.attendance {
			if a.LAESTAB != t.LAESTAB || a.RecentDays == 0 || a.RecentC2 > 0 {
				continue
			}
			w := e.windows.Any
			return finding{
				text: fmt.Sprintf("A reduced timetable of %s hours a week since %s is returned, but the register at %s shows no C2 in the last %s of marks (%s to %s).",
					hours(t.HoursPerWeek), t.StartDate.UK(), e.schoolName(a.LAESTAB), plural(w.Days, "school day"), w.From.UK(), w.To.UK()),
				basis:   fmt.Sprintf("%s %s", a.LAESTAB, t.StartDate),
				laestab: a.LAESTAB,
			}, true
		}
	}
	return finding{}, false
}

// attAbsencePlan: a pupil on a CP, CIN or LAC plan whose attendance this academic year is below
// the persistent-absence line (90%), with enough possible sessions to tell; below the severe line
// (50%) it is high.
func attAbsencePlan(e *evaluator, p *pupilFacts) (finding, bool) {
	if len(p.plans) == 0 {
		return finding{}, false
	}
	possible, present := 0, 0
	var last pme.Date
	for _, a := range p.attendance {
		possible += a.Possible
		present += a.Present
		if a.LastMark.After(last) {
			last = a.LastMark
		}
	}
	minimum := e.cfg.threshold(pme.RuleAttAbsencePlan, KeySessions)
	if possible == 0 || float64(possible) < minimum {
		return finding{}, false
	}
	pct := 100 * float64(present) / float64(possible)
	line := e.cfg.threshold(pme.RuleAttAbsencePlan, KeyPercent)
	if pct >= line {
		return finding{}, false
	}
	f := finding{basis: fmt.Sprintf("%d/%d", present, possible)}
	what := "persistent absence"
	if severe := e.cfg.threshold(pme.RuleAttAbsencePlan, KeySeverePercent); pct < severe {
		what = "severe absence"
		f.severity = pme.SeverityHigh
		if severityRank(e.cfg.rule(pme.RuleAttAbsencePlan).Severity) > severityRank(pme.SeverityHigh) {
			f.severity = ""
		}
	}
	to := ""
	if !last.IsZero() {
		to = ", marks to " + last.UK()
	}
	f.text = fmt.Sprintf("Attendance %s%% this academic year (%d of %d possible sessions%s), below %s%% (%s), while on a %s plan.",
		percent(pct), present, possible, to, hours(line), what, p.plans[0].PlanType)
	if what == "severe absence" {
		f.text = strings.Replace(f.text, "below "+hours(line)+"%", "below "+hours(e.cfg.threshold(pme.RuleAttAbsencePlan, KeySeverePercent))+"%", 1)
	}
	return f, true
}

// percent formats a percentage to one decimal place, rounded down so that 89.96% never shows as
// 90.0% beside "below 90%".
func percent(p float64) string {
	return fmt.Sprintf("%.1f", math.Floor(p*10)/10)
}

// attendanceOf groups the facts by pupil, with each fact's E days read and sorted.
func attendanceOf(facts []pme.AttendanceFact) map[int64][]*pme.AttendanceFact {
	by := map[int64][]*pme.AttendanceFact{}
	for i := range facts {
		a := &facts[i]
		if a.EDays == nil && a.EText != "" {
			a.EDays = ParseEDays(a.EText)
		}
		by[a.PupilID] = append(by[a.PupilID], a)
	}
	for _, as := range by {
		sort.Slice(as, func(i, j int) bool { return as[i].LAESTAB < as[j].LAESTAB })
	}
	return by
}

// ParseEDays reads the store's list of E days: "2026-11-02:2 2026-11-03:1", in any order.
func ParseEDays(s string) []pme.AttendanceEDay {
	var out []pme.AttendanceEDay
	for _, f := range strings.Fields(s) {
		day, n, _ := strings.Cut(f, ":")
		d, err := pme.ParseISO(day)
		if err != nil {
			continue
		}
		k := 1
		if n == "2" {
			k = 2
		}
		out = append(out, pme.AttendanceEDay{Date: d, Sessions: k})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}
