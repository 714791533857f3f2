package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"pme"
)

// sqliteWriter writes a file's batches to SQLite inside its transaction, each statement inserting
// up to sqliteRowsPerInsert rows. SQLite runs in-process, so it needs no staging; what costs is the
// way to it: one statement per row spent most of the time in database/sql, and at 100 rows a
// statement database/sql's checking and converting of every value (and a goroutine a statement to
// watch the context) still cost a fifth of the writer's time. The inserts therefore go to the
// driver's own statements on the file's connection (see exec), with values already of the
// driver's types; lookups and the rare statements stay on the transaction.
type sqliteWriter struct {
	ft    *FileTx
	stmts map[string]*sqlx.Stmt  // prepared on the transaction
	raw   map[string]driver.Stmt // prepared on the driver's connection (see exec)
	vals  []driver.NamedValue    // one statement's values, reused
	rows  int                    // rows in vals
	// lead starts every row of the statement being built: the values the same in all of them (the
	// file's id, the sheet's, the run date) written into the statement, not bound to each row.
	// Binding a value costs several calls into SQLite, each taking the connection's mutex.
	lead string

	receivedSQL string // the file's run date, as an SQL literal
	// first is the id of the first row the current sheet wrote to each record table, and sheet
	// that sheet's id: every row of the table below it is an earlier sheet's (see sheetRowsFrom).
	first map[string]int64
	sheet int64
}

