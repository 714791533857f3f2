package calendar

import (
	"sort"
	"sync"
	"time"

	"pme"
)

// IsBankHoliday reports whether d is a bank holiday in England and Wales, substitute days
// included.
func IsBankHoliday(d pme.Date) bool {
	for _, h := range cachedHolidays(d.Year()) {
		if h.Equal(d) {
			return true
		}
	}
	return false
}

// BankHolidays returns the bank holidays of England and Wales in a year, in date order: New Year's
// Day, Good Friday, Easter Monday, the early May, spring and summer bank holidays, Christmas Day
// and Boxing Day, with substitute weekdays when one falls on a weekend, and the one-off holidays
// proclaimed since 1995. Computed, so that years no calendar file covers still count correctly.
func BankHolidays(year int) []pme.Date {
	easter := easterSunday(year)
	days := []pme.Date{
		nextFree(pme.NewDate(year, time.January, 1), nil),
		easter.AddDays(-2),
		easter.AddDays(1),
		earlyMay(year),
		springBank(year),
		lastMonday(year, time.August),
	}
	days = append(days, christmas(year)...)
	days = append(days, oneOff[year]...)
	sort.Slice(days, func(i, j int) bool { return days[i].Before(days[j]) })
	return days
}

var holidayCache sync.Map // year → []pme.Date

// cachedHolidays is BankHolidays, computed once per year: the fallback asks for every day it counts.
func cachedHolidays(year int) []pme.Date {
	if v, ok := holidayCache.Load(year); ok {
		return v.([]pme.Date)
	}
	hs := BankHolidays(year)
	holidayCache.Store(year, hs)
	return hs
}

// oneOff are holidays proclaimed for a single year.
var oneOff = map[int][]pme.Date{
	1999: {pme.NewDate(1999, time.December, 31)},                                   // Millennium
	2002: {pme.NewDate(2002, time.June, 3)},                                        // Golden Jubilee
	2011: {pme.NewDate(2011, time.April, 29)},                                      // Royal wedding
	2012: {pme.NewDate(2012, time.June, 5)},                                        // Diamond Jubilee
	2022: {pme.NewDate(2022, time.June, 3), pme.NewDate(2022, time.September, 19)}, // Platinum Jubilee, state funeral
	2023: {pme.NewDate(2023, time.May, 8)},                                         // Coronation
}

// earlyMay is the first Monday of May, moved to 8 May in 1995 and 2020 (VE Day anniversaries).
func earlyMay(year int) pme.Date {
	if year == 1995 || year == 2020 {
		return pme.NewDate(year, time.May, 8)
	}
	d := pme.NewDate(year, time.May, 1)
	for d.Weekday() != time.Monday {
		d = d.AddDays(1)
	}
	return d
}

// springBank is the last Monday of May, moved into June for the jubilees.
func springBank(year int) pme.Date {
	switch year {
	case 2002, 2012:
		return pme.NewDate(year, time.June, 4)
	case 2022:
		return pme.NewDate(year, time.June, 2)
	}
	return lastMonday(year, time.May)
}

func lastMonday(year int, m time.Month) pme.Date {
	d := pme.NewDate(year, m+1, 1).AddDays(-1)
	for d.Weekday() != time.Monday {
		d = d.AddDays(-1)
	}
	return d
}

// christmas returns Christmas Day and Boxing Day or their substitutes: a day that falls on a
// weekend moves to the next weekday not already a holiday (Christmas on a Saturday gives Monday
// 27 and Tuesday 28; on a Sunday, Boxing Day keeps Monday 26 and Christmas moves to Tuesday 27).
func christmas(year int) []pme.Date {
	xmas, boxing := pme.NewDate(year, time.December, 25), pme.NewDate(year, time.December, 26)
	if weekday(boxing) && !weekday(xmas) {
		return []pme.Date{boxing, nextFree(xmas, []pme.Date{boxing})}
	}
	x := nextFree(xmas, nil)
	return []pme.Date{x, nextFree(boxing, []pme.Date{x})}
}

// nextFree returns d, or the first weekday after it not in taken.
func nextFree(d pme.Date, taken []pme.Date) pme.Date {
	for !weekday(d) || contains(taken, d) {
		d = d.AddDays(1)
	}
	return d
}

func contains(ds []pme.Date, d pme.Date) bool {
	for _, x := range ds {
		if x.Equal(d) {
			return true
		}
	}
	return false
}

// easterSunday is the Gregorian Easter (the anonymous algorithm of Meeus/Jones/Butcher).
func easterSunday(y int) pme.Date {
	a, b, c := y%19, y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return pme.NewDate(y, time.Month(month), day)
}

// fallbackCount counts the days in [a, b] that are weekdays and not bank holidays: the rule for
// years no term covers. 0 when b is before a.
func fallbackCount(a, b pme.Date) int {
	if b.Before(a) {
		return 0
	}
	n := weekdays(a, b)
	for y := a.Year(); y <= b.Year(); y++ {
		for _, h := range cachedHolidays(y) {
			if !h.Before(a) && !h.After(b) && weekday(h) {
				n--
			}
		}
	}
	return n
}

// weekdays counts Monday to Friday in [a, b].
func weekdays(a, b pme.Date) int {
	days := a.DaysUntil(b) + 1
	n := days / 7 * 5
	d := a.AddDays(days / 7 * 7)
	for ; !d.After(b); d = d.AddDays(1) {
		if weekday(d) {
			n++
		}
	}
	return n
}

// fallbackEpoch anchors the signed counts of a calendar with no terms at all.
var fallbackEpoch = pme.NewDate(2000, time.January, 3)

// fallbackBefore is Calendar.before for a calendar without terms.
func fallbackBefore(d pme.Date) int {
	if d.Before(fallbackEpoch) {
		return -fallbackCount(d, fallbackEpoch.AddDays(-1))
	}
	return fallbackCount(fallbackEpoch, d.AddDays(-1))
}
