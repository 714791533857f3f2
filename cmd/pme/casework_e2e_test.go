package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pme"
	"pme/casework/caseworktest"
	"pme/pipeline"
	"pme/store/storetest"
)

// Two synthetic pupils at school 8911102 on reduced timetables. The second file lowers the
// first pupil's hours: a new rule (RT_LOW_HOURS) fires and the case changes.
const (
	upnA         = "D891110220413"
	upnB         = "Q891110219121"
	cwRTHeader   = "UPN;Last Name;First Name;Birth Date;Sex;Year;SEN;RT Start Date;End Date;Weekly Hours;RT Reason;Parental Consent;Review\n"
	rtWeek1      = cwRTHeader + upnA + ";Okafor;Amara;21-06-2015;Female;Y7;N;01.10.2026;;15;MED;Y;20.11.2026\n" + upnB + ";Johnson;Khadija;16-01-2014;Female;Y8;N;16.11.2026;06.01.2027;14;SEMH;N;27.11.2026\n"
	rtLowerHours = cwRTHeader + upnA + ";Okafor;Amara;21-06-2015;Female;Y7;N;01.10.2026;;10;MED;Y;20.11.2026\n" + upnB + ";Johnson;Khadija;16-01-2014;Female;Y8;N;16.11.2026;06.01.2027;14;SEMH;N;27.11.2026\n"
)

