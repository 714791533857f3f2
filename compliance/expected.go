package compliance

import (
	"sort"
	"strings"

	"pme"
)

// Scope says which schools are expected to return (compliance.md, configuration `returns:`).
type Scope struct {
	LACodes        []string // three digits each
	TypeGroups     []string // GIAS EstablishmentTypeGroup (name), compared without case
	ExcludeLAESTAB []string
}

// Expected returns the schools expected to return, by LAESTAB: open (or open but proposed to
// close) in the scope's LA codes and type groups and not excluded, and also closed ones with a
// close date, which are expected for the periods before they closed (see ExpectedIn).
func Expected(schools []pme.School, sc Scope) []pme.ExpectedSchool {
	la := set(sc.LACodes, false)
	groups := set(sc.TypeGroups, true)
	excl := set(sc.ExcludeLAESTAB, false)
	byLAESTAB := map[string]int{}
	var out []pme.ExpectedSchool
	for _, s := range schools {
		if len(s.LAESTAB) != 7 || !la[s.LAESTAB[:3]] || excl[s.LAESTAB] || !groups[strings.ToLower(s.TypeGroup)] {
			continue
		}
		open := isOpen(s.Status)
		if !open && s.CloseDate.IsZero() {
			continue // closed, and GIAS does not say when: nothing to expect
		}
		e := pme.ExpectedSchool{LAESTAB: s.LAESTAB, URN: s.URN, Name: s.Name, OpenDate: s.OpenDate, CloseDate: s.CloseDate}
		if open {
			e.CloseDate = pme.Date{} // "proposed to close" has not closed yet
		}
		// GIAS may give a closed school and its open successor the same LAESTAB: the open one wins.
		if i, dup := byLAESTAB[s.LAESTAB]; dup {
			if open {
				out[i] = e
			}
			continue
		}
		byLAESTAB[s.LAESTAB] = len(out)
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LAESTAB < out[j].LAESTAB })
	return out
}

// ExpectedIn reports whether the school is expected for the period: the period expects returns
// and the school was open on its due date.
func ExpectedIn(s pme.ExpectedSchool, per pme.Period) bool {
	if !per.Expects() {
		return false
	}
	if !s.OpenDate.IsZero() && s.OpenDate.After(per.Due) {
		return false
	}
	return s.CloseDate.IsZero() || s.CloseDate.After(per.Due)
}

// isOpen: GIAS "Open" and "Open, but proposed to close".
func isOpen(status string) bool {
	s := strings.ToLower(strings.TrimSpace(status))
	return s == "open" || strings.HasPrefix(s, "open,")
}

func set(xs []string, lower bool) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		x = strings.TrimSpace(x)
		if lower {
			x = strings.ToLower(x)
		}
		m[x] = true
	}
	return m
}
