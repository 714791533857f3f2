package store

import (
	"context"
	"fmt"

	"github.com/lib/pq"
)

// Pupils: looked up by UPN, numbered, copied in when new and merged when changed.

// lookupPupilsPG finds each UPN through the unique index, one probe per UPN. The LATERAL
// subquery (kept apart by LIMIT) forces that plan: within the file's transaction the planner has
// no statistics for the rows it added, and chose a sequential scan of the whole pupil table for
// every batch (25–50 ms a batch at 300,000 pupils, more than the batch's inserts). A UPN found
// nowhere is a new pupil: it comes back fresh, with an id already taken from pupil's sequence
// (COALESCE evaluates nextval only then), which saves insertPupils a round trip. The sequence is
// looked up once (a scalar subquery): per row, the lookup cost ten times the nextval.
const (
	lookupPupilsPG = `SELECT k.upn AS key, p.id IS NULL AS fresh,
		COALESCE(p.id, nextval((SELECT pg_get_serial_sequence('pupil', 'id')))) AS id,
		COALESCE(p.is_temp, FALSE) AS is_temp, COALESCE(p.upn, k.upn) AS upn, COALESCE(p.surname, '') AS surname,
		COALESCE(p.forename, '') AS forename, p.dob, COALESCE(p.gender, '') AS gender,
		COALESCE(p.nc_year, '') AS nc_year, COALESCE(p.sen, '') AS sen
	FROM unnest($1::text[]) AS k(upn) LEFT JOIN LATERAL (
		SELECT ` + pupilRowColumns + ` FROM pupil p WHERE p.upn = k.upn%s LIMIT 1) p ON TRUE`
	lookupFormerPG = `
		UNION ALL
		SELECT ` + pupilRowColumns + ` FROM former_upn f JOIN pupil p ON p.id = f.pupil_id WHERE f.upn = k.upn`
)

func (w *pgWriter) lookupPupils(upns []string, former bool) ([]pupilRow, error) {
	if w.pupilBulk != nil {
		if former || w.bulkLookups >= pupilBulkLookups {
			if err := w.finishPupilBulk(); err != nil {
				return nil, err
			}
		} else {
			w.bulkLookups++
			return w.scanPupils(upns)
		}
	}
	var union string
	if former {
		union = lookupFormerPG
	}
	var rows []pupilRow
	if err := w.ft.tx.SelectContext(w.ft.ctx, &rows, fmt.Sprintf(lookupPupilsPG, union), pq.Array(upns)); err != nil {
		return nil, fmt.Errorf("look up pupils: %w", err)
	}
	return rows, nil
}

// pupilBulkLookups is how many lookups a first load makes without pupil's UPN key (see
// scanPupils) before it makes the key again: each reads the whole table.
const pupilBulkLookups = 8

// scanPupils finds pupils by UPN while pupil has no UPN key (see startPupilBulk): one pass over the
// table, which holds only the file's own pupils, against a hashed list of the UPNs. UPNs not found
// come back as nothing: numberPupils numbers their new pupils.
func (w *pgWriter) scanPupils(upns []string) ([]pupilRow, error) {
	var rows []pupilRow
	q := `SELECT p.upn AS key, FALSE AS fresh, ` + pupilRowColumns + ` FROM pupil p WHERE p.upn = ANY($1::text[])`
	if err := w.ft.tx.SelectContext(w.ft.ctx, &rows, q, pq.Array(upns)); err != nil {
		return nil, fmt.Errorf("look up pupils: %w", err)
	}
	return rows, nil
}

