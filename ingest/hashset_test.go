package ingest

import (
	"hash/maphash"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestRowSetAgreesWithAMap(t *testing.T) {
	var s rowSet
	want := map[uint64]int32{}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range int32(100_000) {
		h := r.Uint64() % 60_000 // many repeats
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
	}
	if s.n != len(want) {
		t.Fatalf("%d entries, want %d", s.n, len(want))
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
