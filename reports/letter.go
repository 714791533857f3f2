package reports

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/unicode/norm"

	"pme"
)

// LetterConfig is the letters section of the configuration (cli.md): the letterhead, the
// signatory, the reply period and the files the letters are printed with.
type LetterConfig struct {
	Council         string
	Service         string
	Address         []string
	Signatory       LetterSignatory
	ReplySchoolDays int    // school days from the letter's date to the reply-by date; 10 when 0
	TemplatePath    string // "" for the built-in template
	FontPath        string // "" for the built-in Go fonts
}

// LetterSignatory signs the letters.
type LetterSignatory struct {
	Name string
	Role string
}

// DefaultReplySchoolDays is the reply period when letters.reply_school_days is not set.
const DefaultReplySchoolDays = 10

// Validate reports what is missing from the letters configuration, naming the keys: a letter with
// no letterhead or no signatory must not go out.
func (c LetterConfig) Validate() error {
	var errs []error
	need := func(key, v string) {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("%s is not set: letters print it", key))
		}
	}
	need("letters.council", c.Council)
	need("letters.service", c.Service)
	need("letters.signatory.name", c.Signatory.Name)
	need("letters.signatory.role", c.Signatory.Role)
	if len(c.Address) == 0 {
		errs = append(errs, errors.New("letters.address is not set: the letterhead prints it"))
	}
	if c.ReplySchoolDays < 0 || c.ReplySchoolDays > 60 {
		errs = append(errs, errors.New("letters.reply_school_days must be between 1 and 60"))
	}
	return errors.Join(errs...)
}

func (c LetterConfig) replyDays() int {
	if c.ReplySchoolDays == 0 {
		return DefaultReplySchoolDays
	}
	return c.ReplySchoolDays
}

// ReplyBy returns the date n school days after from (from itself not counted). isSchoolDay is the
// school calendar's test; nil counts Monday to Friday.
func ReplyBy(from pme.Date, n int, isSchoolDay func(pme.Date) bool) pme.Date {
	if isSchoolDay == nil {
		isSchoolDay = func(d pme.Date) bool { return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday }
	}
	d := from
	// A calendar with no school days ahead (a year not loaded) must not loop for ever: stop after
	// a year and fall back to weekdays.
	for counted, steps := 0, 0; counted < n; steps++ {
		d = d.AddDays(1)
		if steps > 366 {
			return ReplyBy(from, n, nil)
		}
		if isSchoolDay(d) {
			counted++
		}
	}
	return d
}

// ---- Fonts ----

// LetterFont is the TrueType faces letters are printed in, embedded in every PDF so that names such
// as Zoë, Łukasz, Siobhán and Ailís print, and can be searched and copied, on any computer.
type LetterFont struct {
	name          string
	regular, bold []byte
	faces         []*sfnt.Font
	hash          string
}

// DefaultLetterFont returns the Go fonts (Go Regular and Go Bold): Latin, Greek and Cyrillic.
func DefaultLetterFont() *LetterFont {
	f, err := newLetterFont("Go fonts", goregular.TTF, gobold.TTF)
	if err != nil {
		panic(fmt.Sprintf("built-in letter font: %v", err)) // the embedded fonts are known good
	}
	return f
}

// LoadLetterFont reads the TrueType font at path (letters.font), or returns the Go fonts when path
// is "". Bold text uses the font's bold sibling when one sits beside it under the usual name
// (Noto Sans-Regular.ttf → NotoSans-Bold.ttf, DejaVuSans.ttf → DejaVuSans-Bold.ttf), and the font
// itself otherwise.
func LoadLetterFont(fontPath string) (*LetterFont, error) {
	if fontPath == "" {
		return DefaultLetterFont(), nil
	}
	regular, err := os.ReadFile(fontPath)
	if err != nil {
		return nil, fmt.Errorf("load letter font: %w", err)
	}
	bold := regular
	for _, p := range boldSiblings(fontPath) {
		if b, err := os.ReadFile(p); err == nil {
			bold = b
			break
		}
	}
	f, err := newLetterFont(filepath.Base(fontPath), regular, bold)
	if err != nil {
		return nil, fmt.Errorf("load letter font %s: %w", fontPath, err)
	}
	return f, nil
}

// boldSiblings lists where a regular font's bold face usually is.
func boldSiblings(p string) []string {
	ext := filepath.Ext(p)
	base := strings.TrimSuffix(p, ext)
	var out []string
	if strings.HasSuffix(base, "-Regular") {
		out = append(out, strings.TrimSuffix(base, "-Regular")+"-Bold"+ext)
	}
	return append(out, base+"-Bold"+ext, base+"Bold"+ext)
}

