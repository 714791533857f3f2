package reports

import (
	"fmt"
	"sort"
	"strings"

	"pme"
)

// Which letters are due: one per provision episode of a pupil on an open CP or CIN plan.

// LetterCandidate is one active reduced timetable or AP placement of a pupil with a letter due
// (rules.md: an open CP or CIN plan), with what the letter needs about the school. The command
// gathers these from the store; PlanLetters decides.
type LetterCandidate struct {
	Pupil     pme.Pupil
	Plan      pme.Plan     // the open CP or CIN plan
	LAESTAB   string       // the school that returned the provision
	School    *pme.School  // nil when the school is not in the schools list
	Contact   *pme.Contact // nil when the school has no row in the contacts list
	Timetable *pme.Timetable
	Placement *pme.Placement
	Provider  *pme.Provider // the placement's provider on the approved list; nil when not on it
	// Register, when set, says the timetable is not returned but read from the attendance
	// register (attendance.md): the sessions coded C2, from and to.
	Register string
}

// LetterRun is the input of PlanLetters.
type LetterRun struct {
	Today      pme.Date
	ReplyBy    pme.Date // from the school calendar (ReplyBy); zero: counted over weekdays
	Config     LetterConfig
	Candidates []LetterCandidate
	Issued     []pme.Letter // every letter in the ledger (store.Letters from the zero date)
}

// NotProduced is a letter that is due but cannot be made, and why. It is made on a later run once
// what is missing has been loaded.
type NotProduced struct {
	UPN          string   `json:"upn"`
	LAESTAB      string   `json:"laestab"`
	Reason       string   `json:"reason"`
	Date         pme.Date `json:"-"`
	Pupil        string   `json:"-"` // names stay out of --json summaries and logs
	School       string   `json:"-"`
	Headteacher  string   `json:"-"` // as far as known: the manifest shows what is there and what is not
	Chair        string   `json:"-"`
	SocialWorker string   `json:"-"`
	Trigger      string   `json:"-"`
	EpisodeKey   string   `json:"-"`
}

// NotProducedFor lists a planned letter that could not be printed (a *MissingGlyphError: the font
// lacks a character of a name) as not produced, with the error as the reason.
func NotProducedFor(l pme.Letter, err error) NotProduced {
	d := l.Data
	return NotProduced{UPN: l.UPN, LAESTAB: l.LAESTAB, Reason: err.Error(), Date: l.Date, Pupil: d.Pupil.Name,
		School: d.School.Name, Headteacher: d.Headteacher, Chair: d.Chair, SocialWorker: d.Plan.SocialWorker,
		Trigger: l.Trigger, EpisodeKey: l.EpisodeKey}
}

// LetterPlan is what PlanLetters decided.
type LetterPlan struct {
	Due         []pme.Letter // to print (MakeLetter), write and record; ID, episode, trigger and Data set
	NotProduced []NotProduced
	AlreadySent int // episodes whose letter is in the ledger: nothing to do
}

// PlanLetters decides which letters are due: one per provision episode not yet in the ledger,
// worded from the candidates, or listed as not produced with what is missing. It is pure: the same
// input gives the same plan, in the same order (by school, then pupil). Candidates that are not on
// an open CP or CIN plan on Today are ignored (the rules decide letter_due; this is a guard).
func PlanLetters(run LetterRun) LetterPlan {
	replyBy := run.ReplyBy
	if replyBy.IsZero() {
		replyBy = ReplyBy(run.Today, run.Config.replyDays(), nil)
	}
	issued := make(map[string]bool, len(run.Issued))
	// The letters already sent about each pupil's provision (school and kind), in ledger order:
	// letterTrigger looks only at those, not at the whole ledger for every letter due.
	type provision struct {
		upn, laestab string
		kind         pme.ReturnType
	}
	sent := map[provision][]pme.Letter{}
	for _, l := range run.Issued {
		issued[l.EpisodeKey] = true
		p := provision{l.Episode.UPN, l.Episode.LAESTAB, l.Episode.Kind}
		sent[p] = append(sent[p], l)
	}
	var plan LetterPlan
	seen := map[string]bool{}
	for _, c := range run.Candidates {
		ep, ok := candidateEpisode(c)
		if !ok || !letterPlanDue(c.Plan, run.Today) {
			continue
		}
		key := ep.Key()
		if seen[key] {
			continue
		}
		seen[key] = true
		if issued[key] {
			plan.AlreadySent++
			continue
		}
		trigger := letterTrigger(ep, sent[provision{ep.UPN, ep.LAESTAB, ep.Kind}])
		data, missing := buildLetterData(c, run.Config, run.Today, replyBy)
		if len(missing) > 0 {
			plan.NotProduced = append(plan.NotProduced, NotProduced{
				UPN: c.Pupil.UPN, LAESTAB: c.LAESTAB, Reason: missingReason(c.LAESTAB, missing),
				Date: run.Today, Pupil: data.Pupil.Name, School: data.School.Name,
				Headteacher: data.Headteacher, Chair: data.Chair, SocialWorker: c.Plan.SocialWorker, Trigger: trigger, EpisodeKey: key,
			})
			continue
		}
		id := pme.LetterID(key)
		data.ID = id
		data.Trigger = trigger
		plan.Due = append(plan.Due, pme.Letter{
			ID: id, EpisodeKey: key, Episode: ep, UPN: c.Pupil.UPN, LAESTAB: c.LAESTAB,
			Date: run.Today, Trigger: trigger, Data: data,
		})
	}
	sort.SliceStable(plan.Due, func(i, j int) bool {
		a, b := plan.Due[i], plan.Due[j]
		return letterOrder(a.LAESTAB, a.Data.Pupil.Surname, a.Data.Pupil.Forename, a.ID) <
			letterOrder(b.LAESTAB, b.Data.Pupil.Surname, b.Data.Pupil.Forename, b.ID)
	})
	sort.SliceStable(plan.NotProduced, func(i, j int) bool {
		a, b := plan.NotProduced[i], plan.NotProduced[j]
		return letterOrder(a.LAESTAB, a.Pupil, a.UPN, a.EpisodeKey) < letterOrder(b.LAESTAB, b.Pupil, b.UPN, b.EpisodeKey)
	})
	return plan
}

