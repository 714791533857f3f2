package store

import (
	"fmt"
	"testing"
)

// TestUPNFilter: a UPN added is always found, and of as many UPNs never added only a handful are
// (about one is expected at this load; each costs a first load a lookup, see upnFilter).
func TestUPNFilter(t *testing.T) {
	const n = 333_000
	upn := func(i int) string { return fmt.Sprintf("A%012d", i) }
	var f upnFilter
	for i := 0; i < n; i++ {
		f.add(upn(i))
	}
	wrong := 0
	for i := 0; i < n; i++ {
		if !f.has(upn(i)) {
			t.Fatalf("UPN %d added but not found", i)
		}
		if f.has(upn(n + i)) {
			wrong++
		}
	}
	if wrong > 20 {
		t.Fatalf("%d of %d UPNs never added were found, want a handful", wrong, n)
	}
}
