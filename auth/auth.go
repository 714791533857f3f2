// Package auth holds the pure parts of signing in: Argon2id password hashes with a per-user salt
// (golang.org/x/crypto/argon2, RFC 9106), and session tokens, which are random and stored only as
// their SHA-256 (a token has 256 bits of entropy, so a fast hash is enough, unlike a password).
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"pme"
)

// Params are Argon2id's cost settings.
type Params struct {
	Time    uint32 // passes
	Memory  uint32 // KiB
	Threads uint8
}

// Cost is the cost new hashes are made with: OWASP's password-storage recommendation for Argon2id
// (19 MiB, 2 passes, 1 lane), which keeps a sign-in cheap enough that a burst of them cannot
// exhaust a small server's memory. A variable so that tests can make hashing cheap; hashes record
// their own cost, so changing it never breaks a stored one.
var Cost = Params{Time: 2, Memory: 19 * 1024, Threads: 1}

const (
	argonKeyLen = 32
	saltLen     = 16
)

// ErrWeakPassword is returned for a password shorter than pme.MinPasswordLength.
var ErrWeakPassword = fmt.Errorf("a password must be at least %d characters", pme.MinPasswordLength)

// CheckStrength returns ErrWeakPassword for a password that is too short.
func CheckStrength(password string) error {
	if utf8.RuneCountInString(password) < pme.MinPasswordLength {
		return ErrWeakPassword
	}
	return nil
}

// HashPassword returns the password's Argon2id hash in the PHC string format
// ("$argon2id$v=19$m=19456,t=2,p=1$salt$hash"), with a fresh random salt.
func HashPassword(password string) (string, error) {
	if err := CheckStrength(password); err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	c := Cost
	key := argon2.IDKey([]byte(password), salt, c.Time, c.Memory, c.Threads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, c.Memory, c.Time,
		c.Threads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

var errBadHash = errors.New("stored password hash is not an argon2id PHC string")

// CheckPassword reports whether password matches the stored hash, in constant time. The
// parameters are read from the hash, so that hashes made with older settings still verify.
func CheckPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	var mem, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil {
		return false, errBadHash
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(password), salt, t, mem, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// CheckNobody is called when no such user exists, so that an unknown user takes as long to refuse
// as a wrong password and the timing does not tell which names exist.
// CheckNobody spends the time of one password check at the current cost and returns false.
func CheckNobody(password string) bool {
	argon2.IDKey([]byte(password), make([]byte, saltLen), Cost.Time, Cost.Memory, Cost.Threads, argonKeyLen)
	return false
}

// NewToken returns a random 256-bit session token, URL-safe.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new session token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken returns what the database keeps of a session token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
