package ingest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"pme"
)

func TestParseUKDate(t *testing.T) {
	today := pme.MustDate("2026-11-29")
	tests := []struct {
		name  string
		cell  Cell
		birth bool
		d1904 bool
		want  string // ISO date, "" for the zero date
		err   error
	}{
		{"dd/mm/yyyy", Cell{Value: "02/01/2026"}, false, false, "2026-01-02", nil},
		{"d/m/yyyy", Cell{Value: "2/1/2026"}, false, false, "2026-01-02", nil},
		{"dd-mm-yyyy", Cell{Value: "02-01-2026"}, false, false, "2026-01-02", nil},
		{"dd.mm.yyyy", Cell{Value: "02.01.2026"}, false, false, "2026-01-02", nil},
		{"dd/mm/yy", Cell{Value: "02/03/26"}, false, false, "2026-03-02", nil},
		{"yy birth date in the past", Cell{Value: "02/03/14"}, true, false, "2014-03-02", nil},
		{"yy birth date would be future", Cell{Value: "02/03/98"}, true, false, "1998-03-02", nil},
		{"yy non-birth stays 20yy", Cell{Value: "02/03/98"}, false, false, "2098-03-02", nil},
		{"yyyy-mm-dd", Cell{Value: "2026-01-02"}, false, false, "2026-01-02", nil},
		{"iso with time", Cell{Value: "2026-01-02T00:00:00Z"}, false, false, "2026-01-02", nil},
		{"uk with time", Cell{Value: "02/01/2026 00:00:00"}, false, false, "2026-01-02", nil},
		{"d Month yyyy", Cell{Value: "2 January 2026"}, false, false, "2026-01-02", nil},
		{"d Mon yyyy", Cell{Value: "2 Jan 2026"}, false, false, "2026-01-02", nil},
		{"ordinal", Cell{Value: "2nd Sept 2026"}, false, false, "2026-09-02", nil},
		{"dd-Mon-yyyy", Cell{Value: "02-Jan-2026"}, false, false, "2026-01-02", nil},
		{"surrounding space", Cell{Value: "  02/01/2026 "}, false, false, "2026-01-02", nil},
		{"blank", Cell{Value: "  "}, false, false, "", nil},
		{"excel serial cell", Cell{Value: "46024", Number: true}, false, false, "2026-01-02", nil},
		{"excel serial with time", Cell{Value: "46024.75", Number: true}, false, false, "2026-01-02", nil},
		{"serial as text", Cell{Value: "46024"}, false, false, "2026-01-02", nil},
		{"serial before the phantom leap day", Cell{Value: "59", Number: true}, false, false, "1900-02-28", nil},
		{"serial after the phantom leap day", Cell{Value: "61", Number: true}, false, false, "1900-03-01", nil},
		{"phantom 29 February 1900", Cell{Value: "60", Number: true}, false, false, "", ErrDateImpossible},
		{"1904 system", Cell{Value: "44562", Number: true}, false, true, "2026-01-02", nil},
		{"mm/dd/yyyy never", Cell{Value: "02/13/2026"}, false, false, "", ErrDateUS},
		{"31 February", Cell{Value: "31/02/2026"}, false, false, "", ErrDateImpossible},
		{"29 February in a common year", Cell{Value: "29/02/2025"}, false, false, "", ErrDateImpossible},
		{"29 February in a leap year", Cell{Value: "29/02/2024"}, false, false, "2024-02-29", nil},
		{"month 13 day 20", Cell{Value: "20/13/2026"}, false, false, "", ErrDateImpossible},
		{"day 0", Cell{Value: "00/01/2026"}, false, false, "", ErrDateImpossible},
		{"mixed separators", Cell{Value: "02/01-2026"}, false, false, "", ErrDateForm},
		{"three-digit year", Cell{Value: "02/01/202"}, false, false, "", ErrDateForm},
		{"yyyymmdd", Cell{Value: "20260102"}, false, false, "", ErrDateForm},
		{"words", Cell{Value: "next Tuesday"}, false, false, "", ErrDateForm},
		{"unknown month", Cell{Value: "2 Foo 2026"}, false, false, "", ErrDateForm},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseUKDate(tc.cell, DateOptions{Date1904: tc.d1904, BirthDate: tc.birth, Today: today})
			if !errors.Is(err, tc.err) {
				t.Fatalf("ParseUKDate(%q) error = %v, want %v", tc.cell.Value, err, tc.err)
			}
			if got.String() != tc.want {
				t.Fatalf("ParseUKDate(%q) = %s, want %s", tc.cell.Value, got, tc.want)
			}
		})
	}
}

