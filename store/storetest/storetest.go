// Package storetest opens real databases for tests: SQLite in a temporary folder, and PostgreSQL in
// a fresh schema (dropped when the test ends) when PME_TEST_DATABASE_URL is set. Under CI the
// PostgreSQL run is required: a missing URL fails the test rather than skipping it.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"pme/store"
)

// Backends returns the database URLs to test against, one per backend, each fresh: SQLite always,
// PostgreSQL when PME_TEST_DATABASE_URL is set (required when CI is set).
func Backends(t testing.TB) map[string]string {
	t.Helper()
	urls := map[string]string{store.SQLite: "sqlite:" + filepath.Join(t.TempDir(), "pme.db")}
	if pg := PostgresURL(t); pg != "" {
		urls[store.Postgres] = pg
	}
	return urls
}

// Postgres returns the URL of a fresh PostgreSQL schema for a test that needs PostgreSQL alone, and
// skips the test when PME_TEST_DATABASE_URL is not set outside CI (under CI it fails, as PostgresURL
// does), so that make test passes on a fresh machine.
func Postgres(t testing.TB) string {
	t.Helper()
	url := PostgresURL(t)
	if url == "" {
		t.Skip("PostgreSQL only: set PME_TEST_DATABASE_URL to run it")
	}
	return url
}

// PostgresURL returns the URL of a fresh PostgreSQL schema for this test, or "" when
// PME_TEST_DATABASE_URL is not set outside CI.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("PME_TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("PME_TEST_DATABASE_URL is not set: CI must test PostgreSQL too (see .ci/run)")
		}
		return ""
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "pme_test_" + hex.EncodeToString(b)
	admin, err := sqlx.Open("postgres", base)
	if err != nil {
		t.Fatalf("open PostgreSQL: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create test schema (is PostgreSQL up at PME_TEST_DATABASE_URL?): %v", err)
	}
	t.Cleanup(func() {
		db, err := sqlx.Open("postgres", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	// lib/pq sends unknown connection parameters to the server as run-time settings.
	return base + sep + "search_path=" + schema
}

// Each runs fn once per backend, as a subtest named after it, with a freshly migrated store.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for backend, url := range Backends(t) {
		t.Run(backend, func(t *testing.T) {
			s := Open(t, url)
			fn(t, s)
		})
	}
}

// Open opens and migrates the store at url, closing it when the test ends.
func Open(t testing.TB, url string) *store.Store {
	t.Helper()
	if url == "" {
		t.Fatal("storetest.Open: no database URL (a PostgreSQL-only test takes it from storetest.Postgres, which skips without one)")
	}
	s, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
