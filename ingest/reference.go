package ingest

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"pme"
)

// Reference data (reference-data.md): the GIAS school extract, the council's contact list, the
// social care extract and the approved provider list. Each parser reads every visible sheet whose
// header has the kind's required columns, and reports row issues the way returns do: an error
// leaves the row out, a warning keeps it. A file with no such sheet is a *pme.FileError.

// CodeEmailInvalid is a row issue of reference data: an e-mail address that is not one. It is a
// warning and the address is not used: a letter about a child must not go to a mistyped address.
const CodeEmailInvalid = "EMAIL_INVALID"

// Canonical column names of the reference files.
const (
	ColHeadEmail      = "Headteacher Email"
	ColChair          = "Chair of Governors"
	ColChairEmail     = "Chair Email"
	ColCorrespondence = "Correspondence Address"
	ColChildID        = "Child ID"
	ColPlanType       = "Plan Type"
	ColPlanStart      = "Plan Start Date"
	ColPlanEnd        = "Plan End Date"
	ColSocialWorker   = "Social Worker"
	ColWorkerEmail    = "Social Worker Email"
	ColTeam           = "Team"
	ColUKPRN          = "UKPRN"
	ColApprovedFrom   = "Approved From"
	ColApprovedUntil  = "Approved Until"
)

// ContactColumns are the columns of the council's school contact list.
var ContactColumns = []Column{
	{Name: ColLAESTAB, Aliases: []string{"DfE Number", "DfE No", "LA Estab", "LAEstab", "School Number"}},
	{Name: ColURN, Aliases: []string{"School URN"}},
	{Name: ColHeadEmail, Aliases: []string{"Head Email", "Headteacher E-mail", "Head Teacher Email"}},
	{Name: ColChair, Aliases: []string{"Chair", "Chair Name", "Chair of Governors Name"}},
	{Name: ColChairEmail, Aliases: []string{"Chair of Governors Email"}},
	{Name: ColCorrespondence, Aliases: []string{"Correspondence"}},
}

// SocialCareColumns are the columns of the social care extract.
var SocialCareColumns = []Column{
	{Name: ColChildID, Aliases: []string{"LA Child ID", "Person ID"}, Required: true},
	{Name: ColUPN, Aliases: []string{"Unique Pupil Number"}},
	{Name: ColSurname, Aliases: []string{"Legal Surname", "Last Name", "Family Name"}, Required: true},
	{Name: ColForename, Aliases: []string{"Legal Forename", "First Name", "Given Name"}, Required: true},
	{Name: ColDOB, Aliases: []string{"DOB", "Birth Date"}, Required: true},
	{Name: ColPlanType, Aliases: []string{"Plan", "Category"}, Required: true},
	{Name: ColPlanStart, Aliases: []string{"Start Date"}, Required: true},
	{Name: ColPlanEnd, Aliases: []string{"End Date"}},
	{Name: ColSocialWorker, Aliases: []string{"Allocated Worker"}},
	{Name: ColWorkerEmail, Aliases: []string{"Worker Email"}},
	{Name: ColTeam},
}

// ProviderColumns are the columns of the approved provider list.
var ProviderColumns = []Column{
	{Name: ColProvider, Aliases: []string{"Provider"}, Required: true},
	{Name: ColURN, Aliases: []string{"Provider URN"}},
	{Name: ColUKPRN, Aliases: []string{"Provider UKPRN"}},
	{Name: ColRegistered, Aliases: []string{"Registered", "Ofsted Registered"}},
	{Name: ColApprovedFrom},
	{Name: ColApprovedUntil, Aliases: []string{"Approved To", "Expiry", "Expiry Date"}},
}

