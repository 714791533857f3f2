package store

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/lib/pq"

	"pme"
)

// nameKey is how names are matched: trimmed and case-folded (Unicode-aware, which SQLite's lower()
// is not), surname and forename joined by a separator no name holds.
func nameKey(surname, forename string) string {
	return strings.ToLower(strings.TrimSpace(surname)) + "\x1f" + strings.ToLower(strings.TrimSpace(forename))
}

// pupilRow is a stored pupil as a lookup returns it: Key is the UPN it was found by (its own, or a
// former one). A Fresh row is a UPN found nowhere, with the id its new pupil will have (PostgreSQL
// takes it in the lookup; SQLite returns no such rows).
type pupilRow struct {
	Key   string `db:"key"`
	ID    int64  `db:"id"`
	Temp  bool   `db:"is_temp"`
	Fresh bool   `db:"fresh"`
	pme.Pupil
}

const pupilRowColumns = `p.id, p.is_temp, p.upn, p.surname, p.forename, p.dob, p.gender, p.nc_year, p.sen`

// pupilState is a pupil as a FileTx knows it: as stored, or as it will be written at the next flush.
type pupilState struct {
	id    int64 // 0 until a new pupil is written
	temp  bool
	p     pme.Pupil // p.UPN is the pupil's own UPN, even when found by a former one
	isNew bool
	dirty bool // details differ from the stored ones
	queue bool // already queued for writing in this flush
}

// pupilCache maps UPNs (own and former) and ids to what a FileTx knows of the pupils it has met.
type pupilCache struct {
	byUPN map[string]*pupilState
	byID  map[int64]*pupilState
	newID map[string]int64 // ids taken by the lookup for this flush's new pupils
}

// reset empties the cache, sized for n pupils.
func (c *pupilCache) reset(n int) {
	c.byUPN = make(map[string]*pupilState, n)
	c.byID = make(map[int64]*pupilState, n)
	c.newID = map[string]int64{}
}

// resolvePupils finds or creates the pupil of each pending record, applying the latest details
// (blank gender, NC year or SEN never wipe known ones) and raising DETAILS_CHANGED where a known UPN
// comes with a different name or date of birth. It returns each record's pupil id, and sets
// ft.batchNew.
func (ft *FileTx) resolvePupils() ([]int64, error) {
	c := &ft.pupils
	// Each record's pupil as the cache knows it, looked up once: the maps cost more than anything
	// else here.
	sts := slices.Grow(ft.states[:0], len(ft.pending))[:len(ft.pending)]
	for i := range ft.pending {
		sts[i] = c.byUPN[ft.pending[i].rec.Pupil.UPN]
	}
	ft.states = sts
	if err := ft.lookupMissing(sts); err != nil {
		return nil, err
	}
	var write []*pupilState
	ft.batchNew = true
	for i := range ft.pending {
		r := &ft.pending[i].rec
		st := sts[i]
		if st == nil {
			st = c.byUPN[r.Pupil.UPN] // looked up just now, or met earlier in the batch
		}
		if st == nil {
			st = &pupilState{id: c.newID[r.Pupil.UPN], temp: pme.TemporaryUPN(r.Pupil.UPN), p: r.Pupil, isNew: true}
			c.byUPN[r.Pupil.UPN] = st
			if ft.firstPupils {
				ft.created.add(r.Pupil.UPN)
			}
		} else {
			ft.batchNew = ft.batchNew && st.isNew
			if ft.applyDetails(st, r) {
				st.dirty = true
			}
		}
		sts[i] = st
		if (st.isNew || st.dirty) && !st.queue {
			st.queue = true
			write = append(write, st)
		}
	}
	if len(write) > 0 {
		if err := ft.w.writePupils(write); err != nil {
			return nil, err
		}
	}
	for _, st := range write {
		st.isNew, st.dirty, st.queue = false, false, false
		c.byID[st.id] = st
		ft.anyTemp = ft.anyTemp || st.temp
	}
	ids := make([]int64, len(ft.pending))
	for i, st := range sts {
		ids[i] = st.id
	}
	if len(c.byUPN) > pupilCacheLimit {
		// Everything in the cache is written: forgetting costs only lookups. The batch's own pupils
		// stay, for the rows of theirs that run on into the next batch: a lookup waits for the
		// queued COPYs (see copyQueue), and emptied whole the cache made a 1,000,000-row file look
		// up UPNs in 19 batches, against 4.
		// Sized for the pupils it will hold when it fills again: grown from empty, rebuilding the
		// maps on the way, resolving a 1,000,000-row file's pupils took 0.49 s against 0.38 s.
		c.reset(pupilCacheLimit + flushRows)
		for i, st := range sts {
			c.byUPN[ft.pending[i].rec.Pupil.UPN] = st
			c.byID[st.id] = st
		}
	}
	clear(sts) // let go of pupils the cache forgets
	return ids, nil
}

