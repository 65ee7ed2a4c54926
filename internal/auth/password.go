package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/arcabackup/arca/internal/arca"
)

// PasswordParams are the Argon2id costs of new password hashes. A stored
// hash carries its own parameters, so raising them affects new hashes only.
type PasswordParams struct {
	Time    uint32 // passes
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultPasswordParams follow RFC 9106's second recommendation (64 MiB,
// 3 passes) with 2 lanes: about 0.1 s per hash on one server core.
func DefaultPasswordParams() PasswordParams {
	return PasswordParams{Time: 3, Memory: 64 << 10, Threads: 2}
}

const (
	saltBytes = 16
	keyBytes  = 32
	// MinPasswordLength is the least number of characters of a password.
	MinPasswordLength = 12
	// maxPasswordBytes bounds the work a login can ask of Argon2id.
	maxPasswordBytes = 1024
)

// HashPassword returns the Argon2id hash of password in PHC string form:
// $argon2id$v=19$m=65536,t=3,p=2$<salt>$<hash>.
func HashPassword(password string, p PasswordParams) (string, error) {
	salt := make([]byte, saltBytes)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read random salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyBytes)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches hash, comparing in
// constant time. A malformed hash never matches.
func VerifyPassword(hash, password string) bool {
	p, salt, key, ok := parseHash(hash)
	if !ok || len(password) > maxPasswordBytes {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

func parseHash(hash string) (p PasswordParams, salt, key []byte, ok bool) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Time == 0 || p.Threads == 0 || p.Memory < 8*uint32(p.Threads) || p.Memory > 4<<20 {
		return p, nil, nil, false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	key, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 {
		return p, nil, nil, false
	}
	return p, salt, key, true
}

// commonPasswords are refused whatever their length (substrings of the
// password, compared case-insensitively).
var commonPasswords = []string{"password", "passw0rd", "123456", "qwerty", "azerty", "letmein", "welcome",
	"admin", "iloveyou", "changeme", "abc123", "111111", "arca"}

// CheckPassword returns an INVALID_ARGUMENT error saying what to change
// when password is too weak for username: fewer than 12 characters, fewer
// than 5 different characters, the username in it, or a well-known
// password in it.
func CheckPassword(username, password string) error {
	weak := func(why string) error {
		return &arca.Error{Code: arca.CodeInvalidArgument, Message: "The password is too weak: " + why + ".",
			Fields: []arca.FieldError{{Field: "password", Message: why}}}
	}
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return weak("it is not valid UTF-8 text")
	case n < MinPasswordLength:
		return weak(fmt.Sprintf("use at least %d characters (a few unrelated words make a good one)", MinPasswordLength))
	case len(password) > maxPasswordBytes:
		return weak(fmt.Sprintf("use at most %d bytes", maxPasswordBytes))
	case distinct(password) < 5:
		return weak("use at least 5 different characters")
	}
	lower := strings.ToLower(password)
	if username != "" && strings.Contains(lower, strings.ToLower(username)) {
		return weak("it must not contain the username")
	}
	for _, c := range commonPasswords {
		if strings.Contains(lower, c) {
			return weak(fmt.Sprintf("it contains the well-known password %q", c))
		}
	}
	return nil
}

func distinct(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}