// ParseContacts reads the council's contact list: the school by LAESTAB (891/2345 and 891-2345
// accepted) or URN, the headteacher's e-mail, the chair of governors and their e-mail, and a
// correspondence address that overrides the GIAS one. A school listed twice keeps its first row.
func ParseContacts(wb Workbook) ([]pme.Contact, []pme.Issue, error) {
	var out []pme.Contact
	seen := map[string]int{}
	issues, err := readReference(wb, ContactColumns, "school contact list", func(r *refRow) {
		var c pme.Contact
		c.LAESTAB, c.URN = r.school()
		c.HeadEmail = r.email(ColHeadEmail)
		c.Chair = r.text(ColChair)
		c.ChairEmail = r.email(ColChairEmail)
		c.CorrespondenceAddress = addressLines(r.text(ColCorrespondence))
		if r.errors > 0 {
			return
		}
		key := c.LAESTAB + "/" + c.URN
		if first, dup := seen[key]; dup {
			r.fail(ColLAESTAB, pme.CodeDuplicateRow, fmt.Sprintf("This school is already listed on row %d: only that row was read.", first))
			return
		}
		seen[key] = r.num
		out = append(out, c)
	})
	return out, issues, err
}

// school reads a contact row's school: LAESTAB or URN, at least one. A 6-digit value in the
// LAESTAB column is a URN, as the council's lists sometimes mix them.
func (r *refRow) school() (laestab, urn string) {
	laText, urnText := r.text(ColLAESTAB), r.text(ColURN)
	if laText == "" && urnText == "" {
		r.fail(ColLAESTAB, pme.CodeRequired, "Both LAESTAB and URN are blank: give the school's LAESTAB (for example 8912345) or URN.")
		return "", ""
	}
	if laText != "" {
		if la, ok := NormalizeLAESTAB(laText); ok {
			laestab = la
		} else if u, ok := NormalizeURN(laText); ok && urnText == "" {
			urn = u
		} else {
			r.fail(ColLAESTAB, pme.CodeSchoolUnknown, "This is not a LAESTAB: write the 3-digit LA code and 4-digit establishment number, for example 8912345 or 891/2345.")
		}
	}
	if urnText != "" {
		if u, ok := NormalizeURN(urnText); ok {
			urn = u
		} else {
			r.fail(ColURN, pme.CodeSchoolUnknown, "This is not a URN: a school's URN is 6 digits.")
		}
	}
	return laestab, urn
}

