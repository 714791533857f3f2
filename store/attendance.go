package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

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
	ids     attIDs // UPN → pupil id, for the file
	staged  bool   // PostgreSQL: the file's staging table exists
	marks   int    // day rows written
	sums    int

	// PostgreSQL, a first load (see startDirect): att_mark held nothing when the file began, and
	// its key is dropped until the file ends; the day rows are copied straight into it.
	started bool     // startDirect has been tried
	key     *pgIndex // att_mark's key, dropped while the file loads
	written attWritten
	revisit []attDay // a batch's days already copied into att_mark, to be merged at the end
	// fresh: no pupil was stored when the file's attendance began, so a UPN this writer has not
	// met is a new pupil unless a returns sheet of the file created it (see resolve).
	fresh bool

	days []attDay
}

// attIDs maps the file's UPNs to their pupils' ids. A UPN is 13 characters: kept in an array, so
// that neither keys nor values hold pointers and the collector never reads the map (120,000 UPNs as
// strings were 120,000 pointers to follow in every cycle of a large load).
type attIDs struct {
	short map[[16]byte]int64
	long  map[string]int64 // longer than 15 bytes
}

func newAttIDs() attIDs {
	return attIDs{short: map[[16]byte]int64{}, long: map[string]int64{}}
}

func upnKey(upn string) (k [16]byte, ok bool) {
	if len(upn) >= len(k) {
		return k, false
	}
	copy(k[:], upn)
	k[len(k)-1] = byte(len(upn))
	return k, true
}

func (m attIDs) get(upn string) (int64, bool) {
	if k, ok := upnKey(upn); ok {
		id, found := m.short[k]
		return id, found
	}
	id, found := m.long[upn]
	return id, found
}

func (m attIDs) set(upn string, id int64) {
	if k, ok := upnKey(upn); ok {
		m.short[k] = id
		return
	}
	m.long[upn] = id
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
		ft.att = &attWriter{ft: ft, ids: newAttIDs(), fresh: ft.firstPupils}
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
// 20,000 rows hold about 5 MB; at 50,000 the rows held were a large part of what the collector
// read in every cycle.
var attFlushRows = 20_000 // a variable for the tests (see export_test.go)

// flush resolves the pending rows' pupils and writes them.
func (w *attWriter) flush() error {
	if w == nil || len(w.pending) == 0 {
		return nil
	}
	if err := w.resolve(); err != nil {
		return fmt.Errorf("store attendance pupils: %w", err)
	}
	w.days = w.days[:0]
	var (
		upn, school string
		id          int64
		la          int
	)
	for i := range w.pending {
		p := &w.pending[i]
		// A file lists a pupil's rows together, at one school: the last row's pupil and school
		// save a map access and a parse a row.
		if p.pupil.UPN != upn || i == 0 {
			upn = p.pupil.UPN
			id, _ = w.ids.get(upn)
		}
		if p.la != school || i == 0 {
			var err error
			if la, err = strconv.Atoi(p.la); err != nil {
				return fmt.Errorf("store attendance: school %q is not a LAESTAB", p.la)
			}
			school = p.la
		}
		if !p.row.From.IsZero() {
			if err := w.summary(id, la, &p.row); err != nil {
				return err
			}
			continue
		}
		// A day's AM and PM rows are next to each other in a register extract: they make one row.
		// A day given again further on makes another, merged with the first as the backend
		// writes it (see writePG and upsertSQLite).
		k := attDayKey{pupil: id, la: int32(la), day: p.row.Date}
		if n := len(w.days); n > 0 && w.days[n-1].attDayKey == k {
			d := &w.days[n-1]
			if p.row.AM != "" {
				d.am = p.row.AM
			}
			if p.row.PM != "" {
				d.pm = p.row.PM
			}
			continue
		}
		w.days = append(w.days, attDay{attDayKey: k, am: p.row.AM, pm: p.row.PM})
	}
	clear(w.pending)
	w.pending = w.pending[:0]
	if len(w.days) == 0 {
		return nil
	}
	w.marks += len(w.days)
	if w.ft.s.backend == Postgres {
		return w.writePG()
	}
	return w.upsertSQLite()
}

// resolve finds or creates the pupil of every pending row, by UPN, then by name and date of birth.
// On a first load (no pupil stored when the file's attendance began) a UPN the writer has not met
// is not looked up: it is new, unless a returns sheet of the file may have created it. A lookup
// waits for every COPY queued before it, and a month of marks for a county made a lookup a batch.
func (w *attWriter) resolve() error {
	var missing []string
	seen := map[string]bool{}
	last := ""
	for i := range w.pending {
		u := w.pending[i].pupil.UPN
		if u == last && i > 0 {
			continue
		}
		last = u
		if _, ok := w.ids.get(u); !ok && !seen[u] {
			seen[u] = true
			if !w.fresh || w.ft.created.has(u) {
				missing = append(missing, u)
			}
		}
	}
	if len(seen) == 0 {
		return nil
	}
	if len(missing) > 0 {
		if err := w.lookup(missing); err != nil {
			return err
		}
	}
	var create []*attPending
	for i := range w.pending {
		p := &w.pending[i]
		if _, ok := w.ids.get(p.pupil.UPN); ok {
			continue
		}
		if p.pupil.Surname != "" && p.pupil.Forename != "" && !p.pupil.DOB.IsZero() {
			id, err := w.byName(p)
			if err != nil {
				return err
			}
			if id != 0 {
				w.ids.set(p.pupil.UPN, id)
				continue
			}
		}
		w.ids.set(p.pupil.UPN, 0) // to be created, once
		create = append(create, p)
	}
	return w.create(create)
}

// lookup finds the pupils of these UPNs, own or former.
func (w *attWriter) lookup(missing []string) error {
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
		w.ids.set(f.UPN, f.ID)
	}
	return nil
}

