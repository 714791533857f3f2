package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"pme"
)

// flushRows is how many records (or issues) a FileTx gathers before writing them: large enough that
// a 1,000,000-row file costs a few hundred round trips, small enough that memory stays flat.
const flushRows = 5000

// pupilCacheLimit bounds the pupils a FileTx remembers between flushes; past it the memory is
// dropped and pupils are looked up again, so a file of any size costs bounded memory. A lookup
// costs a few microseconds a pupil, and a file lists a pupil's rows together or returns a few
// thousand pupils: a small cache saves nearly all of them. At 50,000 the cache was 15 MB of a
// 1,000,000-row file's 70 MB of heap, which kept the collector busy under the ingest's memory
// limit; at 20,000 it is about 6 MB, and the file looks up no more batches (19 against 20).
const pupilCacheLimit = 20_000

// FileTx is one file being stored, in one database transaction: the file's row, its sheets, pupils,
// records and issues are committed together or not at all. It implements ingest.Sink (the
// check is in the tests, so that the store builds without the readers). A FileTx is
// used by one goroutine; the context given to BeginFile governs the whole transaction.
type FileTx struct {
	s        *Store
	ctx      context.Context
	conn     *sqlx.Conn // the connection tx runs on, returned to the pool when the file ends
	tx       *fileTx
	w        batchWriter
	meta     FileMeta
	fileID   int64
	received pme.Date

	position int         // sheets started so far
	sheet    *sheetState // the sheet being read; nil between sheets
	sheets   []endedSheet
	// nextSheetID is the id the next sheet takes, when known without asking (see takeSheetID).
	nextSheetID int64
	// closing lists the schools whose snapshot the writer may retire in the statement that writes the
	// sheet's last records; it clears the list when it does (see EndSheet).
	closing []string

	pending       []pendingRecord // records not yet written; reused between flushes
	pendingIssues []pme.Issue
	storeIssues   []pme.Issue // DETAILS_CHANGED warnings, written at Commit

	args    []any // one record's values, reused (see recordArgs)
	pupils  pupilCache
	states  []*pupilState // each pending record's pupil, reused (see resolvePupils)
	anyTemp bool          // some pupil has a temporary UPN: merges are worth looking for
	// anyFormer: some pupil has a former UPN, so lookups must search former_upn too. Most stores
	// have none for most of the time, and the search cost as much as the pupil lookup itself.
	anyFormer bool
	// batchNew: every record being flushed belongs to a pupil created by this flush, so no stored
	// row shares its pupil (see resolvePupils).
	batchNew bool
	// firstPupils: no pupil was stored when the file began, so a UPN is new unless this file
	// created it, which created tells (see lookupMissing).
	firstPupils bool
	created     upnFilter
	done        bool

	att *attWriter // the file's attendance rows (attendance.go); nil until it has any
}

// sheetState is what a FileTx knows about the sheet being read.
type sheetState struct {
	id       int64 // its row's id, taken at the start; the row itself is written at Commit
	res      pme.SheetResult
	laestabs map[string]bool // schools of the accepted records, in case Schools misses one
	lastLA   string          // the last record's school, in laestabs
}

// endedSheet is a sheet whose row is written at Commit, with its final counts: written at the start
// and updated at the end, it cost two statements more.
type endedSheet struct {
	id       int64
	position int
	start    pme.SheetResult // as started: its name and return type
	res      pme.SheetResult // as ended: its schools and counts
}

// pendingRecord holds a copy of a record and its detail, because the caller reuses both.
type pendingRecord struct {
	rec pme.Record
	tt  pme.Timetable
	pl  pme.Placement
	su  pme.Suspension
}

