package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"pme"
)

// The PostgreSQL batch writer: its state, its columns and its COPYs. The rest of it:
// ingest_postgres_encode.go (COPY text and array parameters), ingest_postgres_pupils.go (pupils:
// lookups, ids, inserts and merges), ingest_postgres_records.go (records and suspension events,
// staged merges), ingest_postgres_bulk.go (a first load with a table's key dropped).

// pgWriter writes a file's batches to PostgreSQL with COPY, whose text it writes itself (copyIn).
// New rows (snapshot records, issues, new pupils, batches of new suspension events) are copied
// straight into their table; rows that merge with stored ones (changed pupils, re-sent events) are
// merged by one INSERT … ON CONFLICT per batch, from a staging table or, for a small batch, from
// arrays (see mergeSource). A small batch's new rows go in one statement too (see insertRecords):
// each statement is a round trip or two, and a small file spent more time waiting for them than
// the server spent running them.
type pgWriter struct {
	ft    *FileTx
	buf   []byte   // COPY text, reused
	cols  [][]byte // arrayArgs' column texts, reused
	args  []any    // one pupil's values, reused
	merge bool     // some batch re-sent known events: merge every later one (see upsertSuspensions)
	keep  []bool   // upsertSuspensions' rows to write, reused
	// newPupils are a small batch's new pupils, written with its records (see insertRecords).
	newPupils []*pupilState
	bulkTried bool     // startBulk has been tried
	bulk      *pgIndex // suspension's key, dropped while the file loads (see startBulk)
	// eventIDs numbers the events copied while suspension's key is dropped (see startBulk);
	// eventIDBuf is a batch's ids, reused.
	eventIDs   eventNumbers
	eventIDBuf []int64
	// pupilBulk is pupil's UPN key, dropped while a first load loads (see startPupilBulk), and
	// bulkLookups the lookups made without it.
	pupilBulk      *pgIndex
	pupilBulkTried bool
	pupilsLocked   bool // startPupilBulk locked pupil for the rest of the file (see reserveIDs)
	bulkLookups    int
	bigSorts       bool            // maintenance_work_mem is raised for the keys' rebuilds
	ids            []int64         // pupil ids taken ahead (see numberPupils)
	moreIDs        *idFetch        // ids being taken ahead on the copy queue, if any
	staged         map[string]bool // staging tables created (see mergeSource)
	aheadIDs       bool            // take pupil ids ahead whatever the batch's size (attendance's new pupils)
}

// smallBatchRows is the largest batch whose new pupils and records are written by one INSERT
// (see insertRecords) instead of a COPY each: a COPY costs two round trips, and a small file's
// time went more on round trips than on its rows.
const smallBatchRows = 1000

var (
	pupilValueColumns = []string{"upn", "is_temp", "surname", "forename", "name_key", "dob", "gender", "nc_year", "sen"}
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

	// pgColumnTypes are the types of the columns passed as arrays (see unnestFrom).
	pgColumnTypes = map[string]string{
		"upn": "text", "is_temp": "boolean", "surname": "text", "forename": "text", "name_key": "text",
		"dob": "date", "gender": "text", "nc_year": "text", "sen": "text",
		"file_id": "bigint", "sheet_id": "bigint", "row_num": "integer", "laestab": "text", "pupil_id": "bigint",
		"received": "date", "category": "text", "start_date": "date", "sessions": "integer", "reason": "text",
		"reason2": "text", "reason3": "text", "sixth_day_provision": "text", "id": "bigint",
		"planned_end_date": "date", "actual_end_date": "date", "hours_per_week": "double precision",
		"parental_agreement": "text", "review_date": "date", "provider_name": "text", "provider_urn": "text",
		"provider_ukprn": "text", "provider_registered": "text", "end_date": "date",
		"hours_at_provider": "double precision", "hours_at_school": "double precision",
	}
)

func newPGWriter(ft *FileTx) (batchWriter, error) {
	return &pgWriter{ft: ft}, nil
}

func (w *pgWriter) close() error {
	if len(w.newPupils) > 0 {
		w.newPupils = nil
		return errors.New("new pupils left unwritten")
	}
	return nil
}

// copyIn copies rows into table with COPY, after any queued COPY, and returns its outcome; line
// appends the i-th row's line of COPY text (or nothing, to skip the row). The store encodes the
// rows itself: going through database/sql's Exec for each row cost about as much as everything
// else in the store.
func (w *pgWriter) copyIn(table string, cols []string, n int, line func(b []byte, i int) ([]byte, error)) error {
	if err := w.ft.tx.copies.wait(); err != nil {
		return err
	}
	text, err := encodeLines(w.buf[:0], n, line)
	w.buf = text[:0]
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return copyAll(w.ft.ctx, w.ft.conn, table, cols, text)
}

// copyLater encodes the rows now, and queues their COPY into table (see copyQueue): for rows whose
// COPY fails only if something is badly wrong, which the file's next statement or its commit
// then reports.
func (w *pgWriter) copyLater(table string, cols []string, n int, line func(b []byte, i int) ([]byte, error)) error {
	q := w.queue()
	text, err := encodeLines(q.buffer(), n, line)
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	if len(text) == 0 {
		q.recycle(text)
		return nil
	}
	return q.addCopy(table, cols, text)
}

// queue returns the file's copy queue, started on first use.
func (w *pgWriter) queue() *copyQueue {
	if w.ft.tx.copies == nil {
		w.ft.tx.copies = newCopyQueue(w.ft.ctx, w.ft.conn)
	}
	return w.ft.tx.copies
}

// uniqueViolation is PostgreSQL's error code for a duplicate key.
const uniqueViolation = "23505"

func (w *pgWriter) writeIssues(is []pme.Issue) error {
	if len(is) == 0 {
		return nil
	}
	return w.copyLater("issue", issueColumns, len(is), valueLines(func(i int) []any {
		x := &is[i]
		return []any{w.ft.fileID, x.Sheet, x.Row, x.Column, x.Value, x.Code, x.Severity, x.Message}
	}))
}

// analyzeSample refreshes the tables' statistics from a small sample. SET LOCAL keeps the setting
// to its own transaction: the connection goes back to the pool.
func analyzeSample(ctx context.Context, conn *sqlx.Conn, tables []string) error {
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL default_statistics_target = 10`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `ANALYZE `+strings.Join(tables, ", ")); err != nil {
		return err
	}
	return tx.Commit()
}
