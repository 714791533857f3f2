package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"pme"
)

// Rows per multi-row INSERT: well under both backends' limits on bound parameters (SQLite 32,766,
// PostgreSQL 65,535) at 14 columns, and few enough round trips for 100,000 cases.
const caseBatch = 500

const caseColumns = `id, pupil_id, upn, status, severity, laestab, plan, letter_due, vulnerable, fingerprint,
	first_flagged, last_changed, closed_on, close_reason`

var (
	caseColumnList = strings.Split(strings.Join(strings.Fields(caseColumns), ""), ",")
	findingColumns = []string{"case_id", "position", "rule", "severity", "explanation", "laestab"}
	eventColumns   = []string{"case_id", "day", "status", "note"}
)

// Cases returns every case, closed ones included, ordered by pupil, with its findings and rules.
func (s *Store) Cases(ctx context.Context) ([]pme.Case, error) {
	return s.Reader(ctx).Cases(AllPupils)
}

// Cases returns the range's cases, closed ones included, ordered by pupil, with their findings and
// rules.
func (r *Reader) Cases(rg PupilRange) ([]pme.Case, error) {
	return r.cases(`WHERE pupil_id >= ? AND pupil_id < ?`, []any{rg.From, rg.To},
		func([]pme.Case) (string, []any) {
			return `JOIN cases c ON c.id = f.case_id WHERE c.pupil_id >= ? AND c.pupil_id < ?`, []any{rg.From, rg.To}
		})
}

