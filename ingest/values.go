package ingest

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"pme"
)

// Errors of ParseUKDate. They are values, not wrapped: the validator turns them into DATE_INVALID
// issues with a message that fits each.
var (
	ErrDateForm       = errors.New("not a date in an accepted form")
	ErrDateImpossible = errors.New("not a real calendar date")
	ErrDateUS         = errors.New("month and day the wrong way round (mm/dd/yyyy)")
)

// DateOptions say how to read a date cell.
type DateOptions struct {
	Date1904  bool     // the workbook counts serial dates from 1904 (SheetInfo.Date1904)
	BirthDate bool     // a date of birth: a two-digit year that would be in the future is 19yy
	Today     pme.Date // the run date, for the two-digit year rule of birth dates
}

// ParseUKDate reads a date written UK style (returns.md, Dates): dd/mm/yyyy and d/m/yyyy with
// `/`, `-` or `.` between the parts; dd/mm/yy (20yy, or 19yy for a birth date that would otherwise
// be after Today); yyyy-mm-dd; "2 January 2026", "2 Jan 2026", "2nd Jan 2026", "02-Jan-2026";
// any of those followed by a time ("02/01/2026 00:00:00"); Excel date cells and serial numbers
// (cell.Number, or up to five digits written as text) in the 1900 system, with Excel's phantom
// 29 February 1900, or the 1904 system. mm/dd/yyyy is never read: "02/13/2026" is ErrDateUS,
// "31/02/2026" is ErrDateImpossible. A blank cell gives the zero Date and no error.
func ParseUKDate(c Cell, o DateOptions) (pme.Date, error) {
	s := trimSpace(c.Value)
	if s == "" {
		return pme.Date{}, nil
	}
	if c.Number || looksSerial(s) {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return ExcelSerialDate(f, o.Date1904)
		}
	}
	s = dropTime(s)
	if s == "" {
		return pme.Date{}, ErrDateForm
	}
	if s[0] >= '0' && s[0] <= '9' {
		if d, err, ok := parseNumericDate(s, o); ok {
			return d, err
		}
	}
	return parseNamedMonthDate(s, o)
}

// looksSerial reports a whole number of at most five digits: a serial date stored as text.
func looksSerial(s string) bool {
	if len(s) == 0 || len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ExcelSerialDate converts an Excel serial date (the fraction is the time of day, dropped). In the
// 1900 system serial 1 is 1 January 1900 and Excel counts a 29 February 1900 that never was
// (serial 60, rejected), so serials from 61 on are one day ahead of a plain count.
func ExcelSerialDate(serial float64, date1904 bool) (pme.Date, error) {
	if math.IsNaN(serial) || serial < 0 || serial > 2958465 {
		return pme.Date{}, ErrDateImpossible
	}
	n := int(math.Floor(serial))
	switch {
	case date1904:
		return pme.NewDate(1904, time.January, 1).AddDays(n), nil
	case n == 0 || n == 60:
		return pme.Date{}, ErrDateImpossible
	case n < 60:
		return pme.NewDate(1899, time.December, 31).AddDays(n), nil
	}
	return pme.NewDate(1899, time.December, 30).AddDays(n), nil
}

// dropTime removes a time of day after the date: "02/01/2026 00:00:00", "2026-01-02T00:00:00Z".
func dropTime(s string) string {
	if len(s) > 10 && s[10] == 'T' && s[4] == '-' {
		return s[:10]
	}
	if c := strings.IndexByte(s, ':'); c > 0 {
		if sp := strings.LastIndexByte(s[:c], ' '); sp > 0 {
			return trimSpace(s[:sp])
		}
	}
	return s
}

// parseNumericDate reads d/m/y, d-m-y, d.m.y (y of 2 or 4 digits) and yyyy-mm-dd. ok is false when
// s is not three digit groups with one repeated separator, so that "2-Jan-2026" can be tried as a
// named month.
func parseNumericDate(s string, o DateOptions) (d pme.Date, err error, ok bool) {
	var parts [3]string
	if isDDMMYYYY(s) { // the usual form, split without the scan below (half the time of this function)
		parts = [3]string{s[:2], s[3:5], s[6:]}
		return numericParts(parts, o)
	}
	sep := byte(0)
	start, n := 0, 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			continue
		}
		if i < len(s) {
			if s[i] != '/' && s[i] != '-' && s[i] != '.' || (sep != 0 && s[i] != sep) {
				return pme.Date{}, nil, false
			}
			sep = s[i]
		}
		if n == 3 || i == start {
			return pme.Date{}, nil, false
		}
		parts[n] = s[start:i]
		n++
		start = i + 1
	}
	if n != 3 {
		return pme.Date{}, nil, false
	}
	return numericParts(parts, o)
}

