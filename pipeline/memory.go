package pipeline

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
)

// ingestMemoryLimit is the Go runtime's soft memory limit while ingesting: by default the collector
// lets the heap grow to twice what is live before it runs. Measured on SQLite when a big sheet's
// duplicate sets were in the heap, peak RSS at 250,000 and 1,000,000 rows: 87 and 173 MB without
// a limit, 84 and 121 MB at 100 MiB, 85 and 109 MB at 80 MiB (the collector ran 225 times instead
// of 86, in the same time). A soft limit: a heap that needs more still gets it.
const ingestMemoryLimit = 80 << 20

// textReturnMemoryLimit is the limit while a returns sheet of a CSV file is read. Its heap holds
// about 20-24 MB live at any size (the rows in flight, the store's batches and pupil cache; the
// duplicate checks are outside the heap), so the collector's own pace keeps it under 50 MB; the
// limit trims the peaks where a collection finds more in flight, which the longer the file the
// likelier it meets. Measured (1,000,000 and 100,000-row suspensions, PostgreSQL): peak RSS 76-78
// and 55-60 MB without it, 65 and 57-58 MB with it; SQLite 77-78 and 68-69, 74 and 66-67. The
// readers of xlsx files and attendance extracts hold more, and keep ingestMemoryLimit.
const textReturnMemoryLimit = 48 << 20

// textReturnLimit is the limit for a CSV returns sheet in a process whose heap already holds live
// bytes (a scheduled ingest in the web server, say): textReturnMemoryLimit, or what is live and
// 32 MiB more, whichever is larger, so that the collector is never asked to keep a larger heap
// under the limit than it can.
func textReturnLimit(live uint64) int64 {
	return max(textReturnMemoryLimit, int64(live)+32<<20)
}

// liveHeap returns the bytes the last collection found live (0 before the first).
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// softMemoryLimit sets the runtime's soft memory limit until the returned function is called,
// unless GOMEMLIMIT already sets one.
func softMemoryLimit(limit int64) (restore func()) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	old := debug.SetMemoryLimit(limit)
	return func() { debug.SetMemoryLimit(old) }
}