// BeginFile opens the transaction that will hold everything from one file and records the file
// (as still being ingested until Commit). The file's hash must be new: see FindFile.
func (s *Store) BeginFile(ctx context.Context, meta FileMeta) (*FileTx, error) {
	// The transaction runs on a connection of its own, so that the PostgreSQL writer can reach the
	// driver under it and stream COPY data without database/sql's per-row cost (see pgWriter).
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin file: %w", err)
	}
	if s.backend == SQLite {
		// A multi-row INSERT runs under a statement journal (the rows it has written are undone if
		// a later one fails). SQLite keeps the first 64 KiB of it in memory and spills the rest to a
		// temporary file: a 100-row insert into the pupil table, whose UPN index is written at
		// random, spilled on every statement (measured: 0.57 s of pwrite in a 100,000-row xlsx).
		// In memory it is a copy of the pages the statement touches, freed when it ends; it plays
		// no part in crash recovery (that is the WAL's). Only this file's connection, for its
		// transaction: a flag run's large sorts keep their temporary files.
		if _, err := conn.ExecContext(ctx, `PRAGMA temp_store = MEMORY`); err != nil {
			conn.Close()
			return nil, fmt.Errorf("begin file: %w", err)
		}
	}
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		ft := &FileTx{s: s, conn: conn}
		ft.release()
		return nil, fmt.Errorf("begin file: %w", err)
	}
	ft := &FileTx{s: s, ctx: ctx, conn: conn, tx: &fileTx{tx: tx}, meta: meta, received: pme.DateOf(meta.Received)}
	if !meta.RunDate.IsZero() {
		ft.received = meta.RunDate // a record is returned on its ingest's run date, as the file counts (compliance.md)
	}
	if err := ft.begin(); err != nil {
		tx.Rollback()
		ft.release()
		return nil, fmt.Errorf("begin file: %w", err)
	}
	return ft, nil
}

func (ft *FileTx) begin() error {
	// The file's row, whether any pupil has a temporary or former UPN or any pupil is stored at all,
	// and the first sheet's id, in one round trip. SQLite has one writer, this transaction from its
	// first insert on: the ids after the largest stay free until it commits.
	firstSheetID := `(SELECT COALESCE(MAX(id), 0) + 1 FROM file_sheet)`
	if ft.s.backend == Postgres {
		firstSheetID = `nextval(pg_get_serial_sequence('file_sheet', 'id'))`
	}
	q := `INSERT INTO file (sha256, name, size, received, dest_path, status, run_date)
		VALUES (?, ?, ?, ?, ?, 'ingesting', ?)
		RETURNING id, ` + anyTempSQL + `, EXISTS (SELECT 1 FROM former_upn), NOT EXISTS (SELECT 1 FROM pupil), ` +
		firstSheetID
	err := ft.tx.QueryRowxContext(ft.ctx, ft.tx.Rebind(q), ft.meta.SHA256, ft.meta.Name, ft.meta.Size,
		timestamp(ft.meta.Received), ft.meta.DestPath, ft.meta.RunDate).Scan(&ft.fileID, &ft.anyTemp, &ft.anyFormer, &ft.firstPupils,
		&ft.nextSheetID)
	if err != nil {
		return fmt.Errorf("insert file: %w", err)
	}
	ft.pupils.reset(0)
	if ft.s.backend == Postgres {
		ft.w, err = newPGWriter(ft)
	} else {
		ft.w, err = newSQLiteWriter(ft)
	}
	return err
}

// anyTempSQL is true when some pupil has a temporary UPN. It reads the first entry of the partial
// index pupil_temp, whatever the statistics say: EXISTS (… WHERE is_temp) let PostgreSQL, with no
// statistics on pupil (a fresh database, autovacuum off or behind), scan the whole table for a
// row that is not there, in every file (25 ms a file at 125,000 pupils: most of a small file's
// time after a few thousand files).
const anyTempSQL = `(SELECT 1 FROM pupil WHERE is_temp ORDER BY name_key LIMIT 1) IS NOT NULL`

// FileID returns the id of the file's row.
func (ft *FileTx) FileID() int64 { return ft.fileID }

// StartSheet records the start of a sheet.
func (ft *FileTx) StartSheet(res pme.SheetResult) error {
	if ft.sheet != nil {
		return fmt.Errorf("start sheet %q: sheet %q has not ended", res.Sheet, ft.sheet.res.Sheet)
	}
	if err := ft.flush(); err != nil {
		return err
	}
	id, err := ft.takeSheetID()
	if err != nil {
		return fmt.Errorf("start sheet: %w", err)
	}
	ft.position++
	ft.sheet = &sheetState{id: id, res: res, laestabs: map[string]bool{}}
	return nil
}

