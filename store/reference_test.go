package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"pme"
	"pme/store"
	"pme/store/storetest"
)

func refDate(s string) pme.Date { return pme.MustDate(s) }

func TestReferenceRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		schools := []pme.School{
			{URN: "151002", LAESTAB: "8912345", Name: "Øakfield Academy", Status: "Open", Town: "Mansfield"},
			{URN: "151001", LAESTAB: "8912345", Name: "École Sainte-Thérèse Primary", Type: "Voluntary aided school",
				Phase: "Primary", Status: "Closed", LAName: "Nottinghamshire", Street: "Rue de l'Église", Locality: "Bramcote",
				Address3: "Beeston", Town: "Nottingham", County: "Nottinghamshire", Postcode: "NG9 3AA", HeadTitle: "Mrs",
				HeadFirstName: "Zoë", HeadLastName: "Brontë", HeadJobTitle: "Headteacher"},
			{URN: "151003", Name: "Bramcote Children's Centre", Status: "Open"},
		}
		contacts := []pme.Contact{
			{LAESTAB: "8912345", HeadEmail: "head@acorn.example.org", Chair: "Dr Ana Łoś", ChairEmail: "chair@acorn.example.org",
				CorrespondenceAddress: "The Clerk\nAcorn Learning Trust\nNG1 1AA"},
			{URN: "151009"},
		}
		plans := []pme.Plan{
			{ChildID: "SC1", UPN: "B801200005001", Surname: "O'Brien", Forename: "Zoë", DOB: refDate("2014-03-02"), PlanType: pme.PlanCP,
				StartDate: refDate("2026-01-05"), SocialWorker: "Sam Lee", SocialWorkerEmail: "sam.lee@council.example.gov.uk", Team: "North"},
			{ChildID: "SC1", UPN: "B801200005001", Surname: "O'Brien", Forename: "Zoë", DOB: refDate("2014-03-02"), PlanType: pme.PlanCIN,
				StartDate: refDate("2025-09-01"), EndDate: refDate("2026-01-05")},
		}
		providers := []pme.Provider{
			{Name: "The Acorn Centre Ltd", URN: "151234", Registered: "Y", ApprovedFrom: refDate("2023-09-01"), ApprovedUntil: refDate("2027-08-31")},
			{Name: "Bridges Learning CIC", UKPRN: "10065544", Registered: "N"},
		}
		terms := []pme.Term{{Name: "Spring 2027", Start: refDate("2027-01-04"), End: refDate("2027-03-25")},
			{Name: "Autumn 2026", Start: refDate("2026-09-01"), End: refDate("2026-12-18")}}
		closures := []pme.Closure{{Date: refDate("2026-10-26"), Reason: "Half-term"}, {Date: refDate("2026-09-01"), Reason: "INSET"}}

		for _, kind := range []string{pme.KindSchools, pme.KindContacts, pme.KindSocialCare, pme.KindProviders, pme.KindCalendar} {
			if ok, err := s.ReferenceLoaded(ctx, kind); err != nil || ok {
				t.Fatalf("ReferenceLoaded(%s) before any load = %v, %v; want false", kind, ok, err)
			}
		}
		if _, _, loaded, err := s.Calendar(ctx); err != nil || loaded {
			t.Fatalf("Calendar before a load: loaded = %v, err = %v; want false", loaded, err)
		}
		refMust(t, s.ReplaceSchools(ctx, schools))
		refMust(t, s.ReplaceContacts(ctx, contacts))
		refMust(t, s.ReplacePlans(ctx, plans))
		refMust(t, s.ReplaceProviders(ctx, providers))
		refMust(t, s.ReplaceCalendar(ctx, terms, closures))

		gotSchools, err := s.Schools(ctx)
		refMust(t, err)
		// Closed schools first, so that an index where the last row wins keeps the open school.
		refSame(t, "schools", gotSchools, []pme.School{schools[1], schools[0], schools[2]})
		gotContacts, err := s.Contacts(ctx)
		refMust(t, err)
		refSame(t, "contacts", gotContacts, contacts)
		gotPlans, err := s.Plans(ctx)
		refMust(t, err)
		refSame(t, "plans", gotPlans, plans)
		gotProviders, err := s.Providers(ctx)
		refMust(t, err)
		refSame(t, "providers", gotProviders, providers)
		gotTerms, gotClosures, loaded, err := s.Calendar(ctx)
		refMust(t, err)
		if !loaded {
			t.Fatal("Calendar loaded = false after a load")
		}
		refSame(t, "terms", gotTerms, []pme.Term{terms[1], terms[0]})
		refSame(t, "closures", gotClosures, []pme.Closure{closures[1], closures[0]})

		loads, err := s.ReferenceLoads(ctx)
		refMust(t, err)
		if len(loads) != 5 || loads[0].Kind != pme.KindCalendar || loads[0].Rows != 4 || time.Since(loads[0].LoadedAt) > time.Hour {
			t.Fatalf("ReferenceLoads = %+v, want five kinds, calendar first with 4 rows, loaded just now", loads)
		}
	})
}

