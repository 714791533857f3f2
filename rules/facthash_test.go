package rules

import (
	"reflect"
	"testing"

	"pme"
)

// oneOfEach is facts with one row of each kind for pupil 1, every field set.
func oneOfEach() Facts {
	d := pme.MustDate("2026-10-01")
	pupil := pme.Pupil{UPN: "A123", Surname: "S", Forename: "F", DOB: d, Gender: "M", NCYear: "9", SEN: "N"}
	return Facts{
		Pupils:     []pme.StoredPupil{{ID: 1, Pupil: pupil, FormerUPNs: []string{"T1"}}},
		Timetables: []pme.StoredTimetable{{ID: 2, PupilID: 1, LAESTAB: "1", Received: d, Timetable: pme.Timetable{StartDate: d, HoursPerWeek: 10}}},
		Placements: []pme.StoredPlacement{{ID: 3, PupilID: 1, LAESTAB: "1", Received: d, Placement: pme.Placement{ProviderName: "P", StartDate: d}}},
		Suspensions: []pme.StoredSuspension{{ID: 4, PupilID: 1, LAESTAB: "1", Received: d,
			Suspension: pme.Suspension{Category: pme.CategorySuspension, StartDate: d, Sessions: 2}}},
		Matches:     []pme.PlanMatch{{PupilID: 1, Method: pme.MatchUPN, Plan: pme.Plan{ChildID: "C", PlanType: pme.PlanCP, StartDate: d}}},
		ReturnTypes: map[int64][]pme.ReturnType{1: {pme.Suspensions}},
		Attendance: []pme.AttendanceFact{{PupilID: 1, LAESTAB: "1", Possible: 100, LastMark: d, C2From: d,
			EText: "2026-10-01:1", EDays: []pme.AttendanceEDay{{Date: d, Sessions: 1}}}},
		SchoolNames:      map[string]string{"1": "One School"},
		TimetableReturns: map[string]pme.Date{"1": d},
	}
}

// leaves calls fn with every settable leaf field of v (a struct), through embedded and nested
// structs other than pme.Date, which is a leaf.
func leaves(v reflect.Value, path string, fn func(path string, f reflect.Value)) {
	for i := 0; i < v.NumField(); i++ {
		f, name := v.Field(i), path+"."+v.Type().Field(i).Name
		if f.Kind() == reflect.Struct && f.Type() != reflect.TypeOf(pme.Date{}) {
			leaves(f, name, fn)
			continue
		}
		fn(name, f)
	}
}

// changeValue sets f to a value different from the one it holds.
func changeValue(t *testing.T, path string, f reflect.Value) {
	switch {
	case f.Type() == reflect.TypeOf(pme.Date{}):
		f.Set(reflect.ValueOf(f.Interface().(pme.Date).AddDays(1)))
	case f.Kind() == reflect.String:
		f.SetString(f.String() + "x")
	case f.Kind() == reflect.Int || f.Kind() == reflect.Int64:
		f.SetInt(f.Int() + 1)
	case f.Kind() == reflect.Float64:
		f.SetFloat(f.Float() + 0.5)
	case f.Kind() == reflect.Bool:
		f.SetBool(!f.Bool())
	case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String:
		f.Set(reflect.Append(f, reflect.ValueOf("x")))
	case f.Kind() == reflect.Slice && f.Type().Elem() == reflect.TypeOf(pme.AttendanceEDay{}):
		f.Set(reflect.Append(f, reflect.ValueOf(pme.AttendanceEDay{Sessions: 1}))) // its fields: checked apart
	default:
		t.Fatalf("%s: no way to change a %s: teach the test (and appendPupilFacts) about it", path, f.Type())
	}
}