func newLetterFont(name string, regular, bold []byte) (*LetterFont, error) {
	f := &LetterFont{name: name, regular: regular, bold: bold}
	for _, b := range [][]byte{regular, bold} {
		face, err := sfnt.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("read TrueType font: %w", err)
		}
		f.faces = append(f.faces, face)
	}
	h := sha256.New()
	h.Write(regular)
	h.Write(bold)
	f.hash = hex.EncodeToString(h.Sum(nil))
	// fpdf reads TrueType outlines only; a font it cannot embed is refused now, not per letter.
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("check", "", regular)
	pdf.AddUTF8FontFromBytes("check", "B", bold)
	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("embed font (a TrueType .ttf is needed): %w", err)
	}
	return f, nil
}

// Hash returns the SHA-256 of the font files: the ledger records it, because the same letter in a
// different font is different bytes.
func (f *LetterFont) Hash() string { return f.hash }

// Name returns the font's file name, or "Go fonts".
func (f *LetterFont) Name() string { return f.name }

// has reports whether every face of the font can print r. fpdf reads only the font's Basic
// Multilingual Plane map, so a character beyond it is missing whatever the font holds.
func (f *LetterFont) has(r rune) bool {
	if r > 0xFFFF {
		return false
	}
	var buf sfnt.Buffer
	for _, face := range f.faces {
		if i, err := face.GlyphIndex(&buf, r); err != nil || i == 0 {
			return false
		}
	}
	return true
}

// MissingGlyphError refuses a letter with a character the font cannot print: fpdf would drop it
// silently, and a child's name printed wrong is worse than a letter not sent.
type MissingGlyphError struct {
	Char  rune
	Field string // the letter field it is in ("Pupil.Forename"), or "the letter template"
	Font  string
}

func (e *MissingGlyphError) Error() string {
	return fmt.Sprintf("the letter font (%s) has no %q (U+%04X), used in %s: set letters.font to a TrueType font that has it, and run pme letters again",
		e.Font, string(e.Char), e.Char, e.Field)
}

// checkGlyphs returns a *MissingGlyphError for the first character of text the font cannot print,
// naming the data field it came from.
func (f *LetterFont) checkGlyphs(data pme.LetterData, texts ...string) error {
	for _, s := range texts {
		for _, r := range s {
			if r == '\n' || r == ' ' || f.has(r) {
				continue
			}
			field := "the letter template"
			found := false
			mapStrings(&data, func(p, v string) string {
				if !found && strings.ContainsRune(v, r) {
					field, found = p, true
				}
				return v
			})
			return &MissingGlyphError{Char: r, Field: field, Font: f.name}
		}
	}
	return nil
}

