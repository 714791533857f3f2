package pme

import "time"

// Casework (casework.md): what the practitioner decides about a case and what comes back. Every
// record is appended with who and when; nothing is edited in place. Free text (action and note
// text, reasons, reply notes) may hold personal data: it is never logged.

// Handling states: the practitioner's view of a case, over the rule lifecycle (rules.md).
const (
	HandlingUnreviewed = "unreviewed"        // the default: nobody has decided anything yet
	HandlingInHand     = "in-hand"           // in hand until a review date
	HandlingEscalated  = "escalated"         // escalated to the VCEC panel, with a reason
	HandlingNFA        = "no-further-action" // no further action, with a reason
)

// Action statuses.
const (
	ActionOpen      = "open"
	ActionDone      = "done"
	ActionCancelled = "cancelled"
)

// Assurance levels of a letter reply.
const (
	AssuranceAdequate   = "adequate"
	AssurancePartial    = "partial"
	AssuranceInadequate = "inadequate"
)

// Meeting kinds.
const (
	MeetingCOOS = "coos" // the weekly Fair Access Children Out of School meeting
	MeetingVCEC = "vcec" // the three-weekly Vulnerable Children Education Commissioning panel
)

// Agenda sections, by their stable ids.
const (
	SectionNew            = "new"             // new cases
	SectionChanged        = "changed"         // changed cases (and in-hand cases whose facts changed)
	SectionReviewDue      = "review-due"      // in-hand cases whose review date is reached
	SectionActionsDue     = "actions-due"     // actions due by the meeting date, or overdue
	SectionLettersOverdue = "letters-overdue" // letters overdue a reply
	SectionAssurance      = "assurance"       // inadequate or partial assurances
	SectionSchools        = "schools"         // schools not returning (compliance.md)
	SectionConsiderVCEC   = "consider-vcec"   // the escalation prompt: "consider VCEC referral"
	SectionEscalated      = "escalated"       // the VCEC agenda: escalated cases with their history
)

// COOSSections lists the COOS agenda's sections in the spec's order.
var COOSSections = []string{
	SectionNew, SectionChanged, SectionReviewDue, SectionActionsDue, SectionLettersOverdue,
	SectionAssurance, SectionSchools, SectionConsiderVCEC,
}

// VCECSections lists the VCEC agenda's sections.
var VCECSections = []string{SectionEscalated}

// SectionTitles are the section headings a person reads.
var SectionTitles = map[string]string{
	SectionNew:            "New cases",
	SectionChanged:        "Changed cases",
	SectionReviewDue:      "In hand: review date reached",
	SectionActionsDue:     "Actions due or overdue",
	SectionLettersOverdue: "Letters overdue a reply",
	SectionAssurance:      "Inadequate or partial assurances",
	SectionSchools:        "Schools not returning",
	SectionConsiderVCEC:   "Consider VCEC referral",
	SectionEscalated:      "Escalated to VCEC",
}

// Decisions a practitioner can write in an agenda's Decision column (the drop-down's values).
const (
	DecisionInHand   = "in-hand"
	DecisionEscalate = "escalate"
	DecisionNFA      = "no-further-action"
	DecisionNote     = "note"
	DecisionAction   = "action"
)

// Decisions lists the drop-down's values in the spec's order.
var Decisions = []string{DecisionInHand, DecisionEscalate, DecisionNFA, DecisionNote, DecisionAction}

// The agenda workbook's editable column headers, exactly as the spec names them, and its Case ID
// column.
const (
	ColumnCaseID   = "Case ID"
	ColumnDecision = "Decision"
	ColumnText     = "Action / note text"
	ColumnOwner    = "Owner"
	ColumnDue      = "Due / review date"
)

