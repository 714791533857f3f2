package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"pme"
)

// Casework (casework.md): actions, notes, handling decisions, owners, letter replies, reminder
// letters, agendas and the decisions applied from them, and the audit log. Every table is
// append-only (the migration's triggers refuse UPDATE and DELETE): an action's done or cancelled
// is a later event, a handling decision supersedes the one before.

// CaseworkWrite is everything one casework operation records. WriteCasework writes it all in one
// transaction, its audit entries included, so that nothing is ever half-applied.
type CaseworkWrite struct {
	Actions        []pme.Action // new actions, recorded open
	ActionStatuses []ActionStatus
	Notes          []pme.Note
	Handling       []pme.HandlingDecision
	Owners         []pme.CaseOwner
	Replies        []pme.LetterReply
	Reminders      []pme.Reminder
	Agendas        []pme.AgendaRecord
	Applied        []AppliedDecision
	Audit          []pme.AuditEntry
}

// ActionStatus marks an action done or cancelled.
type ActionStatus struct {
	ActionID string
	Status   string // done or cancelled
	By       string
	At       time.Time
}

// AppliedDecision is one decision row applied from an agenda, by the key of what it decided: the
// same row loaded again finds its key and changes nothing.
type AppliedDecision struct {
	AgendaID string
	Key      string
	Row      int
	CaseID   string
	Decision string
	By       string
	At       time.Time
}

