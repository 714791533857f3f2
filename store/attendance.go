package store

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"pme"
)

// attWriter stores a file's attendance rows inside the file's transaction (attendance.md): each
// row's pupil is matched as in returns (UPN, own or former; else surname, forename and date of
// birth among the pupils the school has returned or registered), or created; a school day's marks
// are merged into one row per pupil, school and day, replacing the session marks held; a summary
// replaces the one held for its pupil, school and period.
type attWriter struct {
	ft      *FileTx
	pending []attPending
	ids     map[string]int64 // UPN → pupil id, for the file
	staged  bool             // PostgreSQL: the file's staging table exists
	empty   bool             // PostgreSQL: att_mark held nothing when the file began staging
	marks   int              // day rows written
	sums    int

	days  []attDay
	index map[attDayKey]int
	line  []byte
}

type attPending struct {
	la    string
	pupil pme.Pupil
	row   pme.AttendanceRow
}

type attDayKey struct {
	pupil int64
	la    int32
	day   pme.Date
}

type attDay struct {
	attDayKey
	am, pm string
}

// attendance returns the file's attendance writer, started on first use.
func (ft *FileTx) attendance() *attWriter {
	if ft.att == nil {
		ft.att = &attWriter{ft: ft, ids: map[string]int64{}, index: map[attDayKey]int{}}
	}
	return ft.att
}

func (w *attWriter) add(r *pme.Record) error {
	if r.Attendance == nil {
		return fmt.Errorf("store records: row %d of type %q has no attendance detail", r.Row, r.Type)
	}
	w.pending = append(w.pending, attPending{la: r.LAESTAB, pupil: r.Pupil, row: *r.Attendance})
	if len(w.pending) >= attFlushRows {
		return w.flush()
	}
	return nil
}

// attFlushRows is how many attendance rows are gathered before their pupils are looked up and
// their marks written: a month's extract is millions of rows of a few hundred thousand pupils, and
// each flush costs round trips (the lookup, the new pupils, the COPY's restart) whatever its size.
// 50,000 rows hold about 5 MB.
const attFlushRows = 50_000

// flush resolves the pending rows' pupils and writes them.
func (w *attWriter) flush() error {
	if w == nil || len(w.pending) == 0 {
		return nil
	}
	if err := w.resolve(); err != nil {
		return fmt.Errorf("store attendance pupils: %w", err)
	}
	w.days = w.days[:0]
	clear(w.index)
	for i := range w.pending {
		p := &w.pending[i]
		id := w.ids[p.pupil.UPN]
		la, err := strconv.Atoi(p.la)
		if err != nil {
			return fmt.Errorf("store attendance: school %q is not a LAESTAB", p.la)
		}
		if !p.row.From.IsZero() {
			if err := w.summary(id, la, &p.row); err != nil {
				return err
			}
			continue
		}
		k := attDayKey{pupil: id, la: int32(la), day: p.row.Date}
		j, ok := w.index[k]
		if !ok {
			w.index[k] = len(w.days)
			w.days = append(w.days, attDay{attDayKey: k, am: p.row.AM, pm: p.row.PM})
			continue
		}
		if p.row.AM != "" {
			w.days[j].am = p.row.AM
		}
		if p.row.PM != "" {
			w.days[j].pm = p.row.PM
		}
	}
	clear(w.pending)
	w.pending = w.pending[:0]
	if len(w.days) == 0 {
		return nil
	}
	w.marks += len(w.days)
	if w.ft.s.backend == Postgres {
		return w.stagePG()
	}
	return w.upsertSQLite()
}

