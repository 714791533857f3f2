package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash = %q, want an argon2id PHC string", h)
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not per hash")
	}
	tests := []struct {
		name, password string
		want           bool
	}{
		{"right", "correct horse battery", true},
		{"wrong", "correct horse batterY", false},
		{"empty", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckPassword(h, tc.password)
			if err != nil || got != tc.want {
				t.Fatalf("CheckPassword = %v, %v, want %v", got, err, tc.want)
			}
		})
	}
}

func TestShortPasswordRefused(t *testing.T) {
	for _, pw := range []string{"", "elevenchars", "ééééééééééé"} {
		if _, err := HashPassword(pw); !errors.Is(err, ErrWeakPassword) {
			t.Errorf("HashPassword(%q) err = %v, want ErrWeakPassword", pw, err)
		}
	}
	if err := CheckStrength("twelve chars"); err != nil {
		t.Errorf("twelve characters refused: %v", err)
	}
}

func TestCheckPasswordRejectsMalformedHash(t *testing.T) {
	for _, h := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=x$AA$AA"} {
		if ok, err := CheckPassword(h, "whatever password"); ok || err == nil {
			t.Errorf("CheckPassword(%q) = %v, %v, want false and an error", h, ok, err)
		}
	}
}

func TestTokens(t *testing.T) {
	a, _ := NewToken()
	b, _ := NewToken()
	if a == b || len(a) != 43 {
		t.Fatalf("tokens %q %q: want two different 43-character (256-bit) tokens", a, b)
	}
	if HashToken(a) == a || len(HashToken(a)) != 64 {
		t.Fatalf("HashToken(%q) = %q", a, HashToken(a))
	}
}