// A change to any field of any fact must change the pupil's hash, or a rerun would keep a case
// the changed facts no longer support. A field added to a fact type fails here until hashed.
func TestPupilHashesCoverEveryField(t *testing.T) {
	base := PupilHashes(oneOfEach())[1]
	check := func(kind string, row func(f *Facts) reflect.Value) {
		n := 0
		leaves(row(&Facts{}).Elem(), kind, func(path string, _ reflect.Value) { n++ })
		for i := 0; i < n; i++ {
			f := oneOfEach()
			j := 0
			leaves(row(&f).Elem(), kind, func(path string, v reflect.Value) {
				if j == i {
					changeValue(t, path, v)
					if got := PupilHashes(f)[1]; got == base {
						t.Errorf("changing %s leaves pupil 1's hash as it was", path)
					}
				}
				j++
			})
		}
	}
	check("pupil", func(f *Facts) reflect.Value { return ptrTo(f, &f.Pupils) })
	check("timetable", func(f *Facts) reflect.Value { return ptrTo(f, &f.Timetables) })
	check("placement", func(f *Facts) reflect.Value { return ptrTo(f, &f.Placements) })
	check("suspension", func(f *Facts) reflect.Value { return ptrTo(f, &f.Suspensions) })
	check("match", func(f *Facts) reflect.Value { return ptrTo(f, &f.Matches) })
	check("attendance", func(f *Facts) reflect.Value { return ptrTo(f, &f.Attendance) })
	for i := 0; i < 2; i++ {
		f := oneOfEach()
		f.Attendance[0].EDays[0].Sessions += i
		f.Attendance[0].EDays[0].Date = f.Attendance[0].EDays[0].Date.AddDays(1 - i)
		if PupilHashes(f)[1] == base {
			t.Errorf("changing an E day's field %d leaves the hash as it was", i)
		}
	}
	for _, change := range []func(f *Facts){
		func(f *Facts) { f.SchoolNames["1"] = "Renamed" },
		func(f *Facts) { f.TimetableReturns["1"] = f.TimetableReturns["1"].AddDays(7) },
	} {
		f := oneOfEach()
		change(&f)
		if PupilHashes(f)[1] == base {
			t.Error("a school's name or latest reduced-timetable return changed, and the pupil's hash did not")
		}
	}

	f := oneOfEach()
	f.ReturnTypes[1] = append(f.ReturnTypes[1], pme.ReducedTimetable)
	if PupilHashes(f)[1] == base {
		t.Error("a return type added leaves the hash as it was")
	}
	if again := PupilHashes(oneOfEach())[1]; again != base {
		t.Error("the same facts hash differently")
	}
}

// ptrTo returns a pointer to the first element of *slice, giving an empty facts value a row.
func ptrTo[T any](_ *Facts, slice *[]T) reflect.Value {
	if len(*slice) == 0 {
		*slice = make([]T, 1)
	}
	return reflect.ValueOf(&(*slice)[0])
}

func TestPupilHashesSeparatePupilsAndMoves(t *testing.T) {
	f := oneOfEach()
	f.Pupils = append(f.Pupils, pme.StoredPupil{ID: 2})
	h := PupilHashes(f)
	if len(h) != 2 || h[1] == h[2] {
		t.Fatalf("hashes %v: want two different ones", h)
	}
	// A suspension moved from pupil 1 to pupil 2 (a merge) changes both.
	g := oneOfEach()
	g.Pupils = append(g.Pupils, pme.StoredPupil{ID: 2})
	g.Suspensions[0].PupilID = 2
	h2 := PupilHashes(g)
	if h2[1] == h[1] || h2[2] == h[2] {
		t.Errorf("a moved suspension left a hash unchanged: before %v, after %v", h, h2)
	}
}

func TestFactsOnly(t *testing.T) {
	f := oneOfEach()
	f.Pupils = append(f.Pupils, pme.StoredPupil{ID: 2})
	perm := suspension(2, pme.CategoryPermanent, "2026-10-01", 2)
	perm.ID = 9
	f.Suspensions = append(f.Suspensions, perm)
	f.ReturnTypes[2] = []pme.ReturnType{pme.Suspensions}
	only := f.Only(func(id int64) bool { return id == 2 })
	if len(only.Pupils) != 1 || only.Pupils[0].ID != 2 || len(only.Suspensions) != 1 || only.Suspensions[0].ID != 9 ||
		len(only.Timetables) != 0 || len(only.Placements) != 0 || len(only.Matches) != 0 || len(only.ReturnTypes) != 1 {
		t.Errorf("Only(2) = %+v", only)
	}
	alone := Evaluate(only, testCalendar(t), DefaultConfig(), d("2026-11-27"))
	if len(alone) != 1 || len(alone[0].Findings) == 0 {
		t.Fatalf("pupil 2 alone: %+v, want a finding (a permanent exclusion)", alone)
	}
	if both := Evaluate(f, testCalendar(t), DefaultConfig(), d("2026-11-27")); !reflect.DeepEqual(alone, filterResults(both, 2)) {
		t.Error("evaluating pupil 2 alone differs from its share of evaluating both")
	}
}

func filterResults(rs []PupilResult, id int64) []PupilResult {
	out := []PupilResult{}
	for _, r := range rs {
		if r.PupilID == id {
			out = append(out, r)
		}
	}
	return out
}

// Facts gains a field: PupilHashes (for a pupil's own facts) or pipeline's contextHash (for what
// every pupil shares) must hash it, or a rerun keeps cases the new facts no longer support.
func TestPupilHashesKnowEveryKindOfFact(t *testing.T) {
	known := map[string]bool{"Pupils": true, "Timetables": true, "Placements": true, "Suspensions": true,
		"Matches": true, "ReturnTypes": true, "Attendance": true, "SchoolNames": true, "TimetableReturns": true,
		"Providers": true, "Windows": true, "Missed": true} // Providers, Windows, Missed (the compliance grid's digest): in the flag context
	ft := reflect.TypeOf(Facts{})
	for i := 0; i < ft.NumField(); i++ {
		if !known[ft.Field(i).Name] {
			t.Errorf("Facts.%s is not hashed: add it to appendPupilFacts or to the flag's contextHash, and here", ft.Field(i).Name)
		}
	}
}
