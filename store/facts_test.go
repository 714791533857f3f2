package store_test

import (
	"context"
	"reflect"
	"testing"

	"pme"
	"pme/store"
	"pme/store/storetest"
)

func TestReturnTypesByPupil(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ended := timetable(schoolA, cy, "2025-03-01", 10)
		ended.Timetable.ActualEndDate = pme.MustDate("2025-07-01")
		ingestFile(t, s, "r1.xlsx",
			sheet{typ: pme.ReducedTimetable, name: "RT", schools: []string{schoolA},
				recs: []pme.Record{timetable(schoolA, ada, "2026-01-05", 10), timetable(schoolA, bo, "2026-01-05", 10), ended}},
			sheet{typ: pme.Suspensions, name: "S",
				recs: []pme.Record{suspension(schoolA, ada, "2026-01-10", 2), suspension(schoolA, zoe, "2025-06-10", 2)}})
		// Bo moves from a reduced timetable to AP: the replaced timetable still counts this year.
		ingestFile(t, s, "r2.xlsx",
			sheet{typ: pme.ReducedTimetable, name: "RT", schools: []string{schoolA}},
			sheet{typ: pme.AlternativeProvision, name: "AP", schools: []string{schoolA}, recs: []pme.Record{placement(schoolA, bo, "Synthetic Centre")}})
		got, err := s.ReturnTypesByPupil(context.Background(), pme.MustDate("2025-09-01"))
		if err != nil {
			t.Fatalf("ReturnTypesByPupil: %v", err)
		}
		ids := pupilIDs(t, s)
		want := map[int64][]pme.ReturnType{
			ids[ada.upn]: {pme.ReducedTimetable, pme.Suspensions},
			ids[bo.upn]:  {pme.ReducedTimetable, pme.AlternativeProvision},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("return types = %v, want %v", got, want)
		}
	})
}

func TestFactsAreEmptyOnANewStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p, err1 := s.Pupils(ctx)
		tt, err2 := s.CurrentTimetables(ctx)
		pl, err3 := s.CurrentPlacements(ctx)
		su, err4 := s.Suspensions(ctx)
		rt, err5 := s.ReturnTypesByPupil(ctx, pme.MustDate("2025-09-01"))
		for _, err := range []error{err1, err2, err3, err4, err5} {
			if err != nil {
				t.Fatalf("facts on an empty store: %v", err)
			}
		}
		if len(p)+len(tt)+len(pl)+len(su)+len(rt) != 0 {
			t.Fatalf("facts on an empty store: %d %d %d %d %d, want none", len(p), len(tt), len(pl), len(su), len(rt))
		}
	})
}