// ---- Which letters are due ----

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
	for _, l := range run.Issued {
		issued[l.EpisodeKey] = true
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
		trigger := letterTrigger(ep, run.Issued)
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

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func formatHours(h float64) string { return strconv.FormatFloat(h, 'f', -1, 64) }

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

// buildLetterData words the letter for a candidate, and lists what it lacks to be sent.
func buildLetterData(c LetterCandidate, cfg LetterConfig, today, replyBy pme.Date) (pme.LetterData, []string) {
	d := pme.LetterData{
		Issued: today, Date: today.Long(), ReplyBy: replyBy.Long(),
		Council: cfg.Council, Service: cfg.Service, CouncilAddress: nonBlank(cfg.Address...),
		Signatory: cfg.Signatory.Name, SignatoryRole: cfg.Signatory.Role,
		Pupil: pme.LetterPupil{
			Name:     strings.TrimSpace(c.Pupil.Forename + " " + c.Pupil.Surname),
			Forename: c.Pupil.Forename, Surname: c.Pupil.Surname, DOB: c.Pupil.DOB.UK(), UPN: c.Pupil.UPN,
			YearGroup: yearGroup(c.Pupil.NCYear),
		},
		Plan: pme.LetterPlan{Type: c.Plan.PlanType, Name: planName(c.Plan.PlanType),
			SocialWorker: c.Plan.SocialWorker, Team: c.Plan.Team},
		CC:        ccLine(c.Plan.SocialWorker, c.Plan.Team),
		School:    pme.LetterSchool{LAESTAB: c.LAESTAB},
		Provision: letterProvision(c, today),
	}
	var missing []string
	var head, headSal string
	if s := c.School; s != nil {
		d.School.Name, d.School.URN = s.Name, s.URN
		head, headSal = personName(s.HeadTitle, s.HeadFirstName, s.HeadLastName)
		d.HeadteacherRole = "Headteacher"
		if j := strings.TrimSpace(s.HeadJobTitle); j != "" && !notGiven(j) {
			d.HeadteacherRole = j
		}
	} else {
		missing = append(missing, missSchool)
	}
	if head == "" && c.School != nil {
		missing = append(missing, missHeadteacher)
	}
	var chair, chairSal string
	if c.Contact != nil {
		chair = strings.Join(strings.Fields(c.Contact.Chair), " ")
		chairSal = salutationOf(chair)
	}
	if chair == "" {
		missing = append(missing, missChair)
	}
	d.Headteacher, d.Chair = head, chair
	d.Salutation = strings.Join(nonBlank(headSal, chairSal), " and ")
	d.School.Address = schoolAddress(c.School, c.Contact)
	if len(d.School.Address) == 0 && c.School != nil {
		missing = append(missing, missAddress)
	}
	return d, missing
}

// letterProvision words the provision as the school returned it.
func letterProvision(c LetterCandidate, today pme.Date) pme.LetterProvision {
	if t := c.Timetable; t != nil {
		return pme.LetterProvision{
			Timetable: true, Kind: "reduced timetable",
			Start: t.StartDate.UK(), End: t.PlannedEndDate.UK(), Hours: formatHours(t.HoursPerWeek),
			Reason: reasonName(t.Reason), ParentalAgreement: yesNo(t.ParentalAgreement),
			ReviewDate: t.ReviewDate.UK(),
		}
	}
	p := c.Placement
	lp := pme.LetterProvision{
		Placement: true, Kind: "alternative provision placement",
		Start: p.StartDate.UK(), End: p.EndDate.UK(), Hours: formatHours(p.HoursAtProvider),
		Reason: reasonName(p.Reason), Provider: p.ProviderName, Registered: yesNo(p.ProviderRegistered),
		Approval: approval(c.Provider, today),
	}
	if p.HoursAtSchool > 0 {
		lp.HoursAtSchool = formatHours(p.HoursAtSchool)
	}
	return lp
}

// approval says whether the provider is on the council's approved list on the letter's date.
func approval(p *pme.Provider, today pme.Date) string {
	switch {
	case p == nil:
		return "No"
	case !p.ApprovedFrom.IsZero() && p.ApprovedFrom.After(today):
		return "Not yet (approved from " + p.ApprovedFrom.UK() + ")"
	case !p.ApprovedUntil.IsZero() && p.ApprovedUntil.Before(today):
		return "No (the approval lapsed on " + p.ApprovedUntil.UK() + ")"
	case !p.ApprovedUntil.IsZero():
		return "Yes, until " + p.ApprovedUntil.UK()
	}
	return "Yes"
}

var reasonNames = map[string]string{
	"MED":   "Medical or health needs",
	"SEMH":  "Social, emotional or mental health needs",
	"REINT": "Reintegration after absence or exclusion",
	"TRANS": "Transition or new arrival",
	"BEH":   "Behaviour",
	"SEN":   "Special educational needs",
	"VOC":   "Vocational or enrichment",
	"OTH":   "Other",
}

func reasonName(code string) string {
	if n, ok := reasonNames[code]; ok {
		return n
	}
	return code
}

func yesNo(v string) string {
	switch v {
	case "Y":
		return "Yes"
	case "N":
		return "No"
	}
	return ""
}

func planName(t string) string {
	switch t {
	case pme.PlanCP:
		return "Child Protection plan"
	case pme.PlanCIN:
		return "Child in Need plan"
	}
	return "social care plan"
}

func yearGroup(nc string) string {
	switch {
	case nc == "":
		return ""
	case nc == "R":
		return "Reception"
	case strings.HasPrefix(nc, "N"):
		return "Nursery"
	}
	return "Year " + nc
}

func ccLine(worker, team string) string {
	if worker != "" {
		worker += " (social worker)"
	}
	return strings.Join(nonBlank(worker, team), ", ")
}

// titles are the honorifics that start a name: "Mr B. Chair" is greeted "Mr Chair".
var titles = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "miss": true, "mx": true, "dr": true, "prof": true,
	"professor": true, "rev": true, "revd": true, "reverend": true, "cllr": true, "councillor": true,
	"sir": true, "dame": true, "lady": true, "lord": true, "fr": true, "canon": true,
}

