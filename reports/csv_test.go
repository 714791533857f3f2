package reports

import (
	"bytes"
	"encoding/csv"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gocarina/gocsv"

	"pme"
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

// TestFeedbackCSVChunks: a CSV longer than one chunk is the bytes encoding/csv writes for the same
// cells (SafeCell on each, as before gocsv), with one header.
func TestFeedbackCSVChunks(t *testing.T) {
	var issues []pme.Issue
	for i := 0; i < 2*csvChunk+7; i++ {
		issues = append(issues, pme.Issue{Sheet: "Suspensions", Row: i + 2, Column: "Sessions", Value: "-" + strconv.Itoa(i),
			Code: pme.CodeNumberInvalid, Severity: pme.SeverityError, Message: "Sessions must be a whole number, \"1\" to 90."})
	}
	paths, err := WriteFeedback(t.TempDir(), Feedback{File: "big.csv", Status: pme.FilePartial, Issues: issues})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	want.WriteString("\ufeff")
	cw := csv.NewWriter(&want)
	cw.UseCRLF = true
	cw.Write(xlColumnNames(feedbackColumns))
	for _, is := range issues {
		cw.Write([]string{SafeCell(is.Sheet), strconv.Itoa(is.Row), SafeCell(is.Column), SafeCell(is.Value),
			SafeCell(is.Severity), SafeCell(is.Code), SafeCell(is.Message)})
	}
	cw.Flush()
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("feedback CSV of %d issues differs from encoding/csv's bytes (%d bytes, want %d)", len(issues), len(got), want.Len())
	}
}
