package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"pme"
)

// pgWriter writes a file's batches to PostgreSQL with COPY, whose text it writes itself (copyIn).
// New rows (snapshot records, issues, new pupils, batches of new suspension events) are copied
// straight into their table; rows that merge with stored ones (changed pupils, re-sent events) are
// copied into a temporary staging table, dropped at commit, and merged by one set-based statement
// per batch.
type pgWriter struct {
	ft    *FileTx
	buf   []byte // COPY text, reused
	args  []any  // one pupil's values, reused
	merge bool   // some batch re-sent known events: merge every later one (see upsertSuspensions)
	keep  []bool // upsertSuspensions' rows to write, reused
}

// Staging tables, created in the file's transaction. Their columns are the target's, minus what the
// merge statement supplies.
const createStagingSQL = `
CREATE TEMP TABLE stage_pupil ON COMMIT DROP AS
	SELECT upn, is_temp, surname, forename, name_key, dob, gender, nc_year, sen FROM pupil WITH NO DATA;
CREATE TEMP TABLE stage_suspension ON COMMIT DROP AS
	SELECT file_id, sheet_id, row_num, laestab, pupil_id, received, category, start_date, sessions,
		reason, reason2, reason3, sixth_day_provision FROM suspension WITH NO DATA`

var (
	stagePupilColumns = []string{"upn", "is_temp", "surname", "forename", "name_key", "dob", "gender", "nc_year", "sen"}
	recordHeadColumns = []string{"file_id", "sheet_id", "row_num", "laestab", "pupil_id", "received"}
	recordColumns     = map[pme.ReturnType][]string{
		pme.ReducedTimetable: append(recordHeadColumns[:len(recordHeadColumns):len(recordHeadColumns)],
			"start_date", "planned_end_date", "actual_end_date", "hours_per_week", "reason", "parental_agreement", "review_date"),
		pme.AlternativeProvision: append(recordHeadColumns[:len(recordHeadColumns):len(recordHeadColumns)],
			"provider_name", "provider_urn", "provider_ukprn", "provider_registered", "start_date", "end_date",
			"hours_at_provider", "hours_at_school", "reason"),
		pme.Suspensions: append(recordHeadColumns[:len(recordHeadColumns):len(recordHeadColumns)],
			"category", "start_date", "sessions", "reason", "reason2", "reason3", "sixth_day_provision"),
	}
	issueColumns = []string{"file_id", "sheet", "row_num", "col", "value", "code", "severity", "message"}
)

func newPGWriter(ft *FileTx) (batchWriter, error) {
	if _, err := ft.tx.ExecContext(ft.ctx, createStagingSQL); err != nil {
		return nil, fmt.Errorf("create staging tables: %w", err)
	}
	return &pgWriter{ft: ft}, nil
}

func (w *pgWriter) close() error { return nil }

// copyData is the COPY statement of lib/pq under database/sql: CopyData takes text-format lines
// as they go on the wire.
type copyData interface {
	CopyData(ctx context.Context, line string) (driver.Result, error)
}

// copyFlushBytes is how much COPY text is gathered before it is handed to the driver, which sends
// it in messages of about 64 KB.
const copyFlushBytes = 60 << 10

// copyIn streams rows into table with COPY; row gives the i-th row's values (nil to skip the row).
// It encodes the rows itself (see appendCopyValue) and hands the driver many rows at a time: going
// through database/sql's Exec for each row cost about as much as everything else in the store.
func (w *pgWriter) copyIn(table string, cols []string, n int, row func(i int) []any) error {
	q := `COPY ` + table + ` (` + strings.Join(cols, ", ") + `) FROM STDIN`
	err := w.ft.conn.Raw(func(dc any) error {
		prep, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("driver %T cannot prepare COPY", dc)
		}
		st, err := prep.PrepareContext(w.ft.ctx, q)
		if err != nil {
			return err
		}
		defer st.Close()
		cd, ok := st.(copyData)
		if !ok {
			return fmt.Errorf("driver statement %T takes no COPY data", st)
		}
		buf := w.buf[:0]
		for i := 0; i < n; i++ {
			vals := row(i)
			if vals == nil {
				continue
			}
			for j, v := range vals {
				if j > 0 {
					buf = append(buf, '\t')
				}
				if buf, err = appendCopyValue(buf, v); err != nil {
					return err
				}
			}
			buf = append(buf, '\n')
			if len(buf) >= copyFlushBytes {
				// CopyData adds the last newline itself.
				if _, err := cd.CopyData(w.ft.ctx, string(buf[:len(buf)-1])); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
		if len(buf) > 0 {
			if _, err := cd.CopyData(w.ft.ctx, string(buf[:len(buf)-1])); err != nil {
				return err
			}
		}
		w.buf = buf[:0]
		// An Exec of no values ends the COPY and reports any error the server found in it (lib/pq's
		// COPY statement has no ExecContext).
		_, err = st.Exec(nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return nil
}

// appendCopyValue appends v in COPY's text format: NULL as \N, and backslash, tab, newline and
// carriage return escaped in text.
func appendCopyValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, `\N`...), nil
	case string:
		return appendCopyText(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case bool:
		if x {
			return append(b, 't'), nil
		}
		return append(b, 'f'), nil
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64), nil
	case pme.Date:
		if x.IsZero() {
			return append(b, `\N`...), nil
		}
		return appendDate(b, x), nil
	case timestamp:
		if time.Time(x).IsZero() {
			return append(b, `\N`...), nil
		}
		return time.Time(x).UTC().AppendFormat(b, time.RFC3339Nano), nil
	}
	return b, fmt.Errorf("copy: no text form for %T", v)
}

// appendDate appends d as YYYY-MM-DD, by hand: time's layout machinery cost a tenth of the copy.
func appendDate(b []byte, d pme.Date) []byte {
	y, m, day := d.Time().Date()
	if y < 1000 || y > 9999 {
		return d.Time().AppendFormat(b, time.DateOnly)
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(m)/10), byte('0'+int(m)%10), '-', byte('0'+day/10), byte('0'+day%10))
}

