package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestReturnsParse(t *testing.T) {
	c, err := Parse([]byte("returns:\n  la_codes: [891, \"892\"]\n  cadence: weekly\n  types: [suspensions]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	r := c.Returns
	if !reflect.DeepEqual(r.LACodes, []string{"891", "892"}) || r.Cadence != "weekly" || !reflect.DeepEqual(r.Types, []string{"suspensions"}) ||
		r.DueSchoolDay != 5 || r.EscalateAfterMissing != 2 || r.StaleAfterPeriods != 2 || len(r.TypeGroups) != 4 {
		t.Fatalf("returns = %+v", r)
	}
	if Default().Returns.Configured() {
		t.Fatal("the default returns section has la_codes")
	}
}

func TestReturnsValidateNamesTheKey(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"returns:\n  la_code: [891]\n", "la_code"},
		{"returns:\n  la_codes: [8910]\n", "returns.la_codes"},
		{"returns:\n  la_codes: [ab1]\n", "returns.la_codes"},
		{"returns:\n  cadence: daily\n", "returns.cadence"},
		{"returns:\n  due_school_day: 0\n", "returns.due_school_day"},
		{"returns:\n  types: [attendance]\n", "returns.types"},
		{"returns:\n  exclude_laestab: [891234]\n", "returns.exclude_laestab"},
		{"returns:\n  escalate_after_missing: 0\n", "returns.escalate_after_missing"},
		{"returns:\n  stale_after_periods: 0\n", "returns.stale_after_periods"},
	}
	for _, tc := range tests {
		c, err := Parse([]byte(tc.yaml))
		if err == nil {
			err = c.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error = %v, want one naming %q", tc.yaml, err, tc.want)
		}
	}
}