// cases returns the cases where (on cases) selects, with their findings, which the clauses
// findings returns for those cases select (on case_finding f).
func (r *Reader) cases(where string, args []any, findings func([]pme.Case) (string, []any)) ([]pme.Case, error) {
	cases, err := selSized[pme.Case](r, "cases", `SELECT `+caseColumns+` FROM cases `+where+` ORDER BY pupil_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("load cases: %w", err)
	}
	fwhere, fargs := findings(cases)
	rows, err := selSized[findingRow](r, "findings", `SELECT f.case_id, f.position, f.rule, f.severity, f.explanation, f.laestab
		FROM case_finding f `+fwhere+`
		ORDER BY f.case_id, f.position`, fargs...)
	if err != nil {
		return nil, fmt.Errorf("load case findings: %w", err)
	}
	at := make(map[string]int, len(cases))
	for i := range cases {
		at[cases[i].ID] = i
	}
	for _, f := range rows {
		i, ok := at[f.CaseID]
		if !ok {
			continue
		}
		c := &cases[i]
		c.Findings = append(c.Findings, pme.Finding{Rule: f.Rule, Severity: f.Severity, Explanation: f.Explanation, LAESTAB: f.LAESTAB})
		c.Rules = append(c.Rules, f.Rule)
	}
	return cases, nil
}

type findingRow struct {
	CaseID      string `db:"case_id"`
	Position    int    `db:"position"`
	Rule        string `db:"rule"`
	Severity    string `db:"severity"`
	Explanation string `db:"explanation"`
	LAESTAB     string `db:"laestab"`
}

// SaveCases writes the cases and events of a whole run in one transaction (see FlagRun.SaveCases),
// and records that the rules ran on runDate. The next flag run then evaluates every pupil: the
// facts hashes of the last one do not describe these cases.
func (s *Store) SaveCases(ctx context.Context, cases []pme.Case, events []pme.CaseEvent, runDate pme.Date) error {
	return s.Flag(ctx, runDate, func(f *FlagRun) (int, error) {
		if err := forgetFlagContext(f); err != nil {
			return 0, err
		}
		open := 0
		for _, c := range cases {
			if c.Status != pme.CaseClosed {
				open++
			}
		}
		ids := make([]string, len(cases))
		for i, c := range cases {
			ids[i] = c.ID
		}
		return open, f.SaveCases(cases, ids, events)
	})
}

// flagCacheKB is SQLite's page cache during a flag run, in KiB.
const flagCacheKB = 16 << 10

// FlagRun is one run of the rules: it reads the facts and cases a range of pupils at a time and
// writes each range's cases back, all in one transaction, so that a run is stored whole or not at
// all, and the ranges read one snapshot (repeatable read on PostgreSQL; SQLite's transactions are
// serializable).
type FlagRun struct {
	*Reader
	s     *Store
	tx    *sqlx.Tx
	conn  *sqlx.Conn            // tx's connection, on PostgreSQL (see copyRows)
	stmts map[string]*sqlx.Stmt // full batches' statements, prepared once (see exec)
	temps map[string]bool       // temporary tables made in the run (see mergeRows)
	buf   []byte                // COPY text, reused
	args  []any                 // one row's values, reused
	// statsFresh is set once the cases' statistics are known to be fresh (see freshStats).
	statsFresh bool
}

// freshStats refreshes the statistics of cases and case_finding before the run first reads or
// writes cases, when a tenth of their rows or more changed since they were last analyzed (the last
// run's writes, typically): without them the planner, knowing nothing of the cases the last run
// wrote, deletes findings by scanning the whole table, once per batch. A sample costs well under a
// second, but a rerun with nothing changed reads no cases, and one after a rerun that wrote few
// needs no new statistics: run on every flag, the ANALYZE was most of such a rerun's time (1.4 s
// of 2.4 s on the shared machine, 469,440 cases).
func (f *FlagRun) freshStats() error {
	if f.statsFresh {
		return nil
	}
	f.statsFresh = true
	var stale bool
	const q = `SELECT COALESCE(bool_or((last_analyze IS NULL AND last_autoanalyze IS NULL)
			OR n_mod_since_analyze > 1000 + n_live_tup / 10), TRUE)
		FROM pg_stat_user_tables WHERE relid IN ('cases'::regclass, 'case_finding'::regclass)`
	if err := f.tx.GetContext(f.ctx, &stale, q); err != nil {
		return fmt.Errorf("case statistics: %w", err)
	}
	if !stale {
		return nil
	}
	if _, err := f.tx.ExecContext(f.ctx, `ANALYZE cases, case_finding`); err != nil {
		return fmt.Errorf("case statistics: %w", err)
	}
	return nil
}

// Cases returns the range's cases, as Reader.Cases, with fresh statistics (see freshStats).
func (f *FlagRun) Cases(rg PupilRange) ([]pme.Case, error) {
	if err := f.freshStats(); err != nil {
		return nil, err
	}
	return f.Reader.Cases(rg)
}

// Flag runs fn in a flag run's transaction and records that the rules ran on runDate (unless it is
// zero), with the number of cases fn reports left open.
func (s *Store) Flag(ctx context.Context, runDate pme.Date, fn func(f *FlagRun) (open int, err error)) error {
	var opts *sql.TxOptions
	if s.backend == Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead}
	}
	if s.backend == SQLite {
		// Without foreign key checks, and with OR FAIL on the writes (see insertVerb), no write of
		// the run needs a statement journal: a copy of every page a statement changes, first in
		// memory and then, past 64 KiB, in a temporary file. That copying was a quarter of a first
		// run (469,440 new cases: 30-32 s with 9.3 s system time, against 25 s with 5.7 s). The run
		// writes only findings and events of the cases it has just written, as PostgreSQL, which has
		// no such keys (migration 00007), relies on. The setting is the connection's (SQLite's pool
		// has one: see Open), and cannot change inside a transaction: it is set before the run and
		// restored after.
		if _, err := s.db.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
			return fmt.Errorf("begin flag run: %w", err)
		}
		defer s.db.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`)
	}
	// On PostgreSQL the run has a connection of its own, to stream COPY data on (see copyRows).
	var conn *sqlx.Conn
	begin := s.db.BeginTxx
	if s.backend == Postgres {
		var err error
		if conn, err = s.db.Connx(ctx); err != nil {
			return fmt.Errorf("begin flag run: %w", err)
		}
		defer conn.Close()
		begin = conn.BeginTxx
	}
	tx, err := begin(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin flag run: %w", err)
	}
	defer tx.Rollback()
	if s.backend == SQLite {
		// The run's inserts go to random places in the case-id indexes, and miss SQLite's default
		// 2 MB page cache on most rows: a read from the operating system for each. 16 MB measured
		// 469,000 new cases at 49 s and 144 MB RSS, against 56 s and 112 MB.
		if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -`+strconv.Itoa(flagCacheKB)); err != nil {
			return fmt.Errorf("begin flag run: %w", err)
		}
		defer func() {
			// The rollback first: the connection is the transaction's until it ends. The cache is
			// restored even after a cancelled run.
			tx.Rollback()
			s.db.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = -2000`)
		}()
	}
	f := &FlagRun{Reader: &Reader{ctx: ctx, q: tx, sqlite: s.backend == SQLite}, s: s, tx: tx, conn: conn,
		stmts: map[string]*sqlx.Stmt{}, temps: map[string]bool{}, args: make([]any, 0, 14),
		statsFresh: s.backend != Postgres}
	open, err := fn(f)
	if err != nil {
		return err
	}
	if err := recordFlagRun(ctx, tx, open, runDate); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save cases: %w", err)
	}
	return nil
}

