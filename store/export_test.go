package store

// SetAttFlushRows makes attendance rows flush every n rows until restore is called, so that a test
// can split a file's rows across batches.
func SetAttFlushRows(n int) (restore func()) {
	old := attFlushRows
	attFlushRows = n
	return func() { attFlushRows = old }
}

// SeverityRank is the case list's default order (see severityRank).
const SeverityRank = severityRank
