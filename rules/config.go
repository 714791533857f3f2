package rules

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"pme"
)

// Threshold keys, as written in the configuration file under a rule id.
const (
	KeySchoolDays = "school_days"
	KeyDays       = "days"
	KeyHours      = "hours"
	KeyCount      = "count"
	KeyPercent    = "percent"
	KeyPeriods    = "periods"
)

// RuleConfig is one rule's configuration: its severity before any vulnerability uplift, whether it
// runs, and its thresholds by key (school_days, days, hours, count, percent).
type RuleConfig struct {
	Severity   string
	Enabled    *bool // nil means enabled
	Thresholds map[string]float64
}

// On reports whether the rule runs.
func (r RuleConfig) On() bool { return r.Enabled == nil || *r.Enabled }

// Config is the rules' configuration: every rule's settings and the full-time hours by NC year.
type Config struct {
	Rules         map[string]RuleConfig
	FullTimeHours map[string]float64 // by NC year ("R", "1".."14", "N1", "N2") and "unknown"
}

// ruleDefault is a rule's built-in severity and thresholds (rules.md).
type ruleDefault struct {
	severity   string
	thresholds map[string]float64
}

var defaults = map[string]ruleDefault{
	pme.RuleRTNoEndDate:           {pme.SeverityMedium, nil},
	pme.RuleRTOverLimit:           {pme.SeverityHigh, map[string]float64{KeySchoolDays: 30}},
	pme.RuleRTPastEndDate:         {pme.SeverityMedium, nil},
	pme.RuleRTLowHours:            {pme.SeverityMedium, map[string]float64{KeyPercent: 50}},
	pme.RuleRTNoParentalAgreement: {pme.SeverityMedium, nil},
	pme.RuleRTReviewOverdue:       {pme.SeverityLow, map[string]float64{KeySchoolDays: 10}},
	pme.RuleRTBehaviour:           {pme.SeverityMedium, nil},
	pme.RuleAPUnapprovedProvider:  {pme.SeverityHigh, nil},
	pme.RuleAPUnregisteredFT:      {pme.SeverityHigh, map[string]float64{KeyHours: 18}},
	pme.RuleAPNotFullTime:         {pme.SeverityMedium, map[string]float64{KeyPercent: 100}},
	pme.RuleSuspOver45Days:        {pme.SeverityHigh, map[string]float64{KeyDays: 45}},
	pme.RuleSuspApproaching:       {pme.SeverityMedium, map[string]float64{KeyDays: 30}},
	pme.RuleSuspRepeated:          {pme.SeverityMedium, map[string]float64{KeyCount: 3}},
	pme.RuleSuspNoSixthDay:        {pme.SeverityHigh, map[string]float64{KeyDays: 5}},
	pme.RulePermExclusion:         {pme.SeverityHigh, nil},
	pme.RulePMEOver20Days:         {pme.SeverityHigh, map[string]float64{KeySchoolDays: 20}},
	pme.RuleMultipleReturns:       {pme.SeverityMedium, map[string]float64{KeyCount: 2}},
	pme.RuleMatchAmbiguous:        {pme.SeverityMedium, nil},
	pme.RuleStaleReturn:           {pme.SeverityMedium, map[string]float64{KeyPeriods: 2}}, // returns.stale_after_periods
	// attendance.md
	pme.RuleAttC2NotReturned: {pme.SeverityHigh, map[string]float64{KeySessions: 4, KeySchoolDays: 10}},
	pme.RuleAttENotReturned:  {pme.SeverityHigh, map[string]float64{KeySessions: 1}},
	pme.RuleAttESixthDay:     {pme.SeverityHigh, map[string]float64{KeyDays: 5}},
	pme.RuleAttBNoAP:         {pme.SeverityMedium, map[string]float64{KeySessions: 6, KeySchoolDays: 10}},
	pme.RuleAttRTNotCoded:    {pme.SeverityLow, map[string]float64{KeySchoolDays: 10}},
	pme.RuleAttAbsencePlan:   {pme.SeverityMedium, map[string]float64{KeyPercent: 90, KeySeverePercent: 50, KeySessions: 20}},
}

