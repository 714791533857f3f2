package store

import (
	"fmt"

	"github.com/jmoiron/sqlx"

	"pme"
)

// sqliteWriter writes a file's batches to SQLite through statements prepared once per file inside
// its transaction: SQLite runs in-process, so a prepared INSERT per row costs microseconds and
// needs no staging.
type sqliteWriter struct {
	ft    *FileTx
	stmts map[string]*sqlx.Stmt
}

func newSQLiteWriter(ft *FileTx) (batchWriter, error) {
	return &sqliteWriter{ft: ft, stmts: map[string]*sqlx.Stmt{}}, nil
}

// stmt returns the statement for q, preparing it on first use.
func (w *sqliteWriter) stmt(q string) (*sqlx.Stmt, error) {
	if st, ok := w.stmts[q]; ok {
		return st, nil
	}
	st, err := w.ft.tx.PreparexContext(w.ft.ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	w.stmts[q] = st
	return st, nil
}

func (w *sqliteWriter) close() error {
	var first error
	for q, st := range w.stmts {
		if err := st.Close(); err != nil && first == nil {
			first = err
		}
		delete(w.stmts, q)
	}
	return first
}

const (
	lookupPupilsSQL = `SELECT p.upn AS key, ` + pupilRowColumns + ` FROM pupil p WHERE %s`
	lookupFormerSQL = `
	UNION ALL
	SELECT f.upn AS key, ` + pupilRowColumns + ` FROM former_upn f JOIN pupil p ON p.id = f.pupil_id WHERE %s`
)

func (w *sqliteWriter) lookupPupils(upns []string, former bool) ([]pupilRow, error) {
	own, arg := w.ft.s.inList("p.upn", upns)
	q, args := fmt.Sprintf(lookupPupilsSQL, own), []any{arg}
	if former {
		frag, _ := w.ft.s.inList("f.upn", upns)
		q, args = q+fmt.Sprintf(lookupFormerSQL, frag), append(args, arg)
	}
	st, err := w.stmt(q)
	if err != nil {
		return nil, err
	}
	var rows []pupilRow
	if err := st.SelectContext(w.ft.ctx, &rows, args...); err != nil {
		return nil, fmt.Errorf("look up pupils: %w", err)
	}
	return rows, nil
}

func (w *sqliteWriter) writePupils(ps []*pupilState) error {
	ins, err := w.stmt(`INSERT INTO pupil (upn, is_temp, surname, forename, name_key, dob, gender, nc_year, sen, file_id, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`)
	if err != nil {
		return err
	}
	upd, err := w.stmt(`UPDATE pupil SET surname = ?, forename = ?, name_key = ?, dob = ?, gender = ?, nc_year = ?,
		sen = ?, file_id = ?, updated = ? WHERE id = ?`)
	if err != nil {
		return err
	}
	at := timestamp(w.ft.meta.Received)
	for _, st := range ps {
		p := &st.p
		key := nameKey(p.Surname, p.Forename)
		if st.isNew {
			err = ins.QueryRowxContext(w.ft.ctx, p.UPN, st.temp, p.Surname, p.Forename, key, p.DOB,
				p.Gender, p.NCYear, p.SEN, w.ft.fileID, at).Scan(&st.id)
		} else {
			_, err = upd.ExecContext(w.ft.ctx, p.Surname, p.Forename, key, p.DOB, p.Gender, p.NCYear, p.SEN,
				w.ft.fileID, at, st.id)
		}
		if err != nil {
			return fmt.Errorf("write pupil: %w", err)
		}
	}
	return nil
}

const (
	insertTimetableSQL = `INSERT INTO timetable (file_id, sheet_id, row_num, laestab, pupil_id, received,
		start_date, planned_end_date, actual_end_date, hours_per_week, reason, parental_agreement, review_date)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insertPlacementSQL = `INSERT INTO placement (file_id, sheet_id, row_num, laestab, pupil_id, received,
		provider_name, provider_urn, provider_ukprn, provider_registered, start_date, end_date,
		hours_at_provider, hours_at_school, reason)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// An event re-sent updates its row in place (returns.md): its key is (school, pupil, category,
	// start date). A re-send with the same values leaves the row (and its file and received date)
	// untouched: schools re-send the year so far every month, and rewriting it would cost most of
	// the load.
	upsertSuspensionSQL = `INSERT INTO suspension (file_id, sheet_id, row_num, laestab, pupil_id, received,
		category, start_date, sessions, reason, reason2, reason3, sixth_day_provision)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (pupil_id, start_date, category, laestab) DO UPDATE SET file_id = excluded.file_id,
		sheet_id = excluded.sheet_id, row_num = excluded.row_num, received = excluded.received,
		sessions = excluded.sessions, reason = excluded.reason, reason2 = excluded.reason2,
		reason3 = excluded.reason3, sixth_day_provision = excluded.sixth_day_provision
	WHERE (suspension.sessions, suspension.reason, suspension.reason2, suspension.reason3, suspension.sixth_day_provision)
		<> (excluded.sessions, excluded.reason, excluded.reason2, excluded.reason3, excluded.sixth_day_provision)`
)

func (w *sqliteWriter) writeRecords(t pme.ReturnType, recs []pendingRecord, ids []int64) error {
	q := map[pme.ReturnType]string{pme.ReducedTimetable: insertTimetableSQL,
		pme.AlternativeProvision: insertPlacementSQL, pme.Suspensions: upsertSuspensionSQL}[t]
	var st *sqlx.Stmt
	for i := range recs {
		if recs[i].rec.Type != t {
			continue
		}
		if st == nil {
			var err error
			if st, err = w.stmt(q); err != nil {
				return err
			}
		}
		args := recordArgs(w.ft, &recs[i], ids[i])
		if _, err := st.ExecContext(w.ft.ctx, args...); err != nil {
			return fmt.Errorf("row %d: %w", recs[i].rec.Row, err)
		}
	}
	return nil
}

// recordArgs lists a record's values in the column order of its table's INSERT (and COPY). The
// slice is the FileTx's own, reused row after row: callers use it before asking for the next.
func recordArgs(ft *FileTx, p *pendingRecord, pupilID int64) []any {
	r := &p.rec
	args := append(ft.args[:0], ft.fileID, ft.sheet.id, r.Row, r.LAESTAB, pupilID, ft.received)
	switch r.Type {
	case pme.ReducedTimetable:
		t := &p.tt
		args = append(args, t.StartDate, t.PlannedEndDate, t.ActualEndDate, t.HoursPerWeek, t.Reason,
			t.ParentalAgreement, t.ReviewDate)
	case pme.AlternativeProvision:
		a := &p.pl
		args = append(args, a.ProviderName, a.ProviderURN, a.ProviderUKPRN, a.ProviderRegistered, a.StartDate,
			a.EndDate, a.HoursAtProvider, a.HoursAtSchool, a.Reason)
	default:
		s := &p.su
		args = append(args, s.Category, s.StartDate, s.Sessions, s.Reason, s.Reason2, s.Reason3, s.SixthDayProvision)
	}
	ft.args = args
	return args
}

func (w *sqliteWriter) writeIssues(is []pme.Issue) error {
	if len(is) == 0 {
		return nil
	}
	st, err := w.stmt(`INSERT INTO issue (file_id, sheet, row_num, col, value, code, severity, message)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	for _, i := range is {
		if _, err := st.ExecContext(w.ft.ctx, w.ft.fileID, i.Sheet, i.Row, i.Column, i.Value, i.Code,
			i.Severity, i.Message); err != nil {
			return fmt.Errorf("write issue: %w", err)
		}
	}
	return nil
}
