package main

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"pme"
	"pme/store"
	"pme/store/storetest"
)

// TestLettersCrashSafety kills `pme letters` with SIGKILL at random moments and runs it again
// until it finishes; then the ledger must hold every letter of one uninterrupted run exactly once,
// with the same bytes, and each recorded letter's file must be on disk with its recorded SHA-256.
// Letters are printed and written in parallel and recorded a chunk at a time once their files are
// synced: a kill between writing and recording leaves a file the next run writes again.
func TestLettersCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills pme many times")
	}
	bin := buildPme(t)
	fx := filepath.Join(t.TempDir(), "fx")
	gen := exec.Command(bin, "fixtures", "--out", fx, "--seed", "4", "--letters", "150")
	gen.Env = append(os.Environ(), "PME_TODAY=2026-12-07", "PME_DATA_DIR="+t.TempDir())
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("fixtures: %v\n%s", err, out)
	}
	ref := filepath.Join(fx, "letters", "reference")
	schools, _ := filepath.Glob(filepath.Join(ref, "edubasealldata*.csv"))
	returns, _ := filepath.Glob(filepath.Join(fx, "letters", "returns", "*"))
	if len(schools) != 1 || len(returns) == 0 {
		t.Fatalf("fixtures wrote %d school files and %d returns", len(schools), len(returns))
	}

	for backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			run := func(dataDir, dbURL string, args ...string) *exec.Cmd {
				cmd := exec.Command(bin, args...)
				cmd.Env = append(os.Environ(), "PME_TODAY=2026-12-07", "PME_DATA_DIR="+dataDir, "PME_DATABASE_URL="+dbURL, "PME_LOG_LEVEL=error")
				return cmd
			}
			// setUp loads the letters' reference data and returns and flags the cases.
			setUp := func() (string, string) {
				dir := t.TempDir()
				dbURL := freshURL(t, backend, dir)
				for _, args := range [][]string{{"migrate"}, append([]string{"load", "schools"}, schools...),
					{"load", "contacts", filepath.Join(ref, "contacts.csv")}, {"load", "social-care", filepath.Join(ref, "social-care.csv")},
					{"load", "providers", filepath.Join(ref, "providers.csv")}, append([]string{"ingest"}, returns...), {"flag"}} {
					if out, err := run(dir, dbURL, args...).CombinedOutput(); err != nil {
						t.Fatalf("pme %v: %v\n%s", args, err, out)
					}
				}
				return dir, dbURL
			}
			lettersUntilDone := func(dataDir, dbURL string, kill func(*exec.Cmd) bool) int {
				return untilDone(t, "letters", func() *exec.Cmd { return run(dataDir, dbURL, "letters") }, kill)
			}
			// recorded returns the ledger's letters as id -> SHA-256 and file, checking each file.
			recorded := func(dataDir, dbURL string) map[string]string {
				s, err := store.Open(context.Background(), dbURL)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				ls, err := s.Letters(context.Background(), pme.Date{})
				if err != nil {
					t.Fatal(err)
				}
				out := map[string]string{}
				for _, l := range ls {
					if _, dup := out[l.ID]; dup {
						t.Errorf("letter %s recorded twice", l.ID)
					}
					out[l.ID] = l.SHA256 + " " + l.File
					if got := fileSHA(t, filepath.Join(dataDir, filepath.FromSlash(l.File))); got != l.SHA256 {
						t.Errorf("letter %s: file %s has SHA-256 %s, recorded %s", l.ID, l.File, got, l.SHA256)
					}
				}
				return out
			}

			refDir, refDB := setUp()
			lettersUntilDone(refDir, refDB, func(*exec.Cmd) bool { return false })
			want := recorded(refDir, refDB)
			if len(want) < 100 {
				t.Fatalf("reference run recorded %d letters, want about 150", len(want))
			}

			rng := rand.New(rand.NewPCG(19, uint64(len(backend))))
			for trial := 0; trial < 3; trial++ {
				dir, dbURL := setUp()
				kills := lettersUntilDone(dir, dbURL, func(cmd *exec.Cmd) bool {
					// Kill most attempts somewhere in their first second; let one in five run.
					if rng.IntN(5) == 0 {
						return false
					}
					time.Sleep(time.Duration(rng.IntN(1000)) * time.Millisecond)
					return cmd.Process.Signal(syscall.SIGKILL) == nil
				})
				got := recorded(dir, dbURL)
				if len(got) != len(want) {
					t.Fatalf("trial %d after %d kills: %d letters recorded, want %d", trial, kills, len(got), len(want))
				}
				for id, w := range want {
					if got[id] != w {
						t.Errorf("trial %d after %d kills: letter %s recorded as %q, want %q", trial, kills, id, got[id], w)
					}
				}
				t.Logf("trial %d: %d kills, %d letters as in one run", trial, kills, len(got))
			}
		})
	}
}