// SaveCases writes cases (inserted or updated by id) with their findings, and appends the events.
// replaced names the cases among them that were stored before, whose findings are deleted first:
// a new case has none to delete.
func (f *FlagRun) SaveCases(cases []pme.Case, replaced []string, events []pme.CaseEvent) error {
	ctx := f.ctx
	if err := f.freshStats(); err != nil {
		return err
	}
	if len(replaced) > 0 {
		// One statement for the lot, through the index (see Flag for the statistics it needs).
		cond, arg := f.s.inList("case_id", replaced)
		if _, err := f.tx.ExecContext(ctx, f.tx.Rebind(`DELETE FROM case_finding WHERE `+cond), arg); err != nil {
			return fmt.Errorf("save cases: delete findings: %w", err)
		}
	}
	if f.s.backend == SQLite {
		// In id order, a range's new cases and findings go into the case-id keys (random ids) page
		// after page, rather than back and forth over keys larger than the page cache: 1-2 s less
		// CPU in a first run over 469,440 cases. Events keep their order: their ids order reports.
		cases = slices.Clone(cases)
		slices.SortFunc(cases, func(a, b pme.Case) int { return strings.Compare(a.ID, b.ID) })
	}
	if err := f.writeCases(cases, replaced); err != nil {
		return fmt.Errorf("save cases: %w", err)
	}
	if err := f.insertFindings(cases); err != nil {
		return fmt.Errorf("save cases: %w", err)
	}
	if err := f.insertEvents(events); err != nil {
		return fmt.Errorf("save cases: %w", err)
	}
	return nil
}

// writeCases inserts or updates the cases. On SQLite, the cases replaced names are updated and the
// others inserted, each without a statement journal (see Flag): an upsert's update part checks its
// constraints with ABORT, whatever the statement says, and so needs one. PostgreSQL copies the
// new cases in and upserts the others.
func (f *FlagRun) writeCases(cases []pme.Case, replaced []string) error {
	stored := make(map[string]bool, len(replaced))
	for _, id := range replaced {
		stored[id] = true
	}
	var added, updated []pme.Case
	for _, c := range cases {
		if stored[c.ID] {
			updated = append(updated, c)
		} else {
			added = append(added, c)
		}
	}
	if f.conn != nil {
		// PostgreSQL: new cases by COPY (see copyRows), stored ones merged (see mergeRows).
		err := f.copyRows("cases", caseColumnList, len(added), func(i int) []any { return caseArgs(f.args[:0], added[i:i+1]) })
		if err == nil {
			err = f.mergeRows("cases", caseColumnList, "id", len(updated), func(i int) []any { return caseArgs(f.args[:0], updated[i:i+1]) })
		}
		return err
	}
	for start := 0; start < len(added); start += caseBatch {
		if err := f.insertCases(added[start:min(start+caseBatch, len(added))]); err != nil {
			return err
		}
	}
	var missing []pme.Case
	for _, c := range updated {
		n, err := f.updateCase(c)
		if err != nil {
			return err
		}
		if n == 0 {
			missing = append(missing, c)
		}
	}
	// Cases not stored after all (Store.SaveCases names every case) are upserted.
	for start := 0; start < len(missing); start += caseBatch {
		if err := f.upsertCases(missing[start:min(start+caseBatch, len(missing))]); err != nil {
			return err
		}
	}
	return nil
}

