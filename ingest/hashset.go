package ingest

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"os"
)

// The duplicate checks of a sheet: has an earlier row the same cells (an exact copy, skipped), or
// has an earlier accepted row the same key (the same pupil and period, or the same event)? They
// hold an entry per row, so on a sheet of a million rows they were most of the ingest's memory
// (36 MB in two tables of 64-bit hashes and row numbers, which the collector then doubled).
//
// Each row is known by 128-bit hashes of its cells and of its key, kept in dupRecords, which
// spills them to a temporary file past dupBufferRecords rows: hashes and row numbers only, no
// pupil's data. In memory there are two open-addressed tables of 32-bit slots, each holding a
// record's ordinal and as many bits of the hash as are left (a fingerprint), outside the Go heap
// where it can be (see allocSlots): keys holds the keyed rows (accepted, the first of their key)
// by their key's hash, other every other row (rejected) by its cells' hash. A slot whose
// fingerprint matches is only a candidate: its record is read back and the full 128-bit hash
// compared. So a row is taken for a duplicate only if its 128-bit hash equals an earlier row's (for
// two different rows a chance of 2^-128: a million rows make 5·10^11 pairs, about 10^-27 of a
// wrong duplicate in the file), and a real duplicate, whose hash is identical, is always found.
//
// One table per row, not two: an exact copy of a keyed row is found through its key, the row's
// cells' hash being compared too (see check). That needs the copy's key to be the first row's,
// which holds because both come from the row's trimmed cells. The one exception is an xlsx cell
// typed as a number in the first row and holding the same characters as text in its copy (a
// date and time, say): where that leaves the copy's date unreadable, the copy is reported with
// that error instead of as a copy, and neither way is it stored. So about 6 bytes a row in
// memory, none of it in the heap the collector paces itself by.
type dupSets struct {
	keys, other hashIndex
	ordBits     uint // both tables': every record's ordinal plus one fits in ordBits bits
	recs        dupRecords
}

// hash128 is a row's or a key's hash: two 64-bit maphash sums of the same bytes under two seeds.
type hash128 struct{ a, b uint64 }

// dupRecord is what is kept of a row the checks have taken (not an exact copy).
type dupRecord struct {
	num   int32 // the row's number, for the issue that names it
	keyed bool  // in keys (by key), else in other (by cells)
	row   hash128
	key   hash128
}

// hashIndex is one table: 0 marks an empty slot; a slot is the fingerprint shifted left by
// ordBits, or'd with the record's ordinal plus one.
type hashIndex struct {
	slots []uint32
	mem   []byte // the mapping behind slots, when outside the heap
	n     int
}

const dupMinSlots = 1 << 10

// dupMaxOrdBits leaves the fingerprint 4 bits at least (a sheet of 2^28 rows is far past the file
// size limit).
const dupMaxOrdBits = 28

func (x *hashIndex) home(h uint64) int {
	hi, _ := bits.Mul64(h, uint64(len(x.slots))) // the high bits of h, spread over any count
	return int(hi)
}

// fingerprint takes the slot's free bits from the low half of h (home takes the high half).
func fingerprint(h uint64, ordBits uint) uint32 { return uint32(h) >> ordBits }

func (x *hashIndex) put(h uint64, ord int, ordBits uint) {
	i := x.home(h)
	for x.slots[i] != 0 {
		if i++; i == len(x.slots) {
			i = 0
		}
	}
	x.slots[i] = fingerprint(h, ordBits)<<ordBits | uint32(ord+1)
	x.n++
}

func (x *hashIndex) free() {
	freeSlots(x.slots, x.mem)
	x.slots, x.mem, x.n = nil, nil, 0
}

// check looks a row up: copied, and the number of the first row with its cells, when an earlier
// row has the same cells; else keyDup, and the first row with its key, when an earlier accepted
// row has the same key (which matters only for an accepted row). key is the row's key's hash
// even when the row is rejected: an exact copy of an accepted row is found through it.
func (d *dupSets) check(row, key hash128) (first int32, copied bool, keyFirst int32, keyDup bool, err error) {
	r, found, err := d.find(&d.keys, key, true)
	if err != nil {
		return 0, false, 0, false, err
	}
	if found && r.row == row {
		return r.num, true, 0, false, nil
	}
	c, copied, err := d.find(&d.other, row, false)
	if err != nil || copied {
		return c.num, copied, 0, false, err
	}
	return 0, false, r.num, found, nil
}

