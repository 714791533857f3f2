package pipeline

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"pme"
	"pme/fixtures"
)

// A rerun on the same day evaluates only the pupils whose facts changed; its cases must be those
// a run over every pupil gives. Facts are changed here in SQL, as an ingest would: a flagged
// pupil's provision and suspensions deleted, an unflagged pupil's suspension made a permanent
// exclusion, and a flagged pupil deleted whole (merged away).
func TestFlagRerunEvaluatesOnlyChangedPupils(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *Env) {
		ctx := context.Background()
		ingestFixtures(t, e, 300)
		old := pupilsPerRange
		pupilsPerRange = 40
		defer func() { pupilsPerRange = old }()
		first, err := e.Flag(ctx)
		if err != nil {
			t.Fatal(err)
		}
		db := e.Store.DB()
		var pupils int
		if err := db.Get(&pupils, `SELECT COUNT(*) FROM pupil`); err != nil {
			t.Fatal(err)
		}
		if first.Evaluated < pupils {
			t.Fatalf("first run evaluated %d of %d pupils", first.Evaluated, pupils)
		}
		same, err := e.Flag(ctx)
		if err != nil || same.Evaluated != 0 || !reflect.DeepEqual(same.ByStatus, first.ByStatus) {
			t.Fatalf("rerun with nothing changed: evaluated %d, counts %v (first %v), %v", same.Evaluated, same.ByStatus, first.ByStatus, err)
		}

		var flagged []int64
		if err := db.Select(&flagged, `SELECT pupil_id FROM cases ORDER BY pupil_id LIMIT 2`); err != nil || len(flagged) < 2 {
			t.Fatalf("flagged pupils %v, %v", flagged, err)
		}
		var calm int64
		if err := db.Get(&calm, `SELECT MIN(pupil_id) FROM suspension WHERE pupil_id NOT IN (SELECT pupil_id FROM cases)`); err != nil {
			t.Fatal(err)
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.Exec(db.Rebind(q), args...); err != nil {
				t.Fatal(err)
			}
		}
		for _, table := range []string{"timetable", "placement", "suspension"} {
			exec(`DELETE FROM `+table+` WHERE pupil_id = ?`, flagged[0])
			exec(`DELETE FROM `+table+` WHERE pupil_id = ?`, flagged[1])
		}
		exec(`DELETE FROM pupil WHERE id = ?`, flagged[1])
		exec(`UPDATE suspension SET category = 'PERM', start_date = ? WHERE pupil_id = ?`, e.Today.AddDays(-3), calm)

		e.ListCases = true
		rerun, err := e.Flag(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rerun.Evaluated != 3 {
			t.Errorf("rerun evaluated %d pupils, want the 3 changed", rerun.Evaluated)
		}
		byPupil := map[int64]pme.Case{}
		cases, err := e.Store.Cases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			byPupil[c.PupilID] = c
		}
		if byPupil[flagged[0]].Status != pme.CaseClosed || byPupil[flagged[1]].Status != pme.CaseClosed {
			t.Errorf("cases of pupils without facts: %+v, %+v; want closed", byPupil[flagged[0]], byPupil[flagged[1]])
		}
		if c := byPupil[calm]; c.Status != pme.CaseNew || !reflect.DeepEqual(c.Rules, []string{pme.RulePermExclusion}) {
			t.Errorf("case of the newly excluded pupil: %+v", c)
		}
		if len(rerun.Cases) != rerun.Listed() || rerun.Listed() != first.Listed()+1 {
			t.Errorf("rerun lists %d cases and counts %d, want %d", len(rerun.Cases), rerun.Listed(), first.Listed()+1)
		}

		// Every pupil evaluated again (the context forgotten, as SaveCases does) changes nothing.
		exec(`DELETE FROM flag_context`)
		full, err := e.Flag(ctx)
		if err != nil || full.Evaluated < pupils-1 {
			t.Fatalf("full run evaluated %d pupils, %v", full.Evaluated, err)
		}
		again, err := e.Store.Cases(ctx)
		if err != nil || !reflect.DeepEqual(again, cases) {
			t.Fatalf("a run over every pupil changed what the rerun stored (%v)", err)
		}
	})
}

