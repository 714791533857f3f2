package pme

// School is one establishment from the DfE "Get Information about Schools" extract, with the
// council's own contact details merged in where loaded.
type School struct {
	URN           string `db:"urn" json:"urn"`
	LAESTAB       string `db:"laestab" json:"laestab"` // LA (code) + EstablishmentNumber, 7 digits
	Name          string `db:"name" json:"name"`
	Type          string `db:"type" json:"type"`
	Phase         string `db:"phase" json:"phase"`
	Status        string `db:"status" json:"status"` // Open, Closed, ...
	LAName        string `db:"la_name" json:"la_name"`
	Street        string `db:"street" json:"street"`
	Locality      string `db:"locality" json:"locality"`
	Address3      string `db:"address3" json:"address3"`
	Town          string `db:"town" json:"town"`
	County        string `db:"county" json:"county"`
	Postcode      string `db:"postcode" json:"postcode"`
	HeadTitle     string `db:"head_title" json:"head_title"`
	HeadFirstName string `db:"head_first_name" json:"head_first_name"`
	HeadLastName  string `db:"head_last_name" json:"head_last_name"`
	HeadJobTitle  string `db:"head_job_title" json:"head_job_title"`
	// GIAS "EstablishmentTypeGroup (name)", OpenDate and CloseDate: who is expected to return
	// (compliance.md).
	TypeGroup string `db:"type_group" json:"type_group"`
	OpenDate  Date   `db:"open_date" json:"open_date"`
	CloseDate Date   `db:"close_date" json:"close_date"`
}

// Contact is the council's own record of a school's correspondents: GIAS has no e-mail addresses
// and no chair of governors.
type Contact struct {
	LAESTAB               string `db:"laestab" json:"laestab"`
	URN                   string `db:"urn" json:"urn"`
	HeadEmail             string `db:"head_email" json:"head_email"`
	Chair                 string `db:"chair" json:"chair"`
	ChairEmail            string `db:"chair_email" json:"chair_email"`
	CorrespondenceAddress string `db:"correspondence_address" json:"correspondence_address"` // lines joined by "\n"
}

// Plan types from the social care extract.
const (
	PlanCP  = "CP"  // Child Protection
	PlanCIN = "CIN" // Child in Need
	PlanLAC = "LAC" // looked after
)

// Plan is one child's Child Protection, Child in Need or looked-after plan from the social care
// extract.
type Plan struct {
	ChildID           string `db:"child_id" json:"child_id"`
	UPN               string `db:"upn" json:"upn"`
	Surname           string `db:"surname" json:"surname"`
	Forename          string `db:"forename" json:"forename"`
	DOB               Date   `db:"dob" json:"dob"`
	PlanType          string `db:"plan_type" json:"plan_type"` // CP, CIN, LAC
	StartDate         Date   `db:"start_date" json:"start_date"`
	EndDate           Date   `db:"end_date" json:"end_date"`
	SocialWorker      string `db:"social_worker" json:"social_worker"`
	SocialWorkerEmail string `db:"social_worker_email" json:"social_worker_email"`
	Team              string `db:"team" json:"team"`
}

// OpenOn reports whether the plan is open on the date: start ≤ date and (no end, or end > date).
func (p Plan) OpenOn(d Date) bool {
	return !p.StartDate.After(d) && (p.EndDate.IsZero() || p.EndDate.After(d))
}

// Provider is an alternative provision provider on the council's approved list.
type Provider struct {
	Name          string `db:"name" json:"name"`
	URN           string `db:"urn" json:"urn"`
	UKPRN         string `db:"ukprn" json:"ukprn"`
	Registered    string `db:"registered" json:"registered"` // Y, N or ""
	ApprovedFrom  Date   `db:"approved_from" json:"approved_from"`
	ApprovedUntil Date   `db:"approved_until" json:"approved_until"`
}

// ApprovedOn reports whether the provider's approval covers the date.
func (p Provider) ApprovedOn(d Date) bool {
	return (p.ApprovedFrom.IsZero() || !p.ApprovedFrom.After(d)) &&
		(p.ApprovedUntil.IsZero() || !p.ApprovedUntil.Before(d))
}

// Term is one term of the school calendar: autumn, spring or summer, half-term included.
type Term struct {
	Name  string `db:"name" json:"name" yaml:"name"` // e.g. "Autumn 2026"
	Start Date   `db:"start_date" json:"start" yaml:"start"`
	End   Date   `db:"end_date" json:"end" yaml:"end"`
}

// Closure is a weekday inside a term on which pupils are not in school: half-term, INSET, a bank
// holiday.
type Closure struct {
	Date   Date   `db:"day" json:"date" yaml:"date"`
	Reason string `db:"reason" json:"reason" yaml:"reason"`
}

// Reference kinds, as `pme load KIND FILE` names them.
const (
	KindSchools    = "schools"
	KindContacts   = "contacts"
	KindSocialCare = "social-care"
	KindProviders  = "providers"
	KindCalendar   = "calendar"
)
