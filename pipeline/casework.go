package pipeline

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"pme"
	"pme/casework"
	"pme/match"
	"pme/store"
)

// The casework service (casework.md): one set of operations that the CLI and the web application
// both call. Every write takes the acting person, is checked in full before anything is written,
// is written in one transaction with its audit entry, and is logged with ids and counts only:
// never a child's name or UPN, never the free text of a note, action or reason.

// ErrNoActor is returned by a casework write with no acting person.
var ErrNoActor = UsageError{"this records who did it: give --as NAME (or set PME_USER) with your name or e-mail address"}

// SystemActor is who the pipeline's own commands record when PME_USER is not set.
const SystemActor = "pme"

func actor(by string) (string, error) {
	by = strings.TrimSpace(by)
	if by == "" {
		return "", ErrNoActor
	}
	return by, nil
}

// CaseworkConfig returns the casework settings from the configuration, the spec's defaults where
// a setting is not given.
func (e *Env) CaseworkConfig() casework.Config {
	cfg := casework.DefaultConfig()
	if n := e.Config.Casework.VCECAfterSchoolDays; n > 0 {
		cfg.VCECAfterSchoolDays = n
	}
	if n := e.Config.Letters.ChaseAfterSchoolDays; n > 0 {
		cfg.ChaseAfterSchoolDays = n
	}
	return cfg
}

// CaseView is one case as `pme case CASE_ID` shows it: each record once, in its own list.
type CaseView struct {
	CaseID      string           `json:"case_id"`
	UPN         string           `json:"upn"`
	Child       string           `json:"child"`
	DOB         pme.Date         `json:"dob"`
	Year        string           `json:"year,omitempty"` // NC year group: N1, N2, R, 1..14; "" unknown
	SEN         string           `json:"sen,omitempty"`  // E (EHC plan), K (SEN support), N (none); "" unknown
	Plan        *CasePlan        `json:"plan,omitempty"` // the open social care plan matched to the child`
	LAESTAB     string           `json:"laestab"`
	School      string           `json:"school"`
	Status      string           `json:"status"`
	Severity    string           `json:"severity"`
	Rules       []string         `json:"rules"`
	Why         []string         `json:"why"`
	DaysFlagged int              `json:"days_flagged"`
	Handling    pme.Handling     `json:"handling"`
	Owner       string           `json:"owner"`
	Actions     []pme.Action     `json:"actions"`
	Notes       []pme.Note       `json:"notes"`
	Letters     []pme.CaseLetter `json:"letters"`
	Events      []pme.CaseEvent  `json:"events"` // the case's status changes, oldest first
	Warnings    []string         `json:"warnings"`
}

// ShowCase returns one case with its casework, and audits the view by viewer (the signed-in user,
// or on the command line --as / PME_USER, else the operating-system user).
func (e *Env) ShowCase(ctx context.Context, viewer, caseID string) (CaseView, error) {
	facts, err := e.caseFacts(ctx, caseID)
	if err != nil {
		return CaseView{}, err
	}
	cal, err := e.Calendar(ctx)
	if err != nil {
		return CaseView{}, err
	}
	cfg := e.CaseworkConfig()
	c := facts.Case
	v := CaseView{CaseID: c.ID, UPN: c.UPN, Child: facts.Child, LAESTAB: c.LAESTAB, School: facts.School,
		Status: c.Status, Severity: c.Severity, Rules: nonNil(c.Rules), Why: casework.Why(c),
		DaysFlagged: casework.DaysFlagged(facts, e.Today, cal),
		Handling:    casework.HandlingToday(facts.Decisions, facts.Events, e.Today), Owner: facts.Owner,
		Actions: nonNil(facts.Actions), Notes: nonNil(facts.Notes), Events: nonNil(facts.Events), Warnings: []string{}}
	for _, l := range facts.Letters {
		v.Letters = append(v.Letters, casework.LetterState(l, e.Today, cal, cfg))
	}
	v.Letters = nonNil(v.Letters)
	if err := e.childDetails(ctx, &v, c.PupilID); err != nil {
		return v, err
	}
	v.Warnings = append(v.Warnings, e.Warnings()...)
	if err := e.Store.Audit(ctx, pme.AuditEntry{At: e.now(), Person: first(viewer, SystemActor), Action: "case.view", CaseID: c.ID}); err != nil {
		return v, err
	}
	return v, nil
}

