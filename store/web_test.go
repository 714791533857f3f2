package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"pme"
	"pme/store"
	"pme/store/storetest"
)

func TestCasePage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		day := pme.MustDate("2026-11-27")
		sev := []string{pme.SeverityLow, pme.SeverityCritical, pme.SeverityMedium, pme.SeverityHigh}
		var cases []pme.Case
		for i := 0; i < 120; i++ {
			status := []string{pme.CaseNew, pme.CaseOpen, pme.CaseChanged, pme.CaseClosed}[i%4]
			rule := []string{pme.RuleRTOverLimit, pme.RuleSuspRepeated}[i%2]
			cases = append(cases, pme.Case{ID: fmt.Sprintf("C-%08d", 200-i), PupilID: int64(i + 1), UPN: "A", Status: status,
				Severity: sev[i%4], LAESTAB: fmt.Sprintf("891000%d", i%3), FirstFlagged: day, LastChanged: day,
				Rules: []string{rule}, Findings: []pme.Finding{{Rule: rule, Severity: sev[i%4], Explanation: "why"}}})
		}
		if err := s.SaveCases(ctx, cases, nil, day); err != nil {
			t.Fatal(err)
		}
		page, total, _, err := s.CasePage(ctx, store.CaseQuery{Limit: 50})
		if err != nil || total != 90 || len(page) != 50 {
			t.Fatalf("first page: %d of %d (%v), want 50 of the 90 open", len(page), total, err)
		}
		// Most severe first, then by case id.
		if page[0].Severity != pme.SeverityCritical || page[0].ID > page[1].ID || len(page[0].Findings) != 1 {
			t.Fatalf("order: %+v then %+v", page[0], page[1])
		}
		last, _, _, _ := s.CasePage(ctx, store.CaseQuery{Limit: 50, Offset: 50})
		if len(last) != 40 || last[39].Severity != pme.SeverityLow {
			t.Fatalf("second page: %d cases, last %s", len(last), last[len(last)-1].Severity)
		}
		got, total, _, err := s.CasePage(ctx, store.CaseQuery{Status: pme.CaseNew, Rule: pme.RuleRTOverLimit, LAESTAB: "8910000", Sort: "case"})
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range got {
			if c.Status != pme.CaseNew || c.Rules[0] != pme.RuleRTOverLimit || c.LAESTAB != "8910000" || (i > 0 && got[i-1].ID > c.ID) {
				t.Fatalf("filtered case %+v", c)
			}
		}
		if total != len(got) || total == 0 {
			t.Fatalf("filtered total %d, page %d", total, len(got))
		}
		byStatus, bySeverity, err := s.OpenCaseCounts(ctx)
		if err != nil || byStatus[pme.CaseNew] != 30 || byStatus[pme.CaseClosed] != 0 || bySeverity[pme.SeverityCritical] != 30 {
			t.Fatalf("counts %v %v %v", byStatus, bySeverity, err)
		}
	})
}

// TestCaseListOrderIsIndexed: the case list's default order is read from migration 00018's index,
// not sorted anew for every page, on both backends (the index's expression must match the query's).
func TestCaseListOrderIsIndexed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		q := `SELECT c.id FROM cases c WHERE c.status <> 'closed' ORDER BY ` + store.SeverityRank + `, c.id LIMIT 50 OFFSET 100`
		var plan []string
		if s.Backend() == store.SQLite {
			var rows []struct {
				ID     int    `db:"id"`
				Parent int    `db:"parent"`
				Unused int    `db:"notused"`
				Detail string `db:"detail"`
			}
			if err := s.DB().Select(&rows, `EXPLAIN QUERY PLAN `+q); err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				plan = append(plan, r.Detail)
			}
		} else {
			// With so few rows the planner would rather sort; forbidding sorts and scans shows
			// whether the index can serve the order at all.
			tx := s.DB().MustBegin()
			defer tx.Rollback()
			tx.MustExec(`SET LOCAL enable_sort = off`)
			tx.MustExec(`SET LOCAL enable_seqscan = off`)
			if err := tx.Select(&plan, `EXPLAIN `+q); err != nil {
				t.Fatal(err)
			}
		}
		text := strings.Join(plan, "\n")
		if !strings.Contains(text, "cases_open_rank") || strings.Contains(text, "TEMP B-TREE") || strings.Contains(text, "Sort") {
			t.Fatalf("the case list's order is not read from cases_open_rank:\n%s", text)
		}
	})
}