// caseArgs appends the cases' columns, in caseColumns order, to args.
func caseArgs(args []any, cases []pme.Case) []any {
	for _, c := range cases {
		args = append(args, c.ID, c.PupilID, c.UPN, c.Status, c.Severity, c.LAESTAB, c.Plan, c.LetterDue,
			c.Vulnerable, c.Fingerprint, c.FirstFlagged, c.LastChanged, c.ClosedOn, c.CloseReason)
	}
	return args
}

// insertCases inserts new cases (SQLite).
func (f *FlagRun) insertCases(cases []pme.Case) error {
	q := `INSERT OR FAIL INTO cases (` + caseColumns + `) VALUES ` + values(len(cases), 14)
	if err := f.exec(q, len(cases) == caseBatch, caseArgs(make([]any, 0, len(cases)*14), cases)); err != nil {
		return fmt.Errorf("insert cases: %w", err)
	}
	return nil
}

// updateCase updates a stored case by id (SQLite) and returns how many rows it changed: 0 or 1.
func (f *FlagRun) updateCase(c pme.Case) (int64, error) {
	const q = `UPDATE OR FAIL cases SET pupil_id = ?, upn = ?, status = ?, severity = ?, laestab = ?, plan = ?,
		letter_due = ?, vulnerable = ?, fingerprint = ?, first_flagged = ?, last_changed = ?, closed_on = ?,
		close_reason = ? WHERE id = ?`
	args := caseArgs(make([]any, 0, 15), []pme.Case{c})
	args = append(args[1:], c.ID) // the columns after id, then the id
	res, err := f.execResult(q, true, args)
	if err != nil {
		return 0, fmt.Errorf("update case: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("update case: %w", err)
	}
	return n, nil
}

func (f *FlagRun) upsertCases(cases []pme.Case) error {
	var q strings.Builder
	q.WriteString(`INSERT INTO cases (` + caseColumns + `) VALUES `)
	q.WriteString(values(len(cases), 14))
	args := caseArgs(make([]any, 0, len(cases)*14), cases)
	q.WriteString(` ON CONFLICT (id) DO UPDATE SET pupil_id = excluded.pupil_id, upn = excluded.upn,
		status = excluded.status, severity = excluded.severity, laestab = excluded.laestab, plan = excluded.plan,
		letter_due = excluded.letter_due, vulnerable = excluded.vulnerable, fingerprint = excluded.fingerprint,
		first_flagged = excluded.first_flagged, last_changed = excluded.last_changed,
		closed_on = excluded.closed_on, close_reason = excluded.close_reason`)
	if err := f.exec(q.String(), len(cases) == caseBatch, args); err != nil {
		return fmt.Errorf("upsert cases: %w", err)
	}
	return nil
}

// exec runs q in the run's transaction. A full batch's statement is the same text every time: it
// is prepared once for the run (parsing and planning 500 rows cost about 4 ms a batch on
// PostgreSQL).
func (f *FlagRun) exec(q string, full bool, args []any) error {
	_, err := f.execResult(q, full, args)
	return err
}

func (f *FlagRun) execResult(q string, full bool, args []any) (sql.Result, error) {
	q = f.tx.Rebind(q)
	if !full {
		return f.tx.ExecContext(f.ctx, q, args...)
	}
	st := f.stmts[q]
	if st == nil {
		var err error
		if st, err = f.tx.PreparexContext(f.ctx, q); err != nil {
			return nil, err
		}
		f.stmts[q] = st
	}
	return st.ExecContext(f.ctx, args...)
}

// insertVerb starts the INSERT of a case's findings or events: on SQLite OR FAIL, which stops the
// statement at a broken constraint without undoing its earlier rows, and so needs no statement
// journal (see Flag). A run that fails is rolled back whole either way.
func (f *FlagRun) insertVerb() string {
	if f.s.backend == SQLite {
		return "INSERT OR FAIL INTO"
	}
	return "INSERT INTO"
}

// TakenCaseIDs returns which of ids a stored case holds, this run's cases included.
func (f *FlagRun) TakenCaseIDs(ids []string) (map[string]bool, error) {
	cond, arg := f.s.inList("id", ids)
	var taken []string
	if err := f.sel(&taken, `SELECT id FROM cases WHERE `+cond, arg); err != nil {
		return nil, fmt.Errorf("check case ids: %w", err)
	}
	out := make(map[string]bool, len(taken))
	for _, id := range taken {
		out[id] = true
	}
	return out, nil
}

// copyRows copies n rows into table on PostgreSQL, row giving the i-th row's values: a first run
// writes about 470,000 cases, as many findings and events, and as multi-row INSERTs they took 10 s
// of the server's time in a 29 s run.
func (f *FlagRun) copyRows(table string, cols []string, n int, row func(i int) []any) error {
	text, err := encodeLines(f.buf[:0], n, valueLines(row))
	f.buf = text[:0]
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return copyAll(f.ctx, f.conn, table, cols, text)
}

// insertFindings inserts the cases' findings.
func (f *FlagRun) insertFindings(cases []pme.Case) error {
	if f.conn != nil {
		type at struct{ c, pos int }
		var all []at
		for i := range cases {
			for pos := range cases[i].Findings {
				all = append(all, at{i, pos})
			}
		}
		return f.copyRows("case_finding", findingColumns, len(all), func(i int) []any {
			c := &cases[all[i].c]
			fd := &c.Findings[all[i].pos]
			return append(f.args[:0], c.ID, all[i].pos, fd.Rule, fd.Severity, fd.Explanation, fd.LAESTAB)
		})
	}
	var rows []any
	n := 0
	for _, c := range cases {
		for pos, fd := range c.Findings {
			rows = append(rows, c.ID, pos, fd.Rule, fd.Severity, fd.Explanation, fd.LAESTAB)
			n++
		}
	}
	const cols = 6
	for start := 0; start < n; start += caseBatch * 2 {
		end := min(start+caseBatch*2, n)
		q := f.insertVerb() + ` case_finding (case_id, position, rule, severity, explanation, laestab) VALUES ` + values(end-start, cols)
		if err := f.exec(q, end-start == caseBatch*2, rows[start*cols:end*cols]); err != nil {
			return fmt.Errorf("insert case findings: %w", err)
		}
	}
	return nil
}

func (f *FlagRun) insertEvents(events []pme.CaseEvent) error {
	if f.conn != nil {
		return f.copyRows("case_event", eventColumns, len(events), func(i int) []any {
			e := &events[i]
			return append(f.args[:0], e.CaseID, e.Date, e.Status, e.Note)
		})
	}
	const cols = 4
	for start := 0; start < len(events); start += caseBatch * 2 {
		batch := events[start:min(start+caseBatch*2, len(events))]
		args := make([]any, 0, len(batch)*cols)
		for _, e := range batch {
			args = append(args, e.CaseID, e.Date, e.Status, e.Note)
		}
		q := f.insertVerb() + ` case_event (case_id, day, status, note) VALUES ` + values(len(batch), cols)
		if err := f.exec(q, len(batch) == caseBatch*2, args); err != nil {
			return fmt.Errorf("insert case events: %w", err)
		}
	}
	return nil
}

// recordFlagRun notes the day the rules ran and how many cases were not closed.
func recordFlagRun(ctx context.Context, tx *sqlx.Tx, open int, day pme.Date) error {
	if day.IsZero() {
		return nil
	}
	q := `INSERT INTO flag_run (day, cases) VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET cases = excluded.cases`
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), day, open); err != nil {
		return fmt.Errorf("record flag run: %w", err)
	}
	return nil
}