// writePupils copies the batch's new pupils straight into pupil, and merges the changed ones.
// lookupPupils has just found none of the new UPNs, in this transaction: a plain insert is enough,
// and costs half an INSERT … ON CONFLICT … RETURNING. Should another process store one of these
// UPNs meanwhile, the copy fails on the unique key and the whole file is rolled back, to be taken
// again by the next run (runs are one at a time: see the scheduler).
func (w *pgWriter) writePupils(ps []*pupilState) error {
	if !w.pupilBulkTried && w.ft.firstPupils && len(w.ft.pending) >= flushRows {
		w.pupilBulkTried = true
		if err := w.startPupilBulk(); err != nil {
			return err
		}
	}
	var fresh, changed []*pupilState
	for _, st := range ps {
		if st.isNew {
			fresh = append(fresh, st)
		} else {
			changed = append(changed, st)
		}
	}
	if err := w.numberPupils(fresh); err != nil {
		return err
	}
	if len(w.ft.pending) <= smallBatchRows {
		w.newPupils = fresh // written with the records
	} else if err := w.insertPupils(fresh); err != nil {
		return err
	}
	return w.mergePupils(changed)
}

var pupilColumns = append(pupilValueColumns[:len(pupilValueColumns):len(pupilValueColumns)], "id", "file_id")

// numberPupils gives an id from pupil's sequence to any new pupil lookupPupils did not number: the
// pupils are written without RETURNING, by COPY or with their records. A large file's batches
// take ids ahead, on the copy queue (see takeIDsAhead); the ids left over at the end are skipped,
// as after a rollback.
func (w *pgWriter) numberPupils(ps []*pupilState) error {
	var unnumbered []*pupilState
	for _, st := range ps {
		if st.id == 0 {
			unnumbered = append(unnumbered, st)
		}
	}
	n := len(unnumbered)
	if n > len(w.ids) && w.moreIDs != nil {
		if err := w.receiveIDs(); err != nil {
			return err
		}
	}
	if n > len(w.ids) {
		ids, err := takeIDs(w.ft.ctx, w.ft.tx, n-len(w.ids), w.pupilsLocked)
		if err != nil {
			return err
		}
		w.ids = append(w.ids, ids...)
	}
	for i, st := range unnumbered {
		st.id = w.ids[i]
	}
	w.ids = w.ids[n:]
	if (len(w.ft.pending) > smallBatchRows || w.aheadIDs) && w.moreIDs == nil && len(w.ids) < idsAhead/2 {
		w.takeIDsAhead()
	}
	return nil
}

// idsAhead is how many pupil ids a large file takes at a time: 16 batches' worth of new pupils.
const idsAhead = 16 * flushRows

// idFetch is ids being taken on the copy queue.
type idFetch struct {
	ids  []int64
	err  error
	done chan struct{}
}

// takeIDsAhead queues the taking of idsAhead ids behind the COPYs already queued, to be received
// when needed (receiveIDs). Taken in turn, the file waited for the queue to empty and then for the
// ids, a pause of both the client and the server for each round trip: five in a 1,000,000-row
// first load.
func (w *pgWriter) takeIDsAhead() {
	f := &idFetch{done: make(chan struct{})}
	w.moreIDs = f
	// The job runs on the queue's goroutine, with the transaction's connection to itself: it uses
	// the transaction directly, not through fileTx, which would wait for the queue to empty.
	tx, ctx, reserve := w.ft.tx.tx, w.ft.ctx, w.pupilsLocked
	err := w.queue().add(func() error {
		defer close(f.done)
		f.ids, f.err = takeIDs(ctx, tx, idsAhead, reserve)
		return f.err
	})
	if err != nil {
		f.err = err
		close(f.done)
	}
}

// receiveIDs waits for the ids takeIDsAhead queued, and adds them to those in hand.
func (w *pgWriter) receiveIDs() error {
	f := w.moreIDs
	w.moreIDs = nil
	select {
	case <-f.done:
	case <-w.queue().broken: // the job will not run
		return w.queue().failed()
	}
	if f.err != nil {
		return f.err
	}
	w.ids = append(w.ids, f.ids...)
	return nil
}

