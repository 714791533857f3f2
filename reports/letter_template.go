package reports

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"pme"
)

// defaultLetterSource is the built-in wording of the assurance letter, used when letters.template
// is not set. It is also the example a council copies to write its own.
//
//go:embed letter.tmpl
var defaultLetterSource []byte

// DefaultLetterTemplateName names the built-in template in errors and in the ledger.
const DefaultLetterTemplateName = "built-in letter template"

// LetterTemplate is the wording of the assurance letters: a Go text/template a non-developer can
// edit, run over pme.LetterData. The letterhead, the addressees, the reference and date, and the
// page footer are laid out by pme; the template writes the rest, from "Dear …" to "cc: …".
//
// The text it produces is read line by line, and each line is a paragraph (long lines wrap):
//
//	(blank line)          adds space
//	# Re: …               a heading, in bold
//	1. …                  a numbered item, with a hanging indent (any number followed by ". ")
//	- …                   a bulleted item
//	| Label | Value       a row of a two-column table (label in bold)
//	**words**             prints the words in bold, anywhere in a line
//
// The fields (all text, "" when not given; the README lists them for template authors):
//
//	.ID .Date .ReplyBy .Trigger
//	.Council .Service .CouncilAddress (a list) .Signatory .SignatoryRole
//	.Headteacher .HeadteacherRole .Chair .Salutation .CC
//	.School.Name .School.LAESTAB .School.URN .School.Address (a list)
//	.Pupil.Name .Pupil.Forename .Pupil.Surname .Pupil.DOB .Pupil.UPN .Pupil.YearGroup
//	.Plan.Type .Plan.Name .Plan.SocialWorker .Plan.Team
//	.Provision.Timetable .Provision.Placement (true or false) .Provision.Kind .Provision.Start
//	.Provision.End .Provision.Hours .Provision.HoursAtSchool .Provision.Reason
//	.Provision.ParentalAgreement .Provision.ReviewDate .Provision.Provider
//	.Provision.Registered .Provision.Approval
//
// Functions: join (a list with a separator: {{join .School.Address ", "}}), upper, lower.
type LetterTemplate struct {
	name string
	src  string
	tmpl *template.Template
	hash string
}

// TemplateError is a mistake in a letter template, with the line it is on (0 when the mistake is
// not on one line) and the reason in the template author's words where we can.
type TemplateError struct {
	Name   string // the template's file, or DefaultLetterTemplateName
	Line   int
	Reason string
}

func (e *TemplateError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("letter template %s, line %d: %s", e.Name, e.Line, e.Reason)
	}
	return fmt.Sprintf("letter template %s: %s", e.Name, e.Reason)
}

// LoadLetterTemplate reads and checks the letter template at path, or the built-in one when path
// is "". A template with a mistake is refused with a *TemplateError naming the line and the
// reason, before any letter is made.
func LoadLetterTemplate(path string) (*LetterTemplate, error) {
	if path == "" {
		return ParseLetterTemplate(DefaultLetterTemplateName, string(defaultLetterSource))
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load letter template: %w", err)
	}
	return ParseLetterTemplate(path, string(src))
}

// ParseLetterTemplate parses and checks a letter template's source: the template of a recorded
// letter is parsed from the ledger with this for a reprint. The check runs the template over
// sample letters of both kinds (reduced timetable, AP placement; every field given, and every
// optional one blank), so a misspelt field fails now, not halfway through a run.
func ParseLetterTemplate(name, src string) (*LetterTemplate, error) {
	tmpl, err := template.New("letter").Funcs(letterFuncs).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, templateError(name, err)
	}
	if err := checkBold(name, src); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(src))
	t := &LetterTemplate{name: name, src: src, tmpl: tmpl, hash: hex.EncodeToString(sum[:])}
	for _, sample := range sampleLetters() {
		text, err := t.text(sample)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(text) == "" {
			return nil, &TemplateError{Name: name, Reason: "the template produces no text"}
		}
	}
	return t, nil
}

// Hash returns the SHA-256 of the template's source: the template version the ledger records.
func (t *LetterTemplate) Hash() string { return t.hash }

// Source returns the template's source, which the ledger keeps once per version for reprints.
func (t *LetterTemplate) Source() string { return t.src }

// Name returns the template's file name, or DefaultLetterTemplateName.
func (t *LetterTemplate) Name() string { return t.name }

var letterFuncs = template.FuncMap{
	"join":  strings.Join,
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
}

// text runs the template over data and returns the text it produces.
func (t *LetterTemplate) text(data pme.LetterData) (string, error) {
	var b bytes.Buffer
	if err := t.tmpl.Execute(&b, escapeMarkup(data)); err != nil {
		return "", templateError(t.name, err)
	}
	return b.String(), nil
}

// templatePos finds "template: letter:12:" or "template: letter:12:7:" in text/template's errors.
var templatePos = regexp.MustCompile(`template: [^:]*:(\d+)(?::\d+)?: (?:executing "[^"]*" at <([^>]*)>: )?`)

