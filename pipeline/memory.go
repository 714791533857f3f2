package pipeline

import (
	"os"
	"runtime/debug"
)

// ingestMemoryLimit is the Go runtime's soft memory limit while ingesting. A big sheet's duplicate
// sets grow with its rows (32 to 48 bytes a row for the two), and by default the collector lets
// the heap grow to twice what is live before it runs. Measured on SQLite, peak RSS at 250,000 and 1,000,000
// rows: 87 and 173 MB without a limit, 84 and 121 MB at 100 MiB, 85 and 109 MB at 80 MiB (the
// collector ran 225 times instead of 86, in the same time). A soft limit: a heap that needs more
// still gets it.
const ingestMemoryLimit = 80 << 20

// softMemoryLimit sets the runtime's soft memory limit until the returned function is called,
// unless GOMEMLIMIT already sets one.
func softMemoryLimit(limit int64) (restore func()) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	old := debug.SetMemoryLimit(limit)
	return func() { debug.SetMemoryLimit(old) }
}
