package pipeline

import (
	"context"
	"errors"
	"slices"

	"pme"
	"pme/reports"
	"pme/store"
)

// ReturnsGrid is the web's Returns page: the Returns sheet of the flagged-case workbook (the last
// SheetPeriods periods, worst first) and the current period's counts. Problem says, in a person's
// words, why there is no grid (compliance not configured, no GIAS extract loaded).
type ReturnsGrid struct {
	Sheet   *reports.ReturnsSheet
	Current pme.Period // the period holding the run date
	Status  string     // the status the rows were filtered by: schools with it in the current period
	Missing int        // schools missing a return in the current period
	Problem string
}

// ReturnsPage computes the grid as the report's Returns sheet does, keeping only the schools with
// a cell of that status in the current period when status is given.
func (e *Env) ReturnsPage(ctx context.Context, status string) (ReturnsGrid, error) {
	c, err := e.CurrentCompliance(ctx, HistoryPeriods)
	var ue UsageError
	switch {
	case errors.As(err, &ue):
		return ReturnsGrid{Problem: ue.Msg}, nil
	case errors.Is(err, ErrNoSchools):
		return ReturnsGrid{Problem: err.Error()}, nil
	case err != nil:
		return ReturnsGrid{}, err
	}
	rg := ReturnsGrid{Sheet: ReturnsSheetOf(c), Current: c.Grid.Periods[len(c.Grid.Periods)-1], Missing: missingSchools(c)}
	if status != "" && slices.Contains(reports.ReturnsStatusOrder, pme.ReturnStatus(status)) {
		rg.Status = status
		n := len(rg.Sheet.Types)
		rows := rg.Sheet.Rows[:0:0]
		for _, r := range rg.Sheet.Rows {
			if slices.ContainsFunc(r.Cells[len(r.Cells)-n:], func(c reports.ReturnsCell) bool { return string(c.Status) == status }) {
				rows = append(rows, r)
			}
		}
		rg.Sheet.Rows = rows
	}
	return rg, nil
}

// missingSchools counts the schools with at least one return missing in the grid's last period.
func missingSchools(c *Compliance) int {
	g, n := c.Grid, 0
	for s := range g.Schools {
		if len(g.MissingTypes(s, len(g.Periods)-1)) > 0 {
			n++
		}
	}
	return n
}

// MissingReturns is the home page's count of schools missing a return in the current period;
// ok is false when compliance is not configured or no GIAS extract is loaded.
func (e *Env) MissingReturns(ctx context.Context) (n int, ok bool, err error) {
	c, err := e.CurrentCompliance(ctx, HistoryPeriods)
	var ue UsageError
	if errors.As(err, &ue) || errors.Is(err, ErrNoSchools) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return missingSchools(c), true, nil
}

// SchoolReturnsPage is one school on the Returns page: its returns for the period (pme returns
// --school) and the files received from it in the grid's periods, newest first.
type SchoolReturnsPage struct {
	Returns ReturnsSummary
	School  SchoolReturns
	Types   []string
	Files   []store.ReceivedFile
}

// SchoolReturns returns one school's returns for a period (as pme returns --period P --school S)
// and the files it sent over the grid's periods, accepted or refused, with their feedback's issue
// count. ErrNotFound when the school is not expected to return.
func (e *Env) SchoolReturns(ctx context.Context, period, laestab string) (SchoolReturnsPage, error) {
	sum, err := e.Returns(ctx, period, laestab)
	var ue UsageError
	if errors.As(err, &ue) {
		return SchoolReturnsPage{}, store.ErrNotFound
	}
	if err != nil {
		return SchoolReturnsPage{}, err
	}
	page := SchoolReturnsPage{Returns: sum, Types: e.Config.Returns.Types}
	for _, s := range sum.Schools {
		if s.LAESTAB == laestab {
			page.School = s
		}
	}
	if page.School.LAESTAB == "" {
		page.School = SchoolReturns{LAESTAB: laestab}
		if page.School.School, err = e.Store.SchoolName(ctx, laestab); err != nil {
			return page, err
		}
	}
	c, err := e.CurrentCompliance(ctx, HistoryPeriods)
	if err != nil {
		return page, err
	}
	var ids []int64
	for _, r := range c.Receipts {
		if r.LAESTAB == laestab && !slices.Contains(ids, r.FileID) {
			ids = append(ids, r.FileID)
		}
	}
	for _, f := range c.Rejected {
		if f.CountsFor(laestab) && !slices.Contains(ids, f.FileID) {
			ids = append(ids, f.FileID)
		}
	}
	page.Files, err = e.Store.FilesByID(ctx, ids)
	return page, err
}
