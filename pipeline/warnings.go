package pipeline

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"pme/calendar"
)

// A run's warnings (cli.md): what a command assumed that a person should know, each a sentence
// saying what to do. Any operation adds one with e.Warn; the command prints them under its human
// summary and as "warnings" in its --json summary, the report lists them on its Summary sheet, and
// a scheduled job logs them. An Env is one run: the scheduler starts each job with none.

// warnMu guards every Env's warnings: they are few, and an Env is copied by value per job.
var warnMu sync.Mutex

// warnings is what Env.Warn has collected, and the calendars the run counted school days with.
type warnings struct {
	list      []string
	calendars []runCalendar
}

// runCalendar is a calendar handed out by Env.Calendar, tracked so that the run can say which
// academic years it counted without terms.
type runCalendar struct {
	cal    *calendar.Calendar
	loaded bool // the council's calendar, not the built-in one
}

// Warn adds a warning to the run's summary, once however often it is given.
func (e *Env) Warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	warnMu.Lock()
	defer warnMu.Unlock()
	if e.warnings == nil {
		e.warnings = &warnings{}
	}
	if !slices.Contains(e.warnings.list, msg) {
		e.warnings.list = append(e.warnings.list, msg)
	}
}

// Warnings returns the run's warnings so far, in the order given, the calendar's last.
func (e *Env) Warnings() []string {
	warnMu.Lock()
	defer warnMu.Unlock()
	if e.warnings == nil {
		return nil
	}
	out := slices.Clone(e.warnings.list)
	if w := calendarWarning(e.warnings.calendars); w != "" && !slices.Contains(out, w) {
		out = append(out, w)
	}
	return out
}

// trackCalendar adds a calendar the run counts school days with.
func (e *Env) trackCalendar(cal *calendar.Calendar, loaded bool) {
	warnMu.Lock()
	defer warnMu.Unlock()
	if e.warnings == nil {
		e.warnings = &warnings{}
	}
	e.warnings.calendars = append(e.warnings.calendars, runCalendar{cal, loaded})
}

// calendarWarning is one warning for every academic year the run's calendars were asked about but
// do not cover, where school days were counted as weekdays less bank holidays: "" when none.
func calendarWarning(cals []runCalendar) string {
	var years []string
	var covers string
	for _, c := range cals {
		assumed := c.cal.Assumed()
		if len(assumed) == 0 {
			continue
		}
		for _, y := range assumed {
			if !slices.Contains(years, y) {
				years = append(years, y)
			}
		}
		// The calendar that assumed last: a run that loads the council's calendar names that one.
		covers = "the built-in calendar for England covers " + yearRange(c.cal.Years())
		if c.loaded {
			covers = "the loaded calendar covers " + yearRange(c.cal.Years())
		}
	}
	if len(years) == 0 {
		return ""
	}
	slices.Sort(years)
	return fmt.Sprintf("School days in %s were assumed to be every weekday but bank holidays: %s. "+
		"Load the council's calendar for %s with: pme load calendar FILE",
		yearList(years), covers, plural(len(years), "that year", "those years"))
}

// yearRange names the years a calendar covers: "2024/25 to 2027/28", "2026/27", or "no year".
func yearRange(ys []string) string {
	switch len(ys) {
	case 0:
		return "no academic year"
	case 1:
		return ys[0]
	}
	return ys[0] + " to " + ys[len(ys)-1]
}

// yearList joins academic years: "2028/29", "2023/24 and 2028/29", "2021/22, 2022/23 and 2028/29".
func yearList(ys []string) string {
	if len(ys) == 1 {
		return ys[0]
	}
	return strings.Join(ys[:len(ys)-1], ", ") + " and " + ys[len(ys)-1]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
