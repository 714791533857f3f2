package calendar

import (
	"math/rand"
	"strings"
	"testing"

	"pme"
)

func d(s string) pme.Date { return pme.MustDate(s) }

// testCalendar is 2026/27 with the summer term of 2025/26 before it and nothing of 2027/28 after:
//
//	Summer 2026  13/04/2026–22/07/2026, half-term 25–29/05/2026
//	Autumn 2026  03/09/2026–18/12/2026, half-term 26–30/10/2026, INSET 03/09/2026
//	Spring 2027  05/01/2027–26/03/2027, half-term 15–19/02/2027
//	Summer 2027  12/04/2027–21/07/2027, half-term 31/05–04/06/2027, early May 03/05/2027
func testCalendar(t testing.TB) *Calendar {
	t.Helper()
	terms := []pme.Term{
		{Name: "Autumn 2026", Start: d("2026-09-03"), End: d("2026-12-18")},
		{Name: "Summer 2026", Start: d("2026-04-13"), End: d("2026-07-22")},
		{Name: "Spring 2027", Start: d("2027-01-05"), End: d("2027-03-26")},
		{Name: "Summer 2027", Start: d("2027-04-12"), End: d("2027-07-21")},
	}
	closures := []pme.Closure{{Date: d("2026-09-03"), Reason: "INSET"}, {Date: d("2027-05-03"), Reason: "Early May"}}
	for _, week := range []string{"2026-05-25", "2026-10-26", "2027-02-15", "2027-05-31"} {
		for i := 0; i < 5; i++ {
			closures = append(closures, pme.Closure{Date: d(week).AddDays(i), Reason: "Half-term"})
		}
	}
	c, err := New(terms, closures)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestIsSchoolDay(t *testing.T) {
	c := testCalendar(t)
	cases := []struct {
		name string
		day  string
		want bool
	}{
		{"INSET on the first day of term", "2026-09-03", false},
		{"first day pupils attend", "2026-09-04", true},
		{"Saturday in term", "2026-09-05", false},
		{"Sunday in term", "2026-09-06", false},
		{"Monday of half-term", "2026-10-26", false},
		{"Friday of half-term", "2026-10-30", false},
		{"Friday before half-term", "2026-10-23", true},
		{"Monday after half-term", "2026-11-02", true},
		{"last day of autumn term", "2026-12-18", true},
		{"Christmas holiday weekday", "2026-12-21", false},
		{"summer holiday weekday in a covered year", "2026-08-03", false},
		{"1 September before term starts", "2026-09-01", false},
		{"early May closure", "2027-05-03", false},
		{"last day of the last term", "2027-07-21", true},
		{"uncovered year: a weekday counts", "2027-09-01", true},
		{"uncovered year: summer holiday weekday counts", "2028-08-01", true},
		{"uncovered year: a weekend does not", "2027-09-04", false},
		{"uncovered year: Christmas substitute day", "2027-12-27", false},
		{"uncovered year: Good Friday", "2026-04-03", false},
		{"covered year before its first term", "2026-03-02", false},
		{"uncovered year before the first: an ordinary weekday", "2025-03-03", true},
		{"zero date", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var day pme.Date
			if tc.day != "" {
				day = d(tc.day)
			}
			if got := c.IsSchoolDay(day); got != tc.want {
				t.Fatalf("IsSchoolDay(%s) = %v, want %v", tc.day, got, tc.want)
			}
		})
	}
}

func TestSchoolDays(t *testing.T) {
	c := testCalendar(t)
	cases := []struct {
		name     string
		from, to string
		want     int
	}{
		{"one school day", "2026-09-04", "2026-09-04", 1},
		{"one weekend day", "2026-09-05", "2026-09-05", 0},
		{"to before from", "2026-09-10", "2026-09-04", 0},
		{"a full week", "2026-09-07", "2026-09-13", 5},
		{"across half-term", "2026-10-19", "2026-11-06", 10},
		{"half-term only", "2026-10-24", "2026-11-01", 0},
		{"whole autumn term: 16 weeks less INSET and half-term", "2026-09-03", "2026-12-18", 2 + 15*5 - 1 - 5},
		{"across Christmas", "2026-12-14", "2027-01-08", 5 + 4},
		{"whole holiday", "2026-12-19", "2027-01-04", 0},
		{"summer holiday in a covered year", "2026-07-23", "2026-09-03", 0},
		{"across a bank holiday closure", "2027-04-26", "2027-05-07", 9},
		{"into an uncovered year", "2027-07-19", "2027-09-03", 3 + 3},
		{"wholly uncovered, with the Christmas substitutes", "2027-12-20", "2027-12-31", 8},
		{"before the first covered year, across Easter", "2025-04-14", "2025-04-25", 8},
		{"a covered year has no school days outside its terms", "2026-03-30", "2026-04-10", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.SchoolDays(d(tc.from), d(tc.to)); got != tc.want {
				t.Fatalf("SchoolDays(%s, %s) = %d, want %d", tc.from, tc.to, got, tc.want)
			}
		})
	}
	if got := c.SchoolDays(pme.Date{}, d("2026-09-10")); got != 0 {
		t.Fatalf("SchoolDays(zero, …) = %d, want 0", got)
	}
}