// values returns "(?, ?), (?, ?)" for rows rows of cols columns.
func values(rows, cols int) string {
	row := "(?" + strings.Repeat(", ?", cols-1) + ")"
	return row + strings.Repeat(", "+row, rows-1)
}

// CaseEvents returns a case's history, oldest first.
func (s *Store) CaseEvents(ctx context.Context, caseID string) ([]pme.CaseEvent, error) {
	var evs []pme.CaseEvent
	q := s.db.Rebind(`SELECT case_id, day, status, note FROM case_event WHERE case_id = ? ORDER BY id`)
	if err := s.db.SelectContext(ctx, &evs, q, caseID); err != nil {
		return nil, fmt.Errorf("load case events: %w", err)
	}
	return evs, nil
}

// CaseEventsSince returns every case's status changes dated after the given day, oldest first:
// what is new, changed or closed since the last report.
func (s *Store) CaseEventsSince(ctx context.Context, after pme.Date) ([]pme.CaseEvent, error) {
	var evs []pme.CaseEvent
	if after.IsZero() {
		after = pme.NewDate(1900, 1, 1) // no report yet: everything is since (year 1 would be the zero Date, NULL)
	}
	q := s.db.Rebind(`SELECT case_id, day, status, note FROM case_event WHERE day > ? ORDER BY id`)
	if err := s.db.SelectContext(ctx, &evs, q, after); err != nil {
		return nil, fmt.Errorf("load case events: %w", err)
	}
	return evs, nil
}

