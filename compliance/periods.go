// Package compliance decides who has returned (compliance.md): which schools are expected, the
// return periods and their due dates, and the status of every school, period and return type. It
// is pure: a function of the expected schools, the calendar, what was received and the run date.
package compliance

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"time"

	"pme"
	"pme/calendar"
)

// Periods cuts time into return periods of one cadence and says when each is due.
type Periods struct {
	cal     *calendar.Calendar
	cadence pme.Cadence
	dueDay  int
	halves  []pme.Period // half-termly: the half-terms of the calendar's terms, in order
}

// NewPeriods returns the periods of the cadence, due by the end of their dueDay-th school day.
func NewPeriods(cal *calendar.Calendar, cadence pme.Cadence, dueDay int) (*Periods, error) {
	if dueDay < 1 {
		return nil, fmt.Errorf("periods: due school day %d: want 1 or more", dueDay)
	}
	p := &Periods{cal: cal, cadence: cadence, dueDay: dueDay}
	switch cadence {
	case pme.Monthly, pme.Weekly:
	case pme.HalfTermly:
		p.halves = halfTerms(cal)
	default:
		return nil, fmt.Errorf("periods: unknown cadence %q (want monthly, half-termly or weekly)", cadence)
	}
	return p, nil
}

// Cadence returns the cadence of the periods.
func (p *Periods) Cadence() pme.Cadence { return p.cadence }

// At returns the period containing d.
func (p *Periods) At(d pme.Date) pme.Period {
	var per pme.Period
	switch p.cadence {
	case pme.Weekly:
		start := d.AddDays(-((int(d.Weekday()) + 6) % 7)) // Monday
		y, w := start.Time().ISOWeek()
		per = pme.Period{ID: fmt.Sprintf("%d-W%02d", y, w), Start: start, End: start.AddDays(6)}
	case pme.HalfTermly:
		if h, ok := p.half(d); ok {
			per = h
			break
		}
		per = month(d) // outside the calendar's terms: see Assumption
	default:
		per = month(d)
	}
	per.Due = p.due(per)
	return per
}

// Assumption says what was assumed for the period when the calendar does not cover it, or "" when
// nothing was: a sentence for the warnings list.
func (p *Periods) Assumption(per pme.Period) string {
	if p.cal.Covers(per.Start) && p.cal.Covers(per.End) {
		return ""
	}
	what := "school days were taken to be weekdays less England's bank holidays"
	if p.cadence == pme.HalfTermly {
		what = "the period was taken to be the calendar month and " + what
	}
	return fmt.Sprintf("The school calendar does not cover period %s (%s to %s): %s; load the council's calendar with pme load calendar FILE.",
		per.ID, per.Start.UK(), per.End.UK(), what)
}

// Previous returns the period before per.
func (p *Periods) Previous(per pme.Period) pme.Period { return p.At(per.Start.AddDays(-1)) }

// Last returns the n periods ending with the one containing d, oldest first.
func (p *Periods) Last(d pme.Date, n int) []pme.Period {
	out := make([]pme.Period, n)
	per := p.At(d)
	for i := n - 1; i >= 0; i-- {
		out[i] = per
		per = p.Previous(per)
	}
	return out
}

var (
	monthID = regexp.MustCompile(`^(\d{4})-(\d{2})$`)
	weekID  = regexp.MustCompile(`^(\d{4})-W(\d{2})$`)
)

// Parse returns the period a --period value names: "current" and "previous" (relative to today),
// YYYY-MM (the month, or the half-term or week containing the month's first day), YYYY-Www (an
// ISO week) or YYYY-MM-DD (the period containing that day).
func (p *Periods) Parse(s string, today pme.Date) (pme.Period, error) {
	switch s {
	case "", "current":
		return p.At(today), nil
	case "previous":
		return p.Previous(p.At(today)), nil
	}
	if m := monthID.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		if mo >= 1 && mo <= 12 {
			return p.At(pme.NewDate(y, time.Month(mo), 1)), nil
		}
	}
	if m := weekID.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		w, _ := strconv.Atoi(m[2])
		if w >= 1 && w <= 53 {
			jan4 := pme.NewDate(y, time.January, 4) // always in ISO week 1
			monday := jan4.AddDays(-((int(jan4.Weekday()) + 6) % 7))
			return p.At(monday.AddDays(7 * (w - 1))), nil
		}
	}
	if d, err := pme.ParseISO(s); err == nil {
		return p.At(d), nil
	}
	return pme.Period{}, fmt.Errorf("period %q: want current, previous, YYYY-MM, YYYY-Www or YYYY-MM-DD", s)
}

// due returns the end of the period's dueDay-th school day, or its last school day when it has
// fewer; zero when it has none (nothing is expected).
func (p *Periods) due(per pme.Period) pme.Date {
	var last pme.Date
	n := 0
	for d := per.Start; !d.After(per.End); d = d.AddDays(1) {
		if p.cal.IsSchoolDay(d) {
			n++
			last = d
			if n == p.dueDay {
				return d
			}
		}
	}
	return last
}

func month(d pme.Date) pme.Period {
	start := pme.NewDate(d.Year(), d.Month(), 1)
	end := pme.NewDate(d.Year(), d.Month()+1, 1).AddDays(-1)
	return pme.Period{ID: fmt.Sprintf("%04d-%02d", d.Year(), int(d.Month())), Start: start, End: end}
}

// half returns the half-term containing d, when the calendar's terms place it.
func (p *Periods) half(d pme.Date) (pme.Period, bool) {
	i := sort.Search(len(p.halves), func(i int) bool { return p.halves[i].End.After(d) || p.halves[i].End.Equal(d) })
	if i < len(p.halves) && !p.halves[i].Start.After(d) {
		return p.halves[i], true
	}
	return pme.Period{}, false
}

// halfTerms splits each term at its half-term break (its longest run of three or more weekdays
// that are not school days) and makes the periods contiguous: each runs to the day before the
// next begins, so a break or a holiday belongs to the half-term before it. The last runs to the
// end of its academic year. Ids are the month of the first day: "2026-09", "2026-11".
func halfTerms(cal *calendar.Calendar) []pme.Period {
	var starts []pme.Date
	for _, t := range cal.Terms() {
		starts = append(starts, t.Start)
		bestLen, bestEnd := 0, pme.Date{}
		run := 0
		for d := t.Start; !d.After(t.End); d = d.AddDays(1) {
			if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
				continue
			}
			if cal.IsSchoolDay(d) {
				if run > bestLen {
					bestLen, bestEnd = run, d
				}
				run = 0
				continue
			}
			run++
		}
		if bestLen >= 3 {
			starts = append(starts, bestEnd) // the first school day after the break
		}
	}
	out := make([]pme.Period, len(starts))
	for i, s := range starts {
		end := pme.NewDate(s.Year(), time.August, 31)
		if s.Month() >= time.September {
			end = pme.NewDate(s.Year()+1, time.August, 31)
		}
		// The next term may start a few days into September: the gap stays with the summer.
		if i+1 < len(starts) && starts[i+1].Before(end.AddDays(31)) {
			end = starts[i+1].AddDays(-1)
		}
		out[i] = pme.Period{ID: fmt.Sprintf("%04d-%02d", s.Year(), int(s.Month())), Start: s, End: end}
	}
	return out
}