// TestSchoolDaysMatchesDayByDay checks the table and the arithmetic outside it against a plain
// day-by-day count, on random ranges across covered, uncovered and gap years.
func TestSchoolDaysMatchesDayByDay(t *testing.T) {
	gap, err := New([]pme.Term{
		{Name: "Autumn 2024", Start: d("2024-09-02"), End: d("2024-12-20")},
		{Name: "Autumn 2026", Start: d("2026-09-01"), End: d("2026-12-18")},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	none, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cals := map[string]*Calendar{"test": testCalendar(t), "default": Default(), "gap years": gap, "no terms": none}
	rng := rand.New(rand.NewSource(1))
	base := d("2022-06-01")
	for name, c := range cals {
		for i := 0; i < 400; i++ {
			from := base.AddDays(rng.Intn(3000))
			to := from.AddDays(rng.Intn(500) - 20)
			want := 0
			for x := from; !x.After(to); x = x.AddDays(1) {
				if c.schoolDay(x) {
					want++
				}
			}
			if got := c.SchoolDays(from, to); got != want {
				t.Fatalf("%s: SchoolDays(%s, %s) = %d, want %d", name, from, to, got, want)
			}
		}
	}
}

func TestAddSchoolDays(t *testing.T) {
	c := testCalendar(t)
	cases := []struct {
		name string
		from string
		n    int
		want string
	}{
		{"next day", "2026-09-07", 1, "2026-09-08"},
		{"over a weekend", "2026-09-11", 1, "2026-09-14"},
		{"from a Saturday", "2026-09-12", 1, "2026-09-14"},
		{"over half-term", "2026-10-23", 1, "2026-11-02"},
		{"sixth day of an exclusion across half-term", "2026-10-21", 5, "2026-11-04"},
		{"over Christmas", "2026-12-18", 1, "2027-01-05"},
		{"from the INSET day", "2026-09-03", 1, "2026-09-04"},
		{"over the summer into an uncovered year", "2027-07-21", 1, "2027-09-01"},
		{"n = 0 is the day itself", "2026-09-12", 0, "2026-09-12"},
		{"ten school days to reply", "2026-11-27", 10, "2026-12-11"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := c.AddSchoolDays(d(tc.from), tc.n)
			if !got.Equal(d(tc.want)) {
				t.Fatalf("AddSchoolDays(%s, %d) = %s, want %s", tc.from, tc.n, got, tc.want)
			}
			if tc.n > 0 && c.SchoolDays(d(tc.from).AddDays(1), got) != tc.n {
				t.Fatalf("SchoolDays(after %s, %s) = %d, want %d", tc.from, got, c.SchoolDays(d(tc.from).AddDays(1), got), tc.n)
			}
		})
	}
}

func TestTerm(t *testing.T) {
	c := testCalendar(t)
	cases := []struct {
		name       string
		day        string
		term, prev string // "" for false
	}{
		{"first day", "2026-09-03", "Autumn 2026", "Autumn 2026"},
		{"half-term does not split the term", "2026-10-28", "Autumn 2026", "Autumn 2026"},
		{"last day", "2026-12-18", "Autumn 2026", "Autumn 2026"},
		{"Christmas holiday", "2026-12-25", "", "Autumn 2026"},
		{"summer holiday", "2026-08-10", "", "Summer 2026"},
		{"day after the last term", "2027-07-22", "", "Summer 2027"},
		{"before every term", "2026-04-12", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := c.Term(d(tc.day))
			if got.Name != tc.term || ok != (tc.term != "") {
				t.Fatalf("Term(%s) = %q, %v, want %q", tc.day, got.Name, ok, tc.term)
			}
			got, ok = c.TermOrPrevious(d(tc.day))
			if got.Name != tc.prev || ok != (tc.prev != "") {
				t.Fatalf("TermOrPrevious(%s) = %q, %v, want %q", tc.day, got.Name, ok, tc.prev)
			}
		})
	}
}

