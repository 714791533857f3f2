package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"pme"
)

// pgWriter writes a file's batches to PostgreSQL with COPY, whose text it writes itself (copyIn).
// New rows (snapshot records, issues, new pupils, batches of new suspension events) are copied
// straight into their table; rows that merge with stored ones (changed pupils, re-sent events) are
// merged by one INSERT … ON CONFLICT per batch, from a staging table or, for a small batch, from
// arrays (see mergeSource). A small batch's new rows go in one statement too (see insertRecords):
// each statement is a round trip or two, and a small file spent more time waiting for them than
// the server spent running them.
type pgWriter struct {
	ft    *FileTx
	buf   []byte   // COPY text, reused
	cols  [][]byte // arrayArgs' column texts, reused
	args  []any    // one pupil's values, reused
	merge bool     // some batch re-sent known events: merge every later one (see upsertSuspensions)
	keep  []bool   // upsertSuspensions' rows to write, reused
	// newPupils are a small batch's new pupils, written with its records (see insertRecords).
	newPupils []*pupilState
	bulkTried bool     // startBulk has been tried
	bulk      *pgIndex // suspension's key, dropped while the file loads (see startBulk)
	// pupilBulk is pupil's UPN key, dropped while a first load loads (see startPupilBulk), and
	// bulkLookups the lookups made without it.
	pupilBulk      *pgIndex
	pupilBulkTried bool
	pupilsLocked   bool // startPupilBulk locked pupil for the rest of the file (see reserveIDs)
	bulkLookups    int
	bigSorts       bool            // maintenance_work_mem is raised for the keys' rebuilds
	ids            []int64         // pupil ids taken ahead (see numberPupils)
	moreIDs        *idFetch        // ids being taken ahead on the copy queue, if any
	staged         map[string]bool // staging tables created (see mergeSource)
}

// smallBatchRows is the largest batch whose new pupils and records are written by one INSERT
// (see insertRecords) instead of a COPY each: a COPY costs two round trips, and a small file's
// time went more on round trips than on its rows.
const smallBatchRows = 1000

var (
	pupilValueColumns = []string{"upn", "is_temp", "surname", "forename", "name_key", "dob", "gender", "nc_year", "sen"}
	recordHeadColumns = []string{"file_id", "sheet_id", "row_num", "laestab", "pupil_id", "received"}
	recordColumns     = map[pme.ReturnType][]string{
		pme.ReducedTimetable: append(recordHeadColumns[:len(recordHeadColumns):len(recordHeadColumns)],
			"start_date", "planned_end_date", "actual_end_date", "hours_per_week", "reason", "parental_agreement", "review_date"),
		pme.AlternativeProvision: append(recordHeadColumns[:len(recordHeadColumns):len(recordHeadColumns)],
			"provider_name", "provider_urn", "provider_ukprn", "provider_registered", "start_date", "end_date",
			"hours_at_provider", "hours_at_school", "reason"),
		pme.Suspensions: append(recordHeadColumns[:len(recordHeadColumns):len(recordHeadColumns)],
			"category", "start_date", "sessions", "reason", "reason2", "reason3", "sixth_day_provision"),
	}
	issueColumns = []string{"file_id", "sheet", "row_num", "col", "value", "code", "severity", "message"}

	// pgColumnTypes are the types of the columns passed as arrays (see unnestFrom).
	pgColumnTypes = map[string]string{
		"upn": "text", "is_temp": "boolean", "surname": "text", "forename": "text", "name_key": "text",
		"dob": "date", "gender": "text", "nc_year": "text", "sen": "text",
		"file_id": "bigint", "sheet_id": "bigint", "row_num": "integer", "laestab": "text", "pupil_id": "bigint",
		"received": "date", "category": "text", "start_date": "date", "sessions": "integer", "reason": "text",
		"reason2": "text", "reason3": "text", "sixth_day_provision": "text", "id": "bigint",
		"planned_end_date": "date", "actual_end_date": "date", "hours_per_week": "double precision",
		"parental_agreement": "text", "review_date": "date", "provider_name": "text", "provider_urn": "text",
		"provider_ukprn": "text", "provider_registered": "text", "end_date": "date",
		"hours_at_provider": "double precision", "hours_at_school": "double precision",
	}
)

func newPGWriter(ft *FileTx) (batchWriter, error) {
	return &pgWriter{ft: ft}, nil
}

func (w *pgWriter) close() error {
	if len(w.newPupils) > 0 {
		w.newPupils = nil
		return errors.New("new pupils left unwritten")
	}
	return nil
}

// copyIn copies rows into table with COPY, after any queued COPY, and returns its outcome; line
// appends the i-th row's line of COPY text (or nothing, to skip the row). The store encodes the
// rows itself: going through database/sql's Exec for each row cost about as much as everything
// else in the store.
func (w *pgWriter) copyIn(table string, cols []string, n int, line func(b []byte, i int) ([]byte, error)) error {
	if err := w.ft.tx.copies.wait(); err != nil {
		return err
	}
	text, err := encodeLines(w.buf[:0], n, line)
	w.buf = text[:0]
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return copyAll(w.ft.ctx, w.ft.conn, table, cols, text)
}

// copyLater encodes the rows now, and queues their COPY into table (see copyQueue): for rows whose
// COPY fails only if something is badly wrong, which the file's next statement or its commit
// then reports.
func (w *pgWriter) copyLater(table string, cols []string, n int, line func(b []byte, i int) ([]byte, error)) error {
	q := w.queue()
	text, err := encodeLines(q.buffer(), n, line)
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	if len(text) == 0 {
		q.recycle(text)
		return nil
	}
	return q.addCopy(table, cols, text)
}