// LastFlagDate returns the latest run date the rules ran for; ok is false when they never ran.
func (s *Store) LastFlagDate(ctx context.Context) (day pme.Date, ok bool, err error) {
	if err := s.db.GetContext(ctx, &day, `SELECT MAX(day) FROM flag_run`); err != nil {
		return pme.Date{}, false, fmt.Errorf("last flag date: %w", err)
	}
	return day, !day.IsZero(), nil
}

// LastReportDate returns the latest day a flagged-case report was recorded for; ok is false when
// none was. A report rewritten on the same day should ask ReportBefore instead.
func (s *Store) LastReportDate(ctx context.Context) (day pme.Date, ok bool, err error) {
	if err := s.db.GetContext(ctx, &day, `SELECT MAX(day) FROM report`); err != nil {
		return pme.Date{}, false, fmt.Errorf("last report date: %w", err)
	}
	return day, !day.IsZero(), nil
}

// ReportBefore returns the latest report day before the given one: "since the last report" for a
// report written, or written again, on that day.
func (s *Store) ReportBefore(ctx context.Context, before pme.Date) (day pme.Date, ok bool, err error) {
	q := s.db.Rebind(`SELECT MAX(day) FROM report WHERE day < ?`)
	if err := s.db.GetContext(ctx, &day, q, before); err != nil {
		return pme.Date{}, false, fmt.Errorf("last report date: %w", err)
	}
	return day, !day.IsZero(), nil
}

// RecordReport records that the report for date was written, with its files; writing it again on
// the same date replaces the record.
func (s *Store) RecordReport(ctx context.Context, date pme.Date, files []string) error {
	q := s.db.Rebind(`INSERT INTO report (day, files) VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET files = excluded.files`)
	if _, err := s.db.ExecContext(ctx, q, date, strings.Join(files, "\n")); err != nil {
		return fmt.Errorf("record report: %w", err)
	}
	return nil
}
