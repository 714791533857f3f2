package reports

import (
	"strings"
	"testing"

	"pme"
)

// sampleReturns is two periods of the three types for four schools, the demo's cases: one that
// never returns, one late, one nil, one whose only file was rejected.
func sampleReturns() *ReturnsSheet {
	oct := pme.Period{ID: "2026-10", Start: pme.MustDate("2026-10-01"), End: pme.MustDate("2026-10-31"), Due: pme.MustDate("2026-10-07")}
	nov := pme.Period{ID: "2026-11", Start: pme.MustDate("2026-11-01"), End: pme.MustDate("2026-11-30"), Due: pme.MustDate("2026-11-06")}
	c := func(st pme.ReturnStatus, received string) ReturnsCell {
		cell := ReturnsCell{Status: st}
		if received != "" {
			cell.Received = pme.MustDate(received)
		}
		return cell
	}
	miss, ret, nilR := c(pme.StatusMissing, ""), c(pme.StatusReturned, "2026-10-03"), c(pme.StatusNil, "2026-11-02")
	return &ReturnsSheet{
		Periods: []pme.Period{oct, nov},
		Types:   []pme.ReturnType{pme.ReducedTimetable, pme.AlternativeProvision, pme.Suspensions},
		Rows: []ReturnsRow{
			{"8912001", "Silent Academy", []ReturnsCell{miss, miss, miss, miss, miss, miss}},
			{"8912002", "=Rejected School", []ReturnsCell{ret, ret, ret,
				c(pme.StatusRejectedOnly, "2026-11-04"), c(pme.StatusRejectedOnly, "2026-11-04"), c(pme.StatusRejectedOnly, "2026-11-04")}},
			{"8912003", "Late Academy", []ReturnsCell{ret, ret, ret,
				c(pme.StatusLate, "2026-11-12"), c(pme.StatusLate, "2026-11-12"), c(pme.StatusLate, "2026-11-12")}},
			{"8912004", "Nil Primary", []ReturnsCell{ret, ret, ret, nilR, nilR, nilR}},
			{"8912005", "Opened Mid-Year School", []ReturnsCell{{}, {}, {}, c(pme.StatusNotDue, ""), c(pme.StatusNotDue, ""), c(pme.StatusNotDue, "")}},
		},
		Counts: map[pme.ReturnStatus]int{pme.StatusMissing: 3, pme.StatusRejectedOnly: 3, pme.StatusLate: 3, pme.StatusNil: 3, pme.StatusNotDue: 3},
	}
}

// TestFlaggedReportReturnsSheet: the Returns sheet (compliance.md) holds each school's statuses
// with the date received, coloured by status, prints landscape one page wide with its header
// row repeated, and the Summary counts the current period.
func TestFlaggedReportReturnsSheet(t *testing.T) {
	r := FlaggedReport{Today: pme.MustDate("2026-11-27"), Returns: sampleReturns(),
		NotReturning: []NotReturningRow{{LAESTAB: "8912001", School: "Silent Academy", Types: "Reduced timetables, Alternative provision, Suspensions",
			PeriodsMissed: 2, Children: 3}}}
	paths, err := WriteFlaggedReport(t.TempDir(), r)
	if err != nil {
		t.Fatal(err)
	}
	f := openReport(t, paths[0])
	if got := strings.Join(f.GetSheetList(), ","); !strings.Contains(got, "Returns,Schools not returning") {
		t.Fatalf("sheets = %s, want Returns and Schools not returning", got)
	}
	checkTable(t, f, "Returns", []string{"LAESTAB", "School", "2026-10\nRT\ndue 07/10/2026", "2026-10\nAP\ndue 07/10/2026",
		"2026-10\nSuspensions\ndue 07/10/2026", "2026-11\nRT\ndue 06/11/2026", "2026-11\nAP\ndue 06/11/2026",
		"2026-11\nSuspensions\ndue 06/11/2026"})
	checkTextCell(t, f, "Returns", "B3", "'=Rejected School")
	for _, c := range []struct{ cell, text, fill string }{
		{"C2", "missing", "FFC7CE"}, {"F3", "rejected-only\n04/11/2026", "F8CBAD"}, {"F4", "late\n12/11/2026", "FFEB9C"},
		{"F5", "nil\n02/11/2026", "C6EFCE"}, {"C5", "returned\n03/10/2026", "C6EFCE"}, {"F6", "not-due", "EDEDED"}, {"C6", "", ""},
	} {
		if got, _ := f.GetCellValue("Returns", c.cell); got != c.text {
			t.Errorf("Returns!%s = %q, want %q", c.cell, got, c.text)
		}
		id, err := f.GetCellStyle("Returns", c.cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(st.Fill.Color, ""); got != c.fill {
			t.Errorf("Returns!%s fill = %q, want %q", c.cell, got, c.fill)
		}
	}
	layout, err := f.GetPageLayout("Returns")
	if err != nil {
		t.Fatal(err)
	}
	if layout.Orientation == nil || *layout.Orientation != "landscape" || layout.FitToWidth == nil || *layout.FitToWidth != 1 ||
		layout.FitToHeight == nil || *layout.FitToHeight != 0 {
		t.Errorf("Returns page layout = %+v, want landscape, one page wide", layout)
	}
	if h, _ := f.GetRowHeight("Returns", 2); h < 24 {
		t.Errorf("Returns row 2 is %.1f points tall, want room for a status over its date", h)
	}
	if panes, _ := f.GetPanes("Returns"); panes.TopLeftCell != "C2" {
		t.Errorf("Returns frozen at %s, want C2 (LAESTAB and school stay in view)", panes.TopLeftCell)
	}
	props, err := f.GetSheetProps("Returns")
	if err != nil || props.FitToPage == nil || !*props.FitToPage {
		t.Errorf("Returns FitToPage = %v, %v; want true", props.FitToPage, err)
	}
	titles := false
	for _, dn := range f.GetDefinedName() {
		titles = titles || (dn.Name == "_xlnm.Print_Titles" && dn.Scope == "Returns" && dn.RefersTo == "'Returns'!$1:$1")
	}
	if !titles {
		t.Errorf("Returns has no print titles repeating row 1: %+v", f.GetDefinedName())
	}
	sum := summaryText(t, paths[0])
	for _, want := range []string{"Returns for 2026-11 (see Returns) 3 missing, 3 rejected-only, 3 late, 3 not-due, 3 nil",
		"Schools not returning (see that sheet) 1"} {
		if !strings.Contains(sum, want) {
			t.Errorf("Summary lacks %q:\n%s", want, sum)
		}
	}
	checkTable(t, f, "Schools not returning", xlColumnNames(notReturningColumns))
	checkReportGolden(t, "flagged-returns.xlsx.txt", dumpWorkbook(t, paths[0]))
}
