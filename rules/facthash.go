package rules

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"slices"

	"pme"
)

// PupilHashes returns, for each pupil the facts mention, a hash of everything the rules read about
// that pupil: the pupil's row and former UPNs, timetables, placements, suspensions, social care
// matches, return types and attendance, every field of each, and the name and latest
// reduced-timetable return of every school those name. Evaluate's result for a pupil depends on
// these and on what is the same for every pupil (the date, the configuration, the calendar and the
// attendance windows it gives, the providers): with those unchanged, a pupil whose hash is
// unchanged gets the same result, so a rerun can leave the pupil's case alone.
// TestPupilHashesCoverEveryField checks that a change to any field of the fact types changes the
// hash.
func PupilHashes(f Facts) map[int64]int64 {
	by := index(f)
	out := make(map[int64]int64, len(by))
	var b []byte
	for id, p := range by {
		b = appendPupilFacts(b[:0], p)
		b = appendSchools(b, p, f.SchoolNames, f.TimetableReturns)
		sum := sha256.Sum256(b)
		out[id] = int64(binary.LittleEndian.Uint64(sum[:8]))
	}
	return out
}

// Only returns the facts of the pupils keep accepts (the providers are kept whole).
func (f Facts) Only(keep func(pupilID int64) bool) Facts {
	out := Facts{Providers: f.Providers, ReturnTypes: map[int64][]pme.ReturnType{}}
	out.Pupils = filter(f.Pupils, func(p *pme.StoredPupil) bool { return keep(p.ID) })
	out.Timetables = filter(f.Timetables, func(t *pme.StoredTimetable) bool { return keep(t.PupilID) })
	out.Placements = filter(f.Placements, func(p *pme.StoredPlacement) bool { return keep(p.PupilID) })
	out.Suspensions = filter(f.Suspensions, func(s *pme.StoredSuspension) bool { return keep(s.PupilID) })
	out.Matches = filter(f.Matches, func(m *pme.PlanMatch) bool { return keep(m.PupilID) })
	out.Attendance = filter(f.Attendance, func(a *pme.AttendanceFact) bool { return keep(a.PupilID) })
	out.Windows, out.SchoolNames, out.TimetableReturns = f.Windows, f.SchoolNames, f.TimetableReturns
	for id, types := range f.ReturnTypes {
		if keep(id) {
			out.ReturnTypes[id] = types
		}
	}
	return out
}

func filter[T any](in []T, keep func(*T) bool) []T {
	var out []T
	for i := range in {
		if keep(&in[i]) {
			out = append(out, in[i])
		}
	}
	return out
}

// appendPupilFacts appends one pupil's facts, every field length-prefixed or fixed-size, so that
// no two different sets of facts append the same bytes. Each kind starts with its count.
func appendPupilFacts(b []byte, p *pupilFacts) []byte {
	b = appendInt(b, p.id)
	b = appendPupil(b, &p.pupil)
	b = appendInt(b, int64(len(p.timetables)))
	for _, t := range p.timetables {
		b = appendTimetable(b, t)
	}
	b = appendInt(b, int64(len(p.placements)))
	for _, pl := range p.placements {
		b = appendPlacement(b, pl)
	}
	b = appendInt(b, int64(len(p.suspensions)))
	for _, s := range p.suspensions {
		b = appendSuspension(b, s)
	}
	b = appendInt(b, int64(len(p.matches)))
	for _, m := range p.matches {
		b = appendMatch(b, m)
	}
	b = appendInt(b, int64(len(p.returnTypes)))
	for _, t := range p.returnTypes {
		b = appendString(b, string(t))
	}
	b = appendInt(b, int64(len(p.attendance)))
	for _, a := range p.attendance {
		b = appendAttendance(b, a)
	}
	return b
}

// appendSchools appends the name and latest reduced-timetable return of each school the pupil's
// facts name, in order: the attendance rules' sentences and checks read them.
func appendSchools(b []byte, p *pupilFacts, names map[string]string, rt map[string]pme.Date) []byte {
	var las []string
	for _, t := range p.timetables {
		las = append(las, t.LAESTAB)
	}
	for _, pl := range p.placements {
		las = append(las, pl.LAESTAB)
	}
	for _, s := range p.suspensions {
		las = append(las, s.LAESTAB)
	}
	for _, a := range p.attendance {
		las = append(las, a.LAESTAB)
	}
	slices.Sort(las)
	for _, la := range slices.Compact(las) {
		b = appendString(b, la)
		b = appendString(b, names[la])
		b = appendDate(b, rt[la])
	}
	return b
}

func appendAttendance(b []byte, a *pme.AttendanceFact) []byte {
	b = appendInt(b, a.PupilID)
	b = appendString(b, a.LAESTAB)
	for _, n := range []int{a.Possible, a.Present, a.RecentDays, a.RecentC2, a.RecentB, a.YearC2} {
		b = appendInt(b, int64(n))
	}
	for _, d := range []pme.Date{a.LastMark, a.C2From, a.C2To, a.BFrom, a.BTo, a.YearC2From, a.YearC2To} {
		b = appendDate(b, d)
	}
	b = appendString(b, a.EText)
	b = appendInt(b, int64(len(a.EDays)))
	for _, d := range a.EDays {
		b = appendDate(b, d.Date)
		b = appendInt(b, int64(d.Sessions))
	}
	return b
}

