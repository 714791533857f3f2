package store

import (
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"pme"
)

// A flag run keeps each pupil's facts hash (flag_pupil) and the hash of what all pupils share
// (flag_context): see migration 00013 and pipeline.Flag. They are written in the run's
// transaction, with the cases they describe, so that a run stored whole stores them too and a run
// rolled back leaves the last run's.

// FlagContext returns the context hash and the facts version (FactsVersion) the last run stored;
// ok is false when there is none.
func (f *FlagRun) FlagContext() (hash, version int64, ok bool, err error) {
	var row struct {
		Hash  int64 `db:"hash"`
		Facts int64 `db:"facts"`
	}
	err = f.tx.GetContext(f.ctx, &row, `SELECT hash, facts FROM flag_context WHERE id = 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, fmt.Errorf("read flag context: %w", err)
	}
	return row.Hash, row.Facts, true, nil
}

// ResetFactHashes forgets every pupil's facts hash and stores the context this run evaluates in:
// for a run that evaluates every pupil.
func (f *FlagRun) ResetFactHashes(context int64) error {
	if _, err := f.tx.ExecContext(f.ctx, `DELETE FROM flag_pupil`); err != nil {
		return fmt.Errorf("reset facts hashes: %w", err)
	}
	q := f.tx.Rebind(`INSERT INTO flag_context (id, hash, facts) VALUES (1, ?, 0)
		ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, facts = 0`)
	if _, err := f.tx.ExecContext(f.ctx, q, context); err != nil {
		return fmt.Errorf("store flag context: %w", err)
	}
	return nil
}

// FactsVersion returns a hash of the file ledger, the reference data loads and the number of rows
// of each table of facts, read in the run's snapshot. Every change to facts comes with a file (an
// ingest, a pupil merged by one) or a reference load, and a deletion changes a count: the same
// version as the last run's means the facts it hashed are the facts now.
func (f *FlagRun) FactsVersion() (int64, error) {
	h := sha256.New()
	// One row of subqueries: the rows of a UNION come in no promised order (a parallel plan
	// interleaves them).
	var counts struct {
		Files, LastFile, Pupils, Former, Timetables, Placements, Suspensions int64
	}
	q := `SELECT (SELECT COUNT(*) FROM file), (SELECT COALESCE(MAX(id), 0) FROM file), (SELECT COUNT(*) FROM pupil),
		(SELECT COUNT(*) FROM former_upn), (SELECT COUNT(*) FROM timetable), (SELECT COUNT(*) FROM placement),
		(SELECT COUNT(*) FROM suspension)`
	if err := f.q.QueryRowxContext(f.ctx, q).Scan(&counts.Files, &counts.LastFile, &counts.Pupils, &counts.Former,
		&counts.Timetables, &counts.Placements, &counts.Suspensions); err != nil {
		return 0, fmt.Errorf("facts version: %w", err)
	}
	var loads []struct {
		Kind     string `db:"kind"`
		Rows     int64  `db:"row_count"`
		LoadedAt string `db:"loaded_at"`
	}
	if err := f.sel(&loads, `SELECT kind, row_count, CAST(loaded_at AS TEXT) AS loaded_at FROM reference_load ORDER BY kind`); err != nil {
		return 0, fmt.Errorf("facts version: %w", err)
	}
	fmt.Fprintf(h, "%+v %+v", counts, loads)
	sum := h.Sum(nil)
	return int64(binary.LittleEndian.Uint64(sum[:8])), nil
}

// SetFactsVersion records the facts version the run's hashes describe.
func (f *FlagRun) SetFactsVersion(version int64) error {
	if _, err := f.tx.ExecContext(f.ctx, f.tx.Rebind(`UPDATE flag_context SET facts = ? WHERE id = 1`), version); err != nil {
		return fmt.Errorf("store facts version: %w", err)
	}
	return nil
}

// forgetFlagContext makes the next flag run evaluate every pupil: for writes to cases made
// outside a flag run, which the facts hashes know nothing of.
func forgetFlagContext(f *FlagRun) error {
	if _, err := f.tx.ExecContext(f.ctx, `DELETE FROM flag_context`); err != nil {
		return fmt.Errorf("forget flag context: %w", err)
	}
	return nil
}

// FactHashes returns the range's stored facts hashes by pupil.
func (f *FlagRun) FactHashes(rg PupilRange) (map[int64]int64, error) {
	rows, err := f.q.QueryxContext(f.ctx, f.q.Rebind(`SELECT pupil_id, facts FROM flag_pupil WHERE pupil_id >= ? AND pupil_id < ?`),
		rg.From, rg.To)
	if err != nil {
		return nil, fmt.Errorf("read facts hashes: %w", err)
	}
	defer rows.Close()
	out := make(map[int64]int64, f.sizes["flag_pupil"])
	for rows.Next() {
		var id, h int64
		if err := rows.Scan(&id, &h); err != nil {
			return nil, fmt.Errorf("read facts hashes: %w", err)
		}
		out[id] = h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read facts hashes: %w", err)
	}
	sized(f.Reader, "flag_pupil", make([]struct{}, len(out)))
	return out, nil
}

// SaveFactHashes stores the pupils' facts hashes, replacing any stored, and forgets those of
// gone (pupils with a hash stored and no facts now). fresh says that the range has no hash stored
// (after ResetFactHashes), so that they can be copied in without a merge.
func (f *FlagRun) SaveFactHashes(hashes map[int64]int64, gone []int64, fresh bool) error {
	if len(gone) > 0 {
		cond, arg := f.s.inList("pupil_id", gone)
		if _, err := f.tx.ExecContext(f.ctx, f.tx.Rebind(`DELETE FROM flag_pupil WHERE `+cond), arg); err != nil {
			return fmt.Errorf("save facts hashes: %w", err)
		}
	}
	ids := make([]int64, 0, len(hashes))
	for id := range hashes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	cols := []string{"pupil_id", "facts"}
	row := func(i int) []any { return append(f.args[:0], ids[i], hashes[ids[i]]) }
	if f.conn != nil {
		if fresh {
			return f.copyRows("flag_pupil", cols, len(ids), row)
		}
		return f.mergeRows("flag_pupil", cols, "pupil_id", len(ids), row)
	}
	const batch = 1000
	for start := 0; start < len(ids); start += batch {
		end := min(start+batch, len(ids))
		args := make([]any, 0, (end-start)*2)
		for _, id := range ids[start:end] {
			args = append(args, id, hashes[id])
		}
		q := `INSERT OR REPLACE INTO flag_pupil (pupil_id, facts) VALUES ` + values(end-start, 2)
		if err := f.exec(q, end-start == batch, args); err != nil {
			return fmt.Errorf("save facts hashes: %w", err)
		}
	}
	return nil
}

// mergeRows writes n rows into table on PostgreSQL, inserting them or, where a row with the same
// key is stored, replacing its other columns: one COPY into a temporary table of the table's shape
// and one set-based INSERT … ON CONFLICT, instead of multi-row upserts (a second flag run a day
// later updates every case: 472,104 upserted 500 at a time took most of its time).
func (f *FlagRun) mergeRows(table string, cols []string, key string, n int, row func(i int) []any) error {
	if n == 0 {
		return nil
	}
	tmp := "merge_" + table
	if !f.temps[tmp] {
		// Dropped at the end of the run's transaction: the connection goes back to the pool.
		q := `CREATE TEMPORARY TABLE ` + tmp + ` (LIKE ` + table + ` INCLUDING DEFAULTS) ON COMMIT DROP`
		if _, err := f.tx.ExecContext(f.ctx, q); err != nil {
			return fmt.Errorf("merge into %s: %w", table, err)
		}
		f.temps[tmp] = true
	} else if _, err := f.tx.ExecContext(f.ctx, `TRUNCATE `+tmp); err != nil {
		return fmt.Errorf("merge into %s: %w", table, err)
	}
	if err := f.copyRows(tmp, cols, n, row); err != nil {
		return err
	}
	var set []string
	for _, c := range cols {
		if c != key {
			set = append(set, c+" = excluded."+c)
		}
	}
	list := strings.Join(cols, ", ")
	q := `INSERT INTO ` + table + ` (` + list + `) SELECT ` + list + ` FROM ` + tmp +
		` ON CONFLICT (` + key + `) DO UPDATE SET ` + strings.Join(set, ", ")
	if _, err := f.tx.ExecContext(f.ctx, q); err != nil {
		return fmt.Errorf("merge into %s: %w", table, err)
	}
	return nil
}

// CasesOf returns the cases of the given pupils, closed ones included, ordered by pupil, with
// their findings and rules.
func (f *FlagRun) CasesOf(pupils []int64) ([]pme.Case, error) {
	if len(pupils) == 0 {
		return nil, nil
	}
	if err := f.freshStats(); err != nil {
		return nil, err
	}
	cond, arg := f.s.inList("pupil_id", pupils)
	// The findings by the ids of the cases just read: joined to cases by pupil, each case was
	// looked up again (66,668 pupils changed of 469,440: 5.4-6.8 s of a rerun's 20 s of statements
	// on the shared machine went on the findings).
	return f.cases(`WHERE `+cond, []any{arg}, func(cases []pme.Case) (string, []any) {
		ids := make([]string, len(cases))
		for i := range cases {
			ids[i] = cases[i].ID
		}
		fcond, farg := f.s.inList("f.case_id", ids)
		return `WHERE ` + fcond, []any{farg}
	})
}

// CaseCounts returns the number of cases by status among those not closed and those closed on
// day: what a run on day lists.
func (f *FlagRun) CaseCounts(day pme.Date) (map[string]int, error) {
	var rows []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	q := `SELECT status, COUNT(*) AS n FROM cases WHERE status <> 'closed' OR closed_on = ? GROUP BY status`
	if err := f.sel(&rows, q, day); err != nil {
		return nil, fmt.Errorf("count cases: %w", err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}