// queue returns the file's copy queue, started on first use.
func (w *pgWriter) queue() *copyQueue {
	if w.ft.tx.copies == nil {
		w.ft.tx.copies = newCopyQueue(w.ft.ctx, w.ft.conn)
	}
	return w.ft.tx.copies
}

// encodeLines appends the lines of n rows to b.
func encodeLines(b []byte, n int, line func(b []byte, i int) ([]byte, error)) ([]byte, error) {
	var err error
	for i := 0; i < n; i++ {
		if b, err = line(b, i); err != nil {
			return b, err
		}
	}
	return b, nil
}

// valueLines adapts rows of values to copyIn: row gives the i-th row's values, nil to skip it.
func valueLines(row func(i int) []any) func(b []byte, i int) ([]byte, error) {
	return func(b []byte, i int) ([]byte, error) {
		vals := row(i)
		if vals == nil {
			return b, nil
		}
		var err error
		for j, v := range vals {
			if j > 0 {
				b = append(b, '\t')
			}
			if b, err = appendCopyValue(b, v); err != nil {
				return b, err
			}
		}
		return append(b, '\n'), nil
	}
}

// appendRecordLine appends a record's line of COPY text, its values in recordColumns order (those
// of recordArgs). A large file's rows are written this way, field by field: boxing each value in
// an interface cost a fifth of the store's own time.
func appendRecordLine(b []byte, ft *FileTx, p *pendingRecord, pupilID int64) []byte {
	r := &p.rec
	b = strconv.AppendInt(b, ft.fileID, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, ft.sheet.id, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, int64(r.Row), 10)
	b = appendCopyField(b, r.LAESTAB)
	b = append(b, '\t')
	b = strconv.AppendInt(b, pupilID, 10)
	b = appendCopyDate(b, ft.received)
	switch r.Type {
	case pme.ReducedTimetable:
		t := &p.tt
		b = appendCopyDate(b, t.StartDate)
		b = appendCopyDate(b, t.PlannedEndDate)
		b = appendCopyDate(b, t.ActualEndDate)
		b = append(b, '\t')
		b = strconv.AppendFloat(b, t.HoursPerWeek, 'g', -1, 64)
		b = appendCopyField(b, t.Reason)
		b = appendCopyField(b, t.ParentalAgreement)
		b = appendCopyDate(b, t.ReviewDate)
	case pme.AlternativeProvision:
		a := &p.pl
		b = appendCopyField(b, a.ProviderName)
		b = appendCopyField(b, a.ProviderURN)
		b = appendCopyField(b, a.ProviderUKPRN)
		b = appendCopyField(b, a.ProviderRegistered)
		b = appendCopyDate(b, a.StartDate)
		b = appendCopyDate(b, a.EndDate)
		b = append(b, '\t')
		b = strconv.AppendFloat(b, a.HoursAtProvider, 'g', -1, 64)
		b = append(b, '\t')
		b = strconv.AppendFloat(b, a.HoursAtSchool, 'g', -1, 64)
		b = appendCopyField(b, a.Reason)
	default:
		s := &p.su
		b = appendCopyField(b, s.Category)
		b = appendCopyDate(b, s.StartDate)
		b = append(b, '\t')
		b = strconv.AppendInt(b, int64(s.Sessions), 10)
		b = appendCopyField(b, s.Reason)
		b = appendCopyField(b, s.Reason2)
		b = appendCopyField(b, s.Reason3)
		b = appendCopyField(b, s.SixthDayProvision)
	}
	return append(b, '\n')
}

// appendPupilLine appends a new pupil's line of COPY text, its values in pupilColumns order (those
// of pupilArgs, then id and file_id).
func (w *pgWriter) appendPupilLine(b []byte, st *pupilState) []byte {
	p := &st.p
	b = appendCopyText(b, p.UPN)
	b = append(b, '\t')
	if st.temp {
		b = append(b, 't')
	} else {
		b = append(b, 'f')
	}
	b = appendCopyField(b, p.Surname)
	b = appendCopyField(b, p.Forename)
	b = appendCopyField(b, nameKey(p.Surname, p.Forename))
	b = appendCopyDate(b, p.DOB)
	b = appendCopyField(b, p.Gender)
	b = appendCopyField(b, p.NCYear)
	b = appendCopyField(b, p.SEN)
	b = append(b, '\t')
	b = strconv.AppendInt(b, st.id, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, w.ft.fileID, 10)
	return append(b, '\n')
}

// appendCopyField appends a tab and s as COPY text.
func appendCopyField(b []byte, s string) []byte {
	return appendCopyText(append(b, '\t'), s)
}

// appendCopyDate appends a tab and d as COPY text: \N when it is zero.
func appendCopyDate(b []byte, d pme.Date) []byte {
	b = append(b, '\t')
	if d.IsZero() {
		return append(b, `\N`...)
	}
	return appendDate(b, d)
}

// appendCopyValue appends v in COPY's text format: NULL as \N, and backslash, tab, newline and
// carriage return escaped in text.
func appendCopyValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, `\N`...), nil
	case string:
		return appendCopyText(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case bool:
		if x {
			return append(b, 't'), nil
		}
		return append(b, 'f'), nil
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64), nil
	case pme.Date:
		if x.IsZero() {
			return append(b, `\N`...), nil
		}
		return appendDate(b, x), nil
	case timestamp:
		if time.Time(x).IsZero() {
			return append(b, `\N`...), nil
		}
		return time.Time(x).UTC().AppendFormat(b, time.RFC3339Nano), nil
	}
	return b, fmt.Errorf("copy: no text form for %T", v)
}

