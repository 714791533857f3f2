package store

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"sync"
	"unsafe"

	"github.com/jmoiron/sqlx"
)

// copyQueue sends a file's COPY data to PostgreSQL on a goroutine of its own, in order, so that the
// next batch's pupils are resolved and its rows encoded while the server stores the last batch.
// Sent in turn, a 1,000,000-row file spent 2.7-2.9 s of the 6.0 s it took to write its batches
// waiting for the server to finish each COPY, while the next batch waited. The transaction carries
// one statement at a time: every other statement of the file waits for the queue to empty first (see
// fileTx). The first failure stops the queue; every later call returns it.
//
// A table's text is held back until there is copyHoldBytes of it, and then streamed into a COPY
// that stays open for that table's next batches until another table's text, or a statement, needs
// the connection. A COPY costs the server a setup that grows with the square of its buffered rows
// (PostgreSQL 15 tracks each of its 1,000 row slots in one list): a COPY a batch, 400 for a
// 1,000,000-row first load, spent 5 % of the whole run's CPU there.
type copyQueue struct {
	ctx     context.Context
	conn    *sqlx.Conn
	jobs    chan queuedJob
	pending sync.WaitGroup // jobs queued and not yet done
	free    chan []byte    // encoded batches' buffers, for reuse

	mu     sync.Mutex
	err    error
	broken chan struct{} // closed at the first failure

	// The goroutine's own: text held back, by COPY statement, and the COPY open, if any.
	held []heldCopy
	open *openCopy
}

// queuedJob is a statement to run (fn), or a table's COPY text.
type queuedJob struct {
	fn    func() error
	table string
	copy  string // the COPY statement
	text  []byte // whole lines of COPY text
}

type heldCopy struct {
	table, copy string
	text        []byte
}

// copyQueueDepth is how many jobs may wait (a batch makes two: its new pupils and its rows):
// enough to keep the server busy, few enough to keep memory flat (a batch of 5,000 rows is about
// 400 KB of COPY text).
const copyQueueDepth = 4

// copyHoldBytes is how much of a table's text is held back before its COPY starts.
const copyHoldBytes = 1 << 20

func newCopyQueue(ctx context.Context, conn *sqlx.Conn) *copyQueue {
	q := &copyQueue{ctx: ctx, conn: conn, jobs: make(chan queuedJob, copyQueueDepth),
		free: make(chan []byte, copyQueueDepth+2), broken: make(chan struct{})}
	go func() {
		for job := range q.jobs {
			if q.failed() == nil {
				if err := q.run(job); err != nil {
					q.mu.Lock()
					q.err = err
					close(q.broken)
					q.mu.Unlock()
					q.abandon()
				}
			}
			q.pending.Done()
		}
	}()
	return q
}

func (q *copyQueue) failed() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.err
}

// run does a job on the queue's goroutine: a statement after everything before it is sent, and a
// table's text into its open COPY, or held back.
func (q *copyQueue) run(job queuedJob) error {
	if job.fn != nil {
		if err := q.flush(); err != nil {
			return err
		}
		return job.fn()
	}
	defer q.recycle(job.text)
	if q.open != nil && q.open.copy == job.copy {
		return q.open.send(job.text)
	}
	i := 0
	for i < len(q.held) && q.held[i].copy != job.copy {
		i++
	}
	if i == len(q.held) {
		q.held = append(q.held, heldCopy{table: job.table, copy: job.copy})
	}
	h := &q.held[i]
	h.text = append(h.text, job.text...)
	if len(h.text) < copyHoldBytes {
		return nil
	}
	if err := q.closeOpen(); err != nil {
		return err
	}
	return q.start(h)
}

// start opens a COPY for the held text h, and sends it.
func (q *copyQueue) start(h *heldCopy) error {
	c, err := openCopyIn(q.ctx, q.conn, h.table, h.copy)
	if err != nil {
		return err
	}
	q.open = c
	err = c.send(h.text)
	h.text = h.text[:0]
	return err
}

// flush sends everything held back and ends the open COPY: the connection is free afterwards.
func (q *copyQueue) flush() error {
	for i := range q.held {
		if h := &q.held[i]; len(h.text) > 0 {
			if err := q.closeOpen(); err != nil {
				return err
			}
			if err := q.start(h); err != nil {
				return err
			}
		}
	}
	return q.closeOpen()
}

func (q *copyQueue) closeOpen() error {
	c := q.open
	q.open = nil
	if c == nil {
		return nil
	}
	return c.close()
}

// abandon lets go of a failed queue's COPY and held text: the transaction is rolled back.
func (q *copyQueue) abandon() {
	q.closeOpen() // its error is the failure's, already reported
	q.held = nil
}

// add queues a statement, to run once everything queued before it is sent, or returns the failure
// that stopped the queue.
func (q *copyQueue) add(fn func() error) error {
	return q.put(queuedJob{fn: fn})
}

// addCopy queues whole lines of COPY text for table (columns cols); the queue owns text from then
// on (see buffer).
func (q *copyQueue) addCopy(table string, cols []string, text []byte) error {
	return q.put(queuedJob{table: table, copy: copySQL(table, cols), text: text})
}

func (q *copyQueue) put(job queuedJob) error {
	if err := q.failed(); err != nil {
		return err
	}
	q.pending.Add(1)
	q.jobs <- job
	return nil
}

// wait returns once everything queued is sent and its COPYs ended, with the failure that stopped
// the queue, if any. A nil queue (SQLite's) has nothing to wait for.
func (q *copyQueue) wait() error {
	if q == nil {
		return nil
	}
	// On a failed queue add refuses the job, and Wait waits for the goroutine to let go of the
	// connection.
	q.add(func() error { return nil })
	q.pending.Wait()
	return q.failed()
}