// find returns the record in x whose key (byKey) or cells hash to h, if any.
func (d *dupSets) find(x *hashIndex, h hash128, byKey bool) (dupRecord, bool, error) {
	if x.n == 0 {
		return dupRecord{}, false, nil
	}
	fp, mask := fingerprint(h.a, d.ordBits), uint32(1)<<d.ordBits-1
	for i := x.home(h.a); ; {
		s := x.slots[i]
		if s == 0 {
			return dupRecord{}, false, nil
		}
		if s>>d.ordBits == fp { // a candidate: compare the whole hash
			r, err := d.recs.get(int(s&mask) - 1)
			if err != nil {
				return dupRecord{}, false, err
			}
			if byKey && r.key == h || !byKey && r.row == h {
				return r, true, nil
			}
		}
		if i++; i == len(x.slots) {
			i = 0
		}
	}
}

// add takes a row that is not an exact copy: keyed when accepted and no earlier accepted row has
// its key.
func (d *dupSets) add(num int32, row, key hash128, keyed bool) error {
	if n := d.recs.len() + 1; n >= 1<<d.ordBits {
		if err := d.widen(max(2*n, dupMinSlots)); err != nil {
			return err
		}
	}
	x := &d.other
	if keyed {
		x = &d.keys
	}
	if (x.n+1)*4 > len(x.slots)*3 { // at most three quarters full, so probes stay short
		if err := d.rebuild(x, max(dupMinSlots, len(x.slots)+len(x.slots)/2)); err != nil {
			return err
		}
	}
	r := dupRecord{num: num, keyed: keyed, row: row}
	if keyed {
		r.key = key
	}
	ord, err := d.recs.add(r)
	if err != nil {
		return err
	}
	if keyed {
		x.put(key.a, ord, d.ordBits)
	} else {
		x.put(row.a, ord, d.ordBits)
	}
	return nil
}

// reserve makes room for about n rows in all (an estimate, given an eighth more), when there is
// less: sized once for a sheet's rows, the keys table and the ordinals skip the rebuilds of
// growing to it. Rejected rows are few: other grows as they come.
func (d *dupSets) reserve(n int) error {
	n += n / 8
	if n >= 1<<d.ordBits {
		if err := d.widen(n); err != nil {
			return err
		}
	}
	if size := n/3*4 + 4; size > len(d.keys.slots) {
		return d.rebuild(&d.keys, size)
	}
	return nil
}

// widen makes room in the slots for ordinals up to n, which leaves fewer bits for the
// fingerprints, and rebuilds the tables with them.
func (d *dupSets) widen(n int) error {
	ordBits := uint(bits.Len(uint(n)))
	if ordBits > dupMaxOrdBits {
		return errors.New("too many rows")
	}
	d.ordBits = ordBits
	for _, x := range []*hashIndex{&d.keys, &d.other} {
		if x.slots != nil {
			if err := d.rebuild(x, len(x.slots)); err != nil {
				return err
			}
		}
	}
	return nil
}

// rebuild makes x size slots and puts its records back, read from dupRecords (the slots hold too
// little of the hash to move them): the old table is freed first.
func (d *dupSets) rebuild(x *hashIndex, size int) error {
	x.free()
	x.slots, x.mem = allocSlots(size)
	keyed := x == &d.keys
	return d.recs.each(func(ord int, r dupRecord) {
		switch {
		case keyed && r.keyed:
			x.put(r.key.a, ord, d.ordBits)
		case !keyed && !r.keyed:
			x.put(r.row.a, ord, d.ordBits)
		}
	})
}

// close frees the tables and the temporary file.
func (d *dupSets) close() {
	d.keys.free()
	d.other.free()
	d.recs.close()
}

