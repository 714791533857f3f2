// Package caseworktest helps tests fill in an agenda workbook as a person would.
package caseworktest

import (
	"testing"

	"github.com/xuri/excelize/v2"

	"pme"
)

// FillAgenda fills the decision columns of the agenda workbook at src, as a person would in Excel
// (the date as dd/mm/yyyy text), and saves it as dst: decisions maps a case id to its Decision,
// Action / note text, Owner and Due / review date.
func FillAgenda(t testing.TB, src, dst string, decisions map[string][4]string) {
	t.Helper()
	f, err := excelize.OpenFile(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Agenda")
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	header := -1
	for i, r := range rows {
		for j, c := range r {
			if c == pme.ColumnCaseID {
				header = i
			}
			if header == i {
				col[c] = j + 1
			}
		}
		if header >= 0 {
			break
		}
	}
	if header < 0 || col[pme.ColumnDecision] == 0 || col[pme.ColumnDue] == 0 {
		t.Fatalf("no header row with the decision columns in %s", src)
	}
	done := map[string]bool{}
	for i := header + 1; i < len(rows); i++ {
		r := rows[i]
		if col[pme.ColumnCaseID] > len(r) {
			continue
		}
		id := r[col[pme.ColumnCaseID]-1]
		d, ok := decisions[id]
		if !ok || done[id] {
			continue
		}
		done[id] = true
		for k, name := range []string{pme.ColumnDecision, pme.ColumnText, pme.ColumnOwner, pme.ColumnDue} {
			cell, _ := excelize.CoordinatesToCellName(col[name], i+1)
			if err := f.SetCellStr("Agenda", cell, d[k]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(done) != len(decisions) {
		t.Fatalf("filled %v, want rows for every case in %v", done, decisions)
	}
	if err := f.SaveAs(dst); err != nil {
		t.Fatal(err)
	}
}