// addressLines tidies a multi-line address: one line per line of the cell, trimmed, blank lines
// dropped, joined by "\n".
func addressLines(s string) string {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// planTypes maps the ways a social care system writes a plan type (compared by planKey) to its code.
var planTypes = map[string]string{
	"CP": pme.PlanCP, "CPP": pme.PlanCP, "CHILDPROTECTION": pme.PlanCP, "CHILDPROTECTIONPLAN": pme.PlanCP,
	"CIN": pme.PlanCIN, "CINPLAN": pme.PlanCIN, "CHILDINNEED": pme.PlanCIN, "CHILDINNEEDPLAN": pme.PlanCIN,
	"LAC": pme.PlanLAC, "CLA": pme.PlanLAC, "LOOKEDAFTER": pme.PlanLAC, "LOOKEDAFTERCHILD": pme.PlanLAC,
	"CHILDLOOKEDAFTER": pme.PlanLAC, "LOOKEDAFTERCHILDREN": pme.PlanLAC, "CHILDRENLOOKEDAFTER": pme.PlanLAC,
}

func planKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ParseSocialCare reads the social care extract: one row per plan. Plan types are CP, CIN and
// LAC, or words for them ("Child Protection", "Child in Need", "Looked After", "CLA"). A UPN that
// is not a valid UPN is a warning and is not used: the child is then matched by name and date of
// birth, which a wrong UPN could not be.
func ParseSocialCare(wb Workbook) ([]pme.Plan, []pme.Issue, error) {
	var out []pme.Plan
	seen := map[string]int{}
	issues, err := readReference(wb, SocialCareColumns, "social care extract", func(r *refRow) {
		var p pme.Plan
		p.ChildID = r.required(ColChildID, "the child's id in the social care system")
		p.UPN = r.upn()
		p.Surname = r.name(ColSurname)
		p.Forename = r.name(ColForename)
		p.DOB, _ = r.date(ColDOB, true, true)
		p.PlanType = r.planType()
		var startOK bool
		p.StartDate, startOK = r.date(ColPlanStart, true, false)
		p.EndDate = r.endDate(ColPlanEnd, p.StartDate, startOK)
		p.SocialWorker = r.text(ColSocialWorker)
		p.SocialWorkerEmail = r.email(ColWorkerEmail)
		p.Team = r.text(ColTeam)
		if r.errors > 0 {
			return
		}
		key := p.ChildID + "\x00" + p.PlanType + "\x00" + p.StartDate.String()
		if first, dup := seen[key]; dup {
			r.warn(ColChildID, pme.CodeDuplicateRow, fmt.Sprintf("The same plan (child, plan type and start date) is on row %d: this row was skipped.", first))
			return
		}
		seen[key] = r.num
		out = append(out, p)
	})
	return out, issues, err
}

func (r *refRow) upn() string {
	s := strings.ToUpper(r.text(ColUPN))
	if s == "" {
		return ""
	}
	switch code := CheckUPN(s); code {
	case "", pme.CodeUPNTemporary:
		return s
	default:
		r.warn(ColUPN, code, "This is not a valid UPN, so it was not used: the child is matched to pupils by name and date of birth instead. Correct it in the social care system.")
		return ""
	}
}

func (r *refRow) planType() string {
	s := r.text(ColPlanType)
	if s == "" {
		r.fail(ColPlanType, pme.CodeRequired, "Plan Type is blank: give CP, CIN or LAC.")
		return ""
	}
	code, ok := planTypes[planKey(s)]
	if !ok {
		r.fail(ColPlanType, pme.CodeCodeUnknown, "This is not a plan type: use CP (Child Protection), CIN (Child in Need) or LAC (looked after).")
	}
	return code
}

// ParseProviders reads the approved alternative provision providers: name, URN (6 digits), UKPRN
// (8 digits), Ofsted registration (Y/N) and the approval's dates.
func ParseProviders(wb Workbook) ([]pme.Provider, []pme.Issue, error) {
	var out []pme.Provider
	issues, err := readReference(wb, ProviderColumns, "provider list", func(r *refRow) {
		var p pme.Provider
		p.Name = r.required(ColProvider, "the provider's name")
		if s := r.text(ColURN); s != "" {
			if u, ok := NormalizeURN(s); ok {
				p.URN = u
			} else {
				r.fail(ColURN, pme.CodeNumberInvalid, "This is not a URN: a provider's URN is 6 digits.")
			}
		}
		if s := trimZeroFraction(r.text(ColUKPRN)); s != "" {
			if len(s) == 8 && allDigits(s) {
				p.UKPRN = s
			} else {
				r.fail(ColUKPRN, pme.CodeNumberInvalid, "This is not a UKPRN: a UKPRN is 8 digits, starting with 1.")
			}
		}
		p.Registered = r.yesNo(ColRegistered)
		var fromOK bool
		p.ApprovedFrom, fromOK = r.date(ColApprovedFrom, false, false)
		p.ApprovedUntil = r.endDate(ColApprovedUntil, p.ApprovedFrom, fromOK)
		if r.errors == 0 {
			out = append(out, p)
		}
	})
	return out, issues, err
}

// refRow reads one data row of a reference sheet and collects its issues.
type refRow struct {
	cursor
	issues []pme.Issue
}

// newRefRow starts reading the data rows of the sheet info under its header h.
func newRefRow(info SheetInfo, h *Header, today pme.Date) *refRow {
	return &refRow{cursor: newCursor(info, h, today)}
}

// each calls fn for every data row of rest that has a value in one of the header's columns.
func (r *refRow) each(rest RowIter, fn func(r *refRow)) error {
	for rest.Next() {
		row := rest.Row()
		if !rowHasValue(r.h, row) {
			continue
		}
		r.num, r.row, r.errors = rest.Num(), row, 0
		fn(r)
	}
	if err := rest.Err(); err != nil {
		return fileError(r.sheet, err)
	}
	return nil
}

// add records an issue on the current row in the named column. Unlike a return's, the value is
// not clipped.
func (r *refRow) add(col, code, severity, msg string) {
	r.issues = append(r.issues, r.issue(col, r.value(col), code, severity, msg))
}

func (r *refRow) fail(col, code, msg string) { r.add(col, code, pme.SeverityError, msg) }
func (r *refRow) warn(col, code, msg string) { r.add(col, code, pme.SeverityWarning, msg) }

// value is the cell as written; a date cell shows as the date Excel displays.
func (r *refRow) value(col string) string {
	c := r.h.Cell(r.row, col)
	if c.Number {
		switch col {
		case ColDOB, ColPlanStart, ColPlanEnd, ColApprovedFrom, ColApprovedUntil:
			if d, err := ParseUKDate(c, r.dates); err == nil {
				return d.UK()
			}
		}
	}
	return strings.TrimSpace(c.Value)
}

// required reads a required text column; what says what belongs in it.
func (r *refRow) required(col, what string) string {
	s := r.text(col)
	if s == "" {
		r.fail(col, pme.CodeRequired, fmt.Sprintf("%s is blank: every row needs %s.", r.h.ColumnName(col), what))
	}
	return s
}

func (r *refRow) name(col string) string {
	s := r.required(col, "the child's legal "+strings.ToLower(col))
	if utf8.RuneCountInString(s) > MaxNameLength {
		r.fail(col, pme.CodeRequired, fmt.Sprintf("%s is longer than %d characters.", r.h.ColumnName(col), MaxNameLength))
	}
	return s
}

func (r *refRow) yesNo(col string) string { return readYesNo(r, col) }

// email reads an optional e-mail address; one that is not an address is a warning and not used.
func (r *refRow) email(col string) string {
	s := r.text(col)
	if s == "" {
		return ""
	}
	s = strings.TrimPrefix(s, "mailto:")
	if !validEmail(s) {
		r.warn(col, CodeEmailInvalid, "This is not an e-mail address (one address, such as head@school.example.org), so it was not used: correct it and load the file again.")
		return ""
	}
	return s
}

// validEmail is a plain check of one address: local part, one @, a domain with a dot, no spaces.
func validEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') || strings.ContainsAny(s, " \t,;<>()[]\"") {
		return false
	}
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.Contains(domain, "..") {
		return false
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" {
			return false
		}
	}
	return true
}

