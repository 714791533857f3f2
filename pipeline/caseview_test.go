package pipeline

import (
	"context"
	"testing"
)

// TestOpenPlanOfMatchesTheReport: the Case page's plan and social worker, matched over the few
// pupils and plans Store.PlanCandidates reads, are the ones matching every pupil to every plan
// gives (the report's), for every pupil of a synthetic LA.
func TestOpenPlanOfMatchesTheReport(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *Env) {
		ctx := context.Background()
		ingestFixtures(t, e, 300)
		d, err := e.caseContext(ctx)
		if err != nil {
			t.Fatal(err)
		}
		withPlan := 0
		for id, p := range d.pupils {
			want, wantOK := d.openPlan(id, e.Today)
			got, m, ok, err := e.openPlanOf(ctx, id)
			if err != nil {
				t.Fatalf("openPlanOf(%d): %v", id, err)
			}
			if got.UPN != p.UPN || got.DOB != p.DOB || got.NCYear != p.NCYear || got.SEN != p.SEN {
				t.Fatalf("pupil %d = %+v, want %+v", id, got.Pupil, p.Pupil)
			}
			if ok != wantOK || m.Plan != want.Plan || m.Method != want.Method {
				t.Errorf("pupil %d: plan %+v (%v), want %+v (%v)", id, m, ok, want, wantOK)
			}
			if ok {
				withPlan++
			}
		}
		if withPlan == 0 {
			t.Fatal("no pupil has an open plan: the test proves nothing")
		}
	})
}