func TestAcademicYear(t *testing.T) {
	cases := []struct{ day, start, end, name string }{
		{"2026-09-01", "2026-09-01", "2027-08-31", "2026/27"},
		{"2026-08-31", "2025-09-01", "2026-08-31", "2025/26"},
		{"2027-01-01", "2026-09-01", "2027-08-31", "2026/27"},
		{"2099-12-31", "2099-09-01", "2100-08-31", "2099/00"},
	}
	for _, tc := range cases {
		start, end, name := AcademicYear(d(tc.day))
		if start.String() != tc.start || end.String() != tc.end || name != tc.name {
			t.Errorf("AcademicYear(%s) = %s, %s, %q, want %s, %s, %q", tc.day, start, end, name, tc.start, tc.end, tc.name)
		}
	}
}

func TestNewRejects(t *testing.T) {
	autumn := pme.Term{Name: "Autumn", Start: d("2026-09-01"), End: d("2026-12-18")}
	cases := []struct {
		name     string
		terms    []pme.Term
		closures []pme.Closure
		want     string
	}{
		{"end before start", []pme.Term{{Name: "Bad", Start: d("2026-12-18"), End: d("2026-09-01")}}, nil, "ends"},
		{"no end", []pme.Term{{Name: "Open", Start: d("2026-09-01")}}, nil, "start and an end"},
		{"a year typed wrong", []pme.Term{{Name: "Autumn", Start: d("0026-09-01"), End: d("0026-12-18")}}, nil, "outside the years"},
		{"longer than a year", []pme.Term{{Name: "Long", Start: d("2026-09-01"), End: d("2027-12-18")}}, nil, "longer than a year"},
		{"overlap", []pme.Term{autumn, {Name: "Spring", Start: d("2026-12-18"), End: d("2027-03-26")}}, nil, "overlaps"},
		{"closure in the holidays", []pme.Term{autumn}, []pme.Closure{{Date: d("2026-12-21"), Reason: "INSET"}}, "not inside any term"},
		{"closure with no date", []pme.Term{autumn}, []pme.Closure{{Reason: "INSET"}}, "no date"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.terms, tc.closures)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestNewKeepsFirstReasonOfADuplicate(t *testing.T) {
	c, err := New([]pme.Term{{Name: "Autumn", Start: d("2026-09-01"), End: d("2026-12-18")}},
		[]pme.Closure{{Date: d("2026-09-01"), Reason: "INSET"}, {Date: d("2026-09-01"), Reason: "Training"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Closures(); len(got) != 1 || got[0].Reason != "INSET" {
		t.Fatalf("closures = %v, want one INSET", got)
	}
}

// A tracked calendar names the academic years outside its terms it counted school days in, so
// that a run can warn instead of guessing silently; the calendar it was made from stays untracked.
func TestTrackedNamesTheYearsAssumed(t *testing.T) {
	c := testCalendar(t)
	if got := c.Years(); strings.Join(got, " ") != "2025/26 2026/27" {
		t.Fatalf("Years() = %v, want 2025/26 2026/27", got)
	}
	cases := []struct {
		name string
		ask  func(c *Calendar)
		want string
	}{
		{"inside the terms", func(c *Calendar) { c.SchoolDays(d("2026-09-01"), d("2027-07-01")); c.IsSchoolDay(d("2026-05-04")) }, ""},
		{"a run date after the calendar", func(c *Calendar) { c.TermOrPrevious(d("2029-01-10")) }, "2028/29"},
		{"a count from a record before it", func(c *Calendar) { c.SchoolDays(d("2023-10-02"), d("2026-11-27")) }, "2023/24 2024/25"},
		{"a reply date running past it", func(c *Calendar) { c.AddSchoolDays(d("2027-08-30"), 3) }, "2027/28"},
		{"several questions", func(c *Calendar) {
			c.IsSchoolDay(d("2028-09-04"))
			c.SchoolDays(d("2024-01-01"), d("2024-02-01"))
			c.Term(d("2028-10-01"))
		}, "2023/24 2028/29"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := c.Tracked()
			tc.ask(tr)
			if got := strings.Join(tr.Assumed(), " "); got != tc.want {
				t.Fatalf("Assumed() = %q, want %q", got, tc.want)
			}
			if c.Assumed() != nil {
				t.Fatal("the untracked calendar recorded years")
			}
		})
	}
}