func newSQLiteWriter(ft *FileTx) (batchWriter, error) {
	return &sqliteWriter{ft: ft, stmts: map[string]*sqlx.Stmt{}, raw: map[string]driver.Stmt{},
		receivedSQL: dateLiteral(ft.received), first: map[string]int64{}}, nil
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

// exec runs q with vals on the driver's statement, prepared on first use on the file's connection,
// in the file's transaction (SQLite's transaction is the connection's). The statement runs with no
// context to watch: the context is checked before each one instead, and one statement of a few
// hundred rows takes about a millisecond.
func (w *sqliteWriter) exec(q string, vals []driver.NamedValue) error {
	if err := w.ft.ctx.Err(); err != nil {
		return err
	}
	return w.ft.conn.Raw(func(dc any) error {
		st, ok := w.raw[q]
		if !ok {
			prep, ok := dc.(driver.ConnPrepareContext)
			if !ok {
				return fmt.Errorf("driver %T cannot prepare", dc)
			}
			var err error
			if st, err = prep.PrepareContext(context.Background(), q); err != nil {
				return fmt.Errorf("prepare: %w", err)
			}
			w.raw[q] = st
		}
		x, ok := st.(driver.StmtExecContext)
		if !ok {
			return fmt.Errorf("driver statement %T cannot execute", st)
		}
		_, err := x.ExecContext(context.Background(), vals)
		return err
	})
}

func (w *sqliteWriter) close() error {
	var first error
	for q, st := range w.stmts {
		if err := st.Close(); err != nil && first == nil {
			first = err
		}
		delete(w.stmts, q)
	}
	if len(w.raw) > 0 {
		err := w.ft.conn.Raw(func(any) error {
			for q, st := range w.raw {
				if err := st.Close(); err != nil && first == nil {
					first = err
				}
				delete(w.raw, q)
			}
			return nil
		})
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}

// add appends one value of the row being built.
func (w *sqliteWriter) add(v any) {
	w.vals = append(w.vals, driver.NamedValue{Ordinal: len(w.vals) + 1, Value: v})
}

// endRow counts the row just added, and runs m when sqliteRowsPerInsert rows are waiting.
func (w *sqliteWriter) endRow(m multiInsert) error {
	if w.rows++; w.rows == sqliteRowsPerInsert {
		return w.flushRows(m)
	}
	return nil
}

// flushRows runs m over the rows waiting.
func (w *sqliteWriter) flushRows(m multiInsert) error {
	if w.rows == 0 {
		return nil
	}
	err := w.exec(m.sql(w.rows, w.lead), w.vals)
	clear(w.vals) // drop the references to this batch's strings
	w.vals, w.rows = w.vals[:0], 0
	return err
}

// sqliteDate is a date's stored value: "YYYY-MM-DD", or NULL for none (as pme.Date.Value, by the
// COPY encoder's appendDate, without time.Format, which cost a tenth of the writer's time at six
// dates a row).
func sqliteDate(d pme.Date) any {
	if d.IsZero() {
		return nil
	}
	var b [10]byte
	return string(appendDate(b[:0], d))
}

// dateLiteral is a date as an SQL literal: 'YYYY-MM-DD' (digits and dashes only), or NULL.
func dateLiteral(d pme.Date) string {
	if s, ok := sqliteDate(d).(string); ok {
		return "'" + s + "'"
	}
	return "NULL"
}

// maxID returns the largest id in table (0 for none). The file's transaction has held SQLite's one
// write lock since its first statement (the file's row), so no one else adds rows until it ends:
// the ids above stay free for it.
func (w *sqliteWriter) maxID(table string) (int64, error) {
	var id int64
	err := w.ft.tx.GetContext(w.ft.ctx, &id, `SELECT COALESCE(MAX(id), 0) FROM `+table)
	return id, err
}

// sheetRowsFrom returns the id of the first row the current sheet wrote to table: rows below it
// are earlier sheets', rows from it on the sheet's own. ok is false when the sheet wrote none.
func (w *sqliteWriter) sheetRowsFrom(table string) (first int64, ok bool) {
	if w.sheet != w.ft.sheet.id {
		return 0, false
	}
	first, ok = w.first[table]
	return first, ok
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
	var fresh []*pupilState
	for _, st := range ps {
		p := &st.p
		if st.isNew {
			fresh = append(fresh, st)
			continue
		}
		w.vals = w.vals[:0]
		for _, v := range []any{p.Surname, p.Forename, nameKey(p.Surname, p.Forename), sqliteDate(p.DOB),
			p.Gender, p.NCYear, p.SEN, w.ft.fileID, st.id} {
			w.add(v)
		}
		if err := w.exec(updatePupil, w.vals); err != nil {
			return fmt.Errorf("write pupil: %w", err)
		}
	}
	w.vals = w.vals[:0]
	if len(fresh) == 0 {
		return nil
	}
	// New pupils are numbered here, after the largest id and in the order the file first lists
	// them (as SQLite itself numbered them), rather than given theirs by RETURNING, which made
	// SQLite keep the statement's rows to return and cost as much again as the insert (the write
	// lock makes the numbers safe: see maxID).
	last, err := w.maxID("pupil")
	if err != nil {
		return fmt.Errorf("write pupils: %w", err)
	}
	w.lead = fmt.Sprintf("%d, ", w.ft.fileID)
	for _, st := range fresh {
		last++
		st.id = last
		p := &st.p
		w.add(st.id)
		w.add(p.UPN)
		w.add(st.temp)
		w.add(p.Surname)
		w.add(p.Forename)
		w.add(nameKey(p.Surname, p.Forename))
		w.add(sqliteDate(p.DOB))
		w.add(p.Gender)
		w.add(p.NCYear)
		w.add(p.SEN)
		if err := w.endRow(insertPupils); err != nil {
			return fmt.Errorf("write pupils: %w", err)
		}
	}
	if err := w.flushRows(insertPupils); err != nil {
		return fmt.Errorf("write pupils: %w", err)
	}
	return nil
}

const updatePupil = `UPDATE pupil SET surname = ?, forename = ?, name_key = ?, dob = ?, gender = ?, nc_year = ?,
	sen = ?, file_id = ? WHERE id = ?`

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

// sql returns the statement for n rows, each starting with lead (literal values and a comma).
func (m multiInsert) sql(n int, lead string) string {
	group := "(" + lead + strings.TrimSuffix(strings.Repeat("?, ", m.cols), ", ") + ")"
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

var (
	// Each INSERT's columns start with those in its lead (see sqliteWriter.lead).
	insertPupils = multiInsert{head: `INSERT INTO pupil (file_id, id, upn, is_temp, surname, forename, name_key, dob,
		gender, nc_year, sen)`, cols: 10}
	insertTimetables = multiInsert{head: `INSERT INTO timetable (file_id, sheet_id, received, row_num, laestab,
		pupil_id, start_date, planned_end_date, actual_end_date, hours_per_week, reason, parental_agreement,
		review_date)`, cols: 10}
	insertPlacements = multiInsert{head: `INSERT INTO placement (file_id, sheet_id, received, row_num, laestab,
		pupil_id, provider_name, provider_urn, provider_ukprn, provider_registered, start_date, end_date,
		hours_at_provider, hours_at_school, reason)`, cols: 12}
	// An event re-sent updates its row in place (returns.md): its key is (school, pupil, category,
	// start date). A re-send with the same values leaves the row (and its file and received date)
	// untouched: schools re-send the year so far every month, and rewriting it would cost most of
	// the load.
	upsertSuspensions = multiInsert{head: `INSERT INTO suspension (file_id, sheet_id, received, row_num, laestab,
		pupil_id, category, start_date, sessions, reason, reason2, reason3, sixth_day_provision)`, cols: 10,
		tail: `ON CONFLICT (pupil_id, start_date, category, laestab) DO UPDATE SET file_id = excluded.file_id,
		sheet_id = excluded.sheet_id, row_num = excluded.row_num, received = excluded.received,
		sessions = excluded.sessions, reason = excluded.reason, reason2 = excluded.reason2,
		reason3 = excluded.reason3, sixth_day_provision = excluded.sixth_day_provision
	WHERE (suspension.sessions, suspension.reason, suspension.reason2, suspension.reason3, suspension.sixth_day_provision)
		<> (excluded.sessions, excluded.reason, excluded.reason2, excluded.reason3, excluded.sixth_day_provision)`}
	insertIssues = multiInsert{head: `INSERT INTO issue (file_id, sheet, row_num, col, value, code, severity, message)`,
		cols: 7}
)

// writeRecords writes the records of type t in file order: SQLite applies a statement's rows one
// after another, so a later row of an event updates the earlier one just as it would in a
// statement of its own.
func (w *sqliteWriter) writeRecords(t pme.ReturnType, recs []pendingRecord, ids []int64) error {
	m := map[pme.ReturnType]multiInsert{pme.ReducedTimetable: insertTimetables,
		pme.AlternativeProvision: insertPlacements, pme.Suspensions: upsertSuspensions}[t]
	if t.Snapshot() {
		if err := w.markSheetStart(recordTable[t]); err != nil {
			return err
		}
	}
	ft := w.ft
	w.vals, w.rows = w.vals[:0], 0
	w.lead = fmt.Sprintf("%d, %d, %s, ", ft.fileID, ft.sheet.id, w.receivedSQL)
	for i := range recs {
		p := &recs[i]
		r := &p.rec
		if r.Type != t {
			continue
		}
		w.add(int64(r.Row))
		w.add(r.LAESTAB)
		w.add(ids[i])
		switch t {
		case pme.ReducedTimetable:
			x := &p.tt
			w.add(sqliteDate(x.StartDate))
			w.add(sqliteDate(x.PlannedEndDate))
			w.add(sqliteDate(x.ActualEndDate))
			w.add(x.HoursPerWeek)
			w.add(x.Reason)
			w.add(x.ParentalAgreement)
			w.add(sqliteDate(x.ReviewDate))
		case pme.AlternativeProvision:
			x := &p.pl
			w.add(x.ProviderName)
			w.add(x.ProviderURN)
			w.add(x.ProviderUKPRN)
			w.add(x.ProviderRegistered)
			w.add(sqliteDate(x.StartDate))
			w.add(sqliteDate(x.EndDate))
			w.add(x.HoursAtProvider)
			w.add(x.HoursAtSchool)
			w.add(x.Reason)
		default:
			x := &p.su
			w.add(x.Category)
			w.add(sqliteDate(x.StartDate))
			w.add(int64(x.Sessions))
			w.add(x.Reason)
			w.add(x.Reason2)
			w.add(x.Reason3)
			w.add(x.SixthDayProvision)
		}
		if err := w.endRow(m); err != nil {
			return err
		}
	}
	return w.flushRows(m)
}

// markSheetStart notes, before the sheet's first rows go into table, the id they will start from.
func (w *sqliteWriter) markSheetStart(table string) error {
	if w.sheet != w.ft.sheet.id {
		w.sheet = w.ft.sheet.id
		clear(w.first)
	}
	if _, ok := w.first[table]; ok {
		return nil
	}
	last, err := w.maxID(table)
	if err != nil {
		return err
	}
	w.first[table] = last + 1
	return nil
}

func (w *sqliteWriter) writeIssues(is []pme.Issue) error {
	w.vals, w.rows = w.vals[:0], 0
	w.lead = fmt.Sprintf("%d, ", w.ft.fileID)
	for i := range is {
		x := &is[i]
		w.add(x.Sheet)
		w.add(int64(x.Row))
		w.add(x.Column)
		w.add(x.Value)
		w.add(x.Code)
		w.add(x.Severity)
		w.add(x.Message)
		if err := w.endRow(insertIssues); err != nil {
			return fmt.Errorf("write issues: %w", err)
		}
	}
	if err := w.flushRows(insertIssues); err != nil {
		return fmt.Errorf("write issues: %w", err)
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