// resolve finds or creates the pupil of every pending row, by UPN, then by name and date of birth.
func (w *attWriter) resolve() error {
	var missing []string
	seen := map[string]bool{}
	for i := range w.pending {
		u := w.pending[i].pupil.UPN
		if _, ok := w.ids[u]; !ok && !seen[u] {
			seen[u] = true
			missing = append(missing, u)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	// A returns sheet earlier in the file may have dropped the pupils' UPN key (a first load).
	if err := w.ft.finishBulk(); err != nil {
		return err
	}
	frag, arg := w.ft.s.inList("upn", missing)
	q := `SELECT id, upn FROM pupil WHERE ` + frag
	args := []any{arg}
	if w.ft.anyFormer {
		q += ` UNION ALL SELECT pupil_id, upn FROM former_upn WHERE ` + frag
		args = append(args, arg)
	}
	var found []struct {
		ID  int64  `db:"id"`
		UPN string `db:"upn"`
	}
	if err := w.ft.tx.SelectContext(w.ft.ctx, &found, w.ft.tx.Rebind(q), args...); err != nil {
		return fmt.Errorf("find pupils: %w", err)
	}
	for _, f := range found {
		w.ids[f.UPN] = f.ID
	}
	var create []*attPending
	for i := range w.pending {
		p := &w.pending[i]
		if _, ok := w.ids[p.pupil.UPN]; ok {
			continue
		}
		if p.pupil.Surname != "" && p.pupil.Forename != "" && !p.pupil.DOB.IsZero() {
			id, err := w.byName(p)
			if err != nil {
				return err
			}
			if id != 0 {
				w.ids[p.pupil.UPN] = id
				continue
			}
		}
		w.ids[p.pupil.UPN] = 0 // to be created, once
		create = append(create, p)
	}
	return w.create(create)
}

// byName returns the one pupil the school has returned, or has marks for, with the row's surname,
// forename and date of birth; 0 when there is none or more than one.
func (w *attWriter) byName(p *attPending) (int64, error) {
	q := w.ft.tx.Rebind(`SELECT p.id FROM pupil p WHERE p.name_key = ? AND p.dob = ? AND (
		EXISTS (SELECT 1 FROM timetable r WHERE r.pupil_id = p.id AND r.laestab = ?)
		OR EXISTS (SELECT 1 FROM placement r WHERE r.pupil_id = p.id AND r.laestab = ?)
		OR EXISTS (SELECT 1 FROM suspension r WHERE r.pupil_id = p.id AND r.laestab = ?)
		OR EXISTS (SELECT 1 FROM att_mark r WHERE r.pupil_id = p.id AND r.laestab = ?))
		LIMIT 2`)
	la, _ := strconv.Atoi(p.la)
	var ids []int64
	if err := w.ft.tx.SelectContext(w.ft.ctx, &ids, q, nameKey(p.pupil.Surname, p.pupil.Forename), p.pupil.DOB,
		p.la, p.la, p.la, la); err != nil {
		return 0, fmt.Errorf("find pupil by name and date of birth: %w", err)
	}
	if len(ids) != 1 {
		return 0, nil
	}
	return ids[0], nil
}

// attCreateBatch is how many pupils one INSERT creates (8 values each, well under both backends'
// limits on bound values).
const attCreateBatch = 500

// create inserts new pupils for UPNs found nowhere. The register's details are all there is; a
// later return brings the school's own.
func (w *attWriter) create(ps []*attPending) error {
	for len(ps) > 0 {
		n := min(len(ps), attCreateBatch)
		var b strings.Builder
		b.WriteString(`INSERT INTO pupil (upn, is_temp, surname, forename, name_key, dob, nc_year, file_id) VALUES `)
		args := make([]any, 0, n*8)
		for i, p := range ps[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
			temp := pme.TemporaryUPN(p.pupil.UPN)
			if temp {
				w.ft.anyTemp = true
			}
			args = append(args, p.pupil.UPN, temp, p.pupil.Surname, p.pupil.Forename,
				nameKey(p.pupil.Surname, p.pupil.Forename), p.pupil.DOB, p.pupil.NCYear, w.ft.fileID)
		}
		b.WriteString(" RETURNING id, upn")
		var rows []struct {
			ID  int64  `db:"id"`
			UPN string `db:"upn"`
		}
		if err := w.ft.tx.SelectContext(w.ft.ctx, &rows, w.ft.tx.Rebind(b.String()), args...); err != nil {
			return fmt.Errorf("create pupils: %w", err)
		}
		for _, r := range rows {
			w.ids[r.UPN] = r.ID
		}
		ps = ps[n:]
	}
	// The returns' writer must now look every UPN up: this file has created pupils.
	w.ft.firstPupils = false
	return nil
}

// summary replaces the pupil's summary for the school and period.
func (w *attWriter) summary(id int64, la int, r *pme.AttendanceRow) error {
	q := w.ft.tx.Rebind(`INSERT INTO att_summary (pupil_id, laestab, from_date, to_date, possible, counts, file_id)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (pupil_id, laestab, from_date, to_date) DO UPDATE SET
			possible = excluded.possible, counts = excluded.counts, file_id = excluded.file_id`)
	if _, err := w.ft.tx.ExecContext(w.ft.ctx, q, id, la, r.From, r.To, r.Possible, FormatCounts(r.Counts), w.ft.fileID); err != nil {
		return fmt.Errorf("store attendance summary: %w", err)
	}
	w.sums++
	return nil
}

// FormatCounts writes a summary's counts as stored: "C2=4 E=2", codes sorted.
func FormatCounts(c map[string]int) string {
	codes := make([]string, 0, len(c))
	for k := range c {
		codes = append(codes, k)
	}
	sort.Strings(codes)
	var b strings.Builder
	for _, k := range codes {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.Itoa(c[k]))
	}
	return b.String()
}

// ParseCounts reads counts written by FormatCounts.
func ParseCounts(s string) map[string]int {
	out := map[string]int{}
	for _, f := range strings.Fields(s) {
		k, v, ok := strings.Cut(f, "=")
		if n, err := strconv.Atoi(v); ok && err == nil {
			out[k] = n
		}
	}
	return out
}

// upsertSQLite writes the day rows, each replacing the session marks it gives.
func (w *attWriter) upsertSQLite() error {
	const q = `INSERT INTO att_mark (pupil_id, laestab, day, am, pm) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (pupil_id, laestab, day) DO UPDATE SET
			am = CASE WHEN excluded.am <> '' THEN excluded.am ELSE am END,
			pm = CASE WHEN excluded.pm <> '' THEN excluded.pm ELSE pm END`
	st, err := w.ft.tx.PreparexContext(w.ft.ctx, q)
	if err != nil {
		return fmt.Errorf("store attendance marks: %w", err)
	}
	defer st.Close()
	for i := range w.days {
		d := &w.days[i]
		if _, err := st.ExecContext(w.ft.ctx, d.pupil, d.la, d.day.String(), d.am, d.pm); err != nil {
			return fmt.Errorf("store attendance marks: %w", err)
		}
	}
	return nil
}

var attStageColumns = []string{"pupil_id", "laestab", "day", "am", "pm"}

// stagePG queues the day rows' COPY into the file's staging table; finish merges it.
func (w *attWriter) stagePG() error {
	if !w.staged {
		if _, err := w.ft.tx.ExecContext(w.ft.ctx, `CREATE TEMP TABLE att_stage (pupil_id BIGINT, laestab INTEGER,
			day DATE, am TEXT COLLATE "C", pm TEXT COLLATE "C") ON COMMIT DROP`); err != nil {
			return fmt.Errorf("stage attendance marks: %w", err)
		}
		if err := w.ft.tx.GetContext(w.ft.ctx, &w.empty, `SELECT NOT EXISTS (SELECT 1 FROM att_mark)`); err != nil {
			return fmt.Errorf("stage attendance marks: %w", err)
		}
		w.staged = true
	}
	pw, ok := w.ft.w.(*pgWriter)
	if !ok {
		return fmt.Errorf("stage attendance marks: writer %T is not PostgreSQL's", w.ft.w)
	}
	return pw.copyLater("att_stage", attStageColumns, len(w.days), func(b []byte, i int) ([]byte, error) {
		d := &w.days[i]
		b = strconv.AppendInt(b, d.pupil, 10)
		b = append(b, '\t')
		b = strconv.AppendInt(b, int64(d.la), 10)
		b = appendCopyDate(b, d.day) // these three write their tab first
		b = appendCopyField(b, d.am)
		b = appendCopyField(b, d.pm)
		return append(b, '\n'), nil
	})
}

// finish merges the staged marks (PostgreSQL) and records the file's attendance sheets. A day given
// twice in the file (its AM and PM far apart) is one row; each session given replaces the one held.
func (w *attWriter) finish(sheets []endedSheet) error {
	if w == nil {
		return nil
	}
	if err := w.flush(); err != nil {
		return err
	}
	if w.staged {
		q := `INSERT INTO att_mark (pupil_id, laestab, day, am, pm)
			SELECT pupil_id, laestab, day, max(am), max(pm) FROM att_stage GROUP BY pupil_id, laestab, day`
		if w.empty {
			// A first load (the table was empty when the file began): no conflict to look for, and
			// rows in key order fill the key page by page. Should another load have stored marks
			// since, a clash fails this file whole, and a rerun takes the other path.
			q += ` ORDER BY pupil_id, laestab, day`
		} else {
			q += ` ON CONFLICT (pupil_id, laestab, day) DO UPDATE SET
				am = CASE WHEN excluded.am <> '' THEN excluded.am ELSE att_mark.am END,
				pm = CASE WHEN excluded.pm <> '' THEN excluded.pm ELSE att_mark.pm END`
		}
		if _, err := w.ft.tx.ExecContext(w.ft.ctx, q); err != nil {
			return fmt.Errorf("store attendance marks: %w", err)
		}
	}
	for _, sh := range sheets {
		if !sh.start.ReturnType.Attendance() {
			continue
		}
		r := &sh.res
		q := w.ft.tx.Rebind(`INSERT INTO att_sheet (file_id, position, sheet, shape, school, schools, header_row,
			rows, accepted, rejected, skipped) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if _, err := w.ft.tx.ExecContext(w.ft.ctx, q, w.ft.fileID, sh.position, sh.start.Sheet, string(sh.start.ReturnType),
			r.School, joinSchools(r.Schools), r.HeaderRow, r.Rows, r.Accepted, r.Rejected, r.Skipped); err != nil {
			return fmt.Errorf("store attendance sheet: %w", err)
		}
	}
	return nil
}

// AttendanceMarks returns the stored marks of a pupil, oldest first (for tests and the child's
// history).
func (s *Store) AttendanceMarks(ctx context.Context, pupilID int64) ([]pme.AttendanceDay, error) {
	var out []pme.AttendanceDay
	q := s.db.Rebind(`SELECT pupil_id, CAST(laestab AS TEXT) AS laestab, day, am, pm FROM att_mark WHERE pupil_id = ? ORDER BY day, laestab`)
	if err := s.db.SelectContext(ctx, &out, q, pupilID); err != nil {
		return nil, fmt.Errorf("load attendance marks: %w", err)
	}
	return out, nil
}

// AttendanceCounts returns how many day rows and summaries are stored.
func (s *Store) AttendanceCounts(ctx context.Context) (days, summaries int, err error) {
	err = s.db.QueryRowxContext(ctx, `SELECT (SELECT COUNT(*) FROM att_mark), (SELECT COUNT(*) FROM att_summary)`).Scan(&days, &summaries)
	if err != nil {
		return 0, 0, fmt.Errorf("count attendance: %w", err)
	}
	return days, summaries, nil
}

// AttendanceSummary is a stored summary of a pupil's sessions at a school over a period.
type AttendanceSummary struct {
	PupilID  int64          `db:"pupil_id"`
	LAESTAB  string         `db:"laestab"`
	From     pme.Date       `db:"from_date"`
	To       pme.Date       `db:"to_date"`
	Possible int            `db:"possible"`
	Text     string         `db:"counts"`
	Counts   map[string]int `db:"-"`
}

// AttendanceSummaries returns every stored summary.
func (s *Store) AttendanceSummaries(ctx context.Context) ([]AttendanceSummary, error) {
	var out []AttendanceSummary
	q := `SELECT pupil_id, CAST(laestab AS TEXT) AS laestab, from_date, to_date, possible, counts FROM att_summary ORDER BY pupil_id, laestab, from_date`
	if err := s.db.SelectContext(ctx, &out, q); err != nil {
		return nil, fmt.Errorf("load attendance summaries: %w", err)
	}
	for i := range out {
		out[i].Counts = ParseCounts(out[i].Text)
	}
	return out, nil
}

// attCodeSQL is a CASE counting col's sessions whose code satisfies keep (1 or 0).
func attCodeSQL(col string, keep func(pme.AttendanceCode) bool) string {
	var in []string
	for _, c := range pme.AttendanceCodes() {
		if keep(c) {
			in = append(in, "'"+strings.ReplaceAll(c.Code, "'", "''")+"'")
		}
	}
	return "CASE WHEN " + col + " IN (" + strings.Join(in, ", ") + ") THEN 1 ELSE 0 END"
}

// bothSessions adds a session count over am and pm.
func bothSessions(keep func(pme.AttendanceCode) bool) string {
	return "(" + attCodeSQL("am", keep) + " + " + attCodeSQL("pm", keep) + ")"
}

func isCode(code string) func(pme.AttendanceCode) bool {
	return func(c pme.AttendanceCode) bool { return c.Code == code }
}

// AttendanceQuery says what the attendance rules need aggregated: the academic year up to the run
// date, the first days of the recent windows, and the attendance line below which a pupil's
// figures are kept whatever else they show.
type AttendanceQuery struct {
	YearStart, Today    pme.Date
	C2From, BFrom, From pme.Date // windows: C2, B, any mark
	Percent             float64
}

// AttendanceFacts aggregates the register for the rules in one pass over the year's marks: per
// pupil and school, the possible and present sessions, the recent C2 and B sessions and their
// first and last days, and the days coded E. Only pairs the rules may fire on are returned: some
// C2, B or E, attendance below the line, or a current reduced timetable (ATT_RT_NOT_CODED).
// Summaries count for a pupil and school with no marks this year.
func (r *Reader) AttendanceFacts(q AttendanceQuery) ([]pme.AttendanceFact, error) {
	possible := bothSessions(func(c pme.AttendanceCode) bool { return c.Possible })
	present := bothSessions(func(c pme.AttendanceCode) bool { return c.Present })
	c2 := bothSessions(isCode("C2"))
	b := bothSessions(isCode("B"))
	e := bothSessions(isCode("E"))
	eDay := `CAST(day AS TEXT) || ':' || CAST(` + e + ` AS TEXT)`
	agg := `string_agg(CASE WHEN am = 'E' OR pm = 'E' THEN ` + eDay + ` END, ' ')`
	if r.sqlite {
		agg = `group_concat(CASE WHEN am = 'E' OR pm = 'E' THEN ` + eDay + ` END, ' ')`
	}
	inner := `SELECT pupil_id, laestab,
		SUM(` + possible + `) AS possible,
		SUM(` + present + `) AS present,
		MAX(day) AS last_mark,
		SUM(CASE WHEN day >= ? THEN 1 ELSE 0 END) AS recent_days,
		SUM(CASE WHEN day >= ? THEN ` + c2 + ` ELSE 0 END) AS recent_c2,
		MIN(CASE WHEN day >= ? AND (am = 'C2' OR pm = 'C2') THEN day END) AS c2_from,
		MAX(CASE WHEN day >= ? AND (am = 'C2' OR pm = 'C2') THEN day END) AS c2_to,
		SUM(CASE WHEN day >= ? THEN ` + b + ` ELSE 0 END) AS recent_b,
		MIN(CASE WHEN day >= ? AND (am = 'B' OR pm = 'B') THEN day END) AS b_from,
		MAX(CASE WHEN day >= ? AND (am = 'B' OR pm = 'B') THEN day END) AS b_to,
		SUM(` + c2 + `) AS year_c2,
		MIN(CASE WHEN am = 'C2' OR pm = 'C2' THEN day END) AS year_c2_from,
		MAX(CASE WHEN am = 'C2' OR pm = 'C2' THEN day END) AS year_c2_to,
		SUM(` + e + `) AS year_e,
		COALESCE(` + agg + `, '') AS e_days
		FROM att_mark WHERE day >= ? AND day <= ?
		GROUP BY pupil_id, laestab`
	query := `SELECT pupil_id, CAST(laestab AS TEXT) AS laestab, possible, present, last_mark, recent_days, recent_c2,
		c2_from, c2_to, recent_b, b_from, b_to, year_c2, year_c2_from, year_c2_to, e_days
		FROM (` + inner + `) a
		WHERE recent_c2 > 0 OR recent_b > 0 OR year_e > 0 OR present * 100 < possible * CAST(? AS DOUBLE PRECISION)
		OR pupil_id IN (SELECT pupil_id FROM timetable WHERE is_current)`
	var out []pme.AttendanceFact
	err := r.sel(&out, query, q.From, q.C2From, q.C2From, q.C2From, q.BFrom, q.BFrom, q.BFrom,
		q.YearStart, q.Today, q.Percent)
	if err != nil {
		return nil, fmt.Errorf("aggregate attendance: %w", err)
	}
	var sums []AttendanceSummary
	err = r.sel(&sums, `SELECT pupil_id, CAST(laestab AS TEXT) AS laestab, from_date, to_date, possible, counts
		FROM att_summary s WHERE to_date >= ? AND from_date <= ? AND NOT EXISTS (
			SELECT 1 FROM att_mark m WHERE m.pupil_id = s.pupil_id AND m.laestab = s.laestab AND m.day >= ?)
		ORDER BY pupil_id, laestab, from_date`, q.YearStart, q.Today, q.YearStart)
	if err != nil {
		return nil, fmt.Errorf("load attendance summaries: %w", err)
	}
	return append(out, summaryFacts(sums, q)...), nil
}

// summaryFacts turns summaries into facts: their counts add to the year's figures, and their C2
// and B count as recent when the whole period lies in the window.
func summaryFacts(sums []AttendanceSummary, q AttendanceQuery) []pme.AttendanceFact {
	var out []pme.AttendanceFact
	for _, s := range sums {
		counts := ParseCounts(s.Text)
		if len(out) == 0 || out[len(out)-1].PupilID != s.PupilID || out[len(out)-1].LAESTAB != s.LAESTAB {
			out = append(out, pme.AttendanceFact{PupilID: s.PupilID, LAESTAB: s.LAESTAB})
		}
		f := &out[len(out)-1]
		f.Possible += s.Possible
		for code, n := range counts {
			if c, ok := pme.LookupAttendanceCode(code); ok && c.Present {
				f.Present += n
			}
		}
		if s.To.After(f.LastMark) {
			f.LastMark = s.To
		}
		if n := counts["C2"]; n > 0 {
			f.YearC2 += n
			if f.YearC2From.IsZero() {
				f.YearC2From = s.From
			}
			f.YearC2To = s.To
			if !s.From.Before(q.C2From) {
				f.RecentC2 += n
				if f.C2From.IsZero() {
					f.C2From = s.From
				}
				f.C2To = s.To
			}
		}
		if n := counts["B"]; n > 0 && !s.From.Before(q.BFrom) {
			f.RecentB += n
			if f.BFrom.IsZero() {
				f.BFrom = s.From
			}
			f.BTo = s.To
		}
	}
	return out
}

// TimetableReturns returns the date of each school's latest accepted reduced-timetable sheet,
// nil returns included.
func (r *Reader) TimetableReturns() (map[string]pme.Date, error) {
	var rows []struct {
		Schools  string `db:"schools"`
		Received string `db:"received"`
	}
	err := r.sel(&rows, `SELECT fs.schools, CAST(MAX(f.received) AS TEXT) AS received FROM file_sheet fs JOIN file f ON f.id = fs.file_id
		WHERE fs.return_type = 'reduced-timetable' AND f.status IN ('accepted', 'partial') GROUP BY fs.schools`)
	if err != nil {
		return nil, fmt.Errorf("load reduced-timetable returns: %w", err)
	}
	out := map[string]pme.Date{}
	for _, row := range rows {
		d, err := pme.ParseISO(row.Received[:min(10, len(row.Received))])
		if err != nil {
			continue
		}
		for _, la := range splitSchools(row.Schools) {
			if d.After(out[la]) {
				out[la] = d
			}
		}
	}
	return out, nil
}
