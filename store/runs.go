package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"pme"
)

type runRow struct {
	ID      string    `db:"id"`
	Job     string    `db:"job"`
	Planned timestamp `db:"planned"`
	Started timestamp `db:"started"`
	Ended   timestamp `db:"ended"`
	Outcome string    `db:"outcome"`
	Reason  string    `db:"reason"`
	Host    string    `db:"host"`
	Files   int       `db:"files"`
	Rows    int       `db:"rows_stored"`
	Cases   int       `db:"cases"`
	Letters int       `db:"letters"`
}

func toRunRow(r pme.Run) runRow {
	return runRow{r.ID, r.Job, timestamp(r.Planned), timestamp(r.Started), timestamp(r.Ended),
		r.Outcome, r.Reason, r.Host, r.Files, r.Rows, r.Cases, r.Letters}
}

func (r runRow) run() pme.Run {
	return pme.Run{ID: r.ID, Job: r.Job, Planned: time.Time(r.Planned), Started: time.Time(r.Started),
		Ended: time.Time(r.Ended), Outcome: r.Outcome, Reason: r.Reason, Host: r.Host,
		Files: r.Files, Rows: r.Rows, Cases: r.Cases, Letters: r.Letters}
}

// SaveRun inserts or updates a run in the ledger: a run is saved when it starts (outcome running)
// and again when it ends, so that a run that died shows as never ended.
func (s *Store) SaveRun(ctx context.Context, r pme.Run) error {
	const q = `INSERT INTO run (id, job, planned, started, ended, outcome, reason, host, files, rows_stored, cases, letters)
		VALUES (:id, :job, :planned, :started, :ended, :outcome, :reason, :host, :files, :rows_stored, :cases, :letters)
		ON CONFLICT (id) DO UPDATE SET ended = excluded.ended, outcome = excluded.outcome, reason = excluded.reason,
			files = excluded.files, rows_stored = excluded.rows_stored, cases = excluded.cases, letters = excluded.letters`
	if _, err := s.db.NamedExecContext(ctx, q, toRunRow(r)); err != nil {
		return fmt.Errorf("save run: %w", err)
	}
	return nil
}

// Runs returns the newest runs first, at most limit of them.
func (s *Store) Runs(ctx context.Context, limit int) ([]pme.Run, error) {
	var rows []runRow
	q := s.db.Rebind(`SELECT id, job, planned, started, ended, outcome, reason, host, files, rows_stored, cases, letters
		FROM run ORDER BY started DESC, id DESC LIMIT ?`)
	if err := s.db.SelectContext(ctx, &rows, q, limit); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	out := make([]pme.Run, len(rows))
	for i, r := range rows {
		out[i] = r.run()
	}
	return out, nil
}

// LastSuccess returns when the job last started a run that ended ok; ErrNotFound when never.
func (s *Store) LastSuccess(ctx context.Context, job string) (time.Time, error) {
	var t timestamp
	q := s.db.Rebind(`SELECT started FROM run WHERE job = ? AND outcome = 'ok' ORDER BY started DESC LIMIT 1`)
	if err := s.db.GetContext(ctx, &t, q, job); err != nil {
		return time.Time{}, notFound(err)
	}
	return time.Time(t), nil
}

// Lock is a held job lock; Release gives it back. A lock also goes when its process dies.
type Lock interface{ Release() }

// TryLock takes the job's lock without waiting; held is false when another process has it.
// PostgreSQL: a session advisory lock on one pinned connection, so two copies of pme on any
// machines never run the same job at once, and the server drops it when the process dies.
// SQLite: an exclusive flock on a file beside the database, which serves one machine.
func (s *Store) TryLock(ctx context.Context, job string) (l Lock, held bool, err error) {
	if s.backend == Postgres {
		return s.tryAdvisoryLock(ctx, job)
	}
	return s.tryFileLock(job)
}

type pgLock struct{ release func() }

func (l pgLock) Release() { l.release() }

func (s *Store) tryAdvisoryLock(ctx context.Context, job string) (Lock, bool, error) {
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("lock %s: %w", job, err)
	}
	// Advisory locks are server-wide: the key names the database and schema too, so that two pme
	// installations on one server (or two test schemas) do not block each other.
	var key int64
	if err := conn.GetContext(ctx, &key,
		`SELECT hashtextextended('pme job ' || current_database() || '.' || current_schema() || '.' || $1, 0)`, job); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("lock %s: %w", job, err)
	}
	var ok bool
	if err := conn.GetContext(ctx, &ok, `SELECT pg_try_advisory_lock($1)`, key); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("lock %s: %w", job, err)
	}
	if !ok {
		conn.Close()
		return nil, false, nil
	}
	return pgLock{func() {
		conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, key)
		conn.Close()
	}}, true, nil
}

type fileLock struct{ f *os.File }

func (l fileLock) Release() {
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}

func (s *Store) tryFileLock(job string) (Lock, bool, error) {
	path := s.sqlitePath + "." + job + ".lock"
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("lock %s: %w", job, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("lock %s: %w", job, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if err == syscall.EWOULDBLOCK {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("lock %s: %w", job, err)
	}
	return fileLock{f}, true, nil
}

// sqliteFile returns the database file of a SQLite DSN.
func sqliteFile(dsn string) string {
	return strings.TrimPrefix(strings.SplitN(dsn, "?", 2)[0], "file:")
}

// RunFor returns the job's successful run for a planned time, if another process already did it;
// ErrNotFound otherwise. Replicas use it so that each scheduled activation runs once.
func (s *Store) RunFor(ctx context.Context, job string, planned time.Time) (*pme.Run, error) {
	var r runRow
	q := s.db.Rebind(`SELECT id, job, planned, started, ended, outcome, reason, host, files, rows_stored, cases, letters
		FROM run WHERE job = ? AND planned = ? AND outcome = 'ok' ORDER BY started LIMIT 1`)
	if err := s.db.GetContext(ctx, &r, q, job, timestamp(planned)); err != nil {
		return nil, notFound(err)
	}
	run := r.run()
	return &run, nil
}