// byName returns the one pupil the school has returned, or has marks for, with the row's surname,
// forename and date of birth; 0 when there is none or more than one.
func (w *attWriter) byName(p *attPending) (int64, error) {
	la, _ := strconv.Atoi(p.la)
	if w.key != nil {
		return w.byNameDirect(p, la)
	}
	q := w.ft.tx.Rebind(`SELECT p.id FROM pupil p WHERE p.name_key = ? AND p.dob = ? AND (
		EXISTS (SELECT 1 FROM timetable r WHERE r.pupil_id = p.id AND r.laestab = ?)
		OR EXISTS (SELECT 1 FROM placement r WHERE r.pupil_id = p.id AND r.laestab = ?)
		OR EXISTS (SELECT 1 FROM suspension r WHERE r.pupil_id = p.id AND r.laestab = ?)
		OR EXISTS (SELECT 1 FROM att_mark r WHERE r.pupil_id = p.id AND r.laestab = ?))
		LIMIT 2`)
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
	if len(ps) == 0 {
		return nil
	}
	if pw, ok := w.ft.w.(*pgWriter); ok {
		return w.createPG(pw, ps)
	}
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
			w.ids.set(r.UPN, r.ID)
		}
		ps = ps[n:]
	}
	// The returns' writer must now look every UPN up: this file has created pupils.
	w.ft.firstPupils = false
	return nil
}

