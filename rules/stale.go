package rules

import (
	"fmt"

	"pme"
)

// staleReturn (STALE_RETURN; compliance.md, and "Children missing education", DfE 2024, on
// knowing where children are): the pupil's active reduced timetable or AP placement comes from a
// snapshot after which the school has missed its return for returns.stale_after_periods periods
// or more. The list may no longer be true; the child is not closed (only a nil return or a new
// snapshot closes it), but the practitioner should know the data is old.
func staleReturn(e *evaluator, p *pupilFacts) (finding, bool) {
	if e.missed == nil {
		return finding{}, false
	}
	limit := int(e.cfg.threshold(pme.RuleStaleReturn, KeyPeriods))
	for _, t := range p.activeRT {
		if n := e.missed(t.LAESTAB, pme.ReducedTimetable, t.Received); n >= limit {
			return finding{
				text:    fmt.Sprintf("Reduced timetable as last returned by the school on %s; no return since (%s missed)", t.Received.UK(), plural(n, "period")),
				basis:   rtBasis(t) + " " + t.Received.String(),
				laestab: t.LAESTAB,
			}, true
		}
	}
	for _, a := range p.activeAP {
		if n := e.missed(a.LAESTAB, pme.AlternativeProvision, a.Received); n >= limit {
			return finding{
				text:    fmt.Sprintf("Alternative provision at %s as last returned by the school on %s; no return since (%s missed)", a.ProviderName, a.Received.UK(), plural(n, "period")),
				basis:   apBasis(a) + " " + a.Received.String(),
				laestab: a.LAESTAB,
			}, true
		}
	}
	return finding{}, false
}