func appendPupil(b []byte, p *pme.StoredPupil) []byte {
	b = appendInt(b, p.ID)
	b = appendString(b, p.UPN)
	b = appendString(b, p.Surname)
	b = appendString(b, p.Forename)
	b = appendDate(b, p.DOB)
	b = appendString(b, p.Gender)
	b = appendString(b, p.NCYear)
	b = appendString(b, p.SEN)
	b = appendInt(b, int64(len(p.FormerUPNs)))
	for _, u := range p.FormerUPNs {
		b = appendString(b, u)
	}
	return b
}

func appendTimetable(b []byte, t *pme.StoredTimetable) []byte {
	b = appendInt(b, t.ID)
	b = appendInt(b, t.PupilID)
	b = appendString(b, t.LAESTAB)
	b = appendBool(b, t.Stale)
	b = appendDate(b, t.Received)
	b = appendDate(b, t.StartDate)
	b = appendDate(b, t.PlannedEndDate)
	b = appendDate(b, t.ActualEndDate)
	b = appendFloat(b, t.HoursPerWeek)
	b = appendString(b, t.Reason)
	b = appendString(b, t.ParentalAgreement)
	return appendDate(b, t.ReviewDate)
}

func appendPlacement(b []byte, p *pme.StoredPlacement) []byte {
	b = appendInt(b, p.ID)
	b = appendInt(b, p.PupilID)
	b = appendString(b, p.LAESTAB)
	b = appendBool(b, p.Stale)
	b = appendDate(b, p.Received)
	b = appendString(b, p.ProviderName)
	b = appendString(b, p.ProviderURN)
	b = appendString(b, p.ProviderUKPRN)
	b = appendString(b, p.ProviderRegistered)
	b = appendDate(b, p.StartDate)
	b = appendDate(b, p.EndDate)
	b = appendFloat(b, p.HoursAtProvider)
	b = appendFloat(b, p.HoursAtSchool)
	return appendString(b, p.Reason)
}

func appendSuspension(b []byte, s *pme.StoredSuspension) []byte {
	b = appendInt(b, s.ID)
	b = appendInt(b, s.PupilID)
	b = appendString(b, s.LAESTAB)
	b = appendDate(b, s.Received)
	b = appendString(b, s.Category)
	b = appendDate(b, s.StartDate)
	b = appendInt(b, int64(s.Sessions))
	b = appendString(b, s.Reason)
	b = appendString(b, s.Reason2)
	b = appendString(b, s.Reason3)
	return appendString(b, s.SixthDayProvision)
}

func appendMatch(b []byte, m *pme.PlanMatch) []byte {
	b = appendInt(b, m.PupilID)
	b = appendString(b, m.Method)
	b = appendString(b, m.Note)
	pl := &m.Plan
	for _, s := range []string{pl.ChildID, pl.UPN, pl.Surname, pl.Forename, pl.PlanType, pl.SocialWorker,
		pl.SocialWorkerEmail, pl.Team} {
		b = appendString(b, s)
	}
	b = appendDate(b, pl.DOB)
	b = appendDate(b, pl.StartDate)
	return appendDate(b, pl.EndDate)
}

func appendInt(b []byte, n int64) []byte { return binary.LittleEndian.AppendUint64(b, uint64(n)) }

func appendFloat(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendDate appends the day (midnight UTC) as seconds, with a marker for no date.
func appendDate(b []byte, d pme.Date) []byte {
	if d.IsZero() {
		return append(b, 0)
	}
	return appendInt(append(b, 1), d.Time().Unix())
}

// SharedHash hashes facts a pupil's hash (PupilHashes) takes from what is read for all pupils at
// once: the school names, the social care matches and the attendance facts, each whole and in
// order (matches and attendance by pupil). The same hash as a run before means that no pupil's
// share of them changed since: a rerun then needs to compare only the pupils whose own rows, or
// whose schools' reduced-timetable returns, changed (store.FlagRun.ChangedSince). A new pupil can
// change another's matches (a plan matched twice is ambiguous): the matches are hashed whole.
func SharedHash(names map[string]string, matches []pme.PlanMatch, att []pme.AttendanceFact) int64 {
	h := sha256.New()
	var b []byte
	las := make([]string, 0, len(names))
	for la := range names {
		las = append(las, la)
	}
	slices.Sort(las)
	b = appendInt(b, int64(len(las)))
	for _, la := range las {
		b = appendString(b, la)
		b = appendString(b, names[la])
	}
	b = appendInt(b, int64(len(matches)))
	for i := range matches {
		b = appendMatch(b, &matches[i])
		if len(b) > 1<<16 {
			h.Write(b)
			b = b[:0]
		}
	}
	b = appendInt(b, int64(len(att)))
	for i := range att {
		b = appendAttendance(b, &att[i])
		if len(b) > 1<<16 {
			h.Write(b)
			b = b[:0]
		}
	}
	h.Write(b)
	sum := h.Sum(nil)
	return int64(binary.LittleEndian.Uint64(sum[:8]))
}