// Action is an agreed action on a case: who owns it, when it is due, and where it stands.
// Done/cancelled is a later event with its own who and when; the action itself is never edited.
type Action struct {
	ID       string    `db:"id" json:"action_id"`
	CaseID   string    `db:"case_id" json:"case_id,omitempty"`
	Text     string    `db:"text" json:"text"`   // free text: never logged
	Owner    string    `db:"owner" json:"owner"` // a person or a team
	Due      Date      `db:"due" json:"due"`
	Status   string    `db:"status" json:"status"`               // open, done or cancelled (the latest event)
	AgreedAt string    `db:"-" json:"agreed_at"`                 // "coos 2026-11-27", or "" when not agreed at a meeting
	Meeting  string    `db:"meeting" json:"-"`                   // coos, vcec or ""
	MeetDate Date      `db:"meeting_date" json:"-"`              // the meeting's date, zero when none
	By       string    `db:"created_by" json:"by"`               // who recorded it
	At       time.Time `db:"-" json:"at"`                        // when
	StatusBy string    `db:"-" json:"status_by,omitempty"`       // who marked it done or cancelled
	StatusAt time.Time `db:"-" json:"status_at,omitzero"`        // when
	FactsOf  Date      `db:"facts_of" json:"facts_of,omitempty"` // "decided on facts of": set when agreed on an agenda whose facts had since changed
}

// Overdue reports whether the action is open and its due date is before today.
func (a Action) Overdue(today Date) bool {
	return a.Status == ActionOpen && !a.Due.IsZero() && a.Due.Before(today)
}

// AgreedLabel returns the "coos 2026-11-27" form of a meeting kind and date, "" when none.
func AgreedLabel(meeting string, date Date) string {
	if meeting == "" {
		return ""
	}
	return meeting + " " + date.String()
}

// Note is free text about a case. It may hold personal data: never logged.
type Note struct {
	ID      int64     `db:"id" json:"-"`
	CaseID  string    `db:"case_id" json:"case_id,omitempty"`
	Text    string    `db:"text" json:"text"`
	By      string    `db:"created_by" json:"by"`
	At      time.Time `db:"-" json:"at"`
	FactsOf Date      `db:"facts_of" json:"facts_of,omitempty"` // "decided on facts of", as for Action
}

// HandlingDecision is one recorded handling decision: what the acting person decided, and when.
// The case's handling today is the latest decision, unless the facts changed or the review date
// was reached since (casework.Today works that out).
type HandlingDecision struct {
	ID      int64     `db:"id" json:"-"`
	CaseID  string    `db:"case_id" json:"case_id"`
	State   string    `db:"state" json:"state"`   // in-hand, escalated, no-further-action or unreviewed
	Review  Date      `db:"review" json:"review"` // in-hand only
	Reason  string    `db:"reason" json:"reason"` // free text: never logged
	By      string    `db:"created_by" json:"by"`
	At      time.Time `db:"-" json:"at"`
	Day     Date      `db:"day" json:"day"`                     // the run date it was recorded on (--today)
	Source  string    `db:"source" json:"source"`               // "case", "agenda <id>", "letter <id>"
	FactsOf Date      `db:"facts_of" json:"facts_of,omitempty"` // decided on the facts of this date (an agenda's), when they had since changed
}

// Handling is a case's handling today: the state that applies on the date asked about, with the
// decision behind it and, when it went back to unreviewed, why.
type Handling struct {
	State           string    `json:"state"`                      // unreviewed, in-hand, escalated, no-further-action
	Review          Date      `json:"review"`                     // in-hand: the review date
	Reason          string    `json:"reason"`                     // escalated / no-further-action: the reason
	By              string    `json:"by"`                         // who decided it ("" for the default unreviewed)
	At              time.Time `json:"at,omitzero"`                // when
	ReturnedBecause string    `json:"returned_because,omitempty"` // why it went back to unreviewed, in words
	Returned        string    `json:"returned,omitempty"`         // what sent it back: ReturnedFactsChanged or ReturnedReviewDate
	FactsOf         Date      `json:"facts_of,omitempty"`         // the decision was made on the facts of this date
}

// Why a case's handling went back to unreviewed.
const (
	ReturnedFactsChanged = "facts-changed" // the case changed, a rule fired or the severity rose, or it was flagged again
	ReturnedReviewDate   = "review-date"   // the in-hand review date was reached
)

