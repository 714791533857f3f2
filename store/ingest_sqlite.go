package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"pme"
)

// sqliteWriter writes a file's batches to SQLite through statements prepared once per file inside
// its transaction, each inserting up to sqliteRowsPerInsert rows: SQLite runs in-process, so it
// needs no staging, but one statement per row spent most of the time in database/sql.
type sqliteWriter struct {
	ft        *FileTx
	stmts     map[string]*sqlx.Stmt
	args      []any // one row's values, reused
	batchArgs []any // one statement's values, reused
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
	upd, err := w.stmt(`UPDATE pupil SET surname = ?, forename = ?, name_key = ?, dob = ?, gender = ?, nc_year = ?,
		sen = ?, file_id = ? WHERE id = ?`)
	if err != nil {
		return err
	}
	fresh := map[string]*pupilState{}
	for _, st := range ps {
		p := &st.p
		if st.isNew {
			fresh[p.UPN] = st
			continue
		}
		if _, err = upd.ExecContext(w.ft.ctx, p.Surname, p.Forename, nameKey(p.Surname, p.Forename), p.DOB,
			p.Gender, p.NCYear, p.SEN, w.ft.fileID, st.id); err != nil {
			return fmt.Errorf("write pupil: %w", err)
		}
	}
	// New pupils are inserted many to a statement; RETURNING gives each one's id with its UPN, as
	// its rows come in no promised order.
	var ret struct {
		ID  int64  `db:"id"`
		UPN string `db:"upn"`
	}
	err = w.insertRows(insertPupils, len(ps), func(i int) []any {
		st := ps[i]
		if !st.isNew {
			return nil
		}
		p := &st.p
		w.args = append(w.args[:0], p.UPN, st.temp, p.Surname, p.Forename, nameKey(p.Surname, p.Forename), p.DOB,
			p.Gender, p.NCYear, p.SEN, w.ft.fileID)
		return w.args
	}, func(rows *sqlx.Rows) error {
		if err := rows.StructScan(&ret); err != nil {
			return err
		}
		if st := fresh[ret.UPN]; st != nil {
			st.id = ret.ID
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write pupils: %w", err)
	}
	for _, st := range fresh {
		if st.id == 0 {
			return fmt.Errorf("write pupils: no id returned for a new pupil")
		}
	}
	return nil
}

// sqliteRowsPerInsert is how many rows one INSERT takes: one statement per row spent more time in
// database/sql and the driver than in SQLite. 100 rows of 15 values stay far below SQLite's limit
// of 32,766 parameters.
const sqliteRowsPerInsert = 100

// multiInsert is an INSERT of any number of rows: head, then one group of cols parameters per row,
// then tail (ON CONFLICT, RETURNING).
type multiInsert struct {
	head string
	cols int
	tail string
}

// sql returns the statement for n rows.
func (m multiInsert) sql(n int) string {
	group := "(" + strings.TrimSuffix(strings.Repeat("?, ", m.cols), ", ") + ")"
	var b strings.Builder
	b.WriteString(m.head)
	b.WriteString(" VALUES ")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(group)
	}
	b.WriteString(" ")
	b.WriteString(m.tail)
	return b.String()
}

// insertRows runs m over rows 0..n-1, sqliteRowsPerInsert at a time, in order: row(i) gives a row's
// values (nil to leave it out), and scan, when m has RETURNING, reads each returned row. SQLite
// applies a statement's rows one after another, so a later row of an event updates the earlier one
// just as it would in a statement of its own.
func (w *sqliteWriter) insertRows(m multiInsert, n int, row func(i int) []any, scan func(*sqlx.Rows) error) error {
	args := w.batchArgs[:0]
	rows := 0
	flush := func() error {
		if rows == 0 {
			return nil
		}
		st, err := w.stmt(m.sql(rows))
		if err != nil {
			return err
		}
		if scan == nil {
			_, err = st.ExecContext(w.ft.ctx, args...)
		} else {
			err = queryEach(w.ft.ctx, st, args, scan)
		}
		args, rows = args[:0], 0
		return err
	}
	for i := 0; i < n; i++ {
		vals := row(i)
		if vals == nil {
			continue
		}
		args = append(args, vals...)
		if rows++; rows == sqliteRowsPerInsert {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	err := flush()
	clear(args[:cap(args)]) // drop the references to this batch's strings
	w.batchArgs = args[:0]
	return err
}

func queryEach(ctx context.Context, st *sqlx.Stmt, args []any, scan func(*sqlx.Rows) error) error {
	rows, err := st.QueryxContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

var (
	insertPupils = multiInsert{head: `INSERT INTO pupil (upn, is_temp, surname, forename, name_key, dob, gender,
		nc_year, sen, file_id)`, cols: 10, tail: `RETURNING id, upn`}
	insertTimetables = multiInsert{head: `INSERT INTO timetable (file_id, sheet_id, row_num, laestab, pupil_id,
		received, start_date, planned_end_date, actual_end_date, hours_per_week, reason, parental_agreement,
		review_date)`, cols: 13}
	insertPlacements = multiInsert{head: `INSERT INTO placement (file_id, sheet_id, row_num, laestab, pupil_id,
		received, provider_name, provider_urn, provider_ukprn, provider_registered, start_date, end_date,
		hours_at_provider, hours_at_school, reason)`, cols: 15}
	// An event re-sent updates its row in place (returns.md): its key is (school, pupil, category,
	// start date). A re-send with the same values leaves the row (and its file and received date)
	// untouched: schools re-send the year so far every month, and rewriting it would cost most of
	// the load.
	upsertSuspensions = multiInsert{head: `INSERT INTO suspension (file_id, sheet_id, row_num, laestab, pupil_id,
		received, category, start_date, sessions, reason, reason2, reason3, sixth_day_provision)`, cols: 13,
		tail: `ON CONFLICT (pupil_id, start_date, category, laestab) DO UPDATE SET file_id = excluded.file_id,
		sheet_id = excluded.sheet_id, row_num = excluded.row_num, received = excluded.received,
		sessions = excluded.sessions, reason = excluded.reason, reason2 = excluded.reason2,
		reason3 = excluded.reason3, sixth_day_provision = excluded.sixth_day_provision
	WHERE (suspension.sessions, suspension.reason, suspension.reason2, suspension.reason3, suspension.sixth_day_provision)
		<> (excluded.sessions, excluded.reason, excluded.reason2, excluded.reason3, excluded.sixth_day_provision)`}
	insertIssues = multiInsert{head: `INSERT INTO issue (file_id, sheet, row_num, col, value, code, severity, message)`,
		cols: 8}
)

func (w *sqliteWriter) writeRecords(t pme.ReturnType, recs []pendingRecord, ids []int64) error {
	m := map[pme.ReturnType]multiInsert{pme.ReducedTimetable: insertTimetables,
		pme.AlternativeProvision: insertPlacements, pme.Suspensions: upsertSuspensions}[t]
	return w.insertRows(m, len(recs), func(i int) []any {
		if recs[i].rec.Type != t {
			return nil
		}
		return recordArgs(w.ft, &recs[i], ids[i])
	}, nil)
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
	err := w.insertRows(insertIssues, len(is), func(i int) []any {
		x := &is[i]
		w.args = append(w.args[:0], w.ft.fileID, x.Sheet, x.Row, x.Column, x.Value, x.Code, x.Severity, x.Message)
		return w.args
	}, nil)
	if err != nil {
		return fmt.Errorf("write issues: %w", err)
	}
	return nil
}