// takeSheetID returns the id of the next sheet's row: the one begin took, then on SQLite the ids
// after it, and on PostgreSQL the next of file_sheet's sequence.
func (ft *FileTx) takeSheetID() (int64, error) {
	id := ft.nextSheetID
	if ft.s.backend == SQLite {
		ft.nextSheetID++
		return id, nil
	}
	if id != 0 {
		ft.nextSheetID = 0
		return id, nil
	}
	if err := ft.tx.GetContext(ft.ctx, &id, `SELECT nextval(pg_get_serial_sequence('file_sheet', 'id'))`); err != nil {
		return 0, fmt.Errorf("number sheet: %w", err)
	}
	return id, nil
}

// Records takes a batch of accepted rows of the current sheet. They are copied: the caller may
// reuse the slice and the details it points to.
func (ft *FileTx) Records(batch []pme.Record) error {
	if ft.sheet == nil {
		return errors.New("store records: no sheet started")
	}
	for i := range batch {
		if err := ft.add(&batch[i]); err != nil {
			return err
		}
		if len(ft.pending) >= flushRows {
			if err := ft.flushRecords(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (ft *FileTx) add(r *pme.Record) error {
	if r.Type.Attendance() {
		return ft.attendance().add(r)
	}
	ft.pending = append(ft.pending, pendingRecord{})
	p := &ft.pending[len(ft.pending)-1]
	p.rec = *r
	p.rec.Timetable, p.rec.Placement, p.rec.Suspension = nil, nil, nil
	ok := false
	switch r.Type {
	case pme.ReducedTimetable:
		if ok = r.Timetable != nil; ok {
			p.tt = *r.Timetable
		}
	case pme.AlternativeProvision:
		if ok = r.Placement != nil; ok {
			p.pl = *r.Placement
		}
	case pme.Suspensions:
		if ok = r.Suspension != nil; ok {
			p.su = *r.Suspension
		}
	}
	if !ok {
		ft.pending = ft.pending[:len(ft.pending)-1]
		return fmt.Errorf("store records: row %d of type %q has no detail of its type", r.Row, r.Type)
	}
	if r.LAESTAB != ft.sheet.lastLA { // a school's own return names one school: no map access
		ft.sheet.laestabs[r.LAESTAB] = true
		ft.sheet.lastLA = r.LAESTAB
	}
	return nil
}

// Issues takes a batch of row issues of the current sheet, copied.
func (ft *FileTx) Issues(batch []pme.Issue) error {
	ft.pendingIssues = append(ft.pendingIssues, batch...)
	if len(ft.pendingIssues) >= flushRows {
		return ft.flushIssues()
	}
	return nil
}

// EndSheet writes what is left of the sheet, keeps its counts for Commit and, for a snapshot type,
// makes the sheet the current list of each school it speaks for (see replaceSnapshots).
func (ft *FileTx) EndSheet(res pme.SheetResult) error {
	if ft.sheet == nil {
		return fmt.Errorf("end sheet %q: no sheet started", res.Sheet)
	}
	var schools []string
	if res.ReturnType.Snapshot() {
		schools = ft.snapshotSchools(res)
		// With no rejected row to keep a pupil's earlier row, retiring a school's earlier rows needs
		// nothing from the sheet's records: the writer may do it in the statement that writes the
		// last of them (one round trip fewer).
		if !anyRejected(res) {
			ft.closing = schools
		}
	}
	offered := len(ft.closing) > 0
	err := ft.flush()
	closed := offered && ft.closing == nil
	ft.closing = nil
	if err != nil {
		return err
	}
	if len(schools) > 0 && !closed {
		if err := ft.replaceSnapshots(res, schools); err != nil {
			return fmt.Errorf("end sheet: %w", err)
		}
	}
	ft.sheets = append(ft.sheets, endedSheet{id: ft.sheet.id, position: ft.position, start: ft.sheet.res, res: res})
	ft.sheet = nil
	return nil
}

// anyRejected reports whether a sheet rejected the row of any pupil.
func anyRejected(res pme.SheetResult) bool {
	for _, keys := range res.RejectedPupils {
		if len(keys) > 0 {
			return true
		}
	}
	return false
}

// StoreIssues returns the warnings the store itself found (DETAILS_CHANGED), which are stored with
// the file's issues at Commit.
func (ft *FileTx) StoreIssues() []pme.Issue { return ft.storeIssues }

// Commit records the file's outcome (pme.FileAccepted or pme.FilePartial) and its counts, and
// commits everything from the file. On any error nothing from the file is stored.
func (ft *FileTx) Commit(status string) error {
	if ft.done {
		return errors.New("commit file: already finished")
	}
	// A refused commit still ends the transaction: on SQLite an open one would hold the only
	// connection.
	if status != pme.FileAccepted && status != pme.FilePartial {
		ft.Rollback()
		return fmt.Errorf("commit file: status %q, want %s or %s", status, pme.FileAccepted, pme.FilePartial)
	}
	if ft.sheet != nil {
		ft.Rollback()
		return fmt.Errorf("commit file: sheet %q has not ended", ft.sheet.res.Sheet)
	}
	if err := ft.commit(status); err != nil {
		ft.Rollback()
		return fmt.Errorf("commit file: %w", err)
	}
	return nil
}

func (ft *FileTx) commit(status string) error {
	if err := ft.flush(); err != nil {
		return err
	}
	if err := ft.att.finish(ft.sheets); err != nil {
		return err
	}
	if err := ft.w.writeIssues(ft.storeIssues); err != nil {
		return err
	}
	if err := ft.finishBulk(); err != nil {
		return err
	}
	var rows, accepted, rejected int
	for _, sh := range ft.sheets {
		rows, accepted, rejected = rows+sh.res.Rows, accepted+sh.res.Accepted, rejected+sh.res.Rejected
	}
	if err := ft.finishFile(status, rows, accepted, rejected); err != nil {
		return err
	}
	if err := ft.w.close(); err != nil {
		return err
	}
	ft.done = true
	defer ft.release()
	if err := ft.tx.Commit(); err != nil {
		return err
	}
	// A large file changes the tables faster than autovacuum re-reads them. Fresh statistics keep
	// the next file's lookups on their indexes: measured, after a 1,000,000-row file each small
	// file that followed scanned the whole pupil table (28 ms a file instead of 0.03 ms).
	// Only the tables the file wrote, from a small sample (3,000 rows): the lookups need the
	// tables' sizes more than fine distributions, and the default sample of 30,000 took 0.31-0.36 s
	// after a 1,000,000-row file against 0.05-0.12 s.
	if ft.s.backend == Postgres && rows >= analyzeAfterRows {
		tables := []string{"pupil"}
		if ft.anyFormer {
			tables = append(tables, "former_upn")
		}
		for _, t := range pme.ReturnTypes {
			for _, sh := range ft.sheets {
				if sh.start.ReturnType == t {
					tables = append(tables, recordTable[t])
					break
				}
			}
		}
		if ft.att != nil && ft.att.marks > 0 {
			tables = append(tables, "att_mark")
		}
		if err := analyzeSample(ft.ctx, ft.conn, tables); err != nil {
			return fmt.Errorf("analyze after a large file: %w", err)
		}
	}
	return nil
}

// finishFile writes the sheets' rows and the file's outcome and counts: on PostgreSQL in one
// statement, the sheets' INSERT in its WITH.
func (ft *FileTx) finishFile(status string, rows, accepted, rejected int) error {
	var ins strings.Builder
	var args []any
	i := 0
	for _, sh := range ft.sheets {
		if sh.start.ReturnType.Attendance() {
			continue // in att_sheet (see attWriter.finish)
		}
		i++
		if i == 1 {
			ins.WriteString(`INSERT INTO file_sheet (id, file_id, position, sheet, return_type, school, schools,
				header_row, rows, accepted, rejected, skipped) VALUES `)
		} else {
			ins.WriteString(", ")
		}
		ins.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		r := &sh.res
		args = append(args, sh.id, ft.fileID, sh.position, sh.start.Sheet, string(sh.start.ReturnType), r.School,
			joinSchools(r.Schools), r.HeaderRow, r.Rows, r.Accepted, r.Rejected, r.Skipped)
	}
	q := `UPDATE file SET status = ?, rows = ?, accepted = ?, rejected = ? WHERE id = ?`
	switch {
	case i == 0:
	case ft.s.backend == Postgres:
		q = `WITH sheet AS (` + ins.String() + `) ` + q
	default:
		if _, err := ft.tx.ExecContext(ft.ctx, ft.tx.Rebind(ins.String()), args...); err != nil {
			return fmt.Errorf("store sheets: %w", err)
		}
		args = nil
	}
	args = append(args, status, rows, accepted, rejected, ft.fileID)
	if _, err := ft.tx.ExecContext(ft.ctx, ft.tx.Rebind(q), args...); err != nil {
		return fmt.Errorf("store file outcome: %w", err)
	}
	return nil
}

// finishBulk makes again any key the writer dropped to load a large file faster (see
// pgWriter.startBulk and startPupilBulk): before the file commits, and before anything looks
// events or pupils up by it.
func (ft *FileTx) finishBulk() error {
	if b, ok := ft.w.(interface{ finishBulk() error }); ok {
		return b.finishBulk()
	}
	return nil
}

// analyzeAfterRows is the file size after which PostgreSQL's statistics are refreshed.
const analyzeAfterRows = 20_000

// release returns the file's connection to the pool, with SQLite's temporary storage back to its
// default (BeginFile set it to memory for the file's transaction). A connection whose reset fails
// is dropped rather than pooled.
func (ft *FileTx) release() {
	if ft.s.backend == SQLite {
		ctx := context.Background()
		if _, err := ft.conn.ExecContext(ctx, `PRAGMA temp_store = DEFAULT`); err != nil {
			ft.conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}
	ft.conn.Close()
}

// Rollback abandons the file: nothing from it is stored. It is safe to call after Commit or twice.
func (ft *FileTx) Rollback() error {
	if ft.done {
		return nil
	}
	ft.done = true
	ft.w.close()
	defer ft.release()
	if err := ft.tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("roll back file: %w", err)
	}
	return nil
}

// flush writes every pending record and issue.
func (ft *FileTx) flush() error {
	if err := ft.flushRecords(); err != nil {
		return err
	}
	if err := ft.att.flush(); err != nil {
		return err
	}
	return ft.flushIssues()
}

func (ft *FileTx) flushIssues() error {
	if len(ft.pendingIssues) == 0 {
		return nil
	}
	if err := ft.w.writeIssues(ft.pendingIssues); err != nil {
		return err
	}
	ft.pendingIssues = ft.pendingIssues[:0]
	return nil
}

// flushRecords resolves the pending records' pupils, writes them, and links temporary UPNs.
func (ft *FileTx) flushRecords() error {
	if len(ft.pending) == 0 {
		return nil
	}
	if ft.att != nil {
		ft.att.fresh = false // these records' pupils may be new: attendance's must be looked up
	}
	ids, err := ft.resolvePupils()
	if err != nil {
		return fmt.Errorf("store pupils: %w", err)
	}
	present := map[pme.ReturnType]bool{}
	for i := range ft.pending {
		present[ft.pending[i].rec.Type] = true
	}
	for _, t := range pme.ReturnTypes {
		if !present[t] {
			continue
		}
		if err := ft.w.writeRecords(t, ft.pending, ids); err != nil {
			return fmt.Errorf("store %s records: %w", t, err)
		}
	}
	if ft.anyTemp {
		if err := ft.linkTemporaryUPNs(ids); err != nil {
			return fmt.Errorf("link temporary UPNs: %w", err)
		}
	}
	ft.pending = ft.pending[:0]
	return nil
}

// batchWriter writes a FileTx's batches in its backend's fastest way: COPY into PostgreSQL,
// prepared statements into SQLite. It runs inside the FileTx's transaction.
type batchWriter interface {
	// lookupPupils returns the stored pupils known by any of these UPNs: their own, or a former
	// one when former is set.
	lookupPupils(upns []string, former bool) ([]pupilRow, error)
	// writePupils inserts the new pupils (setting their ids) and updates the changed ones.
	writePupils(ps []*pupilState) error
	// writeRecords writes the records of type t among recs, whose pupils are ids[i].
	writeRecords(t pme.ReturnType, recs []pendingRecord, ids []int64) error
	writeIssues(is []pme.Issue) error
	close() error
}

// recordTable names the table holding each return type's records.
var recordTable = map[pme.ReturnType]string{
	pme.ReducedTimetable:     "timetable",
	pme.AlternativeProvision: "placement",
	pme.Suspensions:          "suspension",
}

// replaceSnapshots makes the sheet the current list of its type for each school it speaks for:
// the school's earlier current rows stop being current, except those of pupils whose row in this
// sheet was rejected, which stay current marked stale (returns.md, Snapshot detail). A nil return
// (no rows) so closes the school's list.
func (ft *FileTx) replaceSnapshots(res pme.SheetResult, schools []string) error {
	table := recordTable[res.ReturnType]
	for _, school := range schools {
		kept, err := ft.keptPupils(table, school, res.RejectedPupils[school])
		if err != nil {
			return err
		}
		if err := ft.closeSnapshot(table, school, kept); err != nil {
			return err
		}
	}
	return nil
}

// snapshotSchools lists the schools a snapshot sheet speaks for: those it names, and those of its
// accepted records in case it misses one.
func (ft *FileTx) snapshotSchools(res pme.SheetResult) []string {
	schools := append([]string(nil), res.Schools...)
	listed := map[string]bool{}
	for _, s := range schools {
		listed[s] = true
	}
	for s := range ft.sheet.laestabs {
		if !listed[s] {
			schools = append(schools, s)
		}
	}
	return schools
}

// closeSnapshot retires the school's current rows from earlier sheets, and marks stale those of the
// kept pupils.
func (ft *FileTx) closeSnapshot(table, school string, kept []int64) error {
	earlier, arg := `laestab = ? AND is_current AND sheet_id <> ?`, ft.sheet.id
	if w, ok := ft.w.(interface{ sheetRowsFrom(string) (int64, bool) }); ok {
		if first, ok := w.sheetRowsFrom(table); ok {
			// SQLite: the earlier sheets' rows are those below the sheet's first, found in the index
			// on (laestab, is_current), whose last column is the id, without reading the sheet's own
			// rows to compare their sheet (0.18-0.24 s after a 100,000-row sheet).
			earlier, arg = `laestab = ? AND is_current = 1 AND id < ?`, first
		}
	}
	q := `UPDATE ` + table + ` SET is_current = FALSE, stale = FALSE WHERE ` + earlier
	args := []any{school, arg}
	if len(kept) > 0 {
		frag, arg := ft.s.inList("pupil_id", kept)
		q += ` AND NOT (` + frag + `)`
		args = append(args, arg)
	}
	if _, err := ft.tx.ExecContext(ft.ctx, ft.tx.Rebind(q), args...); err != nil {
		return fmt.Errorf("replace %s snapshot: %w", table, err)
	}
	if len(kept) == 0 {
		return nil
	}
	q = `UPDATE ` + table + ` SET stale = TRUE WHERE ` + earlier
	if _, err := ft.tx.ExecContext(ft.ctx, ft.tx.Rebind(q), school, arg); err != nil {
		return fmt.Errorf("keep stale %s rows: %w", table, err)
	}
	return nil
}

// keptPupils finds the pupils a school's rejected rows belong to: by UPN (own or former) or, when
// the row's UPN is unusable or unknown, the pupils with a current row of this type at the school
// and the same surname, forename and date of birth.
func (ft *FileTx) keptPupils(table, school string, keys []pme.PupilKey) ([]int64, error) {
	if len(keys) > 0 {
		if err := ft.finishBulk(); err != nil { // the pupils are found by their UPN key
			return nil, err
		}
	}
	var ids []int64
	for _, k := range keys {
		var found []int64
		if k.UPN != "" {
			q := ft.tx.Rebind(`SELECT id FROM pupil WHERE upn = ? UNION SELECT pupil_id FROM former_upn WHERE upn = ?`)
			if err := ft.tx.SelectContext(ft.ctx, &found, q, k.UPN, k.UPN); err != nil {
				return nil, fmt.Errorf("find rejected row's pupil: %w", err)
			}
		}
		if len(found) == 0 {
			q := ft.tx.Rebind(`SELECT DISTINCT r.pupil_id FROM ` + table + ` r JOIN pupil p ON p.id = r.pupil_id
				WHERE r.laestab = ? AND r.is_current AND r.sheet_id <> ? AND p.name_key = ? AND p.dob = ?`)
			if err := ft.tx.SelectContext(ft.ctx, &found, q, school, ft.sheet.id,
				nameKey(k.Surname, k.Forename), k.DOB); err != nil {
				return nil, fmt.Errorf("find rejected row's pupil by name: %w", err)
			}
		}
		ids = append(ids, found...)
	}
	return ids, nil
}
