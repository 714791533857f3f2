package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"pme"
)

// PupilRange is the pupils whose ids are in [From, To), and among those only the ones Only lists
// (in order) when it is not nil. The rules run a range of pupils at a time, so that memory holds
// one range's facts and cases, never the whole country's; a rerun reads only the pupils that may
// have changed (FlagRun.ChangedSince).
type PupilRange struct {
	From, To int64
	Only     []int64
}

// rangeCond returns the condition that col, a pupil id, is in the range, and its arguments.
func (r *Reader) rangeCond(col string, rg PupilRange) (string, []any) {
	cond, args := col+` >= ? AND `+col+` < ?`, []any{rg.From, rg.To}
	if rg.Only != nil {
		in, arg := listCond(r.sqlite, col, rg.Only)
		cond, args = cond+` AND `+in, append(args, arg)
	}
	return cond, args
}

// AllPupils is every pupil.
var AllPupils = PupilRange{From: math.MinInt64, To: math.MaxInt64}

// queryer is what the reads run on: the database, or a flag run's transaction (on SQLite, with its
// one connection, every read of the run must go through the transaction).
type queryer interface {
	sqlx.QueryerContext
	Rebind(query string) string
}

// Reader reads the facts the rules need and the cases they keep, a range of pupils at a time.
type Reader struct {
	ctx    context.Context
	q      queryer
	sqlite bool
	sizes  map[string]int // rows each query last returned (see selSized)
}

// Reader returns a Reader straight on the database.
func (s *Store) Reader(ctx context.Context) *Reader {
	return &Reader{ctx: ctx, q: s.db, sqlite: s.backend == SQLite}
}

func (r *Reader) sel(dest any, query string, args ...any) error {
	return sqlx.SelectContext(r.ctx, r.q, dest, r.q.Rebind(query), args...)
}

// selSized selects into a slice made with room for the rows the same query returned for the
// previous range, and a little more: ranges are of a size, and a slice grown row by row copied
// each range's 60,000 suspensions about twice (1.3 s of a first flag run over 1M suspensions).
func selSized[T any](r *Reader, name, query string, args ...any) ([]T, error) {
	out := sizedFor[T](r, name)
	if err := r.sel(&out, query, args...); err != nil {
		return nil, err
	}
	return sized(r, name, out), nil
}

