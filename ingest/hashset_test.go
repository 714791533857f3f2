package ingest

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestRowSetAgreesWithAMap(t *testing.T) {
	for _, reserve := range []int{0, 500, 70_000} {
		t.Run(fmt.Sprintf("reserved %d", reserve), func(t *testing.T) { testRowSet(t, reserve) })
	}
}

// testRowSet checks a set against a map, the set reserved for some entries first, then for more
// halfway (kept entries survive it); reserved for all it holds, it never grows.
func testRowSet(t *testing.T, reserve int) {
	var s rowSet
	s.reserve(reserve)
	slots := len(s.keys)
	want := map[uint64]int32{}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range int32(100_000) {
		h := r.Uint64() % 60_000 * 0x9e3779b97f4a7c15 // many repeats, spread over 64 bits as hashes are
		if i%1000 == 0 {
			h = 0 // the empty-slot marker must still work as a hash
		}
		got, ok := s.firstRow(h)
		w, wok := want[nonZero(h)]
		if ok != wok || got != w {
			t.Fatalf("firstRow(%d) = %d, %v; want %d, %v", h, got, ok, w, wok)
		}
		if !ok {
			s.add(h, i)
			want[nonZero(h)] = i
		}
		if i == 50_000 && reserve > 0 && reserve < 60_000 {
			s.reserve(60_000)
			slots = len(s.keys)
		}
	}
	if s.n != len(want) {
		t.Fatalf("%d entries, want %d", s.n, len(want))
	}
	if reserve > 0 && len(s.keys) != slots {
		t.Fatalf("the set grew from %d to %d slots for %d entries, reserved for them", slots, len(s.keys), s.n)
	}
}

// hasher.row hashes exactly the bytes the cell-by-cell maphash.Hash did (each trimmed cell, then
// a zero byte), however long the cells: a row over hashChunk is hashed in pieces.
func TestHasherRowMatchesCellByCell(t *testing.T) {
	seed := maphash.MakeSeed()
	h := hasher{seed: seed}
	h.h.SetSeed(seed)
	r := rand.New(rand.NewPCG(5, 6))
	for range 500 {
		row := make([]Cell, r.IntN(12))
		for i := range row {
			row[i].Value = strings.Repeat("ab ", r.IntN(3)) + strings.Repeat("x", r.IntN(3)*r.IntN(3000)) + strings.Repeat(" ", r.IntN(2))
		}
		var want maphash.Hash
		want.SetSeed(seed)
		for _, c := range row {
			want.WriteString(strings.TrimSpace(c.Value))
			want.WriteByte(0)
		}
		if got := h.row(row); got != want.Sum64() {
			t.Fatalf("row of %d cells: hash %x, want %x", len(row), got, want.Sum64())
		}
	}
	if len(h.buf) > hashChunk+1 {
		t.Fatalf("buffer grew to %d bytes, want at most %d", len(h.buf), hashChunk+1)
	}
}
