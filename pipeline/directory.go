package pipeline

import (
	"context"
	"fmt"

	"pme"
)

// directory is the loaded school directory, held in memory for validation: about 50,000 schools
// for all of England.
type directory struct {
	byLAESTAB map[string]string // LAESTAB → URN
	byURN     map[string]string // URN → LAESTAB
}

func (d *directory) Loaded() bool { return d != nil && len(d.byLAESTAB) > 0 }

func (d *directory) URNForLAESTAB(laestab string) (string, bool) {
	urn, ok := d.byLAESTAB[laestab]
	return urn, ok
}

func (d *directory) LAESTABForURN(urn string) (string, bool) {
	l, ok := d.byURN[urn]
	return l, ok
}

func newDirectory(schools []pme.School) *directory {
	d := &directory{byLAESTAB: make(map[string]string, len(schools)), byURN: make(map[string]string, len(schools))}
	for _, s := range schools {
		if s.LAESTAB != "" {
			d.byLAESTAB[s.LAESTAB] = s.URN
		}
		if s.URN != "" {
			d.byURN[s.URN] = s.LAESTAB
		}
	}
	return d
}

func (e *Env) schoolDirectory(ctx context.Context) (*directory, error) {
	schools, err := e.Store.Schools(ctx)
	if err != nil {
		return nil, fmt.Errorf("load school directory: %w", err)
	}
	return newDirectory(schools), nil
}