// appendDate appends d as YYYY-MM-DD, by hand: time's layout machinery cost a tenth of the copy.
func appendDate(b []byte, d pme.Date) []byte {
	y, m, day := d.Time().Date()
	if y < 1000 || y > 9999 {
		return d.Time().AppendFormat(b, time.DateOnly)
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(m)/10), byte('0'+int(m)%10), '-', byte('0'+day/10), byte('0'+day%10))
}

func appendCopyText(b []byte, s string) []byte {
	if !needsCopyEscape(s) {
		return append(b, s...) // nearly always: a byte at a time took twice as long (BenchmarkAppendCopyText)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '\t':
			b = append(b, '\\', 't')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, c)
		}
	}
	return b
}

// needsCopyEscape reports whether s holds a byte COPY's text format escapes.
func needsCopyEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\\' || c == '\t' || c == '\n' || c == '\r' {
			return true
		}
	}
	return false
}

// arrayArgs encodes n rows (row(i) gives the i-th row's ncols values, nil to skip the row) as one
// array parameter per column, for INSERT … SELECT FROM unnest(…) (see unnestFrom): a batch in one
// statement of ncols parameters, with no staging table (creating and dropping one cost a small
// file more than its rows).
func (w *pgWriter) arrayArgs(ncols, n int, row func(i int) []any) ([]any, error) {
	cols := slices.Grow(w.cols[:0], ncols)[:ncols]
	for j := range cols {
		cols[j] = append(cols[j][:0], '{')
	}
	for i := 0; i < n; i++ {
		vals := row(i)
		if vals == nil {
			continue
		}
		for j, v := range vals {
			var err error
			if len(cols[j]) > 1 {
				cols[j] = append(cols[j], ',')
			}
			if cols[j], err = appendArrayValue(cols[j], v); err != nil {
				return nil, err
			}
		}
	}
	args := make([]any, ncols)
	for j := range cols {
		cols[j] = append(cols[j], '}')
		args[j] = string(cols[j])
	}
	w.cols = cols
	return args, nil
}

// appendArrayValue appends v as an element of an array literal: NULL, or its text double-quoted
// with backslash and double quote escaped.
func appendArrayValue(b []byte, v any) ([]byte, error) {
	if x, ok := v.(string); ok {
		b = append(b, '"')
		for i := 0; i < len(x); i++ {
			if c := x[i]; c == '"' || c == '\\' {
				b = append(b, '\\')
			}
			b = append(b, x[i])
		}
		return append(b, '"'), nil
	}
	// Numbers, booleans, dates and times have the same text as in COPY, with no character an
	// array literal would need quoted: only NULL is written differently.
	n := len(b)
	b, err := appendCopyValue(b, v)
	if string(b[n:]) == `\N` {
		b = append(b[:n], "NULL"...)
	}
	return b, err
}

// unnestFrom returns "unnest($first::type[], …) AS r(col, …)": the rows of arrayArgs' parameters,
// numbered from first.
func unnestFrom(cols []string, first int) string {
	var b strings.Builder
	b.WriteString("unnest(")
	for j, c := range cols {
		if j > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d::%s[]", first+j, pgColumnTypes[c])
	}
	b.WriteString(") AS r(" + strings.Join(cols, ", ") + ")")
	return b.String()
}

// lookupPupilsPG finds each UPN through the unique index, one probe per UPN. The LATERAL
// subquery (kept apart by LIMIT) forces that plan: within the file's transaction the planner has
// no statistics for the rows it added, and chose a sequential scan of the whole pupil table for
// every batch (25–50 ms a batch at 300,000 pupils, more than the batch's inserts). A UPN found
// nowhere is a new pupil: it comes back fresh, with an id already taken from pupil's sequence
// (COALESCE evaluates nextval only then), which saves insertPupils a round trip. The sequence is
// looked up once (a scalar subquery): per row, the lookup cost ten times the nextval.
const (
	lookupPupilsPG = `SELECT k.upn AS key, p.id IS NULL AS fresh,
		COALESCE(p.id, nextval((SELECT pg_get_serial_sequence('pupil', 'id')))) AS id,
		COALESCE(p.is_temp, FALSE) AS is_temp, COALESCE(p.upn, k.upn) AS upn, COALESCE(p.surname, '') AS surname,
		COALESCE(p.forename, '') AS forename, p.dob, COALESCE(p.gender, '') AS gender,
		COALESCE(p.nc_year, '') AS nc_year, COALESCE(p.sen, '') AS sen
	FROM unnest($1::text[]) AS k(upn) LEFT JOIN LATERAL (
		SELECT ` + pupilRowColumns + ` FROM pupil p WHERE p.upn = k.upn%s LIMIT 1) p ON TRUE`
	lookupFormerPG = `
		UNION ALL
		SELECT ` + pupilRowColumns + ` FROM former_upn f JOIN pupil p ON p.id = f.pupil_id WHERE f.upn = k.upn`
)

func (w *pgWriter) lookupPupils(upns []string, former bool) ([]pupilRow, error) {
	if w.pupilBulk != nil {
		if former || w.bulkLookups >= pupilBulkLookups {
			if err := w.finishPupilBulk(); err != nil {
				return nil, err
			}
		} else {
			w.bulkLookups++
			return w.scanPupils(upns)
		}
	}
	var union string
	if former {
		union = lookupFormerPG
	}
	var rows []pupilRow
	if err := w.ft.tx.SelectContext(w.ft.ctx, &rows, fmt.Sprintf(lookupPupilsPG, union), pq.Array(upns)); err != nil {
		return nil, fmt.Errorf("look up pupils: %w", err)
	}
	return rows, nil
}

// pupilBulkLookups is how many lookups a first load makes without pupil's UPN key (see
// scanPupils) before it makes the key again: each reads the whole table.
const pupilBulkLookups = 8