// CaseOwner is who holds a case, from the latest assignment.
type CaseOwner struct {
	CaseID string    `db:"case_id" json:"case_id"`
	Owner  string    `db:"owner" json:"owner"`
	By     string    `db:"created_by" json:"by"`
	At     time.Time `db:"-" json:"at"`
}

// LetterReply is a school's reply to an assurance letter.
type LetterReply struct {
	ID        int64     `db:"id" json:"-"`
	LetterID  string    `db:"letter_id" json:"letter_id,omitempty"`
	Received  Date      `db:"received" json:"received"`
	Assurance string    `db:"assurance" json:"assurance"` // adequate, partial or inadequate
	Note      string    `db:"note" json:"note"`           // free text: never logged
	By        string    `db:"created_by" json:"by"`
	At        time.Time `db:"-" json:"at"`
}

// Reminder is a reminder letter for an assurance letter overdue a reply: at most one per letter,
// kept in the same ledger as the letters (its own template).
type Reminder struct {
	LetterID string    `db:"letter_id" json:"letter_id"` // the letter it chases
	Date     Date      `db:"reminder_date" json:"date"`
	File     string    `db:"file" json:"file"` // the PDF, relative to the data folder
	SHA256   string    `db:"sha256" json:"sha256"`
	By       string    `db:"created_by" json:"by"`
	At       time.Time `db:"-" json:"at"`
}

// CaseLetter is a letter about a case as the casework sees it: when it was sent, when the reply
// is due, whether it is overdue, and the replies.
type CaseLetter struct {
	LetterID     string        `json:"letter_id"`
	LAESTAB      string        `json:"laestab,omitempty"`
	Sent         Date          `json:"sent"`
	ReplyBy      Date          `json:"reply_by"`
	Overdue      bool          `json:"overdue"`                 // reply-by date passed, no reply
	ReminderDue  bool          `json:"reminder_due,omitempty"`  // overdue for the chase period and no reminder sent yet
	ReminderSent Date          `json:"reminder_sent,omitempty"` // when a reminder was sent
	Replies      []LetterReply `json:"replies"`
}

// AuditEntry is one line of the audit log: who did what to which case, letter or child, and
// when. It never carries free text.
type AuditEntry struct {
	ID       int64     `db:"id" json:"-"`
	At       time.Time `db:"-" json:"at"`
	Person   string    `db:"person" json:"person"`
	Action   string    `db:"action" json:"action"` // "case.note", "case.in-hand", "letters.reply", "child.view", "child.export", "decisions.load", ...
	CaseID   string    `db:"case_id" json:"case_id,omitempty"`
	LetterID string    `db:"letter_id" json:"letter_id,omitempty"`
	UPN      string    `db:"upn" json:"upn,omitempty"`       // the child, for child views and exports
	Detail   string    `db:"detail" json:"detail,omitempty"` // ids, states and dates only: never free text
}

// AuditFilter selects audit entries; zero fields select everything.
type AuditFilter struct {
	CaseID  string
	CaseIDs []string // any of these cases (none given: no condition)
	Person  string
	Since   Date
}

// AgendaItem is one line of a meeting agenda: a case (or a letter about one, or a school) and
// what the meeting needs to know about it.
type AgendaItem struct {
	Section         string   `json:"section"` // one of the Section* ids
	CaseID          string   `json:"case_id"`
	UPN             string   `json:"upn"`
	Child           string   `json:"child"` // forename and surname
	LAESTAB         string   `json:"laestab"`
	School          string   `json:"school"`
	Status          string   `json:"status,omitempty"`   // the case's rule status
	Severity        string   `json:"severity,omitempty"` // the case's severity
	Why             []string `json:"why"`                // the rule explanations
	Handling        string   `json:"handling"`           // the handling state today
	Review          Date     `json:"review,omitempty"`   // in-hand: the review date
	Reason          string   `json:"reason,omitempty"`   // escalated / no-further-action: the reason
	ReturnedBecause string   `json:"returned_because,omitempty"`
	Owner           string   `json:"owner,omitempty"`     // who holds the case
	Actions         []Action `json:"actions"`             // the case's open actions
	LastNote        *Note    `json:"last_note,omitempty"` // the latest note
	LetterID        string   `json:"letter_id,omitempty"`
	Sent            Date     `json:"sent,omitempty"`
	ReplyBy         Date     `json:"reply_by,omitempty"`
	Assurance       string   `json:"assurance,omitempty"`    // assurance section: the reply's level
	DaysFlagged     int      `json:"days_flagged,omitempty"` // school days since first flagged
	Detail          string   `json:"detail,omitempty"`       // a letter's reminder state; a schools item: what is missing (compliance supplies it)
	History         []string `json:"history,omitempty"`      // the VCEC agenda: the case's history, oldest first, one dated line each
}

