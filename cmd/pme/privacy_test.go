package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// upnShape matches anything shaped like a UPN, permanent or temporary.
var upnShape = regexp.MustCompile(`\b[A-Z][0-9]{11}[0-9A-Z]\b`)

// TestLogsCarryNoPersonalData runs the whole job over the fixtures with debug logging and scans
// everything pme wrote to standard error for the fixtures' names and for anything shaped like a
// UPN: logs carry counts, hashes and ids only.
func TestLogsCarryNoPersonalData(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	env := map[string]string{"PME_DATA_DIR": data, "PME_TODAY": "2026-11-27", "PME_LOG_LEVEL": "debug"}
	fx := filepath.Join(dir, "fx")
	var logs strings.Builder
	capture := func(args ...string) {
		_, errOut, code := pmeRun(t, env, args...)
		logs.WriteString(errOut)
		if code != 0 {
			t.Fatalf("pme %v: exit %d\n%s", args, code, errOut)
		}
	}
	capture("fixtures", "--out", fx, "--seed", "5")
	refs, _ := filepath.Glob(filepath.Join(fx, "reference", "*"))
	for _, ref := range refs {
		kind := referenceKind(filepath.Base(ref))
		if kind != "" {
			capture("load", kind, ref)
		}
	}
	returns, _ := filepath.Glob(filepath.Join(fx, "returns", "*"))
	for _, r := range returns {
		if err := copyInto(r, filepath.Join(data, "inbox", filepath.Base(r))); err != nil {
			t.Fatal(err)
		}
	}
	capture("run")
	capture("cases")

	// The log records are the JSON lines (standard error is not a terminal here); the rest is the
	// operator's summary, which names the files the schools sent.
	var records []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.HasPrefix(line, "{") {
			records = append(records, line)
		}
	}
	text := strings.Join(records, "\n")
	if !strings.Contains(text, "file_sha") {
		t.Fatalf("the logs have no file hashes: is debug logging on?\n%.2000s", text)
	}
	if m := upnShape.FindString(text); m != "" {
		t.Errorf("the logs hold a UPN-shaped value %q", m)
	}
	names := fixtureNames(t, refs)
	if len(names) < 10 {
		t.Fatalf("found only %d names in the fixtures to look for", len(names))
	}
	for _, n := range names {
		if strings.Contains(text, n) {
			t.Errorf("the logs hold the name %q", n)
		}
	}
}

// referenceKind maps a fixtures reference file to the kind pme load takes.
func referenceKind(name string) string {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "edubase") || strings.Contains(n, "school"):
		return "schools"
	case strings.Contains(n, "contact"):
		return "contacts"
	case strings.Contains(n, "social"):
		return "social-care"
	case strings.Contains(n, "provider"):
		return "providers"
	}
	return ""
}

// fixtureNames reads the surnames and forenames of the social care extract: the same synthetic
// children the returns carry.
func fixtureNames(t *testing.T, refs []string) []string {
	t.Helper()
	var names []string
	for _, ref := range refs {
		if referenceKind(filepath.Base(ref)) != "social-care" || filepath.Ext(ref) != ".csv" {
			continue
		}
		f, err := os.Open(ref)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil || len(rows) < 2 {
			t.Fatalf("read %s: %v", ref, err)
		}
		cols := map[string]int{}
		for i, h := range rows[0] {
			cols[strings.TrimPrefix(h, "\ufeff")] = i
		}
		for _, r := range rows[1:] {
			for _, c := range []string{"Surname", "Forename"} {
				if i, ok := cols[c]; ok && i < len(r) && len(r[i]) > 3 {
					names = append(names, r[i])
				}
			}
		}
	}
	return names
}
