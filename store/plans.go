package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"pme"
)

// PlanCandidates returns what matching one pupil to social care plans needs (match.Plans): every
// plan of the children whose plans carry one of the pupil's UPNs or its date of birth, and every
// pupil those plans could match (by UPN, a former UPN, or date of birth). Matching these alone
// gives the pupil what matching every pupil and plan gives it, at the cost of a few rows. The
// pupil itself is first; ErrNotFound when there is no such pupil.
func (s *Store) PlanCandidates(ctx context.Context, pupilID int64) ([]pme.StoredPupil, []pme.Plan, error) {
	pupils, err := s.PupilsByID(ctx, []int64{pupilID})
	if err != nil {
		return nil, nil, err
	}
	p, ok := pupils[pupilID]
	if !ok {
		return nil, nil, ErrNotFound
	}
	me := pme.StoredPupil{ID: pupilID, Pupil: p}
	if err := s.db.SelectContext(ctx, &me.FormerUPNs, s.db.Rebind(`SELECT upn FROM former_upn WHERE pupil_id = ? ORDER BY upn`), pupilID); err != nil {
		return nil, nil, fmt.Errorf("plan candidates: %w", err)
	}
	upns := append([]string{p.UPN}, me.FormerUPNs...)
	var plans []pme.Plan
	q, args, err := sqlx.In(`SELECT `+strings.Join(planTable.cols[1:], ", ")+` FROM social_care_plan
		WHERE child_id IN (SELECT child_id FROM social_care_plan WHERE upn IN (?) OR dob = ?) ORDER BY position`, upns, p.DOB)
	if err == nil {
		err = s.db.SelectContext(ctx, &plans, s.db.Rebind(q), args...)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("plan candidates: %w", err)
	}
	if len(plans) == 0 {
		return []pme.StoredPupil{me}, nil, nil
	}
	var planUPNs []string
	var dobs []pme.Date
	for _, pl := range plans {
		if pl.UPN != "" {
			planUPNs = append(planUPNs, pl.UPN)
		}
		if !pl.DOB.IsZero() {
			dobs = append(dobs, pl.DOB)
		}
	}
	if len(planUPNs) == 0 {
		planUPNs = []string{""}
	}
	if len(dobs) == 0 {
		dobs = []pme.Date{p.DOB}
	}
	var rows []struct {
		ID int64 `db:"id"`
		pme.Pupil
	}
	q, args, err = sqlx.In(`SELECT id, upn, surname, forename, dob, gender, nc_year, sen FROM pupil
		WHERE upn IN (?) OR dob IN (?) OR id IN (SELECT pupil_id FROM former_upn WHERE upn IN (?)) ORDER BY id`, planUPNs, dobs, planUPNs)
	if err == nil {
		err = s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("plan candidates: %w", err)
	}
	out := []pme.StoredPupil{me}
	var ids []int64
	for _, r := range rows {
		if r.ID != pupilID {
			out = append(out, pme.StoredPupil{ID: r.ID, Pupil: r.Pupil})
			ids = append(ids, r.ID)
		}
	}
	if len(ids) > 0 {
		var former []struct {
			UPN     string `db:"upn"`
			PupilID int64  `db:"pupil_id"`
		}
		q, args, err = sqlx.In(`SELECT upn, pupil_id FROM former_upn WHERE pupil_id IN (?) ORDER BY pupil_id, upn`, ids)
		if err == nil {
			err = s.db.SelectContext(ctx, &former, s.db.Rebind(q), args...)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("plan candidates: %w", err)
		}
		at := map[int64]int{}
		for i, c := range out {
			at[c.ID] = i
		}
		for _, f := range former {
			out[at[f.PupilID]].FormerUPNs = append(out[at[f.PupilID]].FormerUPNs, f.UPN)
		}
	}
	return out, plans, nil
}
