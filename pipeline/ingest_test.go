package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Two different files sent under the same name each keep their feedback, and a resent file is a
// duplicate with feedback of its own.
func TestFeedbackIsNeverOverwritten(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *Env) {
		ctx := context.Background()
		src := t.TempDir()
		a := writeFile(t, filepath.Join(src, "s1", "r.csv"), "Pupil,Notes\nx,y\n")
		b := writeFile(t, filepath.Join(src, "s2", "r.csv"), "Something,Else\n1,2\n")
		sum, err := e.Ingest(ctx, []string{a, b, a})
		if err != nil {
			t.Fatal(err)
		}
		var statuses []string
		for _, f := range sum.Files {
			statuses = append(statuses, f.Status)
		}
		if got := strings.Join(statuses, " "); got != "rejected rejected duplicate" {
			t.Fatalf("statuses = %s, want rejected rejected duplicate", got)
		}
		books, _ := filepath.Glob(e.Path(OutDir, "feedback", "*.feedback.xlsx"))
		if len(books) != 3 {
			t.Fatalf("feedback workbooks = %v, want one for each of the three files", books)
		}
	})
}

// A clean file's issues are an empty JSON array, as cli.md shows them, never null.
func TestIngestJSONIssuesIsAnArray(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *Env) {
		f := writeFile(t, filepath.Join(t.TempDir(), "8912345_rt.csv"),
			"UPN,Surname,Forename,Date of Birth,Start Date,Planned End Date,Hours Per Week,Reason,Parental Agreement,Review Date\n"+
				"B801200005001,Smith,Ann,01/02/2014,02/11/2026,18/12/2026,15,MED,Y,04/12/2026\n")
		sum, err := e.Ingest(context.Background(), []string{f})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(sum)
		if !strings.Contains(string(b), `"issues":[]`) || sum.Files[0].Status != "accepted" {
			t.Fatalf("summary = %s, want an accepted file with \"issues\":[]", b)
		}
	})
}
