//go:build unix

package ingest

import (
	"syscall"
	"unsafe"
)

// offHeapSlots is the table size from which the duplicate checks' tables are mapped outside the
// Go heap: the collector lets the heap grow to twice what is live before it runs, so tables in
// the heap cost twice their size in memory, and they hold no pointers for it to look at.
const offHeapSlots = 1 << 14

// allocSlots returns n zeroed slots, and the mapping behind them when outside the heap.
func allocSlots(n int) ([]uint32, []byte) {
	if n >= offHeapSlots {
		mem, err := syscall.Mmap(-1, 0, n*4, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
		if err == nil {
			return unsafe.Slice((*uint32)(unsafe.Pointer(&mem[0])), n), mem
		}
	}
	return make([]uint32, n), nil
}

func freeSlots(_ []uint32, mem []byte) {
	if mem != nil {
		syscall.Munmap(mem)
	}
}
