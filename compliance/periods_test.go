package compliance

import (
	"testing"

	"pme"
	"pme/calendar"
)

func periods(t *testing.T, c pme.Cadence, due int) *Periods {
	t.Helper()
	p, err := NewPeriods(calendar.Default(), c, due)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The built-in calendar's 2026/27 year: INSET 1-2 September, half-term 26-30 October, INSET 4
// January, half-term 15-19 February, INSET 12 April, bank holiday 3 May, half-term 31 May-4 June.
func TestPeriodAt(t *testing.T) {
	tests := []struct {
		name    string
		cadence pme.Cadence
		due     int
		day     string
		id      string
		start   string
		end     string
		wantDue string // "" when nothing is expected
	}{
		{"November: 2-6 November are its first five school days", pme.Monthly, 5, "2026-11-27", "2026-11", "2026-11-01", "2026-11-30", "2026-11-06"},
		{"December starts on a Tuesday", pme.Monthly, 5, "2026-12-07", "2026-12", "2026-12-01", "2026-12-31", "2026-12-07"},
		{"September after two INSET days", pme.Monthly, 5, "2026-09-15", "2026-09", "2026-09-01", "2026-09-30", "2026-09-09"},
		{"October's half-term comes after its due date", pme.Monthly, 5, "2026-10-28", "2026-10", "2026-10-01", "2026-10-31", "2026-10-07"},
		{"January after the INSET day", pme.Monthly, 5, "2027-01-20", "2027-01", "2027-01-01", "2027-01-31", "2027-01-11"},
		{"due on the first school day", pme.Monthly, 1, "2027-01-20", "2027-01", "2027-01-01", "2027-01-31", "2027-01-05"},
		{"the summer holiday expects nothing", pme.Monthly, 5, "2027-08-10", "2027-08", "2027-08-01", "2027-08-31", ""},
		{"July has its five days before the holiday", pme.Monthly, 5, "2027-07-30", "2027-07", "2027-07-01", "2027-07-31", "2027-07-07"},
		{"autumn first half-term, its break included", pme.HalfTermly, 5, "2026-10-28", "2026-09", "2026-09-01", "2026-11-01", "2026-09-09"},
		{"autumn second half-term", pme.HalfTermly, 5, "2026-12-25", "2026-11", "2026-11-02", "2027-01-03", "2026-11-06"},
		{"spring second half-term", pme.HalfTermly, 5, "2027-03-01", "2027-02", "2027-02-22", "2027-04-11", "2027-02-26"},
		{"summer first half-term skips the bank holiday", pme.HalfTermly, 5, "2027-05-04", "2027-04", "2027-04-12", "2027-06-06", "2027-04-19"},
		{"summer second half-term holds the summer holiday", pme.HalfTermly, 5, "2027-08-10", "2027-06", "2027-06-07", "2027-08-31", "2027-06-11"},
		{"a week in term", pme.Weekly, 5, "2026-11-04", "2026-W45", "2026-11-02", "2026-11-08", "2026-11-06"},
		{"half-term week expects nothing", pme.Weekly, 5, "2026-10-28", "2026-W44", "2026-10-26", "2026-11-01", ""},
		{"the first week has two school days: due on the last", pme.Weekly, 5, "2026-09-01", "2026-W36", "2026-08-31", "2026-09-06", "2026-09-04"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := periods(t, tc.cadence, tc.due).At(pme.MustDate(tc.day))
			if got.ID != tc.id || got.Start.String() != tc.start || got.End.String() != tc.end || got.Due.String() != tc.wantDue {
				t.Fatalf("At(%s) = %s %s..%s due %q, want %s %s..%s due %q", tc.day, got.ID, got.Start, got.End, got.Due,
					tc.id, tc.start, tc.end, tc.wantDue)
			}
		})
	}
}

func TestPeriodParse(t *testing.T) {
	today := pme.MustDate("2026-11-27")
	tests := []struct {
		cadence pme.Cadence
		in, id  string
	}{
		{pme.Monthly, "current", "2026-11"},
		{pme.Monthly, "", "2026-11"},
		{pme.Monthly, "previous", "2026-10"},
		{pme.Monthly, "2026-09", "2026-09"},
		{pme.Monthly, "2026-09-30", "2026-09"},
		{pme.Weekly, "2026-W45", "2026-W45"},
		{pme.Weekly, "previous", "2026-W47"},
		{pme.Weekly, "2027-W01", "2027-W01"},
		{pme.HalfTermly, "previous", "2026-09"},
		{pme.HalfTermly, "2026-12", "2026-11"},
	}
	for _, tc := range tests {
		got, err := periods(t, tc.cadence, 5).Parse(tc.in, today)
		if err != nil || got.ID != tc.id {
			t.Errorf("%s Parse(%q) = %s, %v; want %s", tc.cadence, tc.in, got.ID, err, tc.id)
		}
	}
	for _, bad := range []string{"2026-13", "last", "2026-W60", "26-11"} {
		if _, err := periods(t, pme.Monthly, 5).Parse(bad, today); err == nil {
			t.Errorf("Parse(%q): want an error", bad)
		}
	}
}

func TestLastAndAssumption(t *testing.T) {
	p := periods(t, pme.Monthly, 5)
	got := p.Last(pme.MustDate("2026-11-27"), 3)
	if len(got) != 3 || got[0].ID != "2026-09" || got[2].ID != "2026-11" {
		t.Fatalf("Last = %v, want 2026-09..2026-11", got)
	}
	if a := p.Assumption(got[2]); a != "" {
		t.Fatalf("Assumption(covered) = %q, want none", a)
	}
	if a := p.Assumption(p.At(pme.MustDate("2031-03-10"))); a == "" {
		t.Fatal("Assumption(2031-03): want a warning, the calendar does not cover it")
	}
	if _, err := NewPeriods(calendar.Default(), "fortnightly", 5); err == nil {
		t.Fatal("NewPeriods(fortnightly): want an error")
	}
}
