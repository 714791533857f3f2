package ingest

// rowSet maps 64-bit hashes to the row numbers that first gave them: the duplicate checks of a
// sheet, which hold an entry per row. Open addressing in two flat arrays takes 12 bytes a slot, at
// most 16 bytes an entry at its fullest and 32 just after growing, where a Go map[uint64]int32
// takes about 36: a million-row sheet's two sets take 32–64 MB instead of 71.
type rowSet struct {
	keys []uint64 // 0 marks an empty slot (a zero hash is stored as 1)
	rows []int32
	n    int
}

const rowSetMinSlots = 1 << 10

// firstRow returns the row recorded for h, if any.
func (s *rowSet) firstRow(h uint64) (int32, bool) {
	if s.n == 0 {
		return 0, false
	}
	h = nonZero(h)
	mask := uint64(len(s.keys) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.keys[i] {
		case h:
			return s.rows[i], true
		case 0:
			return 0, false
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
	mask := uint64(len(s.keys) - 1)
	i := h & mask
	for s.keys[i] != 0 {
		i = (i + 1) & mask
	}
	s.keys[i], s.rows[i] = h, row
}

func (s *rowSet) grow() {
	keys, rows := s.keys, s.rows
	size := max(rowSetMinSlots, 2*len(keys))
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
