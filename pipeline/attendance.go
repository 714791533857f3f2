package pipeline

import (
	"context"
	"sort"

	"pme"
	"pme/calendar"
	"pme/ingest"
	"pme/rules"
	"pme/store"
)

// LoadAttendance loads attendance register extracts (attendance.md): each file as `pme ingest`
// takes a return (one transaction, archived, feedback for any issue, recognised by its hash on a
// rerun), reading only the attendance shapes. Files dropped in inbox/ are recognised by their
// header by `pme ingest` and `pme run` as well.
func (e *Env) LoadAttendance(ctx context.Context, paths []string) (IngestSummary, error) {
	if len(paths) == 0 {
		return IngestSummary{Files: []FileSummary{}}, usageErrorf("name the attendance files to load: pme load attendance FILE...")
	}
	return e.ingestPaths(ctx, paths, true)
}

// attendanceOptions are the attendance reader's settings: the calendar for school days and
// academic years, and the row limit of an attendance sheet.
func (e *Env) attendanceOptions(ctx context.Context, only bool) (ingest.AttendanceOptions, error) {
	cal, err := e.Calendar(ctx)
	if err != nil {
		return ingest.AttendanceOptions{}, err
	}
	return ingest.AttendanceOptions{Only: only, MaxRowsPerSheet: e.Config.Attendance.MaxRowsPerSheet, Calendar: cal}, nil
}

// attendanceLimits are the reader's limits for a file: a sheet may be as long as an attendance
// sheet may (the parser holds returns to their own limit), and a file named to `pme load
// attendance` as large as attendance.max_file_mb.
func (e *Env) attendanceLimits(att ingest.AttendanceOptions) ingest.Limits {
	lim := e.limits()
	lim.MaxRowsPerSheet = max(lim.MaxRowsPerSheet, att.MaxRowsPerSheet)
	if att.Only && e.Config.Attendance.MaxFileMB > 0 {
		lim.MaxFileBytes = int64(e.Config.Attendance.MaxFileMB) << 20
	}
	return lim
}

// attendanceFacts is the register's aggregate for a flag run, worked out once for the whole year
// (one pass over the marks) and handed to the rules a range of pupils at a time.
type attendanceFacts struct {
	facts   []pme.AttendanceFact // by pupil id
	windows rules.AttendanceWindows
	schools map[string]string
	rt      map[string]pme.Date
}

// attendance aggregates the register for the rules.
func (ev *evaluation) attendance(r *store.Reader) (*attendanceFacts, error) {
	a := &attendanceFacts{windows: rules.Windows(ev.cal, ev.cfg, ev.today), schools: ev.schools}
	yearStart, _, _ := calendar.AcademicYear(ev.today)
	var err error
	a.facts, err = r.AttendanceFacts(store.AttendanceQuery{YearStart: yearStart, Today: ev.today,
		C2From: a.windows.C2.From, BFrom: a.windows.B.From, From: a.windows.Any.From,
		Percent: ev.cfg.Threshold(pme.RuleAttAbsencePlan, rules.KeyPercent)})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(a.facts, func(i, j int) bool { return a.facts[i].PupilID < a.facts[j].PupilID })
	if a.rt, err = r.TimetableReturns(); err != nil {
		return nil, err
	}
	return a, nil
}

// fill hands the range's share of the register to the rules.
func (a *attendanceFacts) fill(f *rules.Facts, rg store.PupilRange) {
	f.Windows, f.SchoolNames, f.TimetableReturns = a.windows, a.schools, a.rt
	lo := sort.Search(len(a.facts), func(i int) bool { return a.facts[i].PupilID >= rg.From })
	hi := sort.Search(len(a.facts), func(i int) bool { return a.facts[i].PupilID >= rg.To })
	f.Attendance = a.facts[lo:hi]
}
