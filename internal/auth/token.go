// Package auth authenticates API callers: it issues API tokens, verifies them
// against the hashes the catalog stores, creates the bootstrap admin token on
// first start, and decides what a principal may do.
//
// An API token reads arca_<id>_<secret>: id names the token in the catalog,
// secret is 32 random bytes in lower-case base32. Only SHA-256(secret) is
// stored; a plain hash suffices because the secret is high-entropy (no
// password stretching is needed to resist guessing).
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/arcabackup/arca/internal/arca"
)

const (
	tokenPrefix = "arca_"
	secretBytes = 32
)

// secretEncoding is lower-case base32 without padding: easy to copy, safe
// in shells and headers, and free of the '_' that separates the parts.
var secretEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewToken returns a new token's plaintext (shown to its owner once) and
// the record to store (holding only the secret's hash).
func NewToken(tenant, name string, roles []arca.Role, now time.Time) (string, arca.APIToken, error) {
	secret, err := newSecret()
	if err != nil {
		return "", arca.APIToken{}, err
	}
	id := arca.NewID(now)
	return tokenPrefix + id + "_" + secret, record(id, tenant, name, roles, secret, now), nil
}

func record(id, tenant, name string, roles []arca.Role, secret string, now time.Time) arca.APIToken {
	return arca.APIToken{ID: id, Tenant: tenant, Name: name, Roles: roles,
		SecretHash: HashSecret(secret), CreatedAt: now.UTC()}
}

// HashSecret returns the stored form of a token secret.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// ParseToken splits a token into its id and secret, or returns an
// INVALID_ARGUMENT error saying what is wrong with its form.
func ParseToken(s string) (id, secret string, err error) {
	return parseCredential(s, tokenPrefix, "API token")
}

// parseCredential splits <prefix><id>_<secret>.
func parseCredential(s, prefix, what string) (id, secret string, err error) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return "", "", badToken(what, "it must start with \""+prefix+"\"")
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok || !arca.ValidID(id) {
		return "", "", badToken(what, "it must read "+prefix+"<id>_<secret>, where id is a UUID")
	}
	raw, err := secretEncoding.DecodeString(secret)
	if err != nil || len(raw) < secretBytes {
		return "", "", badToken(what, fmt.Sprintf("its secret must be at least %d random bytes in lower-case base32", secretBytes))
	}
	return id, secret, nil
}

// newSecret returns a new random secret in its text form.
func newSecret() (string, error) {
	secret := make([]byte, secretBytes)
	if _, err := rand.Read(secret); err != nil {
		return "", fmt.Errorf("read random secret: %w", err)
	}
	return secretEncoding.EncodeToString(secret), nil
}

func badToken(what, why string) error {
	return &arca.Error{Code: arca.CodeInvalidArgument, Message: "The " + what + " is malformed: " + why + ".",
		Fields: []arca.FieldError{{Field: "token", Message: why}}}
}
