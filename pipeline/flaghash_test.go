package pipeline

import (
	"context"
	"reflect"
	"testing"

	"pme"
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