// byNameDirect is byName while att_mark has no key (see startDirect): the marks this file wrote
// are what att_mark holds, and attWritten knows them without reading the table.
func (w *attWriter) byNameDirect(p *attPending, la int) (int64, error) {
	q := w.ft.tx.Rebind(`SELECT p.id, (
		EXISTS (SELECT 1 FROM timetable r WHERE r.pupil_id = p.id AND r.laestab = ?)
		OR EXISTS (SELECT 1 FROM placement r WHERE r.pupil_id = p.id AND r.laestab = ?)
		OR EXISTS (SELECT 1 FROM suspension r WHERE r.pupil_id = p.id AND r.laestab = ?)) AS returned
		FROM pupil p WHERE p.name_key = ? AND p.dob = ?`)
	var rows []struct {
		ID       int64 `db:"id"`
		Returned bool  `db:"returned"`
	}
	if err := w.ft.tx.SelectContext(w.ft.ctx, &rows, q, p.la, p.la, p.la, nameKey(p.pupil.Surname, p.pupil.Forename),
		p.pupil.DOB); err != nil {
		return 0, fmt.Errorf("find pupil by name and date of birth: %w", err)
	}
	var id int64
	n := 0
	for _, r := range rows {
		if r.Returned || w.written.has(r.ID, int32(la)) {
			id, n = r.ID, n+1
		}
	}
	if n != 1 {
		return 0, nil
	}
	return id, nil
}