// dupRecords holds the records in order, the latest in memory and the rest in a temporary file
// (removed as soon as it is made: a crash leaves nothing behind).
type dupRecords struct {
	buf     []byte   // records not written to file, dupRecordSize bytes each
	file    *os.File // records 0 to spilled-1; nil until the first spill
	spilled int
	noFile  bool // the temporary file could not be made: every record stays in buf
	limit   int  // records held in buf before a spill: dupBufferRecords (tests set less)
	rec     [dupRecordSize]byte
}

// dupRecordSize is a record's bytes: the row number with the keyed flag in its top bit, then the
// two hashes.
const dupRecordSize = 4 + 16 + 16

// dupBufferRecords is how many records stay in memory (590 KB): a school's return never spills.
const dupBufferRecords = 1 << 14

func (s *dupRecords) len() int { return s.spilled + len(s.buf)/dupRecordSize }

func (s *dupRecords) add(r dupRecord) (int, error) {
	limit := s.limit
	if limit == 0 {
		limit = dupBufferRecords
	}
	if len(s.buf) >= limit*dupRecordSize && !s.noFile {
		if err := s.spill(); err != nil {
			return 0, err
		}
	}
	ord := s.len()
	n := uint32(r.num) &^ (1 << 31)
	if r.keyed {
		n |= 1 << 31
	}
	s.buf = binary.LittleEndian.AppendUint32(s.buf, n)
	for _, v := range [...]uint64{r.row.a, r.row.b, r.key.a, r.key.b} {
		s.buf = binary.LittleEndian.AppendUint64(s.buf, v)
	}
	return ord, nil
}

func (s *dupRecords) spill() error {
	if s.file == nil {
		f, err := os.CreateTemp("", "pme-dup-*")
		if err != nil {
			s.noFile = true // memory, then: slower to run out of than a sheet is to read
			return nil
		}
		if err := os.Remove(f.Name()); err != nil {
			f.Close()
			s.noFile = true
			return nil
		}
		s.file = f
	}
	if _, err := s.file.Write(s.buf); err != nil {
		return err
	}
	s.spilled += len(s.buf) / dupRecordSize
	s.buf = s.buf[:0]
	return nil
}

func decodeDupRecord(b []byte) dupRecord {
	n := binary.LittleEndian.Uint32(b)
	u := func(i int) uint64 { return binary.LittleEndian.Uint64(b[4+8*i:]) }
	return dupRecord{num: int32(n &^ (1 << 31)), keyed: n>>31 != 0,
		row: hash128{u(0), u(1)}, key: hash128{u(2), u(3)}}
}

func (s *dupRecords) get(ord int) (dupRecord, error) {
	if ord >= s.spilled {
		i := (ord - s.spilled) * dupRecordSize
		return decodeDupRecord(s.buf[i : i+dupRecordSize]), nil
	}
	if _, err := s.file.ReadAt(s.rec[:], int64(ord)*dupRecordSize); err != nil {
		return dupRecord{}, err
	}
	return decodeDupRecord(s.rec[:]), nil
}

// each calls fn with every record in order: the file read through in large pieces, then buf.
func (s *dupRecords) each(fn func(ord int, r dupRecord)) error {
	if s.spilled > 0 {
		chunk := make([]byte, 2048*dupRecordSize)
		for ord := 0; ord < s.spilled; {
			n := min(s.spilled-ord, 2048) * dupRecordSize
			if _, err := s.file.ReadAt(chunk[:n], int64(ord)*dupRecordSize); err != nil {
				return err
			}
			for i := 0; i < n; i += dupRecordSize {
				fn(ord, decodeDupRecord(chunk[i:]))
				ord++
			}
		}
	}
	for i := 0; i < len(s.buf); i += dupRecordSize {
		fn(s.spilled+i/dupRecordSize, decodeDupRecord(s.buf[i:]))
	}
	return nil
}

func (s *dupRecords) close() {
	if s.file != nil {
		s.file.Close()
		s.file = nil
	}
	s.buf, s.spilled = nil, 0
}