// lookupMissing loads the stored pupils of the pending records' UPNs that the cache lacks (sts[i]
// is nil). Into a store that had no pupils, only UPNs this file has created can be stored: the
// others are not looked up (a first load of 1,000,000 rows spent 2.7 s of the server's time
// looking up 333,000 new UPNs).
func (ft *FileTx) lookupMissing(sts []*pupilState) error {
	c := &ft.pupils
	clear(c.newID)
	var seen map[string]bool
	var missing []string
	for i, st := range sts {
		upn := ft.pending[i].rec.Pupil.UPN
		if st != nil || ft.firstPupils && !ft.created.has(upn) || seen[upn] {
			continue
		}
		if seen == nil {
			seen = map[string]bool{}
		}
		seen[upn] = true
		missing = append(missing, upn)
	}
	if len(missing) == 0 {
		return nil
	}
	rows, err := ft.w.lookupPupils(missing, ft.anyFormer)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.Fresh {
			c.newID[r.Key] = r.ID
			continue
		}
		st := c.byID[r.ID]
		if st == nil {
			st = &pupilState{id: r.ID, temp: r.Temp, p: r.Pupil}
			c.byID[r.ID] = st
		}
		c.byUPN[r.Key] = st
	}
	return nil
}

// upnFilter is a Bloom filter of UPNs: has is false for a UPN never added, and true for one added
// or, rarely, for one not added (which costs that UPN a lookup, nothing more). A UPN's eight bits
// are in one word of its 4 MiB, one memory access. A lookup also waits for the COPYs queued before
// it (see copyQueue), and while a first load has no UPN key it reads the whole pupil table (see
// scanPupils). With four bits a UPN, 7-8 of the 333,000 new UPNs of a 1,000,000-row first load
// were looked up, as the arithmetic of a one-word filter predicts; with eight, 0 to 3 in the runs
// measured (the arithmetic predicts about one).
type upnFilter struct {
	words []uint64
}

const upnFilterWords = 1 << 19

var upnFilterSeed = maphash.MakeSeed()

// position returns the word and the bits of upn: the word from the hash's low bits, the bits from
// a second hash made of the first.
func (f *upnFilter) position(upn string) (int, uint64) {
	h := maphash.String(upnFilterSeed, upn)
	w := int(h % upnFilterWords)
	h = (h ^ h>>29) * 0xbf58476d1ce4e5b9 // splitmix64's mix: 64 fresh bits, of which 48 are used
	var bits uint64
	for i := 0; i < 8; i++ {
		bits |= 1 << (h % 64)
		h /= 64
	}
	return w, bits
}

func (f *upnFilter) add(upn string) {
	if f.words == nil {
		f.words = make([]uint64, upnFilterWords)
	}
	w, bits := f.position(upn)
	f.words[w] |= bits
}

func (f *upnFilter) has(upn string) bool {
	if f.words == nil {
		return false
	}
	w, bits := f.position(upn)
	return f.words[w]&bits == bits
}

// applyDetails updates st with the record's details and reports whether anything changed. A change
// of name (beyond case and spacing) or date of birth is a DETAILS_CHANGED warning on the record.
func (ft *FileTx) applyDetails(st *pupilState, r *pme.Record) bool {
	old, in := st.p, r.Pupil
	if sameDetails(old, in) {
		return false // the common case: the pupil as returned last time
	}
	var changed []string
	if !sameName(old.Surname, in.Surname) {
		changed = append(changed, "Surname")
	}
	if !sameName(old.Forename, in.Forename) {
		changed = append(changed, "Forename")
	}
	if !old.DOB.Equal(in.DOB) {
		changed = append(changed, "Date of Birth")
	}
	if len(changed) > 0 {
		ft.storeIssues = append(ft.storeIssues, detailsChanged(r, changed))
	}
	next := old
	next.Surname, next.Forename, next.DOB = in.Surname, in.Forename, in.DOB
	if in.Gender != "" {
		next.Gender = in.Gender
	}
	if in.NCYear != "" {
		next.NCYear = in.NCYear
	}
	if in.SEN != "" {
		next.SEN = in.SEN
	}
	st.p = next
	return next != old
}

