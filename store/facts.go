package store

import (
	"context"
	"fmt"

	"pme"
)

// CurrentTimetables returns the reduced timetables in the schools' current snapshots, rows kept
// from an earlier snapshot included (Stale set), ordered by pupil, school and start date.
func (s *Store) CurrentTimetables(ctx context.Context) ([]pme.StoredTimetable, error) {
	var out []pme.StoredTimetable
	const q = `SELECT id, pupil_id, laestab, stale, received, start_date, planned_end_date, actual_end_date,
		hours_per_week, reason, parental_agreement, review_date
		FROM timetable WHERE is_current ORDER BY pupil_id, laestab, start_date, id`
	if err := s.db.SelectContext(ctx, &out, q); err != nil {
		return nil, fmt.Errorf("load current timetables: %w", err)
	}
	return out, nil
}

// CurrentPlacements returns the AP placements in the schools' current snapshots, rows kept from an
// earlier snapshot included (Stale set), ordered by pupil, school and start date.
func (s *Store) CurrentPlacements(ctx context.Context) ([]pme.StoredPlacement, error) {
	var out []pme.StoredPlacement
	const q = `SELECT id, pupil_id, laestab, stale, received, provider_name, provider_urn, provider_ukprn,
		provider_registered, start_date, end_date, hours_at_provider, hours_at_school, reason
		FROM placement WHERE is_current ORDER BY pupil_id, laestab, start_date, id`
	if err := s.db.SelectContext(ctx, &out, q); err != nil {
		return nil, fmt.Errorf("load current placements: %w", err)
	}
	return out, nil
}

// Suspensions returns every suspension and exclusion event ever stored, each as last returned,
// ordered by pupil and start date.
func (s *Store) Suspensions(ctx context.Context) ([]pme.StoredSuspension, error) {
	var out []pme.StoredSuspension
	const q = `SELECT id, pupil_id, laestab, received, category, start_date, sessions, reason, reason2, reason3,
		sixth_day_provision FROM suspension ORDER BY pupil_id, start_date, laestab, category`
	if err := s.db.SelectContext(ctx, &out, q); err != nil {
		return nil, fmt.Errorf("load suspensions: %w", err)
	}
	return out, nil
}

// ReturnTypesByPupil returns, for each pupil, the return types (in pme.ReturnTypes order) the pupil
// appeared on since from (the start of the academic year), earlier snapshots included: a reduced
// timetable or AP placement received on or after from that had not ended before from, or a
// suspension starting on or after from. Rows since replaced by a newer snapshot still count: a
// pupil moved from a reduced timetable to AP was on both this year.
func (s *Store) ReturnTypesByPupil(ctx context.Context, from pme.Date) (map[int64][]pme.ReturnType, error) {
	var rows []struct {
		PupilID int64  `db:"pupil_id"`
		Type    string `db:"type"`
	}
	q := s.db.Rebind(`SELECT DISTINCT pupil_id, 'reduced-timetable' AS type FROM timetable
			WHERE received >= ? AND (actual_end_date IS NULL OR actual_end_date >= ?)
		UNION SELECT DISTINCT pupil_id, 'alternative-provision' AS type FROM placement
			WHERE received >= ? AND (end_date IS NULL OR end_date >= ?)
		UNION SELECT DISTINCT pupil_id, 'suspensions' AS type FROM suspension WHERE start_date >= ?`)
	if err := s.db.SelectContext(ctx, &rows, q, from, from, from, from, from); err != nil {
		return nil, fmt.Errorf("load return types by pupil: %w", err)
	}
	on := map[int64]map[pme.ReturnType]bool{}
	for _, r := range rows {
		if on[r.PupilID] == nil {
			on[r.PupilID] = map[pme.ReturnType]bool{}
		}
		on[r.PupilID][pme.ReturnType(r.Type)] = true
	}
	out := make(map[int64][]pme.ReturnType, len(on))
	for id, types := range on {
		for _, t := range pme.ReturnTypes {
			if types[t] {
				out[id] = append(out[id], t)
			}
		}
	}
	return out, nil
}