// isDDMMYYYY reports whether s is two digits, a separator, two digits, the same separator and
// four digits.
func isDDMMYYYY(s string) bool {
	if len(s) != 10 || s[5] != s[2] || (s[2] != '/' && s[2] != '-' && s[2] != '.') {
		return false
	}
	for _, i := range [...]int{0, 1, 3, 4, 6, 7, 8, 9} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// numericParts reads the three digit groups of a numeric date.
func numericParts(parts [3]string, o DateOptions) (d pme.Date, err error, ok bool) {
	if len(parts[0]) == 4 {
		if len(parts[1]) > 2 || len(parts[2]) > 2 {
			return pme.Date{}, ErrDateForm, true
		}
		d, err := civil(atoi(parts[0]), atoi(parts[1]), atoi(parts[2]))
		return d, err, true
	}
	if len(parts[0]) > 2 || len(parts[1]) > 2 || (len(parts[2]) != 2 && len(parts[2]) != 4) {
		return pme.Date{}, ErrDateForm, true
	}
	day, month := atoi(parts[0]), atoi(parts[1])
	if month > 12 {
		if day >= 1 && day <= 12 && month <= 31 {
			return pme.Date{}, ErrDateUS, true
		}
		return pme.Date{}, ErrDateImpossible, true
	}
	d, err = dayMonthYear(day, month, parts[2], o)
	return d, err, true
}

// dayMonthYear builds a date from a day, a month and a year of 2 or 4 digits.
func dayMonthYear(day, month int, year string, o DateOptions) (pme.Date, error) {
	y := atoi(year)
	if len(year) == 4 {
		return civil(y, month, day)
	}
	d, err := civil(2000+y, month, day)
	if err == nil && o.BirthDate && !o.Today.IsZero() && d.After(o.Today) {
		return civil(1900+y, month, day)
	}
	return d, err
}

var monthNames = map[string]time.Month{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
	"may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
	"september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}

// parseNamedMonthDate reads "2 January 2026", "2nd Jan 2026", "02-Jan-2026", "2 Jan 26".
func parseNamedMonthDate(s string, o DateOptions) (pme.Date, error) {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '-' || r == '/' || r == ',' || r == '.' })
	if len(f) != 3 {
		return pme.Date{}, ErrDateForm
	}
	day := strings.TrimRight(strings.ToLower(f[0]), "stndrh")
	if day == "" || len(day) > 2 || !allDigits(day) || !allDigits(f[2]) || (len(f[2]) != 2 && len(f[2]) != 4) {
		return pme.Date{}, ErrDateForm
	}
	m, ok := monthNames[strings.ToLower(f[1])]
	if !ok {
		return pme.Date{}, ErrDateForm
	}
	return dayMonthYear(atoi(day), int(m), f[2], o)
}

// civil returns y-m-d, or ErrDateImpossible for a day that does not exist.
func civil(y, m, d int) (pme.Date, error) {
	if y < 1 || m < 1 || m > 12 || d < 1 || d > daysIn(y, time.Month(m)) {
		return pme.Date{}, ErrDateImpossible
	}
	return pme.NewDate(y, time.Month(m), d), nil
}

func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// ymd is a date as numbers: comparing and counting them is far cheaper than time.Time's
// arithmetic, which pme.Date uses.
type ymd struct{ y, m, d int }

func ymdOf(d pme.Date) ymd {
	y, m, day := d.Time().Date()
	return ymd{y, int(m), day}
}

// md is the month and day as one number (31 March is 331), for comparisons within a year.
func (a ymd) md() int { return a.m*100 + a.d }

func (a ymd) before(b ymd) bool {
	if a.y != b.y {
		return a.y < b.y
	}
	return a.md() < b.md()
}