func TestStoredRecordsKeepTheirColumns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		tt := timetable(schoolA, ada, "2026-01-05", 12.5)
		tt.Timetable.PlannedEndDate = pme.MustDate("2026-02-05")
		tt.Timetable.ParentalAgreement = "Y"
		tt.Timetable.ReviewDate = pme.MustDate("2026-01-19")
		ap := placement(schoolA, bo, "Synthetic Centre")
		*ap.Placement = pme.Placement{ProviderName: "Synthetic Centre", ProviderURN: "123456", ProviderUKPRN: "10012345",
			ProviderRegistered: "N", StartDate: pme.MustDate("2026-01-05"), EndDate: pme.MustDate("2026-04-01"),
			HoursAtProvider: 19.5, HoursAtSchool: 2, Reason: "SEMH"}
		su := suspension(schoolA, cy, "2026-01-10", 12)
		*su.Suspension = pme.Suspension{Category: pme.CategoryPermanent, StartDate: pme.MustDate("2026-01-10"), Sessions: 12,
			Reason: "PA", Reason2: "VP", Reason3: "DM", SixthDayProvision: "Y"}
		ingestFile(t, s, "cols.xlsx",
			sheet{typ: pme.ReducedTimetable, name: "RT", schools: []string{schoolA}, recs: []pme.Record{tt}},
			sheet{typ: pme.AlternativeProvision, name: "AP", schools: []string{schoolA}, recs: []pme.Record{ap}},
			sheet{typ: pme.Suspensions, name: "S", recs: []pme.Record{su}})
		ids := pupilIDs(t, s)
		day := pme.DateOf(received)

		tts, err := s.CurrentTimetables(ctx)
		if err != nil || len(tts) != 1 {
			t.Fatalf("timetables = %+v, %v", tts, err)
		}
		wantTT := pme.StoredTimetable{ID: tts[0].ID, PupilID: ids[ada.upn], LAESTAB: schoolA, Received: day, Timetable: *tt.Timetable}
		if !reflect.DeepEqual(tts[0], wantTT) {
			t.Fatalf("timetable = %+v, want %+v", tts[0], wantTT)
		}
		pls, err := s.CurrentPlacements(ctx)
		if err != nil || len(pls) != 1 {
			t.Fatalf("placements = %+v, %v", pls, err)
		}
		wantPL := pme.StoredPlacement{ID: pls[0].ID, PupilID: ids[bo.upn], LAESTAB: schoolA, Received: day, Placement: *ap.Placement}
		if !reflect.DeepEqual(pls[0], wantPL) {
			t.Fatalf("placement = %+v, want %+v", pls[0], wantPL)
		}
		sus, err := s.Suspensions(ctx)
		if err != nil || len(sus) != 1 {
			t.Fatalf("suspensions = %+v, %v", sus, err)
		}
		wantSU := pme.StoredSuspension{ID: sus[0].ID, PupilID: ids[cy.upn], LAESTAB: schoolA, Received: day, Suspension: *su.Suspension}
		if !reflect.DeepEqual(sus[0], wantSU) {
			t.Fatalf("suspension = %+v, want %+v", sus[0], wantSU)
		}
	})
}

func TestSuspensionsOrderedByPupilDaySchoolCategory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ev := func(school, day, category string) pme.Record {
			r := suspension(school, ada, day, 1)
			r.Suspension.Category = category
			return r
		}
		// On one day at two schools, the key's order (category, then school) is not the one wanted.
		ingestFile(t, s, "s.xlsx", sheet{typ: pme.Suspensions, name: "S", schools: []string{schoolA, schoolB},
			recs: []pme.Record{
				ev(schoolB, "2026-01-12", pme.CategoryPermanent),
				ev(schoolA, "2026-01-12", pme.CategorySuspension),
				ev(schoolA, "2026-01-12", pme.CategoryLunchtime),
				ev(schoolB, "2026-01-05", pme.CategorySuspension),
			}})
		got, err := s.Suspensions(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, e := range got {
			order = append(order, e.StartDate.String()+" "+e.LAESTAB+" "+e.Category)
		}
		want := []string{"2026-01-05 " + schoolB + " SUSP", "2026-01-12 " + schoolA + " LNCH",
			"2026-01-12 " + schoolA + " SUSP", "2026-01-12 " + schoolB + " PERM"}
		if !reflect.DeepEqual(order, want) {
			t.Fatalf("suspensions in order %q, want %q", order, want)
		}
	})
}

func TestReturnTypesWithSuspensionsRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ingestFile(t, s, "r1.xlsx",
			sheet{typ: pme.ReducedTimetable, name: "RT", schools: []string{schoolA},
				recs: []pme.Record{timetable(schoolA, ada, "2026-01-05", 10)}},
			sheet{typ: pme.Suspensions, name: "S", recs: []pme.Record{suspension(schoolA, ada, "2026-01-10", 2),
				suspension(schoolA, zoe, "2025-06-10", 2), suspension(schoolA, cy, "2025-09-01", 1)}})
		r := s.Reader(context.Background())
		from := pme.MustDate("2025-09-01")
		ids := pupilIDs(t, s)
		for _, rg := range []store.PupilRange{store.AllPupils, {From: ids[cy.upn], To: ids[cy.upn] + 1}} {
			sus, err := r.Suspensions(rg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.ReturnTypesWith(rg, from, sus)
			if err != nil {
				t.Fatal(err)
			}
			want, err := r.ReturnTypes(rg, from)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 || !reflect.DeepEqual(got, want) {
				t.Fatalf("range %v: ReturnTypesWith = %v, want %v (as ReturnTypes, not empty)", rg, got, want)
			}
		}
	})
}
