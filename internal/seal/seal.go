// Package seal encrypts the secrets the catalog keeps — repository
// passwords, storage credentials, database passwords — under the server's
// master key, so that a copy of the catalog alone reveals none of them.
//
// A sealed value is: version byte 1, a random 12-byte nonce, and the
// AES-256-GCM encryption of the plaintext, authenticated together with a
// context string that names what the value belongs to (for example
// "repository:<id>"). A sealed value moved to another row therefore fails
// to open instead of unlocking the wrong thing.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of a master key.
const KeySize = 32

const version = 1

// ErrOpen is returned when a sealed value does not open: another master
// key, a value of another context, or damage.
var ErrOpen = errors.New("sealed secret does not open with this master key (wrong ARCA_MASTER_KEY or master.key?)")

// Box seals and opens values under one master key. Safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for a 32-byte master key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("master key: %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plain for context.
func (b *Box) Seal(context string, plain []byte) ([]byte, error) {
	out := make([]byte, 1+b.aead.NonceSize(), 1+b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return b.aead.Seal(out, out[1:], plain, []byte(context)), nil
}

// Open decrypts a value sealed for context, or returns ErrOpen.
func (b *Box) Open(context string, sealed []byte) ([]byte, error) {
	ns := b.aead.NonceSize()
	if len(sealed) < 1+ns+b.aead.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	plain, err := b.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], []byte(context))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// NewKey returns a random master key.
func NewKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("new master key: %w", err)
	}
	return k, nil
}

// ParseKey reads a master key written as 64 hex digits or as base64
// (standard or URL alphabet, padded or not), surrounding space ignored.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if k, err := hex.DecodeString(s); err == nil && len(k) == KeySize {
		return k, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == KeySize {
			return k, nil
		}
	}
	return nil, errors.New("a master key is 32 bytes written as 64 hex digits or base64")
}

// FormatKey writes a key as 64 hex digits.
func FormatKey(k []byte) string { return hex.EncodeToString(k) }
