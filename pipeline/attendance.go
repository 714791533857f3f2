package pipeline

import (
	"context"

	"pme/ingest"
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
