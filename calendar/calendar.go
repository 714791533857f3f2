// Package calendar counts school days: weekdays inside a term, less the closure days (half-terms,
// INSET days, bank holidays) listed for it. It is pure: a Calendar is built once from terms and
// closures and then only answers questions.
//
// Dates in an academic year no term of the calendar touches (a year the file does not cover) fall
// back to weekdays less the bank holidays of England and Wales, so that counting never silently
// returns 0 for a year the council has not loaded; inside a covered academic year only term
// weekdays less closures count.
package calendar

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"pme"
)

// Calendar answers school-day questions for a set of terms and closures. The zero value is not
// usable: build one with New or Default.
type Calendar struct {
	terms    []pme.Term          // sorted by start
	closures []pme.Closure       // sorted by date
	closed   map[pme.Date]string // closure date → reason
	covered  map[int]bool        // academic years (by the year they start) a term touches

	// first is the first day of the table; cum[i] is the number of school days in
	// [first, first+i). The table spans the covered academic years, so a count inside them is two
	// lookups; outside them the fallback rule is counted arithmetically.
	first pme.Date
	cum   []int32

	assumed *assumedYears // set on a Tracked copy
}

// assumedYears are the academic years outside the terms that a tracked calendar was asked about.
type assumedYears struct {
	mu    sync.Mutex
	years map[int]bool
}

// New builds a calendar. It checks each term ends on or after it starts, that no two terms
// overlap, and that every closure falls inside a term. Closures on a weekend are kept but change
// nothing; a date listed twice keeps its first reason.
func New(terms []pme.Term, closures []pme.Closure) (*Calendar, error) {
	c := &Calendar{closed: make(map[pme.Date]string, len(closures)), covered: map[int]bool{}}
	c.terms = append([]pme.Term(nil), terms...)
	sort.SliceStable(c.terms, func(i, j int) bool { return c.terms[i].Start.Before(c.terms[j].Start) })
	for i, t := range c.terms {
		if err := checkTerm(t); err != nil {
			return nil, err
		}
		if i > 0 && !c.terms[i-1].End.Before(t.Start) {
			return nil, fmt.Errorf("calendar: term %q (%s to %s) overlaps term %q (%s to %s)", t.Name, t.Start, t.End,
				c.terms[i-1].Name, c.terms[i-1].Start, c.terms[i-1].End)
		}
		for y := yearOf(t.Start); y <= yearOf(t.End); y++ {
			c.covered[y] = true
		}
	}
	for _, cl := range closures {
		if cl.Date.IsZero() {
			return nil, errors.New("calendar: a closure has no date")
		}
		if _, ok := c.Term(cl.Date); !ok {
			return nil, fmt.Errorf("calendar: closure %s (%s) is not inside any term", cl.Date, cl.Reason)
		}
		if _, dup := c.closed[cl.Date]; dup {
			continue
		}
		c.closed[cl.Date] = cl.Reason
		c.closures = append(c.closures, cl)
	}
	sort.SliceStable(c.closures, func(i, j int) bool { return c.closures[i].Date.Before(c.closures[j].Date) })
	c.buildTable()
	return c, nil
}

// The years a calendar may cover: a date outside them is a typing mistake, and the bound keeps the
// day table small.
const (
	minYear = 1990
	maxYear = 2199
)

func checkTerm(t pme.Term) error {
	switch {
	case t.Start.IsZero() || t.End.IsZero():
		return fmt.Errorf("calendar: term %q needs a start and an end date", t.Name)
	case t.End.Before(t.Start):
		return fmt.Errorf("calendar: term %q ends (%s) before it starts (%s)", t.Name, t.End, t.Start)
	case t.Start.Year() < minYear || t.End.Year() > maxYear:
		return fmt.Errorf("calendar: term %q (%s to %s) is outside the years %d to %d", t.Name, t.Start, t.End, minYear, maxYear)
	case t.Start.DaysUntil(t.End) > 366:
		return fmt.Errorf("calendar: term %q (%s to %s) is longer than a year", t.Name, t.Start, t.End)
	}
	return nil
}

// buildTable precomputes cumulative school-day counts across the covered academic years.
func (c *Calendar) buildTable() {
	if len(c.covered) == 0 {
		return
	}
	lo, hi := 1<<30, -(1 << 30)
	for y := range c.covered {
		lo, hi = min(lo, y), max(hi, y)
	}
	c.first = pme.NewDate(lo, time.September, 1)
	last := pme.NewDate(hi+1, time.August, 31)
	n := c.first.DaysUntil(last) + 1
	c.cum = make([]int32, n+1)
	d := c.first
	for i := 0; i < n; i++ {
		c.cum[i+1] = c.cum[i]
		if c.schoolDay(d) {
			c.cum[i+1]++
		}
		d = d.AddDays(1)
	}
}

// Tracked returns a copy of c that remembers every academic year outside its terms it was asked
// about (Assumed lists them): there it counted weekdays less bank holidays, and a run must say so
// rather than guess silently. The copy shares c's read-only tables.
func (c *Calendar) Tracked() *Calendar {
	t := *c
	t.assumed = &assumedYears{years: map[int]bool{}}
	return &t
}

// Assumed returns the academic years ("2028/29") outside the terms that a Tracked calendar was
// asked about, in order; nil for a calendar that is not tracked.
func (c *Calendar) Assumed() []string {
	if c.assumed == nil {
		return nil
	}
	c.assumed.mu.Lock()
	defer c.assumed.mu.Unlock()
	return yearNames(c.assumed.years)
}

