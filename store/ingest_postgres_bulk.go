package store

import (
	"errors"
	"fmt"
	"slices"

	"github.com/lib/pq"

	"pme"
)

// A first load: an empty table's key dropped while the file loads, and made again before it
// commits.

// pgIndex is a constraint as the catalog describes it, to be made again.
type pgIndex struct {
	Name string `db:"conname"`
	Def  string `db:"def"`
}

// startBulk drops suspension's key for the rest of the file when the table is empty, as it is for
// a council's first load: building the key once, at the end, costs a third of keeping it up to
// date row by row (1,000,000 events: 1.4 s of server time saved, measured in psql). Every batch is
// then copied straight in, and finishBulk makes the key again, from the catalog's definition,
// before the file commits.
//
// While the key is dropped the file numbers the events itself (see eventNumbers).
func (w *pgWriter) startBulk() error {
	key, err := w.dropKeyWhileEmpty("suspension", `contype = 'p'`)
	w.bulk = key
	if err == nil && key != nil {
		err = w.eventIDs.start(w.ft)
	}
	if err != nil {
		return fmt.Errorf("load events in bulk: %w", err)
	}
	return nil
}

// eventNumbers gives the events copied while suspension's key is dropped their ids, in the order
// they are copied, instead of the column's default: taken from the sequence row by row, the ids
// cost the server a sixth of the COPY's time (1,000,000 rows into a table like suspension: 1.87-
// 1.95 s of server CPU with an identity column filled by the sequence, 1.50-1.76 s without, on the
// shared machine). No other transaction can take an id from the sequence meanwhile: the only
// writes that do are inserts into suspension, which the file holds locked from startBulk to its
// commit. The ids follow the last the sequence handed out, and the sequence is moved past them
// when the key is made again (finish), before anything else writes an event: the file commits
// or rolls back whole, and a rollback after the move only leaves ids unused, as a rollback does
// after nextval.
type eventNumbers struct {
	next, given int64 // the next id to give, and how many were given
}

func (n *eventNumbers) start(ft *FileTx) error {
	const q = `SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence('suspension', 'id')::regclass), 0) + 1`
	n.given = 0
	return ft.tx.GetContext(ft.ctx, &n.next, q)
}

// number returns ids for the rows of recs that are events, in buf: 0 for the others.
func (n *eventNumbers) number(buf []int64, recs []pendingRecord) []int64 {
	buf = slices.Grow(buf[:0], len(recs))[:len(recs)]
	for i := range recs {
		buf[i] = 0
		if recs[i].rec.Type == pme.Suspensions {
			buf[i] = n.next
			n.next++
			n.given++
		}
	}
	return buf
}

// finish moves the sequence past the ids given.
func (n *eventNumbers) finish(ft *FileTx) error {
	if n.given == 0 {
		return nil
	}
	n.given = 0
	const q = `SELECT setval(pg_get_serial_sequence('suspension', 'id')::regclass, $1)`
	_, err := ft.tx.ExecContext(ft.ctx, q, n.next-1)
	return err
}

// startPupilBulk drops pupil's UPN key for the rest of a first load, as startBulk does
// suspension's: 333,000 new pupils took the server 0.97-1.02 s to copy with the key and
// 0.51-0.56 s without, and building it once 0.16-0.18 s (measured in psql). The key is what finds a pupil by UPN, so
// until it is made again (finishPupilBulk) the file looks pupils up by reading the table
// (scanPupils), which the store rarely needs on a first load: new UPNs are not looked up at all
// (see lookupMissing). Anything that needs the key makes it first: a merge of changed pupils, a
// lookup by former UPN, rejected rows of a snapshot, a link of temporary UPNs, too many lookups.
// The key is made again before the file commits; should the file have stored a UPN twice, that
// fails, and so does the file, whole.
func (w *pgWriter) startPupilBulk() error {
	key, err := w.dropKeyWhileEmpty("pupil", `contype = 'u' AND conkey = (SELECT ARRAY[attnum]
		FROM pg_attribute WHERE attrelid = 'pupil'::regclass AND attname = 'upn')`)
	w.pupilBulk = key
	w.pupilsLocked = key != nil
	if err != nil {
		return fmt.Errorf("load pupils in bulk: %w", err)
	}
	return nil
}

