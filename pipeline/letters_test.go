package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// Letters printed in parallel must be the bytes a serial run prints: the ledger's SHA-256 and
// `pme letters --reprint` depend on it.
func TestLettersInParallelAreTheSerialBytes(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *Env) {
		ctx := context.Background()
		ingestFixtures(t, e, 300)
		if _, err := e.Flag(ctx); err != nil {
			t.Fatal(err)
		}
		print := func(workers int) map[string][]byte {
			t.Helper()
			old := letterWorkers
			letterWorkers = workers
			defer func() { letterWorkers = old }()
			sum, err := e.Letters(ctx)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string][]byte{}
			for _, l := range sum.Letters {
				b, err := os.ReadFile(e.Path(filepath.FromSlash(l.File)))
				if err != nil {
					t.Fatal(err)
				}
				out[l.LetterID] = b
			}
			// Forget them, so that the next run prints them again.
			if _, err := e.Store.DB().Exec(`DELETE FROM letter`); err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(e.Path("out", "letters")); err != nil {
				t.Fatal(err)
			}
			return out
		}
		serial := print(1)
		if len(serial) < 3 {
			t.Fatalf("%d letters: too few to print in parallel", len(serial))
		}
		t.Logf("%d letters", len(serial))
		parallel := print(4)
		if len(parallel) != len(serial) {
			t.Fatalf("parallel run made %d letters, serial %d", len(parallel), len(serial))
		}
		for id, b := range serial {
			if string(parallel[id]) != string(b) {
				t.Errorf("letter %s: parallel bytes differ from serial ones", id)
			}
		}
	})
}
