package calendar

import (
	"strings"
	"testing"
	"time"

	"pme"
)

func TestBankHolidays(t *testing.T) {
	cases := []struct {
		year int
		want string
	}{
		{2016, "2016-01-01 2016-03-25 2016-03-28 2016-05-02 2016-05-30 2016-08-29 2016-12-26 2016-12-27"},
		{2020, "2020-01-01 2020-04-10 2020-04-13 2020-05-08 2020-05-25 2020-08-31 2020-12-25 2020-12-28"},
		{2021, "2021-01-01 2021-04-02 2021-04-05 2021-05-03 2021-05-31 2021-08-30 2021-12-27 2021-12-28"},
		{2022, "2022-01-03 2022-04-15 2022-04-18 2022-05-02 2022-06-02 2022-06-03 2022-08-29 2022-09-19 2022-12-26 2022-12-27"},
		{2023, "2023-01-02 2023-04-07 2023-04-10 2023-05-01 2023-05-08 2023-05-29 2023-08-28 2023-12-25 2023-12-26"},
		{2024, "2024-01-01 2024-03-29 2024-04-01 2024-05-06 2024-05-27 2024-08-26 2024-12-25 2024-12-26"},
		{2025, "2025-01-01 2025-04-18 2025-04-21 2025-05-05 2025-05-26 2025-08-25 2025-12-25 2025-12-26"},
		{2026, "2026-01-01 2026-04-03 2026-04-06 2026-05-04 2026-05-25 2026-08-31 2026-12-25 2026-12-28"},
		{2027, "2027-01-01 2027-03-26 2027-03-29 2027-05-03 2027-05-31 2027-08-30 2027-12-27 2027-12-28"},
		{2028, "2028-01-03 2028-04-14 2028-04-17 2028-05-01 2028-05-29 2028-08-28 2028-12-25 2028-12-26"},
	}
	for _, tc := range cases {
		var got []string
		for _, h := range BankHolidays(tc.year) {
			got = append(got, h.String())
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("BankHolidays(%d) =\n%s, want\n%s", tc.year, g, tc.want)
		}
	}
}

func TestDefaultCalendar(t *testing.T) {
	c := Default()
	if got := len(c.Terms()); got != 12 {
		t.Fatalf("terms = %d, want 12 (four academic years)", got)
	}
	for y := 2024; y <= 2027; y++ {
		start, end, name := AcademicYear(pme.NewDate(y, time.September, 1))
		if !c.Covers(start) {
			t.Errorf("%s not covered", name)
		}
		// An English school year is 195 days, 5 of them INSET: 190 days pupils attend.
		if n := c.SchoolDays(start, end); n != 190 {
			t.Errorf("%s has %d school days, want 190", name, n)
		}
		for cy := y; cy <= y+1; cy++ {
			for _, h := range BankHolidays(cy) {
				if !h.Before(start) && !h.After(end) && c.IsSchoolDay(h) {
					t.Errorf("bank holiday %s is a school day in %s", h, name)
				}
			}
		}
	}
	if c.Covers(d("2028-09-01")) || c.Covers(d("2024-08-31")) {
		t.Error("Default covers a year outside 2024/25 to 2027/28")
	}
	for _, tc := range []struct {
		day  string
		term string
	}{{"2024-10-30", "Autumn 2024"}, {"2026-02-18", "Spring 2026"}, {"2028-05-31", "Summer 2028"}} {
		if got, ok := c.Term(d(tc.day)); !ok || got.Name != tc.term {
			t.Errorf("Term(%s) = %q, %v, want %q", tc.day, got.Name, ok, tc.term)
		}
	}
	for _, cl := range c.Closures() {
		if !weekday(cl.Date) {
			t.Errorf("closure %s (%s) is on a weekend", cl.Date, cl.Reason)
		}
	}
}