// CasePlan is the open social care plan matched to a case's child, as the report names it.
type CasePlan struct {
	Type              string `json:"type"` // CP, CIN or LAC
	SocialWorker      string `json:"social_worker"`
	SocialWorkerEmail string `json:"social_worker_email,omitempty"`
	Team              string `json:"team,omitempty"`
}

// childDetails adds the child's date of birth, year group and SEN, and the social worker of the
// open plan matched to the child today, matched as the rules match (match.Plans) over the few
// pupils and plans that could bear on this child.
func (e *Env) childDetails(ctx context.Context, v *CaseView, pupilID int64) error {
	p, m, ok, err := e.openPlanOf(ctx, pupilID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	v.DOB, v.Year, v.SEN = p.DOB, p.NCYear, p.SEN
	if ok {
		v.Plan = &CasePlan{Type: m.Plan.PlanType, SocialWorker: m.Plan.SocialWorker, SocialWorkerEmail: m.Plan.SocialWorkerEmail, Team: m.Plan.Team}
	}
	return nil
}

// openPlanOf returns the pupil and the plan open today that the report would name for it.
func (e *Env) openPlanOf(ctx context.Context, pupilID int64) (pme.StoredPupil, pme.PlanMatch, bool, error) {
	pupils, plans, err := e.Store.PlanCandidates(ctx, pupilID)
	if err != nil {
		return pme.StoredPupil{}, pme.PlanMatch{}, false, err
	}
	d := &caseData{matches: map[int64][]pme.PlanMatch{}}
	for _, m := range match.Plans(pupils, plans) {
		d.matches[m.PupilID] = append(d.matches[m.PupilID], m)
	}
	m, ok := d.openPlan(pupilID, e.Today)
	return pupils[0], m, ok, nil
}

// nonNil turns a nil list into an empty one, so that JSON says [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func first(vals ...string) string {
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// CaseworkResult is what a casework write did (`pme case … --json`).
type CaseworkResult struct {
	CaseID   string        `json:"case_id"`
	Did      string        `json:"did"` // note, action, done, cancelled, in-hand, escalate, no-further-action, assign
	Action   *pme.Action   `json:"action,omitempty"`
	Note     *pme.Note     `json:"note,omitempty"`
	Handling *pme.Handling `json:"handling,omitempty"`
	Owner    string        `json:"owner,omitempty"`
	Warnings []string      `json:"warnings"`
}

// knownCase checks a case id, as a usage error when it is unknown.
func (e *Env) knownCase(ctx context.Context, caseID string) (*pme.Case, error) {
	c, err := e.Store.Case(ctx, strings.TrimSpace(caseID))
	if errors.Is(err, store.ErrNotFound) {
		return nil, usageErrorf("there is no case %q: check the id (pme cases lists the open ones)", caseID)
	}
	return c, err
}

// caseWrite checks a casework write's acting person and case.
func (e *Env) caseWrite(ctx context.Context, by, caseID string) (string, *pme.Case, error) {
	by, err := actor(by)
	if err != nil {
		return "", nil, err
	}
	c, err := e.knownCase(ctx, caseID)
	return by, c, err
}

// AddNote records a note on a case.
func (e *Env) AddNote(ctx context.Context, by, caseID, text string) (CaseworkResult, error) {
	by, c, err := e.caseWrite(ctx, by, caseID)
	if err != nil {
		return CaseworkResult{}, err
	}
	if strings.TrimSpace(text) == "" {
		return CaseworkResult{}, usageErrorf("the note is empty: give its text")
	}
	n := pme.Note{CaseID: c.ID, Text: text, By: by, At: e.now()}
	err = e.Store.WriteCasework(ctx, store.CaseworkWrite{Notes: []pme.Note{n},
		Audit: []pme.AuditEntry{{At: n.At, Person: by, Action: "case.note", CaseID: c.ID}}})
	if err != nil {
		return CaseworkResult{}, err
	}
	e.log().Info("note added", "case", c.ID)
	return CaseworkResult{CaseID: c.ID, Did: "note", Note: &n, Warnings: []string{}}, nil
}

// AddAction records an action on a case, open, owned by owner and due on due (today or later).
func (e *Env) AddAction(ctx context.Context, by, caseID, text, owner string, due pme.Date) (CaseworkResult, error) {
	by, c, err := e.caseWrite(ctx, by, caseID)
	if err != nil {
		return CaseworkResult{}, err
	}
	switch {
	case strings.TrimSpace(text) == "":
		return CaseworkResult{}, usageErrorf("the action is empty: say what is to be done")
	case strings.TrimSpace(owner) == "":
		return CaseworkResult{}, usageErrorf("an action needs an owner: give --owner with the person or team who will do it")
	case due.IsZero():
		return CaseworkResult{}, usageErrorf("an action needs a due date: give --due YYYY-MM-DD")
	case due.Before(e.Today):
		return CaseworkResult{}, usageErrorf("the due date %s is in the past (today is %s): give today or a later date", due.UK(), e.Today.UK())
	}
	warnings, err := e.schoolDayWarning(ctx, due, "due date")
	if err != nil {
		return CaseworkResult{}, err
	}
	a := pme.Action{ID: newActionID(), CaseID: c.ID, Text: text, Owner: strings.TrimSpace(owner), Due: due,
		Status: pme.ActionOpen, By: by, At: e.now()}
	err = e.Store.WriteCasework(ctx, store.CaseworkWrite{Actions: []pme.Action{a},
		Audit: []pme.AuditEntry{{At: a.At, Person: by, Action: "case.action", CaseID: c.ID, Detail: "action=" + a.ID + " due=" + due.String()}}})
	if err != nil {
		return CaseworkResult{}, err
	}
	e.log().Info("action added", "case", c.ID, "action", a.ID)
	return CaseworkResult{CaseID: c.ID, Did: "action", Action: &a, Warnings: warnings}, nil
}

// schoolDayWarning warns (and accepts) a date that is not a school day.
func (e *Env) schoolDayWarning(ctx context.Context, d pme.Date, what string) ([]string, error) {
	cal, err := e.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	if !cal.IsSchoolDay(d) {
		return []string{fmt.Sprintf("The %s %s is not a school day; it was kept. Record it again if you meant a school day.", what, d.UK())}, nil
	}
	return []string{}, nil
}

// newActionID returns a random action id such as "A-3F9C21D0": random, so that it says nothing
// about the case; short, so that a person can read it out.
func newActionID() string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("read random: %v", err))
	}
	return "A-" + strings.ToUpper(hex.EncodeToString(b))
}

