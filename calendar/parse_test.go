package calendar

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseFormats(t *testing.T) {
	for _, name := range []string{"half-terms-as-ranges.yaml", "uk-dates.csv", "no-extension"} {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			terms, closures, err := Parse(f, name)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			c, err := New(terms, closures)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			// Every file describes the same autumn term: 01/09/2026 to 18/12/2026, INSET on the
			// first two days, half-term 26–30/10/2026 written as a range that runs over the weekend.
			if len(terms) != 1 || terms[0].Name != "Autumn 2026" || terms[0].Start != d("2026-09-01") || terms[0].End != d("2026-12-18") {
				t.Fatalf("terms = %v", terms)
			}
			if got := len(c.Closures()); got != 7 {
				t.Fatalf("closures = %d (%v), want 7: two INSET days and five half-term weekdays", got, c.Closures())
			}
			if got := c.SchoolDays(d("2026-09-01"), d("2026-12-18")); got != 4+15*5-2-5 {
				t.Fatalf("school days = %d, want %d", got, 4+15*5-2-5)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, file, text, want string
	}{
		{"bad YAML date", "c.yaml", "terms:\n  - {name: Autumn, start: 2026-09-01, end: 2026-12-18}\n  - {name: Spring, start: 2027-13-01, end: 2027-03-26}\n", "line 3: start \"2027-13-01\" is not a date"},
		{"US date", "c.yaml", "terms:\n  - {name: Autumn, start: 09/13/2026, end: 2026-12-18}\n", "line 2"},
		{"unknown key", "c.yaml", "terms: []\nholidays: []\n", "line 2: unknown key \"holidays\""},
		{"closure with date and range", "c.yaml", "terms:\n  - {name: A, start: 2026-09-01, end: 2026-12-18}\nclosures:\n  - {date: 2026-09-01, from: 2026-09-01, to: 2026-09-02}\n", "line 4: a closure has either date or from/to"},
		{"closure range backwards", "c.yaml", "terms:\n  - {name: A, start: 2026-09-01, end: 2026-12-18}\nclosures:\n  - {from: 2026-10-30, to: 2026-10-26}\n", "line 4: closure ends"},
		{"term without a name", "c.yaml", "terms:\n  - {start: 2026-09-01, end: 2026-12-18}\n", "line 2: a term needs a name"},
		{"term ending before it starts", "c.yaml", "terms:\n  - {name: A, start: 2026-12-18, end: 2026-09-01}\n", "line 2: calendar: term \"A\" ends"},
		{"no terms", "c.yaml", "closures: []\n", "no terms"},
		{"not YAML", "c.yaml", "terms: [\n", "calendar c.yaml"},
		{"CSV unknown type", "c.csv", "Type,Name,Start,End\nterm,Autumn,01/09/2026,18/12/2026\nholiday week,x,01/09/2026,\n", "line 3: Type \"holiday week\""},
		{"CSV missing column", "c.csv", "Kind,Name,Start,End\n", "line 1: no type column"},
		{"CSV bad date", "c.csv", "Type,Name,Start,End\nterm,Autumn,01/09/2026,31/11/2026\n", "line 2: end \"31/11/2026\" is not a date"},
		{"CSV closure without a start", "c.csv", "Type,Name,Start,End\nterm,Autumn,01/09/2026,18/12/2026\nclosure,INSET,,\n", "line 3: closure date is missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Parse(strings.NewReader(tc.text), tc.file)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestParseDefaultFileRoundTrip(t *testing.T) {
	terms, closures, err := Parse(strings.NewReader(string(DefaultFile())), "england.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(terms) != len(Default().Terms()) || len(closures) != len(Default().Closures()) {
		t.Fatalf("parsed %d terms and %d closures, Default has %d and %d", len(terms), len(closures),
			len(Default().Terms()), len(Default().Closures()))
	}
}

// FuzzParse: hostile bytes never panic, and whatever Parse accepts, New either accepts or refuses
// with an error.
func FuzzParse(f *testing.F) {
	f.Add([]byte("terms:\n  - {name: A, start: 2026-09-01, end: 2026-12-18}\nclosures:\n  - {from: 2026-10-26, to: 2026-10-30}\n"), "c.yaml")
	f.Add([]byte("Type,Name,Start,End\nterm,A,01/09/2026,18/12/2026\nclosure,INSET,01/09/2026,\n"), "c.csv")
	f.Add([]byte("terms: [{name: A, start: 0001-01-01, end: 9999-12-31}]"), "c")
	f.Fuzz(func(t *testing.T, b []byte, name string) {
		terms, closures, err := Parse(strings.NewReader(string(b)), name)
		if err != nil {
			return
		}
		if c, err := New(terms, closures); err == nil && len(terms) > 0 {
			c.SchoolDays(terms[0].Start, terms[0].End)
		}
	})
}