// templateError rewrites a text/template error as a TemplateError: the line number pulled out,
// and the Go type names a template author cannot act on replaced by the field name.
func templateError(name string, err error) error {
	msg := err.Error()
	m := templatePos.FindStringSubmatchIndex(msg)
	if m == nil {
		return &TemplateError{Name: name, Reason: msg}
	}
	line, _ := strconv.Atoi(msg[m[2]:m[3]])
	reason := plainReason(msg[m[1]:])
	if m[4] >= 0 {
		field := msg[m[4]:m[5]]
		switch {
		case strings.Contains(reason, "can't evaluate field"):
			reason = fmt.Sprintf("%s is not a letter field (see the list of fields in the README)", field)
		default:
			reason = field + ": " + reason
		}
	}
	return &TemplateError{Name: name, Line: line, Reason: reason}
}

// plainReason says what text/template's commonest parse errors mean in the template author's terms.
func plainReason(reason string) string {
	switch {
	case strings.HasPrefix(reason, "bad character U+007D '}'"), strings.HasPrefix(reason, "unclosed action"):
		return reason + `: a "{{" is not closed by "}}"`
	case reason == "unexpected EOF":
		return reason + `: an {{if}}, {{with}} or {{range}} above has no {{end}}`
	case strings.Contains(reason, "not defined") && strings.HasPrefix(reason, "function"):
		return reason + " (the functions are join, upper and lower)"
	}
	return reason
}

// checkBold refuses a line with an odd number of "**": the bold would run to the end of the line,
// which is never what the author meant.
func checkBold(name, src string) error {
	for i, line := range strings.Split(src, "\n") {
		if strings.Count(line, "**")%2 != 0 {
			return &TemplateError{Name: name, Line: i + 1, Reason: `"**" opens bold text that is not closed on the same line`}
		}
	}
	return nil
}

// markupEscape stands in for "*" in the data while the template runs: a provider called
// "**Acorn**" in a school's return must print as written, not in bold.
const markupEscape = '\uE000'

// escapeMarkup returns a copy of data with every "*" replaced by markupEscape.
func escapeMarkup(d pme.LetterData) pme.LetterData {
	mapStrings(&d, func(_ string, s string) string {
		return strings.ReplaceAll(s, "*", string(markupEscape))
	})
	return d
}

// sampleLetters are the letters a template is checked against: one of each kind, the first with
// every field given, the second with every optional field blank.
func sampleLetters() []pme.LetterData {
	full := pme.LetterData{
		ID: "PME-00000-00000", Issued: pme.MustDate("2026-11-27"), Date: "27 November 2026",
		ReplyBy: "11 December 2026", Trigger: "new reduced timetable",
		Council: "Sample County Council", Service: "Fair Access Team",
		CouncilAddress: []string{"County Hall", "Sample Town", "AB1 2CD"},
		Signatory:      "A. Practitioner", SignatoryRole: "Pupils Missing Education Practitioner",
		Headteacher: "Ms Alison Head", HeadteacherRole: "Headteacher", Chair: "Mr Brian Chair",
		Salutation: "Ms Head and Mr Chair", CC: "Sam Worker (social worker), Children's Services North",
		School: pme.LetterSchool{Name: "Sample Primary School", LAESTAB: "8912345", URN: "123456",
			Address: []string{"1 School Lane", "Sample Town", "AB1 2CE"}},
		Pupil: pme.LetterPupil{Name: "Zoë Sample", Forename: "Zoë", Surname: "Sample", DOB: "14/03/2013",
			UPN: "A123456789012", YearGroup: "Year 8"},
		Plan: pme.LetterPlan{Type: pme.PlanCP, Name: "Child Protection plan", SocialWorker: "Sam Worker",
			Team: "Children's Services North"},
		Provision: pme.LetterProvision{Timetable: true, Kind: "reduced timetable", Start: "03/11/2026",
			End: "18/12/2026", Hours: "12.5", Reason: "Medical or health needs", ParentalAgreement: "Yes",
			ReviewDate: "04/12/2026"},
	}
	sparse := pme.LetterData{
		ID: "PME-00000-00001", Issued: pme.MustDate("2026-11-27"), Date: "27 November 2026",
		ReplyBy: "11 December 2026", Council: "Sample County Council",
		Headteacher: "Alison Head", Chair: "Brian Chair", Salutation: "Alison Head and Brian Chair",
		School: pme.LetterSchool{Name: "Sample Academy", LAESTAB: "8914000", Address: []string{"AB1 2CF"}},
		Pupil:  pme.LetterPupil{Name: "Sam Sample", Forename: "Sam", Surname: "Sample", DOB: "01/09/2012", UPN: "A123456789013"},
		Plan:   pme.LetterPlan{Type: pme.PlanCIN, Name: "Child in Need plan"},
		Provision: pme.LetterProvision{Placement: true, Kind: "alternative provision placement",
			Start: "02/11/2026", Hours: "10", Provider: "Sample Provider"},
	}
	return []pme.LetterData{full, sparse}
}
