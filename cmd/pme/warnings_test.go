package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"pme/pipeline"

	"pme/store/storetest"
)

// A run date outside the loaded calendar is never counted silently: pme flag, report and run warn
// once, in the human summary and in --json, naming the year assumed and the command that loads the
// council's calendar; once a calendar covering it is loaded, the warning goes.
func TestCalendarWarning(t *testing.T) {
	for backend, dbURL := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"PME_DATA_DIR": filepath.Join(dir, "data"), "PME_DATABASE_URL": dbURL,
				"PME_TODAY": "2029-01-10", "PME_LOG_LEVEL": "error"}
			warnings := func(args ...string) []string {
				t.Helper()
				var sum struct {
					Warnings []string `json:"warnings"`
				}
				out := mustRun(t, env, append(args, "--json")...)
				if err := json.Unmarshal([]byte(out), &sum); err != nil {
					t.Fatalf("pme %s --json: %v\n%s", strings.Join(args, " "), err, out)
				}
				// Compliance is not configured here: its warning is tested with compliance.
				return slices.DeleteFunc(sum.Warnings, func(w string) bool { return w == pipeline.ComplianceWarning })
			}
			for _, cmd := range [][]string{{"flag"}, {"report"}, {"run"}} {
				ws := warnings(cmd...)
				if len(ws) != 1 || !strings.Contains(ws[0], "2028/29") || !strings.Contains(ws[0], "2024/25 to 2027/28") ||
					!strings.Contains(ws[0], "pme load calendar FILE") {
					t.Errorf("pme %s --json on 10/01/2029: warnings = %q, want one naming 2028/29, the built-in 2024/25 to 2027/28 and pme load calendar FILE", cmd[0], ws)
				}
			}
			if _, errOut, code := pmeRun(t, env, "flag"); code != 0 || strings.Count(errOut, "Warning: School days in 2028/29") != 1 {
				t.Errorf("pme flag (exit %d) printed:\n%s\nwant the calendar warning once", code, errOut)
			}

			env["PME_TODAY"] = "2026-11-27"
			if ws := warnings("flag"); len(ws) != 0 {
				t.Errorf("pme flag --json inside the calendar: warnings = %q, want none", ws)
			}

			cal := filepath.Join(dir, "calendar.yaml")
			yaml := "terms:\n  - {name: Autumn 2028, start: 2028-09-04, end: 2028-12-20}\n  - {name: Spring 2029, start: 2029-01-08, end: 2029-03-29}\n"
			if err := os.WriteFile(cal, []byte(yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			mustRun(t, env, "load", "calendar", cal)
			env["PME_TODAY"] = "2029-01-10"
			if ws := warnings("flag"); len(ws) != 0 {
				t.Errorf("pme flag --json with a calendar covering 2028/29: warnings = %q, want none", ws)
			}
		})
	}
}
