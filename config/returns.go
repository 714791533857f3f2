package config

import (
	"fmt"
	"strings"
)

// Returns configures who is expected to return what, and when (compliance.md).
type Returns struct {
	LACodes              []string `yaml:"la_codes"`
	TypeGroups           []string `yaml:"type_groups"`
	ExcludeLAESTAB       []string `yaml:"exclude_laestab"`
	Cadence              string   `yaml:"cadence"`
	DueSchoolDay         int      `yaml:"due_school_day"`
	Types                []string `yaml:"types"`
	EscalateAfterMissing int      `yaml:"escalate_after_missing"`
	StaleAfterPeriods    int      `yaml:"stale_after_periods"`
	Template             string   `yaml:"template"` // the council's return template, attached to chase e-mails when set
}

// DefaultReturns is the returns section's defaults; la_codes has none: the council must say.
func DefaultReturns() Returns {
	return Returns{
		TypeGroups:           []string{"Local authority maintained schools", "Academies", "Free Schools", "Special schools"},
		ExcludeLAESTAB:       []string{},
		Cadence:              "monthly",
		DueSchoolDay:         5,
		Types:                []string{"reduced-timetable", "alternative-provision", "suspensions"},
		EscalateAfterMissing: 2,
		StaleAfterPeriods:    2,
	}
}

// ErrNoLACodes says how to set returns.la_codes, which compliance needs.
const ErrNoLACodes = "returns.la_codes is not set: add the council's three-digit LA codes to the configuration file, e.g.\n  returns:\n    la_codes: [891]"

// Configured reports whether compliance can run: la_codes is set.
func (r Returns) Configured() bool { return len(r.LACodes) > 0 }

func (r Returns) validate() []error {
	var errs []error
	for _, la := range r.LACodes {
		if len(la) != 3 || strings.Trim(la, "0123456789") != "" {
			errs = append(errs, fmt.Errorf("returns.la_codes: %q is not a three-digit LA code (e.g. 891)", la))
		}
	}
	for _, la := range r.ExcludeLAESTAB {
		if len(la) != 7 || strings.Trim(la, "0123456789") != "" {
			errs = append(errs, fmt.Errorf("returns.exclude_laestab: %q is not a seven-digit LAESTAB (e.g. 8912345)", la))
		}
	}
	switch r.Cadence {
	case "monthly", "half-termly", "weekly":
	default:
		errs = append(errs, fmt.Errorf("returns.cadence: %q is not monthly, half-termly or weekly", r.Cadence))
	}
	if r.DueSchoolDay < 1 || r.DueSchoolDay > 20 {
		errs = append(errs, fmt.Errorf("returns.due_school_day must be between 1 and 20"))
	}
	if len(r.Types) == 0 {
		errs = append(errs, fmt.Errorf("returns.types must list at least one return type"))
	}
	for _, t := range r.Types {
		switch t {
		case "reduced-timetable", "alternative-provision", "suspensions":
		default:
			errs = append(errs, fmt.Errorf("returns.types: %q is not reduced-timetable, alternative-provision or suspensions", t))
		}
	}
	if len(r.TypeGroups) == 0 {
		errs = append(errs, fmt.Errorf("returns.type_groups must list at least one GIAS establishment type group"))
	}
	if r.EscalateAfterMissing < 1 {
		errs = append(errs, fmt.Errorf("returns.escalate_after_missing must be at least 1"))
	}
	if r.StaleAfterPeriods < 1 {
		errs = append(errs, fmt.Errorf("returns.stale_after_periods must be at least 1"))
	}
	return errs
}
