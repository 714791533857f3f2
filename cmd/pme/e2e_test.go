package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"pme/pipeline"
	"pme/store/storetest"
)

// pmeRun runs pme in-process with the given environment and returns stdout, stderr and the exit
// status.
func pmeRun(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runWith(args, strings.NewReader(""), &stdout, &stderr, func(k string) string { return env[k] })
	return stdout.String(), stderr.String(), code
}

func mustRun(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	out, errOut, code := pmeRun(t, env, args...)
	if code != 0 {
		t.Fatalf("pme %s: exit %d\nstderr:\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// TestFixturesIngestEndToEnd writes synthetic returns with pme fixtures and ingests them with
// pme ingest --json on both backends; a second ingest of the same files changes nothing.
func TestFixturesIngestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	for backend, dbURL := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"PME_DATA_DIR": filepath.Join(dir, "data"), "PME_DATABASE_URL": dbURL, "PME_TODAY": "2026-11-27"}
			fx := filepath.Join(dir, "fx")
			mustRun(t, env, "fixtures", "--out", fx, "--schools", "6", "--pupils", "80", "--seed", "7", "--error-rate", "0.2")
			if refs, _ := filepath.Glob(filepath.Join(fx, "reference", "*")); len(refs) < 4 {
				t.Fatalf("fixtures wrote reference files %v, want schools, contacts, social care and providers", refs)
			}
			returns, _ := filepath.Glob(filepath.Join(fx, "returns", "*"))
			if len(returns) == 0 {
				t.Fatal("fixtures wrote no returns")
			}
			sort.Strings(returns)

			var first pipeline.IngestSummary
			out := mustRun(t, env, append([]string{"ingest", "--json"}, returns...)...)
			if err := json.Unmarshal([]byte(out), &first); err != nil {
				t.Fatalf("ingest --json is not JSON: %v\n%s", err, out)
			}
			if len(first.Files) != len(returns) {
				t.Fatalf("ingest reported %d files, want %d", len(first.Files), len(returns))
			}
			codes := map[string]int{}
			var accepted int
			for _, f := range first.Files {
				switch f.Status {
				case "accepted", "partial", "rejected":
				default:
					t.Errorf("%s: status %q on first ingest", f.File, f.Status)
				}
				if len(f.SHA256) != 64 {
					t.Errorf("%s: sha256 %q", f.File, f.SHA256)
				}
				for _, sh := range f.Sheets {
					accepted += sh.Accepted
					if sh.Rows != sh.Accepted+sh.Rejected+sh.Skipped {
						t.Errorf("%s/%s: rows %d != accepted %d + rejected %d + skipped %d", f.File, sh.Sheet, sh.Rows, sh.Accepted, sh.Rejected, sh.Skipped)
					}
				}
				for _, is := range f.Issues {
					codes[is.Code]++
					if is.Severity != "error" && is.Severity != "warning" {
						t.Errorf("issue severity %q", is.Severity)
					}
					if is.Message == "" {
						t.Errorf("issue %s without a message", is.Code)
					}
				}
			}
			if accepted == 0 {
				t.Fatal("no row accepted")
			}
			for _, want := range []string{"UPN_CHECK", "DATE_INVALID"} {
				if codes[want] == 0 {
					t.Errorf("no %s issue among %v at a 20%% error rate", want, codes)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "data", "out", "feedback")); err != nil {
				t.Errorf("no feedback folder: %v", err)
			}

			checkPrivate(t, filepath.Join(dir, "data"))

			var second pipeline.IngestSummary
			out = mustRun(t, env, append([]string{"ingest", "--json"}, returns...)...)
			if err := json.Unmarshal([]byte(out), &second); err != nil {
				t.Fatal(err)
			}
			for _, f := range second.Files {
				if f.Status != "duplicate" {
					t.Errorf("second ingest of %s: status %q, want duplicate", f.File, f.Status)
				}
			}
		})
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	env := map[string]string{"PME_DATA_DIR": t.TempDir()}
	for _, args := range [][]string{{"nonsense"}, {"ingest", "--bogus"}, {"load", "teachers", "x.csv"}, {"flag", "--today", "28/11/2026"}} {
		_, errOut, code := pmeRun(t, env, args...)
		if code != exitUsage {
			t.Errorf("pme %v: exit %d, want %d\n%s", args, code, exitUsage, errOut)
		}
		if errOut == "" {
			t.Errorf("pme %v: no message", args)
		}
	}
}

func TestUnreachableDatabaseExitsOne(t *testing.T) {
	env := map[string]string{"PME_DATA_DIR": t.TempDir(), "PME_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"}
	_, errOut, code := pmeRun(t, env, "cases")
	if code != exitError || !strings.Contains(errOut, "database") {
		t.Fatalf("exit %d, stderr %q; want 1 and a message about the database", code, errOut)
	}
}

// checkPrivate checks that everything pme wrote in the data folder is its owner's only: files
// 0600, folders 0700.
func checkPrivate(t *testing.T, dataDir string) {
	t.Helper()
	n := 0
	filepath.Walk(dataDir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			t.Errorf("walk %s: %v", p, err)
			return nil
		}
		want := os.FileMode(0o600)
		if info.IsDir() {
			want = 0o700
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", p, info.Mode().Perm(), want)
		}
		n++
		return nil
	})
	if n < 5 {
		t.Fatalf("only %d entries in the data folder", n)
	}
}
