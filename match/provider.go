package match

import (
	"strings"
	"unicode"

	"pme"
)

// legalSuffixes are dropped from the end of a provider's name: the same provider is written with
// and without them.
var legalSuffixes = map[string]bool{"LTD": true, "LIMITED": true, "CIC": true, "TRUST": true}

// NormalizeProviderName reduces a provider's name to the form names are compared in: case,
// accents and punctuation dropped (apostrophes and dots join their word: "St. Mary's" is "ST
// MARYS"; "&" is read as "and"), a leading "The" and trailing Ltd, Limited, CIC or Trust removed,
// words separated by one space. "The Acorn Centre Ltd" and "ACORN CENTRE" are both "ACORN CENTRE".
// A name that is nothing but those words is kept whole.
func NormalizeProviderName(s string) string {
	s = strings.ReplaceAll(s, "&", " and ")
	words := strings.FieldsFunc(s, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || r == '\'' || r == '’' || r == '.')
	})
	out := words[:0]
	for _, w := range words {
		if n := NormalizeName(w); n != "" {
			out = append(out, n)
		}
	}
	trimmed := out
	if len(trimmed) > 1 && trimmed[0] == "THE" {
		trimmed = trimmed[1:]
	}
	for len(trimmed) > 1 && legalSuffixes[trimmed[len(trimmed)-1]] {
		trimmed = trimmed[:len(trimmed)-1]
	}
	return strings.Join(trimmed, " ")
}

// Provider finds a placement's provider on the approved list: by URN or UKPRN first (the
// placement's Provider URN column may hold either), else by normalised name. For many placements
// build a Providers index once instead.
func Provider(p pme.Placement, providers []pme.Provider) (pme.Provider, bool) {
	return NewProviders(providers).Find(p)
}

// Providers is the approved list indexed by URN, UKPRN and normalised name.
type Providers struct {
	list   []pme.Provider
	byID   map[string]int // URN or UKPRN → first provider with it
	byName map[string]int // normalised name → first provider with it
}

// NewProviders indexes the approved list. Where two providers share an identifier or a name, the
// first in the list wins.
func NewProviders(providers []pme.Provider) *Providers {
	ix := &Providers{list: providers, byID: make(map[string]int, 2*len(providers)), byName: make(map[string]int, len(providers))}
	for i, p := range providers {
		for _, id := range []string{strings.TrimSpace(p.URN), strings.TrimSpace(p.UKPRN)} {
			if _, ok := ix.byID[id]; id != "" && !ok {
				ix.byID[id] = i
			}
		}
		if n := NormalizeProviderName(p.Name); n != "" {
			if _, ok := ix.byName[n]; !ok {
				ix.byName[n] = i
			}
		}
	}
	return ix
}

// Find returns the placement's provider: by URN or UKPRN first, else by normalised name.
func (ix *Providers) Find(p pme.Placement) (pme.Provider, bool) {
	for _, id := range []string{strings.TrimSpace(p.ProviderURN), strings.TrimSpace(p.ProviderUKPRN)} {
		if i, ok := ix.byID[id]; id != "" && ok {
			return ix.list[i], true
		}
	}
	if n := NormalizeProviderName(p.ProviderName); n != "" {
		if i, ok := ix.byName[n]; ok {
			return ix.list[i], true
		}
	}
	return pme.Provider{}, false
}