// WriteCasework records w in one transaction. A second reminder for the same letter, an applied
// decision recorded twice, or a status for an unknown action fails the whole write.
func (s *Store) WriteCasework(ctx context.Context, w CaseworkWrite) error {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		ex := func(q string, args ...any) error {
			_, err := tx.ExecContext(ctx, tx.Rebind(q), args...)
			return err
		}
		for _, a := range w.Actions {
			if err := ex(`INSERT INTO case_action (id, case_id, text, owner, due, meeting, meeting_date, facts_of, created_by, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, a.CaseID, a.Text, a.Owner, a.Due, a.Meeting, a.MeetDate, a.FactsOf, a.By, timestamp(a.At)); err != nil {
				return fmt.Errorf("action: %w", err)
			}
			if err := ex(`INSERT INTO case_action_event (action_id, status, created_by, created_at) VALUES (?, ?, ?, ?)`,
				a.ID, pme.ActionOpen, a.By, timestamp(a.At)); err != nil {
				return fmt.Errorf("action event: %w", err)
			}
		}
		for _, st := range w.ActionStatuses {
			if err := ex(`INSERT INTO case_action_event (action_id, status, created_by, created_at) VALUES (?, ?, ?, ?)`,
				st.ActionID, st.Status, st.By, timestamp(st.At)); err != nil {
				return fmt.Errorf("action status: %w", err)
			}
		}
		for _, n := range w.Notes {
			if err := ex(`INSERT INTO case_note (case_id, text, facts_of, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
				n.CaseID, n.Text, n.FactsOf, n.By, timestamp(n.At)); err != nil {
				return fmt.Errorf("note: %w", err)
			}
		}
		for _, h := range w.Handling {
			if err := ex(`INSERT INTO case_handling (case_id, state, review, reason, day, source, facts_of, created_by, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, h.CaseID, h.State, h.Review, h.Reason, h.Day, h.Source, h.FactsOf, h.By, timestamp(h.At)); err != nil {
				return fmt.Errorf("handling: %w", err)
			}
		}
		for _, o := range w.Owners {
			if err := ex(`INSERT INTO case_owner (case_id, owner, created_by, created_at) VALUES (?, ?, ?, ?)`,
				o.CaseID, o.Owner, o.By, timestamp(o.At)); err != nil {
				return fmt.Errorf("owner: %w", err)
			}
		}
		for _, r := range w.Replies {
			if err := ex(`INSERT INTO letter_reply (letter_id, received, assurance, note, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				r.LetterID, r.Received, r.Assurance, r.Note, r.By, timestamp(r.At)); err != nil {
				return fmt.Errorf("letter reply: %w", err)
			}
		}
		for _, r := range w.Reminders {
			if err := ex(`INSERT INTO letter_reminder (letter_id, reminder_date, file, sha256, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				r.LetterID, r.Date, r.File, r.SHA256, r.By, timestamp(r.At)); err != nil {
				return fmt.Errorf("reminder: %w", err)
			}
		}
		for _, a := range w.Agendas {
			if err := ex(`INSERT INTO agenda (id, meeting, meeting_date, facts_as_of, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				a.ID, a.Meeting, a.Date, a.FactsAsOf, a.By, timestamp(a.At)); err != nil {
				return fmt.Errorf("agenda: %w", err)
			}
		}
		for _, d := range w.Applied {
			if err := ex(`INSERT INTO decision_applied (agenda_id, row_key, row_num, case_id, decision, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				d.AgendaID, d.Key, d.Row, d.CaseID, d.Decision, d.By, timestamp(d.At)); err != nil {
				return fmt.Errorf("applied decision: %w", err)
			}
		}
		for _, e := range w.Audit {
			if err := ex(`INSERT INTO audit_log (at, person, action, case_id, letter_id, upn, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				timestamp(e.At), e.Person, e.Action, e.CaseID, e.LetterID, e.UPN, e.Detail); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write casework: %w", err)
	}
	return nil
}

// Audit appends entries to the audit log on their own (a view of a child's record, an export).
func (s *Store) Audit(ctx context.Context, entries ...pme.AuditEntry) error {
	return s.WriteCasework(ctx, CaseworkWrite{Audit: entries})
}

// Case returns one case with its findings; ErrNotFound when there is no case with that id.
func (s *Store) Case(ctx context.Context, id string) (*pme.Case, error) {
	var c pme.Case
	if err := s.db.GetContext(ctx, &c, s.db.Rebind(`SELECT `+caseColumns+` FROM cases WHERE id = ?`), id); err != nil {
		return nil, fmt.Errorf("find case %s: %w", id, notFound(err))
	}
	var fs []findingRow
	if err := s.db.SelectContext(ctx, &fs, s.db.Rebind(`SELECT case_id, position, rule, severity, explanation, laestab
		FROM case_finding WHERE case_id = ? ORDER BY position`), id); err != nil {
		return nil, fmt.Errorf("load case %s findings: %w", id, err)
	}
	for _, f := range fs {
		c.Findings = append(c.Findings, pme.Finding{Rule: f.Rule, Severity: f.Severity, Explanation: f.Explanation, LAESTAB: f.LAESTAB})
		c.Rules = append(c.Rules, f.Rule)
	}
	return &c, nil
}

// CaseIDs returns which of ids are cases.
func (s *Store) CaseIDs(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	cond, arg := s.inList("id", ids)
	var found []string
	if err := s.db.SelectContext(ctx, &found, s.db.Rebind(`SELECT id FROM cases WHERE `+cond), arg); err != nil {
		return nil, fmt.Errorf("find cases: %w", err)
	}
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

// CaseRecords is the casework recorded about cases, each list oldest first.
type CaseRecords struct {
	Actions  []pme.Action // each with its latest status
	Notes    []pme.Note
	Handling []pme.HandlingDecision
	Owners   []pme.CaseOwner
}

type actionRow struct {
	pme.Action
	Created   timestamp `db:"created_at"`
	StatusAtT timestamp `db:"status_at"`
	StatusByS *string   `db:"status_by"`
}

// action is the row's action with its latest status and who set it (done or cancelled only).
func (r actionRow) action() pme.Action {
	a := r.Action
	a.At = time.Time(r.Created)
	a.AgreedAt = pme.AgreedLabel(a.Meeting, a.MeetDate)
	if a.Status != pme.ActionOpen {
		a.StatusAt = time.Time(r.StatusAtT)
		if r.StatusByS != nil {
			a.StatusBy = *r.StatusByS
		}
	}
	return a
}

// CaseRecords returns the casework recorded about one case, or about every case when caseID is "".
func (s *Store) CaseRecords(ctx context.Context, caseID string) (CaseRecords, error) {
	var out CaseRecords
	where, args := "", []any{}
	if caseID != "" {
		where, args = " WHERE case_id = ?", []any{caseID}
	}
	var actions []actionRow
	// The latest event of each action is its status; the open event made with it is the first.
	cond := ""
	if caseID != "" {
		cond = " AND a.case_id = ?"
	}
	q := `SELECT a.id, a.case_id, a.text, a.owner, a.due, a.meeting, a.meeting_date, a.facts_of, a.created_by, a.created_at,
			e.status, e.created_by AS status_by, e.created_at AS status_at
		FROM case_action a JOIN case_action_event e ON e.action_id = a.id
		WHERE e.id = (SELECT MAX(id) FROM case_action_event WHERE action_id = a.id)` + cond + `
		ORDER BY a.created_at, a.id`
	if err := s.db.SelectContext(ctx, &actions, s.db.Rebind(q), args...); err != nil {
		return out, fmt.Errorf("load actions: %w", err)
	}
	for _, r := range actions {
		out.Actions = append(out.Actions, r.action())
	}

	var notes []struct {
		pme.Note
		Created timestamp `db:"created_at"`
	}
	if err := s.db.SelectContext(ctx, &notes, s.db.Rebind(`SELECT id, case_id, text, facts_of, created_by, created_at FROM case_note`+where+` ORDER BY id`), args...); err != nil {
		return out, fmt.Errorf("load notes: %w", err)
	}
	for _, n := range notes {
		n.Note.At = time.Time(n.Created)
		out.Notes = append(out.Notes, n.Note)
	}

	var hs []struct {
		pme.HandlingDecision
		Created timestamp `db:"created_at"`
	}
	if err := s.db.SelectContext(ctx, &hs, s.db.Rebind(`SELECT id, case_id, state, review, reason, day, source, facts_of, created_by, created_at
		FROM case_handling`+where+` ORDER BY id`), args...); err != nil {
		return out, fmt.Errorf("load handling: %w", err)
	}
	for _, h := range hs {
		h.HandlingDecision.At = time.Time(h.Created)
		out.Handling = append(out.Handling, h.HandlingDecision)
	}

	var os []struct {
		pme.CaseOwner
		Created timestamp `db:"created_at"`
	}
	if err := s.db.SelectContext(ctx, &os, s.db.Rebind(`SELECT case_id, owner, created_by, created_at FROM case_owner`+where+` ORDER BY id`), args...); err != nil {
		return out, fmt.Errorf("load owners: %w", err)
	}
	for _, o := range os {
		o.CaseOwner.At = time.Time(o.Created)
		out.Owners = append(out.Owners, o.CaseOwner)
	}
	return out, nil
}

// Action returns one action with its latest status; ErrNotFound when there is none.
func (s *Store) Action(ctx context.Context, id string) (*pme.Action, error) {
	var r actionRow
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT a.id, a.case_id, a.text, a.owner, a.due, a.meeting, a.meeting_date, a.facts_of,
			a.created_by, a.created_at, e.status, e.created_by AS status_by, e.created_at AS status_at
		FROM case_action a JOIN case_action_event e ON e.action_id = a.id
		WHERE a.id = ? AND e.id = (SELECT MAX(id) FROM case_action_event WHERE action_id = a.id)`), id)
	if err != nil {
		return nil, fmt.Errorf("find action %s: %w", id, notFound(err))
	}
	a := r.action()
	return &a, nil
}

// LetterReplies returns the replies to one letter, or to every letter when letterID is "", oldest
// first.
func (s *Store) LetterReplies(ctx context.Context, letterID string) ([]pme.LetterReply, error) {
	where, args := "", []any{}
	if letterID != "" {
		where, args = " WHERE letter_id = ?", []any{letterID}
	}
	var rows []struct {
		pme.LetterReply
		Created timestamp `db:"created_at"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT id, letter_id, received, assurance, note, created_by, created_at
		FROM letter_reply`+where+` ORDER BY id`), args...); err != nil {
		return nil, fmt.Errorf("load letter replies: %w", err)
	}
	out := make([]pme.LetterReply, len(rows))
	for i, r := range rows {
		out[i] = r.LetterReply
		out[i].At = time.Time(r.Created)
	}
	return out, nil
}

// Reminders returns every reminder letter recorded, by letter id.
func (s *Store) Reminders(ctx context.Context) (map[string]pme.Reminder, error) {
	var rows []struct {
		pme.Reminder
		Created timestamp `db:"created_at"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT letter_id, reminder_date, file, sha256, created_by, created_at FROM letter_reminder`); err != nil {
		return nil, fmt.Errorf("load reminders: %w", err)
	}
	out := make(map[string]pme.Reminder, len(rows))
	for _, r := range rows {
		r.Reminder.At = time.Time(r.Created)
		out[r.LetterID] = r.Reminder
	}
	return out, nil
}

// Agenda returns a recorded agenda; ErrNotFound when no agenda has that id.
func (s *Store) Agenda(ctx context.Context, id string) (*pme.AgendaRecord, error) {
	var r struct {
		pme.AgendaRecord
		Created timestamp `db:"created_at"`
	}
	if err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT id, meeting, meeting_date, facts_as_of, created_by, created_at FROM agenda WHERE id = ?`), id); err != nil {
		return nil, fmt.Errorf("find agenda %s: %w", id, notFound(err))
	}
	r.AgendaRecord.At = time.Time(r.Created)
	return &r.AgendaRecord, nil
}

// LastAgenda returns the latest agenda recorded for a meeting kind with a meeting date before
// the one given; ok is false when there is none.
func (s *Store) LastAgenda(ctx context.Context, meeting string, before pme.Date) (rec pme.AgendaRecord, ok bool, err error) {
	var r struct {
		pme.AgendaRecord
		Created timestamp `db:"created_at"`
	}
	err = s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT id, meeting, meeting_date, facts_as_of, created_by, created_at FROM agenda
		WHERE meeting = ? AND meeting_date < ? ORDER BY meeting_date DESC, created_at DESC LIMIT 1`), meeting, before)
	if err != nil {
		if notFound(err) == ErrNotFound {
			return rec, false, nil
		}
		return rec, false, fmt.Errorf("last agenda: %w", err)
	}
	r.AgendaRecord.At = time.Time(r.Created)
	return r.AgendaRecord, true, nil
}

// AppliedDecisions returns the keys of the decision rows already applied from an agenda.
func (s *Store) AppliedDecisions(ctx context.Context, agendaID string) (map[string]bool, error) {
	var keys []string
	if err := s.db.SelectContext(ctx, &keys, s.db.Rebind(`SELECT row_key FROM decision_applied WHERE agenda_id = ?`), agendaID); err != nil {
		return nil, fmt.Errorf("load applied decisions: %w", err)
	}
	out := make(map[string]bool, len(keys))
	for _, k := range keys {
		out[k] = true
	}
	return out, nil
}

// AuditLog returns the audit entries f selects, oldest first.
func (s *Store) AuditLog(ctx context.Context, f pme.AuditFilter) ([]pme.AuditEntry, error) {
	var conds []string
	var args []any
	if f.CaseID != "" {
		conds, args = append(conds, "case_id = ?"), append(args, f.CaseID)
	}
	if len(f.CaseIDs) > 0 {
		cond, arg := s.inList("case_id", f.CaseIDs)
		conds, args = append(conds, cond), append(args, arg)
	}
	if f.Person != "" {
		conds, args = append(conds, "person = ?"), append(args, f.Person)
	}
	if !f.Since.IsZero() {
		conds, args = append(conds, "at >= ?"), append(args, timestamp(f.Since.Time()))
	}
	q := `SELECT id, at, person, action, case_id, letter_id, upn, detail FROM audit_log`
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	var rows []struct {
		pme.AuditEntry
		AtT timestamp `db:"at"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q+` ORDER BY id`), args...); err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	out := make([]pme.AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = r.AuditEntry
		out[i].At = time.Time(r.AtT)
	}
	return out, nil
}

// PupilsByID returns the pupils with the given ids (latest details returned), by id.
func (s *Store) PupilsByID(ctx context.Context, ids []int64) (map[int64]pme.Pupil, error) {
	out := make(map[int64]pme.Pupil, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	cond, arg := s.inList("id", ids)
	var rows []struct {
		ID int64 `db:"id"`
		pme.Pupil
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT id, upn, surname, forename, dob, gender, nc_year, sen FROM pupil WHERE `+cond), arg); err != nil {
		return nil, fmt.Errorf("load pupils: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.Pupil
	}
	return out, nil
}

// PupilByUPN returns a pupil's id and details by UPN (or a former temporary UPN since linked);
// ErrNotFound when no pupil has it.
func (s *Store) PupilByUPN(ctx context.Context, upn string) (int64, pme.Pupil, error) {
	var r struct {
		ID int64 `db:"id"`
		pme.Pupil
	}
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT id, upn, surname, forename, dob, gender, nc_year, sen FROM pupil
		WHERE upn = ? OR id IN (SELECT pupil_id FROM former_upn WHERE upn = ?)`), upn, upn)
	if err != nil {
		return 0, pme.Pupil{}, fmt.Errorf("find pupil: %w", notFound(err))
	}
	return r.ID, r.Pupil, nil
}

// CaseByPupil returns a pupil's case; ErrNotFound when the pupil has none.
func (s *Store) CaseByPupil(ctx context.Context, pupilID int64) (*pme.Case, error) {
	var id string
	if err := s.db.GetContext(ctx, &id, s.db.Rebind(`SELECT id FROM cases WHERE pupil_id = ?`), pupilID); err != nil {
		return nil, fmt.Errorf("find case of pupil: %w", notFound(err))
	}
	return s.Case(ctx, id)
}

// ReturnedRow is one row a school returned about a pupil, for a child's history: which school,
// which file and when, and what it said.
type ReturnedRow struct {
	Type     pme.ReturnType `db:"kind"`
	LAESTAB  string         `db:"laestab"`
	File     string         `db:"file"`
	Received timestamp      `db:"received"`
	Row      int            `db:"row_num"`
	Start    pme.Date       `db:"start_date"`
	End      pme.Date       `db:"end_date"`
	Hours    float64        `db:"hours"`
	Detail   string         `db:"detail"` // reason code, provider or category
}

// ReturnedRows returns every row returned about a pupil, current or replaced, oldest first.
func (s *Store) ReturnedRows(ctx context.Context, pupilID int64) ([]ReturnedRow, error) {
	q := `SELECT 'reduced-timetable' AS kind, t.laestab, f.name AS file, f.received, t.row_num, t.start_date,
			t.planned_end_date AS end_date, t.hours_per_week AS hours, t.reason AS detail
		FROM timetable t JOIN file f ON f.id = t.file_id WHERE t.pupil_id = ?
		UNION ALL
		SELECT 'alternative-provision', p.laestab, f.name, f.received, p.row_num, p.start_date, p.end_date,
			p.hours_at_provider, p.provider_name
		FROM placement p JOIN file f ON f.id = p.file_id WHERE p.pupil_id = ?
		UNION ALL
		SELECT 'suspensions', x.laestab, f.name, f.received, x.row_num, x.start_date, NULL, x.sessions, x.category
		FROM suspension x JOIN file f ON f.id = x.file_id WHERE x.pupil_id = ?
		ORDER BY 4, 5`
	var out []ReturnedRow
	if err := s.db.SelectContext(ctx, &out, s.db.Rebind(q), pupilID, pupilID, pupilID); err != nil {
		return nil, fmt.Errorf("load returned rows: %w", err)
	}
	return out, nil
}

// ReceivedAt returns when the row's file was received.
func (r ReturnedRow) ReceivedAt() time.Time { return time.Time(r.Received) }
