package pme

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Episode is the material facts of one provision episode: the reduced timetable or AP placement a
// letter is about. One letter is sent per episode (outputs.md): a rerun finds the same episode and
// sends nothing, and a change to any of these facts (a new placement or timetable, hours, provider,
// dates) is a new episode and a new letter. Facts that change in the ordinary course of a
// provision (review date, reason wording, parental agreement) are deliberately not part of it.
type Episode struct {
	UPN           string     `json:"upn"`
	LAESTAB       string     `json:"laestab"`
	Kind          ReturnType `json:"kind"`                      // ReducedTimetable or AlternativeProvision
	Start         Date       `json:"start"`                     // start date
	End           Date       `json:"end"`                       // planned end (timetable) or end date (AP); zero when not given
	Hours         float64    `json:"hours"`                     // hours per week (timetable) or at the provider (AP)
	HoursAtSchool float64    `json:"hours_at_school,omitempty"` // AP only
	Provider      string     `json:"provider,omitempty"`        // AP only: the provider as returned
}

// Key returns the episode's stable key: a hash of its material facts. The provider counts by its
// normalised name ("The Acorn Centre Ltd" = "Acorn Centre") and hours to the hundredth, so that
// the same provision written slightly differently in the next return is the same episode.
func (e Episode) Key() string {
	fields := []string{
		"v1", e.UPN, e.LAESTAB, string(e.Kind), e.Start.String(), e.End.String(),
		strconv.FormatFloat(e.Hours, 'f', 2, 64),
		strconv.FormatFloat(e.HoursAtSchool, 'f', 2, 64),
		episodeProviderName(e.Provider),
	}
	sum := sha256.Sum256([]byte(strings.Join(fields, "\x1f")))
	return hex.EncodeToString(sum[:])
}

// letterIDAlphabet is Crockford's base32: no I, L, O or U, so an id read out over the phone or
// copied by hand is not mistyped.
var letterIDAlphabet = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// LetterID returns the letter id of an episode key: "PME-" and ten characters in two groups
// ("PME-7K3QX-9TB2M"). It is derived from the episode, not counted, so the same episode always has
// the same id: a letter written but not recorded (a crash between the two) is written again under
// the same name rather than twice, and no sequence has to be shared between runs.
func LetterID(episodeKey string) string {
	raw, err := hex.DecodeString(episodeKey)
	if err != nil || len(raw) < 7 {
		sum := sha256.Sum256([]byte(episodeKey))
		raw = sum[:]
	}
	s := letterIDAlphabet.EncodeToString(raw[:7])[:10] // 50 bits
	return "PME-" + s[:5] + "-" + s[5:]
}

// episodeProviderName normalises a provider's name as reference-data.md matches providers: drop
// case, accents and punctuation, a leading "The", and a trailing Ltd / Limited / CIC / Trust.
func episodeProviderName(name string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(name)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		default:
			b.WriteRune(' ')
		}
	}
	words := strings.Fields(b.String())
	if len(words) > 1 && words[0] == "the" {
		words = words[1:]
	}
	for len(words) > 1 {
		switch words[len(words)-1] {
		case "ltd", "limited", "cic", "trust":
			words = words[:len(words)-1]
			continue
		}
		break
	}
	return strings.Join(words, " ")
}

// Letter is one assurance letter as the ledger records it: what episode it is about, why it was
// made, the template and font it was printed with, a snapshot of everything it printed, and the
// PDF's hash. Printing Data again with the same template and font gives the same bytes.
type Letter struct {
	ID           string     `db:"id" json:"letter_id"`
	EpisodeKey   string     `db:"episode_key" json:"episode_key"`
	Episode      Episode    `db:"-" json:"episode"`
	UPN          string     `db:"upn" json:"upn"`
	LAESTAB      string     `db:"laestab" json:"laestab"`
	Date         Date       `db:"letter_date" json:"date"`       // the letter's date: the run date
	Trigger      string     `db:"trigger_reason" json:"trigger"` // why it is due: "new reduced timetable", "hours changed: 12 → 15"
	TemplateHash string     `db:"template_hash" json:"template"` // SHA-256 of the template source
	Template     string     `db:"-" json:"-"`                    // the template source, kept once per hash for reprints
	FontHash     string     `db:"font_hash" json:"font"`         // SHA-256 of the fonts it was printed with
	Data         LetterData `db:"-" json:"-"`                    // the snapshot: everything it printed
	SHA256       string     `db:"sha256" json:"sha256"`          // of the PDF
	File         string     `db:"file" json:"file"`              // the PDF's path, relative to the data folder
	Created      time.Time  `db:"created" json:"created"`        // when it was made
}