func appendCopyText(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '\t':
			b = append(b, '\\', 't')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, c)
		}
	}
	return b
}

// lookupPupilsPG finds each UPN through the unique index, one probe per UPN. The LATERAL
// subqueries (kept apart by LIMIT) force that plan: within the file's transaction the planner has
// no statistics for the rows it added, and chose a sequential scan of the whole pupil table for
// every batch (25–50 ms a batch at 300,000 pupils, more than the batch's inserts).
const (
	lookupPupilsPG = `SELECT k.upn AS key, p.* FROM unnest($1::text[]) AS k(upn),
	LATERAL (SELECT ` + pupilRowColumns + ` FROM pupil p WHERE p.upn = k.upn LIMIT 1) p`
	lookupFormerPG = `
	UNION ALL
	SELECT k.upn AS key, p.* FROM unnest($1::text[]) AS k(upn),
	LATERAL (SELECT ` + pupilRowColumns + ` FROM former_upn f JOIN pupil p ON p.id = f.pupil_id
		WHERE f.upn = k.upn LIMIT 1) p`
)

func (w *pgWriter) lookupPupils(upns []string, former bool) ([]pupilRow, error) {
	q := lookupPupilsPG
	if former {
		q += lookupFormerPG
	}
	var rows []pupilRow
	if err := w.ft.tx.SelectContext(w.ft.ctx, &rows, q, pq.Array(upns)); err != nil {
		return nil, fmt.Errorf("look up pupils: %w", err)
	}
	return rows, nil
}

// writePupils copies the batch's new pupils straight into pupil, with ids taken from its identity
// sequence beforehand (COPY returns none), and merges the changed ones through the staging table.
// lookupPupils has just found none of the new UPNs, in this transaction: a plain insert is enough,
// and costs half an INSERT … ON CONFLICT … RETURNING. Should another process store one of these
// UPNs meanwhile, the copy fails on the unique key and the whole file is rolled back, to be taken
// again by the next run (runs are one at a time: see the scheduler).
func (w *pgWriter) writePupils(ps []*pupilState) error {
	var fresh, changed []*pupilState
	for _, st := range ps {
		if st.isNew {
			fresh = append(fresh, st)
		} else {
			changed = append(changed, st)
		}
	}
	if err := w.insertPupils(fresh); err != nil {
		return err
	}
	return w.mergePupils(changed)
}

var pupilColumns = append(stagePupilColumns[:len(stagePupilColumns):len(stagePupilColumns)], "id", "file_id", "updated")

func (w *pgWriter) insertPupils(ps []*pupilState) error {
	if len(ps) == 0 {
		return nil
	}
	var ids []int64
	// The sequence is looked up once (a scalar subquery): per row, the lookup cost ten times the
	// nextval.
	const q = `SELECT nextval((SELECT pg_get_serial_sequence('pupil', 'id'))) FROM generate_series(1, $1)`
	if err := w.ft.tx.SelectContext(w.ft.ctx, &ids, q, len(ps)); err != nil {
		return fmt.Errorf("number new pupils: %w", err)
	}
	for i, st := range ps {
		st.id = ids[i]
	}
	at := timestamp(w.ft.meta.Received)
	return w.copyIn("pupil", pupilColumns, len(ps), func(i int) []any {
		return append(w.pupilArgs(ps[i]), ps[i].id, w.ft.fileID, at)
	})
}

// pupilArgs lists a pupil's values in stagePupilColumns order, in a slice reused row after row.
func (w *pgWriter) pupilArgs(st *pupilState) []any {
	p := &st.p
	w.args = append(w.args[:0], p.UPN, st.temp, p.Surname, p.Forename, nameKey(p.Surname, p.Forename), p.DOB,
		p.Gender, p.NCYear, p.SEN)
	return w.args
}