// SetActionStatus marks an open action of a case done or cancelled.
func (e *Env) SetActionStatus(ctx context.Context, by, caseID, actionID, status string) (CaseworkResult, error) {
	by, err := actor(by)
	if err != nil {
		return CaseworkResult{}, err
	}
	if status != pme.ActionDone && status != pme.ActionCancelled {
		return CaseworkResult{}, usageErrorf("an action is marked done or cancelled, not %q", status)
	}
	c, err := e.knownCase(ctx, caseID)
	if err != nil {
		return CaseworkResult{}, err
	}
	a, err := e.Store.Action(ctx, strings.TrimSpace(actionID))
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.CaseID != c.ID) {
		return CaseworkResult{}, usageErrorf("case %s has no action %q: pme case %s lists its actions", c.ID, actionID, c.ID)
	}
	if err != nil {
		return CaseworkResult{}, err
	}
	if a.Status != pme.ActionOpen {
		return CaseworkResult{}, usageErrorf("action %s is already %s (by %s, %s)", a.ID, a.Status, a.StatusBy, a.StatusAt.Format("02/01/2006 15:04"))
	}
	now := e.now()
	err = e.Store.WriteCasework(ctx, store.CaseworkWrite{
		ActionStatuses: []store.ActionStatus{{ActionID: a.ID, Status: status, By: by, At: now}},
		Audit:          []pme.AuditEntry{{At: now, Person: by, Action: "case." + status, CaseID: c.ID, Detail: "action=" + a.ID}}})
	if err != nil {
		return CaseworkResult{}, err
	}
	a.Status, a.StatusBy, a.StatusAt = status, by, now
	e.log().Info("action "+status, "case", c.ID, "action", a.ID)
	return CaseworkResult{CaseID: c.ID, Did: status, Action: a, Warnings: []string{}}, nil
}

