package web

import (
	"net/http"
	"slices"

	"pme"
	"pme/pipeline"
	"pme/reports"
)

// returnsData is the Returns page: the grid of the workbook's Returns sheet, its periods newest
// first so that the current one is in view on a narrow screen.
type returnsData struct {
	Grid     pipeline.ReturnsGrid
	Periods  []pme.Period // newest first
	Rows     []gridRow
	Statuses []pme.ReturnStatus // the filter's choices, worst first
}

type gridRow struct {
	LAESTAB, School string
	Cells           []reports.ReturnsCell // newest period first, each period's types in order
}

// newestFirst lays the sheet out newest period first.
func newestFirst(rs *reports.ReturnsSheet) ([]pme.Period, []gridRow) {
	if rs == nil {
		return nil, nil
	}
	n := len(rs.Types)
	periods := slices.Clone(rs.Periods)
	slices.Reverse(periods)
	rows := make([]gridRow, len(rs.Rows))
	for i, r := range rs.Rows {
		rows[i] = gridRow{LAESTAB: r.LAESTAB, School: r.School, Cells: make([]reports.ReturnsCell, 0, len(r.Cells))}
		for p := len(rs.Periods) - 1; p >= 0; p-- {
			rows[i].Cells = append(rows[i].Cells, r.Cells[p*n:(p+1)*n]...)
		}
	}
	return periods, rows
}

// returnsPage shows who has returned what (compliance.md): the Returns sheet's grid, the last six
// periods by return type, worst first; ?status= keeps the schools with that status now.
func (s *Server) returnsPage(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	g, err := e.ReturnsPage(r.Context(), r.URL.Query().Get("status"))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	periods, rows := newestFirst(g.Sheet)
	s.renderAsAt(w, r, e, "returns", &view{Title: "Returns", Nav: "returns",
		Data: returnsData{Grid: g, Periods: periods, Rows: rows, Statuses: returnStatuses}})
}

var returnStatuses = []pme.ReturnStatus{pme.StatusMissing, pme.StatusRejectedOnly, pme.StatusLate,
	pme.StatusNotDue, pme.StatusNil, pme.StatusReturned}

// schoolReturns shows one school's returns for a period (pme returns --school) and, for those who
// may see feedback, the files it sent with their feedback to download. The view is audited.
func (s *Server) schoolReturns(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	u := userOf(r)
	page, err := e.SchoolReturns(r.Context(), r.URL.Query().Get("period"), r.PathValue("laestab"))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if !u.Uploads() {
		page.Files = nil // feedback is for the Information and Systems Team and practitioners
	}
	if err := e.AuditView(r.Context(), u.Email, "returns.view", pme.AuditEntry{Detail: "school=" + page.School.LAESTAB}); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.renderAsAt(w, r, e, "returns-school", &view{Title: "Returns: " + page.School.School, Nav: "returns", Data: page})
}
