//go:build !linux

package ingest

func allocSlots(n int) ([]uint32, []byte) { return make([]uint32, n), nil }

func freeSlots([]uint32, []byte) {}