// sameDetails reports whether a return's details leave the known ones as they are.
func sameDetails(old, in pme.Pupil) bool {
	return old.Surname == in.Surname && old.Forename == in.Forename && old.DOB.Equal(in.DOB) &&
		(in.Gender == "" || in.Gender == old.Gender) && (in.NCYear == "" || in.NCYear == old.NCYear) &&
		(in.SEN == "" || in.SEN == old.SEN)
}

// sameName compares names as nameKey does, without building the keys.
func sameName(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	return a == b || strings.ToLower(a) == strings.ToLower(b)
}

// detailsChanged is the warning for a known UPN returned with a different name or date of birth.
// One field changed: the issue names that column and its new value. Several: the UPN column and the
// UPN, since the likelier mistake is the UPN itself.
func detailsChanged(r *pme.Record, changed []string) pme.Issue {
	is := pme.Issue{Sheet: r.Sheet, Row: r.Row, Column: "UPN", Value: r.Pupil.UPN,
		Code: pme.CodeDetailsChanged, Severity: pme.SeverityWarning}
	if len(changed) == 1 {
		is.Column = changed[0]
		switch changed[0] {
		case "Surname":
			is.Value = r.Pupil.Surname
		case "Forename":
			is.Value = r.Pupil.Forename
		default:
			is.Value = r.Pupil.DOB.UK()
		}
	}
	what := make([]string, len(changed))
	for i, c := range changed {
		what[i] = strings.ToLower(c)
	}
	is.Message = fmt.Sprintf("This UPN was returned before with a different %s; the details in this return are now used. Check the UPN is right.",
		joinAnd(what))
	return is
}

func joinAnd(ss []string) string {
	if len(ss) <= 1 {
		return strings.Join(ss, "")
	}
	return strings.Join(ss[:len(ss)-1], ", ") + " and " + ss[len(ss)-1]
}

// linkTemporaryUPNs merges into a permanent-UPN pupil of the flushed records any pupil with a
// temporary UPN, the same surname, forename (trimmed, any case) and date of birth, who was returned
// by the same school (returns.md, Pupil identity).
func (ft *FileTx) linkTemporaryUPNs(ids []int64) error {
	type want struct {
		key     string
		dob     pme.Date
		laestab string
		perm    int64
	}
	seen := map[want]bool{}
	var wants []want
	var keys []string
	for i := range ft.pending {
		r := &ft.pending[i].rec
		if pme.TemporaryUPN(r.Pupil.UPN) {
			continue
		}
		w := want{nameKey(r.Pupil.Surname, r.Pupil.Forename), r.Pupil.DOB, r.LAESTAB, ids[i]}
		if !seen[w] {
			seen[w] = true
			wants = append(wants, w)
			keys = append(keys, w.key)
		}
	}
	if len(wants) == 0 {
		return nil
	}
	temps, err := ft.tempPupils(keys)
	if err != nil {
		return err
	}
	if len(temps) > 0 {
		// returnedBy and mergePupil look events up by pupil.
		if err := ft.finishBulk(); err != nil {
			return err
		}
	}
	merged := false
	gone := map[int64]bool{}
	for _, w := range wants {
		for _, t := range temps {
			if t.key != w.key || !t.dob.Equal(w.dob) || t.id == w.perm || gone[t.id] || gone[w.perm] {
				continue
			}
			ok, err := ft.returnedBy(t.id, w.laestab)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if err := ft.mergePupil(t.id, w.perm); err != nil {
				return err
			}
			gone[t.id], merged = true, true
		}
	}
	if merged {
		ft.pupils.reset(0) // ids and UPNs moved: look them up again
		return ft.tx.GetContext(ft.ctx, &ft.anyTemp, `SELECT `+anyTempSQL)
	}
	return nil
}

type tempPupil struct {
	id  int64
	key string
	dob pme.Date
}

