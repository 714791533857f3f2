package ingest

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"strings"

	"pme"
)

// exclusionReasonsCSV is the DfE census list of suspension and exclusion reason codes (code,
// status): kept as data so that a new census year is an edit of one file, not of code.
//
//go:embed data/exclusion-reasons.csv
var exclusionReasonsCSV []byte

// ExclusionReason is the status of one DfE reason code.
type ExclusionReason struct {
	Code      string
	Withdrawn bool // accepted with a CODE_LEGACY warning (OT, withdrawn in 2020)
}

// exclusionReasons maps each code to its status; exclusionCodes lists the current codes in file
// order for messages.
var exclusionReasons, exclusionCodes = mustLoadExclusionReasons(exclusionReasonsCSV)

func mustLoadExclusionReasons(b []byte) (map[string]ExclusionReason, string) {
	m, list, err := loadExclusionReasons(b)
	if err != nil {
		panic(err) // the file is embedded: a broken one is a build mistake caught by any test
	}
	return m, list
}

func loadExclusionReasons(b []byte) (map[string]ExclusionReason, string, error) {
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		return nil, "", fmt.Errorf("load exclusion reasons: %w", err)
	}
	if len(rows) < 2 || len(rows[0]) != 2 || rows[0][0] != "code" || rows[0][1] != "status" {
		return nil, "", fmt.Errorf("load exclusion reasons: want header code,status")
	}
	m := make(map[string]ExclusionReason, len(rows))
	var current []string
	for _, r := range rows[1:] {
		code := strings.TrimSpace(r[0])
		switch r[1] {
		case "current":
			current = append(current, code)
		case "withdrawn":
		default:
			return nil, "", fmt.Errorf("load exclusion reasons: %s: status %q, want current or withdrawn", code, r[1])
		}
		m[code] = ExclusionReason{Code: code, Withdrawn: r[1] == "withdrawn"}
	}
	return m, strings.Join(current, ", "), nil
}

// LookupExclusionReason returns the status of a DfE reason code (upper-cased, trimmed).
func LookupExclusionReason(code string) (ExclusionReason, bool) {
	r, ok := exclusionReasons[strings.ToUpper(strings.TrimSpace(code))]
	return r, ok
}

// CodeTable maps the ways a school writes a coded value (the code itself, its description and
// common variants, compared by codeKey) to the code.
type CodeTable struct {
	codes []string          // the codes, in the spec's order, for messages
	byKey map[string]string // codeKey(spelling) → code
}

func newCodeTable(entries [][]string) CodeTable {
	t := CodeTable{byKey: map[string]string{}}
	for _, e := range entries {
		t.codes = append(t.codes, e[0])
		for _, s := range e {
			t.byKey[codeKey(s)] = e[0]
		}
	}
	return t
}

// Lookup returns the code a cell names: the code itself, or a description or variant of it.
func (t CodeTable) Lookup(s string) (string, bool) {
	if c, ok := t.byKey[s]; ok { // the code itself, as most rows write it
		return c, true
	}
	c, ok := t.byKey[codeKey(s)]
	return c, ok
}

// List is the codes for a message: "MED, SEMH, REINT".
func (t CodeTable) List() string { return strings.Join(t.codes, ", ") }

// codeKey keeps only letters and digits, upper-cased: "Social, emotional, mental health" and
// "SOCIAL EMOTIONAL MENTAL HEALTH" meet; so do "Fixed-term" and "FIXED TERM".
func codeKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToUpper(s) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TimetableReasons are the reduced timetable reason codes, with their descriptions accepted.
var TimetableReasons = newCodeTable([][]string{
	{"MED", "Medical", "Health", "Medical/health", "Medical or health", "Medical needs"},
	{"SEMH", "Social, emotional and mental health", "Social, emotional & mental health", "Social emotional mental health", "Mental health"},
	{"REINT", "Reintegration", "Reintegration after absence or exclusion", "Reintegration after absence", "Reintegration after exclusion"},
	{"TRANS", "Transition", "Transition or new arrival", "New arrival", "Transition/new arrival"},
	{"BEH", "Behaviour", "Behavior"},
	{"OTH", "Other"},
})

// PlacementReasons are the alternative provision reason codes, with their descriptions accepted.
var PlacementReasons = newCodeTable([][]string{
	{"BEH", "Behaviour", "Behavior"},
	{"SEMH", "Social, emotional and mental health", "Social, emotional & mental health", "Social emotional mental health", "Mental health"},
	{"MED", "Medical", "Health", "Medical/health"},
	{"SEN", "Special educational needs", "SEND"},
	{"VOC", "Vocational", "Enrichment", "Vocational/enrichment", "Vocational or enrichment"},
	{"OTH", "Other"},
})

// Categories are the suspension categories with the spellings schools use for them.
var Categories = newCodeTable([][]string{
	{pme.CategorySuspension, "FIXD", "Fixed Term", "Fixed Period", "Suspension", "Fixed term exclusion", "Fixed period exclusion", "Fixed"},
	{pme.CategoryPermanent, "Permanent", "Permanent exclusion", "PEX"},
	{pme.CategoryLunchtime, "Lunchtime", "Lunchtime exclusion", "Lunch"},
})