func TestDateInRange(t *testing.T) {
	today := pme.MustDate("2026-11-29")
	tests := []struct {
		d     string
		birth bool
		want  bool
	}{
		{"1990-01-01", false, true},
		{"1989-12-31", false, false},
		{"2027-11-29", false, true},
		{"2027-11-30", false, false},
		{"1985-05-05", true, true},
		{"2026-11-29", true, true},
		{"2026-11-30", true, false},
	}
	for _, tc := range tests {
		if got := DateInRange(pme.MustDate(tc.d), today, tc.birth); got != tc.want {
			t.Errorf("DateInRange(%s, birth=%v) = %v, want %v", tc.d, tc.birth, got, tc.want)
		}
	}
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		cell Cell
		want float64
		ok   bool
	}{
		{Cell{Value: "12"}, 12, true},
		{Cell{Value: "12.5"}, 12.5, true},
		{Cell{Value: "12,5"}, 12.5, true},
		{Cell{Value: " 12.5 hours"}, 12.5, true},
		{Cell{Value: "10 hrs"}, 10, true},
		{Cell{Value: "10h"}, 10, true},
		{Cell{Value: "12.499999999999998", Number: true}, 12.5, true},
		{Cell{Value: "1.25E1", Number: true}, 12.5, true},
		{Cell{Value: "-3"}, -3, true},
		{Cell{Value: "1,000.5"}, 0, false},
		{Cell{Value: "12.5.1"}, 0, false},
		{Cell{Value: "NaN"}, 0, false},
		{Cell{Value: "Inf"}, 0, false},
		{Cell{Value: "1e3"}, 0, false},
		{Cell{Value: "half"}, 0, false},
		{Cell{Value: ""}, 0, false},
	}
	for _, tc := range tests {
		got, err := ParseNumber(tc.cell)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseNumber(%q) = %v, %v; want %v, ok %v", tc.cell.Value, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseWhole(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{{"3", 3, true}, {"3.0", 3, true}, {"2.5", 0, false}, {"x", 0, false}}
	for _, tc := range tests {
		got, err := ParseWhole(Cell{Value: tc.in})
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseWhole(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseYN(t *testing.T) {
	tests := map[string]string{"Y": "Y", "yes": "Y", "TRUE": "Y", "1": "Y", "n": "N", "No": "N", "false": "N", "0": "N", "maybe": "", "": ""}
	for in, want := range tests {
		got, ok := ParseYN(in)
		if got != want || ok != (want != "") {
			t.Errorf("ParseYN(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestNormalizeLAESTAB(t *testing.T) {
	tests := map[string]string{"8912345": "8912345", "891/2345": "8912345", "891-2345": "8912345", "891 2345": "8912345",
		" 8912345 ": "8912345", "8912345.0": "8912345", "891234": "", "89123456": "", "891/23456": "", "89A2345": "", "8912/345": ""}
	for in, want := range tests {
		got, ok := NormalizeLAESTAB(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizeLAESTAB(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestNormalizeURN(t *testing.T) {
	tests := map[string]string{"100123": "100123", "100123.0": "100123", "10012": "", "1001234": "", "10012X": ""}
	for in, want := range tests {
		got, ok := NormalizeURN(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizeURN(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestFileNameLAESTAB(t *testing.T) {
	tests := map[string]string{"8912345_rt.xlsx": "8912345", "8912345.csv": "8912345", "8912345": "8912345",
		"89123456_rt.xlsx": "", "rt_8912345.xlsx": "", "891234_rt.csv": ""}
	for in, want := range tests {
		got, ok := FileNameLAESTAB(in)
		if got != want || ok != (want != "") {
			t.Errorf("FileNameLAESTAB(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestParseGender(t *testing.T) {
	tests := map[string]string{"M": "M", "male": "M", "F": "F", "Female": "F", "U": "U", "unknown": "U", "X": "", "boy": ""}
	for in, want := range tests {
		got, ok := ParseGender(in)
		if got != want || ok != (want != "") {
			t.Errorf("ParseGender(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestParseNCYear(t *testing.T) {
	tests := map[string]string{"7": "7", "07": "7", "Y7": "7", "Year 7": "7", "year7": "7", "Yr 11": "11", "R": "R",
		"Reception": "R", "YR": "R", "N1": "N1", "N2": "N2", "Nursery 1": "N1", "14": "14", "7.0": "7",
		"15": "", "0": "", "Y": "", "Year": "", "N3": "", "seven": ""}
	for in, want := range tests {
		got, ok := ParseNCYear(in)
		if got != want || ok != (want != "") {
			t.Errorf("ParseNCYear(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestParseSEN(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		legacy bool
		ok     bool
	}{
		{"E", "E", false, true}, {"k", "K", false, true}, {"N", "N", false, true}, {"EHC plan", "E", false, true},
		{"SEN support", "K", false, true}, {"S", "E", true, true}, {"A", "K", true, true}, {"P", "K", true, true},
		{"Q", "", false, false},
	}
	for _, tc := range tests {
		got, legacy, ok := ParseSEN(tc.in)
		if got != tc.want || legacy != tc.legacy || ok != tc.ok {
			t.Errorf("ParseSEN(%q) = %q, %v, %v; want %q, %v, %v", tc.in, got, legacy, ok, tc.want, tc.legacy, tc.ok)
		}
	}
}

func TestCodeTables(t *testing.T) {
	tests := []struct {
		table CodeTable
		in    string
		want  string
	}{
		{TimetableReasons, "SEMH", "SEMH"},
		{TimetableReasons, "semh", "SEMH"},
		{TimetableReasons, "Social, emotional and mental health", "SEMH"},
		{TimetableReasons, "Medical/Health", "MED"},
		{TimetableReasons, "Transition or new arrival", "TRANS"},
		{TimetableReasons, "VOC", ""},
		{PlacementReasons, "Vocational", "VOC"},
		{PlacementReasons, "SEN", "SEN"},
		{Categories, "FIXD", "SUSP"},
		{Categories, "Fixed-term", "SUSP"},
		{Categories, "Fixed Period", "SUSP"},
		{Categories, "Permanent", "PERM"},
		{Categories, "lunchtime", "LNCH"},
		{Categories, "Expelled", ""},
	}
	for _, tc := range tests {
		got, _ := tc.table.Lookup(tc.in)
		if got != tc.want {
			t.Errorf("lookup(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestExclusionReasons(t *testing.T) {
	for _, code := range []string{"PP", "PA", "VP", "VA", "BU", "RA", "SM", "DA", "DM", "TH", "DB", "OW", "LG", "DS", "MT", "PH",
		"BW", "TB", "SB", "MB", "AB", "DR", "AR", "SR", "VR", "LD", "CB", "MP", "OS"} {
		if r, ok := LookupExclusionReason(code); !ok || r.Withdrawn {
			t.Errorf("LookupExclusionReason(%q) = %+v, %v; want current", code, r, ok)
		}
	}
	if r, ok := LookupExclusionReason("ot"); !ok || !r.Withdrawn {
		t.Errorf("LookupExclusionReason(ot) = %+v, %v; want withdrawn", r, ok)
	}
	if _, ok := LookupExclusionReason("XX"); ok {
		t.Errorf("LookupExclusionReason(XX) ok, want unknown")
	}
	if _, _, err := loadExclusionReasons([]byte("code,status\nPP,maybe\n")); err == nil {
		t.Errorf("loadExclusionReasons with a bad status: no error")
	}
}

func TestCompulsorySchoolAge(t *testing.T) {
	tests := []struct {
		dob, on string
		want    bool
	}{
		{"2015-01-15", "2020-01-15", false}, // 5th birthday, before 31 March
		{"2015-01-15", "2020-03-31", true},  // the prescribed day after it
		{"2015-03-31", "2020-03-31", true},  // birthday on a prescribed day
		{"2015-09-01", "2020-12-30", false},
		{"2015-09-01", "2020-12-31", true},
		{"2010-10-01", "2026-06-26", true},  // turns 16 in October 2026: school year ends June 2027
		{"2010-10-01", "2027-06-25", true},  // the last Friday of June 2027
		{"2010-10-01", "2027-06-26", false}, // the day after
		{"2010-08-15", "2026-06-26", true},  // turns 16 in August 2026: last Friday of June 2026
		{"2010-08-15", "2026-06-27", false},
	}
	for _, tc := range tests {
		if got := CompulsorySchoolAge(pme.MustDate(tc.dob), pme.MustDate(tc.on)); got != tc.want {
			t.Errorf("CompulsorySchoolAge(%s, %s) = %v, want %v", tc.dob, tc.on, got, tc.want)
		}
	}
}

func TestTrimSpaceAgreesWithStrings(t *testing.T) {
	for _, s := range []string{"", " ", "a", " a", "a ", "\ta\n", "\x7f", "a\x7f", "\u00a0a", "a\u00a0", "\u2003x\u2003", "!~", "é", "aé", "\x00", "ab\v"} {
		if got, want := trimSpace(s), strings.TrimSpace(s); got != want {
			t.Errorf("trimSpace(%q) = %q, want %q", s, got, want)
		}
	}
}

// The whole-number fast paths of ParseNumber and ParseNCYear agree with the general ones.
func TestWholeNumberFastPaths(t *testing.T) {
	for n := range 100_000 {
		for _, s := range []string{strconv.Itoa(n), fmt.Sprintf("%07d", n), " " + strconv.Itoa(n*1000) + " "} {
			for _, number := range []bool{false, true} {
				got, err := ParseNumber(Cell{Value: s, Number: number})
				f, _ := strconv.ParseFloat(strings.TrimSpace(s), 64)
				if err != nil || got != f {
					t.Fatalf("ParseNumber(%q) = %v, %v; want %v", s, got, err, f)
				}
			}
		}
	}
	for n := range 1000 {
		for _, s := range []string{strconv.Itoa(n), fmt.Sprintf("%02d", n), " " + strconv.Itoa(n)} {
			want, wantOK := "", false
			if v, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && len(strings.TrimSpace(s)) <= 2 && v >= 1 && v <= 14 {
				want, wantOK = strconv.Itoa(v), true
			}
			if got, ok := ParseNCYear(s); got != want || ok != wantOK {
				t.Fatalf("ParseNCYear(%q) = %q, %v; want %q, %v", s, got, ok, want, wantOK)
			}
		}
	}
}

// compulsorySchoolAgeByTime is CompulsorySchoolAge as first written, with time.Time arithmetic:
// the reference the integer version is checked against.
func compulsorySchoolAgeByTime(dob, on pme.Date) bool {
	five := dob.AddYears(5)
	var from pme.Date
	for _, md := range [][2]int{{3, 31}, {8, 31}, {12, 31}} {
		if p := pme.NewDate(five.Year(), time.Month(md[0]), md[1]); !p.Before(five) {
			from = p
			break
		}
	}
	sixteen := dob.AddYears(16)
	year := sixteen.Year()
	if sixteen.Month() >= time.September {
		year++
	}
	until := pme.NewDate(year, time.June, 30)
	for until.Weekday() != time.Friday {
		until = until.AddDays(-1)
	}
	return !on.Before(from) && !on.After(until)
}

// TestCompulsorySchoolAgeAgreesWithTime checks every date of birth over two centuries (each 29
// February included) on the days around both bounds and on days far from them.
func TestCompulsorySchoolAgeAgreesWithTime(t *testing.T) {
	for dob := pme.MustDate("1900-01-01"); dob.Year() < 2100; dob = dob.AddDays(1) {
		var ons []pme.Date
		for _, base := range []pme.Date{dob.AddYears(5), dob.AddYears(17)} {
			for _, days := range []int{-400, -190, -100, -40, -8, -7, -6, -2, -1, 0, 1, 2, 6, 7, 8, 40, 100, 190, 400} {
				ons = append(ons, base.AddDays(days))
			}
		}
		ons = append(ons, dob, dob.AddYears(10), dob.AddYears(30))
		for _, on := range ons {
			if got, want := CompulsorySchoolAge(dob, on), compulsorySchoolAgeByTime(dob, on); got != want {
				t.Fatalf("CompulsorySchoolAge(%s, %s) = %v, want %v", dob, on, got, want)
			}
		}
	}
}

func TestDaysInAndWeekdayAgreeWithTime(t *testing.T) {
	for y := -2000; y <= 3000; y++ {
		if got, want := weekdayOfJune30(y), time.Date(y, time.June, 30, 0, 0, 0, 0, time.UTC).Weekday(); got != want {
			t.Fatalf("weekdayOfJune30(%d) = %v, want %v", y, got, want)
		}
		for m := time.January; m <= time.December; m++ {
			if got, want := daysIn(y, m), time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day(); got != want {
				t.Fatalf("daysIn(%d, %v) = %d, want %d", y, m, got, want)
			}
		}
	}
}

func TestAgeMatchesAgeOn(t *testing.T) {
	v := &validator{}
	for dob := pme.MustDate("2000-01-01"); dob.Year() < 2030; dob = dob.AddDays(1) {
		for _, on := range []pme.Date{dob.AddYears(2).AddDays(-1), dob.AddYears(2), dob.AddYears(19), dob.AddYears(20).AddDays(-1), dob.AddYears(20), dob.AddYears(4), dob.AddYears(12)} {
			v.cur, v.errors = v.cur[:0], 0
			v.h = &Header{Index: map[string]int{}}
			v.age(dob, on)
			a := dob.AgeOn(on)
			wantErr := a < 2 || a > 19
			if (v.errors > 0) != wantErr || (wantErr && !strings.Contains(v.cur[0].Message, fmt.Sprintf("would be %d ", a))) {
				t.Fatalf("age(%s, %s): issues %+v, want an error = %v for age %d", dob, on, v.cur, wantErr, a)
			}
		}
	}
}

// FuzzParseUKDate: hostile text never panics, and whatever parses is a date UK-formatted the same
// way back (ParseUKDate(d.UK()) == d).
func FuzzParseUKDate(f *testing.F) {
	for _, s := range []string{"02/01/2026", "2 Jan 26", "2026-01-02T10:00", "46024", "31/02/2026", "1/1/1", "--", "2nd", "99999"} {
		f.Add(s, false)
	}
	f.Add("46024.5", true)
	f.Fuzz(func(t *testing.T, s string, number bool) {
		o := DateOptions{BirthDate: true, Today: pme.MustDate("2026-11-29")}
		d, err := ParseUKDate(Cell{Value: s, Number: number}, o)
		if err != nil || d.IsZero() || d.Year() > 9999 {
			return
		}
		back, err := ParseUKDate(Cell{Value: d.UK()}, DateOptions{})
		if err != nil || !back.Equal(d) {
			t.Fatalf("ParseUKDate(%q) = %s, but its UK form %q reads as %s, %v", s, d, d.UK(), back, err)
		}
	})
}