func isTitle(s string) bool { return titles[strings.ToLower(strings.TrimSuffix(s, "."))] }

// personName returns a name in full ("Ms Alison Head") and as greeted ("Ms Head"; the full name
// when there is no title). GIAS writes "Not applicable" for a missing title.
func personName(title, first, last string) (full, greeting string) {
	if notGiven(title) {
		title = ""
	}
	last = strings.TrimSpace(last)
	if last == "" || notGiven(last) {
		return "", ""
	}
	full = strings.Join(nonBlank(title, first, last), " ")
	if title != "" {
		return full, title + " " + last
	}
	return full, full
}

// salutationOf greets a name written as one field ("Mr Brian Chair" → "Mr Chair").
func salutationOf(name string) string {
	w := strings.Fields(name)
	if len(w) >= 2 && isTitle(w[0]) {
		return w[0] + " " + w[len(w)-1]
	}
	return name
}

func notGiven(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "not applicable", "not recorded", "n/a":
		return true
	}
	return false
}

// schoolAddress is the correspondence address from the contacts list when there is one, else the
// GIAS address when it has a street or town and a postcode; nil when neither. The school's name is
// printed above it, so a first line repeating the name is dropped.
func schoolAddress(s *pme.School, c *pme.Contact) []string {
	var lines []string
	if c != nil && strings.TrimSpace(c.CorrespondenceAddress) != "" {
		lines = nonBlank(strings.Split(c.CorrespondenceAddress, "\n")...)
	} else if s != nil && !notGiven(s.Postcode) && (!notGiven(s.Street) || !notGiven(s.Town)) {
		for _, l := range []string{s.Street, s.Locality, s.Address3, s.Town, s.County, s.Postcode} {
			if !notGiven(l) {
				lines = append(lines, strings.TrimSpace(l))
			}
		}
	}
	if len(lines) > 1 && s != nil && strings.EqualFold(lines[0], strings.TrimSpace(s.Name)) {
		lines = lines[1:]
	}
	return lines
}

func nonBlank(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ---- Printing ----

// LetterPath returns where a letter's PDF is written, relative to the data folder:
// out/letters/YYYY-MM-DD/<letter id>.pdf.
func LetterPath(l pme.Letter) string {
	return path.Join("out", "letters", l.Date.String(), l.ID+".pdf")
}

// MakeLetter prints a planned letter and records in it the template, font and PDF hash the ledger
// keeps. The caller writes the bytes to LetterPath and records the letter with its file and time.
func MakeLetter(t *LetterTemplate, font *LetterFont, l *pme.Letter) ([]byte, error) {
	if font == nil {
		font = DefaultLetterFont()
	}
	pdf, err := RenderLetter(t, l.Data, font)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(pdf)
	l.TemplateHash, l.Template, l.FontHash, l.SHA256 = t.Hash(), t.Source(), font.Hash(), hex.EncodeToString(sum[:])
	return pdf, nil
}

// ReprintLetter prints a recorded letter again from its snapshot and its recorded template, and
// checks that the bytes are those sent. It fails, saying why, when the font configured now is not
// the one the letter was printed with.
func ReprintLetter(l pme.Letter, font *LetterFont) ([]byte, error) {
	if font == nil {
		font = DefaultLetterFont()
	}
	if font.Hash() != l.FontHash {
		return nil, fmt.Errorf("reprint %s: it was printed with another font than %s (font %s…): set letters.font to the font used then", l.ID, font.Name(), short(l.FontHash))
	}
	t, err := ParseLetterTemplate("recorded template "+short(l.TemplateHash), l.Template)
	if err != nil {
		return nil, fmt.Errorf("reprint %s: %w", l.ID, err)
	}
	if t.Hash() != l.TemplateHash {
		return nil, fmt.Errorf("reprint %s: the recorded template does not match its hash %s…", l.ID, short(l.TemplateHash))
	}
	pdf, err := RenderLetter(t, l.Data, font)
	if err != nil {
		return nil, fmt.Errorf("reprint %s: %w", l.ID, err)
	}
	sum := sha256.Sum256(pdf)
	if got := hex.EncodeToString(sum[:]); got != l.SHA256 {
		return nil, fmt.Errorf("reprint %s: the printed bytes differ from those sent (SHA-256 %s…, recorded %s…): was pme's PDF library upgraded?", l.ID, short(got), short(l.SHA256))
	}
	return pdf, nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// Page layout, in millimetres: A4 portrait.
const (
	pageW       = 210.0
	pageH       = 297.0
	marginL     = 22.0
	marginR     = 20.0
	marginT     = 15.0
	marginB     = 22.0
	bodyPt      = 10.5
	lineH       = 4.9
	indentW     = 7.0
	labelW      = 46.0
	rightColumn = 130.0
	rowH        = 4.4 // table rows, in a smaller type
)

// RenderLetter prints a letter as PDF: the letterhead, addressees, reference and date laid out by
// pme, then the template's text, then "OFFICIAL-SENSITIVE" and (over one page) "Page N of M" at the
// foot of each page. The same template, data and font always give the same bytes: the PDF's dates
// are the letter's date and it carries no random ids. A character the font cannot print refuses
// the letter with a *MissingGlyphError.
func RenderLetter(t *LetterTemplate, data pme.LetterData, font *LetterFont) ([]byte, error) {
	if font == nil {
		font = DefaultLetterFont()
	}
	if data.Issued.IsZero() {
		return nil, errors.New("render letter: the letter has no date")
	}
	data = cleanLetterData(data)
	text, err := t.text(data)
	if err != nil {
		return nil, err
	}
	blocks := parseLetterText(text)
	if err := font.checkGlyphs(data, append(headerTexts(data), blockTexts(blocks)...)...); err != nil {
		return nil, err
	}
	return layoutLetter(data, blocks, font)
}

// cleanLetterData returns a copy of d with every text in Unicode NFC (a name typed as "a" and a
// combining accent prints as one character) and control characters as spaces.
func cleanLetterData(d pme.LetterData) pme.LetterData {
	mapStrings(&d, func(_ string, s string) string { return cleanText(s) })
	return d
}

func cleanText(s string) string {
	s = norm.NFC.String(s)
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' {
			return ' '
		}
		return r
	}, s)
}