// weekdayOfJune30 returns the day of the week of 30 June of year y (proleptic Gregorian, as
// package time): Sakamoto's method, after moving y into 400–799 (the calendar repeats every 400
// years, a whole number of weeks).
func weekdayOfJune30(y int) time.Weekday {
	y = (y%400+400)%400 + 400
	return time.Weekday((y + y/4 - y/100 + y/400 + 3 + 30) % 7) // 3: Sakamoto's figure for June
}

// atoi reads a short run of ASCII digits already checked by the caller.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// EarliestDate is the earliest plausible date in a return other than a date of birth.
var EarliestDate = pme.NewDate(1990, time.January, 1)

// DateInRange reports whether a date is plausible (returns.md): a date of birth must not be after
// today; any other date must be on or after 1 January 1990 and at most one year after today.
func DateInRange(d, today pme.Date, birth bool) bool {
	return dateInRange(d, today, today.AddYears(1), birth)
}

// dateInRange is DateInRange with today.AddYears(1), the latest date, worked out by the caller.
func dateInRange(d, today, latest pme.Date, birth bool) bool {
	if birth {
		return !d.After(today)
	}
	return !d.Before(EarliestDate) && !d.After(latest)
}

// ErrNotNumber is returned by ParseNumber and ParseWhole for text that is not a number.
var ErrNotNumber = errors.New("not a number")