// SetHandling records a handling decision: in-hand until review (today or later; a non-school day
// is kept with a warning), escalated or no-further-action with a reason.
func (e *Env) SetHandling(ctx context.Context, by, caseID, state string, review pme.Date, reason string) (CaseworkResult, error) {
	by, c, err := e.caseWrite(ctx, by, caseID)
	if err != nil {
		return CaseworkResult{}, err
	}
	warnings := []string{}
	switch state {
	case pme.HandlingInHand:
		if review.IsZero() {
			return CaseworkResult{}, usageErrorf("in-hand needs a review date: give --review YYYY-MM-DD")
		}
		if !review.After(e.Today) {
			return CaseworkResult{}, usageErrorf("the review date %s is not after today (%s): give a later date", review.UK(), e.Today.UK())
		}
		if warnings, err = e.schoolDayWarning(ctx, review, "review date"); err != nil {
			return CaseworkResult{}, err
		}
	case pme.HandlingEscalated, pme.HandlingNFA:
		if strings.TrimSpace(reason) == "" {
			return CaseworkResult{}, usageErrorf("%s needs a reason: say why", state)
		}
		review = pme.Date{}
	default:
		return CaseworkResult{}, usageErrorf("handling %q: want in-hand, escalated or no-further-action", state)
	}
	d := pme.HandlingDecision{CaseID: c.ID, State: state, Review: review, Reason: reason, Day: e.Today, Source: "case", By: by, At: e.now()}
	detail := "state=" + state
	if !review.IsZero() {
		detail += " review=" + review.String()
	}
	err = e.Store.WriteCasework(ctx, store.CaseworkWrite{Handling: []pme.HandlingDecision{d},
		Audit: []pme.AuditEntry{{At: d.At, Person: by, Action: "case." + state, CaseID: c.ID, Detail: detail}}})
	if err != nil {
		return CaseworkResult{}, err
	}
	h := casework.HandlingToday([]pme.HandlingDecision{d}, nil, e.Today)
	e.log().Info("handling recorded", "case", c.ID, "state", state)
	return CaseworkResult{CaseID: c.ID, Did: state, Handling: &h, Warnings: warnings}, nil
}

// Assign records who holds a case.
func (e *Env) Assign(ctx context.Context, by, caseID, person string) (CaseworkResult, error) {
	by, c, err := e.caseWrite(ctx, by, caseID)
	if err != nil {
		return CaseworkResult{}, err
	}
	person = strings.TrimSpace(person)
	if person == "" {
		return CaseworkResult{}, usageErrorf("assign needs the person who will hold the case")
	}
	o := pme.CaseOwner{CaseID: c.ID, Owner: person, By: by, At: e.now()}
	err = e.Store.WriteCasework(ctx, store.CaseworkWrite{Owners: []pme.CaseOwner{o},
		Audit: []pme.AuditEntry{{At: o.At, Person: by, Action: "case.assign", CaseID: c.ID}}})
	if err != nil {
		return CaseworkResult{}, err
	}
	e.log().Info("case assigned", "case", c.ID)
	return CaseworkResult{CaseID: c.ID, Did: "assign", Owner: person, Warnings: []string{}}, nil
}

// ReplyResult is what recording a letter reply did (`pme letters reply --json`).
type ReplyResult struct {
	LetterID  string        `json:"letter_id"`
	CaseID    string        `json:"case_id"`
	Received  pme.Date      `json:"received"`
	Assurance string        `json:"assurance"`
	Handling  *pme.Handling `json:"handling,omitempty"` // set when an inadequate assurance escalated the case
	Warnings  []string      `json:"warnings"`
}

