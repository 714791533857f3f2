package ingest

import (
	"syscall"
	"unsafe"
)

// offHeapSlots is the table size from which the duplicate checks' tables are mapped outside the
// Go heap: the collector lets the heap grow to twice what is live before it runs, so tables in
// the heap cost twice their size in memory, and they hold no pointers for it to look at.
const offHeapSlots = 1 << 14

// hugePage is the size of a transparent huge page: a table of two or more is mapped on whole ones,
// and asked to be given them (MADV_HUGEPAGE), since each lookup lands on a random slot and with
// 4 KB pages also missed the TLB: BenchmarkDupSets, a million rows, 0.8-1.0 million rows/s with
// small pages, 1.2-2.0 million with huge ones.
const hugePage = 2 << 20

// allocSlots returns n zeroed slots, and the mapping behind them when outside the heap.
func allocSlots(n int) ([]uint32, []byte) {
	if n < offHeapSlots {
		return make([]uint32, n), nil
	}
	size, pad := n*4, 0
	if size >= 2*hugePage {
		size = (size + hugePage - 1) &^ (hugePage - 1)
		pad = hugePage
	}
	mem, err := syscall.Mmap(-1, 0, size+pad, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]uint32, n), nil
	}
	off := 0
	if pad > 0 {
		off = int(-uintptr(unsafe.Pointer(&mem[0])) & (hugePage - 1)) // to the first huge page boundary
		syscall.Madvise(mem[off:off+size], syscall.MADV_HUGEPAGE)     // a hint: without it, small pages
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&mem[off])), n), mem
}

func freeSlots(_ []uint32, mem []byte) {
	if mem != nil {
		syscall.Munmap(mem)
	}
}
