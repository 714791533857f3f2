// Package match links records that name the same child or provider in different systems: pupils
// to social care plans, placements to approved providers. It is pure: maps in, matches out.
package match

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// folds are letters that do not decompose into a base letter and a mark, spelled as English
// records spell them: "Łukasz" is written "Lukasz", "Søren" "Soren", "Strauß" "Strauss".
var folds = map[rune]string{
	'Ł': "L", 'ł': "L", 'Ø': "O", 'ø': "O", 'ß': "SS", 'ẞ': "SS", 'Æ': "AE", 'æ': "AE",
	'Œ': "OE", 'œ': "OE", 'Đ': "D", 'đ': "D", 'Ð': "D", 'ð': "D", 'Þ': "TH", 'þ': "TH",
	'Ħ': "H", 'ħ': "H", 'ı': "I", 'Ŀ': "L", 'ŀ': "L", 'Ŧ': "T", 'ŧ': "T",
}

// NormalizeName reduces a name to the form names are compared in: upper case, accents removed
// ("Zoë" is "ZOE", "Nguyễn" is "NGUYEN", "Łukasz" is "LUKASZ"), and everything that is not a
// letter or a digit dropped, so hyphens, apostrophes (' and ’), dots and spaces do not count:
// "O'Brien" is "OBRIEN", "Smith-Jones" and "Smith Jones" are "SMITHJONES". Letters of other
// scripts are kept, upper-cased.
func NormalizeName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		if f, ok := folds[r]; ok {
			b.WriteString(f)
			continue
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}