// RecordReply records a school's reply to an assurance letter. An inadequate assurance also sets
// the case's handling to escalated, with the reply as its reason, as the acting person's decision.
func (e *Env) RecordReply(ctx context.Context, by, letterID string, received pme.Date, assurance, note string) (ReplyResult, error) {
	by, err := actor(by)
	if err != nil {
		return ReplyResult{}, err
	}
	switch assurance {
	case pme.AssuranceAdequate, pme.AssurancePartial, pme.AssuranceInadequate:
	default:
		return ReplyResult{}, usageErrorf("--assurance %q: want adequate, partial or inadequate", assurance)
	}
	if received.IsZero() {
		return ReplyResult{}, usageErrorf("give the date the reply was received: --received YYYY-MM-DD")
	}
	if received.After(e.Today) {
		return ReplyResult{}, usageErrorf("the reply cannot be received on %s, after today (%s)", received.UK(), e.Today.UK())
	}
	l, err := e.Store.Letter(ctx, strings.TrimSpace(letterID))
	if errors.Is(err, store.ErrNotFound) {
		return ReplyResult{}, usageErrorf("there is no letter %q: the id is the letter's reference (PME-XXXXX-XXXXX)", letterID)
	}
	if err != nil {
		return ReplyResult{}, err
	}
	if received.Before(l.Date) {
		return ReplyResult{}, usageErrorf("the reply cannot be received on %s, before the letter was sent (%s)", received.UK(), l.Date.UK())
	}
	res := ReplyResult{LetterID: l.ID, Received: received, Assurance: assurance, Warnings: []string{}}
	now := e.now()
	w := store.CaseworkWrite{
		Replies: []pme.LetterReply{{LetterID: l.ID, Received: received, Assurance: assurance, Note: note, By: by, At: now}},
		Audit: []pme.AuditEntry{{At: now, Person: by, Action: "letters.reply", LetterID: l.ID,
			Detail: "assurance=" + assurance + " received=" + received.String()}},
	}
	c, err := e.caseOfUPN(ctx, l.UPN)
	if err != nil {
		return res, err
	}
	if c != nil {
		res.CaseID = c.ID
		w.Audit[0].CaseID = c.ID
	}
	if assurance == pme.AssuranceInadequate {
		if c == nil {
			res.Warnings = append(res.Warnings, "No case was found for this letter's pupil, so nothing was escalated: record the escalation on the case when it is known.")
		} else {
			reason := fmt.Sprintf("Inadequate assurance in the reply to letter %s received %s", l.ID, received.UK())
			if strings.TrimSpace(note) != "" {
				reason += ": " + note
			}
			d := pme.HandlingDecision{CaseID: c.ID, State: pme.HandlingEscalated, Reason: reason, Day: e.Today,
				Source: casework.LetterSource(l.ID), By: by, At: now}
			w.Handling = append(w.Handling, d)
			w.Audit = append(w.Audit, pme.AuditEntry{At: now, Person: by, Action: "case.escalated", CaseID: c.ID, LetterID: l.ID, Detail: "state=escalated source=letter"})
			h := casework.HandlingToday([]pme.HandlingDecision{d}, nil, e.Today)
			res.Handling = &h
		}
	}
	if err := e.Store.WriteCasework(ctx, w); err != nil {
		return res, err
	}
	e.log().Info("letter reply recorded", "letter", l.ID, "assurance", assurance, "escalated", res.Handling != nil)
	return res, nil
}

