package ingest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"pme"
)

// weekdays is a calendar of every weekday in the academic years 2024/25 to 2026/27 (the tests' own,
// so that they do not depend on the built-in term dates).
type weekdays struct{}

func (weekdays) Covers(d pme.Date) bool {
	return !d.Before(pme.MustDate("2024-09-01")) && d.Before(pme.MustDate("2027-09-01"))
}
func (weekdays) IsSchoolDay(d pme.Date) bool { return d.Weekday() >= 1 && d.Weekday() <= 5 }

func attOptions() Options {
	return Options{Attendance: AttendanceOptions{Only: true, Calendar: weekdays{}}, Schools: memDirectory{"8912345": "100001"}}
}

// codesOf lists the issues as "row code".
func codesOf(is []pme.Issue) []string {
	var out []string
	for _, i := range is {
		out = append(out, fmt.Sprintf("%d %s", i.Row, i.Code))
	}
	return out
}

func TestAttendanceLong(t *testing.T) {
	u1, u2 := testUPN(1), testUPN(2)
	res, sink, err := parseSheets(t, attOptions(), sheet("",
		"UPN|LAESTAB|Date|Session|Code",
		u1+"|8912345|23/11/2026|AM|C2",
		u1+"|8912345|23/11/2026|pm| c2 ", // lower case and spaced: normalised
		u1+"|8912345|23/11/2026|PM|E",    // 4: the same mark with another code: error
		u1+"|8912345|23/11/2026|PM|C2",   // 5: an exact copy: skipped, warning
		u2+"|8912345|24/11/2026|Noon|/",  // 6: neither AM nor PM
		u2+"|8912345|24/11/2026|AM|ZZ",   // 7: not a code
		u2+"|9999999|24/11/2026|AM|/",    // 8: school not in the directory
		u2+"|8912345|24/11/2023|AM|/",    // 9: outside the calendar's academic years
		u2+"|8912345|22/11/2026|AM|H",    // 10: a Sunday, and a withdrawn code
		u2+"|8912345|25/11/2026|AM|I",
	))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := []string{"4 DUPLICATE_ROW", "5 DUPLICATE_ROW", "6 ATT_SESSION", "7 ATT_CODE_UNKNOWN", "8 SCHOOL_UNKNOWN",
		"9 ATT_DATE_YEAR", "10 ATT_NOT_SCHOOL_DAY", "10 ATT_CODE_WITHDRAWN"}
	if got := codesOf(sink.issues); !reflect.DeepEqual(got, want) {
		t.Fatalf("issues = %q, want %q", got, want)
	}
	sh := res.Sheets[0]
	if sh.ReturnType != pme.AttendanceMarks || sh.Rows != 10 || sh.Accepted != 4 || sh.Rejected != 5 || sh.Skipped != 1 {
		t.Fatalf("sheet = %+v", sh)
	}
	if r := sink.records[1].Attendance; r.PM != "C2" || r.AM != "" {
		t.Fatalf("second mark = %+v, want PM C2", r)
	}
}

func TestAttendanceWideAndSummary(t *testing.T) {
	u1 := testUPN(1)
	_, sink, err := parseSheets(t, attOptions(),
		sheet("Marks", "Register extract", "", "UPN|School URN|Surname|Forename|DOB|Date|AM|PM",
			u1+"|100001|Lovelace|Ada|10/12/2014|23/11/2026|C2|/",
			u1+"|100001|Lovelace|Ada|10/12/2014|24/11/2026||"),
		sheet("Summary", "UPN|LAESTAB|From|To|Possible Sessions|Present|C2|E",
			u1+"|8912345|02/11/2026|27/11/2026|40|30|8|2",
			u1+"|8912345|02/12/2026|04/12/2026|6|4|4|"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := []string{"5 REQUIRED", "3 ATT_COUNTS"}
	if got := codesOf(sink.issues); !reflect.DeepEqual(got, want) {
		t.Fatalf("issues = %q, want %q", got, want)
	}
	if len(sink.records) != 2 {
		t.Fatalf("records = %d, want 2", len(sink.records))
	}
	day, sum := sink.records[0], sink.records[1]
	if day.LAESTAB != "8912345" || day.Attendance.AM != "C2" || day.Attendance.PM != "/" || day.Pupil.Surname != "Lovelace" {
		t.Fatalf("day = %+v %+v", day, day.Attendance)
	}
	if sum.Type != pme.AttendanceSummary || sum.Attendance.Possible != 40 || !reflect.DeepEqual(sum.Attendance.Counts, map[string]int{"/": 30, "C2": 8, "E": 2}) {
		t.Fatalf("summary = %+v", sum.Attendance)
	}
}

// Rows of garbage under a header are refused as a whole after attGiveUpRows rows, not read to the
// end: the issues stay bounded.
func TestAttendanceGarbageGivesUp(t *testing.T) {
	lines := []string{"UPN|LAESTAB|Date|Session|Code"}
	for i := 0; i < 3*attGiveUpRows; i++ {
		lines = append(lines, "x|y|z|w|v")
	}
	_, sink, err := parseSheets(t, attOptions(), sheet("", lines...))
	var fe *pme.FileError
	if !errors.As(err, &fe) || fe.Code != pme.CodeFileUnreadable {
		t.Fatalf("err = %v, want FILE_UNREADABLE", err)
	}
	if len(sink.issues) > 5*attGiveUpRows {
		t.Fatalf("%d issues kept", len(sink.issues))
	}
}

// A returns file is not an attendance extract: `pme load attendance` refuses it as a whole.
func TestAttendanceOnlyRefusesReturns(t *testing.T) {
	_, _, err := parseSheets(t, attOptions(), sheet("", strings.Join(suHeader, "|"), line(suHeader, suValid, nil)))
	var fe *pme.FileError
	if !errors.As(err, &fe) || fe.Code != pme.CodeFileMissingColumns || !strings.Contains(fe.Message, "attendance") {
		t.Fatalf("err = %v, want FILE_MISSING_COLUMNS naming the attendance columns", err)
	}
}
