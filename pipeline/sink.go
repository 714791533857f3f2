package pipeline

import (
	"sync"

	"pme"
	"pme/ingest"
)

// asyncSink hands what ingest finds to the store on a second goroutine, so that the next batch is
// parsed and validated while the previous one is written: the two halves of an ingest overlap on
// two cores. Calls reach the store in the order they were made. The first store error stops the
// parse at its next call; Close returns it.
type asyncSink struct {
	next ingest.Sink
	ops  chan func(ingest.Sink) error
	done chan struct{}
	// free holds record batches the store has taken, for reuse: copying each batch into a new
	// slice allocated as much as everything else in a large file (about 200 bytes a row), and
	// under the ingest's memory limit each allocation brings the next collection closer.
	free chan []pme.Record

	mu  sync.Mutex
	err error
}

// asyncDepth is how many calls may wait for the store: enough to ride out a slow batch, small
// enough to keep memory flat.
const asyncDepth = 8

func newAsyncSink(next ingest.Sink) *asyncSink {
	a := &asyncSink{next: next, ops: make(chan func(ingest.Sink) error, asyncDepth), done: make(chan struct{}),
		free: make(chan []pme.Record, asyncDepth+2)}
	go func() {
		defer close(a.done)
		for op := range a.ops {
			if a.failed() != nil {
				continue // drain: the parse stops at its next call
			}
			if err := op(a.next); err != nil {
				a.mu.Lock()
				a.err = err
				a.mu.Unlock()
			}
		}
	}()
	return a
}

func (a *asyncSink) failed() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

func (a *asyncSink) send(op func(ingest.Sink) error) error {
	if err := a.failed(); err != nil {
		return err
	}
	a.ops <- op
	return nil
}

// Close waits for every call to reach the store and returns the first error.
func (a *asyncSink) Close() error {
	close(a.ops)
	<-a.done
	return a.err
}

func (a *asyncSink) StartSheet(s pme.SheetResult) error {
	return a.send(func(n ingest.Sink) error { return n.StartSheet(s) })
}

func (a *asyncSink) EndSheet(s pme.SheetResult) error {
	return a.send(func(n ingest.Sink) error { return n.EndSheet(s) })
}

// Records copies the batch: ingest reuses its slice after the call. The detail structs the
// records point to are not reused. The copy is reused once the store has taken it (a Sink copies
// what it keeps).
func (a *asyncSink) Records(batch []pme.Record) error {
	var cp []pme.Record
	select {
	case cp = <-a.free:
	default:
	}
	cp = append(cp[:0], batch...)
	return a.send(func(n ingest.Sink) error {
		err := n.Records(cp)
		clear(cp) // let go of the rows' text
		select {
		case a.free <- cp:
		default:
		}
		return err
	})
}

func (a *asyncSink) Issues(batch []pme.Issue) error {
	cp := append([]pme.Issue(nil), batch...)
	return a.send(func(n ingest.Sink) error { return n.Issues(cp) })
}