// caseOfUPN returns the case of the pupil with that UPN, nil when there is none.
func (e *Env) caseOfUPN(ctx context.Context, upn string) (*pme.Case, error) {
	id, _, err := e.Store.PupilByUPN(ctx, upn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c, err := e.Store.CaseByPupil(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return c, err
}

// AuditLog returns the audit entries the filter selects (`pme audit`).
func (e *Env) AuditLog(ctx context.Context, f pme.AuditFilter) ([]pme.AuditEntry, error) {
	out, err := e.Store.AuditLog(ctx, f)
	return nonNil(out), err
}

// caseFacts loads one case with everything the casework needs about it.
func (e *Env) caseFacts(ctx context.Context, caseID string) (casework.CaseFacts, error) {
	c, err := e.knownCase(ctx, caseID)
	if err != nil {
		return casework.CaseFacts{}, err
	}
	all, err := e.loadFacts(ctx, []pme.Case{*c})
	if err != nil {
		return casework.CaseFacts{}, err
	}
	return all[0], nil
}

// allCaseFacts loads the facts of every case that can be on an agenda or in the report's
// casework: every case not closed, and closed cases with casework recorded.
func (e *Env) allCaseFacts(ctx context.Context) ([]casework.CaseFacts, error) {
	cases, err := e.Store.Cases(ctx)
	if err != nil {
		return nil, err
	}
	return e.loadFacts(ctx, cases)
}

// loadFacts joins cases to their events, casework records, pupils, schools and letters. With more
// than one case it reads each table once; closed cases with no casework and no letter are dropped.
func (e *Env) loadFacts(ctx context.Context, cases []pme.Case) ([]casework.CaseFacts, error) {
	one := len(cases) == 1
	caseID := ""
	if one {
		caseID = cases[0].ID
	}
	var events []pme.CaseEvent
	var err error
	if one {
		events, err = e.Store.CaseEvents(ctx, caseID)
	} else {
		events, err = e.Store.CaseEventsSince(ctx, pme.Date{})
	}
	if err != nil {
		return nil, err
	}
	rec, err := e.Store.CaseRecords(ctx, caseID)
	if err != nil {
		return nil, err
	}
	cal, err := e.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	letters, err := e.letterFacts(ctx, cal)
	if err != nil {
		return nil, err
	}

	byCase := map[string]*casework.CaseFacts{}
	byUPN := map[string]*casework.CaseFacts{}
	out := make([]casework.CaseFacts, len(cases))
	for i, c := range cases {
		out[i].Case = c
		byCase[c.ID] = &out[i]
		byUPN[c.UPN] = &out[i]
	}
	for _, ev := range events {
		if f := byCase[ev.CaseID]; f != nil {
			f.Events = append(f.Events, ev)
		}
	}
	attachRecords(rec, func(id string) *casework.CaseFacts { return byCase[id] })
	for _, l := range letters {
		if f := byUPN[l.Letter.UPN]; f != nil {
			f.Letters = append(f.Letters, l)
		}
	}
	if !one {
		out = slices.DeleteFunc(out, func(f casework.CaseFacts) bool {
			return f.Case.Status == pme.CaseClosed && len(f.Actions) == 0 && len(f.Decisions) == 0 && len(f.Letters) == 0
		})
	}
	if err := e.nameFacts(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// nameFacts fills in the child's and the school's names.
func (e *Env) nameFacts(ctx context.Context, facts []casework.CaseFacts) error {
	ids := make([]int64, 0, len(facts))
	for _, f := range facts {
		ids = append(ids, f.Case.PupilID)
	}
	pupils, err := e.Store.PupilsByID(ctx, ids)
	if err != nil {
		return err
	}
	schools, err := e.Store.Schools(ctx)
	if err != nil {
		return err
	}
	names := make(map[string]string, len(schools))
	for _, s := range schools {
		names[s.LAESTAB] = s.Name
	}
	for i := range facts {
		if p, ok := pupils[facts[i].Case.PupilID]; ok {
			facts[i].Child = strings.TrimSpace(p.Forename + " " + p.Surname)
		}
		facts[i].School = names[facts[i].Case.LAESTAB]
	}
	return nil
}

// replyDays is letters.reply_school_days, 10 when not set.
func (e *Env) replyDays() int {
	if n := e.Config.Letters.ReplySchoolDays; n > 0 {
		return n
	}
	return 10
}

// letterReplyBy returns the reply-by date a letter printed, or, for a letter whose snapshot does
// not say, the date counted from the letter's date.
func letterReplyBy(l pme.Letter, cal casework.Calendar, replyDays int) pme.Date {
	if t, err := time.Parse("2 January 2006", l.Data.ReplyBy); err == nil {
		return pme.DateOf(t)
	}
	return cal.AddSchoolDays(l.Date, replyDays)
}

// CaseworkReport returns the casework columns and summary lines of the flagged-case workbook.
// It reads only the cases with casework recorded (few beside all the cases), and every letter.
func (e *Env) CaseworkReport(ctx context.Context) (pme.CaseworkReport, error) {
	rec, err := e.Store.CaseRecords(ctx, "")
	if err != nil {
		return pme.CaseworkReport{}, err
	}
	byCase := map[string]*casework.CaseFacts{}
	var ids []string
	fact := func(id string) *casework.CaseFacts {
		f := byCase[id]
		if f == nil {
			f = &casework.CaseFacts{Case: pme.Case{ID: id}}
			byCase[id] = f
			ids = append(ids, id)
		}
		return f
	}
	attachRecords(rec, fact)
	facts := make([]casework.CaseFacts, 0, len(ids))
	for _, id := range ids {
		f := byCase[id]
		if len(f.Decisions) > 0 {
			if f.Events, err = e.Store.CaseEvents(ctx, id); err != nil {
				return pme.CaseworkReport{}, err
			}
		}
		facts = append(facts, *f)
	}
	cal, err := e.Calendar(ctx)
	if err != nil {
		return pme.CaseworkReport{}, err
	}
	letters, err := e.letterFacts(ctx, cal)
	if err != nil {
		return pme.CaseworkReport{}, err
	}
	return casework.Report(facts, letters, e.Today, cal, e.CaseworkConfig()), nil
}

// attachRecords adds each casework record to the facts find returns for its case (none when nil).
func attachRecords(rec store.CaseRecords, find func(caseID string) *casework.CaseFacts) {
	for _, a := range rec.Actions {
		if f := find(a.CaseID); f != nil {
			f.Actions = append(f.Actions, a)
		}
	}
	for _, n := range rec.Notes {
		if f := find(n.CaseID); f != nil {
			f.Notes = append(f.Notes, n)
		}
	}
	for _, h := range rec.Handling {
		if f := find(h.CaseID); f != nil {
			f.Decisions = append(f.Decisions, h)
		}
	}
	for _, o := range rec.Owners {
		if f := find(o.CaseID); f != nil {
			f.Owner = o.Owner // oldest first: the latest wins
			f.Owners = append(f.Owners, o)
		}
	}
}

// letterFacts returns every letter with its reply-by date, replies and reminder.
func (e *Env) letterFacts(ctx context.Context, cal casework.Calendar) ([]casework.LetterFacts, error) {
	letters, err := e.Store.Letters(ctx, pme.Date{})
	if err != nil {
		return nil, err
	}
	replies, err := e.Store.LetterReplies(ctx, "")
	if err != nil {
		return nil, err
	}
	reminders, err := e.Store.Reminders(ctx)
	if err != nil {
		return nil, err
	}
	repliesOf := map[string][]pme.LetterReply{}
	for _, r := range replies {
		repliesOf[r.LetterID] = append(repliesOf[r.LetterID], r)
	}
	out := make([]casework.LetterFacts, 0, len(letters))
	for _, l := range letters {
		lf := casework.LetterFacts{Letter: l, ReplyBy: letterReplyBy(l, cal, e.replyDays()), Replies: repliesOf[l.ID]}
		if r, ok := reminders[l.ID]; ok {
			lf.Reminder = &r
		}
		out = append(out, lf)
	}
	return out, nil
}

// ChildHistory returns one child's whole history in date order (`pme child UPN`) and audits the
// view by viewer.
func (e *Env) ChildHistory(ctx context.Context, viewer, upn string) (pme.ChildHistory, error) {
	h, err := e.childHistory(ctx, upn)
	if err != nil {
		return h, err
	}
	err = e.Store.Audit(ctx, pme.AuditEntry{At: e.now(), Person: first(viewer, SystemActor), Action: "child.view", UPN: h.UPN})
	return h, err
}

func (e *Env) childHistory(ctx context.Context, upn string) (pme.ChildHistory, error) {
	upn = strings.ToUpper(strings.TrimSpace(upn))
	pupilID, p, err := e.Store.PupilByUPN(ctx, upn)
	if errors.Is(err, store.ErrNotFound) {
		return pme.ChildHistory{}, usageErrorf("no child with UPN %s has been returned by a school: check the UPN", upn)
	}
	if err != nil {
		return pme.ChildHistory{}, err
	}
	h := pme.ChildHistory{UPN: p.UPN, Child: strings.TrimSpace(p.Forename + " " + p.Surname), DOB: p.DOB, Entries: []pme.ChildEntry{}}
	schools, err := e.Store.Schools(ctx)
	if err != nil {
		return h, err
	}
	schoolName := map[string]string{}
	for _, s := range schools {
		schoolName[s.LAESTAB] = s.Name
	}
	rows, err := e.Store.ReturnedRows(ctx, pupilID)
	if err != nil {
		return h, err
	}
	for _, r := range rows {
		h.Entries = append(h.Entries, pme.ChildEntry{Date: pme.DateOf(r.ReceivedAt()), At: r.ReceivedAt(), Kind: pme.EntryRecord,
			LAESTAB: r.LAESTAB, School: schoolName[r.LAESTAB], File: r.File, Summary: returnedSummary(r)})
	}
	c, err := e.Store.CaseByPupil(ctx, pupilID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return h, err
	}
	if c != nil {
		facts, err := e.loadFacts(ctx, []pme.Case{*c})
		if err != nil {
			return h, err
		}
		h.Entries = append(h.Entries, caseEntries(facts[0], schoolName)...)
	} else {
		// Letters are kept by UPN: a child with letters and no case still has them.
		letters, err := e.Store.Letters(ctx, pme.Date{})
		if err != nil {
			return h, err
		}
		for _, l := range letters {
			if l.UPN == h.UPN {
				h.Entries = append(h.Entries, letterEntry(l, schoolName))
			}
		}
	}
	slices.SortStableFunc(h.Entries, func(a, b pme.ChildEntry) int {
		if c := cmp.Compare(a.Date.String(), b.Date.String()); c != 0 {
			return c
		}
		return a.At.Compare(b.At)
	})
	return h, nil
}

func returnedSummary(r store.ReturnedRow) string {
	switch r.Type {
	case pme.ReducedTimetable:
		s := fmt.Sprintf("reduced timetable returned (row %d): %s hours a week from %s", r.Row, trimFloat(r.Hours), r.Start.UK())
		if !r.End.IsZero() {
			s += ", planned end " + r.End.UK()
		}
		if r.Detail != "" {
			s += ", reason " + r.Detail
		}
		return s
	case pme.AlternativeProvision:
		s := fmt.Sprintf("alternative provision returned (row %d): %s, %s hours a week from %s", r.Row, r.Detail, trimFloat(r.Hours), r.Start.UK())
		if !r.End.IsZero() {
			s += " to " + r.End.UK()
		}
		return s
	}
	return fmt.Sprintf("suspension returned (row %d): %s from %s, %s sessions", r.Row, r.Detail, r.Start.UK(), trimFloat(r.Hours))
}

func trimFloat(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}

func letterEntry(l pme.Letter, schoolName map[string]string) pme.ChildEntry {
	return pme.ChildEntry{Date: l.Date, At: l.Created, Kind: pme.EntryLetter, LetterID: l.ID, LAESTAB: l.LAESTAB,
		School: schoolName[l.LAESTAB], File: l.File, Summary: "assurance letter sent (" + l.Trigger + ")"}
}

// caseEntries lists a case's history: status changes (with the rules that fired), letters,
// reminders and replies, actions, notes, handling decisions and owners.
func caseEntries(f casework.CaseFacts, schoolName map[string]string) []pme.ChildEntry {
	c := f.Case
	var out []pme.ChildEntry
	for _, ev := range f.Events {
		kind := pme.EntryStatus
		if ev.Status == pme.CaseNew || ev.Status == pme.CaseChanged {
			kind = pme.EntryFiring
		}
		out = append(out, pme.ChildEntry{Date: ev.Date, Kind: kind, CaseID: c.ID, LAESTAB: c.LAESTAB,
			School: schoolName[c.LAESTAB], Summary: "case " + ev.Status + ": " + ev.Note})
	}
	for _, l := range f.Letters {
		out = append(out, letterEntry(l.Letter, schoolName))
		if l.Reminder != nil {
			out = append(out, pme.ChildEntry{Date: l.Reminder.Date, At: l.Reminder.At, Kind: pme.EntryReminder, LetterID: l.Letter.ID,
				File: l.Reminder.File, Summary: "reminder letter sent", By: l.Reminder.By})
		}
		for _, r := range l.Replies {
			s := "reply received: assurance " + r.Assurance
			if r.Note != "" {
				s += ": " + r.Note
			}
			out = append(out, pme.ChildEntry{Date: r.Received, At: r.At, Kind: pme.EntryReply, LetterID: l.Letter.ID, Summary: s, By: r.By})
		}
	}
	for _, a := range f.Actions {
		s := fmt.Sprintf("action %s agreed: %s (owner %s, due %s)", a.ID, a.Text, a.Owner, a.Due.UK())
		if a.AgreedAt != "" {
			s += " at " + a.AgreedAt
		}
		out = append(out, pme.ChildEntry{Date: pme.DateOf(a.At), At: a.At, Kind: pme.EntryAction, CaseID: c.ID, Summary: s, By: a.By})
		if a.Status != pme.ActionOpen {
			out = append(out, pme.ChildEntry{Date: pme.DateOf(a.StatusAt), At: a.StatusAt, Kind: pme.EntryActionStatus, CaseID: c.ID,
				Summary: "action " + a.ID + " " + a.Status, By: a.StatusBy})
		}
	}
	for _, n := range f.Notes {
		out = append(out, pme.ChildEntry{Date: pme.DateOf(n.At), At: n.At, Kind: pme.EntryNote, CaseID: c.ID, Summary: "note: " + n.Text, By: n.By})
	}
	for _, d := range f.Decisions {
		s := "handling " + d.State
		if !d.Review.IsZero() {
			s += " until " + d.Review.UK()
		}
		if d.Reason != "" {
			s += ": " + d.Reason
		}
		if !d.FactsOf.IsZero() {
			s += " (decided on facts of " + d.FactsOf.UK() + ")"
		}
		out = append(out, pme.ChildEntry{Date: d.Day, At: d.At, Kind: pme.EntryHandling, CaseID: c.ID, Summary: s, By: d.By})
	}
	for _, o := range f.Owners {
		out = append(out, pme.ChildEntry{Date: pme.DateOf(o.At), At: o.At, Kind: pme.EntryOwner, CaseID: c.ID,
			Summary: "case assigned to " + o.Owner, By: o.By})
	}
	return out
}

// decisionActionID is the id of an action agreed on an agenda row: derived from the agenda and
// what the row decided, so that the row applied again would make the same action.
func decisionActionID(agendaID, key string) string {
	sum := sha256.Sum256([]byte(agendaID + "\x1f" + key))
	return "A-" + strings.ToUpper(hex.EncodeToString(sum[:4]))
}
