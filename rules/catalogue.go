package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"pme"
)

// finding is what a rule reports for a pupil: the sentence the practitioner reads, the school it
// concerns, and its basis: the figures the school returned that the finding rests on (dates,
// hours, sessions, a provider), without the counts of school days that grow by themselves.
type finding struct {
	text     string
	basis    string
	laestab  string
	severity string // when set, the severity instead of the rule's configured one
}

// rule is one risk rule: a stable id and a check of one pupil's facts.
type rule struct {
	id   string
	eval func(e *evaluator, p *pupilFacts) (finding, bool)
}

// catalogue lists every rule of rules.md, in the order of the spec's table.
var catalogue = []rule{
	{pme.RuleRTNoEndDate, rtNoEndDate},
	{pme.RuleRTOverLimit, rtOverLimit},
	{pme.RuleRTPastEndDate, rtPastEndDate},
	{pme.RuleRTLowHours, rtLowHours},
	{pme.RuleRTNoParentalAgreement, rtNoParentalAgreement},
	{pme.RuleRTReviewOverdue, rtReviewOverdue},
	{pme.RuleRTBehaviour, rtBehaviour},
	{pme.RuleAPUnapprovedProvider, apUnapprovedProvider},
	{pme.RuleAPUnregisteredFT, apUnregisteredFullTime},
	{pme.RuleAPNotFullTime, apNotFullTime},
	{pme.RuleSuspOver45Days, suspOver45Days},
	{pme.RuleSuspApproaching, suspApproaching},
	{pme.RuleSuspRepeated, suspRepeated},
	{pme.RuleSuspNoSixthDay, suspNoSixthDay},
	{pme.RulePermExclusion, permExclusion},
	{pme.RulePMEOver20Days, pmeOver20Days},
	{pme.RuleMultipleReturns, multipleReturns},
	{pme.RuleMatchAmbiguous, matchAmbiguous},
	{pme.RuleAttC2NotReturned, attC2NotReturned},
	{pme.RuleAttENotReturned, attENotReturned},
	{pme.RuleAttESixthDay, attESixthDay},
	{pme.RuleAttBNoAP, attBNoAP},
	{pme.RuleAttRTNotCoded, attRTNotCoded},
	{pme.RuleAttAbsencePlan, attAbsencePlan},
	{pme.RuleStaleReturn, staleReturn},
}

// fingerprint digests the findings' rules and severities and the figures they rest on, so that a
// case is "changed" when the school's data or the rules that fire change, and stays "open" while
// only the passing days add up (a timetable at 31 school days yesterday and 32 today is the same
// concern, not a new one).
func fingerprint(fs []pme.Finding, basis map[string]string) string {
	lines := make([]string, len(fs))
	for i, f := range fs {
		lines[i] = f.Rule + "\t" + f.Severity + "\t" + f.LAESTAB + "\t" + basis[f.Rule]
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:12])
}

// hours formats a number of hours as schools write it: 12, 23.5.
func hours(h float64) string { return strconv.FormatFloat(h, 'f', -1, 64) }

// sessionDays formats sessions as days: 9 sessions are 4.5 days.
func sessionDays(sessions int) string { return hours(float64(sessions) / 2) }

// yearLabel names an NC year for a sentence: "Year 9", "Reception", "an unknown year".
func yearLabel(nc string) string {
	switch nc {
	case "":
		return "an unknown year"
	case "R":
		return "Reception"
	case "N1":
		return "Nursery 1"
	case "N2":
		return "Nursery 2"
	}
	return "Year " + nc
}

// plural returns "1 school" or "2 schools".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// staleNote names the date the snapshot a row comes from was returned (compliance.md: every
// explanation built on a snapshot does), and says when the row comes from an earlier return
// because the school's latest row for the pupil was rejected.
func staleNote(stale bool, received pme.Date) string {
	switch {
	case !stale && received.IsZero():
		return ""
	case !stale:
		return fmt.Sprintf(" (as returned on %s)", received.UK())
	case received.IsZero():
		return " (from an earlier return: the school's latest row for this pupil was rejected)"
	}
	return fmt.Sprintf(" (as returned on %s: the school's latest row for this pupil was rejected)", received.UK())
}

// staleClause is staleNote inside a parenthesis of its own: ", as returned on 02/11/2026".
func staleClause(stale bool, received pme.Date) string {
	n := staleNote(stale, received)
	if n == "" {
		return ""
	}
	return ", " + n[2:len(n)-1]
}

// dateList lists dates in UK form, at most five and then how many more.
func dateList(ds []pme.Date) string {
	var parts []string
	for i, d := range ds {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(ds)-5))
			break
		}
		parts = append(parts, d.UK())
	}
	return strings.Join(parts, ", ")
}