// scanPupils finds pupils by UPN while pupil has no UPN key (see startPupilBulk): one pass over the
// table, which holds only the file's own pupils, against a hashed list of the UPNs. UPNs not found
// come back as nothing: numberPupils numbers their new pupils.
func (w *pgWriter) scanPupils(upns []string) ([]pupilRow, error) {
	var rows []pupilRow
	q := `SELECT p.upn AS key, FALSE AS fresh, ` + pupilRowColumns + ` FROM pupil p WHERE p.upn = ANY($1::text[])`
	if err := w.ft.tx.SelectContext(w.ft.ctx, &rows, q, pq.Array(upns)); err != nil {
		return nil, fmt.Errorf("look up pupils: %w", err)
	}
	return rows, nil
}

// writePupils copies the batch's new pupils straight into pupil, and merges the changed ones.
// lookupPupils has just found none of the new UPNs, in this transaction: a plain insert is enough,
// and costs half an INSERT … ON CONFLICT … RETURNING. Should another process store one of these
// UPNs meanwhile, the copy fails on the unique key and the whole file is rolled back, to be taken
// again by the next run (runs are one at a time: see the scheduler).
func (w *pgWriter) writePupils(ps []*pupilState) error {
	if !w.pupilBulkTried && w.ft.firstPupils && len(w.ft.pending) >= flushRows {
		w.pupilBulkTried = true
		if err := w.startPupilBulk(); err != nil {
			return err
		}
	}
	var fresh, changed []*pupilState
	for _, st := range ps {
		if st.isNew {
			fresh = append(fresh, st)
		} else {
			changed = append(changed, st)
		}
	}
	if err := w.numberPupils(fresh); err != nil {
		return err
	}
	if len(w.ft.pending) <= smallBatchRows {
		w.newPupils = fresh // written with the records
	} else if err := w.insertPupils(fresh); err != nil {
		return err
	}
	return w.mergePupils(changed)
}

var pupilColumns = append(pupilValueColumns[:len(pupilValueColumns):len(pupilValueColumns)], "id", "file_id")

// numberPupils gives an id from pupil's sequence to any new pupil lookupPupils did not number: the
// pupils are written without RETURNING, by COPY or with their records. A large file's batches
// take ids ahead, on the copy queue (see takeIDsAhead); the ids left over at the end are skipped,
// as after a rollback.
func (w *pgWriter) numberPupils(ps []*pupilState) error {
	var unnumbered []*pupilState
	for _, st := range ps {
		if st.id == 0 {
			unnumbered = append(unnumbered, st)
		}
	}
	n := len(unnumbered)
	if n > len(w.ids) && w.moreIDs != nil {
		if err := w.receiveIDs(); err != nil {
			return err
		}
	}
	if n > len(w.ids) {
		ids, err := takeIDs(w.ft.ctx, w.ft.tx, n-len(w.ids), w.pupilsLocked)
		if err != nil {
			return err
		}
		w.ids = append(w.ids, ids...)
	}
	for i, st := range unnumbered {
		st.id = w.ids[i]
	}
	w.ids = w.ids[n:]
	if len(w.ft.pending) > smallBatchRows && w.moreIDs == nil && len(w.ids) < idsAhead/2 {
		w.takeIDsAhead()
	}
	return nil
}

// idsAhead is how many pupil ids a large file takes at a time: 16 batches' worth of new pupils.
const idsAhead = 16 * flushRows

// idFetch is ids being taken on the copy queue.
type idFetch struct {
	ids  []int64
	err  error
	done chan struct{}
}

// takeIDsAhead queues the taking of idsAhead ids behind the COPYs already queued, to be received
// when needed (receiveIDs). Taken in turn, the file waited for the queue to empty and then for the
// ids, a pause of both the client and the server for each round trip: five in a 1,000,000-row
// first load.
func (w *pgWriter) takeIDsAhead() {
	f := &idFetch{done: make(chan struct{})}
	w.moreIDs = f
	// The job runs on the queue's goroutine, with the transaction's connection to itself: it uses
	// the transaction directly, not through fileTx, which would wait for the queue to empty.
	tx, ctx, reserve := w.ft.tx.tx, w.ft.ctx, w.pupilsLocked
	err := w.queue().add(func() error {
		defer close(f.done)
		f.ids, f.err = takeIDs(ctx, tx, idsAhead, reserve)
		return f.err
	})
	if err != nil {
		f.err = err
		close(f.done)
	}
}

// receiveIDs waits for the ids takeIDsAhead queued, and adds them to those in hand.
func (w *pgWriter) receiveIDs() error {
	f := w.moreIDs
	w.moreIDs = nil
	select {
	case <-f.done:
	case <-w.queue().broken: // the job will not run
		return w.queue().failed()
	}
	if f.err != nil {
		return f.err
	}
	w.ids = append(w.ids, f.ids...)
	return nil
}

// takeIDs takes n ids from pupil's sequence, or reserves them when reserve is set (see reserveIDs).
// Taken, they come back in one array, not as n rows, each a message for the server to send and
// the client to scan.
func takeIDs(ctx context.Context, tx interface {
	GetContext(ctx context.Context, dest any, q string, args ...any) error
}, n int, reserve bool) ([]int64, error) {
	if reserve {
		return reserveIDs(ctx, tx, n)
	}
	var ids pq.Int64Array
	const q = `SELECT array_agg(nextval((SELECT pg_get_serial_sequence('pupil', 'id')))) FROM generate_series(1, $1)`
	if err := tx.GetContext(ctx, &ids, q, n); err != nil {
		return nil, fmt.Errorf("number new pupils: %w", err)
	}
	return ids, nil
}

