package rules

import (
	"strings"
	"testing"

	"pme"
)

func TestDefaultConfigCoversEveryRule(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	if len(cfg.Rules) != len(catalogue) {
		t.Fatalf("default config has %d rules, catalogue %d", len(cfg.Rules), len(catalogue))
	}
	for _, r := range catalogue {
		if _, ok := cfg.Rules[r.id]; !ok {
			t.Errorf("rule %s has no default", r.id)
		}
	}
	want := map[string]float64{"R": 21, "2": 21, "3": 23.5, "6": 23.5, "7": 24, "10": 24, "11": 25, "unknown": 24}
	for year, h := range want {
		if got := cfg.fullTime(year); got != h {
			t.Errorf("full time for %q = %v, want %v", year, got, h)
		}
	}
	for _, year := range []string{"12", "14", "N1", ""} {
		if got := cfg.fullTime(year); got != 24 {
			t.Errorf("full time for %q = %v, want the unknown-year 24", year, got)
		}
	}
}

func TestFromYAML(t *testing.T) {
	cases := []struct {
		name     string
		rules    map[string]map[string]any
		fullTime map[string]float64
		wantErr  string
	}{
		{"overrides", map[string]map[string]any{
			pme.RuleRTOverLimit:  {"severity": "high", "school_days": 25},
			pme.RuleSuspRepeated: {"enabled": false},
			pme.RuleRTLowHours:   {"percent": 60.5},
		}, map[string]float64{"12": 16}, ""},
		{"unknown threshold key", map[string]map[string]any{pme.RuleRTOverLimit: {"school_dayz": 30}}, nil,
			"rules.RT_OVER_LIMIT.school_dayz: unknown key"},
		{"threshold on a rule without one", map[string]map[string]any{pme.RuleRTNoEndDate: {"days": 3}}, nil,
			"rules.RT_NO_END_DATE.days: unknown key (want only severity and enabled)"},
		{"unknown rule", map[string]map[string]any{"RT_OVERLIMIT": {"enabled": true}}, nil, "rules.RT_OVERLIMIT: unknown rule"},
		{"bad severity", map[string]map[string]any{pme.RuleRTOverLimit: {"severity": "urgent"}}, nil,
			`rules.RT_OVER_LIMIT.severity: "urgent" is not one of low, medium, high, critical`},
		{"enabled not a boolean", map[string]map[string]any{pme.RuleRTOverLimit: {"enabled": "no"}}, nil,
			"rules.RT_OVER_LIMIT.enabled: want true or false"},
		{"threshold not a number", map[string]map[string]any{pme.RuleRTOverLimit: {"school_days": "thirty"}}, nil,
			"rules.RT_OVER_LIMIT.school_days: want a number"},
		{"negative threshold", map[string]map[string]any{pme.RuleSuspOver45Days: {"days": -1}}, nil,
			"rules.SUSP_OVER_45_DAYS.days: -1 must not be negative"},
		{"percent over 100", map[string]map[string]any{pme.RuleRTLowHours: {"percent": 150}}, nil,
			"rules.RT_LOW_HOURS.percent: 150 must be at most 100"},
		{"unknown NC year", nil, map[string]float64{"Y7": 24}, "full_time_hours.Y7: unknown NC year"},
		{"zero hours", nil, map[string]float64{"7": 0}, "full_time_hours.7: 0 must be more than 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := FromYAML(tc.rules, tc.fullTime)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("FromYAML: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
			}
			_ = cfg
		})
	}
}

func TestFromYAMLKeepsOtherDefaults(t *testing.T) {
	cfg, err := FromYAML(map[string]map[string]any{pme.RuleRTOverLimit: {"school_days": 25}, pme.RuleSuspRepeated: {"enabled": false}},
		map[string]float64{"12": 16})
	if err != nil {
		t.Fatal(err)
	}
	rc := cfg.Rules[pme.RuleRTOverLimit]
	if rc.Severity != pme.SeverityHigh || rc.Thresholds[KeySchoolDays] != 25 || !rc.On() {
		t.Errorf("RT_OVER_LIMIT = %+v, want high, 25 school days, on", rc)
	}
	if cfg.Rules[pme.RuleSuspRepeated].On() {
		t.Error("SUSP_REPEATED is on, want off")
	}
	if cfg.fullTime("12") != 16 || cfg.fullTime("11") != 25 {
		t.Errorf("full time 12, 11 = %v, %v; want 16, 25", cfg.fullTime("12"), cfg.fullTime("11"))
	}
	if DefaultConfig().Rules[pme.RuleRTOverLimit].Thresholds[KeySchoolDays] != 30 {
		t.Error("FromYAML changed the defaults it started from")
	}
}

func TestValidateNamesTheKey(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Rules["NOPE"] = RuleConfig{Severity: pme.SeverityLow}
	rc := cfg.Rules[pme.RuleRTOverLimit]
	rc.Thresholds = map[string]float64{"school_dayz": 30}
	cfg.Rules[pme.RuleRTOverLimit] = rc
	err := cfg.Validate()
	for _, want := range []string{"rules.NOPE: unknown rule", "rules.RT_OVER_LIMIT.school_dayz: unknown key"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want it to contain %q", err, want)
		}
	}
}
