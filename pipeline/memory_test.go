package pipeline

import (
	"runtime"
	"testing"
)

// A CSV returns sheet's limit is never below what the process already holds live, with room.
func TestTextReturnLimit(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int64
	}{{0, 48 << 20}, {10 << 20, 48 << 20}, {100 << 20, 132 << 20}} {
		if got := textReturnLimit(c.live); got != c.want {
			t.Errorf("textReturnLimit(%d) = %d, want %d", c.live, got, c.want)
		}
	}
	runtime.GC()
	if liveHeap() == 0 {
		t.Error("no live heap reported")
	}
}
