package match

import (
	"fmt"
	"strings"

	"pme"
)

// Notes on ambiguous matches: why a person must check. They name no one: the case report shows
// the pupil and the social care child id beside them.
const (
	noteSurnameDOB  = "surname and date of birth match but the forename differs"
	noteTwoPupils   = "name and date of birth match %d pupils"
	noteUPNsDiffer  = "name and date of birth match but the UPNs differ"
	noteManyUPNs    = "the child's social care records carry the UPNs of %d different pupils"
	noteTwoChildren = "%d social care records match this pupil by name and date of birth"
)

// Plans matches pupils to social care plans (reference-data.md). A plan's child is matched by UPN
// first, exactly, a pupil's former (temporary) UPNs included. Otherwise by normalised surname,
// forename and date of birth. These are recorded with Method pme.MatchAmbiguous and a Note, for a
// person to check, and are never used: a match on surname and date of birth only; a name and date
// of birth that fit two pupils, or a pupil whose UPN differs from the one social care holds; a
// child whose records carry the UPNs of two pupils; two social care children matching one pupil by
// name and date of birth. Plans sharing a Child ID are one child: all of them match (the history),
// and the caller decides which is open. A child matched exactly is not also offered to pupils
// matching on surname and date of birth only. The result lists children in order of first
// appearance, each child's plans in file order; it takes time
// linear in the number of pupils and plans.
func Plans(pupils []pme.StoredPupil, plans []pme.Plan) []pme.PlanMatch {
	ix := indexPupils(pupils)
	children := groupChildren(plans)
	decided := make([]childMatch, len(children))
	byNamePupil := map[int][]int{} // pupil → children that matched it by name and date of birth
	exactPupil := map[int]int{}    // pupil → children that matched it exactly (UPN or name)
	for ci, ch := range children {
		decided[ci] = ix.matchChild(plans, ch)
		if m := decided[ci]; m.method == pme.MatchNameDOB || m.method == pme.MatchUPN {
			for _, p := range m.pupils {
				exactPupil[p]++
				if m.method == pme.MatchNameDOB {
					byNamePupil[p] = append(byNamePupil[p], ci)
				}
			}
		}
	}
	for p, cis := range byNamePupil {
		if exactPupil[p] < 2 {
			continue
		}
		for _, ci := range cis {
			decided[ci] = childMatch{pupils: []int{p}, method: pme.MatchAmbiguous,
				note: fmt.Sprintf(noteTwoChildren, exactPupil[p])}
		}
	}
	var out []pme.PlanMatch
	for ci, ch := range children {
		m := decided[ci]
		for _, pi := range ch {
			for _, p := range m.pupils {
				out = append(out, pme.PlanMatch{PupilID: pupils[p].ID, Method: m.method, Plan: plans[pi], Note: m.note})
			}
		}
	}
	return out
}

// Candidates returns a test for the pupils that could match one of the plans at all: those holding
// a plan's UPN (as their own or a former one) and those born on a plan's date of birth, which
// every match by name needs. Plans over the candidates alone gives what it gives over every pupil,
// so a caller can stream the pupils and keep only these.
func Candidates(plans []pme.Plan) func(pme.StoredPupil) bool {
	upns := make(map[string]bool, len(plans))
	dobs := make(map[pme.Date]bool, len(plans))
	for _, p := range plans {
		if u := normUPN(p.UPN); u != "" {
			upns[u] = true
		}
		if !p.DOB.IsZero() {
			dobs[p.DOB] = true
		}
	}
	return func(p pme.StoredPupil) bool {
		if dobs[p.DOB] && !p.DOB.IsZero() || upns[normUPN(p.UPN)] {
			return true
		}
		for _, f := range p.FormerUPNs {
			if upns[normUPN(f)] {
				return true
			}
		}
		return false
	}
}

// childMatch is how one social care child matched: the pupils (indexes) and the method.
type childMatch struct {
	pupils []int
	method string
	note   string
}

type pupilIndex struct {
	pupils     []pme.StoredPupil
	byUPN      map[string]int
	byName     map[string][]int // surname, forename, dob
	bySurname  map[string][]int // surname, dob
	normalised []string         // each pupil's UPN, upper-cased
}