func headerTexts(d pme.LetterData) []string {
	out := []string{d.Council, d.Service, d.ID, d.Date, d.Headteacher, d.HeadteacherRole, d.Chair, d.School.Name}
	out = append(out, d.CouncilAddress...)
	return append(out, d.School.Address...)
}

// Kinds of line in a template's text.
const (
	blockPara = iota
	blockSpace
	blockHeading
	blockItem // numbered or bulleted
	blockRow  // a table row
)

type letterBlock struct {
	kind   int
	marker string // "1." or "•" for items
	label  string // for table rows
	text   string
}

// parseLetterText reads the template's text line by line into blocks.
func parseLetterText(text string) []letterBlock {
	text = strings.TrimRight(strings.ReplaceAll(text, "\r\n", "\n"), "\n ")
	text = strings.TrimLeft(text, "\n")
	var out []letterBlock
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, " \t")
		trimmed := strings.TrimLeft(line, " \t")
		switch {
		case trimmed == "":
			out = append(out, letterBlock{kind: blockSpace})
		case strings.HasPrefix(trimmed, "# "):
			out = append(out, letterBlock{kind: blockHeading, text: strings.TrimSpace(trimmed[2:])})
		case strings.HasPrefix(trimmed, "- "):
			out = append(out, letterBlock{kind: blockItem, marker: "•", text: strings.TrimSpace(trimmed[2:])})
		case strings.HasPrefix(trimmed, "|"):
			cells := strings.SplitN(strings.TrimSuffix(trimmed[1:], "|"), "|", 2)
			b := letterBlock{kind: blockRow, label: strings.TrimSpace(cells[0])}
			if len(cells) == 2 {
				b.text = strings.TrimSpace(cells[1])
			}
			out = append(out, b)
		default:
			if n := listNumber(trimmed); n != "" {
				out = append(out, letterBlock{kind: blockItem, marker: n, text: strings.TrimSpace(trimmed[len(n):])})
			} else {
				out = append(out, letterBlock{kind: blockPara, text: trimmed})
			}
		}
	}
	return out
}

// listNumber returns "12." when s starts with a number, a full stop and a space.
func listNumber(s string) string {
	i := 0
	for i < len(s) && i < 3 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i > 0 && strings.HasPrefix(s[i:], ". ") {
		return s[:i+1]
	}
	return ""
}

func blockTexts(blocks []letterBlock) []string {
	var out []string
	for _, b := range blocks {
		out = append(out, unescape(b.marker), unescape(b.label), unescape(b.text))
	}
	return out
}

// unescape turns the data's stand-ins back into "*" and drops bold marks: for text printed plain.
func unescape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "**", ""), string(markupEscape), "*")
}

