package store

import (
	"fmt"

	"github.com/lib/pq"

	"pme"
)

// pgWriter writes a file's batches to PostgreSQL with COPY: rows that are only inserted (snapshot
// records, issues) are copied straight into their table; rows that merge with stored ones (pupils,
// suspension events) are copied into a temporary staging table, dropped at commit, and merged by
// one set-based statement per batch.
type pgWriter struct {
	ft *FileTx
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

// copyIn streams rows into table with COPY; next fills the i-th row's values and reports false at
// the end.
func (w *pgWriter) copyIn(table string, cols []string, n int, row func(i int) []any) error {
	defer tr("copy "+table)()
	st, err := w.ft.tx.PrepareContext(w.ft.ctx, pq.CopyIn(table, cols...))
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	for i := 0; i < n; i++ {
		vals := row(i)
		if vals == nil {
			continue
		}
		if _, err := st.ExecContext(w.ft.ctx, vals...); err != nil {
			st.Close()
			return fmt.Errorf("copy into %s: %w", table, err)
		}
	}
	if _, err := st.ExecContext(w.ft.ctx); err != nil {
		st.Close()
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return st.Close()
}

func (w *pgWriter) lookupPupils(upns []string) ([]pupilRow, error) {
	q := w.ft.tx.Rebind(fmt.Sprintf(lookupPupilsSQL, "p.upn = ANY(?)", "f.upn = ANY(?)"))
	var rows []pupilRow
	arr := pq.Array(upns)
	defer tr("pg lookup query")()
	if err := w.ft.tx.SelectContext(w.ft.ctx, &rows, q, arr, arr); err != nil {
		return nil, fmt.Errorf("look up pupils: %w", err)
	}
	return rows, nil
}

// writePupils stages the batch's new and changed pupils and merges them in one statement. A changed
// pupil is staged under its own UPN, whatever UPN the row used, so the upsert finds it.
func (w *pgWriter) writePupils(ps []*pupilState) error {
	err := w.copyIn("stage_pupil", stagePupilColumns, len(ps), func(i int) []any {
		p := &ps[i].p
		return []any{p.UPN, ps[i].temp, p.Surname, p.Forename, nameKey(p.Surname, p.Forename), p.DOB,
			p.Gender, p.NCYear, p.SEN}
	})
	if err != nil {
		return err
	}
	const q = `INSERT INTO pupil (upn, is_temp, surname, forename, name_key, dob, gender, nc_year, sen, file_id, updated)
		SELECT upn, is_temp, surname, forename, name_key, dob, gender, nc_year, sen, $1, $2 FROM stage_pupil
		ON CONFLICT (upn) DO UPDATE SET surname = excluded.surname, forename = excluded.forename,
			name_key = excluded.name_key, dob = excluded.dob, gender = excluded.gender, nc_year = excluded.nc_year,
			sen = excluded.sen, file_id = excluded.file_id, updated = excluded.updated
		RETURNING id, upn`
	var rows []struct {
		ID  int64  `db:"id"`
		UPN string `db:"upn"`
	}
	done := tr("pg pupil merge")
	err = w.ft.tx.SelectContext(w.ft.ctx, &rows, q, w.ft.fileID, timestamp(w.ft.meta.Received))
	done()
	if err != nil {
		return fmt.Errorf("merge pupils: %w", err)
	}
	ids := make(map[string]int64, len(rows))
	for _, r := range rows {
		ids[r.UPN] = r.ID
	}
	for _, st := range ps {
		if st.id = ids[st.p.UPN]; st.id == 0 {
			return fmt.Errorf("merge pupils: no id returned for a staged pupil")
		}
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

// upsertSuspensions stages the batch's events and merges them: a known event (school, pupil,
// category, start date) is updated in place. Within the batch the last row of an event wins, as it
// would row by row; one INSERT … ON CONFLICT cannot touch a row twice. An unchanged event is not
// rewritten (see upsertSuspensionSQL).
func (w *pgWriter) upsertSuspensions(recs []pendingRecord, ids []int64) error {
	type key struct {
		pupil          int64
		laestab, categ string
		start          pme.Date
	}
	last := map[key]int{}
	for i := range recs {
		if s := &recs[i]; s.rec.Type == pme.Suspensions {
			last[key{ids[i], s.rec.LAESTAB, s.su.Category, s.su.StartDate}] = i
		}
	}
	if len(last) == 0 {
		return nil
	}
	err := w.copyIn("stage_suspension", recordColumns[pme.Suspensions], len(recs), func(i int) []any {
		s := &recs[i]
		if s.rec.Type != pme.Suspensions || last[key{ids[i], s.rec.LAESTAB, s.su.Category, s.su.StartDate}] != i {
			return nil
		}
		return recordArgs(w.ft, s, ids[i])
	})
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
	done := tr("pg susp merge")
	_, err = w.ft.tx.ExecContext(w.ft.ctx, q)
	done()
	if err != nil {
		return fmt.Errorf("merge suspensions: %w", err)
	}
	_, err = w.ft.tx.ExecContext(w.ft.ctx, `TRUNCATE stage_suspension`)
	return err
}

func (w *pgWriter) writeIssues(is []pme.Issue) error {
	if len(is) == 0 {
		return nil
	}
	return w.copyIn("issue", issueColumns, len(is), func(i int) []any {
		x := &is[i]
		return []any{w.ft.fileID, x.Sheet, x.Row, x.Column, x.Value, x.Code, x.Severity, x.Message}
	})
}