// Agenda is a meeting's agenda: its items in section order and what a person should know.
type Agenda struct {
	ID        string       `json:"agenda_id"` // carried inside the workbook, so a renamed copy loads the same
	Meeting   string       `json:"meeting"`   // coos or vcec
	Date      Date         `json:"date"`      // the meeting's date
	FactsAsOf Date         `json:"facts_as_of"`
	File      string       `json:"file"` // the workbook, relative to the data folder
	Sections  []string     `json:"-"`    // the sections written, in order (a section left out is not here)
	Items     []AgendaItem `json:"items"`
	Warnings  []string     `json:"warnings"`
}

// AgendaRecord is an agenda as stored: enough to check a decisions file against.
type AgendaRecord struct {
	ID        string    `db:"id" json:"agenda_id"`
	Meeting   string    `db:"meeting" json:"meeting"`
	Date      Date      `db:"meeting_date" json:"date"`
	FactsAsOf Date      `db:"facts_as_of" json:"facts_as_of"`
	By        string    `db:"created_by" json:"by"`
	At        time.Time `db:"-" json:"at"`
}

// DecisionRow is one filled-in row of an agenda workbook, as the decisions reader read it.
type DecisionRow struct {
	Row      int    `json:"row"` // as Excel numbers it
	CaseID   string `json:"case_id"`
	Decision string `json:"decision"` // one of Decisions
	Text     string `json:"text"`     // action or note text, or the reason: free text, never logged
	Owner    string `json:"owner"`
	Due      Date   `json:"due"` // due date (action) or review date (in-hand); zero when blank
	// Section is the agenda section the row was under ("" when the reader cannot tell).
	Section string `json:"section,omitempty"`
	// LetterID is the row's letter (letter items), "" otherwise.
	LetterID string `json:"letter_id,omitempty"`
}

// DecisionSheet is what the decisions reader makes of a filled-in agenda: the agenda it came from,
// the rows with a decision, how many rows were left blank, and the issues found reading it (an
// issue at row 0 is about the file as a whole). Issues use the Issue type with Column set to the
// spec's header ("Owner", "Due / review date") and the DECISION_* codes.
type DecisionSheet struct {
	AgendaID  string        `json:"agenda_id"`
	Meeting   string        `json:"meeting"`
	Date      Date          `json:"date"`
	FactsAsOf Date          `json:"facts_as_of"` // the date the agenda's facts were read, as the workbook carries it
	CaseIDs   []string      `json:"case_ids"`    // the cases on the agenda, as the workbook carries them
	Rows      []DecisionRow `json:"rows"`
	Skipped   int           `json:"skipped"` // rows with no decision
	Issues    []Issue       `json:"issues"`
}

