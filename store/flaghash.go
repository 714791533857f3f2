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

// FactsMark is where the stored facts stood when a flag run read them: the highest file id it saw
// and how many files it saw, how many former UPNs, how many pupils and the highest pupil id, and
// Shared, a hash the caller gives of what the pupils share besides the run's context
// (pipeline.Flag). See ChangedSince.
type FactsMark struct {
	File, Files, Former, Pupils, LastPupil, Shared int64
}

// FactsVersion returns a hash of the file ledger, the reference data loads and the number of rows
// of each table of facts, read in the run's snapshot, and where the facts stand (a FactsMark
// without Shared). Every change to facts comes with a file (an ingest, a pupil merged by one) or a
// reference load, and a deletion changes a count: the same version as the last run's means the
// facts it hashed are the facts now.
func (f *FlagRun) FactsVersion() (int64, FactsMark, error) {
	h := sha256.New()
	// One row of subqueries: the rows of a UNION come in no promised order (a parallel plan
	// interleaves them).
	var counts struct {
		Files, LastFile, Pupils, Former, Timetables, Placements, Suspensions int64
	}
	var lastPupil int64
	q := `SELECT (SELECT COUNT(*) FROM file), (SELECT COALESCE(MAX(id), 0) FROM file), (SELECT COUNT(*) FROM pupil),
		(SELECT COUNT(*) FROM former_upn), (SELECT COUNT(*) FROM timetable), (SELECT COUNT(*) FROM placement),
		(SELECT COUNT(*) FROM suspension), (SELECT COALESCE(MAX(id), 0) FROM pupil)`
	if err := f.q.QueryRowxContext(f.ctx, q).Scan(&counts.Files, &counts.LastFile, &counts.Pupils, &counts.Former,
		&counts.Timetables, &counts.Placements, &counts.Suspensions, &lastPupil); err != nil {
		return 0, FactsMark{}, fmt.Errorf("facts version: %w", err)
	}
	var loads []struct {
		Kind     string `db:"kind"`
		Rows     int64  `db:"row_count"`
		LoadedAt string `db:"loaded_at"`
	}
	if err := f.sel(&loads, `SELECT kind, row_count, CAST(loaded_at AS TEXT) AS loaded_at FROM reference_load ORDER BY kind`); err != nil {
		return 0, FactsMark{}, fmt.Errorf("facts version: %w", err)
	}
	fmt.Fprintf(h, "%+v %+v", counts, loads)
	sum := h.Sum(nil)
	mark := FactsMark{File: counts.LastFile, Files: counts.Files, Former: counts.Former, Pupils: counts.Pupils, LastPupil: lastPupil}
	return int64(binary.LittleEndian.Uint64(sum[:8])), mark, nil
}

// SetFactsVersion records the facts version and mark (nil for none) the run's hashes describe.
func (f *FlagRun) SetFactsVersion(version int64, mark *FactsMark) error {
	q := f.tx.Rebind(`UPDATE flag_context SET facts = ?, mark_file = ?, mark_files = ?, mark_former = ?, mark_shared = ?,
		mark_pupils = ?, mark_last_pupil = ? WHERE id = 1`)
	m, file := FactsMark{}, sql.NullInt64{}
	if mark != nil {
		m, file = *mark, sql.NullInt64{Int64: mark.File, Valid: true}
	}
	if _, err := f.tx.ExecContext(f.ctx, q, version, file, m.Files, m.Former, m.Shared, m.Pupils, m.LastPupil); err != nil {
		return fmt.Errorf("store facts version: %w", err)
	}
	return nil
}

// LastMark returns the mark the last run stored; ok is false when there is none.
func (f *FlagRun) LastMark() (mark FactsMark, ok bool, err error) {
	var row struct {
		File      sql.NullInt64 `db:"mark_file"`
		Files     int64         `db:"mark_files"`
		Former    int64         `db:"mark_former"`
		Pupils    int64         `db:"mark_pupils"`
		LastPupil int64         `db:"mark_last_pupil"`
		Shared    int64         `db:"mark_shared"`
	}
	err = f.tx.GetContext(f.ctx, &row, `SELECT mark_file, mark_files, mark_former, mark_pupils, mark_last_pupil, mark_shared
		FROM flag_context WHERE id = 1`)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !row.File.Valid) {
		return FactsMark{}, false, nil
	}
	if err != nil {
		return FactsMark{}, false, fmt.Errorf("read facts mark: %w", err)
	}
	return FactsMark{File: row.File.Int64, Files: row.Files, Former: row.Former, Pupils: row.Pupils, LastPupil: row.LastPupil,
		Shared: row.Shared}, true, nil
}