// date reads a date column. ok is false when the cell is blank or an issue was raised. Dates must
// be after 1990 (birth dates excepted) and not more than maxAhead after today.
func (r *refRow) date(col string, required, birth bool) (pme.Date, bool) {
	d, ok := readDateCell(r, col, r.dates, required, birth)
	if !ok {
		return d, false
	}
	switch {
	case birth && d.After(r.today):
		r.fail(col, pme.CodeDateRange, "This date of birth is in the future: check the year.")
		return d, false
	case !birth && (d.Before(EarliestDate) || d.After(r.today.AddYears(maxAhead))):
		r.fail(col, pme.CodeDateRange, fmt.Sprintf("This date is before 1990 or more than %d years after today (%s): check the year.", maxAhead, r.today.UK()))
		return d, false
	}
	return d, true
}

// maxAhead is how many years ahead a reference date may be: approvals and plans are set years
// ahead, unlike the dates in a return.
const maxAhead = 10

func (r *refRow) endDate(col string, start pme.Date, startOK bool) pme.Date {
	return readEndDate(r, col, start, startOK)
}

// readReference reads every visible sheet of wb whose header has cols' required columns, calling
// fn for each data row that has a value in one of the columns. what names the list in messages.
func readReference(wb Workbook, cols []Column, what string, fn func(r *refRow)) ([]pme.Issue, error) {
	today := pme.DateOf(time.Now().UTC())
	var issues []pme.Issue
	var closest *Header
	read := 0
	for _, info := range wb.Sheets() {
		if info.Hidden {
			continue
		}
		h, n, is, err := readReferenceSheet(wb, info, cols, what, today, fn)
		if err != nil {
			return issues, err
		}
		if n {
			read++
			issues = append(issues, is...)
		} else if h != nil && (closest == nil || len(h.Missing) < len(closest.Missing)) {
			closest = h
		}
	}
	if read == 0 {
		if closest != nil {
			return issues, &pme.FileError{Code: pme.CodeFileMissingColumns, Message: fmt.Sprintf(
				"This %s is missing %s: add these columns (or rename yours to match) and load the file again.",
				what, strings.Join(closest.Missing, ", "))}
		}
		return issues, &pme.FileError{Code: pme.CodeFileNoReturn, Message: fmt.Sprintf(
			"No sheet in this file has the columns of a %s: check the header row names %s.", what, requiredNames(cols))}
	}
	return issues, nil
}

