package match

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"pme"
)

func d(s string) pme.Date { return pme.MustDate(s) }

func TestNormalizeName(t *testing.T) {
	cases := []struct{ in, want string }{
		{"O'Brien", "OBRIEN"},
		{"O’Brien", "OBRIEN"},
		{"o brien", "OBRIEN"},
		{"Zoë", "ZOE"},
		{"Zoe\u0308", "ZOE"}, // already decomposed
		{"Łukasz", "LUKASZ"},
		{"Wiśniewski", "WISNIEWSKI"},
		{"Nguyễn", "NGUYEN"},
		{"Smith-Jones", "SMITHJONES"},
		{"  Smith  Jones ", "SMITHJONES"},
		{"Søren", "SOREN"},
		{"Strauß", "STRAUSS"},
		{"Æthelred", "AETHELRED"},
		{"Œuvre", "OEUVRE"},
		{"Đorđe", "DORDE"},
		{"Ailís", "AILIS"},
		{"François", "FRANCOIS"},
		{"Иван", "ИВАН"},
		{"", ""},
	}
	for _, tc := range cases {
		if got := NormalizeName(tc.in); got != tc.want {
			t.Errorf("NormalizeName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNormalizeProviderName(t *testing.T) {
	cases := []struct{ in, want string }{
		{"The Acorn Centre Ltd", "ACORN CENTRE"},
		{"Acorn Centre", "ACORN CENTRE"},
		{"ACORN CENTRE LIMITED.", "ACORN CENTRE"},
		{"the acorn centre, ltd", "ACORN CENTRE"},
		{"Bridges Learning CIC", "BRIDGES LEARNING"},
		{"Horizon Vocational Training Limited", "HORIZON VOCATIONAL TRAINING"},
		{"Meadowbank Farm School Trust Ltd", "MEADOWBANK FARM SCHOOL"},
		{"St. Mary's Tuition", "ST MARYS TUITION"},
		{"Smith & Sons", "SMITH AND SONS"},
		{"Café Ltd", "CAFE"},
		{"The Trust", "TRUST"},
		{"Theatre Works", "THEATRE WORKS"},
		{"", ""},
	}
	for _, tc := range cases {
		if got := NormalizeProviderName(tc.in); got != tc.want {
			t.Errorf("NormalizeProviderName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestProvider(t *testing.T) {
	list := []pme.Provider{
		{Name: "The Acorn Centre Ltd", URN: "151234"},
		{Name: "Bridges Learning CIC", UKPRN: "10065544"},
		{Name: "Acorn Centre", URN: "999999"}, // a second spelling later in the list: the first wins by name
	}
	cases := []struct {
		name   string
		p      pme.Placement
		want   string
		wantOK bool
	}{
		{"by URN", pme.Placement{ProviderName: "Something else", ProviderURN: "151234"}, "The Acorn Centre Ltd", true},
		{"UKPRN in the URN column", pme.Placement{ProviderName: "x", ProviderURN: "10065544"}, "Bridges Learning CIC", true},
		{"by UKPRN", pme.Placement{ProviderName: "x", ProviderUKPRN: "10065544"}, "Bridges Learning CIC", true},
		{"URN beats name", pme.Placement{ProviderName: "Acorn Centre", ProviderURN: "999999"}, "Acorn Centre", true},
		{"by name", pme.Placement{ProviderName: "ACORN CENTRE"}, "The Acorn Centre Ltd", true},
		{"unknown URN falls back to name", pme.Placement{ProviderName: "Bridges Learning", ProviderURN: "123123"}, "Bridges Learning CIC", true},
		{"not on the list", pme.Placement{ProviderName: "Streetwise Tuition"}, "", false},
		{"blank", pme.Placement{}, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Provider(tc.p, list)
			if ok != tc.wantOK || got.Name != tc.want {
				t.Fatalf("Provider = %q, %v, want %q, %v", got.Name, ok, tc.want, tc.wantOK)
			}
		})
	}
}

// pupil returns a stored pupil; upn may be "".
func pupil(id int64, upn, surname, forename, dob string, former ...string) pme.StoredPupil {
	return pme.StoredPupil{ID: id, Pupil: pme.Pupil{UPN: upn, Surname: surname, Forename: forename, DOB: d(dob)}, FormerUPNs: former}
}

func plan(child, upn, surname, forename, dob, typ string) pme.Plan {
	return pme.Plan{ChildID: child, UPN: upn, Surname: surname, Forename: forename, DOB: d(dob), PlanType: typ, StartDate: d("2026-01-05")}
}

// got is a compact form of matches: "pupil:method:child:type".
func compact(ms []pme.PlanMatch) []string {
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%d:%s:%s:%s", m.PupilID, m.Method, m.Plan.ChildID, m.Plan.PlanType))
	}
	return out
}

func TestPlans(t *testing.T) {
	pupils := []pme.StoredPupil{
		pupil(1, "B801200005001", "O'Brien", "Zoë", "2014-03-02"),
		pupil(2, "H801200001001", "Wiśniewski", "Łukasz", "2012-07-15", "G80120000101A"),
		pupil(3, "A950000178301", "Nowak", "Zofia", "2013-05-05"),
		pupil(4, "H243278544154", "Smith", "Sam", "2011-01-01"),
		pupil(5, "", "Smith", "Sam", "2011-01-01"), // a second Sam Smith born the same day
		pupil(6, "K801200002001", "Patel", "Aisha", "2015-09-09"),
	}
	cases := []struct {
		name  string
		plans []pme.Plan
		want  []string
		note  string // of the first match, when ambiguous
	}{
		{"UPN", []pme.Plan{plan("C1", "b801200005001 ", "Other", "Name", "2000-01-01", "CP")}, []string{"1:upn:C1:CP"}, ""},
		{"former UPN", []pme.Plan{plan("C2", "G80120000101A", "", "", "2012-07-15", "CIN")}, []string{"2:upn:C2:CIN"}, ""},
		{"name and date of birth, normalised", []pme.Plan{plan("C3", "", "OBRIEN", "zoe", "2014-03-02", "LAC")}, []string{"1:name-dob:C3:LAC"}, ""},
		{"accents folded", []pme.Plan{plan("C4", "", "Wisniewski", "Lukasz", "2012-07-15", "CP")}, []string{"2:name-dob:C4:CP"}, ""},
		{"surname and date of birth only", []pme.Plan{plan("C5", "", "Nowak", "Maja", "2013-05-05", "CP")}, []string{"3:ambiguous:C5:CP"}, noteSurnameDOB},
		{"two candidate pupils", []pme.Plan{plan("C6", "", "Smith", "Sam", "2011-01-01", "CIN")},
			[]string{"4:ambiguous:C6:CIN", "5:ambiguous:C6:CIN"}, "name and date of birth match 2 pupils"},
		{"a different UPN", []pme.Plan{plan("C7", "A801200005001", "Patel", "Aisha", "2015-09-09", "CP")}, []string{"6:ambiguous:C7:CP"}, noteUPNsDiffer},
		{"no match", []pme.Plan{plan("C8", "", "Jones", "Ann", "2015-09-09", "CP")}, nil, ""},
		{"history: every record of the child", []pme.Plan{
			plan("C9", "", "Patel", "Aisha", "2015-09-09", "CIN"),
			plan("C9", "K801200002001", "Patel", "Aisha", "2015-09-09", "CP"),
		}, []string{"6:upn:C9:CIN", "6:upn:C9:CP"}, ""},
		{"records of one child with two pupils' UPNs", []pme.Plan{
			plan("C10", "B801200005001", "x", "y", "2014-03-02", "CP"),
			plan("C10", "H801200001001", "x", "y", "2014-03-02", "CP"),
		}, []string{"1:ambiguous:C10:CP", "2:ambiguous:C10:CP", "1:ambiguous:C10:CP", "2:ambiguous:C10:CP"}, "UPNs of 2 different pupils"},
		{"two children match one pupil by name", []pme.Plan{
			plan("C11", "", "Patel", "Aisha", "2015-09-09", "CP"),
			plan("C12", "", "Patel", "Aisha", "2015-09-09", "CIN"),
		}, []string{"6:ambiguous:C11:CP", "6:ambiguous:C12:CIN"}, "2 social care records"},
		{"a UPN match and a name match on one pupil", []pme.Plan{
			plan("C13", "K801200002001", "Patel", "Aisha", "2015-09-09", "CP"),
			plan("C14", "", "Patel", "Aisha", "2015-09-09", "CIN"),
		}, []string{"6:upn:C13:CP", "6:ambiguous:C14:CIN"}, ""},
		{"a child matched exactly is not offered on surname", []pme.Plan{
			plan("C15", "", "Nowak", "Zofia", "2013-05-05", "CP"),
		}, []string{"3:name-dob:C15:CP"}, ""},
		{"no date of birth", []pme.Plan{{ChildID: "C16", Surname: "Patel", Forename: "Aisha", PlanType: "CP"}}, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ms := Plans(pupils, tc.plans)
			got := compact(ms)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("matches = %v, want %v", got, tc.want)
			}
			if tc.note != "" && !strings.Contains(ms[0].Note, tc.note) {
				t.Fatalf("note = %q, want it to contain %q", ms[0].Note, tc.note)
			}
			for _, m := range ms {
				if (m.Method == pme.MatchAmbiguous) != (m.Note != "") {
					t.Fatalf("match %+v: an ambiguous match needs a note, and only it", m)
				}
			}
		})
	}
}

// largeSet is 50,000 pupils and 10,000 plans, a county's worth: half the plans carry a UPN.
func largeSet() ([]pme.StoredPupil, []pme.Plan) {
	pupils := make([]pme.StoredPupil, 50_000)
	for i := range pupils {
		pupils[i] = pupil(int64(i+1), fmt.Sprintf("U%012d", i), fmt.Sprintf("Surname%d", i%9000), fmt.Sprintf("Forename%d", i),
			pme.NewDate(2008+i%12, time.Month(1+i%12), 1+i%28).String())
	}
	plans := make([]pme.Plan, 10_000)
	for i := range plans {
		p := pupils[i*5].Pupil
		upn := ""
		if i%2 == 0 {
			upn = p.UPN
		}
		plans[i] = pme.Plan{ChildID: fmt.Sprint("C", i), UPN: upn, Surname: p.Surname, Forename: p.Forename, DOB: p.DOB, PlanType: pme.PlanCIN}
	}
	return pupils, plans
}

func TestPlansLarge(t *testing.T) {
	pupils, plans := largeSet()
	start := time.Now()
	ms := Plans(pupils, plans)
	t.Logf("Plans took %v for 50,000 pupils and 10,000 plans", time.Since(start))
	if len(ms) != len(plans) {
		t.Fatalf("matches = %d, want %d", len(ms), len(plans))
	}
	for _, m := range ms {
		if m.Method == pme.MatchAmbiguous {
			t.Fatalf("unexpected ambiguous match %+v", m)
		}
	}
}

func BenchmarkPlans(b *testing.B) {
	pupils, plans := largeSet()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Plans(pupils, plans)
	}
	b.ReportMetric(float64(len(pupils)+len(plans))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