// letterPDF is one printing of a letter.
type letterPDF struct {
	*fpdf.Fpdf
	data pme.LetterData
}

// pageNumberWidth is the room for "Page N of M" at the foot, in mm.
const pageNumberWidth = 18

// pagesAlias stands for the number of pages in "Page N of M"; fpdf fills it in when the letter is
// finished, so a letter is laid out once however many pages it runs to.
const pagesAlias = "{pages}"

// layoutLetter prints the letter and returns the PDF.
func layoutLetter(data pme.LetterData, blocks []letterBlock, font *LetterFont) ([]byte, error) {
	p := &letterPDF{Fpdf: fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", SizeStr: "A4"}), data: data}
	p.setup(font)
	p.AddPage()
	p.letterhead()
	p.addressees()
	closing := closingStart(blocks)
	for i, b := range blocks {
		if i == closing {
			p.keepHeight(p.height(blocks[i:]))
		}
		p.block(b, i > 0 && blocks[i-1].kind == blockRow)
	}
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, fmt.Errorf("render letter %s: %w", data.ID, err)
	}
	return buf.Bytes(), nil
}

func (p *letterPDF) setup(font *LetterFont) {
	p.SetMargins(marginL, marginT, marginR)
	p.SetAutoPageBreak(true, marginB)
	p.SetCellMargin(0)
	p.AddUTF8FontFromBytes("letter", "", font.regular)
	p.AddUTF8FontFromBytes("letter", "B", font.bold)
	made := p.data.Issued.Time() // the letter's date: a reprint years later gives the same bytes
	p.SetCreationDate(made)
	p.SetModificationDate(made)
	p.SetCatalogSort(true)
	p.SetProducer("pme", false)
	p.SetCreator("pme", false)
	p.SetTitle("Letter "+p.data.ID, true)
	p.SetAuthor(p.data.Council, true)
	p.SetLang("en-GB")
	p.SetTextColor(0, 0, 0)
	p.SetHeaderFunc(p.header)
	p.AliasNbPages(pagesAlias)
	p.SetFooterFuncLpi(p.footer)
}

// header and footer carry the Government Security Classification marking on every page.
func (p *letterPDF) header() {
	p.SetY(7)
	p.SetFont("letter", "B", 8)
	p.CellFormat(0, 4, "OFFICIAL-SENSITIVE", "", 0, "C", false, 0, "")
	p.SetY(marginT)
}

// footer ends a page; lastPage is false when another page follows. Page numbers are printed only
// when the letter runs onto a second page.
func (p *letterPDF) footer(lastPage bool) {
	p.SetY(-15)
	p.SetFont("letter", "B", 8)
	p.CellFormat(0, 4, "OFFICIAL-SENSITIVE", "", 0, "C", false, 0, "")
	p.SetFont("letter", "", 8)
	p.SetX(marginL)
	p.CellFormat(0, 4, "Our ref: "+p.data.ID, "", 0, "L", false, 0, "")
	if !lastPage || p.PageNo() > 1 {
		// Left-aligned in a box at the right margin: the alias is wider than the number it
		// becomes, so right alignment would drift.
		w, _ := p.GetPageSize()
		p.SetX(w - marginR - pageNumberWidth)
		p.CellFormat(pageNumberWidth, 4, fmt.Sprintf("Page %d of %s", p.PageNo(), pagesAlias), "", 0, "L", false, 0, "")
	}
}

// letterhead prints the council's name and service at the top left, its address at the top
// right, and a rule beneath.
func (p *letterPDF) letterhead() {
	top := p.GetY()
	p.SetFont("letter", "B", 14)
	p.MultiCell(rightColumn-marginL-4, 6.5, p.data.Council, "", "L", false)
	p.SetFont("letter", "", 10.5)
	p.MultiCell(rightColumn-marginL-4, 5, p.data.Service, "", "L", false)
	left := p.GetY()
	p.SetY(top + 0.8)
	p.SetFont("letter", "", 9)
	for _, l := range p.data.CouncilAddress {
		p.CellFormat(0, 3.9, l, "", 1, "R", false, 0, "")
	}
	y := max(left, p.GetY()) + 2.5
	p.SetDrawColor(150, 150, 150)
	p.SetLineWidth(0.3)
	p.Line(marginL, y, pageW-marginR, y)
	p.SetY(y + 6)
}