// takeIDs takes n ids from pupil's sequence, or reserves them when reserve is set (see reserveIDs).
// Taken, they come back in one array, not as n rows, each a message for the server to send and
// the client to scan.
func takeIDs(ctx context.Context, tx interface {
	GetContext(ctx context.Context, dest any, q string, args ...any) error
}, n int, reserve bool) ([]int64, error) {
	if reserve {
		return reserveIDs(ctx, tx, n)
	}
	var ids pq.Int64Array
	const q = `SELECT array_agg(nextval((SELECT pg_get_serial_sequence('pupil', 'id')))) FROM generate_series(1, $1)`
	if err := tx.GetContext(ctx, &ids, q, n); err != nil {
		return nil, fmt.Errorf("number new pupils: %w", err)
	}
	return ids, nil
}

// reserveIDs reserves n ids at once by moving pupil's sequence past them: the n after the last id
// the sequence has handed out to any connection, ids no connection holds. Taken one by one,
// 490,000 ids cost a first load 0.22 s of the server's time; reserved 80,000 at a time, nothing to
// speak of. It runs only while the file holds pupil's lock (see startPupilBulk), which holds back
// any other file at its first pupil lookup. A file already past its lookups that took ids from
// the sequence in the instant between the statement's two steps would hold some of the same ids:
// the pupil copied second would then fail on pupil's key, and its file with it, whole, to be
// taken again by the next run, as when two files store the same new UPN at once.
func reserveIDs(ctx context.Context, tx interface {
	GetContext(ctx context.Context, dest any, q string, args ...any) error
}, n int) ([]int64, error) {
	var first int64
	const q = `SELECT setval(s, COALESCE(pg_sequence_last_value(s), 0) + $1) - $1 + 1
		FROM (SELECT pg_get_serial_sequence('pupil', 'id')::regclass AS s) seq`
	if err := tx.GetContext(ctx, &first, q, n); err != nil {
		return nil, fmt.Errorf("reserve ids for new pupils: %w", err)
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = first + int64(i)
	}
	return ids, nil
}

// insertPupils copies numbered new pupils into pupil.
func (w *pgWriter) insertPupils(ps []*pupilState) error {
	if len(ps) == 0 {
		return nil
	}
	return w.copyLater("pupil", pupilColumns, len(ps), func(b []byte, i int) ([]byte, error) {
		return w.appendPupilLine(b, ps[i]), nil
	})
}

// pupilArgs lists a pupil's values in pupilValueColumns order, in a slice reused row after row.
func (w *pgWriter) pupilArgs(st *pupilState) []any {
	p := &st.p
	w.args = append(w.args[:0], p.UPN, st.temp, p.Surname, p.Forename, nameKey(p.Surname, p.Forename), p.DOB,
		p.Gender, p.NCYear, p.SEN)
	return w.args
}

// mergePupils updates the changed pupils in one statement. A changed pupil is passed under its own
// UPN, whatever UPN the row used, so the upsert finds it through the unique index (an UPDATE … FROM
// would leave the join to the planner, which lacks statistics here).
func (w *pgWriter) mergePupils(ps []*pupilState) error {
	if len(ps) == 0 {
		return nil
	}
	if err := w.finishPupilBulk(); err != nil { // the merge finds pupils by their UPN key
		return err
	}
	values := func(i int) []any { return w.pupilArgs(ps[i]) }
	from, arrays, err := w.mergeSource("stage_pupil", pupilValueColumns, len(ps), values, valueLines(values), 2)
	if err != nil {
		return fmt.Errorf("merge pupils: %w", err)
	}
	q := `INSERT INTO pupil (upn, is_temp, surname, forename, name_key, dob, gender, nc_year, sen, file_id)
		SELECT r.*, $1 FROM ` + from + `
		ON CONFLICT (upn) DO UPDATE SET surname = excluded.surname, forename = excluded.forename,
			name_key = excluded.name_key, dob = excluded.dob, gender = excluded.gender, nc_year = excluded.nc_year,
			sen = excluded.sen, file_id = excluded.file_id`
	args := append([]any{w.ft.fileID}, arrays...)
	if _, err = w.ft.tx.ExecContext(w.ft.ctx, q, args...); err != nil {
		return fmt.Errorf("merge pupils: %w", err)
	}
	return w.emptyStage("stage_pupil", arrays)
}