// dropKeyWhileEmpty drops the constraint of table that cond picks out of pg_constraint, and
// returns it, when the table is empty. Nobody sees the table without its key: the lock the DROP
// takes lasts until the file commits or rolls back. It is taken only when no other transaction is
// using the table (NOWAIT), so a file never waits for a reader; readers that arrive later wait
// for the file. When the table is in use, not empty, or anything else goes wrong, it returns nil
// and the file goes on the usual way.
func (w *pgWriter) dropKeyWhileEmpty(table, cond string) (*pgIndex, error) {
	ft := w.ft
	if _, err := ft.tx.ExecContext(ft.ctx, `SAVEPOINT bulk_load`); err != nil {
		return nil, err
	}
	var key pgIndex
	empty := false
	q := `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
		WHERE conrelid = '` + table + `'::regclass AND ` + cond
	err := ft.tx.GetContext(ft.ctx, &key, q)
	if err == nil {
		_, err = ft.tx.ExecContext(ft.ctx, `LOCK TABLE `+table+` IN ACCESS EXCLUSIVE MODE NOWAIT`)
	}
	if err == nil {
		err = ft.tx.GetContext(ft.ctx, &empty, `SELECT NOT EXISTS (SELECT 1 FROM `+table+`)`)
	}
	if err == nil && empty {
		_, err = ft.tx.ExecContext(ft.ctx, `ALTER TABLE `+table+` DROP CONSTRAINT `+pq.QuoteIdentifier(key.Name))
	}
	dropped := err == nil && empty
	if !dropped {
		// Undoes the lock too.
		if _, err := ft.tx.ExecContext(ft.ctx, `ROLLBACK TO SAVEPOINT bulk_load`); err != nil {
			return nil, err
		}
	}
	if _, err := ft.tx.ExecContext(ft.ctx, `RELEASE SAVEPOINT bulk_load`); err != nil {
		return nil, err
	}
	if !dropped {
		return nil, nil
	}
	return &key, nil
}

// addKeySQL is the statement that makes a dropped key again.
func addKeySQL(table string, key *pgIndex) string {
	return `ALTER TABLE ` + table + ` ADD CONSTRAINT ` + pq.QuoteIdentifier(key.Name) + ` ` + key.Def
}

// allowBigSorts lets the keys' rebuilds sort in memory: suspension's spilled to disk at the
// default 64 MB for 1,000,000 events. The setting lasts until the file commits.
func (w *pgWriter) allowBigSorts() error {
	if w.bigSorts {
		return nil
	}
	if _, err := w.ft.tx.ExecContext(w.ft.ctx, `SET LOCAL maintenance_work_mem = '256MB'`); err != nil {
		return err
	}
	w.bigSorts = true
	return nil
}

// finishBulk makes again the keys startBulk and startPupilBulk dropped. Events the file listed
// more than once in different batches fail suspension's: the earlier rows are deleted, so that
// each event keeps its last row, as it would have row by row, and the key is made again.
func (w *pgWriter) finishBulk() error {
	if err := w.finishPupilBulk(); err != nil {
		return err
	}
	key := w.bulk
	if key == nil {
		return nil
	}
	w.bulk = nil
	ft := w.ft
	if err := w.eventIDs.finish(ft); err != nil {
		return fmt.Errorf("number the events: %w", err)
	}
	add := addKeySQL("suspension", key)
	if err := w.allowBigSorts(); err != nil {
		return fmt.Errorf("make the events' key: %w", err)
	}
	if _, err := ft.tx.ExecContext(ft.ctx, `SAVEPOINT bulk_key`); err != nil {
		return fmt.Errorf("make the events' key: %w", err)
	}
	_, err := ft.tx.ExecContext(ft.ctx, add)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == uniqueViolation {
		// The table held none of these events before the file (see startBulk), and id grows
		// with each row copied in this transaction.
		const dedup = `DELETE FROM suspension s USING suspension t
			WHERE t.pupil_id = s.pupil_id AND t.start_date = s.start_date AND t.category = s.category
				AND t.laestab = s.laestab AND t.id > s.id`
		if _, err = ft.tx.ExecContext(ft.ctx, `ROLLBACK TO SAVEPOINT bulk_key`); err == nil {
			if _, err = ft.tx.ExecContext(ft.ctx, dedup); err == nil {
				_, err = ft.tx.ExecContext(ft.ctx, add)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("make the events' key: %w", err)
	}
	if _, err := ft.tx.ExecContext(ft.ctx, `RELEASE SAVEPOINT bulk_key`); err != nil {
		return fmt.Errorf("make the events' key: %w", err)
	}
	return nil
}

// finishPupilBulk makes again the UPN key startPupilBulk dropped.
func (w *pgWriter) finishPupilBulk() error {
	key := w.pupilBulk
	if key == nil {
		return nil
	}
	w.pupilBulk = nil
	err := w.allowBigSorts()
	if err == nil {
		_, err = w.ft.tx.ExecContext(w.ft.ctx, addKeySQL("pupil", key))
	}
	if err != nil {
		return fmt.Errorf("make the pupils' UPN key: %w", err)
	}
	return nil
}