// TestCaseworkWeekEndToEnd runs a practitioner's weeks through the real CLI on both backends:
// flag → agenda → decisions filled in the workbook and loaded (a bad row refused whole, the fixed
// file applied, the same file again changing nothing) → next week's agenda shows only what needs
// attention → a rule change brings an in-hand case back, saying why.
func TestCaseworkWeekEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	for backend, dbURL := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			data := filepath.Join(dir, "data")
			on := func(day string) map[string]string {
				return map[string]string{"PME_DATA_DIR": data, "PME_DATABASE_URL": dbURL, "PME_TODAY": day}
			}
			as := func(env map[string]string, who string) map[string]string {
				env["PME_USER"] = who
				return env
			}
			ingestRT := func(day, name, body string) {
				t.Helper()
				path := filepath.Join(dir, name)
				if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
				mustRun(t, on(day), "ingest", path)
				mustRun(t, on(day), "flag")
			}

			// Week 1, Monday: two new cases.
			mustRun(t, on("2026-11-23"), "load", "schools", filepath.Join("..", "..", "fixtures", "samples", "reference", "edubasealldata20261127.csv"))
			ingestRT("2026-11-23", "8911102 reduced timetable.csv", rtWeek1)
			var cases pipeline.FlagSummary
			mustJSON(t, mustRun(t, on("2026-11-23"), "cases", "--json"), &cases)
			caseOf := map[string]string{}
			for _, c := range cases.Cases {
				caseOf[c.UPN] = c.CaseID
			}
			a, b := caseOf[upnA], caseOf[upnB]
			if a == "" || b == "" {
				t.Fatalf("cases = %+v, want both pupils flagged", cases.Cases)
			}

			ag := agenda(t, on("2026-11-23"), "2026-11-27")
			if got := agendaLines(ag); got != "new "+a+"|new "+b && got != "new "+b+"|new "+a {
				t.Fatalf("week 1 agenda = %s", got)
			}
			if len(ag.Warnings) != 1 || !strings.Contains(ag.Warnings[0], "compliance is not configured") {
				t.Fatalf("warnings = %v, want the schools section's", ag.Warnings)
			}
			file := filepath.Join(data, ag.File)

			// Friday: the meeting's decisions, first with a row missing its owner.
			filled := filepath.Join(dir, "coos 27 Nov FINAL.xlsx")
			caseworktest.FillAgenda(t, file, filled, map[string][4]string{
				a: {"in-hand", "School reviewing the timetable", "", "11/12/2026"},
				b: {"action", "Home visit", "", "02/12/2026"},
			})
			if _, _, code := pmeRun(t, on("2026-11-27"), "load", "decisions", filled); code != exitUsage {
				t.Fatalf("load decisions without --as or PME_USER: exit %d, want %d", code, exitUsage)
			}
			res := loadDecisions(t, as(on("2026-11-27"), "ann"), filled)
			if res.Applied != 1 || res.Refused != 1 || !hasIssue(res, pme.DecisionOwnerMissing, pme.ColumnOwner) {
				t.Fatalf("first load = %+v, want one applied and the action refused for its owner", res)
			}
			caseworktest.FillAgenda(t, file, filled, map[string][4]string{
				a: {"in-hand", "School reviewing the timetable", "", "11/12/2026"},
				b: {"action", "Home visit", "EWO team", "02/12/2026"},
			})
			if res := loadDecisions(t, as(on("2026-11-27"), "ann"), filled); res.Applied != 1 || res.Unchanged != 1 || res.Refused != 0 {
				t.Fatalf("fixed load = %+v, want the action applied and the in-hand unchanged", res)
			}
			if res := loadDecisions(t, as(on("2026-11-27"), "ann"), filled); res.Applied != 0 || res.Unchanged != 2 {
				t.Fatalf("the same file again = %+v, want nothing applied", res)
			}
			mustRun(t, as(on("2026-11-27"), "ann"), "case", b, "in-hand", "--review", "2026-12-18")

			// Week 2: nothing changed; only B's action, due before the meeting, is on the agenda.
			mustRun(t, on("2026-11-30"), "flag")
			if got := agendaLines(agenda(t, on("2026-11-30"), "2026-12-04")); got != "actions-due "+b {
				out, _, _ := pmeRun(t, on("2026-11-30"), "case", b, "--json")
				t.Fatalf("week 2 agenda = %s, want only B's action due\n%s", got, out)
			}

			// Tuesday: A's hours drop, a new rule fires, and A comes back saying why.
			ingestRT("2026-12-01", "8911102 reduced timetable v2.csv", rtLowerHours)
			ag = agenda(t, on("2026-12-01"), "2026-12-04")
			if got := agendaLines(ag); got != "changed "+a+"|actions-due "+b {
				t.Fatalf("agenda after the change = %s", got)
			}
			if why := ag.Items[0].ReturnedBecause; !strings.Contains(why, pme.RuleRTLowHours) || !strings.Contains(why, "in hand") {
				t.Fatalf("returned because = %q, want the new rule named", why)
			}
			var v pipeline.CaseView
			mustJSON(t, mustRun(t, on("2026-12-01"), "case", a, "--json"), &v)
			if v.Handling.State != pme.HandlingUnreviewed || v.Handling.Returned != pme.ReturnedFactsChanged {
				t.Fatalf("case A handling = %+v", v.Handling)
			}
			if out := mustRun(t, on("2026-12-01"), "case", a); v.DOB.IsZero() || !strings.Contains(out, "Born "+v.DOB.UK()) {
				t.Fatalf("pme case does not say when the child was born (%v):\n%s", v.DOB, out)
			}
			// A note's text, the child's name and UPN never reach the logs.
			env := as(on("2026-12-01"), "ann")
			env["PME_LOG_LEVEL"] = "debug"
			_, errOut, code := pmeRun(t, env, "case", a, "note", "Amara's mum phoned the school")
			if code != 0 || !strings.Contains(errOut, "note added") {
				t.Fatalf("case note: exit %d\n%s", code, errOut)
			}
			_, viewErr, _ := pmeRun(t, env, "child", upnA)
			for _, leak := range []string{"Amara", "mum phoned", upnA, "Okafor"} {
				if strings.Contains(errOut, leak) || strings.Contains(viewErr, leak) {
					t.Fatalf("the logs carry %q:\n%s\n%s", leak, errOut, viewErr)
				}
			}

			// The child's history, and its export for a subject access request.
			var h pme.ChildHistory
			mustJSON(t, mustRun(t, on("2026-12-01"), "child", upnA, "--json"), &h)
			kinds := map[string]int{}
			for i, en := range h.Entries {
				kinds[en.Kind]++
				if i > 0 && en.Date.Before(h.Entries[i-1].Date) {
					t.Fatalf("child history out of date order at %d: %+v", i, h.Entries)
				}
			}
			if kinds[pme.EntryRecord] != 2 || kinds[pme.EntryFiring] != 2 || kinds[pme.EntryHandling] != 1 || kinds[pme.EntryNote] != 1 {
				t.Fatalf("child history = %+v", h.Entries)
			}
			if _, _, code := pmeRun(t, on("2026-12-01"), "child", upnA, "--export", filepath.Join(dir, "sar")); code != exitUsage {
				t.Fatalf("child --export without an acting person: exit %d, want %d", code, exitUsage)
			}
			var exp struct{ Files []string }
			mustJSON(t, mustRun(t, as(on("2026-12-01"), "ann"), "child", upnA, "--export", filepath.Join(dir, "sar"), "--json"), &exp)
			if len(exp.Files) != 2 {
				t.Fatalf("export = %v, want a workbook and a PDF", exp.Files)
			}
			for _, f := range exp.Files {
				if st, err := os.Stat(f); err != nil || st.Mode().Perm() != 0o600 {
					t.Fatalf("%s: %v, %v; want a file readable by its owner only", f, st, err)
				}
			}

			var log struct{ Entries []pme.AuditEntry }
			mustJSON(t, mustRun(t, on("2026-12-01"), "audit", "--person", "ann", "--json"), &log)
			if len(log.Entries) < 4 {
				t.Fatalf("audit for ann = %+v", log.Entries)
			}
			for _, e := range log.Entries {
				if strings.Contains(e.Detail, "Home visit") || strings.Contains(e.Detail, "reviewing") {
					t.Fatalf("audit entry carries free text: %+v", e)
				}
			}
		})
	}
}

func mustJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
}

func agenda(t *testing.T, env map[string]string, date string) pme.Agenda {
	t.Helper()
	var ag pme.Agenda
	mustJSON(t, mustRun(t, env, "agenda", "--meeting", "coos", "--date", date, "--json"), &ag)
	return ag
}

// agendaLines is an agenda's items as "section case|section case".
func agendaLines(ag pme.Agenda) string {
	var out []string
	for _, it := range ag.Items {
		out = append(out, it.Section+" "+it.CaseID)
	}
	return strings.Join(out, "|")
}

func loadDecisions(t *testing.T, env map[string]string, path string) pme.DecisionResult {
	t.Helper()
	var res pme.DecisionResult
	mustJSON(t, mustRun(t, env, "load", "decisions", path, "--json"), &res)
	return res
}

func hasIssue(res pme.DecisionResult, code, column string) bool {
	for _, is := range res.Issues {
		if is.Code == code && is.Column == column && is.Row > 0 {
			return true
		}
	}
	return false
}