// scanSized is selSized for the largest reads: each row's columns are scanned straight into the
// fields fields lists (in the query's order, appended to the slice it is given), without sqlx's
// reflection, which was a fifth of reading a first flag run's 1,000,000 suspensions on SQLite.
func scanSized[T any](r *Reader, name, query string, fields func(row *T, dest []any) []any, args ...any) ([]T, error) {
	out := sizedFor[T](r, name)
	rows, err := r.q.QueryxContext(r.ctx, r.q.Rebind(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var dest []any
	var zero T
	for rows.Next() {
		out = append(out, zero)
		dest = fields(&out[len(out)-1], dest[:0])
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return sized(r, name, out), nil
}

// sizedFor returns an empty slice with room for what the query name returned last time.
func sizedFor[T any](r *Reader, name string) []T {
	n := r.sizes[name]
	return make([]T, 0, n+n/8)
}

// sized notes how many rows the query name returned, and returns them (nil for none, as sel
// leaves it).
func sized[T any](r *Reader, name string, out []T) []T {
	if r.sizes == nil {
		r.sizes = map[string]int{}
	}
	r.sizes[name] = len(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

// MaxPupilID returns the highest pupil id held by a pupil or a case (a case may outlive its pupil,
// merged into another), 0 when there is none.
func (r *Reader) MaxPupilID() (int64, error) {
	var n sql.NullInt64
	err := sqlx.GetContext(r.ctx, r.q, &n, `SELECT MAX(id) FROM (SELECT MAX(id) AS id FROM pupil
		UNION ALL SELECT MAX(pupil_id) FROM cases) AS m`)
	if err != nil {
		return 0, fmt.Errorf("highest pupil id: %w", err)
	}
	return n.Int64, nil
}

// Pupils returns the range's pupils with the latest details returned and any former (temporary)
// UPNs, ordered by id.
func (r *Reader) Pupils(rg PupilRange) ([]pme.StoredPupil, error) {
	cond, args := r.rangeCond("id", rg)
	pupils, err := scanSized(r, "pupils", `SELECT id, upn, surname, forename, dob, gender, nc_year, sen
		FROM pupil WHERE `+cond+` ORDER BY id`, func(p *pme.StoredPupil, dest []any) []any {
		return append(dest, &p.ID, &p.UPN, &p.Surname, &p.Forename, &p.DOB, &p.Gender, &p.NCYear, &p.SEN)
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("load pupils: %w", err)
	}
	former, err := r.formerUPNs(rg)
	if err != nil {
		return nil, err
	}
	for i := range pupils {
		pupils[i].FormerUPNs = former[pupils[i].ID]
	}
	return pupils, nil
}

func (r *Reader) formerUPNs(rg PupilRange) (map[int64][]string, error) {
	var former []struct {
		UPN     string `db:"upn"`
		PupilID int64  `db:"pupil_id"`
	}
	cond, args := r.rangeCond("pupil_id", rg)
	if err := r.sel(&former, `SELECT upn, pupil_id FROM former_upn WHERE `+cond+`
		ORDER BY pupil_id, upn`, args...); err != nil {
		return nil, fmt.Errorf("load former UPNs: %w", err)
	}
	by := make(map[int64][]string, len(former))
	for _, f := range former {
		by[f.PupilID] = append(by[f.PupilID], f.UPN)
	}
	return by, nil
}

// EachPupil calls fn with every pupil, in id order, one row at a time: matching social care
// plans looks at every pupil but keeps only the few that could match.
func (r *Reader) EachPupil(fn func(pme.StoredPupil) error) error {
	former, err := r.formerUPNs(AllPupils)
	if err != nil {
		return err
	}
	rows, err := r.q.QueryxContext(r.ctx, `SELECT id, upn, surname, forename, dob, gender, nc_year, sen FROM pupil ORDER BY id`)
	if err != nil {
		return fmt.Errorf("load pupils: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p pme.StoredPupil
		if err := rows.StructScan(&p); err != nil {
			return fmt.Errorf("load pupils: %w", err)
		}
		p.FormerUPNs = former[p.ID]
		if err := fn(p); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load pupils: %w", err)
	}
	return nil
}

// Timetables returns the range's reduced timetables in the schools' current snapshots, rows kept
// from an earlier snapshot included (Stale set), ordered by pupil, school and start date.
func (r *Reader) Timetables(rg PupilRange) ([]pme.StoredTimetable, error) {
	cond, args := r.rangeCond("pupil_id", rg)
	q := `SELECT id, pupil_id, laestab, stale, received, start_date, planned_end_date, actual_end_date,
		hours_per_week, reason, parental_agreement, review_date
		FROM timetable WHERE is_current AND ` + cond + ` ORDER BY pupil_id, laestab, start_date, id`
	out, err := selSized[pme.StoredTimetable](r, "timetables", q, args...)
	if err != nil {
		return nil, fmt.Errorf("load current timetables: %w", err)
	}
	return out, nil
}

// Placements returns the range's AP placements in the schools' current snapshots, rows kept from
// an earlier snapshot included (Stale set), ordered by pupil, school and start date.
func (r *Reader) Placements(rg PupilRange) ([]pme.StoredPlacement, error) {
	cond, args := r.rangeCond("pupil_id", rg)
	q := `SELECT id, pupil_id, laestab, stale, received, provider_name, provider_urn, provider_ukprn,
		provider_registered, start_date, end_date, hours_at_provider, hours_at_school, reason
		FROM placement WHERE is_current AND ` + cond + ` ORDER BY pupil_id, laestab, start_date, id`
	out, err := selSized[pme.StoredPlacement](r, "placements", q, args...)
	if err != nil {
		return nil, fmt.Errorf("load current placements: %w", err)
	}
	return out, nil
}

// Suspensions returns the range's suspension and exclusion events, each as last returned, ordered
// by pupil and start date.
func (r *Reader) Suspensions(rg PupilRange) ([]pme.StoredSuspension, error) {
	order := `pupil_id, start_date, laestab, category`
	if r.sqlite {
		// The order of the events' key, which SQLite then reads without sorting them (a third of
		// the query's time); the few events of a pupil on one day at two schools are put in
		// order below. Text compares byte by byte in SQLite, as in Go. PostgreSQL's collation may
		// not, so it sorts.
		order = `pupil_id, start_date, category, laestab`
	}
	cond, args := r.rangeCond("pupil_id", rg)
	q := `SELECT id, pupil_id, laestab, received, category, start_date, sessions, reason, reason2, reason3,
		sixth_day_provision FROM suspension WHERE ` + cond + ` ORDER BY ` + order
	out, err := scanSized(r, "suspensions", q, func(e *pme.StoredSuspension, dest []any) []any {
		return append(dest, &e.ID, &e.PupilID, &e.LAESTAB, &e.Received, &e.Category, &e.StartDate, &e.Sessions,
			&e.Reason, &e.Reason2, &e.Reason3, &e.SixthDayProvision)
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("load suspensions: %w", err)
	}
	if r.sqlite {
		sortSameDay(out)
	}
	return out, nil
}

// sortSameDay orders by school and category each run of events of one pupil on one day, in
// events ordered by pupil, day and category.
func sortSameDay(evs []pme.StoredSuspension) {
	for i := 0; i < len(evs); {
		j := i + 1
		for j < len(evs) && evs[j].PupilID == evs[i].PupilID && evs[j].StartDate.Equal(evs[i].StartDate) {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(evs[i:j], func(a, b pme.StoredSuspension) int {
				return cmp.Or(strings.Compare(a.LAESTAB, b.LAESTAB), strings.Compare(a.Category, b.Category))
			})
		}
		i = j
	}
}

// ReturnTypes returns, for each pupil of the range, the return types (in pme.ReturnTypes order)
// the pupil appeared on since from (the start of the academic year), earlier snapshots included: a
// reduced timetable or AP placement received on or after from that had not ended before from, or
// a suspension starting on or after from. Rows since replaced by a newer snapshot still count: a
// pupil moved from a reduced timetable to AP was on both this year.
func (r *Reader) ReturnTypes(rg PupilRange, from pme.Date) (map[int64][]pme.ReturnType, error) {
	return r.returnTypes(rg, from, nil, false)
}

// ReturnTypesWith is ReturnTypes for a range whose suspension events (Suspensions) are already
// read: they say who was on a suspension return, without reading the events' key again (about 1 s
// of a flag run over 1M events on SQLite).
func (r *Reader) ReturnTypesWith(rg PupilRange, from pme.Date, suspensions []pme.StoredSuspension) (map[int64][]pme.ReturnType, error) {
	return r.returnTypes(rg, from, suspensions, true)
}

func (r *Reader) returnTypes(rg PupilRange, from pme.Date, suspensions []pme.StoredSuspension, given bool) (map[int64][]pme.ReturnType, error) {
	var rows []struct {
		PupilID int64  `db:"pupil_id"`
		Type    string `db:"type"`
	}
	cond, in := r.rangeCond("pupil_id", rg)
	q := `SELECT DISTINCT pupil_id, 'reduced-timetable' AS type FROM timetable
			WHERE ` + cond + ` AND received >= ? AND (actual_end_date IS NULL OR actual_end_date >= ?)
		UNION SELECT DISTINCT pupil_id, 'alternative-provision' AS type FROM placement
			WHERE ` + cond + ` AND received >= ? AND (end_date IS NULL OR end_date >= ?)`
	var args []any
	args = append(append(append(args, in...), from, from), in...)
	args = append(args, from, from)
	if !given {
		q += `
		UNION SELECT DISTINCT pupil_id, 'suspensions' AS type FROM suspension
			WHERE ` + cond + ` AND start_date >= ?`
		args = append(append(args, in...), from)
	}
	if err := r.sel(&rows, q, args...); err != nil {
		return nil, fmt.Errorf("load return types by pupil: %w", err)
	}
	on := map[int64]map[pme.ReturnType]bool{}
	mark := func(id int64, t pme.ReturnType) {
		if on[id] == nil {
			on[id] = map[pme.ReturnType]bool{}
		}
		on[id][t] = true
	}
	for _, r := range rows {
		mark(r.PupilID, pme.ReturnType(r.Type))
	}
	for _, s := range suspensions {
		if s.PupilID >= rg.From && s.PupilID < rg.To && !s.StartDate.IsZero() && !s.StartDate.Before(from) {
			mark(s.PupilID, pme.Suspensions)
		}
	}
	out := make(map[int64][]pme.ReturnType, len(on))
	for id, types := range on {
		for _, t := range pme.ReturnTypes {
			if types[t] {
				out[id] = append(out[id], t)
			}
		}
	}
	return out, nil
}

// CurrentTimetables returns every pupil's current reduced timetables (see Reader.Timetables).
func (s *Store) CurrentTimetables(ctx context.Context) ([]pme.StoredTimetable, error) {
	return s.Reader(ctx).Timetables(AllPupils)
}

// CurrentPlacements returns every pupil's current AP placements (see Reader.Placements).
func (s *Store) CurrentPlacements(ctx context.Context) ([]pme.StoredPlacement, error) {
	return s.Reader(ctx).Placements(AllPupils)
}

// Suspensions returns every suspension and exclusion event ever stored (see Reader.Suspensions).
func (s *Store) Suspensions(ctx context.Context) ([]pme.StoredSuspension, error) {
	return s.Reader(ctx).Suspensions(AllPupils)
}

// ReturnTypesByPupil returns the return types every pupil appeared on since from (see
// Reader.ReturnTypes).
func (s *Store) ReturnTypesByPupil(ctx context.Context, from pme.Date) (map[int64][]pme.ReturnType, error) {
	return s.Reader(ctx).ReturnTypes(AllPupils, from)
}

// Pupils returns every pupil (see Reader.Pupils).
func (s *Store) Pupils(ctx context.Context) ([]pme.StoredPupil, error) {
	return s.Reader(ctx).Pupils(AllPupils)
}