// tempPupils returns the pupils with a temporary UPN and one of these name keys.
func (ft *FileTx) tempPupils(keys []string) ([]tempPupil, error) {
	frag, arg := ft.s.inList("name_key", keys)
	var rows []struct {
		ID  int64    `db:"id"`
		Key string   `db:"name_key"`
		DOB pme.Date `db:"dob"`
	}
	q := ft.tx.Rebind(`SELECT id, name_key, dob FROM pupil WHERE is_temp AND ` + frag)
	if err := ft.tx.SelectContext(ft.ctx, &rows, q, arg); err != nil {
		return nil, err
	}
	out := make([]tempPupil, len(rows))
	for i, r := range rows {
		out[i] = tempPupil{r.ID, r.Key, r.DOB}
	}
	return out, nil
}

// returnedBy reports whether the school has returned any record of the pupil.
func (ft *FileTx) returnedBy(pupilID int64, laestab string) (bool, error) {
	var ok bool
	q := ft.tx.Rebind(`SELECT EXISTS (SELECT 1 FROM timetable WHERE pupil_id = ? AND laestab = ?)
		OR EXISTS (SELECT 1 FROM placement WHERE pupil_id = ? AND laestab = ?)
		OR EXISTS (SELECT 1 FROM suspension WHERE pupil_id = ? AND laestab = ?)`)
	err := ft.tx.GetContext(ft.ctx, &ok, q, pupilID, laestab, pupilID, laestab, pupilID, laestab)
	return ok, err
}

// mergePupil moves everything recorded under the temporary pupil to the permanent one, keeps the
// temporary UPN (and any it had itself absorbed) as former UPNs, fills the permanent pupil's blank
// gender, NC year and SEN from it, and deletes it. Where both hold the same suspension event, the
// one from the later file is kept (the permanent one on a tie), so the event is not counted twice.
func (ft *FileTx) mergePupil(temp, perm int64) error {
	steps := []struct {
		q    string
		args []any
	}{
		{`DELETE FROM suspension WHERE pupil_id = ? AND EXISTS (SELECT 1 FROM suspension b
			WHERE b.pupil_id = ? AND b.laestab = suspension.laestab AND b.category = suspension.category
			AND b.start_date = suspension.start_date AND b.file_id >= suspension.file_id)`, []any{temp, perm}},
		{`DELETE FROM suspension WHERE pupil_id = ? AND EXISTS (SELECT 1 FROM suspension b
			WHERE b.pupil_id = ? AND b.laestab = suspension.laestab AND b.category = suspension.category
			AND b.start_date = suspension.start_date)`, []any{perm, temp}},
		{`UPDATE suspension SET pupil_id = ? WHERE pupil_id = ?`, []any{perm, temp}},
		{`UPDATE timetable SET pupil_id = ? WHERE pupil_id = ?`, []any{perm, temp}},
		{`UPDATE placement SET pupil_id = ? WHERE pupil_id = ?`, []any{perm, temp}},
		{`UPDATE pupil SET
			gender = CASE WHEN gender = '' THEN (SELECT gender FROM pupil t WHERE t.id = ?) ELSE gender END,
			nc_year = CASE WHEN nc_year = '' THEN (SELECT nc_year FROM pupil t WHERE t.id = ?) ELSE nc_year END,
			sen = CASE WHEN sen = '' THEN (SELECT sen FROM pupil t WHERE t.id = ?) ELSE sen END
			WHERE id = ?`, []any{temp, temp, temp, perm}},
		{`UPDATE former_upn SET pupil_id = ? WHERE pupil_id = ?`, []any{perm, temp}},
		{`INSERT INTO former_upn (upn, pupil_id, linked) SELECT upn, ?, ? FROM pupil WHERE id = ?`,
			[]any{perm, timestamp(ft.meta.Received), temp}},
		{`DELETE FROM pupil WHERE id = ?`, []any{temp}},
	}
	for _, st := range steps {
		if _, err := ft.tx.ExecContext(ft.ctx, ft.tx.Rebind(st.q), st.args...); err != nil {
			return fmt.Errorf("merge pupil: %w", err)
		}
	}
	ft.anyFormer = true
	return nil
}

// inList returns a condition "col is one of vals" and its one argument, in the backend's way: an
// array parameter for PostgreSQL, a JSON array read by json_each for SQLite. One statement serves
// any number of values.
func (s *Store) inList(col string, vals any) (string, any) {
	return listCond(s.backend != Postgres, col, vals)
}

// listCond is inList for code that knows the backend only as sqlite (a Reader).
func listCond(sqlite bool, col string, vals any) (string, any) {
	if !sqlite {
		return col + " = ANY(?)", pq.Array(vals)
	}
	b, _ := json.Marshal(vals)
	return col + " IN (SELECT value FROM json_each(?))", string(b)
}