func requiredNames(cols []Column) string {
	var names []string
	for _, c := range cols {
		if c.Required {
			names = append(names, c.Name)
		}
	}
	return strings.Join(names, ", ")
}

// readReferenceSheet reads one sheet. ok is false (with the mapped header, when there was one)
// when the sheet lacks a required column or has no header.
func readReferenceSheet(wb Workbook, info SheetInfo, cols []Column, what string, today pme.Date, fn func(r *refRow)) (*Header, bool, []pme.Issue, error) {
	it, err := wb.Rows(info.Name)
	if err != nil {
		return nil, false, nil, fileError(info.Name, err)
	}
	defer it.Close()
	h, rest, err := FindHeader(it, cols, nil)
	if errors.Is(err, ErrNoHeader) {
		return nil, false, nil, nil
	}
	if err != nil {
		return nil, false, nil, fileError(info.Name, err)
	}
	if len(h.Missing) > 0 || len(h.Index) < min(minHeaderCells, len(cols)) {
		return h, false, nil, nil
	}
	r := newRefRow(info, h, today)
	for _, i := range h.Unknown {
		r.issues = append(r.issues, pme.Issue{Sheet: info.Name, Row: h.Row, Column: h.Written[i], Value: h.Written[i],
			Code: pme.CodeColumnUnknown, Severity: pme.SeverityWarning, Message: fmt.Sprintf("This column is not part of the %s and was not read.", what)})
	}
	if err := r.each(rest, fn); err != nil {
		return h, false, nil, err
	}
	return h, true, r.issues, nil
}

// rowHasValue reports whether the row has a value in one of the header's columns.
func rowHasValue(h *Header, row []Cell) bool {
	for _, i := range h.Index {
		if i < len(row) && strings.TrimSpace(row[i].Value) != "" {
			return true
		}
	}
	return false
}

// GIAS column names (reference-data.md), as the extract writes them.
const (
	GIASURN        = "URN"
	GIASLACode     = "LA (code)"
	GIASLAName     = "LA (name)"
	GIASEstabNo    = "EstablishmentNumber"
	GIASName       = "EstablishmentName"
	GIASType       = "TypeOfEstablishment (name)"
	GIASPhase      = "PhaseOfEducation (name)"
	GIASStatus     = "EstablishmentStatus (name)"
	GIASStreet     = "Street"
	GIASLocality   = "Locality"
	GIASAddress3   = "Address3"
	GIASTown       = "Town"
	GIASCounty     = "County (name)"
	GIASPostcode   = "Postcode"
	GIASHeadTitle  = "HeadTitle (name)"
	GIASHeadFirst  = "HeadFirstName"
	GIASHeadLast   = "HeadLastName"
	GIASHeadJob    = "HeadPreferredJobTitle"
	GIASTypeGroup  = "EstablishmentTypeGroup (name)"
	GIASOpenDate   = "OpenDate"
	GIASCloseDate  = "CloseDate"
	giasRequiredOf = 4 // the first four of giasColumns are required
)

