package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"pme/store"
	"pme/store/storetest"
)

// buildPme builds the pme binary once for the tests that run it as a separate process.
func buildPme(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pme")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// storedState is what the database holds after ingesting, in a form two runs can compare.
type storedState struct {
	pupils, timetables, placements, suspensions int
	markDays                                    int
	marks                                       string   // a digest of every pupil's marks, by UPN
	files                                       []string // sha256 of every file recorded
}

func readState(t *testing.T, dbURL string, shas []string) storedState {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var st storedState
	p, err := s.Pupils(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tt, err := s.CurrentTimetables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := s.CurrentPlacements(ctx)
	if err != nil {
		t.Fatal(err)
	}
	su, err := s.Suspensions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.pupils, st.timetables, st.placements, st.suspensions = len(p), len(tt), len(pl), len(su)
	// Marks by UPN: a pupil's id depends on how many runs were killed before it was stored.
	sort.Slice(p, func(i, j int) bool { return p[i].UPN < p[j].UPN })
	h := sha256.New()
	for _, pupil := range p {
		days, err := s.AttendanceMarks(ctx, pupil.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range days {
			fmt.Fprintf(h, "%s %s %s %s/%s\n", pupil.UPN, d.LAESTAB, d.Date, d.AM, d.PM)
		}
		st.markDays += len(days)
	}
	st.marks = hex.EncodeToString(h.Sum(nil))[:16]
	for _, sha := range shas {
		if f, err := s.FindFile(ctx, sha); err == nil {
			st.files = append(st.files, f.SHA256+" "+f.Status)
		}
	}
	sort.Strings(st.files)
	return st
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil))
}

// TestCrashSafety kills `pme ingest` with SIGKILL at random moments over a set of returns and runs
// it again until it finishes; then every row must be stored exactly once (the same state as one
// uninterrupted run) and every file must sit in archive/ or rejected/ exactly once.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills pme many times")
	}
	bin := buildPme(t)
	fx := filepath.Join(t.TempDir(), "fx")
	gen := exec.Command(bin, "fixtures", "--out", fx, "--schools", "8", "--pupils", "150", "--seed", "3", "--error-rate", "0.1")
	gen.Env = append(os.Environ(), "PME_TODAY=2026-11-27", "PME_DATA_DIR="+t.TempDir())
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("fixtures: %v\n%s", err, out)
	}
	returns, _ := filepath.Glob(filepath.Join(fx, "returns", "*"))
	// The attendance extract too: its marks go by a first load's path (on PostgreSQL, straight
	// into att_mark with its key dropped until the file ends), which a kill must undo whole.
	att, _ := filepath.Glob(filepath.Join(fx, "attendance", "*"))
	returns = append(returns, att...)
	var shas []string
	for _, r := range returns {
		shas = append(shas, fileSHA(t, r))
	}

	for backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			ingestAll := func(dataDir, dbURL string, kill func(*exec.Cmd) bool) int {
				return untilDone(t, "ingest", func() *exec.Cmd {
					cmd := exec.Command(bin, "ingest")
					cmd.Env = append(os.Environ(), "PME_TODAY=2026-11-27", "PME_DATA_DIR="+dataDir, "PME_DATABASE_URL="+dbURL, "PME_LOG_LEVEL=error")
					return cmd
				}, kill)
			}
			dropAll := func(dataDir string) {
				for _, r := range returns {
					if err := copyInto(r, filepath.Join(dataDir, "inbox", filepath.Base(r))); err != nil {
						t.Fatal(err)
					}
				}
			}

			refDir := t.TempDir()
			refDB := freshURL(t, backend, refDir)
			dropAll(refDir)
			ingestAll(refDir, refDB, func(*exec.Cmd) bool { return false })
			want := readState(t, refDB, shas)
			if want.pupils == 0 || want.markDays == 0 || len(want.files) != len(returns) {
				t.Fatalf("reference run stored %+v for %d files", want, len(returns))
			}

			rng := rand.New(rand.NewPCG(42, uint64(len(backend))))
			for trial := 0; trial < 4; trial++ {
				dir := t.TempDir()
				dbURL := freshURL(t, backend, dir)
				dropAll(dir)
				kills := ingestAll(dir, dbURL, func(cmd *exec.Cmd) bool {
					// Kill most attempts somewhere in their first 1.5 s; let one in five run.
					if rng.IntN(5) == 0 {
						return false
					}
					time.Sleep(time.Duration(rng.IntN(1500)) * time.Millisecond)
					// A process that ended just before the signal counts as killed too: the next
					// attempt then finds nothing left to do, which is the point.
					return cmd.Process.Signal(syscall.SIGKILL) == nil
				})
				got := readState(t, dbURL, shas)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("trial %d after %d kills: stored %+v, want %+v", trial, kills, got, want)
				}
				checkFilesPlacedOnce(t, dir, returns)
				t.Logf("trial %d: %d kills, state matches", trial, kills)
			}
		})
	}
}

// freshURL returns a fresh database for the backend.
func freshURL(t *testing.T, backend, dir string) string {
	if backend == store.SQLite {
		return "sqlite:" + filepath.Join(dir, "pme.db")
	}
	return storetest.PostgresURL(t)
}

// checkFilesPlacedOnce checks the inbox is empty and each returned file sits in archive/ or
// rejected/ exactly once.
func checkFilesPlacedOnce(t *testing.T, dataDir string, returns []string) {
	t.Helper()
	if left, _ := os.ReadDir(filepath.Join(dataDir, "inbox")); len(left) > 0 {
		var names []string
		for _, e := range left {
			names = append(names, e.Name())
		}
		t.Fatalf("inbox still holds %v", names)
	}
	placed := map[string]int{}
	for _, sub := range []string{"archive", "rejected"} {
		filepath.Walk(filepath.Join(dataDir, sub), func(p string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() && !strings.HasPrefix(info.Name(), ".") {
				placed[fileSHA(t, p)]++
			}
			return nil
		})
	}
	for _, r := range returns {
		if n := placed[fileSHA(t, r)]; n != 1 {
			t.Errorf("%s is in archive/ or rejected/ %d times, want once", filepath.Base(r), n)
		}
	}
}

// untilDone runs the commands newCmd makes, one after the other, until one that kill (called
// once the command has started) did not kill finishes; it fails the test if that one fails, and
// returns how many were killed.
func untilDone(t *testing.T, name string, newCmd func() *exec.Cmd, kill func(*exec.Cmd) bool) int {
	t.Helper()
	kills := 0
	for attempt := 0; attempt < 200; attempt++ {
		cmd := newCmd()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killed := kill(cmd)
		err := cmd.Wait()
		if killed {
			kills++
			continue
		}
		if err != nil {
			t.Fatalf("%s after %d kills: %v", name, kills, err)
		}
		return kills
	}
	t.Fatalf("%s never finished", name)
	return kills
}
