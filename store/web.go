package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"pme"
)

// CaseQuery selects a page of the open cases for the web's case list. Empty fields select
// everything.
type CaseQuery struct {
	Status, Severity, Rule, LAESTAB, Plan string
	IDs                                   []string // when not nil, only these cases (a filter decided elsewhere)
	NotIDs                                []string // never these cases
	Sort                                  string   // "" (most severe first, then case id: pme cases' order), case, status, school, rule
	Offset, Limit                         int
}

// severityRank orders severities most severe first, as pme cases does. Migration 00018 indexes
// the open cases on it and id: the index's expression must stay the same, or every page of the
// case list sorts all the open cases again (TestCaseListOrderIsIndexed).
const severityRank = `CASE c.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END`

// CasePage returns one page of the open (not closed) cases matching q, with their findings, the
// number that match on every page, and the schools' names by LAESTAB. Paging happens in the
// database, so a page of 50 costs the same over 10,000 cases as over 100.
func (s *Store) CasePage(ctx context.Context, q CaseQuery) (cases []pme.Case, total int, schools map[string]string, err error) {
	where := []string{"c.status <> 'closed'"}
	var args []any
	for _, f := range []struct{ col, val string }{{"c.status", q.Status}, {"c.severity", q.Severity}, {"c.laestab", q.LAESTAB}, {"c.plan", q.Plan}} {
		if f.val != "" {
			where = append(where, f.col+" = ?")
			args = append(args, f.val)
		}
	}
	if q.Rule != "" {
		where = append(where, "EXISTS (SELECT 1 FROM case_finding f WHERE f.case_id = c.id AND f.rule = ?)")
		args = append(args, q.Rule)
	}
	if q.IDs != nil {
		if len(q.IDs) == 0 {
			return nil, 0, map[string]string{}, nil
		}
		cond, arg := s.inList("c.id", q.IDs)
		where = append(where, cond)
		args = append(args, arg)
	}
	if len(q.NotIDs) > 0 {
		cond, arg := s.inList("c.id", q.NotIDs)
		where = append(where, "NOT ("+cond+")")
		args = append(args, arg)
	}
	cond := strings.Join(where, " AND ")
	if err := s.db.GetContext(ctx, &total, s.db.Rebind(`SELECT COUNT(*) FROM cases c WHERE `+cond), args...); err != nil {
		return nil, 0, nil, fmt.Errorf("count cases: %w", err)
	}
	order := severityRank + `, c.id`
	switch q.Sort {
	case "case":
		order = `c.id`
	case "status":
		order = `c.status, ` + order
	case "school":
		order = `(SELECT MIN(name) FROM school s WHERE s.laestab = c.laestab), c.laestab, ` + order
	case "rule":
		order = `(SELECT MIN(rule) FROM case_finding f WHERE f.case_id = c.id AND f.position = 0), ` + order
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	cols := "c." + strings.Join(caseColumnList, ", c.")
	if err := s.db.SelectContext(ctx, &cases, s.db.Rebind(`SELECT `+cols+` FROM cases c WHERE `+cond+
		` ORDER BY `+order+` LIMIT ? OFFSET ?`), append(args, limit, q.Offset)...); err != nil {
		return nil, 0, nil, fmt.Errorf("list cases: %w", err)
	}
	schools = map[string]string{}
	if len(cases) == 0 {
		return cases, total, schools, nil
	}
	ids := make([]string, len(cases))
	var laestabs []string
	at := make(map[string]int, len(cases))
	for i, c := range cases {
		ids[i] = c.ID
		at[c.ID] = i
		laestabs = append(laestabs, c.LAESTAB)
	}
	fcond, farg := s.inList("case_id", ids)
	var fs []findingRow
	if err := s.db.SelectContext(ctx, &fs, s.db.Rebind(`SELECT case_id, position, rule, severity, explanation, laestab
		FROM case_finding WHERE `+fcond+` ORDER BY case_id, position`), farg); err != nil {
		return nil, 0, nil, fmt.Errorf("list case findings: %w", err)
	}
	for _, f := range fs {
		c := &cases[at[f.CaseID]]
		c.Findings = append(c.Findings, pme.Finding{Rule: f.Rule, Severity: f.Severity, Explanation: f.Explanation, LAESTAB: f.LAESTAB})
		c.Rules = append(c.Rules, f.Rule)
	}
	scond, sarg := s.inList("laestab", laestabs)
	var names []struct {
		LAESTAB string `db:"laestab"`
		Name    string `db:"name"`
	}
	if err := s.db.SelectContext(ctx, &names, s.db.Rebind(`SELECT laestab, name FROM school WHERE `+scond), sarg); err != nil {
		return nil, 0, nil, fmt.Errorf("list case schools: %w", err)
	}
	for _, n := range names {
		schools[n.LAESTAB] = n.Name
	}
	return cases, total, schools, nil
}

// OpenCaseCounts counts the open cases by status and by severity.
func (s *Store) OpenCaseCounts(ctx context.Context) (byStatus, bySeverity map[string]int, err error) {
	var rows []struct {
		Status   string `db:"status"`
		Severity string `db:"severity"`
		N        int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT status, severity, COUNT(*) AS n FROM cases
		WHERE status <> 'closed' GROUP BY status, severity`); err != nil {
		return nil, nil, fmt.Errorf("count open cases: %w", err)
	}
	byStatus, bySeverity = map[string]int{}, map[string]int{}
	for _, r := range rows {
		byStatus[r.Status] += r.N
		bySeverity[r.Severity] += r.N
	}
	return byStatus, bySeverity, nil
}

// SchoolName returns the name of the school with that LAESTAB, "" when it is not in the
// reference data.
func (s *Store) SchoolName(ctx context.Context, laestab string) (string, error) {
	var names []string
	if err := s.db.SelectContext(ctx, &names, s.db.Rebind(`SELECT name FROM school WHERE laestab = ? ORDER BY name LIMIT 1`), laestab); err != nil {
		return "", fmt.Errorf("find school: %w", err)
	}
	if len(names) == 0 {
		return "", nil
	}
	return names[0], nil
}

// UseFormToken records that a form's one-time token was used; ErrExists when it was used before
// (a double click, or the page sent again), so that the action is done once.
func (s *Store) UseFormToken(ctx context.Context, token string, userID int64, at time.Time) error {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO web_form (token, user_id, used_at) VALUES (?, ?, ?)
		ON CONFLICT (token) DO NOTHING`), token, userID, timestamp(at))
	if err != nil {
		return fmt.Errorf("use form token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrExists
	}
	return nil
}

// EndFormTokensBefore deletes the record of forms used before the time given: a form older than
// a session cannot be sent again anyway.
func (s *Store) EndFormTokensBefore(ctx context.Context, before time.Time) error {
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM web_form WHERE used_at < ?`), timestamp(before)); err != nil {
		return fmt.Errorf("end form tokens: %w", err)
	}
	return nil
}