// ChangedSince returns, in order, the pupils whose facts may have changed since the run that
// stored mark (now is the mark of the facts as they are), and the schools whose snapshots changed,
// with ok set; ok is false when it cannot
// tell, and every pupil's facts must be compared. Every write to the facts comes with a file, in
// the file's transaction, and sets the file's id on what it writes: a pupil's details, a
// suspension inserted or changed, a timetable or placement. The pupils are those of the files
// after mark.File, and every pupil with a row at a school a snapshot sheet among them speaks for:
// it retires, or marks stale, the school's rows from earlier sheets, and may change the school's
// latest reduced-timetable return, which the facts of every pupil at the school name (the caller
// adds the pupils with attendance there). It cannot tell when a file numbered before mark.File was
// not yet committed when that run read (its rows carry an id at or below the mark), or when a
// pupil was merged into another (rows moved, a pupil deleted, a former UPN added): the former UPNs'
// count shows a merge, and the pupils' count any pupil deleted (no more than the mark's and those
// numbered after it). A merge is the only deletion of facts: a snapshot retires rows, and
// events are updated in place. What else pupils share (school
// names, social care matches, attendance) is the caller's to compare (FactsMark.Shared).
func (f *FlagRun) ChangedSince(mark, now FactsMark) (pupils []int64, schools []string, ok bool, err error) {
	// The files then, and the pupils numbered since (through the primary key: a rerun's new pupils
	// are few). An anti-join of the facts hashes with the pupils took longer than the rest.
	var files, added int64
	q := f.q.Rebind(`SELECT (SELECT COUNT(*) FROM file WHERE id <= ?), (SELECT COUNT(*) FROM pupil WHERE id > ?)`)
	if err := f.q.QueryRowxContext(f.ctx, q, mark.File, mark.LastPupil).Scan(&files, &added); err != nil {
		return nil, nil, false, fmt.Errorf("changed pupils: %w", err)
	}
	if files != mark.Files || now.Former != mark.Former || now.Pupils != mark.Pupils+added {
		return nil, nil, false, nil
	}
	// The schools the snapshots since speak for: those their sheets name, and those of their rows.
	var sheets []struct {
		School  string `db:"school"`
		Schools string `db:"schools"`
	}
	if err := f.sel(&sheets, `SELECT school, schools FROM file_sheet WHERE file_id > ? AND return_type <> 'suspensions'`,
		mark.File); err != nil {
		return nil, nil, false, fmt.Errorf("changed pupils: %w", err)
	}
	if err := f.sel(&schools, `SELECT laestab FROM timetable WHERE file_id > ? UNION SELECT laestab FROM placement WHERE file_id > ?`,
		mark.File, mark.File); err != nil {
		return nil, nil, false, fmt.Errorf("changed pupils: %w", err)
	}
	for _, sh := range sheets {
		if sh.School != "" {
			schools = append(schools, sh.School)
		}
		schools = append(schools, splitSchools(sh.Schools)...)
	}
	slices.Sort(schools)
	schools = slices.Compact(schools)
	// A table's pupils since: those of its rows the files wrote, and those at the schools.
	since := func(table string) (string, []any) {
		cond, args := `file_id > ?`, []any{mark.File}
		if len(schools) > 0 {
			in, arg := listCond(f.sqlite, "laestab", schools)
			cond, args = cond+` OR `+in, append(args, arg)
		}
		return `SELECT pupil_id FROM ` + table + ` WHERE ` + cond, args
	}
	tq, targs := since("timetable")
	plq, pargs := since("placement")
	sq, sargs := since("suspension")
	q = `SELECT id FROM pupil WHERE file_id > ?
		UNION ` + sq + `
		UNION ` + tq + `
		UNION ` + plq + `
		ORDER BY 1`
	args := append(append(append([]any{mark.File}, sargs...), targs...), pargs...)
	if err := f.sel(&pupils, q, args...); err != nil {
		return nil, nil, false, fmt.Errorf("changed pupils: %w", err)
	}
	return pupils, schools, true, nil
}

// forgetFlagContext makes the next flag run evaluate every pupil: for writes to cases made
// outside a flag run, which the facts hashes know nothing of.
func forgetFlagContext(f *FlagRun) error {
	if _, err := f.tx.ExecContext(f.ctx, `DELETE FROM flag_context`); err != nil {
		return fmt.Errorf("forget flag context: %w", err)
	}
	return nil
}

// FactHashes returns the range's stored facts hashes by pupil (only those of rg.Only when set).
// The range is read whole and filtered here: 2,500 probes a range into the key cost more than the
// range's 20,000 rows read in order (back to back: 9.7-10.4 s against 10.9-13.8 s a rerun).
func (f *FlagRun) FactHashes(rg PupilRange) (map[int64]int64, error) {
	only := rg.Only
	rg.Only = nil
	cond, args := f.rangeCond("pupil_id", rg)
	rows, err := f.q.QueryxContext(f.ctx, f.q.Rebind(`SELECT pupil_id, facts FROM flag_pupil WHERE `+cond), args...)
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
		if only != nil {
			if _, ok := slices.BinarySearch(only, id); !ok {
				continue
			}
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
