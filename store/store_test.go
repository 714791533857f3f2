package store_test

import (
	"context"
	"testing"

	"pme/store"
	"pme/store/storetest"
)

func TestOpenMigratesBothBackends(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		applied, err := s.Migrate(context.Background())
		if err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		if len(applied) != 0 {
			t.Fatalf("second migrate applied %v, want nothing", applied)
		}
	})
}
