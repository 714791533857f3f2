package pipeline

import (
	"context"
	"slices"
	"strings"
	"testing"

	"pme"
	"pme/calendar"
)

// A record whose school days are counted from before the loaded calendar is warned about once,
// naming the year assumed and what the council loaded, however many pupils it concerns.
func TestFlagWarnsOfRecordsOutsideTheCalendar(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *Env) {
		ctx := context.Background()
		e.Today = pme.MustDate("2027-10-15") // fixtures then start provision in the summer term before
		ingestFixtures(t, e, 200)
		var terms []pme.Term
		var closures []pme.Closure
		for _, tm := range calendar.Default().Terms() {
			if !tm.Start.Before(pme.MustDate("2027-09-01")) { // the council's calendar: 2027/28 alone
				terms = append(terms, tm)
			}
		}
		for _, c := range calendar.Default().Closures() {
			if !c.Date.Before(pme.MustDate("2027-09-01")) {
				closures = append(closures, c)
			}
		}
		if err := e.Store.ReplaceCalendar(ctx, terms, closures); err != nil {
			t.Fatal(err)
		}
		e.Warn("an earlier warning")
		if _, err := e.Flag(ctx); err != nil {
			t.Fatal(err)
		}
		// Compliance is not configured here: its warning is tested with compliance.
		ws := slices.DeleteFunc(e.Warnings(), func(w string) bool { return w == ComplianceWarning })
		if len(ws) != 2 || ws[0] != "an earlier warning" {
			t.Fatalf("warnings = %q, want the earlier one and one for the calendar", ws)
		}
		if w := ws[1]; !strings.Contains(w, "School days in 2026/27 were assumed") ||
			!strings.Contains(w, "the loaded calendar covers 2027/28") || !strings.Contains(w, "pme load calendar FILE") {
			t.Fatalf("calendar warning = %q", w)
		}
		e.Warn("an earlier warning")
		if _, err := e.Flag(ctx); err != nil {
			t.Fatal(err)
		}
		if again := slices.DeleteFunc(e.Warnings(), func(w string) bool { return w == ComplianceWarning }); len(again) != 2 {
			t.Fatalf("a second flag in the same run: warnings = %q, want each once", again)
		}
	})
}
