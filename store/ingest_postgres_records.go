package store

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lib/pq"

	"pme"
)

// Records and suspension events: one statement for a small batch, a COPY or a staged merge for a
// large one.

// stagingSQL creates the staging tables, in the file's transaction, dropped at commit: their
// columns are the target's, minus what the merge statement supplies.
var stagingSQL = map[string]string{
	"stage_pupil": `CREATE TEMP TABLE stage_pupil ON COMMIT DROP AS
		SELECT upn, is_temp, surname, forename, name_key, dob, gender, nc_year, sen FROM pupil WITH NO DATA`,
	"stage_suspension": `CREATE TEMP TABLE stage_suspension ON COMMIT DROP AS
		SELECT file_id, sheet_id, row_num, laestab, pupil_id, received, category, start_date, sessions,
			reason, reason2, reason3, sixth_day_provision FROM suspension WITH NO DATA`,
}

// mergeSource returns what a merge of n rows selects from, "… AS r": a small batch's rows as
// arrays (see arrayArgs), with its parameters numbered from first; a larger one's copied into the
// staging table stage, created the first time the file needs it. Passed as arrays, a batch of
// 5,000 re-sent events cost the server a fifth more than copied; a small file creates no staging
// table, which cost it more than its rows.
func (w *pgWriter) mergeSource(stage string, cols []string, n int, values func(i int) []any,
	line func(b []byte, i int) ([]byte, error), first int) (string, []any, error) {
	if n <= smallBatchRows {
		arrays, err := w.arrayArgs(len(cols), n, values)
		return unnestFrom(cols, first), arrays, err
	}
	if !w.staged[stage] {
		if _, err := w.ft.tx.ExecContext(w.ft.ctx, stagingSQL[stage]); err != nil {
			return "", nil, fmt.Errorf("create %s: %w", stage, err)
		}
		if w.staged == nil {
			w.staged = map[string]bool{}
		}
		w.staged[stage] = true
	}
	return stage + " AS r", nil, w.copyIn(stage, cols, n, line)
}

// emptyStage empties the staging table a merge read, when it read one (no arrays).
func (w *pgWriter) emptyStage(stage string, arrays []any) error {
	if arrays != nil {
		return nil
	}
	_, err := w.ft.tx.ExecContext(w.ft.ctx, `TRUNCATE `+stage)
	return err
}

func (w *pgWriter) writeRecords(t pme.ReturnType, recs []pendingRecord, ids []int64) error {
	if t != pme.Suspensions {
		return w.insertRecords(t, recordSet{w.ft, recs, ids, func(i int) bool { return recs[i].rec.Type == t }, nil})
	}
	return w.upsertSuspensions(recs, ids)
}

// recordSet is the records of a batch to write: recs[i], whose pupil is ids[i], when take(i).
// With eventIDs, the records are events numbered by the file (see eventNumbers): recs[i]'s id is
// eventIDs[i].
type recordSet struct {
	ft       *FileTx
	recs     []pendingRecord
	ids      []int64
	take     func(i int) bool
	eventIDs []int64
}

// columns returns the columns of the records' values.
func (r recordSet) columns(t pme.ReturnType) []string {
	if r.eventIDs != nil {
		return eventColumnsWithID
	}
	return recordColumns[t]
}

var eventColumnsWithID = append(recordColumns[pme.Suspensions][:len(recordColumns[pme.Suspensions]):len(recordColumns[pme.Suspensions])], "id")

// values returns record i's values, or nil when it is not taken.
func (r recordSet) values(i int) []any {
	if !r.take(i) {
		return nil
	}
	args := recordArgs(r.ft, &r.recs[i], r.ids[i])
	if r.eventIDs != nil {
		args = append(args, r.eventIDs[i])
		r.ft.args = args
	}
	return args
}

// line appends record i's line of COPY text, or nothing when it is not taken.
func (r recordSet) line(b []byte, i int) ([]byte, error) {
	if !r.take(i) {
		return b, nil
	}
	b = appendRecordLine(b, r.ft, &r.recs[i], r.ids[i])
	if r.eventIDs != nil {
		b[len(b)-1] = '\t' // the line's newline
		b = append(strconv.AppendInt(b, r.eventIDs[i], 10), '\n')
	}
	return b, nil
}

