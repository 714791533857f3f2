package ingest

import "math/bits"

// rowSet maps 64-bit hashes to the row numbers that first gave them: the duplicate checks of a
// sheet, which hold an entry per row. Open addressing in two flat arrays takes 12 bytes a slot;
// growing by half when three quarters full, a set holds 16 to 24 bytes an entry, where a Go
// map[uint64]int32 takes about 36. Grown by doubling, a million-row sheet's two sets held 48 MB,
// most of the ingest's heap: under its memory limit (see pipeline's ingestMemoryLimit) the
// collector then ran almost without pause. Grown by half they hold 36 MB.
type rowSet struct {
	keys []uint64 // 0 marks an empty slot (a zero hash is stored as 1)
	rows []int32
	n    int
}

const rowSetMinSlots = 1 << 10

// home returns h's first slot: the high bits of h times the slot count, which spreads any count
// (a mask would need a power of two).
func (s *rowSet) home(h uint64) int {
	hi, _ := bits.Mul64(h, uint64(len(s.keys)))
	return int(hi)
}

// firstRow returns the row recorded for h, if any.
func (s *rowSet) firstRow(h uint64) (int32, bool) {
	if s.n == 0 {
		return 0, false
	}
	h = nonZero(h)
	for i := s.home(h); ; {
		switch s.keys[i] {
		case h:
			return s.rows[i], true
		case 0:
			return 0, false
		}
		if i++; i == len(s.keys) {
			i = 0
		}
	}
}

// add records row for h, which must not be in the set yet.
func (s *rowSet) add(h uint64, row int32) {
	if (s.n+1)*4 > len(s.keys)*3 { // at most three quarters full, so probes stay short
		s.grow()
	}
	s.put(nonZero(h), row)
	s.n++
}

func (s *rowSet) put(h uint64, row int32) {
	i := s.home(h)
	for s.keys[i] != 0 {
		if i++; i == len(s.keys) {
			i = 0
		}
	}
	s.keys[i], s.rows[i] = h, row
}

func (s *rowSet) grow() {
	s.resize(max(rowSetMinSlots, len(s.keys)+len(s.keys)/2))
}

// reserve makes room for about n entries in all (an estimate, given an eighth more), when the set
// has less: a set sized once for a sheet's rows skips the rehashes of growing to it and the old and
// new arrays held together at each.
func (s *rowSet) reserve(n int) {
	n += n / 8
	if size := n/3*4 + 4; size > len(s.keys) {
		s.resize(size)
	}
}

func (s *rowSet) resize(size int) {
	keys, rows := s.keys, s.rows
	s.keys, s.rows = make([]uint64, size), make([]int32, size)
	for i, k := range keys {
		if k != 0 {
			s.put(k, rows[i])
		}
	}
}

func nonZero(h uint64) uint64 {
	if h == 0 {
		return 1
	}
	return h
}