// mergePupils stages the changed pupils and updates them in one statement. A changed pupil is
// staged under its own UPN, whatever UPN the row used, so the upsert finds it through the unique
// index (an UPDATE … FROM would leave the join to the planner, which lacks statistics here).
func (w *pgWriter) mergePupils(ps []*pupilState) error {
	if len(ps) == 0 {
		return nil
	}
	err := w.copyIn("stage_pupil", stagePupilColumns, len(ps), func(i int) []any { return w.pupilArgs(ps[i]) })
	if err != nil {
		return err
	}
	const q = `INSERT INTO pupil (upn, is_temp, surname, forename, name_key, dob, gender, nc_year, sen, file_id, updated)
		SELECT upn, is_temp, surname, forename, name_key, dob, gender, nc_year, sen, $1, $2 FROM stage_pupil
		ON CONFLICT (upn) DO UPDATE SET surname = excluded.surname, forename = excluded.forename,
			name_key = excluded.name_key, dob = excluded.dob, gender = excluded.gender, nc_year = excluded.nc_year,
			sen = excluded.sen, file_id = excluded.file_id, updated = excluded.updated`
	if _, err = w.ft.tx.ExecContext(w.ft.ctx, q, w.ft.fileID, timestamp(w.ft.meta.Received)); err != nil {
		return fmt.Errorf("merge pupils: %w", err)
	}
	_, err = w.ft.tx.ExecContext(w.ft.ctx, `TRUNCATE stage_pupil`)
	return err
}

func (w *pgWriter) writeRecords(t pme.ReturnType, recs []pendingRecord, ids []int64) error {
	row := func(i int) []any {
		if recs[i].rec.Type != t {
			return nil
		}
		return recordArgs(w.ft, &recs[i], ids[i])
	}
	if t != pme.Suspensions {
		return w.copyIn(recordTable[t], recordColumns[t], len(recs), row)
	}
	return w.upsertSuspensions(recs, ids)
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
// known event usually re-sends many.
func (w *pgWriter) upsertSuspensions(recs []pendingRecord, ids []int64) error {
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
	row := func(i int) []any {
		if !keep[i] {
			return nil
		}
		return recordArgs(w.ft, &recs[i], ids[i])
	}
	if !w.merge {
		inserted, err := w.insertNewEvents(row, len(recs))
		if err != nil || inserted {
			return err
		}
		w.merge = true
	}
	err := w.copyIn("stage_suspension", recordColumns[pme.Suspensions], len(recs), row)
	if err != nil {
		return err
	}
	const q = `INSERT INTO suspension (file_id, sheet_id, row_num, laestab, pupil_id, received, category,
			start_date, sessions, reason, reason2, reason3, sixth_day_provision)
		SELECT file_id, sheet_id, row_num, laestab, pupil_id, received, category,
			start_date, sessions, reason, reason2, reason3, sixth_day_provision FROM stage_suspension
		ON CONFLICT (pupil_id, start_date, category, laestab) DO UPDATE SET file_id = excluded.file_id,
			sheet_id = excluded.sheet_id, row_num = excluded.row_num, received = excluded.received,
			sessions = excluded.sessions, reason = excluded.reason, reason2 = excluded.reason2,
			reason3 = excluded.reason3, sixth_day_provision = excluded.sixth_day_provision
		WHERE (suspension.sessions, suspension.reason, suspension.reason2, suspension.reason3, suspension.sixth_day_provision)
			<> (excluded.sessions, excluded.reason, excluded.reason2, excluded.reason3, excluded.sixth_day_provision)`
	if _, err := w.ft.tx.ExecContext(w.ft.ctx, q); err != nil {
		return fmt.Errorf("merge suspensions: %w", err)
	}
	_, err = w.ft.tx.ExecContext(w.ft.ctx, `TRUNCATE stage_suspension`)
	return err
}

// insertNewEvents copies the batch's events into suspension under a savepoint. It reports false,
// with nothing written, when an event is already stored.
func (w *pgWriter) insertNewEvents(row func(i int) []any, n int) (bool, error) {
	if _, err := w.ft.tx.ExecContext(w.ft.ctx, `SAVEPOINT new_events`); err != nil {
		return false, fmt.Errorf("insert new events: %w", err)
	}
	err := w.copyIn("suspension", recordColumns[pme.Suspensions], n, row)
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

// uniqueViolation is PostgreSQL's error code for a duplicate key.
const uniqueViolation = "23505"

func (w *pgWriter) writeIssues(is []pme.Issue) error {
	if len(is) == 0 {
		return nil
	}
	return w.copyIn("issue", issueColumns, len(is), func(i int) []any {
		x := &is[i]
		return []any{w.ft.fileID, x.Sheet, x.Row, x.Column, x.Value, x.Code, x.Severity, x.Message}
	})
}