// addressees prints the addressees and the school's address at the left, and the reference and
// date at the right.
func (p *letterPDF) addressees() {
	top := p.GetY()
	p.SetFont("letter", "", bodyPt)
	w := rightColumn - marginL - 6
	lines := []string{
		p.data.Headteacher + ", " + p.data.HeadteacherRole,
		p.data.Chair + ", Chair of Governors",
		p.data.School.Name,
	}
	for _, l := range append(lines, p.data.School.Address...) {
		p.SetX(marginL)
		p.MultiCell(w, lineH, l, "", "L", false)
	}
	left := p.GetY()
	p.SetY(top)
	for _, kv := range [][2]string{{"Our ref:", p.data.ID}, {"Date:", p.data.Date}} {
		p.SetX(rightColumn)
		p.SetFont("letter", "B", 10)
		p.CellFormat(17, lineH, kv[0], "", 0, "L", false, 0, "")
		p.SetFont("letter", "", 10)
		p.CellFormat(0, lineH, kv[1], "", 1, "L", false, 0, "")
	}
	p.SetY(max(left, p.GetY()) + 7)
}

// block prints one line of the template's text.
func (p *letterPDF) block(b letterBlock, afterRow bool) {
	p.SetFont("letter", "", bodyPt)
	switch b.kind {
	case blockSpace:
		if p.GetY() > marginT+0.5 { // no gap at the top of a new page
			p.Ln(lineH * 0.7)
		}
	case blockPara:
		p.rich(b.text, false)
		p.Ln(lineH)
	case blockHeading:
		p.keep(2)
		p.rich(b.text, true)
		p.Ln(lineH)
	case blockItem:
		p.keep(2)
		p.SetX(marginL)
		p.CellFormat(indentW, lineH, b.marker, "", 0, "L", false, 0, "")
		p.SetLeftMargin(marginL + indentW)
		p.rich(b.text, false)
		p.SetLeftMargin(marginL)
		p.Ln(lineH + 0.8)
	case blockRow:
		p.row(b, !afterRow)
	}
}

// keep starts a new page when fewer than n lines are left on this one, so that a heading or list
// item is not stranded at the foot of a page.
func (p *letterPDF) keep(n int) { p.keepHeight(float64(n) * lineH) }

func (p *letterPDF) keepHeight(h float64) {
	if p.GetY()+h > pageH-marginB && p.GetY() > marginT+20 {
		p.AddPage()
	}
}

// closingStart returns where the letter's closing starts: the paragraph before "Yours sincerely"
// (or "Yours faithfully"). It is kept on one page with everything after it: a signature alone on
// a page is no use. -1 when there is no such line.
func closingStart(blocks []letterBlock) int {
	for i, b := range blocks {
		if b.kind != blockPara || !strings.HasPrefix(strings.ToLower(b.text), "yours ") {
			continue
		}
		for j := i - 1; j >= 0; j-- {
			if blocks[j].kind != blockSpace {
				if blocks[j].kind == blockPara {
					return j
				}
				break
			}
		}
		return i
	}
	return -1
}

// height estimates how tall the blocks print (a line per wrapped line of text).
func (p *letterPDF) height(blocks []letterBlock) float64 {
	h := 0.0
	width := pageW - marginL - marginR
	p.SetFont("letter", "", bodyPt)
	for _, b := range blocks {
		switch b.kind {
		case blockSpace:
			h += lineH * 0.7
		case blockRow:
			h += rowH + 1.2
		case blockItem:
			h += float64(len(p.SplitText(unescape(b.text), width-indentW)))*lineH + 0.8
		default:
			h += float64(len(p.SplitText(unescape(b.text), width))) * lineH
		}
	}
	return h
}

// rich prints text with its **bold** parts, wrapping at the margins.
func (p *letterPDF) rich(text string, bold bool) {
	for i, part := range strings.Split(text, "**") {
		style := ""
		if bold != (i%2 == 1) {
			style = "B"
		}
		p.SetFont("letter", style, bodyPt)
		p.Write(lineH, strings.ReplaceAll(part, string(markupEscape), "*"))
	}
}

