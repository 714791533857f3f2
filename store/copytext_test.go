package store

import "testing"

func TestAppendCopyText(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "",
		"O'Brien-Smith":        "O'Brien-Smith",
		"Zoë":                  "Zoë",
		`a\b`:                  `a\\b`,
		"tab\there":            `tab\there`,
		"two\nlines\r\n":       `two\nlines\r\n`,
		"\\\t\n\r":             `\\\t\n\r`,
		"trailing backslash\\": `trailing backslash\\`,
	} {
		if got := string(appendCopyText([]byte("x"), in)); got != "x"+want {
			t.Errorf("appendCopyText(%q) = %q, want %q", in, got, "x"+want)
		}
	}
}

// BenchmarkAppendCopyText encodes a pupil's usual text fields.
func BenchmarkAppendCopyText(b *testing.B) {
	fields := []string{"K123456789012", "Nguyen-Okafor", "Amelia", "nguyen-okafor\x1famelia", "F", "10", "K"}
	buf := make([]byte, 0, 256)
	for b.Loop() {
		buf = buf[:0]
		for _, f := range fields {
			buf = appendCopyText(buf, f)
		}
	}
}
