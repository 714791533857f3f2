package pme

// Severities of findings and cases, lowest first.
const (
	SeverityLow      = "low"
	SeverityMedium   = "medium"
	SeverityHigh     = "high"
	SeverityCritical = "critical"
)

// Rule ids (rules.md): stable names other programs and people depend on.
const (
	RuleRTNoEndDate           = "RT_NO_END_DATE"
	RuleRTOverLimit           = "RT_OVER_LIMIT"
	RuleRTPastEndDate         = "RT_PAST_END_DATE"
	RuleRTLowHours            = "RT_LOW_HOURS"
	RuleRTNoParentalAgreement = "RT_NO_PARENTAL_AGREEMENT"
	RuleRTReviewOverdue       = "RT_REVIEW_OVERDUE"
	RuleRTBehaviour           = "RT_BEHAVIOUR"
	RuleAPUnapprovedProvider  = "AP_UNAPPROVED_PROVIDER"
	RuleAPUnregisteredFT      = "AP_UNREGISTERED_FULL_TIME"
	RuleAPNotFullTime         = "AP_NOT_FULL_TIME"
	RuleSuspOver45Days        = "SUSP_OVER_45_DAYS"
	RuleSuspApproaching       = "SUSP_APPROACHING_LIMIT"
	RuleSuspRepeated          = "SUSP_REPEATED"
	RuleSuspNoSixthDay        = "SUSP_NO_SIXTH_DAY"
	RulePermExclusion         = "PERM_EXCLUSION"
	RulePMEOver20Days         = "PME_OVER_20_DAYS"
	RuleMultipleReturns       = "MULTIPLE_RETURNS"
	RuleMatchAmbiguous        = "MATCH_AMBIGUOUS"
)

// Case statuses (rules.md).
const (
	CaseNew     = "new"
	CaseOpen    = "open"
	CaseChanged = "changed"
	CaseClosed  = "closed"
)

// Finding is one rule firing for one pupil on the run date, with the sentence the practitioner
// reads.
type Finding struct {
	Rule        string `json:"rule"`
	Severity    string `json:"severity"`    // after any vulnerability uplift
	Explanation string `json:"explanation"` // one sentence naming the figures and dates behind it
	LAESTAB     string `json:"laestab,omitempty"`
}

// Case is one pupil's flagged case: the set of rules the pupil currently hits.
type Case struct {
	ID           string    `db:"id" json:"case_id"`
	PupilID      int64     `db:"pupil_id" json:"-"`
	UPN          string    `db:"upn" json:"upn"`
	Status       string    `db:"status" json:"status"`
	Severity     string    `db:"severity" json:"severity"`
	Rules        []string  `db:"-" json:"rules"`
	Findings     []Finding `db:"-" json:"-"`
	LAESTAB      string    `db:"laestab" json:"laestab"`
	Plan         string    `db:"plan" json:"plan"` // CP, CIN, LAC or ""
	LetterDue    bool      `db:"letter_due" json:"letter_due"`
	Vulnerable   string    `db:"vulnerable" json:"-"`  // why severities were raised, "" when not
	Fingerprint  string    `db:"fingerprint" json:"-"` // rules and figures: a change makes the case "changed"
	FirstFlagged Date      `db:"first_flagged" json:"-"`
	LastChanged  Date      `db:"last_changed" json:"-"`
	ClosedOn     Date      `db:"closed_on" json:"-"`
	CloseReason  string    `db:"close_reason" json:"-"`
}

// CaseEvent is one status change of a case, kept for its history.
type CaseEvent struct {
	CaseID string `db:"case_id" json:"case_id"`
	Date   Date   `db:"day" json:"date"`
	Status string `db:"status" json:"status"`
	Note   string `db:"note" json:"note"`
}
