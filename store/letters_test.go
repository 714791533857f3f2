package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"pme"
	"pme/store"
	"pme/store/storetest"
)

// sampleLetter is a recorded letter about a synthetic pupil.
func sampleLetter(upn string, day pme.Date, hours float64) pme.Letter {
	ep := pme.Episode{UPN: upn, LAESTAB: "8912345", Kind: pme.ReducedTimetable,
		Start: pme.MustDate("2026-11-02"), End: pme.MustDate("2026-12-18"), Hours: hours}
	key := ep.Key()
	id := pme.LetterID(key)
	return pme.Letter{
		ID: id, EpisodeKey: key, Episode: ep, UPN: upn, LAESTAB: "8912345", Date: day,
		Trigger: "new reduced timetable", TemplateHash: "t1hash", Template: "Dear {{.Salutation}}\n",
		FontHash: "f1hash", SHA256: "ab12", File: "out/letters/" + day.String() + "/" + id + ".pdf",
		Created: time.Date(2026, 11, 27, 6, 40, 12, 0, time.UTC),
		Data: pme.LetterData{ID: id, Issued: day, Date: day.Long(), Salutation: "Ms Head and Mr Chair",
			CouncilAddress: []string{"County Hall", "NG2 7QP"},
			Pupil:          pme.LetterPupil{Name: "Zoë Łukasz-O'Brien", Forename: "Zoë", Surname: "Łukasz-O'Brien", UPN: upn},
			School:         pme.LetterSchool{Name: "Oakfield Academy", LAESTAB: "8912345", Address: []string{"1 Synthetic Lane"}},
			Provision:      pme.LetterProvision{Timetable: true, Kind: "reduced timetable", Hours: "12.5"}},
	}
}

func TestRecordLetterRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := sampleLetter("A801200005001", pme.MustDate("2026-11-20"), 12.5)
		b := sampleLetter("A801200005002", pme.MustDate("2026-11-27"), 10)
		for _, l := range []pme.Letter{a, b} {
			if err := s.RecordLetter(ctx, l); err != nil {
				t.Fatalf("RecordLetter: %v", err)
			}
		}
		got, err := s.Letter(ctx, a.ID)
		if err != nil {
			t.Fatalf("Letter: %v", err)
		}
		if !reflect.DeepEqual(*got, a) {
			t.Errorf("Letter = %+v\nwant %+v", *got, a)
		}
		eps, err := s.LetterEpisodes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]string{a.EpisodeKey: a.ID, b.EpisodeKey: b.ID}; !reflect.DeepEqual(eps, want) {
			t.Errorf("LetterEpisodes = %v, want %v", eps, want)
		}
		for _, tc := range []struct {
			from pme.Date
			want []string
		}{
			{pme.Date{}, []string{a.ID, b.ID}},
			{pme.MustDate("2026-11-21"), []string{b.ID}},
			{pme.MustDate("2026-11-28"), nil},
		} {
			ls, err := s.Letters(ctx, tc.from)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, l := range ls {
				ids = append(ids, l.ID)
			}
			if !reflect.DeepEqual(ids, tc.want) {
				t.Errorf("Letters(%s) = %v, want %v", tc.from, ids, tc.want)
			}
		}
		ls, _ := s.Letters(ctx, pme.MustDate("2026-11-27"))
		if len(ls) == 1 && (!reflect.DeepEqual(ls[0].Data, b.Data) || ls[0].Episode != b.Episode || ls[0].Template != "") {
			t.Errorf("Letters row = %+v, want the snapshot and episode of %s and no template", ls[0], b.ID)
		}
		var templates int
		if err := s.DB().GetContext(ctx, &templates, `SELECT COUNT(*) FROM letter_template`); err != nil {
			t.Fatal(err)
		}
		if templates != 1 {
			t.Errorf("letter_template rows = %d, want 1 (kept once per version)", templates)
		}
	})
}

func TestRecordLetterOnePerEpisode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := sampleLetter("A801200005001", pme.MustDate("2026-11-20"), 12.5)
		if err := s.RecordLetter(ctx, a); err != nil {
			t.Fatal(err)
		}
		sameEpisode := a
		sameEpisode.ID = "PME-OTHER-00000"
		sameID := sampleLetter("A801200005001", pme.MustDate("2026-11-20"), 15)
		sameID.ID = a.ID
		for name, l := range map[string]pme.Letter{"same episode": sameEpisode, "same id": sameID} {
			if err := s.RecordLetter(ctx, l); err == nil {
				t.Errorf("RecordLetter(%s) = nil, want an error", name)
			}
		}
		ls, err := s.Letters(ctx, pme.Date{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ls) != 1 {
			t.Errorf("letters = %d, want 1", len(ls))
		}
	})
}

func TestRecordLetterNeedsItsPrint(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		l := sampleLetter("A801200005001", pme.MustDate("2026-11-20"), 12.5)
		l.Template = ""
		if err := s.RecordLetter(context.Background(), l); err == nil {
			t.Error("RecordLetter without its template = nil, want an error: a reprint would be impossible")
		}
	})
}

func TestLetterNotFound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		_, err := s.Letter(context.Background(), "PME-NOTTH-ERE00")
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Letter(unknown) error = %v, want ErrNotFound", err)
		}
	})
}

// RecordLetters adds a batch larger than one INSERT takes, with two templates, all or nothing: a
// batch holding a letter for an episode already recorded records none of its letters.
func TestRecordLettersBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		day := pme.MustDate("2026-11-20")
		var batch []pme.Letter
		for i := range 250 {
			l := sampleLetter(fmt.Sprintf("A8012%08d", i), day, 12.5)
			if i%2 == 1 {
				l.TemplateHash, l.Template = "t2hash", "Dear {{.Salutation}},\n"
			}
			batch = append(batch, l)
		}
		if err := s.RecordLetters(ctx, batch[:200]); err != nil {
			t.Fatalf("RecordLetters: %v", err)
		}
		again := append([]pme.Letter{}, batch[200:]...)
		again = append(again, batch[7])
		if err := s.RecordLetters(ctx, again); err == nil {
			t.Error("RecordLetters with a letter already recorded = nil, want an error")
		}
		ls, err := s.Letters(ctx, pme.Date{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ls) != 200 {
			t.Fatalf("letters = %d, want the first batch's 200", len(ls))
		}
		for _, i := range []int{0, 1, 199} {
			got, err := s.Letter(ctx, batch[i].ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Template != batch[i].Template || got.SHA256 != batch[i].SHA256 || got.Data.Pupil.UPN != batch[i].UPN {
				t.Errorf("letter %d read back as template %q, SHA-256 %s, UPN %s", i, got.Template, got.SHA256, got.Data.Pupil.UPN)
			}
		}
	})
}