// stop waits for the queued jobs and ends the goroutine.
func (q *copyQueue) stop() error {
	if q == nil {
		return nil
	}
	err := q.wait()
	close(q.jobs)
	return err
}

// buffer returns an empty buffer for a batch's COPY text.
func (q *copyQueue) buffer() []byte {
	select {
	case b := <-q.free:
		return b[:0]
	default:
		return nil
	}
}

// recycle takes back a buffer whose text is sent or held.
func (q *copyQueue) recycle(b []byte) {
	select {
	case q.free <- b:
	default:
	}
}

// copyData is the COPY statement of lib/pq under database/sql: CopyData takes text-format lines
// as they go on the wire.
type copyData interface {
	driver.Stmt
	CopyData(ctx context.Context, line string) (driver.Result, error)
}

// copyFlushBytes is about how much COPY text is handed to the driver at a time, which sends it in
// messages of about 64 KB.
const copyFlushBytes = 60 << 10

func copySQL(table string, cols []string) string {
	return `COPY ` + table + ` (` + strings.Join(cols, ", ") + `) FROM STDIN`
}

// copyAll copies text, whole lines of COPY text, into table (columns cols) by one COPY, now.
func copyAll(ctx context.Context, conn *sqlx.Conn, table string, cols []string, text []byte) error {
	if len(text) == 0 {
		return nil
	}
	c, err := openCopyIn(ctx, conn, table, copySQL(table, cols))
	if err != nil {
		return err
	}
	if err := c.send(text); err != nil {
		c.close()
		return err
	}
	return c.close()
}

// openCopy is a COPY in progress on the file's connection: until it is closed, the connection
// carries nothing else.
type openCopy struct {
	ctx   context.Context
	conn  *sqlx.Conn
	table string
	copy  string
	st    copyData
}

func openCopyIn(ctx context.Context, conn *sqlx.Conn, table, copy string) (*openCopy, error) {
	c := &openCopy{ctx: ctx, conn: conn, table: table, copy: copy}
	err := conn.Raw(func(dc any) error {
		prep, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("driver %T cannot prepare COPY", dc)
		}
		st, err := prep.PrepareContext(ctx, copy)
		if err != nil {
			return err
		}
		if c.st, ok = st.(copyData); !ok {
			st.Close()
			return fmt.Errorf("driver statement %T takes no COPY data", st)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("copy into %s: %w", table, err)
	}
	return c, nil
}

// send sends text, whole lines of COPY text.
func (c *openCopy) send(text []byte) error {
	err := c.conn.Raw(func(any) error {
		for len(text) > 0 {
			end := len(text)
			if end > copyFlushBytes {
				if end = bytes.LastIndexByte(text[:copyFlushBytes], '\n') + 1; end == 0 {
					end = copyFlushBytes + bytes.IndexByte(text[copyFlushBytes:], '\n') + 1 // a very long line
				}
			}
			// CopyData adds the line's newline itself, and copies the text into its own buffer
			// before it returns: the string may share text's bytes (a copy of every chunk was a
			// tenth of the client's allocation in a large file).
			if _, err := c.st.CopyData(c.ctx, unsafe.String(&text[0], end-1)); err != nil {
				return err
			}
			text = text[end:]
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("copy into %s: %w", c.table, err)
	}
	return nil
}

// close ends the COPY, and reports any error the server found in it.
func (c *openCopy) close() error {
	err := c.conn.Raw(func(any) error {
		defer c.st.Close()
		// An Exec of no values ends the COPY (lib/pq's COPY statement has no ExecContext).
		_, err := c.st.Exec(nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("copy into %s: %w", c.table, err)
	}
	return nil
}

// fileTx is a file's transaction, whose statements run once the COPY data queued before them is
// sent: on SQLite, and on PostgreSQL until a COPY is queued, it is the transaction itself.
type fileTx struct {
	tx     *sqlx.Tx
	copies *copyQueue // nil until the writer queues a COPY
}

func (t *fileTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if err := t.copies.wait(); err != nil {
		return nil, err
	}
	return t.tx.ExecContext(ctx, q, args...)
}

func (t *fileTx) GetContext(ctx context.Context, dest any, q string, args ...any) error {
	if err := t.copies.wait(); err != nil {
		return err
	}
	return t.tx.GetContext(ctx, dest, q, args...)
}

func (t *fileTx) SelectContext(ctx context.Context, dest any, q string, args ...any) error {
	if err := t.copies.wait(); err != nil {
		return err
	}
	return t.tx.SelectContext(ctx, dest, q, args...)
}

// QueryRowxContext runs q after the queued COPYs; should one have failed, the transaction is
// aborted and q fails too, and Commit returns the COPY's error.
func (t *fileTx) QueryRowxContext(ctx context.Context, q string, args ...any) *sqlx.Row {
	t.copies.wait()
	return t.tx.QueryRowxContext(ctx, q, args...)
}

func (t *fileTx) PreparexContext(ctx context.Context, q string) (*sqlx.Stmt, error) {
	if err := t.copies.wait(); err != nil {
		return nil, err
	}
	return t.tx.PreparexContext(ctx, q)
}

func (t *fileTx) Rebind(q string) string { return t.tx.Rebind(q) }

// Commit commits once every queued COPY is sent, unless one failed.
func (t *fileTx) Commit() error {
	if err := t.stop(); err != nil {
		return err
	}
	return t.tx.Commit()
}

// Rollback rolls back once the queue is idle: the connection is the queue's until then.
func (t *fileTx) Rollback() error {
	t.stop()
	return t.tx.Rollback()
}

func (t *fileTx) stop() error {
	err := t.copies.stop()
	t.copies = nil
	return err
}