func TestReferenceReplaceReplacesAndFailedLoadKeepsPrevious(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		first := []pme.Provider{{Name: "Acorn"}, {Name: "Bridges"}}
		refMust(t, s.ReplaceProviders(ctx, first))
		second := []pme.Provider{{Name: "Meadowbank", Registered: "Y"}}
		refMust(t, s.ReplaceProviders(ctx, second))
		got, err := s.Providers(ctx)
		refMust(t, err)
		refSame(t, "providers after a second load", got, second)

		// A registered value the schema refuses fails the load on its second row: the first row
		// must not stay, and the previous list must.
		if err := s.ReplaceProviders(ctx, []pme.Provider{{Name: "New"}, {Name: "Bad", Registered: "maybe"}}); err == nil {
			t.Fatal("ReplaceProviders with a bad row: no error")
		}
		got, err = s.Providers(ctx)
		refMust(t, err)
		refSame(t, "providers after a failed load", got, second)

		refMust(t, s.ReplaceSchools(ctx, []pme.School{{URN: "100001", Name: "A"}}))
		if err := s.ReplaceSchools(ctx, []pme.School{{URN: "100002", Name: "B"}, {URN: "100002", Name: "B again"}}); err == nil {
			t.Fatal("ReplaceSchools with a repeated URN: no error")
		}
		schools, err := s.Schools(ctx)
		refMust(t, err)
		refSame(t, "schools after a failed load", schools, []pme.School{{URN: "100001", Name: "A"}})

		refMust(t, s.ReplacePlans(ctx, []pme.Plan{{ChildID: "1", Surname: "A", Forename: "B", PlanType: "CP", StartDate: refDate("2026-01-05")}}))
		if err := s.ReplacePlans(ctx, []pme.Plan{{ChildID: "2", Surname: "C", Forename: "D", PlanType: "EH", StartDate: refDate("2026-01-05")}}); err == nil {
			t.Fatal("ReplacePlans with an unknown plan type: no error")
		}
		plans, err := s.Plans(ctx)
		refMust(t, err)
		if len(plans) != 1 || plans[0].ChildID != "1" {
			t.Fatalf("plans after a failed load = %+v, want child 1 only", plans)
		}

		refMust(t, s.ReplaceCalendar(ctx, []pme.Term{{Name: "Autumn", Start: refDate("2026-09-01"), End: refDate("2026-12-18")}}, nil))
		err = s.ReplaceCalendar(ctx, []pme.Term{{Name: "Spring", Start: refDate("2027-01-04"), End: refDate("2027-03-25")}},
			[]pme.Closure{{Date: refDate("2027-02-15")}, {Date: refDate("2027-02-15")}})
		if err == nil {
			t.Fatal("ReplaceCalendar with a repeated closure day: no error")
		}
		terms, _, _, err := s.Calendar(ctx)
		refMust(t, err)
		if len(terms) != 1 || terms[0].Name != "Autumn" {
			t.Fatalf("terms after a failed load = %+v, want Autumn only", terms)
		}

		// An empty load is a load: the list is now known to be empty.
		refMust(t, s.ReplaceContacts(ctx, nil))
		if ok, err := s.ReferenceLoaded(ctx, pme.KindContacts); err != nil || !ok {
			t.Fatalf("ReferenceLoaded(contacts) after an empty load = %v, %v; want true", ok, err)
		}
	})
}

// TestReplaceSchoolsAllOfEngland loads 50,000 schools, the size of the national GIAS extract.
func TestReplaceSchoolsAllOfEngland(t *testing.T) {
	if testing.Short() {
		t.Skip("50,000 rows")
	}
	schools := make([]pme.School, 50_000)
	for i := range schools {
		schools[i] = pme.School{URN: fmt.Sprintf("%06d", 100000+i), LAESTAB: fmt.Sprintf("%07d", 2000000+i),
			Name: fmt.Sprintf("School %d", i), Status: "Open", Street: "1 High Street", Town: "Town", Postcode: "NG1 1AA",
			HeadTitle: "Ms", HeadFirstName: "Ann", HeadLastName: "Head", HeadJobTitle: "Headteacher"}
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		start := time.Now()
		refMust(t, s.ReplaceSchools(ctx, schools))
		refMust(t, s.ReplaceSchools(ctx, schools)) // a reload replaces, not adds
		el := time.Since(start)
		got, err := s.Schools(ctx)
		refMust(t, err)
		if len(got) != len(schools) {
			t.Fatalf("schools = %d, want %d", len(got), len(schools))
		}
		t.Logf("two loads of %d schools in %v", len(schools), el)
	})
}

func refMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func refSame(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s =\n%+v\nwant\n%+v", what, got, want)
	}
}