// row prints a table row: the label in bold, the value beside it, each wrapping in its column,
// with a hairline above the first row and below every row.
func (p *letterPDF) row(b letterBlock, first bool) {
	valueW := pageW - marginR - marginL - labelW
	label, value := unescape(b.label), unescape(b.text)
	p.SetFont("letter", "", 10)
	n := max(len(p.SplitText(value, valueW-2)), len(p.SplitText(label, labelW-3)), 1)
	if p.GetY()+float64(n)*rowH+2 > pageH-marginB {
		p.AddPage()
		first = true
	}
	p.SetDrawColor(190, 190, 190)
	p.SetLineWidth(0.2)
	if first {
		p.Line(marginL, p.GetY(), pageW-marginR, p.GetY())
	}
	top := p.GetY() + 0.5
	p.SetXY(marginL+1, top)
	p.SetFont("letter", "B", 10)
	p.MultiCell(labelW-3, rowH, label, "", "L", false)
	bottom := p.GetY()
	p.SetXY(marginL+labelW, top)
	p.SetFont("letter", "", 10)
	p.MultiCell(valueW-2, rowH, value, "", "L", false)
	y := max(bottom, p.GetY()) + 0.5
	p.Line(marginL, y, pageW-marginR, y)
	p.SetY(y)
}

// ---- Manifest ----

// ManifestRow is one line of out/letters/YYYY-MM-DD/manifest.csv: a letter made, or one that could
// not be (Reason set, no file).
type ManifestRow struct {
	LetterID, Date, UPN, Pupil, LAESTAB, School, Headteacher, Chair, SocialWorker, Trigger, File, SHA256, Reason string
}

// ManifestHeader is the manifest's header row (outputs.md).
var ManifestHeader = []string{"Letter ID", "Date", "UPN", "Pupil", "LAESTAB", "School", "Headteacher",
	"Chair of Governors", "Social Worker", "Trigger", "File", "SHA-256", "Reason Not Made"}

// ManifestRows lists the letters made (give every letter of the day from the ledger, so that a
// second run on the same day keeps the first run's rows) and those not made, in that order.
func ManifestRows(made []pme.Letter, notProduced []NotProduced) []ManifestRow {
	var rows []ManifestRow
	for _, l := range made {
		d := l.Data
		rows = append(rows, ManifestRow{
			LetterID: l.ID, Date: l.Date.UK(), UPN: l.UPN, Pupil: d.Pupil.Name, LAESTAB: l.LAESTAB,
			School: d.School.Name, Headteacher: d.Headteacher, Chair: d.Chair, SocialWorker: d.Plan.SocialWorker,
			Trigger: l.Trigger, File: path.Base(l.File), SHA256: l.SHA256,
		})
	}
	for _, n := range notProduced {
		rows = append(rows, ManifestRow{
			Date: n.Date.UK(), UPN: n.UPN, Pupil: n.Pupil, LAESTAB: n.LAESTAB, School: n.School,
			Headteacher: n.Headteacher, Chair: n.Chair, SocialWorker: n.SocialWorker, Trigger: n.Trigger, Reason: n.Reason,
		})
	}
	return rows
}

// WriteManifest writes the manifest CSV (UTF-8 with a BOM, so Excel shows the names' accents) at
// path, 0600, atomically; every cell through SafeCell.
func WriteManifest(path string, rows []ManifestRow) error {
	return WriteFileAtomic(path, func(w io.Writer) error {
		if _, err := io.WriteString(w, "\uFEFF"); err != nil {
			return err
		}
		cw := csv.NewWriter(w)
		cw.UseCRLF = true
		if err := cw.Write(ManifestHeader); err != nil {
			return err
		}
		for _, r := range rows {
			rec := []string{r.LetterID, r.Date, r.UPN, r.Pupil, r.LAESTAB, r.School, r.Headteacher, r.Chair,
				r.SocialWorker, r.Trigger, r.File, r.SHA256, r.Reason}
			for i := range rec {
				rec[i] = SafeCell(rec[i])
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
}

// ---- Helpers ----

// mapStrings replaces every string in the struct v points to (and in its string lists, copied, so
// the caller's are untouched) with fn(path, s), path naming the field ("Pupil.Forename",
// "School.Address[1]").
func mapStrings(v any, fn func(path, s string) string) {
	mapValue(reflect.ValueOf(v).Elem(), "", fn)
}

func mapValue(v reflect.Value, prefix string, fn func(path, s string) string) {
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		if !f.IsExported() {
			continue
		}
		name := prefix + f.Name
		switch fv.Kind() {
		case reflect.String:
			fv.SetString(fn(name, fv.String()))
		case reflect.Slice:
			if fv.Type().Elem().Kind() != reflect.String || fv.IsNil() {
				continue
			}
			cp := make([]string, fv.Len())
			for j := range cp {
				cp[j] = fn(fmt.Sprintf("%s[%d]", name, j), fv.Index(j).String())
			}
			fv.Set(reflect.ValueOf(cp))
		case reflect.Struct:
			mapValue(fv, name+".", fn)
		}
	}
}
