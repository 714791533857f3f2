package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"pme"
)

// Who has returned (compliance.md): what was received, by school, type and run date, and the
// ledger of chase e-mails drafted.

// fileDay is the run date a file counts for: file.run_date, or for a file taken before it was
// recorded, the UTC day of file.received.
func fileDay(runDate pme.Date, received timestamp) pme.Date {
	if !runDate.IsZero() {
		return runDate
	}
	return pme.DateOf(time.Time(received).UTC())
}

// sinceClause selects files whose run date is on or after from (both placeholders take from).
const sinceClause = `(f.run_date >= ? OR (f.run_date IS NULL AND f.received >= ?))`

// Receipts returns every accepted sheet (of files accepted or partly accepted) received on or after
// from, once for each school it speaks for. A sheet of one school carries its own counts; a sheet
// of several counts, for each, the rows stored for that school (none: a nil return for it, or,
// when the sheet rejected rows, a school whose every row was rejected).
// Duplicate files are never stored, so they never count twice.
func (s *Store) Receipts(ctx context.Context, from pme.Date) ([]pme.Receipt, error) {
	var rows []struct {
		SheetID    int64     `db:"id"`
		FileID     int64     `db:"file_id"`
		Rejected   int       `db:"rejected"`
		School     string    `db:"school"`
		Schools    string    `db:"schools"`
		ReturnType string    `db:"return_type"`
		RunDate    pme.Date  `db:"run_date"`
		Received   timestamp `db:"received"`
		Rows       int       `db:"rows"`
		Accepted   int       `db:"accepted"`
	}
	q := s.db.Rebind(`SELECT fs.id, fs.file_id, fs.school, fs.schools, fs.return_type, f.run_date, f.received,
		fs.rows, fs.accepted, fs.rejected
		FROM file_sheet fs JOIN file f ON f.id = fs.file_id
		WHERE f.status IN ('accepted', 'partial') AND ` + sinceClause + ` ORDER BY fs.id`)
	if err := s.db.SelectContext(ctx, &rows, q, from, timestamp(from.Time())); err != nil {
		return nil, fmt.Errorf("read receipts: %w", err)
	}
	var multi []int64
	for _, r := range rows {
		if r.School == "" && r.Schools != "" {
			multi = append(multi, r.SheetID)
		}
	}
	perSchool, err := s.sheetSchoolRows(ctx, multi)
	if err != nil {
		return nil, err
	}
	out := make([]pme.Receipt, 0, len(rows))
	for _, r := range rows {
		base := pme.Receipt{FileID: r.FileID, Type: pme.ReturnType(r.ReturnType), Received: fileDay(r.RunDate, r.Received)}
		if r.School != "" {
			base.LAESTAB, base.Rows, base.Accepted = r.School, r.Rows, r.Accepted
			out = append(out, base)
			continue
		}
		for _, la := range splitSchools(r.Schools) {
			n := perSchool[sheetSchool{r.SheetID, la}]
			base.LAESTAB, base.Rows, base.Accepted = la, n, n
			if n == 0 && r.Rejected > 0 {
				// The sheet names a school only when a row of it does: a school named with none of
				// its rows stored had every row rejected (and is not a nil return). How many of the
				// sheet's rejected rows were its own is not kept; any number above 0 says so.
				base.Rows = r.Rejected
			}
			out = append(out, base)
		}
	}
	return out, nil
}

type sheetSchool struct {
	sheet   int64
	laestab string
}

// sheetSchoolRows counts the records each school has from each of the sheets.
func (s *Store) sheetSchoolRows(ctx context.Context, sheets []int64) (map[sheetSchool]int, error) {
	out := map[sheetSchool]int{}
	if len(sheets) == 0 {
		return out, nil
	}
	var rows []struct {
		Sheet   int64  `db:"sheet_id"`
		LAESTAB string `db:"laestab"`
		N       int    `db:"n"`
	}
	for _, table := range []string{"timetable", "placement", "suspension"} {
		q, args, err := sqlx.In(`SELECT sheet_id, laestab, COUNT(*) AS n FROM `+table+
			` WHERE sheet_id IN (?) GROUP BY sheet_id, laestab`, sheets)
		if err != nil {
			return nil, fmt.Errorf("count sheet rows: %w", err)
		}
		rows = rows[:0]
		if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
			return nil, fmt.Errorf("count sheet rows: %w", err)
		}
		for _, r := range rows {
			out[sheetSchool{r.Sheet, r.LAESTAB}] += r.N
		}
	}
	return out, nil
}

