// Package store keeps everything pme knows in PostgreSQL or SQLite, through sqlx. It is the only
// package that writes SQL. One SQL string serves both backends through Rebind where the dialects
// agree; where they differ (upsert, COPY) a small per-backend function sits beside its twin.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // PostgreSQL driver
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // SQLite driver, pure Go: no server, no cgo

	"pme/migrations"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// Backends.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

func init() {
	sqlx.BindDriver("sqlite", sqlx.QUESTION)
}

// Store is the database behind pme.
type Store struct {
	db         *sqlx.DB
	backend    string
	sqlitePath string // the database file, for SQLite
}

// Open connects to the database named by url ("sqlite:/path/pme.db" or "postgres://…") and applies
// any pending migrations.
func Open(ctx context.Context, dbURL string) (*Store, error) {
	s, err := connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

func connect(ctx context.Context, dbURL string) (*Store, error) {
	backend, dsn, err := parseURL(dbURL)
	if err != nil {
		return nil, err
	}
	driver := "postgres"
	if backend == SQLite {
		driver = "sqlite"
		if err := createPrivate(sqliteFile(dsn)); err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
	}
	db, err := sqlx.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if backend == SQLite {
		// One connection: SQLite has one writer, and a second connection waiting on the first
		// inside a transaction would deadlock rather than wait.
		db.SetMaxOpenConns(1)
	} else {
		// database/sql keeps 2 idle connections by default: under the web server's concurrent
		// requests every other query opened a new PostgreSQL connection (a new server process).
		// 20 clients over 10,000 cases: p95 737 ms before, see the README's bench table after.
		db.SetMaxIdleConns(pgIdleConns)
		db.SetConnMaxIdleTime(5 * time.Minute)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database: %w (is it running, and is the URL right?)", backend, err)
	}
	s := &Store{db: db, backend: backend}
	if backend == SQLite {
		s.sqlitePath = sqliteFile(dsn)
	}
	return s, nil
}

// createPrivate creates the SQLite file readable by its owner only before the driver creates it
// with looser permissions: it holds children's personal data. SQLite gives its -wal and -shm files
// the same permissions.
func createPrivate(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDONLY, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// parseURL maps the user's database URL to a backend and the driver's DSN.
func parseURL(dbURL string) (backend, dsn string, err error) {
	switch {
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		return Postgres, dbURL, nil
	case strings.HasPrefix(dbURL, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dbURL, "sqlite:"), "//")
		if path == "" {
			return "", "", fmt.Errorf("database URL %q names no file: use sqlite:/path/to/pme.db", dbURL)
		}
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_time_format", "sqlite")
		return SQLite, "file:" + path + "?" + q.Encode(), nil
	}
	return "", "", fmt.Errorf("database URL %q: want sqlite:/path/to/pme.db or postgres://user@host/db", redact(dbURL))
}

// redact hides a password in a database URL so that it can be printed.
func redact(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil || u.User == nil {
		return dbURL
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Redact hides a password in a database URL so that it can be printed or logged.
func Redact(dbURL string) string { return redact(dbURL) }

// Backend returns SQLite or Postgres.
func (s *Store) Backend() string { return s.backend }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Migrate applies pending migrations and returns the versions it applied.
func (s *Store) Migrate(ctx context.Context) ([]int64, error) {
	fsys, err := migrations.For(s.backend)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	dialect := goose.DialectPostgres
	if s.backend == SQLite {
		dialect = goose.DialectSQLite3
	}
	p, err := goose.NewProvider(dialect, s.db.DB, fsys)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var applied []int64
	for _, r := range res {
		applied = append(applied, r.Source.Version)
	}
	return applied, nil
}

// DB returns the underlying handle, for tests in other packages that check what was stored.
func (s *Store) DB() *sqlx.DB { return s.db }

// inTx runs fn in a transaction, committing when it returns nil and rolling back otherwise.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// notFound maps sql.ErrNoRows to ErrNotFound, in one place.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// pgIdleConns is how many idle PostgreSQL connections are kept for reuse: enough for the web
// server's concurrent requests and a run's copy queue.
const pgIdleConns = 16
