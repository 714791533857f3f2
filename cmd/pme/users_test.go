package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"pme/auth"
	"pme/store/storetest"
)

func pmeRunInput(t *testing.T, env map[string]string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runWith(args, strings.NewReader(stdin), &stdout, &stderr, func(k string) string { return env[k] })
	return stdout.String(), stderr.String(), code
}

func TestUserCommands(t *testing.T) {
	cheapHashes(t)
	for backend, dbURL := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			env := map[string]string{"PME_DATA_DIR": filepath.Join(t.TempDir(), "data"), "PME_DATABASE_URL": dbURL}
			tests := []struct {
				name, stdin string
				args        []string
				code        int
				want        string // in stderr or stdout
			}{
				{"add", "a long enough password\n", []string{"user", "add", "Ann@Example.gov.uk", "--name", "Ann P", "--role", "practitioner"}, 0, "ann@example.gov.uk (practitioner) added"},
				{"add twice", "a long enough password\n", []string{"user", "add", "ann@example.gov.uk", "--name", "Ann", "--role", "viewer"}, 2, "already exists"},
				{"short password", "short\n", []string{"user", "add", "bob@example.gov.uk", "--name", "Bob", "--role", "viewer"}, 2, "at least 12 characters"},
				{"no password", "", []string{"user", "add", "bob@example.gov.uk", "--name", "Bob", "--role", "viewer"}, 2, "first line of standard input"},
				{"bad role", "a long enough password\n", []string{"user", "add", "bob@example.gov.uk", "--name", "Bob", "--role", "boss"}, 2, "want one of viewer, officer, practitioner, admin"},
				{"no role", "a long enough password\n", []string{"user", "add", "bob@example.gov.uk", "--name", "Bob"}, 2, "--role"},
				{"disable", "", []string{"user", "disable", "ann@example.gov.uk"}, 0, "disabled"},
				{"disable unknown", "", []string{"user", "disable", "nobody@example.gov.uk"}, 2, "no user nobody@example.gov.uk"},
				{"reset and role", "another long password\n", []string{"user", "reset", "ann@example.gov.uk", "--role", "officer"}, 0, "ann@example.gov.uk (officer) has a new password"},
				{"list", "", []string{"user", "list"}, 0, "ann@example.gov.uk  Ann P  officer  disabled"},
				{"unknown sub", "", []string{"user", "promote", "ann@example.gov.uk"}, 2, "unknown subcommand"},
			}
			for _, tc := range tests {
				out, errOut, code := pmeRunInput(t, env, tc.stdin, tc.args...)
				if code != tc.code || !strings.Contains(out+errOut, tc.want) {
					t.Errorf("%s: exit %d, want %d; output %q, want it to contain %q", tc.name, code, tc.code, out+errOut, tc.want)
				}
				if strings.Contains(out+errOut, "long enough password") || strings.Contains(out+errOut, "another long password") {
					t.Errorf("%s: the password was printed", tc.name)
				}
			}
			out, _, _ := pmeRunInput(t, env, "", "user", "list", "--json")
			var got struct {
				Users []map[string]any `json:"users"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil || len(got.Users) != 1 || got.Users[0]["role"] != "officer" || got.Users[0]["disabled"] != true {
				t.Fatalf("user list --json = %s (%v)", out, err)
			}
		})
	}
}

// cheapHashes makes password hashing cheap for the test: the cost is recorded in each hash.
func cheapHashes(t *testing.T) {
	old := auth.Cost
	auth.Cost = auth.Params{Time: 1, Memory: 64, Threads: 1}
	t.Cleanup(func() { auth.Cost = old })
}