func indexPupils(pupils []pme.StoredPupil) *pupilIndex {
	ix := &pupilIndex{pupils: pupils, byUPN: make(map[string]int, len(pupils)),
		byName: make(map[string][]int, len(pupils)), bySurname: make(map[string][]int, len(pupils))}
	for i, p := range pupils {
		if u := normUPN(p.UPN); u != "" {
			ix.byUPN[u] = i
		}
		for _, f := range p.FormerUPNs {
			if u := normUPN(f); u != "" {
				if _, taken := ix.byUPN[u]; !taken {
					ix.byUPN[u] = i
				}
			}
		}
		if p.DOB.IsZero() {
			continue
		}
		sur := surnameKey(p.Surname, p.DOB)
		ix.byName[nameKey(sur, p.Forename)] = append(ix.byName[nameKey(sur, p.Forename)], i)
		ix.bySurname[sur] = append(ix.bySurname[sur], i)
	}
	return ix
}

func normUPN(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

func surnameKey(surname string, dob pme.Date) string {
	return NormalizeName(surname) + "\x00" + dob.String()
}

func nameKey(sur, forename string) string { return sur + "\x00" + NormalizeName(forename) }

// groupChildren groups plan indexes by Child ID, in order of first appearance; a plan without a
// Child ID is a child of its own.
func groupChildren(plans []pme.Plan) [][]int {
	pos := map[string]int{}
	var out [][]int
	for i, p := range plans {
		id := strings.TrimSpace(p.ChildID)
		if id == "" {
			out = append(out, []int{i})
			continue
		}
		if j, ok := pos[id]; ok {
			out[j] = append(out[j], i)
			continue
		}
		pos[id] = len(out)
		out = append(out, []int{i})
	}
	return out
}

// matchChild matches one child (the indexes of its plans).
func (ix *pupilIndex) matchChild(plans []pme.Plan, child []int) childMatch {
	byUPN := set{}
	upns := map[string]bool{}
	for _, pi := range child {
		u := normUPN(plans[pi].UPN)
		if u == "" {
			continue
		}
		upns[u] = true
		if p, ok := ix.byUPN[u]; ok {
			byUPN.add(p)
		}
	}
	switch len(byUPN.list) {
	case 0:
	case 1:
		return childMatch{pupils: byUPN.list, method: pme.MatchUPN}
	default:
		return childMatch{pupils: byUPN.list, method: pme.MatchAmbiguous, note: fmt.Sprintf(noteManyUPNs, len(byUPN.list))}
	}
	byName, bySurname := set{}, set{}
	for _, pi := range child {
		p := plans[pi]
		if p.DOB.IsZero() {
			continue
		}
		sur := surnameKey(p.Surname, p.DOB)
		for _, c := range ix.byName[nameKey(sur, p.Forename)] {
			byName.add(c)
		}
		for _, c := range ix.bySurname[sur] {
			bySurname.add(c)
		}
	}
	switch {
	case len(byName.list) > 1:
		return childMatch{pupils: byName.list, method: pme.MatchAmbiguous, note: fmt.Sprintf(noteTwoPupils, len(byName.list))}
	case len(byName.list) == 1:
		if len(upns) > 0 && !ix.hasUPN(byName.list[0], upns) {
			return childMatch{pupils: byName.list, method: pme.MatchAmbiguous, note: noteUPNsDiffer}
		}
		return childMatch{pupils: byName.list, method: pme.MatchNameDOB}
	case len(bySurname.list) > 0:
		return childMatch{pupils: bySurname.list, method: pme.MatchAmbiguous, note: noteSurnameDOB}
	}
	return childMatch{}
}

// hasUPN reports whether the pupil's UPN (or a former one) is among upns. A pupil the school
// returned without a usable UPN does not conflict.
func (ix *pupilIndex) hasUPN(p int, upns map[string]bool) bool {
	pu := ix.pupils[p]
	if normUPN(pu.UPN) == "" || upns[normUPN(pu.UPN)] {
		return true
	}
	for _, f := range pu.FormerUPNs {
		if upns[normUPN(f)] {
			return true
		}
	}
	return false
}

// set is a small insertion-ordered set of pupil indexes.
type set struct {
	seen map[int]bool
	list []int
}

func (s *set) add(i int) {
	if s.seen == nil {
		s.seen = map[int]bool{}
	}
	if !s.seen[i] {
		s.seen[i] = true
		s.list = append(s.list, i)
	}
}