// Decision issue codes: a row refused whole (severity error), or the file (row 0).
const (
	DecisionFileInvalid   = "DECISION_FILE_INVALID"        // not an agenda workbook pme wrote
	DecisionAgendaUnknown = "DECISION_AGENDA_UNKNOWN"      // the agenda id is not one pme recorded
	DecisionCaseUnknown   = "DECISION_CASE_UNKNOWN"        // the case id is blank or not a known case
	DecisionUnknown       = "DECISION_UNKNOWN"             // the Decision is not one of the drop-down's values
	DecisionDateMissing   = "DECISION_DATE_MISSING"        // in-hand or action without a date
	DecisionDateInvalid   = "DECISION_DATE_INVALID"        // the date cannot be read
	DecisionDatePast      = "DECISION_DATE_PAST"           // a due or review date before the meeting
	DecisionOwnerMissing  = "DECISION_OWNER_MISSING"       // an action without an owner
	DecisionTextMissing   = "DECISION_TEXT_MISSING"        // a note, action, escalation or NFA without text
	DecisionDateNotSchool = "DECISION_DATE_NOT_SCHOOL_DAY" // a warning: the review date is not a school day
	DecisionFactsChanged  = "DECISION_FACTS_CHANGED"       // a warning: applied, decided on facts of the agenda's date
	DecisionColumnMissing = "DECISION_COLUMN_MISSING"      // a required column deleted: the file is refused
	DecisionConflict      = "DECISION_CONFLICT"            // two different handling decisions for one case in one file: the later row refused
	DecisionNotChosen     = "DECISION_NOT_CHOSEN"          // a warning: text typed but no Decision chosen; the row is skipped
)

// DecisionResult is what applying a decisions file did (`pme load decisions --json`).
type DecisionResult struct {
	File      string   `json:"file"`
	AgendaID  string   `json:"agenda_id"`
	Meeting   string   `json:"meeting"`
	Date      Date     `json:"date"`
	Applied   int      `json:"applied"`   // rows applied now
	Unchanged int      `json:"unchanged"` // rows already applied from this agenda before (the same file again)
	Skipped   int      `json:"skipped"`   // rows with no decision
	Refused   int      `json:"refused"`   // rows refused whole
	Issues    []Issue  `json:"issues"`
	Warnings  []string `json:"warnings"`
}

// ChildEntry is one dated line of a child's history (`pme child`).
type ChildEntry struct {
	Date     Date      `json:"date"`
	At       time.Time `json:"at,omitzero"` // when recorded, for entries made by a person
	Kind     string    `json:"kind"`        // record, firing, status, letter, reminder, reply, action, action-status, note, handling, owner
	CaseID   string    `json:"case_id,omitempty"`
	LetterID string    `json:"letter_id,omitempty"`
	LAESTAB  string    `json:"laestab,omitempty"`
	School   string    `json:"school,omitempty"`
	File     string    `json:"file,omitempty"` // the school's file the record came from
	Summary  string    `json:"summary"`        // what happened, in words
	By       string    `json:"by,omitempty"`
}

// ChildHistory is one child's whole history in date order.
type ChildHistory struct {
	UPN     string       `json:"upn"`
	Child   string       `json:"child"` // forename and surname
	DOB     Date         `json:"dob"`
	Entries []ChildEntry `json:"entries"`
}

// Child history entry kinds.
const (
	EntryRecord       = "record"        // a row a school returned about the child
	EntryFiring       = "firing"        // a rule fired
	EntryStatus       = "status"        // the case's status changed
	EntryLetter       = "letter"        // an assurance letter was sent
	EntryReminder     = "reminder"      // a reminder letter was sent
	EntryReply        = "reply"         // a school replied to a letter
	EntryAction       = "action"        // an action was agreed
	EntryActionStatus = "action-status" // an action was done or cancelled
	EntryNote         = "note"          // a note was written
	EntryHandling     = "handling"      // a handling decision
	EntryOwner        = "owner"         // the case was assigned
)

// CaseworkRow is the casework beside one case in the flagged-case workbook: its Handling, Owner,
// Open actions (count, earliest due) and Last note date columns.
type CaseworkRow struct {
	Handling     string `json:"handling"`
	Owner        string `json:"owner"`
	OpenActions  int    `json:"open_actions"`
	EarliestDue  Date   `json:"earliest_due"`
	LastNoteDate Date   `json:"last_note_date"`
}

// CaseworkReport is the casework the flagged-case workbook shows: a row per case id, and the
// Summary's overdue actions and overdue letter replies.
type CaseworkReport struct {
	Cases          map[string]CaseworkRow `json:"cases"`
	OverdueActions int                    `json:"overdue_actions"`
	OverdueReplies int                    `json:"overdue_replies"`
}