// ParseNumber reads a decimal number: "12", "12.5", "12,5" (a decimal comma), "12.5 hours",
// "12 hrs", "12h", or an Excel number cell. A blank cell is ErrNotNumber; callers check blanks
// first. Float noise from Excel ("12.499999999999998") is rounded to 6 decimal places.
func ParseNumber(c Cell) (float64, error) {
	s := trimSpace(c.Value)
	if len(s) <= 9 && allDigits(s) { // a whole number, as most cells are: exact, and 5% of the time of parsing a 1M-row CSV without this
		return float64(atoi(s)), nil
	}
	if !c.Number {
		s = trimUnit(s)
		if strings.IndexByte(s, '.') < 0 && strings.Count(s, ",") == 1 {
			s = strings.Replace(s, ",", ".", 1)
		}
		if !plainDecimal(s) {
			return 0, ErrNotNumber
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, ErrNotNumber
	}
	return math.Round(f*1e6) / 1e6, nil
}

// ParseWhole reads a whole number: as ParseNumber, and the number must have no fraction.
func ParseWhole(c Cell) (int, error) {
	f, err := ParseNumber(c)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1e9 {
		return 0, ErrNotNumber
	}
	return int(f), nil
}

var units = []string{"hours", "hour", "hrs", "hr", "h"}

func trimUnit(s string) string {
	l := strings.ToLower(s)
	for _, u := range units {
		if strings.HasSuffix(l, u) {
			return trimSpace(s[:len(s)-len(u)])
		}
	}
	return s
}

// plainDecimal accepts an optional minus sign, digits and at most one decimal point.
func plainDecimal(s string) bool {
	if strings.HasPrefix(s, "-") {
		s = s[1:]
	}
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] >= '0' && s[i] <= '9':
			digits++
		case s[i] == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// ParseYN reads a yes/no answer: Y, N, Yes, No, True, False, 1, 0 (any case). It returns "Y" or
// "N", and false for anything else.
func ParseYN(s string) (string, bool) {
	s = trimSpace(s)
	switch s { // the usual answers, without lower-casing
	case "Y", "Yes", "1":
		return "Y", true
	case "N", "No", "0":
		return "N", true
	}
	switch strings.ToLower(s) {
	case "y", "yes", "true", "1", "1.0":
		return "Y", true
	case "n", "no", "false", "0", "0.0":
		return "N", true
	}
	return "", false
}

// NormalizeLAESTAB reads a school's LAESTAB: seven digits, LA code then establishment number, also
// written "891/2345", "891-2345" or "891 2345" (or as an Excel number "8912345.0").
func NormalizeLAESTAB(s string) (string, bool) {
	s = trimZeroFraction(trimSpace(s))
	if len(s) == 8 && (s[3] == '/' || s[3] == '-' || s[3] == ' ') {
		s = s[:3] + s[4:]
	}
	if len(s) != 7 || !allDigits(s) {
		return "", false
	}
	return s, true
}

// NormalizeURN reads a 6-digit URN (an Excel number "100123.0" too).
func NormalizeURN(s string) (string, bool) {
	s = trimZeroFraction(trimSpace(s))
	if len(s) != 6 || !allDigits(s) {
		return "", false
	}
	return s, true
}

// trimZeroFraction drops the ".0" Excel or a CSV export may put after a whole number.
func trimZeroFraction(s string) string {
	if i := strings.IndexByte(s, '.'); i > 0 && strings.Trim(s[i+1:], "0") == "" {
		return s[:i]
	}
	return s
}

// FileNameLAESTAB returns the LAESTAB a file name starts with ("8912345_rt.xlsx"): seven digits
// not followed by another digit.
func FileNameLAESTAB(name string) (string, bool) {
	if len(name) < 7 || !allDigits(name[:7]) || (len(name) > 7 && name[7] >= '0' && name[7] <= '9') {
		return "", false
	}
	return name[:7], true
}

// ParseGender reads M, F or U; the words Male, Female and Unknown (any case) are accepted.
func ParseGender(s string) (string, bool) {
	s = trimSpace(s)
	if s == "M" || s == "F" || s == "U" {
		return s, true
	}
	switch strings.ToLower(s) {
	case "m", "male":
		return "M", true
	case "f", "female":
		return "F", true
	case "u", "unknown", "not known":
		return "U", true
	}
	return "", false
}

// ParseNCYear reads a National Curriculum year: N1, N2, R, 1–14; "Y7", "Year 7", "Yr 7", "07",
// "Reception", "YR", "Nursery 1" are accepted.
func ParseNCYear(s string) (string, bool) {
	if s = trimSpace(s); len(s) <= 2 && allDigits(s) && s[0] != '0' { // "7", as most cells are
		if n := atoi(s); n <= 14 {
			return s, true
		}
		return "", false
	}
	u := trimZeroFraction(s)
	if strings.ContainsAny(u, " \t") {
		u = strings.Join(strings.Fields(u), "")
	}
	u = strings.ToUpper(u)
	switch u {
	case "R", "YR", "REC", "RECEPTION", "YEARR":
		return "R", true
	case "N1", "NURSERY1":
		return "N1", true
	case "N2", "NURSERY2":
		return "N2", true
	}
	for _, p := range []string{"YEAR", "YR", "Y"} {
		if strings.HasPrefix(u, p) {
			u = u[len(p):]
			break
		}
	}
	if len(u) == 0 || len(u) > 2 || !allDigits(u) {
		return "", false
	}
	n := atoi(u)
	if n < 1 || n > 14 {
		return "", false
	}
	return strconv.Itoa(n), true
}

// ParseSEN reads SEN provision: E (EHC plan), K (SEN support), N (none); the words "EHC plan",
// "EHCP", "SEN support" and "None" are accepted. Legacy codes map with legacy set: S (statement)
// to E, A and P (School Action, School Action Plus) to K.
func ParseSEN(s string) (code string, legacy, ok bool) {
	s = trimSpace(s)
	switch s {
	case "E", "K", "N":
		return s, false, true
	}
	switch strings.ToLower(strings.Join(strings.Fields(s), " ")) {
	case "e", "ehc plan", "ehcp", "education, health and care plan":
		return "E", false, true
	case "k", "sen support":
		return "K", false, true
	case "n", "none", "no sen":
		return "N", false, true
	case "s", "statement":
		return "E", true, true
	case "a", "p", "school action", "school action plus":
		return "K", true, true
	}
	return "", false, false
}

// trimSpace is strings.TrimSpace with a fast path for the usual cell, which has nothing to trim
// (a printable ASCII character at both ends). It is called ~40 times a row: TrimSpace was 9% of
// the instructions of parsing a 1M-row CSV, this is 5%.
func trimSpace(s string) string {
	if n := len(s); n > 0 && s[0]-'!' < 0x7f-'!' && s[n-1]-'!' < 0x7f-'!' { // '!' to '~' at both ends
		return s
	}
	return strings.TrimSpace(s)
}