// giasColumns are the columns pme reads, required ones first. GIAS names differ only by a bracket
// ("LA (code)", "LA (name)"), so they are matched by giasKey, not NormalizeHeader, which drops a
// trailing bracket as a hint.
var giasColumns = []string{GIASURN, GIASLACode, GIASEstabNo, GIASName, GIASLAName, GIASType, GIASPhase,
	GIASStatus, GIASStreet, GIASLocality, GIASAddress3, GIASTown, GIASCounty, GIASPostcode, GIASHeadTitle,
	GIASHeadFirst, GIASHeadLast, GIASHeadJob, GIASTypeGroup, GIASOpenDate, GIASCloseDate}

var giasByKey = func() map[string]string {
	m := make(map[string]string, len(giasColumns))
	for _, c := range giasColumns {
		m[giasKey(c)] = c
	}
	return m
}()

// giasKey compares GIAS headers: case and spacing ignored, brackets kept.
func giasKey(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// ParseSchools reads a GIAS establishment extract (edubasealldataYYYYMMDD.csv: Windows-1252,
// every field quoted, about 140 columns read by name; the whole of England or one LA). LAESTAB is
// LA (code) and EstablishmentNumber zero-padded to 3 and 4 digits; a school without an
// establishment number (GIAS has many: children's centres, some independent settings) is kept
// with no LAESTAB, found by URN only. Closed schools are kept, for old returns. A URN listed twice
// keeps its first row.
func ParseSchools(wb Workbook) ([]pme.School, []pme.Issue, error) {
	today := pme.DateOf(time.Now().UTC())
	var out []pme.School
	var issues []pme.Issue
	var closest *Header
	seen := map[string]int{}
	for _, info := range wb.Sheets() {
		if info.Hidden {
			continue
		}
		h, ok, is, err := readGIASSheet(wb, info, today, func(r *refRow) {
			s := giasSchool(r)
			if r.errors > 0 {
				return
			}
			if first, dup := seen[s.URN]; dup {
				r.fail(GIASURN, pme.CodeDuplicateRow, fmt.Sprintf("This URN is already on row %d: only that row was read.", first))
				return
			}
			seen[s.URN] = r.num
			out = append(out, s)
		})
		if err != nil {
			return nil, issues, err
		}
		if ok {
			issues = append(issues, is...)
			return out, issues, nil
		}
		if h != nil && (closest == nil || len(h.Missing) < len(closest.Missing)) {
			closest = h
		}
	}
	if closest != nil {
		return nil, issues, &pme.FileError{Code: pme.CodeFileMissingColumns, Message: fmt.Sprintf(
			"This GIAS extract is missing %s: download the establishment fields extract (edubasealldata) from Get Information about Schools and load it again.",
			strings.Join(closest.Missing, ", "))}
	}
	return nil, issues, &pme.FileError{Code: pme.CodeFileNoReturn, Message: "This is not a GIAS establishment extract: download edubasealldata from Get Information about Schools and load it again."}
}

func giasSchool(r *refRow) pme.School {
	s := pme.School{
		Name: r.text(GIASName), Type: r.text(GIASType), Phase: r.text(GIASPhase), Status: r.text(GIASStatus),
		LAName: r.text(GIASLAName), Street: r.text(GIASStreet), Locality: r.text(GIASLocality),
		Address3: r.text(GIASAddress3), Town: r.text(GIASTown), County: r.text(GIASCounty),
		Postcode: r.text(GIASPostcode), HeadTitle: r.text(GIASHeadTitle), HeadFirstName: r.text(GIASHeadFirst),
		HeadLastName: r.text(GIASHeadLast), HeadJobTitle: r.text(GIASHeadJob), TypeGroup: r.text(GIASTypeGroup),
		OpenDate: giasDate(r, GIASOpenDate), CloseDate: giasDate(r, GIASCloseDate),
	}
	// GIAS writes "Not applicable" for a head's title it does not know.
	if strings.EqualFold(s.HeadTitle, "Not applicable") {
		s.HeadTitle = ""
	}
	if u, ok := NormalizeURN(r.text(GIASURN)); ok {
		s.URN = u
	} else if r.text(GIASURN) == "" {
		r.fail(GIASURN, pme.CodeRequired, "URN is blank: every establishment has one.")
	} else {
		r.fail(GIASURN, pme.CodeNumberInvalid, "This is not a URN: a URN is 6 digits.")
	}
	if s.Name == "" {
		r.fail(GIASName, pme.CodeRequired, "EstablishmentName is blank.")
	}
	s.LAESTAB = giasLAESTAB(r)
	return s
}

// giasDate reads OpenDate or CloseDate (dd-mm-yyyy). Schools opened long ago carry old dates, so
// no range applies; a date that cannot be read is a warning, and the school is kept without it.
func giasDate(r *refRow, col string) pme.Date {
	c := r.cell(col)
	if strings.TrimSpace(c.Value) == "" {
		return pme.Date{}
	}
	d, err := ParseUKDate(c, r.dates)
	if err != nil {
		r.warn(col, pme.CodeDateInvalid, col+" is not a date (dd-mm-yyyy): the school was kept without it.")
		return pme.Date{}
	}
	return d
}

// giasLAESTAB joins LA (code) and EstablishmentNumber, zero-padded: "891" and "45" give 8910045.
func giasLAESTAB(r *refRow) string {
	la, en := r.text(GIASLACode), r.text(GIASEstabNo)
	if la == "" || en == "" {
		return ""
	}
	if !allDigits(la) || !allDigits(en) || len(la) > 3 || len(en) > 4 {
		col := GIASLACode
		if allDigits(la) && len(la) <= 3 {
			col = GIASEstabNo
		}
		r.warn(col, pme.CodeNumberInvalid, "LA (code) must be up to 3 digits and EstablishmentNumber up to 4: this school was kept without a LAESTAB, so returns must give its URN.")
		return ""
	}
	return strings.Repeat("0", 3-len(la)) + la + strings.Repeat("0", 4-len(en)) + en
}

// readGIASSheet finds the GIAS header row (the first, in a real extract) and reads the rows.
func readGIASSheet(wb Workbook, info SheetInfo, today pme.Date, fn func(r *refRow)) (*Header, bool, []pme.Issue, error) {
	it, err := wb.Rows(info.Name)
	if err != nil {
		return nil, false, nil, fileError(info.Name, err)
	}
	defer it.Close()
	score := func(row []Cell) int {
		n := 0
		for _, c := range row {
			if _, ok := giasByKey[giasKey(c.Value)]; ok {
				n++
			}
		}
		return n
	}
	num, row, rest, err := findHeaderRow(it, score)
	if errors.Is(err, ErrNoHeader) {
		return nil, false, nil, nil
	}
	if err != nil {
		return nil, false, nil, fileError(info.Name, err)
	}
	h := &Header{Row: num, Index: map[string]int{}, Written: make([]string, len(row))}
	for i, c := range row {
		h.Written[i] = strings.TrimSpace(c.Value)
		if name, ok := giasByKey[giasKey(c.Value)]; ok {
			if _, dup := h.Index[name]; !dup {
				h.Index[name] = i
			}
		}
	}
	for _, c := range giasColumns[:giasRequiredOf] {
		if _, ok := h.Index[c]; !ok {
			h.Missing = append(h.Missing, c)
		}
	}
	if len(h.Missing) > 0 {
		return h, false, nil, nil
	}
	r := newRefRow(info, h, today)
	if err := r.each(rest, fn); err != nil {
		return h, false, nil, err
	}
	return h, true, r.issues, nil
}