// reserveIDs reserves n ids at once by moving pupil's sequence past them: the n after the last id
// the sequence has handed out to any connection, ids no connection holds. Taken one by one,
// 490,000 ids cost a first load 0.22 s of the server's time; reserved 80,000 at a time, nothing to
// speak of. It runs only while the file holds pupil's lock (see startPupilBulk), which holds back
// any other file at its first pupil lookup. A file already past its lookups that took ids from
// the sequence in the instant between the statement's two steps would hold some of the same ids:
// the pupil copied second would then fail on pupil's key, and its file with it, whole, to be
// taken again by the next run, as when two files store the same new UPN at once.
func reserveIDs(ctx context.Context, tx interface {
	GetContext(ctx context.Context, dest any, q string, args ...any) error
}, n int) ([]int64, error) {
	var first int64
	const q = `SELECT setval(s, COALESCE(pg_sequence_last_value(s), 0) + $1) - $1 + 1
		FROM (SELECT pg_get_serial_sequence('pupil', 'id')::regclass AS s) seq`
	if err := tx.GetContext(ctx, &first, q, n); err != nil {
		return nil, fmt.Errorf("reserve ids for new pupils: %w", err)
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = first + int64(i)
	}
	return ids, nil
}

// insertPupils copies numbered new pupils into pupil.
func (w *pgWriter) insertPupils(ps []*pupilState) error {
	if len(ps) == 0 {
		return nil
	}
	return w.copyLater("pupil", pupilColumns, len(ps), func(b []byte, i int) ([]byte, error) {
		return w.appendPupilLine(b, ps[i]), nil
	})
}

// pupilArgs lists a pupil's values in pupilValueColumns order, in a slice reused row after row.
func (w *pgWriter) pupilArgs(st *pupilState) []any {
	p := &st.p
	w.args = append(w.args[:0], p.UPN, st.temp, p.Surname, p.Forename, nameKey(p.Surname, p.Forename), p.DOB,
		p.Gender, p.NCYear, p.SEN)
	return w.args
}

// mergePupils updates the changed pupils in one statement. A changed pupil is passed under its own
// UPN, whatever UPN the row used, so the upsert finds it through the unique index (an UPDATE … FROM
// would leave the join to the planner, which lacks statistics here).
func (w *pgWriter) mergePupils(ps []*pupilState) error {
	if len(ps) == 0 {
		return nil
	}
	if err := w.finishPupilBulk(); err != nil { // the merge finds pupils by their UPN key
		return err
	}
	values := func(i int) []any { return w.pupilArgs(ps[i]) }
	from, arrays, err := w.mergeSource("stage_pupil", pupilValueColumns, len(ps), values, valueLines(values), 2)
	if err != nil {
		return fmt.Errorf("merge pupils: %w", err)
	}
	q := `INSERT INTO pupil (upn, is_temp, surname, forename, name_key, dob, gender, nc_year, sen, file_id)
		SELECT r.*, $1 FROM ` + from + `
		ON CONFLICT (upn) DO UPDATE SET surname = excluded.surname, forename = excluded.forename,
			name_key = excluded.name_key, dob = excluded.dob, gender = excluded.gender, nc_year = excluded.nc_year,
			sen = excluded.sen, file_id = excluded.file_id`
	args := append([]any{w.ft.fileID}, arrays...)
	if _, err = w.ft.tx.ExecContext(w.ft.ctx, q, args...); err != nil {
		return fmt.Errorf("merge pupils: %w", err)
	}
	return w.emptyStage("stage_pupil", arrays)
}

// stagingSQL creates the staging tables, in the file's transaction, dropped at commit: their
// columns are the target's, minus what the merge statement supplies.
var stagingSQL = map[string]string{
	"stage_pupil": `CREATE TEMP TABLE stage_pupil ON COMMIT DROP AS
		SELECT upn, is_temp, surname, forename, name_key, dob, gender, nc_year, sen FROM pupil WITH NO DATA`,
	"stage_suspension": `CREATE TEMP TABLE stage_suspension ON COMMIT DROP AS
		SELECT file_id, sheet_id, row_num, laestab, pupil_id, received, category, start_date, sessions,
			reason, reason2, reason3, sixth_day_provision FROM suspension WITH NO DATA`,
}

// mergeSource returns what a merge of n rows selects from, "… AS r": a small batch's rows as
// arrays (see arrayArgs), with its parameters numbered from first; a larger one's copied into the
// staging table stage, created the first time the file needs it. Passed as arrays, a batch of
// 5,000 re-sent events cost the server a fifth more than copied; a small file creates no staging
// table, which cost it more than its rows.
func (w *pgWriter) mergeSource(stage string, cols []string, n int, values func(i int) []any,
	line func(b []byte, i int) ([]byte, error), first int) (string, []any, error) {
	if n <= smallBatchRows {
		arrays, err := w.arrayArgs(len(cols), n, values)
		return unnestFrom(cols, first), arrays, err
	}
	if !w.staged[stage] {
		if _, err := w.ft.tx.ExecContext(w.ft.ctx, stagingSQL[stage]); err != nil {
			return "", nil, fmt.Errorf("create %s: %w", stage, err)
		}
		if w.staged == nil {
			w.staged = map[string]bool{}
		}
		w.staged[stage] = true
	}
	return stage + " AS r", nil, w.copyIn(stage, cols, n, line)
}

// emptyStage empties the staging table a merge read, when it read one (no arrays).
func (w *pgWriter) emptyStage(stage string, arrays []any) error {
	if arrays != nil {
		return nil
	}
	_, err := w.ft.tx.ExecContext(w.ft.ctx, `TRUNCATE `+stage)
	return err
}

