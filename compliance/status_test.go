package compliance

import (
	"fmt"
	"testing"

	"pme"
	"pme/calendar"
)

var rt, ap, su = pme.ReducedTimetable, pme.AlternativeProvision, pme.Suspensions

func school(laestab string) pme.ExpectedSchool {
	return pme.ExpectedSchool{LAESTAB: laestab, Name: "School " + laestab}
}

// TestStatus: November 2026 is due on 6 November (its fifth school day).
func TestStatus(t *testing.T) {
	nov := pme.Period{ID: "2026-11", Start: pme.MustDate("2026-11-01"), End: pme.MustDate("2026-11-30"), Due: pme.MustDate("2026-11-06")}
	aug := pme.Period{ID: "2027-08", Start: pme.MustDate("2027-08-01"), End: pme.MustDate("2027-08-31")}
	rec := func(day string, rows, accepted int) pme.Receipt {
		return pme.Receipt{LAESTAB: "8912345", Type: rt, Received: pme.MustDate(day), Rows: rows, Accepted: accepted}
	}
	tests := []struct {
		name     string
		school   pme.ExpectedSchool
		period   pme.Period
		today    string
		receipts []pme.Receipt
		rejected []pme.RejectedFile
		since    string
		want     Cell
	}{
		{"returned before the due date", school("8912345"), nov, "2026-11-27", []pme.Receipt{rec("2026-11-03", 4, 4)}, nil, "",
			Cell{pme.StatusReturned, pme.MustDate("2026-11-03"), 4}},
		{"returned on the due day itself is on time", school("8912345"), nov, "2026-11-27", []pme.Receipt{rec("2026-11-06", 5, 3)}, nil, "",
			Cell{pme.StatusReturned, pme.MustDate("2026-11-06"), 3}},
		{"the day after the due date is late", school("8912345"), nov, "2026-11-27", []pme.Receipt{rec("2026-11-07", 4, 4)}, nil, "",
			Cell{pme.StatusLate, pme.MustDate("2026-11-07"), 4}},
		{"nil return on time", school("8912345"), nov, "2026-11-27", []pme.Receipt{rec("2026-11-02", 0, 0)}, nil, "",
			Cell{pme.StatusNil, pme.MustDate("2026-11-02"), 0}},
		{"a nil return sent late is late", school("8912345"), nov, "2026-11-27", []pme.Receipt{rec("2026-11-12", 0, 0)}, nil, "",
			Cell{pme.StatusLate, pme.MustDate("2026-11-12"), 0}},
		{"nothing, due date passed: missing", school("8912345"), nov, "2026-11-09", nil, nil, "",
			Cell{Status: pme.StatusMissing}},
		{"nothing, on the due day: not due yet", school("8912345"), nov, "2026-11-06", nil, nil, "",
			Cell{Status: pme.StatusNotDue}},
		{"a file received before the period counts in its own period, never later", school("8912345"), nov, "2026-11-27",
			[]pme.Receipt{rec("2026-10-30", 4, 4)}, nil, "", Cell{Status: pme.StatusMissing}},
		{"only a wholly rejected file", school("8912345"), nov, "2026-11-27", nil,
			[]pme.RejectedFile{{LAESTAB: "8912345", Name: "8912345_returns.xls", Received: pme.MustDate("2026-11-04")}}, "",
			Cell{Status: pme.StatusRejectedOnly, Received: pme.MustDate("2026-11-04")}},
		{"a rejected file whose readable rows name the school counts for it too", school("8912345"), nov, "2026-11-27", nil,
			[]pme.RejectedFile{{LAESTAB: "8912399", Schools: []string{"8912345", "8912399"}, Name: "8912399_trust.csv", Received: pme.MustDate("2026-11-04")}}, "",
			Cell{Status: pme.StatusRejectedOnly, Received: pme.MustDate("2026-11-04")}},
		{"a rejected file with no school in its name counts for the schools its rows name", school("8912345"), nov, "2026-11-27", nil,
			[]pme.RejectedFile{{Schools: []string{"8912345"}, Name: "returns.csv", Received: pme.MustDate("2026-11-04")}}, "",
			Cell{Status: pme.StatusRejectedOnly, Received: pme.MustDate("2026-11-04")}},
		{"a rejected file naming other schools only does not count", school("8912345"), nov, "2026-11-27", nil,
			[]pme.RejectedFile{{LAESTAB: "8912399", Schools: []string{"8912346"}, Received: pme.MustDate("2026-11-04")}}, "",
			Cell{Status: pme.StatusMissing}},
		{"returned, then a rejected file naming the school in its rows: still returned", school("8912345"), nov, "2026-11-27",
			[]pme.Receipt{rec("2026-11-02", 2, 2)},
			[]pme.RejectedFile{{LAESTAB: "8912399", Schools: []string{"8912345"}, Received: pme.MustDate("2026-11-04")}}, "",
			Cell{pme.StatusReturned, pme.MustDate("2026-11-02"), 2}},
		{"a sheet whose every row was rejected", school("8912345"), nov, "2026-11-27", []pme.Receipt{rec("2026-11-04", 6, 0)}, nil, "",
			Cell{Status: pme.StatusRejectedOnly, Received: pme.MustDate("2026-11-04")}},
		{"rejected, then sent again late: late", school("8912345"), nov, "2026-11-27", []pme.Receipt{rec("2026-11-10", 6, 6)},
			[]pme.RejectedFile{{LAESTAB: "8912345", Received: pme.MustDate("2026-11-04")}}, "",
			Cell{pme.StatusLate, pme.MustDate("2026-11-10"), 6}},
		{"returned, then a rejected file: still returned", school("8912345"), nov, "2026-11-27", []pme.Receipt{rec("2026-11-02", 2, 2)},
			[]pme.RejectedFile{{LAESTAB: "8912345", Received: pme.MustDate("2026-11-04")}}, "",
			Cell{pme.StatusReturned, pme.MustDate("2026-11-02"), 2}},
		{"late, then on time is impossible; late then a later correction keeps the first late date", school("8912345"), nov, "2026-11-27",
			[]pme.Receipt{rec("2026-11-20", 2, 2), rec("2026-11-10", 3, 3)}, nil, "",
			Cell{pme.StatusLate, pme.MustDate("2026-11-10"), 3}},
		{"two on time: the latest stands", school("8912345"), nov, "2026-11-27", []pme.Receipt{rec("2026-11-05", 2, 2), rec("2026-11-02", 0, 0)}, nil, "",
			Cell{pme.StatusReturned, pme.MustDate("2026-11-05"), 2}},
		{"another school's file does not count", school("8912345"), nov, "2026-11-27",
			[]pme.Receipt{{LAESTAB: "8912346", Type: rt, Received: pme.MustDate("2026-11-03"), Rows: 1, Accepted: 1}}, nil, "",
			Cell{Status: pme.StatusMissing}},
		{"opened after the due date: not expected", pme.ExpectedSchool{LAESTAB: "8912345", OpenDate: pme.MustDate("2026-11-10")}, nov, "2026-11-27", nil, nil, "",
			Cell{}},
		{"opened on the due date: expected", pme.ExpectedSchool{LAESTAB: "8912345", OpenDate: pme.MustDate("2026-11-06")}, nov, "2026-11-27", nil, nil, "",
			Cell{Status: pme.StatusMissing}},
		{"closed before the due date: not expected", pme.ExpectedSchool{LAESTAB: "8912345", CloseDate: pme.MustDate("2026-11-04")}, nov, "2026-11-27", nil, nil, "",
			Cell{}},
		{"closed after the due date: expected", pme.ExpectedSchool{LAESTAB: "8912345", CloseDate: pme.MustDate("2026-11-20")}, nov, "2026-11-27", nil, nil, "",
			Cell{Status: pme.StatusMissing}},
		{"the summer holiday expects nothing", school("8912345"), aug, "2027-09-20", nil, nil, "", Cell{}},
		{"before pme received any return: not counted", school("8912345"), nov, "2027-01-20", nil, nil, "2026-12-03", Cell{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Schools: []pme.ExpectedSchool{tc.school}, Periods: []pme.Period{tc.period}, Types: []pme.ReturnType{rt, ap},
				Receipts: tc.receipts, Rejected: tc.rejected, Today: pme.MustDate(tc.today)}
			if tc.since != "" {
				in.Since = pme.MustDate(tc.since)
			}
			g := Compute(in)
			if got := g.Cell(0, 0, 0); got != tc.want {
				t.Fatalf("cell = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestMissingInARow(t *testing.T) {
	p := periods(t, pme.Monthly, 5)
	pers := p.Last(pme.MustDate("2026-12-03"), 6) // 2026-07 .. 2026-12; August expects nothing, December not due
	s := []pme.ExpectedSchool{school("8910001"), school("8910002"), school("8910003"), school("8910004")}
	var receipts []pme.Receipt
	for _, per := range pers {
		if per.ID == "2026-07" || per.ID == "2026-10" {
			receipts = append(receipts, pme.Receipt{LAESTAB: "8910002", Type: rt, Received: per.Start.AddDays(2)},
				pme.Receipt{LAESTAB: "8910002", Type: su, Received: per.Start.AddDays(2)})
		}
		if per.ID == "2026-09" || per.ID == "2026-10" || per.ID == "2026-11" {
			receipts = append(receipts, pme.Receipt{LAESTAB: "8910003", Type: rt, Received: per.Start.AddDays(2)},
				pme.Receipt{LAESTAB: "8910003", Type: su, Received: per.Start.AddDays(2)})
		}
	}
	g := Compute(Input{Schools: s, Periods: pers, Types: []pme.ReturnType{rt, su}, Receipts: receipts,
		Today: pme.MustDate("2026-12-03"), Since: pme.MustDate("2026-07-01")})
	want := []int{4, 1, 0, 4} // Jul, Sep, Oct, Nov missing (August skipped); 0002 returned in October
	for i := range s {
		if got := g.MissingInARow(i); got != want[i] {
			t.Errorf("MissingInARow(%s) = %d, want %d", s[i].LAESTAB, got, want[i])
		}
	}
	if got := g.MissingTypes(1, 4); len(got) != 2 {
		t.Errorf("MissingTypes(0002, Nov) = %v, want both", got)
	}
	if got := g.MissedSince(1, rt, pme.MustDate("2026-10-03")); got != 1 {
		t.Errorf("MissedSince(0002, RT, 3 Oct) = %d, want 1 (November)", got)
	}
	if got := g.WorstFirst(0); s[got[len(got)-1]].LAESTAB != "8910003" {
		t.Errorf("WorstFirst = %v, want 8910003 last", got)
	}
	// Since cuts the run short.
	g = Compute(Input{Schools: s, Periods: pers, Types: []pme.ReturnType{rt}, Today: pme.MustDate("2026-12-03"), Since: pme.MustDate("2026-10-15")})
	if got := g.MissingInARow(0); got != 2 {
		t.Errorf("MissingInARow since 15 October = %d, want 2", got)
	}
}

func TestExpected(t *testing.T) {
	la := func(laestab, status, group string) pme.School {
		return pme.School{URN: "1" + laestab[1:], LAESTAB: laestab, Name: laestab, Status: status, TypeGroup: group}
	}
	closed := la("8910006", "Closed", "Academies")
	closed.CloseDate = pme.MustDate("2026-11-20")
	schools := []pme.School{
		la("8910001", "Open", "Local authority maintained schools"),
		la("8910002", "Open, but proposed to close", "academies"),
		la("8910003", "Open", "Independent schools"),
		la("9990004", "Open", "Academies"),
		la("8910005", "Closed", "Academies"),
		closed,
		la("8910007", "Open", "Free Schools"),
		la("8910008", "Proposed to open", "Free Schools"),
	}
	got := Expected(schools, Scope{LACodes: []string{"891"}, ExcludeLAESTAB: []string{"8910007"},
		TypeGroups: []string{"Local authority maintained schools", "Academies", "Free Schools", "Special schools"}})
	var ids []string
	for _, e := range got {
		ids = append(ids, e.LAESTAB)
	}
	if fmt.Sprint(ids) != "[8910001 8910002 8910006]" {
		t.Fatalf("Expected = %v, want [8910001 8910002 8910006]", ids)
	}
}

// BenchmarkCompute: all of England, 24,000 schools × 3 types × 12 monthly periods, most returned.
func BenchmarkCompute(b *testing.B) {
	per := benchPeriods(b)
	schools := make([]pme.ExpectedSchool, 24000)
	var receipts []pme.Receipt
	for i := range schools {
		schools[i] = school(fmt.Sprintf("%03d%04d", 800+i/5000, i%5000))
		for j, pp := range per {
			if (i+j)%7 == 0 {
				continue // missing
			}
			for _, typ := range pme.ReturnTypes {
				receipts = append(receipts, pme.Receipt{LAESTAB: schools[i].LAESTAB, Type: typ, Received: pp.Start.AddDays((i + j) % 12), Rows: i % 3, Accepted: i % 3})
			}
		}
	}
	in := Input{Schools: schools, Periods: per, Types: pme.ReturnTypes, Receipts: receipts, Today: pme.MustDate("2026-12-07")}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g := Compute(in)
		for s := range g.Schools {
			g.MissingInARow(s)
		}
		g.WorstFirst(0)
	}
	b.ReportMetric(float64(len(schools)*len(per)*3)*float64(b.N)/b.Elapsed().Seconds(), "cells/s")
}

func benchPeriods(b *testing.B) []pme.Period {
	b.Helper()
	pp, err := NewPeriods(calendarDefault(), pme.Monthly, 5)
	if err != nil {
		b.Fatal(err)
	}
	return pp.Last(pme.MustDate("2026-12-07"), 12)
}

func calendarDefault() *calendar.Calendar { return calendar.Default() }
