package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"testing"
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