// IDs returns every rule id, sorted.
func IDs() []string {
	ids := make([]string, 0, len(defaults))
	for id := range defaults {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// defaultFullTime is the Local Government Ombudsman benchmark of full-time hours a week by NC year
// (rules.md). Years 12–14 and nursery (N1, N2) fall back to "unknown": full-time study after 16 and
// early-years entitlement are not measured in weekly school hours, so the team sets them if needed.
var defaultFullTime = map[string]float64{
	"R": 21, "1": 21, "2": 21,
	"3": 23.5, "4": 23.5, "5": 23.5, "6": 23.5,
	"7": 24, "8": 24, "9": 24, "10": 24,
	"11":      25,
	"unknown": 24,
}

// ncYears are the keys full_time_hours accepts.
var ncYears = map[string]bool{"N1": true, "N2": true, "R": true, "unknown": true}

func init() {
	for y := 1; y <= 14; y++ {
		ncYears[strconv.Itoa(y)] = true
	}
}

// DefaultConfig returns the defaults of rules.md: every rule enabled at its listed severity.
func DefaultConfig() Config {
	c := Config{Rules: make(map[string]RuleConfig, len(defaults)), FullTimeHours: map[string]float64{}}
	for id, d := range defaults {
		th := make(map[string]float64, len(d.thresholds))
		for k, v := range d.thresholds {
			th[k] = v
		}
		c.Rules[id] = RuleConfig{Severity: d.severity, Thresholds: th}
	}
	for k, v := range defaultFullTime {
		c.FullTimeHours[k] = v
	}
	return c
}

// FromYAML builds the configuration from the `rules` and `full_time_hours` sections as the config
// package decodes them, over the defaults: a rule names only what it changes, and full_time_hours
// replaces only the years it lists. The result is validated; errors name the key.
func FromYAML(rules map[string]map[string]any, fullTime map[string]float64) (Config, error) {
	c := DefaultConfig()
	var errs []error
	for id, keys := range rules {
		rc, known := c.Rules[id]
		if !known {
			errs = append(errs, fmt.Errorf("rules.%s: unknown rule (want one of %s)", id, strings.Join(IDs(), ", ")))
			continue
		}
		rc.Thresholds = copyMap(rc.Thresholds)
		for key, v := range keys {
			if err := rc.set(key, v); err != nil {
				errs = append(errs, fmt.Errorf("rules.%s.%s: %w", id, key, err))
			}
		}
		c.Rules[id] = rc
	}
	for k, v := range fullTime {
		c.FullTimeHours[k] = v
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

// set applies one YAML key to the rule's configuration.
func (r *RuleConfig) set(key string, v any) error {
	switch key {
	case "severity":
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("want one of low, medium, high, critical, not %v", v)
		}
		r.Severity = s
	case "enabled":
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("want true or false, not %v", v)
		}
		r.Enabled = &b
	default:
		f, ok := number(v)
		if !ok {
			if _, known := r.Thresholds[key]; !known {
				return errors.New("unknown key")
			}
			return fmt.Errorf("want a number, not %v", v)
		}
		if r.Thresholds == nil {
			r.Thresholds = map[string]float64{}
		}
		r.Thresholds[key] = f // unknown keys are caught by Validate, against the defaults
	}
	return nil
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func copyMap(m map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Validate checks every rule id, severity and threshold key and value, and the full-time hours;
// each error names the key ("rules.RT_OVER_LIMIT.school_dayz: unknown key").
func (c Config) Validate() error {
	var errs []error
	for _, id := range sortedKeys(c.Rules) {
		rc := c.Rules[id]
		d, known := defaults[id]
		if !known {
			errs = append(errs, fmt.Errorf("rules.%s: unknown rule (want one of %s)", id, strings.Join(IDs(), ", ")))
			continue
		}
		if severityRank(rc.Severity) < 0 {
			errs = append(errs, fmt.Errorf("rules.%s.severity: %q is not one of low, medium, high, critical", id, rc.Severity))
		}
		for _, key := range sortedKeys(rc.Thresholds) {
			v := rc.Thresholds[key]
			if _, ok := d.thresholds[key]; !ok {
				errs = append(errs, fmt.Errorf("rules.%s.%s: unknown key (want %s)", id, key, keyList(d.thresholds)))
				continue
			}
			if err := checkThreshold(key, v); err != nil {
				errs = append(errs, fmt.Errorf("rules.%s.%s: %w", id, key, err))
			}
		}
	}
	for _, year := range sortedKeys(c.FullTimeHours) {
		v := c.FullTimeHours[year]
		if !ncYears[year] {
			errs = append(errs, fmt.Errorf("full_time_hours.%s: unknown NC year (want N1, N2, R, 1 to 14 or unknown)", year))
			continue
		}
		if v <= 0 || v > 60 || math.IsNaN(v) {
			errs = append(errs, fmt.Errorf("full_time_hours.%s: %v must be more than 0 and at most 60", year, v))
		}
	}
	return errors.Join(errs...)
}

// checkThreshold bounds a threshold to values that make sense for its kind.
func checkThreshold(key string, v float64) error {
	switch {
	case math.IsNaN(v) || v < 0:
		return fmt.Errorf("%v must not be negative", v)
	case (key == KeyPercent || key == KeySeverePercent) && v > 100:
		return fmt.Errorf("%v must be at most 100", v)
	case (key == KeySchoolDays || key == KeyDays || key == KeyCount) && v > 366:
		return fmt.Errorf("%v must be at most 366", v)
	case key == KeyHours && v > 60:
		return fmt.Errorf("%v must be at most 60", v)
	case key == KeySessions && v > 1000:
		return fmt.Errorf("%v must be at most 1000", v)
	}
	return nil
}

func keyList(m map[string]float64) string {
	if len(m) == 0 {
		return "only severity and enabled"
	}
	return "severity, enabled or " + strings.Join(sortedKeys(m), ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// rule returns the configuration of one rule, falling back to the default for a rule the config
// does not mention (a Config built by hand may list only some).
func (c Config) rule(id string) RuleConfig {
	if rc, ok := c.Rules[id]; ok {
		return rc
	}
	d := defaults[id]
	return RuleConfig{Severity: d.severity, Thresholds: d.thresholds}
}

// threshold returns a rule's threshold, or its default when the config leaves it out.
func (c Config) threshold(id, key string) float64 {
	if v, ok := c.rule(id).Thresholds[key]; ok {
		return v
	}
	return defaults[id].thresholds[key]
}

// Threshold returns a rule's threshold, or its default when the config leaves it out.
func (c Config) Threshold(id, key string) float64 { return c.threshold(id, key) }

// fullTime returns the full-time hours a week for an NC year, falling back to "unknown".
func (c Config) fullTime(year string) float64 {
	if v, ok := c.FullTimeHours[year]; ok && v > 0 {
		return v
	}
	if v, ok := c.FullTimeHours["unknown"]; ok && v > 0 {
		return v
	}
	return defaultFullTime["unknown"]
}

// Severity ranks, lowest first.
var severities = []string{pme.SeverityLow, pme.SeverityMedium, pme.SeverityHigh, pme.SeverityCritical}

// severityRank returns 0 for low up to 3 for critical, and -1 for an unknown severity.
func severityRank(s string) int {
	for i, v := range severities {
		if v == s {
			return i
		}
	}
	return -1
}

// raise returns the severity one step up; critical stays critical.
func raise(s string) string {
	r := severityRank(s)
	if r < 0 || r+1 >= len(severities) {
		return s
	}
	return severities[r+1]
}