// insertRecords writes new records of type t. A small batch's new pupils, and the retiring of its
// sheet's earlier snapshot rows (FileTx.closing), go in the same statement: one INSERT … SELECT
// FROM unnest(…) with them in its WITH, two round trips in all. Otherwise a COPY costs as many.
// The statement's parts see the tables as they were before it, and touch different rows: the
// retiring leaves the sheet's own rows alone.
func (w *pgWriter) insertRecords(t pme.ReturnType, rs recordSet) error {
	table, cols := recordTable[t], rs.columns(t)
	var q pgQuery
	if ps := w.newPupils; len(ps) > 0 {
		w.newPupils = nil
		arrays, err := w.arrayArgs(len(pupilValueColumns)+1, len(ps), func(i int) []any {
			return append(w.pupilArgs(ps[i]), ps[i].id)
		})
		if err != nil {
			return fmt.Errorf("store new pupils: %w", err)
		}
		q.with(`new_pupil AS (INSERT INTO pupil (` + strings.Join(pupilColumns, ", ") + `)
			SELECT r.*, ` + q.param(w.ft.fileID) + `
			FROM ` + unnestFrom(append(pupilValueColumns, "id"), q.params(arrays)) + `)`)
	}
	if t.Snapshot() && len(w.ft.closing) > 0 && len(w.ft.pending) <= smallBatchRows {
		q.with(`closed AS (UPDATE ` + table + ` SET is_current = FALSE, stale = FALSE
			WHERE laestab = ANY(` + q.param(pq.Array(w.ft.closing)) + `) AND is_current
			AND sheet_id <> ` + q.param(w.ft.sheet.id) + `)`)
		w.ft.closing = nil
	}
	if len(q.ctes) == 0 {
		return w.copyLater(table, cols, len(rs.recs), rs.line)
	}
	arrays, err := w.arrayArgs(len(cols), len(rs.recs), rs.values)
	if err != nil {
		return fmt.Errorf("store %s: %w", table, err)
	}
	stmt := q.sql(`INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `)
		SELECT r.* FROM ` + unnestFrom(cols, q.params(arrays)))
	if _, err := w.ft.tx.ExecContext(w.ft.ctx, stmt, q.args...); err != nil {
		return fmt.Errorf("store %s: %w", table, err)
	}
	return nil
}

// pgQuery puts a statement together from parts, numbering their parameters in turn.
type pgQuery struct {
	ctes []string
	args []any
}

// param adds a parameter and returns its placeholder.
func (q *pgQuery) param(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// params adds parameters and returns the number of the first.
func (q *pgQuery) params(vs []any) int {
	q.args = append(q.args, vs...)
	return len(q.args) - len(vs) + 1
}

// with adds a common table expression ("name AS (…)").
func (q *pgQuery) with(cte string) { q.ctes = append(q.ctes, cte) }

// sql returns the statement: the WITH of the parts added, then main.
func (q *pgQuery) sql(main string) string {
	if len(q.ctes) == 0 {
		return main
	}
	return "WITH " + strings.Join(q.ctes, ",\n") + "\n" + main
}

// writeNewPupils writes the new pupils waiting for insertRecords, for a batch that cannot go with
// them.
func (w *pgWriter) writeNewPupils() error {
	ps := w.newPupils
	w.newPupils = nil
	return w.insertPupils(ps)
}

// upsertSuspensions writes the batch's events: a known event (school, pupil, category, start date)
// is updated in place. Within the batch the last row of an event wins, as it would row by row; one
// INSERT … ON CONFLICT cannot touch a row twice. An unchanged event is not rewritten (see
// upsertSuspensions in ingest_sqlite.go).
//
// Most batches hold only new events (a school's first return of the year, a new month's events):
// they are copied straight into the table, under a savepoint, for about half the server time of
// the merge (1,000,000 events: 3.8 s against 7.6 s for INSERT … ON CONFLICT from a staged copy).
// If one meets a stored event, the copy fails on the unique key and nothing of it remains; the
// batch is then merged, and so is every later batch of the file, since a file that re-sends one
// known event usually re-sends many. A batch whose pupils are all new (FileTx.batchNew) can meet
// no stored event: it needs no savepoint. Into an empty table, a large file is copied in with the
// table's key dropped, and the key made again at the end (see startBulk).
func (w *pgWriter) upsertSuspensions(recs []pendingRecord, ids []int64) error {
	if !w.bulkTried && len(recs) >= flushRows {
		w.bulkTried = true
		if err := w.startBulk(); err != nil {
			return err
		}
	}
	if w.bulk != nil {
		// No key to meet: an event listed twice keeps its last row when the key is made (see
		// finishBulk), so the batch needs no sorting out here.
		w.eventIDBuf = w.eventIDs.number(w.eventIDBuf, recs)
		return w.insertRecords(pme.Suspensions, recordSet{w.ft, recs, ids, func(i int) bool {
			return recs[i].rec.Type == pme.Suspensions
		}, w.eventIDBuf})
	}
	type key struct {
		pupil          int64
		laestab, categ string
		start          pme.Date
	}
	last := make(map[key]int, len(recs))
	keep := slices.Grow(w.keep[:0], len(recs))[:len(recs)] // keep[i]: row i is its event's last
	for i := range recs {
		keep[i] = false
		if s := &recs[i]; s.rec.Type == pme.Suspensions {
			k := key{ids[i], s.rec.LAESTAB, s.su.Category, s.su.StartDate}
			if j, seen := last[k]; seen {
				keep[j] = false
			}
			last[k], keep[i] = i, true
		}
	}
	w.keep = keep
	if len(last) == 0 {
		return nil
	}
	rs := recordSet{w.ft, recs, ids, func(i int) bool { return keep[i] }, nil}
	if w.ft.batchNew {
		return w.insertRecords(pme.Suspensions, rs)
	}
	if err := w.writeNewPupils(); err != nil {
		return err
	}
	if !w.merge {
		inserted, err := w.insertNewEvents(rs)
		if err != nil || inserted {
			return err
		}
		w.merge = true
	}
	cols := recordColumns[pme.Suspensions]
	from, args, err := w.mergeSource("stage_suspension", cols, len(recs), rs.values, rs.line, 1)
	if err != nil {
		return fmt.Errorf("merge suspensions: %w", err)
	}
	q := `INSERT INTO suspension (` + strings.Join(cols, ", ") + `)
		SELECT r.* FROM ` + from + `
		ON CONFLICT (pupil_id, start_date, category, laestab) DO UPDATE SET file_id = excluded.file_id,
			sheet_id = excluded.sheet_id, row_num = excluded.row_num, received = excluded.received,
			sessions = excluded.sessions, reason = excluded.reason, reason2 = excluded.reason2,
			reason3 = excluded.reason3, sixth_day_provision = excluded.sixth_day_provision
		WHERE (suspension.sessions, suspension.reason, suspension.reason2, suspension.reason3, suspension.sixth_day_provision)
			<> (excluded.sessions, excluded.reason, excluded.reason2, excluded.reason3, excluded.sixth_day_provision)`
	if _, err := w.ft.tx.ExecContext(w.ft.ctx, q, args...); err != nil {
		return fmt.Errorf("merge suspensions: %w", err)
	}
	return w.emptyStage("stage_suspension", args)
}

// insertNewEvents copies the batch's events into suspension under a savepoint. It reports false,
// with nothing written, when an event is already stored.
func (w *pgWriter) insertNewEvents(rs recordSet) (bool, error) {
	if _, err := w.ft.tx.ExecContext(w.ft.ctx, `SAVEPOINT new_events`); err != nil {
		return false, fmt.Errorf("insert new events: %w", err)
	}
	err := w.copyIn("suspension", recordColumns[pme.Suspensions], len(rs.recs), rs.line)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == uniqueViolation {
		_, err = w.ft.tx.ExecContext(w.ft.ctx, `ROLLBACK TO SAVEPOINT new_events`)
		return false, err
	}
	if err != nil {
		return false, err
	}
	_, err = w.ft.tx.ExecContext(w.ft.ctx, `RELEASE SAVEPOINT new_events`)
	return err == nil, err
}
