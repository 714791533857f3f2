package store

import (
	"fmt"
	"os"
	"sort"
	"time"
)

// TEMPORARY instrumentation (helper L); removed before the report.
var traceT = map[string]time.Duration{}

func tr(name string) func() {
	t0 := time.Now()
	return func() { traceT[name] += time.Since(t0) }
}

func traceDump() {
	if os.Getenv("PME_TRACE") == "" {
		return
	}
	var ks []string
	for k := range traceT {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		fmt.Fprintf(os.Stderr, "TRACE %-20s %v\n", k, traceT[k].Round(time.Millisecond))
	}
	traceT = map[string]time.Duration{}
}
