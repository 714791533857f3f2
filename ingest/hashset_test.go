package ingest

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestDupSetsAgreeWithMaps(t *testing.T) {
	for _, reserve := range []int{0, 500, 70_000} {
		for _, limit := range []int{0, 100} { // in memory, and spilled to the file every 100 records
			t.Run(fmt.Sprintf("reserved %d, spill %d", reserve, limit), func(t *testing.T) { testDupSets(t, reserve, limit) })
		}
	}
}

// testDupSets checks the duplicate sets against maps of the full hashes, the sets reserved for
// some rows first, then for more halfway (kept entries survive it); reserved for all they hold,
// the keys table never grows. A row's key and whether it is accepted follow from its cells, as
// validation does. Many hashes share their first half (all the tables keep of them) with another
// and differ in the second: such a pair must never be taken for a duplicate.
func testDupSets(t *testing.T, reserve, limit int) {
	var d dupSets
	defer d.close()
	d.recs.limit = limit
	if err := d.reserve(reserve); err != nil {
		t.Fatal(err)
	}
	slots := len(d.keys.slots)
	rows, keys := map[hash128]int32{}, map[hash128]int32{}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range int32(100_000) {
		if i == 50_000 && reserve > 0 && reserve < 60_000 {
			if err := d.reserve(50_000); err != nil {
				t.Fatal(err)
			}
			slots = len(d.keys.slots)
		}
		cells := r.Uint64() % 60_000
		row := hash128{cells % 30_000 * 0x9e3779b97f4a7c15, cells}            // first halves in pairs
		key := hash128{cells % 10_000 * 0xbf58476d1ce4e5b9, cells%20_000 ^ 7} // three rows a key
		accepted := cells%4 > 0
		first, copied, keyFirst, keyDup, err := d.check(row, key)
		if err != nil {
			t.Fatal(err)
		}
		w, wcopied := rows[row]
		if copied != wcopied || first != w {
			t.Fatalf("row %d: copied %v of %d; want %v of %d", i, copied, first, wcopied, w)
		}
		if copied {
			continue
		}
		wk, wdup := keys[key]
		if keyDup != wdup || keyDup && keyFirst != wk {
			t.Fatalf("row %d: key of row %d, %v; want %d, %v", i, keyFirst, keyDup, wk, wdup)
		}
		keyed := accepted && !keyDup
		if err := d.add(i, row, key, keyed); err != nil {
			t.Fatal(err)
		}
		rows[row] = i
		if keyed {
			keys[key] = i
		}
	}
	if d.keys.n+d.other.n != len(rows) || d.keys.n != len(keys) || d.recs.len() != len(rows) {
		t.Fatalf("%d keyed, %d other, %d records; want %d keyed of %d", d.keys.n, d.other.n, d.recs.len(), len(keys), len(rows))
	}
	if limit > 0 && d.recs.file == nil {
		t.Fatal("no record was spilled")
	}
	if reserve > 0 && len(d.keys.slots) != slots {
		t.Fatalf("the keys table grew from %d to %d slots for %d rows, reserved for them", slots, len(d.keys.slots), d.recs.len())
	}
}

// hasher.row hashes exactly the bytes the cell-by-cell maphash.Hash did (each trimmed cell, then
// a zero byte) under each seed, however long the cells: a row over hashChunk is hashed in pieces.
func TestHasherRowMatchesCellByCell(t *testing.T) {
	seeds := [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
	h := newHasher(seeds)
	r := rand.New(rand.NewPCG(5, 6))
	for range 500 {
		row := make([]Cell, r.IntN(12))
		for i := range row {
			row[i].Value = strings.Repeat("ab ", r.IntN(3)) + strings.Repeat("x", r.IntN(3)*r.IntN(3000)) + strings.Repeat(" ", r.IntN(2))
		}
		var want [2]maphash.Hash
		for i := range want {
			want[i].SetSeed(seeds[i])
			for _, c := range row {
				want[i].WriteString(strings.TrimSpace(c.Value))
				want[i].WriteByte(0)
			}
		}
		if got := h.row(row); got != (hash128{want[0].Sum64(), want[1].Sum64()}) {
			t.Fatalf("row of %d cells: hash %x, want %x %x", len(row), got, want[0].Sum64(), want[1].Sum64())
		}
	}
	if len(h.buf) > hashChunk+1 {
		t.Fatalf("buffer grew to %d bytes, want at most %d", len(h.buf), hashChunk+1)
	}
}

// BenchmarkDupSets checks and adds a million distinct rows, the tables reserved for them as a
// large CSV's are: nearly every lookup is a miss in a table larger than the caches.
func BenchmarkDupSets(b *testing.B) {
	const rows = 1_000_000
	r := rand.New(rand.NewPCG(3, 4))
	hashes := make([]hash128, 2*rows)
	for i := range hashes {
		hashes[i] = hash128{r.Uint64(), r.Uint64()}
	}
	b.ResetTimer()
	for range b.N {
		var d dupSets
		if err := d.reserve(rows); err != nil {
			b.Fatal(err)
		}
		for i := range int32(rows) {
			row, key := hashes[2*i], hashes[2*i+1]
			_, copied, _, keyDup, err := d.check(row, key)
			if err != nil || copied || keyDup {
				b.Fatal(err, copied, keyDup)
			}
			if err := d.add(i, row, key, true); err != nil {
				b.Fatal(err)
			}
		}
		d.close()
	}
	b.ReportMetric(float64(b.N)*rows/b.Elapsed().Seconds(), "rows/s")
}
