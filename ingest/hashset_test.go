package ingest

import (
	"math/rand/v2"
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
