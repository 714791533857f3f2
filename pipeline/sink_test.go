package pipeline

import (
	"fmt"
	"slices"
	"testing"

	"pme"
)

// keepSink copies every record it is given, as a Sink must.
type keepSink struct {
	collectNothing
	rows []string
}

func (k *keepSink) Records(batch []pme.Record) error {
	for _, r := range batch {
		k.rows = append(k.rows, fmt.Sprintf("%d %s", r.Row, r.Pupil.UPN))
	}
	return nil
}

type collectNothing struct{}

func (collectNothing) StartSheet(pme.SheetResult) error { return nil }
func (collectNothing) Issues([]pme.Issue) error         { return nil }
func (collectNothing) EndSheet(pme.SheetResult) error   { return nil }

// TestAsyncSinkReusesBatchesSafely: batches reach the store in order and intact, though the parser
// reuses its slice at once and the sink reuses its copies.
func TestAsyncSinkReusesBatchesSafely(t *testing.T) {
	next := &keepSink{}
	a := newAsyncSink(next)
	batch := make([]pme.Record, 3)
	var want []string
	for b := 0; b < 50; b++ {
		for i := range batch {
			row := b*len(batch) + i
			batch[i] = pme.Record{Row: row, Pupil: pme.Pupil{UPN: fmt.Sprintf("U%05d", row)}}
			want = append(want, fmt.Sprintf("%d U%05d", row, row))
		}
		if err := a.Records(batch); err != nil {
			t.Fatalf("Records: %v", err)
		}
		clear(batch) // as the parser overwrites it
	}
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !slices.Equal(next.rows, want) {
		t.Fatalf("the store got %d rows, not the %d sent in order: first %v", len(next.rows), len(want), next.rows[:min(5, len(next.rows))])
	}
}