// Years returns the academic years the terms cover ("2024/25"), in order.
func (c *Calendar) Years() []string { return yearNames(c.covered) }

func yearNames(set map[int]bool) []string {
	var ys []int
	for y := range set {
		ys = append(ys, y)
	}
	sort.Ints(ys)
	out := make([]string, len(ys))
	for i, y := range ys {
		_, _, out[i] = AcademicYear(pme.NewDate(y, time.September, 1))
	}
	return out
}

// note records the academic years from a to b that the terms do not cover, on a tracked calendar.
func (c *Calendar) note(a, b pme.Date) {
	if c.assumed == nil || a.IsZero() {
		return
	}
	for y := yearOf(a); y <= yearOf(b); y++ {
		if !c.covered[y] {
			c.assumed.mu.Lock()
			c.assumed.years[y] = true
			c.assumed.mu.Unlock()
		}
	}
}

// Terms returns the terms, in date order.
func (c *Calendar) Terms() []pme.Term { return append([]pme.Term(nil), c.terms...) }

// Closures returns the closure days, in date order.
func (c *Calendar) Closures() []pme.Closure { return append([]pme.Closure(nil), c.closures...) }

// Covers reports whether the calendar's terms cover the academic year containing d; outside a
// covered year, school days are weekdays less England's bank holidays.
func (c *Calendar) Covers(d pme.Date) bool { return c.covered[yearOf(d)] }

// IsSchoolDay reports whether d is a school day: in a covered academic year, a weekday inside a
// term that is not a closure; otherwise a weekday that is not a bank holiday in England.
func (c *Calendar) IsSchoolDay(d pme.Date) bool {
	if d.IsZero() {
		return false
	}
	c.note(d, d)
	if i, ok := c.index(d); ok {
		return c.cum[i+1] > c.cum[i]
	}
	return c.schoolDay(d)
}

// schoolDay applies the rule without the table.
func (c *Calendar) schoolDay(d pme.Date) bool {
	if !weekday(d) {
		return false
	}
	if !c.covered[yearOf(d)] {
		return !IsBankHoliday(d)
	}
	if _, ok := c.closed[d]; ok {
		return false
	}
	_, ok := c.Term(d)
	return ok
}

// index returns d's position in the table, when it is inside it.
func (c *Calendar) index(d pme.Date) (int, bool) {
	if c.cum == nil || d.Before(c.first) {
		return 0, false
	}
	i := c.first.DaysUntil(d)
	return i, i < len(c.cum)-1
}

// SchoolDays returns the number of school days in [from, to], both ends included; 0 when to is
// before from or either date is not given.
func (c *Calendar) SchoolDays(from, to pme.Date) int {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return 0
	}
	c.note(from, to)
	return c.before(to.AddDays(1)) - c.before(from)
}

// before returns the school days from an arbitrary origin up to d, d excluded, as a signed count
// whose differences are range counts.
func (c *Calendar) before(d pme.Date) int {
	if c.cum == nil {
		return fallbackBefore(d)
	}
	last := c.first.AddDays(len(c.cum) - 1) // the day after the table
	switch {
	case d.Before(c.first):
		return -fallbackCount(d, c.first.AddDays(-1))
	case d.After(last):
		return int(c.cum[len(c.cum)-1]) + fallbackCount(last, d.AddDays(-1))
	}
	return int(c.cum[c.first.DaysUntil(d)])
}

// AddSchoolDays returns the n-th school day after d (d itself not counted). For n < 1 it returns d.
func (c *Calendar) AddSchoolDays(d pme.Date, n int) pme.Date {
	for n > 0 {
		d = d.AddDays(1)
		if c.IsSchoolDay(d) {
			n--
		}
	}
	return d
}

// Term returns the term containing d, half-terms included (a half-term does not split a term);
// false in the holidays between terms and outside the calendar.
func (c *Calendar) Term(d pme.Date) (pme.Term, bool) {
	c.note(d, d)
	i := sort.Search(len(c.terms), func(i int) bool { return c.terms[i].End.After(d) || c.terms[i].End.Equal(d) })
	if i < len(c.terms) && !c.terms[i].Start.After(d) {
		return c.terms[i], true
	}
	return pme.Term{}, false
}

// TermOrPrevious returns the term containing d or, in the holidays, the last term that ended
// before d; false when d is before every term.
func (c *Calendar) TermOrPrevious(d pme.Date) (pme.Term, bool) {
	if t, ok := c.Term(d); ok {
		return t, true
	}
	i := sort.Search(len(c.terms), func(i int) bool { return !c.terms[i].End.Before(d) })
	if i == 0 {
		return pme.Term{}, false
	}
	return c.terms[i-1], true
}

// AcademicYear returns the academic year containing d: 1 September to 31 August, named "2026/27".
func AcademicYear(d pme.Date) (start, end pme.Date, name string) {
	y := yearOf(d)
	return pme.NewDate(y, time.September, 1), pme.NewDate(y+1, time.August, 31),
		fmt.Sprintf("%d/%02d", y, (y+1)%100)
}

// yearOf returns the calendar year in which d's academic year starts.
func yearOf(d pme.Date) int {
	if d.Month() >= time.September {
		return d.Year()
	}
	return d.Year() - 1
}

func weekday(d pme.Date) bool {
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}