// RejectedFiles returns the files refused as a whole received on or after from, with the issue
// that refused them and the schools their readable rows named. LAESTAB is left for the caller,
// who reads it from the file's name.
func (s *Store) RejectedFiles(ctx context.Context, from pme.Date) ([]pme.RejectedFile, error) {
	var rows []struct {
		pme.RejectedFile
		RunDate pme.Date  `db:"run_date"`
		At      timestamp `db:"at"`
		Named   string    `db:"named_schools"`
	}
	q := s.db.Rebind(`SELECT f.id AS file_id, f.name, f.run_date, f.received AS at, f.named_schools,
		COALESCE(i.code, '') AS code, COALESCE(i.message, '') AS message
		FROM file f LEFT JOIN issue i ON i.file_id = f.id AND i.row_num = 0
		WHERE f.status = 'rejected' AND ` + sinceClause + ` ORDER BY f.id`)
	if err := s.db.SelectContext(ctx, &rows, q, from, timestamp(from.Time())); err != nil {
		return nil, fmt.Errorf("read rejected files: %w", err)
	}
	out := make([]pme.RejectedFile, 0, len(rows))
	for i, r := range rows {
		if i > 0 && rows[i-1].FileID == r.FileID {
			continue // one issue a file is enough
		}
		f := r.RejectedFile
		f.Received = fileDay(r.RunDate, r.At)
		f.Schools = splitSchools(r.Named)
		out = append(out, f)
	}
	return out, nil
}

// FirstReceived returns the run date of the first file ever received, accepted or not; ok is
// false when none has been.
func (s *Store) FirstReceived(ctx context.Context) (d pme.Date, ok bool, err error) {
	var r struct {
		RunDate pme.Date  `db:"run_date"`
		At      timestamp `db:"received"`
	}
	// The first by id is the first taken: run dates only move forward in practice, and a rerun
	// with an earlier --today must not move the start of the history back.
	err = s.db.GetContext(ctx, &r, `SELECT run_date, received FROM file WHERE status <> 'ingesting' ORDER BY id LIMIT 1`)
	if err = notFound(err); err == ErrNotFound {
		return pme.Date{}, false, nil
	}
	if err != nil {
		return pme.Date{}, false, fmt.Errorf("read first file: %w", err)
	}
	return fileDay(r.RunDate, r.At), true, nil
}

// LastReceived returns, by school, the run date of the last accepted sheet it sent, at any time.
func (s *Store) LastReceived(ctx context.Context) (map[string]pme.Date, error) {
	var rows []struct {
		School  string    `db:"school"`
		Schools string    `db:"schools"`
		RunDate pme.Date  `db:"run_date"`
		At      timestamp `db:"received"`
	}
	q := `SELECT fs.school, fs.schools, MAX(f.run_date) AS run_date, MAX(f.received) AS received
		FROM file_sheet fs JOIN file f ON f.id = fs.file_id
		WHERE f.status IN ('accepted', 'partial') GROUP BY fs.school, fs.schools`
	if err := s.db.SelectContext(ctx, &rows, q); err != nil {
		return nil, fmt.Errorf("read last received: %w", err)
	}
	out := map[string]pme.Date{}
	for _, r := range rows {
		d := fileDay(r.RunDate, r.At)
		schools := splitSchools(r.Schools)
		if r.School != "" {
			schools = []string{r.School}
		}
		for _, la := range schools {
			if d.After(out[la]) {
				out[la] = d
			}
		}
	}
	return out, nil
}

// ChildrenOnLists returns, by school, how many children are on its current reduced-timetable and
// AP lists.
func (s *Store) ChildrenOnLists(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		LAESTAB string `db:"laestab"`
		N       int    `db:"n"`
	}
	q := `SELECT laestab, COUNT(DISTINCT pupil_id) AS n FROM (
		SELECT laestab, pupil_id FROM timetable WHERE is_current
		UNION ALL SELECT laestab, pupil_id FROM placement WHERE is_current) AS cur GROUP BY laestab`
	if err := s.db.SelectContext(ctx, &rows, q); err != nil {
		return nil, fmt.Errorf("count children on lists: %w", err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.LAESTAB] = r.N
	}
	return out, nil
}

// ChaseDrafts returns the chase e-mails already drafted for the period, by school.
func (s *Store) ChaseDrafts(ctx context.Context, period string) (map[string]pme.ChaseDraft, error) {
	var rows []struct {
		pme.ChaseDraft
		Types string `db:"types"`
	}
	q := s.db.Rebind(`SELECT laestab, period, drafted, recipient, types, file FROM chase_draft WHERE period = ?`)
	if err := s.db.SelectContext(ctx, &rows, q, period); err != nil {
		return nil, fmt.Errorf("read chase drafts: %w", err)
	}
	out := make(map[string]pme.ChaseDraft, len(rows))
	for _, r := range rows {
		d := r.ChaseDraft
		for _, t := range splitSchools(r.Types) {
			d.Types = append(d.Types, pme.ReturnType(t))
		}
		out[d.LAESTAB] = d
	}
	return out, nil
}

// RecordChaseDraft adds a drafted chase e-mail to the ledger. It reports false, and changes
// nothing, when the school already has one for the period.
func (s *Store) RecordChaseDraft(ctx context.Context, d pme.ChaseDraft) (bool, error) {
	types := make([]string, len(d.Types))
	for i, t := range d.Types {
		types[i] = string(t)
	}
	q := s.db.Rebind(`INSERT INTO chase_draft (laestab, period, drafted, recipient, types, file)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (laestab, period) DO NOTHING`)
	res, err := s.db.ExecContext(ctx, q, d.LAESTAB, d.Period, d.Drafted, d.To, strings.Join(types, ","), d.File)
	if err != nil {
		return false, fmt.Errorf("record chase draft: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record chase draft: %w", err)
	}
	return n == 1, nil
}