// LetterData is everything a letter prints, already worded and formatted: the fields a letter
// template uses (see reports.LetterTemplate for the list as template authors see it). It is kept
// as the letter's snapshot, so that a reprint prints exactly what was sent, whatever has been
// loaded since. Blank strings mean "not given".
type LetterData struct {
	ID      string `json:"id"`       // the letter id, printed as "Our ref"
	Issued  Date   `json:"issued"`   // the letter's date, also the PDF's creation date
	Date    string `json:"date"`     // the letter's date as printed: "27 November 2026"
	ReplyBy string `json:"reply_by"` // "11 December 2026"
	Trigger string `json:"trigger"`  // why the letter is due

	Council        string   `json:"council"`
	Service        string   `json:"service"`
	CouncilAddress []string `json:"council_address"`
	Signatory      string   `json:"signatory"`
	SignatoryRole  string   `json:"signatory_role"`

	Headteacher     string `json:"headteacher"`      // "Ms Alison Head"
	HeadteacherRole string `json:"headteacher_role"` // "Headteacher", or the school's own title for the post
	Chair           string `json:"chair"`            // the chair of governors: "Mr Brian Chair"
	Salutation      string `json:"salutation"`       // "Ms Head and Mr Chair"
	CC              string `json:"cc"`               // "Sam Worker (social worker), Children's Services North"

	School    LetterSchool    `json:"school"`
	Pupil     LetterPupil     `json:"pupil"`
	Plan      LetterPlan      `json:"plan"`
	Provision LetterProvision `json:"provision"`
}

// LetterSchool is the school a letter is addressed to.
type LetterSchool struct {
	Name    string   `json:"name"`
	LAESTAB string   `json:"laestab"`
	URN     string   `json:"urn"`
	Address []string `json:"address"` // without the school's name
}

// LetterPupil is the pupil a letter is about.
type LetterPupil struct {
	Name      string `json:"name"` // forename and surname
	Forename  string `json:"forename"`
	Surname   string `json:"surname"`
	DOB       string `json:"dob"` // "14/03/2013"
	UPN       string `json:"upn"`
	YearGroup string `json:"year_group"` // "Year 8", "Reception", "Nursery"; "" when not returned
}

// LetterPlan is the pupil's social care plan.
type LetterPlan struct {
	Type         string `json:"type"` // CP or CIN
	Name         string `json:"name"` // "Child Protection plan", "Child in Need plan"
	SocialWorker string `json:"social_worker"`
	Team         string `json:"team"`
}

// LetterProvision is the provision as the school returned it, worded for the letter.
type LetterProvision struct {
	Timetable         bool   `json:"timetable"` // a reduced timetable
	Placement         bool   `json:"placement"` // an AP placement
	Kind              string `json:"kind"`      // "reduced timetable" or "alternative provision placement"
	Start             string `json:"start"`     // "03/11/2026"
	End               string `json:"end"`       // planned end (timetable) or end date (AP)
	Hours             string `json:"hours"`     // hours per week (timetable) or at the provider (AP): "12.5"
	HoursAtSchool     string `json:"hours_at_school"`
	Reason            string `json:"reason"`             // "Medical or health needs"
	ParentalAgreement string `json:"parental_agreement"` // "Yes", "No", ""
	ReviewDate        string `json:"review_date"`
	Provider          string `json:"provider"`
	Registered        string `json:"registered"` // "Yes", "No", ""
	Approval          string `json:"approval"`   // on the council's approved list: "Yes, until 31/08/2027", "No", "No (the approval lapsed on …)"
	// Register describes a part-time timetable the school has not returned, from its attendance
	// register: "C2 recorded for 8 sessions from 16/11/2026 to 27/11/2026" ("" for a returned one).
	Register string `json:"register,omitempty"`
}
