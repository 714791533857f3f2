package reports

import (
	"strconv"
	"strings"

	"pme"
)

// What a letter says: the template's fields, worded from the candidate's records.

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func formatHours(h float64) string { return strconv.FormatFloat(h, 'f', -1, 64) }

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
	if t := c.Timetable; t != nil && c.Register != "" {
		return pme.LetterProvision{Timetable: true, Kind: "part-time timetable", Start: t.StartDate.UK(),
			Hours: "not returned", Reason: "not returned", Register: c.Register}
	}
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
