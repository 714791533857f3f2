package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"

	"pme"
)

// unpatchedLetterSHA256 is the SHA-256 of zoe()'s first letter, printed by upstream fpdf v0.12.0
// (before third_party/fpdf's font cache, main at fb7bd2a), in each built-in font.
var unpatchedLetterSHA256 = map[string]string{
	"DejaVu Sans": "2e6cf5a41ce6531e5d50e84144c3e144050b82f326b429f603fb18052bb10c4e",
	"Go fonts":    "aea6b5d3e658926ed86ebb20aabe352ceb6d6443685da61b51e953312a85d7b6",
}

// Letters printed with third_party/fpdf's process-wide font cache must be the bytes upstream fpdf
// printed: the first letter (which parses the font) and every later one, also from goroutines
// printing at once (run with -race), in each built-in font, one font after the other.
func TestLetterBytesUnchangedByFontCache(t *testing.T) {
	plan := PlanLetters(letterRun(zoe()))
	tmpl, err := LoadLetterTemplate("")
	if err != nil {
		t.Fatal(err)
	}
	print := func(font *LetterFont) string {
		l := plan.Due[0]
		pdf, err := MakeLetter(tmpl, font, &l)
		if err != nil {
			t.Error(err)
			return ""
		}
		sum := sha256.Sum256(pdf)
		return hex.EncodeToString(sum[:])
	}
	for round := 0; round < 2; round++ {
		for _, font := range []*LetterFont{DefaultLetterFont(), goFonts()} {
			want := unpatchedLetterSHA256[font.Name()]
			if got := print(font); got != want {
				t.Errorf("%s, round %d: SHA-256 %s, upstream fpdf printed %s", font.Name(), round, got, want)
			}
			var wg sync.WaitGroup
			got := make([]string, 8)
			for i := range got {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got[i] = print(font)
				}()
			}
			wg.Wait()
			for i, g := range got {
				if g != want {
					t.Errorf("%s, round %d, goroutine %d: SHA-256 %s, upstream fpdf printed %s", font.Name(), round, i, g, want)
				}
			}
		}
	}
}

// unpatchedLettersSHA256 is the SHA-256 of each letter of fontCacheCandidates in turn,
// printed by upstream fpdf v0.12.0 (third_party/fpdf as in commit d276783), in each built-in font.
// The letters use different characters, some above U+00FF, so each has its own font subset.
var unpatchedLettersSHA256 = map[string][]string{
	"DejaVu Sans": {
		"7f45fc327f3a022c131d73d56a234f95d9eb0f17b5245f1dd73cf3b91e0ef0ba",
		"15f271386a8cd749b3015addf706652fd8727f134e79e6c4fa2fa96216375161",
		"402d5adce089f18d24c37702623c0e13cd7bd131c10f193ddebced97ce033fe4",
		"2e6cf5a41ce6531e5d50e84144c3e144050b82f326b429f603fb18052bb10c4e",
		"52a3fab43aebebaf8808600e4ab6339e17362306810c00c954908215ce97353f",
		"d3017c4fd8e3c8252332286ccbfbca7dae8a8af0b436bdd56e037ed1a7e2ca34",
	},
	"Go fonts": {
		"acdedadc7457b0bd10fd52b94b0b862e4e95e605d35145d4c5b7c15d6ceb9fea",
		"ce89f31ddfd5b18099d506bba06186ef30876689ba33904b4a1c863db61af32a",
		"448ca5db6f4a1a3d8ae6805528ef7e509f4b7affa182a1731824913e19727814",
		"aea6b5d3e658926ed86ebb20aabe352ceb6d6443685da61b51e953312a85d7b6",
		"83aa95161fd87d5947257123f3eae128a9c2fed15e9e7e159485c41b54bae6c4",
		"1ad326c79c63f50bc3924d0678757a107d2726ce1bfd3fb957b5569f270629df",
	},
}

// The patched fpdf keeps the subset it cut for a set of characters and the /W array for a set of
// characters above U+00FF, and reuses them for a later document with the same: letters with
// different characters must still get their own bytes, printed first or after the others, one at
// a time or from goroutines at once (run with -race).
func TestLettersWithDifferentCharactersUnchangedByFontCache(t *testing.T) {
	plan := PlanLetters(letterRun(fontCacheCandidates()...))
	tmpl, err := LoadLetterTemplate("")
	if err != nil {
		t.Fatal(err)
	}
	for _, font := range []*LetterFont{DefaultLetterFont(), goFonts()} {
		want := unpatchedLettersSHA256[font.Name()]
		print := func(i int) string {
			l := plan.Due[i]
			pdf, err := MakeLetter(tmpl, font, &l)
			if err != nil {
				t.Error(err)
				return ""
			}
			sum := sha256.Sum256(pdf)
			return hex.EncodeToString(sum[:])
		}
		if len(want) != len(plan.Due) {
			got := make([]string, len(plan.Due))
			for i := range got {
				got[i] = print(i)
			}
			t.Fatalf("%s: %d letters, %d SHA-256s recorded; printed %q", font.Name(), len(plan.Due), len(want), got)
		}
		for round := range 2 {
			for k := range plan.Due {
				i := k
				if round == 1 {
					i = len(plan.Due) - 1 - k
				}
				if got := print(i); got != want[i] {
					t.Errorf("%s, round %d, letter %d: SHA-256 %s, upstream fpdf printed %s", font.Name(), round, i, got, want[i])
				}
			}
		}
		font.Warm() // as pme letters does while it plans: it must change no letter's bytes
		var wg sync.WaitGroup
		got := make([]string, 4*len(plan.Due))
		for j := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[j] = print(j % len(plan.Due))
			}()
		}
		wg.Wait()
		for j, g := range got {
			if i := j % len(plan.Due); g != want[i] {
				t.Errorf("%s, goroutine %d, letter %d: SHA-256 %s, upstream fpdf printed %s", font.Name(), j, i, g, want[i])
			}
		}
	}
}

// fontCacheCandidates are letters due with different characters: zoe() and siobhan(), and zoe()
// under other names (plain ASCII, and letters above U+00FF).
func fontCacheCandidates() []LetterCandidate {
	out := []LetterCandidate{zoe(), siobhan()}
	for i, name := range [][2]string{{"Tom", "Smith"}, {"Ægir", "Þórsson"}, {"Dvořák", "Šárka"}, {"Tom", "Jones"}} {
		c := zoe()
		c.Pupil.UPN = fmt.Sprintf("A80120000510%d", i)
		c.Pupil.Forename, c.Pupil.Surname = name[0], name[1]
		c.Plan = letterPlan(c.Pupil.UPN, pme.PlanCP)
		out = append(out, c)
	}
	return out
}
