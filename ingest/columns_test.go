package ingest

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"pme"
)

func TestNormalizeHeader(t *testing.T) {
	tests := map[string]string{
		"UPN":                        "upn",
		"  Date   of Birth ":         "date of birth",
		"UPN*":                       "upn",
		"*Surname":                   "surname",
		"Date of Birth (dd/mm/yyyy)": "date of birth",
		"Parental Agreement (Y/N) ":  "parental agreement",
		"Start Date* (dd/mm/yyyy)":   "start date",
		"date_of-birth":              "date of birth",
		"Hours_Per_Week":             "hours per week",
		"No. of Sessions":            "no. of sessions",
		"Parent/Carer Agreement":     "parent/carer agreement",
		"Prénom":                     "prénom",
		"(Y/N)":                      "(y/n)", // a hint alone is the whole header
		"Date\u00a0of Birth":         "date of birth",
		"Reason (Code) (dd/mm/yyyy)": "reason (code)", // only the trailing hint goes
		"":                           "",
	}
	for in, want := range tests {
		if got := NormalizeHeader(in); got != want {
			t.Errorf("NormalizeHeader(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMatcher(t *testing.T) {
	m := NewMatcher(ReturnColumns("reduced-timetable"), map[string][]string{"UPN": {"Pupil UPN"}, "Hours Per Week": {"Contact Time"}})
	tests := map[string]string{
		"UPN": ColUPN, "unique pupil number": ColUPN, "Pupil UPN": ColUPN, "DOB (dd/mm/yyyy)": ColDOB,
		"End Date": ColPlannedEnd, "Hours": ColHoursPW, "contact_time": ColHoursPW, "Year": ColNCYear,
		"Review": ColReviewDate, "DfE No": ColLAESTAB, "Provider": "",
	}
	for in, want := range tests {
		got, ok := m.Match(in)
		if got != want || ok != (want != "") {
			t.Errorf("Match(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	ap := NewMatcher(ReturnColumns("alternative-provision"), nil)
	for in, want := range map[string]string{"End Date": ColEndDate, "Planned End Date": ColEndDate, "Hours Per Week": ColHoursAtProv, "Registered": ColRegistered} {
		if got, _ := ap.Match(in); got != want {
			t.Errorf("AP Match(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFindHeader(t *testing.T) {
	cols := []Column{{Name: "URN", Required: true}, {Name: "Name", Aliases: []string{"School Name"}}, {Name: "Town"}}
	it := &memRows{i: -1, lines: []string{
		"Schools extract",          // title
		"",                         // blank row
		"Generated|URN",            // one known word
		"URN *|School Name|Notes|", // the header: two known
		"100001|Synthetic Primary|x",
		"100002|Synthetic Academy",
	}}
	h, rest, err := FindHeader(it, cols, nil)
	if err != nil {
		t.Fatalf("FindHeader: %v", err)
	}
	if h.Row != 4 || h.Index["URN"] != 0 || h.Index["Name"] != 1 || h.Has("Town") || !slices.Equal(h.Unknown, []int{2}) || len(h.Missing) != 0 {
		t.Fatalf("header = %+v, want row 4, URN 0, Name 1, Notes unknown", h)
	}
	if got := h.ColumnName("Name"); got != "School Name" {
		t.Errorf("ColumnName(Name) = %q, want the header as written", got)
	}
	var got []string
	for rest.Next() {
		got = append(got, h.Text(rest.Row(), "URN")+"@"+strconv.Itoa(rest.Num()))
	}
	if want := []string{"100001@5", "100002@6"}; !slices.Equal(got, want) {
		t.Fatalf("rows after the header = %v, want %v", got, want)
	}
	if _, _, err := FindHeader(&memRows{i: -1, lines: []string{"nothing", "here"}}, cols, nil); !errors.Is(err, ErrNoHeader) {
		t.Fatalf("FindHeader without a header: err = %v, want ErrNoHeader", err)
	}
}

func TestFindHeaderOnlyFirst20Rows(t *testing.T) {
	lines := make([]string, 25)
	for i := range lines {
		lines[i] = "note"
	}
	lines[21] = "URN|Name"
	if _, _, err := FindHeader(&memRows{i: -1, lines: lines}, []Column{{Name: "URN"}, {Name: "Name"}}, nil); !errors.Is(err, ErrNoHeader) {
		t.Fatalf("header at row 22: err = %v, want ErrNoHeader", err)
	}
	lines[19] = "URN|Name"
	h, _, err := FindHeader(&memRows{i: -1, lines: lines}, []Column{{Name: "URN"}, {Name: "Name"}}, nil)
	if err != nil || h.Row != 20 {
		t.Fatalf("header at row 20: %+v, %v; want row 20", h, err)
	}
}

func TestValidateAliases(t *testing.T) {
	tests := []struct {
		name    string
		aliases map[string][]string
		wantErr string
	}{
		{"none", nil, ""},
		{"canonical names", map[string][]string{"UPN": {"Pupil UPN"}, "date of birth": {"Birthday"}, "Provider Name": {"Setting"}, "Sessions": {"Half Days"}}, ""},
		{"unknown column", map[string][]string{"Pupil Number": {"PN"}}, `"Pupil Number"`},
		{"an alias is not a canonical name", map[string][]string{"DOB": {"Birthday"}}, `"DOB"`},
		{"blank alias", map[string][]string{"UPN": {" * "}}, "blank alias"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateAliases(tc.aliases)
			if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("ValidateAliases = %v, want error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	m := NewMatcher(ReturnColumns("reduced-timetable"), nil)
	tests := map[string]string{"Date of Birht": ColDOB, "Surnme": ColSurname, "Hours per wk": ColHoursPW, "Favourite Colour": "", "Postcode": ""}
	for in, want := range tests {
		if got := suggest(m, in); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"zoë", "zoe", 1}, {"upn", "upn", 0}}
	for _, tc := range tests {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// Every column of every return has an id, and a mapped header finds a cell by id as it would by
// its Index map.
func TestReturnColumnIDs(t *testing.T) {
	for i, name := range returnColumnNames {
		if got := returnColumnID(name); got != i {
			t.Errorf("returnColumnID(%q) = %d, want %d", name, got, i)
		}
	}
	if got := returnColumnID("Town"); got != -1 {
		t.Errorf("returnColumnID(Town) = %d, want -1", got)
	}
	for _, typ := range pme.ReturnTypes {
		m := NewMatcher(ReturnColumns(typ), nil)
		var header []Cell
		for _, c := range m.Columns() {
			if returnColumnID(c.Name) < 0 {
				t.Errorf("column %q of %s has no id", c.Name, typ)
			}
			header = append(header, Cell{Value: c.Name})
		}
		header = append(header[:2], append([]Cell{{Value: "Notes"}}, header[2:len(header)-1]...)...) // an unknown column, the last missing
		h := m.MapHeader(1, header)
		row := make([]Cell, len(header)-1) // a row shorter than the header
		for i := range row {
			row[i] = Cell{Value: strconv.Itoa(i)}
		}
		byMap := &Header{Index: h.Index, Written: h.Written}
		for _, c := range m.Columns() {
			if got, want := h.Cell(row, c.Name), byMap.Cell(row, c.Name); got != want || h.Has(c.Name) != byMap.Has(c.Name) ||
				h.ColumnName(c.Name) != byMap.ColumnName(c.Name) {
				t.Errorf("%s: Cell(%q) = %v, want %v", typ, c.Name, got, want)
			}
		}
	}
}