// A rerun after files reads only the pupils the files may have changed (store.FlagRun.ChangedSince)
// and must store what a run over every pupil stores, on both backends: after a suspensions file
// changing some events and naming a pupil never seen, and a reduced-timetable snapshot that drops
// one pupil's timetable and changes another's (the school's earlier rows retired).
func TestFlagRerunAfterFilesEqualsFullRun(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *Env) {
		ctx := context.Background()
		dir := t.TempDir()
		fx := ingestFixtures(t, e, 300)
		// Another LA's returns, for a pupil this one has never seen.
		other, err := fixtures.Generate(filepath.Join(dir, "b"), fixtures.Options{Pupils: 50, Seed: 8, Today: e.Today, Format: "csv"})
		if err != nil {
			t.Fatal(err)
		}
		old := pupilsPerRange
		pupilsPerRange = 40
		defer func() { pupilsPerRange = old }()
		if _, err := e.Flag(ctx); err != nil {
			t.Fatal(err)
		}
		var pupils int
		if err := e.Store.DB().Get(&pupils, `SELECT COUNT(*) FROM pupil`); err != nil {
			t.Fatal(err)
		}

		steps := []struct {
			name  string
			write func() string
		}{
			{"suspensions changed, a new pupil", func() string {
				path := returnOf(t, fx.Returns, "_suspensions.csv")
				rows := readReturn(t, path)
				for i := 3; i < min(6, len(rows)); i++ {
					rows[i][9] = strconv.Itoa(atoi(t, rows[i][9]) + 7) // Sessions*
				}
				stranger := readReturn(t, returnOf(t, other.Returns, "_suspensions.csv"))[3]
				return writeReturn(t, dir, filepath.Base(path)[:7]+"_suspensions again.csv", append(rows, stranger))
			}},
			{"reduced timetables replaced", func() string {
				path := returnOf(t, fx.Returns, "_reduced timetable.csv")
				rows := readReturn(t, path)
				if len(rows) < 5 {
					t.Fatalf("reduced-timetable return of %d lines", len(rows))
				}
				rows[4][10] = "3" // Hours Per Week*
				return writeReturn(t, dir, filepath.Base(path)[:7]+"_reduced timetable again.csv", append(rows[:3:3], rows[4:]...))
			}},
		}
		for _, step := range steps {
			in, err := e.Ingest(ctx, []string{step.write()})
			if err != nil || len(in.Files) != 1 || in.Files[0].Status != "accepted" && in.Files[0].Status != "partial" {
				t.Fatalf("%s: ingest %+v, %v", step.name, in, err)
			}
			// Runs stopped part-way (as a kill would) store nothing: neither cases nor the mark
			// of where the facts stood, so the first run that completes reads the same pupils.
			var inc FlagSummary
			for i := 0; ; i++ {
				stop, cancel := context.WithCancel(ctx)
				time.AfterFunc(time.Duration(i*i)*time.Millisecond, cancel)
				inc, err = e.Flag(stop)
				stopped := stop.Err() != nil
				cancel()
				if err == nil {
					break
				}
				if !stopped || i > 100 {
					t.Fatalf("%s: run stopped after %d ms: %v", step.name, i*i, err)
				}
			}
			if inc.Read == 0 || inc.Read >= pupils/2 || inc.Evaluated == 0 {
				t.Errorf("%s: the rerun read %d pupils of %d and evaluated %d: want only those of the file", step.name, inc.Read, pupils, inc.Evaluated)
			}
			cases, err := e.Store.Cases(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.Store.DB().Exec(`DELETE FROM flag_context`); err != nil {
				t.Fatal(err)
			}
			full, err := e.Flag(ctx)
			if err != nil || full.Read < pupils {
				t.Fatalf("%s: the full run read %d of %d pupils, %v", step.name, full.Read, pupils, err)
			}
			again, err := e.Store.Cases(ctx)
			if err != nil || full.Evaluated == 0 || !reflect.DeepEqual(again, cases) {
				t.Fatalf("%s: a run over every pupil changed what the rerun stored (%v)", step.name, err)
			}
		}
	})
}

// returnOf returns the first of the returns whose name ends with suffix.
func returnOf(t *testing.T, paths []string, suffix string) string {
	t.Helper()
	for _, p := range paths {
		if strings.HasSuffix(p, suffix) {
			return p
		}
	}
	t.Fatalf("no return ending %q", suffix)
	return ""
}

// readReturn reads a CSV return: its title, school and header lines, then its rows.
func readReturn(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func writeReturn(t *testing.T, dir, name string, rows [][]string) string {
	t.Helper()
	var b strings.Builder
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
