package reports

import (
	"slices"
	"strings"
	"testing"

	"github.com/gocarina/gocsv"
)

// TestCSVHeadersAreTheSheetColumns checks that each CSV struct's tags are, in order, the columns
// the spec names and the workbook sheet shows: the struct is the CSV's header, so a field added to
// one and not the other would move every column after it.
func TestCSVHeadersAreTheSheetColumns(t *testing.T) {
	tests := []struct {
		name string
		rows any
		want []string
	}{
		{"cases", []caseLine{}, xlColumnNames(caseColumns)},
		{"feedback", []feedbackLine{}, xlColumnNames(feedbackColumns)},
		{"manifest", []manifestLine{}, ManifestHeader},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := gocsv.MarshalString(tc.rows)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Split(strings.TrimRight(out, "\n"), ",")
			if !slices.Equal(got, tc.want) {
				t.Errorf("header = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCSVCells(t *testing.T) {
	tests := []struct {
		name string
		cell gocsv.TypeMarshaller
		want string
	}{
		{"text", SafeText("Zoë"), "Zoë"},
		{"formula", SafeText("=1+1"), "'=1+1"},
		{"negative int", csvInt(-2), "'-2"},
		{"int", csvInt(3), "3"},
		{"row 0", csvRowNum(0), ""},
		{"row", csvRowNum(7), "7"},
		{"zero date", csvDate{}, ""},
	}
	for _, tc := range tests {
		got, err := tc.cell.MarshalCSV()
		if err != nil || got != tc.want {
			t.Errorf("%s: MarshalCSV = %q, %v, want %q", tc.name, got, err, tc.want)
		}
	}
}
