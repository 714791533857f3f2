package reports

import (
	"sync"
	"testing"
)

// TestPrintsRemembersEachAnswer: what the font prints is worked out once a character and then
// remembered; the remembered answer is the first one, for characters the font has, lacks, holds
// only in a script that needs shaping, and beyond the Basic Multilingual Plane, from goroutines
// printing at once (run under -race in CI).
func TestPrintsRemembersEachAnswer(t *testing.T) {
	font := DefaultLetterFont()
	want := map[rune]bool{
		'A': true, 'ễ': true, 'Ł': true, 'Я': true, // Latin Extended Additional, Polish, Cyrillic
		'漢': false, // Han: not in DejaVu Sans
		'ب': false, // Arabic: a script the letter would print unshaped
		'😀': false, // beyond the Basic Multilingual Plane: fpdf cannot print it
	}
	for r, yes := range want {
		if got := font.has(r) && complexScript(r) == ""; got != yes {
			t.Fatalf("%q: the font's own answer is %v, the test expects %v", r, got, yes)
		}
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 { // the first pass works it out, the later ones read what was remembered
				for r, yes := range want {
					if got := font.prints(r); got != yes {
						t.Errorf("prints(%q) = %v, want %v", r, got, yes)
					}
				}
			}
		}()
	}
	wg.Wait()
	for r, yes := range want {
		if r > 0xFFFF {
			continue
		}
		if got, known := font.printable.lookup(r); !known || got != yes {
			t.Errorf("remembered %q: %v (known %v), want %v", r, got, known, yes)
		}
	}
}