func letterOrder(parts ...string) string { return strings.Join(parts, "\x00") }

func letterPlanDue(p pme.Plan, today pme.Date) bool {
	return (p.PlanType == pme.PlanCP || p.PlanType == pme.PlanCIN) && p.OpenOn(today)
}

// candidateEpisode returns the episode of a candidate's provision; false when it has none.
func candidateEpisode(c LetterCandidate) (pme.Episode, bool) {
	ep := pme.Episode{UPN: c.Pupil.UPN, LAESTAB: c.LAESTAB}
	switch {
	case c.Timetable != nil:
		t := c.Timetable
		ep.Kind, ep.Start, ep.End, ep.Hours = pme.ReducedTimetable, t.StartDate, t.PlannedEndDate, t.HoursPerWeek
	case c.Placement != nil:
		p := c.Placement
		ep.Kind, ep.Start, ep.End, ep.Hours = pme.AlternativeProvision, p.StartDate, p.EndDate, p.HoursAtProvider
		ep.HoursAtSchool, ep.Provider = p.HoursAtSchool, p.ProviderName
	default:
		return ep, false
	}
	return ep, true
}

// letterTrigger says why the letter is due: a new provision, or what changed since the latest
// letter about the same pupil's provision of the same kind at the same school.
func letterTrigger(ep pme.Episode, issued []pme.Letter) string {
	var last *pme.Letter
	for i := range issued {
		l := &issued[i]
		if l.Episode.UPN != ep.UPN || l.Episode.LAESTAB != ep.LAESTAB || l.Episode.Kind != ep.Kind {
			continue
		}
		if last == nil || l.Date.After(last.Date) || (l.Date.Equal(last.Date) && l.Created.After(last.Created)) {
			last = l
		}
	}
	kind := "reduced timetable"
	if ep.Kind == pme.AlternativeProvision {
		kind = "AP placement"
	}
	if last == nil {
		return "new " + kind
	}
	prev := last.Episode
	var changes []string
	change := func(what, was, now string) {
		if was != now {
			changes = append(changes, fmt.Sprintf("%s %s → %s", what, orNone(was), orNone(now)))
		}
	}
	endName := "planned end"
	if ep.Kind == pme.AlternativeProvision {
		endName = "end date"
		change("provider", prev.Provider, ep.Provider)
	}
	change("start", prev.Start.UK(), ep.Start.UK())
	change(endName, prev.End.UK(), ep.End.UK())
	change("hours", formatHours(prev.Hours), formatHours(ep.Hours))
	if ep.Kind == pme.AlternativeProvision {
		change("hours at school", formatHours(prev.HoursAtSchool), formatHours(ep.HoursAtSchool))
	}
	if len(changes) == 0 { // only the provider's spelling or rounding moved the key
		return kind + " changed since " + last.ID
	}
	return kind + " changed since " + last.ID + ": " + strings.Join(changes, "; ")
}

// What a letter can be missing, and what to load to supply it.
const (
	missSchool      = "school"
	missHeadteacher = "headteacher"
	missChair       = "chair"
	missAddress     = "address"
)

// missingReason words what is missing for the manifest and the report, with what to do.
func missingReason(laestab string, missing []string) string {
	var what []string
	loads := map[string]bool{}
	for _, m := range missing {
		switch m {
		case missSchool:
			what = append(what, "school "+laestab+" is not in the schools list")
			loads["schools"] = true
		case missHeadteacher:
			what = append(what, "no headteacher's name in the schools list for "+laestab)
			loads["schools"] = true
		case missChair:
			what = append(what, "no chair of governors in the contacts list for "+laestab)
			loads["contacts"] = true
		case missAddress:
			what = append(what, "no address for "+laestab+" (no correspondence address in the contacts list, and no street and postcode in the schools list)")
			loads["contacts"] = true
		}
	}
	var todo []string
	for _, k := range []string{"schools", "contacts"} {
		if loads[k] {
			todo = append(todo, fmt.Sprintf("%s (pme load %s FILE)", k, k))
		}
	}
	return strings.Join(what, "; ") + " — load " + strings.Join(todo, " and ") + " and run pme letters again"
}
