package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"pme/pipeline"
)

// pme demo makes every letter its contacts allow: a letter not made is one whose school or contacts
// lack something a council would load, never one a child's name stopped (issue 14: the demo's
// Vietnamese name once stopped its letter over the font).
func TestDemoMakesEveryLetterItsContactsAllow(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	env := map[string]string{"PME_TODAY": "2026-12-07", "PME_LOG_LEVEL": "error"}
	out := mustRun(t, env, "demo", "--json", "--data-dir", filepath.Join(t.TempDir(), "demo"))
	var sum pipeline.RunSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("pme demo --json: %v\n%s", err, out)
	}
	if sum.Letters == nil || len(sum.Letters.Letters) == 0 {
		t.Fatalf("the demo made no letters: %s", out)
	}
	for _, n := range sum.Letters.NotProduced {
		if !strings.Contains(n.Reason, "(pme load schools FILE)") && !strings.Contains(n.Reason, "(pme load contacts FILE)") {
			t.Errorf("a letter at %s was not made for a reason other than missing school or contact details: %s", n.LAESTAB, n.Reason)
		}
	}
	t.Logf("%d letters made, %d waiting for contact details", len(sum.Letters.Letters), len(sum.Letters.NotProduced))
}