// createPG numbers the new pupils from pupil's sequence (taken ahead on the copy queue, see
// numberPupils) and queues their COPY: no statement waits for the queue. Inserted 500 at a time
// with RETURNING, each INSERT waited for the COPYs queued before it.
func (w *attWriter) createPG(pw *pgWriter, ps []*attPending) error {
	sts := make([]pupilState, len(ps))
	ptrs := make([]*pupilState, len(ps))
	for i, p := range ps {
		sts[i] = pupilState{temp: pme.TemporaryUPN(p.pupil.UPN), p: p.pupil, isNew: true}
		sts[i].p.Gender, sts[i].p.SEN = "", ""
		if sts[i].temp {
			w.ft.anyTemp = true
		}
		ptrs[i] = &sts[i]
	}
	pw.aheadIDs = true
	if err := pw.numberPupils(ptrs); err != nil {
		return fmt.Errorf("create pupils: %w", err)
	}
	for i := range sts {
		w.ids.set(sts[i].p.UPN, sts[i].id)
	}
	w.ft.firstPupils = false // the returns' writer must now look every UPN up
	if err := pw.insertPupils(ptrs); err != nil {
		return fmt.Errorf("create pupils: %w", err)
	}
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

var attMarkColumns = []string{"pupil_id", "laestab", "day", "am", "pm"}

// writePG queues the batch's day rows. On a first load (see startDirect) a day not yet written by
// the file is copied straight into att_mark, and a day already written (its AM and PM far apart
// in the file) goes to the staging table, merged at the end; otherwise every row is staged.
func (w *attWriter) writePG() error {
	pw, ok := w.ft.w.(*pgWriter)
	if !ok {
		return fmt.Errorf("store attendance marks: writer %T is not PostgreSQL's", w.ft.w)
	}
	if !w.started {
		w.started = true
		if err := w.startDirect(pw); err != nil {
			return err
		}
	}
	if w.key == nil {
		return w.stage(pw, w.days)
	}
	w.revisit = w.revisit[:0]
	keep := w.days[:0]
	for _, d := range w.days {
		if w.written.add(d.attDayKey) {
			keep = append(keep, d)
		} else {
			w.revisit = append(w.revisit, d)
		}
	}
	w.days = keep
	if err := pw.copyLater("att_mark", attMarkColumns, len(keep), dayLines(keep)); err != nil {
		return err
	}
	if len(w.revisit) > 0 {
		return w.stage(pw, w.revisit)
	}
	return nil
}

// startDirect drops att_mark's key for the rest of the file when the table is empty, as on a
// council's first load, the way the suspensions' first load does (see pgWriter.startBulk): the
// day rows are then copied straight in, and finish makes the key again before the file commits.
// Staged and merged by one INSERT … SELECT … GROUP BY, a month of marks for 120,000 pupils
// (2,280,000 day rows) cost the server 2.4 s to stage and 9.9 s to merge; copied straight in, 2.2
// s, and 2.2 s to make the key (measured in psql, load average 10). Nothing sees the table without
// its key: the lock taken to drop it lasts until the file ends, and a kill rolls the drop back
// with everything else.
func (w *attWriter) startDirect(pw *pgWriter) error {
	key, err := pw.dropKeyWhileEmpty("att_mark", `contype = 'p'`)
	if err != nil {
		return fmt.Errorf("load attendance marks in bulk: %w", err)
	}
	if key != nil {
		w.key = key
		w.written = attWritten{}
	}
	return nil
}

// stage queues days' COPY into the file's staging table; finish merges it.
func (w *attWriter) stage(pw *pgWriter, days []attDay) error {
	if !w.staged {
		if _, err := w.ft.tx.ExecContext(w.ft.ctx, `CREATE TEMP TABLE att_stage (pupil_id BIGINT, laestab INTEGER,
			day DATE, am TEXT COLLATE "C", pm TEXT COLLATE "C") ON COMMIT DROP`); err != nil {
			return fmt.Errorf("stage attendance marks: %w", err)
		}
		w.staged = true
	}
	return pw.copyLater("att_stage", attMarkColumns, len(days), dayLines(days))
}

// dayLines writes day rows as COPY text.
func dayLines(days []attDay) func(b []byte, i int) ([]byte, error) {
	return func(b []byte, i int) ([]byte, error) {
		d := &days[i]
		b = strconv.AppendInt(b, d.pupil, 10)
		b = append(b, '\t')
		b = strconv.AppendInt(b, int64(d.la), 10)
		b = appendCopyDate(b, d.day) // these three write their tab first
		b = appendCopyField(b, d.am)
		b = appendCopyField(b, d.pm)
		return append(b, '\n'), nil
	}
}

// attWritten is the days a first load has copied into att_mark: by pupil, school and block of 64
// days, a bit a day. Neither keys nor values hold pointers, so the collector never reads the map
// (a month for 120,000 pupils is about 6 MB); a map of pointers to spans made the collector a good
// part of a large load's client time.
type attWritten map[attBlock]uint64

type attBlock struct {
	pupil int64
	la    int32
	block int32 // the day number ÷ 64; -1 marks the pupil and school as written on some day
}

// add records the day, and reports whether it was not recorded before.
func (m attWritten) add(k attDayKey) bool {
	day := k.day.Time().Unix() / 86400
	b := attBlock{k.pupil, k.la, int32(day >> 6)}
	bit := uint64(1) << (day & 63)
	held := m[b]
	if held&bit != 0 {
		return false
	}
	if held == 0 {
		m[attBlock{k.pupil, k.la, -1}] = 1
	}
	m[b] = held | bit
	return true
}

// has reports whether any day of the pupil at the school is recorded.
func (m attWritten) has(pupil int64, la int32) bool {
	return m[attBlock{pupil, la, -1}] != 0
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
	if key := w.key; key != nil {
		// The file wrote each day once (see attWritten): the key is made whole again.
		w.key = nil
		pw := w.ft.w.(*pgWriter)
		err := pw.allowBigSorts()
		if err == nil {
			_, err = w.ft.tx.ExecContext(w.ft.ctx, addKeySQL("att_mark", key))
		}
		if err != nil {
			return fmt.Errorf("make the attendance marks' key: %w", err)
		}
	}
	if w.staged {
		q := `INSERT INTO att_mark (pupil_id, laestab, day, am, pm)
			SELECT pupil_id, laestab, day, max(am), max(pm) FROM att_stage GROUP BY pupil_id, laestab, day
			ON CONFLICT (pupil_id, laestab, day) DO UPDATE SET
				am = CASE WHEN excluded.am <> '' THEN excluded.am ELSE att_mark.am END,
				pm = CASE WHEN excluded.pm <> '' THEN excluded.pm ELSE att_mark.pm END`
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

// attCodeSQL is a CASE giving 1 when col's code satisfies keep, else 0 (or the reverse, when
// missing is set).
func attCodeSQL(col string, keep func(pme.AttendanceCode) bool, missing bool) string {
	var in []string
	for _, c := range pme.AttendanceCodes() {
		if keep(c) {
			in = append(in, "'"+strings.ReplaceAll(c.Code, "'", "''")+"'")
		}
	}
	yes, no := "1", "0"
	if missing {
		yes, no = no, yes
	}
	return "CASE WHEN " + col + " IN (" + strings.Join(in, ", ") + ") THEN " + yes + " ELSE " + no + " END"
}

// bothSessions adds a session count over am and pm: the sessions whose code satisfies keep, or
// those whose code does not (missing).
func bothSessions(keep func(pme.AttendanceCode) bool, missing bool) string {
	return "(" + attCodeSQL("am", keep, missing) + " + " + attCodeSQL("pm", keep, missing) + ")"
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

// attendanceAggregate is the aggregate over a year's marks by pupil and school (see
// AttendanceFacts), in two passes joined by pupil and school: every day counted (days, the last,
// the recent), then the days that are not present at both sessions, a few in a hundred, with the
// codes worked out (the sessions that are not possible or not present, C2, B, E and its days as
// "day:sessions", joined by agg). A day present at both sessions counts two possible and two
// present sessions and nothing else. In one pass every aggregate looked at every day: over a year
// of marks for 120,000 pupils (27 million days) SQLite spent 31-34 s of CPU in it, and 5.4 + 3.3 s
// in the two passes (load average 10-15).
func attendanceAggregate(agg string) string {
	count := func(code string) string { return `SUM(` + bothSessions(isCode(code), false) + `)` }
	c2, b, e := `(am = 'C2' OR pm = 'C2')`, `(am = 'B' OR pm = 'B')`, `(am = 'E' OR pm = 'E')`
	return `SELECT d.pupil_id, d.laestab,
			2 * d.days - COALESCE(o.not_possible, 0) AS possible, 2 * d.days - COALESCE(o.not_present, 0) AS present,
			d.last_mark, d.recent_days, COALESCE(o.recent_c2, 0) AS recent_c2, o.c2_from, o.c2_to,
			COALESCE(o.recent_b, 0) AS recent_b, o.b_from, o.b_to, COALESCE(o.year_c2, 0) AS year_c2, o.year_c2_from,
			o.year_c2_to, COALESCE(o.year_e, 0) AS year_e, COALESCE(o.e_days, '') AS e_days
		FROM (SELECT pupil_id, laestab, COUNT(*) AS days, MAX(day) AS last_mark, COUNT(*) FILTER (WHERE day >= ?) AS recent_days
			FROM att_mark WHERE day >= ? AND day <= ? GROUP BY pupil_id, laestab) d
		LEFT JOIN (SELECT pupil_id, laestab,
			SUM(` + bothSessions(func(c pme.AttendanceCode) bool { return c.Possible }, true) + `) AS not_possible,
			SUM(` + bothSessions(func(c pme.AttendanceCode) bool { return c.Present }, true) + `) AS not_present,
			` + count("C2") + ` FILTER (WHERE day >= ? AND ` + c2 + `) AS recent_c2,
			MIN(day) FILTER (WHERE day >= ? AND ` + c2 + `) AS c2_from,
			MAX(day) FILTER (WHERE day >= ? AND ` + c2 + `) AS c2_to,
			` + count("B") + ` FILTER (WHERE day >= ? AND ` + b + `) AS recent_b,
			MIN(day) FILTER (WHERE day >= ? AND ` + b + `) AS b_from,
			MAX(day) FILTER (WHERE day >= ? AND ` + b + `) AS b_to,
			` + count("C2") + ` FILTER (WHERE ` + c2 + `) AS year_c2,
			MIN(day) FILTER (WHERE ` + c2 + `) AS year_c2_from,
			MAX(day) FILTER (WHERE ` + c2 + `) AS year_c2_to,
			COUNT(*) FILTER (WHERE ` + e + `) AS year_e,
			` + agg + `(CAST(day AS TEXT) || ':' || CAST(` + bothSessions(isCode("E"), false) + ` AS TEXT), ' ') FILTER (WHERE ` + e + `) AS e_days
			FROM att_mark WHERE day >= ? AND day <= ? AND NOT ` + attPlainDay + ` GROUP BY pupil_id, laestab) o
		ON o.pupil_id = d.pupil_id AND o.laestab = d.laestab`
}

// attPlainDay is a day present at both sessions.
const attPlainDay = `(am = '/' AND pm = '\')`

// attAggregateSettings are the PostgreSQL settings of the aggregate's transaction. The planner
// has no good estimate of how many pupils the marks hold (from a sample of 30,000 of 27 million
// day rows it guessed 2.7 million pairs for 120,000), so it read the whole year through the key in
// its order, to group without hashing: 111.6 s under load, most of it the heap's pages read out
// of key order. Hash aggregates over sequential scans read the table in its order (23 s for both
// passes, load average 12); the groups, a few hundred bytes a pupil, need more than the default
// 4 MB of work_mem to stay in memory.
var attAggregateSettings = []string{
	`SET LOCAL work_mem = '128MB'`,
	`SET LOCAL enable_indexscan = off`,
	`SET LOCAL enable_bitmapscan = off`,
}

// AttendanceFacts aggregates the register for the rules in one pass over the year's marks: per
// pupil and school, the possible and present sessions, the recent C2 and B sessions and their
// first and last days, and the days coded E. Only pairs the rules may fire on are returned: some
// C2, B or E, attendance below the line, or a current reduced timetable (ATT_RT_NOT_CODED).
// Summaries count for a pupil and school with no marks this year.
func (r *Reader) AttendanceFacts(q AttendanceQuery) ([]pme.AttendanceFact, error) {
	agg := `string_agg`
	if r.sqlite {
		agg = `group_concat`
	}
	query := `SELECT pupil_id, CAST(laestab AS TEXT) AS laestab, possible, present, last_mark, recent_days, recent_c2,
		c2_from, c2_to, recent_b, b_from, b_to, year_c2, year_c2_from, year_c2_to, e_days
		FROM (` + attendanceAggregate(agg) + `) a
		WHERE recent_c2 > 0 OR recent_b > 0 OR year_e > 0 OR present * 100 < possible * CAST(? AS DOUBLE PRECISION)
		OR pupil_id IN (SELECT pupil_id FROM timetable WHERE is_current)`
	var out []pme.AttendanceFact
	err := r.withSettings(attAggregateSettings, func(qr queryer) error {
		return sqlx.SelectContext(r.ctx, qr, &out, qr.Rebind(query), q.From, q.YearStart, q.Today,
			q.C2From, q.C2From, q.C2From, q.BFrom, q.BFrom, q.BFrom, q.YearStart, q.Today, q.Percent)
	})
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

// withSettings runs fn with PostgreSQL's settings changed for it alone: in the reader's
// transaction, set and then restored; straight on the database, in a read-only transaction of its
// own. SQLite runs fn as it is.
func (r *Reader) withSettings(settings []string, fn func(q queryer) error) error {
	if r.sqlite {
		return fn(r.q)
	}
	switch q := r.q.(type) {
	case *sqlx.Tx:
		for _, set := range settings {
			if _, err := q.ExecContext(r.ctx, set); err != nil {
				return err
			}
		}
		if err := fn(q); err != nil {
			return err
		}
		for _, set := range settings {
			name := strings.Fields(set)[2]
			if _, err := q.ExecContext(r.ctx, `SET LOCAL `+name+` TO DEFAULT`); err != nil {
				return err
			}
		}
		return nil
	case *sqlx.DB:
		tx, err := q.BeginTxx(r.ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return err
		}
		defer tx.Rollback()
		for _, set := range settings {
			if _, err := tx.ExecContext(r.ctx, set); err != nil {
				return err
			}
		}
		if err := fn(tx); err != nil {
			return err
		}
		return tx.Commit()
	}
	return fn(r.q)
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