func (w *pgWriter) writeRecords(t pme.ReturnType, recs []pendingRecord, ids []int64) error {
	if t != pme.Suspensions {
		return w.insertRecords(t, recordSet{w.ft, recs, ids, func(i int) bool { return recs[i].rec.Type == t }})
	}
	return w.upsertSuspensions(recs, ids)
}

// recordSet is the records of a batch to write: recs[i], whose pupil is ids[i], when take(i).
type recordSet struct {
	ft   *FileTx
	recs []pendingRecord
	ids  []int64
	take func(i int) bool
}

// values returns record i's values, or nil when it is not taken.
func (r recordSet) values(i int) []any {
	if !r.take(i) {
		return nil
	}
	return recordArgs(r.ft, &r.recs[i], r.ids[i])
}

// line appends record i's line of COPY text, or nothing when it is not taken.
func (r recordSet) line(b []byte, i int) ([]byte, error) {
	if !r.take(i) {
		return b, nil
	}
	return appendRecordLine(b, r.ft, &r.recs[i], r.ids[i]), nil
}

// insertRecords writes new records of type t. A small batch's new pupils, and the retiring of its
// sheet's earlier snapshot rows (FileTx.closing), go in the same statement: one INSERT … SELECT
// FROM unnest(…) with them in its WITH, two round trips in all. Otherwise a COPY costs as many.
// The statement's parts see the tables as they were before it, and touch different rows: the
// retiring leaves the sheet's own rows alone.
func (w *pgWriter) insertRecords(t pme.ReturnType, rs recordSet) error {
	table, cols := recordTable[t], recordColumns[t]
	var q pgQuery
	if ps := w.newPupils; len(ps) > 0 {
		w.newPupils = nil
		arrays, err := w.arrayArgs(len(pupilValueColumns)+1, len(ps), func(i int) []any {
			return append(w.pupilArgs(ps[i]), ps[i].id)
		})
		if err != nil {
			return fmt.Errorf("store new pupils: %w", err)
		}
		q.with(`new_pupil AS (INSERT INTO pupil (` + strings.Join(pupilColumns, ", ") + `)
			SELECT r.*, ` + q.param(w.ft.fileID) + `
			FROM ` + unnestFrom(append(pupilValueColumns, "id"), q.params(arrays)) + `)`)
	}
	if t.Snapshot() && len(w.ft.closing) > 0 && len(w.ft.pending) <= smallBatchRows {
		q.with(`closed AS (UPDATE ` + table + ` SET is_current = FALSE, stale = FALSE
			WHERE laestab = ANY(` + q.param(pq.Array(w.ft.closing)) + `) AND is_current
			AND sheet_id <> ` + q.param(w.ft.sheet.id) + `)`)
		w.ft.closing = nil
	}
	if len(q.ctes) == 0 {
		return w.copyLater(table, cols, len(rs.recs), rs.line)
	}
	arrays, err := w.arrayArgs(len(cols), len(rs.recs), rs.values)
	if err != nil {
		return fmt.Errorf("store %s: %w", table, err)
	}
	stmt := q.sql(`INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `)
		SELECT r.* FROM ` + unnestFrom(cols, q.params(arrays)))
	if _, err := w.ft.tx.ExecContext(w.ft.ctx, stmt, q.args...); err != nil {
		return fmt.Errorf("store %s: %w", table, err)
	}
	return nil
}

// pgQuery puts a statement together from parts, numbering their parameters in turn.
type pgQuery struct {
	ctes []string
	args []any
}

// param adds a parameter and returns its placeholder.
func (q *pgQuery) param(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// params adds parameters and returns the number of the first.
func (q *pgQuery) params(vs []any) int {
	q.args = append(q.args, vs...)
	return len(q.args) - len(vs) + 1
}

// with adds a common table expression ("name AS (…)").
func (q *pgQuery) with(cte string) { q.ctes = append(q.ctes, cte) }

// sql returns the statement: the WITH of the parts added, then main.
func (q *pgQuery) sql(main string) string {
	if len(q.ctes) == 0 {
		return main
	}
	return "WITH " + strings.Join(q.ctes, ",\n") + "\n" + main
}

// writeNewPupils writes the new pupils waiting for insertRecords, for a batch that cannot go with
// them.
func (w *pgWriter) writeNewPupils() error {
	ps := w.newPupils
	w.newPupils = nil
	return w.insertPupils(ps)
}

// upsertSuspensions writes the batch's events: a known event (school, pupil, category, start date)
// is updated in place. Within the batch the last row of an event wins, as it would row by row; one
// INSERT … ON CONFLICT cannot touch a row twice. An unchanged event is not rewritten (see
// upsertSuspensions in ingest_sqlite.go).
//
// Most batches hold only new events (a school's first return of the year, a new month's events):
// they are copied straight into the table, under a savepoint, for about half the server time of
// the merge (1,000,000 events: 3.8 s against 7.6 s for INSERT … ON CONFLICT from a staged copy).
// If one meets a stored event, the copy fails on the unique key and nothing of it remains; the
// batch is then merged, and so is every later batch of the file, since a file that re-sends one
// known event usually re-sends many. A batch whose pupils are all new (FileTx.batchNew) can meet
// no stored event: it needs no savepoint. Into an empty table, a large file is copied in with the
// table's key dropped, and the key made again at the end (see startBulk).
func (w *pgWriter) upsertSuspensions(recs []pendingRecord, ids []int64) error {
	if !w.bulkTried && len(recs) >= flushRows {
		w.bulkTried = true
		if err := w.startBulk(); err != nil {
			return err
		}
	}
	if w.bulk != nil {
		// No key to meet: an event listed twice keeps its last row when the key is made (see
		// finishBulk), so the batch needs no sorting out here.
		return w.insertRecords(pme.Suspensions, recordSet{w.ft, recs, ids, func(i int) bool {
			return recs[i].rec.Type == pme.Suspensions
		}})
	}
	type key struct {
		pupil          int64
		laestab, categ string
		start          pme.Date
	}
	last := make(map[key]int, len(recs))
	keep := slices.Grow(w.keep[:0], len(recs))[:len(recs)] // keep[i]: row i is its event's last
	for i := range recs {
		keep[i] = false
		if s := &recs[i]; s.rec.Type == pme.Suspensions {
			k := key{ids[i], s.rec.LAESTAB, s.su.Category, s.su.StartDate}
			if j, seen := last[k]; seen {
				keep[j] = false
			}
			last[k], keep[i] = i, true
		}
	}
	w.keep = keep
	if len(last) == 0 {
		return nil
	}
	rs := recordSet{w.ft, recs, ids, func(i int) bool { return keep[i] }}
	if w.ft.batchNew {
		return w.insertRecords(pme.Suspensions, rs)
	}
	if err := w.writeNewPupils(); err != nil {
		return err
	}
	if !w.merge {
		inserted, err := w.insertNewEvents(rs)
		if err != nil || inserted {
			return err
		}
		w.merge = true
	}
	cols := recordColumns[pme.Suspensions]
	from, args, err := w.mergeSource("stage_suspension", cols, len(recs), rs.values, rs.line, 1)
	if err != nil {
		return fmt.Errorf("merge suspensions: %w", err)
	}
	q := `INSERT INTO suspension (` + strings.Join(cols, ", ") + `)
		SELECT r.* FROM ` + from + `
		ON CONFLICT (pupil_id, start_date, category, laestab) DO UPDATE SET file_id = excluded.file_id,
			sheet_id = excluded.sheet_id, row_num = excluded.row_num, received = excluded.received,
			sessions = excluded.sessions, reason = excluded.reason, reason2 = excluded.reason2,
			reason3 = excluded.reason3, sixth_day_provision = excluded.sixth_day_provision
		WHERE (suspension.sessions, suspension.reason, suspension.reason2, suspension.reason3, suspension.sixth_day_provision)
			<> (excluded.sessions, excluded.reason, excluded.reason2, excluded.reason3, excluded.sixth_day_provision)`
	if _, err := w.ft.tx.ExecContext(w.ft.ctx, q, args...); err != nil {
		return fmt.Errorf("merge suspensions: %w", err)
	}
	return w.emptyStage("stage_suspension", args)
}

// insertNewEvents copies the batch's events into suspension under a savepoint. It reports false,
// with nothing written, when an event is already stored.
func (w *pgWriter) insertNewEvents(rs recordSet) (bool, error) {
	if _, err := w.ft.tx.ExecContext(w.ft.ctx, `SAVEPOINT new_events`); err != nil {
		return false, fmt.Errorf("insert new events: %w", err)
	}
	err := w.copyIn("suspension", recordColumns[pme.Suspensions], len(rs.recs), rs.line)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == uniqueViolation {
		_, err = w.ft.tx.ExecContext(w.ft.ctx, `ROLLBACK TO SAVEPOINT new_events`)
		return false, err
	}
	if err != nil {
		return false, err
	}
	_, err = w.ft.tx.ExecContext(w.ft.ctx, `RELEASE SAVEPOINT new_events`)
	return err == nil, err
}

// pgIndex is a constraint as the catalog describes it, to be made again.
type pgIndex struct {
	Name string `db:"conname"`
	Def  string `db:"def"`
}

// startBulk drops suspension's key for the rest of the file when the table is empty, as it is for
// a council's first load: building the key once, at the end, costs a third of keeping it up to
// date row by row (1,000,000 events: 1.4 s of server time saved, measured in psql). Every batch is
// then copied straight in, and finishBulk makes the key again, from the catalog's definition,
// before the file commits.
func (w *pgWriter) startBulk() error {
	key, err := w.dropKeyWhileEmpty("suspension", `contype = 'p'`)
	w.bulk = key
	if err != nil {
		return fmt.Errorf("load events in bulk: %w", err)
	}
	return nil
}

// startPupilBulk drops pupil's UPN key for the rest of a first load, as startBulk does
// suspension's: 333,000 new pupils took the server 0.97-1.02 s to copy with the key and
// 0.51-0.56 s without, and building it once 0.16-0.18 s (measured in psql). The key is what finds a pupil by UPN, so
// until it is made again (finishPupilBulk) the file looks pupils up by reading the table
// (scanPupils), which the store rarely needs on a first load: new UPNs are not looked up at all
// (see lookupMissing). Anything that needs the key makes it first: a merge of changed pupils, a
// lookup by former UPN, rejected rows of a snapshot, a link of temporary UPNs, too many lookups.
// The key is made again before the file commits; should the file have stored a UPN twice, that
// fails, and so does the file, whole.
func (w *pgWriter) startPupilBulk() error {
	key, err := w.dropKeyWhileEmpty("pupil", `contype = 'u' AND conkey = (SELECT ARRAY[attnum]
		FROM pg_attribute WHERE attrelid = 'pupil'::regclass AND attname = 'upn')`)
	w.pupilBulk = key
	w.pupilsLocked = key != nil
	if err != nil {
		return fmt.Errorf("load pupils in bulk: %w", err)
	}
	return nil
}

// dropKeyWhileEmpty drops the constraint of table that cond picks out of pg_constraint, and
// returns it, when the table is empty. Nobody sees the table without its key: the lock the DROP
// takes lasts until the file commits or rolls back. It is taken only when no other transaction is
// using the table (NOWAIT), so a file never waits for a reader; readers that arrive later wait
// for the file. When the table is in use, not empty, or anything else goes wrong, it returns nil
// and the file goes on the usual way.
func (w *pgWriter) dropKeyWhileEmpty(table, cond string) (*pgIndex, error) {
	ft := w.ft
	if _, err := ft.tx.ExecContext(ft.ctx, `SAVEPOINT bulk_load`); err != nil {
		return nil, err
	}
	var key pgIndex
	empty := false
	q := `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
		WHERE conrelid = '` + table + `'::regclass AND ` + cond
	err := ft.tx.GetContext(ft.ctx, &key, q)
	if err == nil {
		_, err = ft.tx.ExecContext(ft.ctx, `LOCK TABLE `+table+` IN ACCESS EXCLUSIVE MODE NOWAIT`)
	}
	if err == nil {
		err = ft.tx.GetContext(ft.ctx, &empty, `SELECT NOT EXISTS (SELECT 1 FROM `+table+`)`)
	}
	if err == nil && empty {
		_, err = ft.tx.ExecContext(ft.ctx, `ALTER TABLE `+table+` DROP CONSTRAINT `+pq.QuoteIdentifier(key.Name))
	}
	dropped := err == nil && empty
	if !dropped {
		// Undoes the lock too.
		if _, err := ft.tx.ExecContext(ft.ctx, `ROLLBACK TO SAVEPOINT bulk_load`); err != nil {
			return nil, err
		}
	}
	if _, err := ft.tx.ExecContext(ft.ctx, `RELEASE SAVEPOINT bulk_load`); err != nil {
		return nil, err
	}
	if !dropped {
		return nil, nil
	}
	return &key, nil
}

// addKeySQL is the statement that makes a dropped key again.
func addKeySQL(table string, key *pgIndex) string {
	return `ALTER TABLE ` + table + ` ADD CONSTRAINT ` + pq.QuoteIdentifier(key.Name) + ` ` + key.Def
}

// allowBigSorts lets the keys' rebuilds sort in memory: suspension's spilled to disk at the
// default 64 MB for 1,000,000 events. The setting lasts until the file commits.
func (w *pgWriter) allowBigSorts() error {
	if w.bigSorts {
		return nil
	}
	if _, err := w.ft.tx.ExecContext(w.ft.ctx, `SET LOCAL maintenance_work_mem = '256MB'`); err != nil {
		return err
	}
	w.bigSorts = true
	return nil
}

// finishBulk makes again the keys startBulk and startPupilBulk dropped. Events the file listed
// more than once in different batches fail suspension's: the earlier rows are deleted, so that
// each event keeps its last row, as it would have row by row, and the key is made again.
func (w *pgWriter) finishBulk() error {
	if err := w.finishPupilBulk(); err != nil {
		return err
	}
	key := w.bulk
	if key == nil {
		return nil
	}
	w.bulk = nil
	ft := w.ft
	add := addKeySQL("suspension", key)
	if err := w.allowBigSorts(); err != nil {
		return fmt.Errorf("make the events' key: %w", err)
	}
	if _, err := ft.tx.ExecContext(ft.ctx, `SAVEPOINT bulk_key`); err != nil {
		return fmt.Errorf("make the events' key: %w", err)
	}
	_, err := ft.tx.ExecContext(ft.ctx, add)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == uniqueViolation {
		// The table held none of these events before the file (see startBulk), and id grows
		// with each row copied in this transaction.
		const dedup = `DELETE FROM suspension s USING suspension t
			WHERE t.pupil_id = s.pupil_id AND t.start_date = s.start_date AND t.category = s.category
				AND t.laestab = s.laestab AND t.id > s.id`
		if _, err = ft.tx.ExecContext(ft.ctx, `ROLLBACK TO SAVEPOINT bulk_key`); err == nil {
			if _, err = ft.tx.ExecContext(ft.ctx, dedup); err == nil {
				_, err = ft.tx.ExecContext(ft.ctx, add)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("make the events' key: %w", err)
	}
	if _, err := ft.tx.ExecContext(ft.ctx, `RELEASE SAVEPOINT bulk_key`); err != nil {
		return fmt.Errorf("make the events' key: %w", err)
	}
	return nil
}

// finishPupilBulk makes again the UPN key startPupilBulk dropped.
func (w *pgWriter) finishPupilBulk() error {
	key := w.pupilBulk
	if key == nil {
		return nil
	}
	w.pupilBulk = nil
	err := w.allowBigSorts()
	if err == nil {
		_, err = w.ft.tx.ExecContext(w.ft.ctx, addKeySQL("pupil", key))
	}
	if err != nil {
		return fmt.Errorf("make the pupils' UPN key: %w", err)
	}
	return nil
}

// uniqueViolation is PostgreSQL's error code for a duplicate key.
const uniqueViolation = "23505"

func (w *pgWriter) writeIssues(is []pme.Issue) error {
	if len(is) == 0 {
		return nil
	}
	return w.copyLater("issue", issueColumns, len(is), valueLines(func(i int) []any {
		x := &is[i]
		return []any{w.ft.fileID, x.Sheet, x.Row, x.Column, x.Value, x.Code, x.Severity, x.Message}
	}))
}

// analyzeSample refreshes the tables' statistics from a small sample. SET LOCAL keeps the setting
// to its own transaction: the connection goes back to the pool.
func analyzeSample(ctx context.Context, conn *sqlx.Conn, tables []string) error {
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL default_statistics_target = 10`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `ANALYZE `+strings.Join(tables, ", ")); err != nil {
		return err
	}
	return tx.Commit()
}
