package rules

import (
	"fmt"
	"strings"

	"pme"
)

// The alternative provision rules apply the DfE's "Arranging alternative provision: a guide for
// local authorities and schools" (2025) and section 19 of the Education Act 1996: the council must
// arrange suitable full-time education for a child who would otherwise not receive it, and schools
// should use registered, quality-assured providers. The rules look only at active placements
// (rules.md): in the snapshot, and the run date between start and end, both included.

// apBasis is what a placement finding rests on: which placement it is.
func apBasis(a *pme.StoredPlacement) string {
	return a.LAESTAB + " " + a.StartDate.String() + " " + a.ProviderURN + " " + a.ProviderUKPRN + " " + a.ProviderName
}

// provider finds the placement's provider on the approved list, remembering the answer: many
// pupils go to the same few providers.
func (e *evaluator) provider(a *pme.StoredPlacement) (pme.Provider, bool) {
	key := a.ProviderURN + "\x00" + a.ProviderUKPRN + "\x00" + a.ProviderName
	if m, ok := e.providerMemo[key]; ok {
		return m.p, m.ok
	}
	p, ok := e.providers.Find(a.Placement)
	e.providerMemo[key] = providerMatch{p, ok}
	return p, ok
}

type providerMatch struct {
	p  pme.Provider
	ok bool
}

// apUnapprovedProvider (AP_UNAPPROVED_PROVIDER; "Arranging alternative provision", DfE 2025): the
// guidance expects placements with providers the council has quality
// assured. It fires when the provider is not on the approved list, or its approval does not cover
// the run date (lapsed, or not yet begun).
func apUnapprovedProvider(e *evaluator, p *pupilFacts) (finding, bool) {
	for _, a := range p.activeAP {
		prov, ok := e.provider(a)
		var why string
		switch {
		case !ok:
			why = "a provider not on the council's approved list"
		case !prov.ApprovedUntil.IsZero() && prov.ApprovedUntil.Before(e.today):
			why = fmt.Sprintf("whose approval lapsed on %s", prov.ApprovedUntil.UK())
		case !prov.ApprovedOn(e.today):
			why = fmt.Sprintf("whose approval starts on %s", prov.ApprovedFrom.UK())
		default:
			continue
		}
		return finding{
			text:    fmt.Sprintf("placed at %s since %s, %s%s", a.ProviderName, a.StartDate.UK(), why, staleNote(a.Stale, a.Received)),
			basis:   apBasis(a) + " " + why,
			laestab: a.LAESTAB,
		}, true
	}
	return finding{}, false
}

// registration says whether a provider is registered (with Ofsted or the DfE as an independent
// school): the council's approved list decides when it says Y or N, else the school's return.
// Unknown counts as not registered: nobody has shown that it is.
func (e *evaluator) registration(a *pme.StoredPlacement) (registered bool, known bool) {
	if prov, ok := e.provider(a); ok && (prov.Registered == "Y" || prov.Registered == "N") {
		return prov.Registered == "Y", true
	}
	switch a.ProviderRegistered {
	case "Y":
		return true, true
	case "N":
		return false, true
	}
	return false, false
}

// apUnregisteredFullTime (AP_UNREGISTERED_FULL_TIME; "Arranging alternative provision", DfE 2025,
// and the Education and Skills Act 2008 on registering independent schools): a setting that
// educates a pupil full time must be registered as an independent school, and the DfE treats about
// 18 hours a week as full time for that test; placing a pupil at an unregistered provider for more
// hours is a safeguarding and legal risk. Fires over 18 hours at the provider (configurable).
func apUnregisteredFullTime(e *evaluator, p *pupilFacts) (finding, bool) {
	limit := e.cfg.threshold(pme.RuleAPUnregisteredFT, KeyHours)
	for _, a := range p.activeAP {
		if a.HoursAtProvider <= limit {
			continue
		}
		registered, known := e.registration(a)
		if registered {
			continue
		}
		why := "the provider is not registered"
		if !known {
			why = "the provider's registration is not recorded"
		}
		return finding{
			text: fmt.Sprintf("placed at %s for %s hours a week, over %s, though %s%s",
				a.ProviderName, hours(a.HoursAtProvider), hours(limit), why, staleNote(a.Stale, a.Received)),
			basis:   fmt.Sprintf("%s %s %v", apBasis(a), hours(a.HoursAtProvider), known),
			laestab: a.LAESTAB,
		}, true
	}
	return finding{}, false
}

// apHours is a pupil's week across active placements: the hours at each provider, summed, plus
// the hours at school. Every row of a school repeats the pupil's hours at school, so the largest
// is taken rather than the sum.
type apHours struct {
	total, atSchool float64
	parts           []string
	basis           []string
}

func (e *evaluator) apWeek(p *pupilFacts) apHours {
	var w apHours
	for _, a := range p.activeAP {
		w.total += a.HoursAtProvider
		w.parts = append(w.parts, fmt.Sprintf("%s at %s", hours(a.HoursAtProvider), a.ProviderName))
		w.basis = append(w.basis, fmt.Sprintf("%s %s %s", apBasis(a), hours(a.HoursAtProvider), hours(a.HoursAtSchool)))
		if a.HoursAtSchool > w.atSchool {
			w.atSchool = a.HoursAtSchool
		}
	}
	w.total += w.atSchool
	w.parts = append(w.parts, hours(w.atSchool)+" at school")
	return w
}

// apBelowFullTime reports whether the pupil's active placements add up to less than the share of
// full-time hours AP_NOT_FULL_TIME sets (all of them by default).
func (e *evaluator) apBelowFullTime(p *pupilFacts) (apHours, float64, bool) {
	if len(p.activeAP) == 0 {
		return apHours{}, 0, false
	}
	w := e.apWeek(p)
	floor := e.cfg.fullTime(p.pupil.NCYear) * e.cfg.threshold(pme.RuleAPNotFullTime, KeyPercent) / 100
	return w, floor, w.total < floor
}

// apNotFullTime (AP_NOT_FULL_TIME; Education Act 1996 s19 and "Arranging alternative provision",
// DfE 2025): alternative provision should be full time
// unless that is not in the child's interests (then it must be reviewed). Hours at the provider and
// at school together are compared with full-time hours for the pupil's NC year.
func apNotFullTime(e *evaluator, p *pupilFacts) (finding, bool) {
	w, floor, below := e.apBelowFullTime(p)
	if !below {
		return finding{}, false
	}
	year := p.pupil.NCYear
	full := e.cfg.fullTime(year)
	pct := e.cfg.threshold(pme.RuleAPNotFullTime, KeyPercent)
	target := fmt.Sprintf("the %s full-time hours for %s", hours(full), yearLabel(year))
	if pct != 100 {
		target = fmt.Sprintf("%s%% of %s (%s hours)", hours(pct), target, hours(floor))
	}
	first := p.activeAP[0]
	return finding{
		text: fmt.Sprintf("in alternative provision for %s hours a week (%s), below %s%s",
			hours(w.total), strings.Join(w.parts, ", "), target, staleNote(first.Stale, first.Received)),
		basis:   strings.Join(w.basis, "; ") + " " + year,
		laestab: first.LAESTAB,
	}, true
}
