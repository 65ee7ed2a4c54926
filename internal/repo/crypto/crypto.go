// Package crypto holds the repository's cryptography: master keys, blob-id
// hashing (keyed BLAKE3), authenticated encryption (AES-256-GCM under
// per-sealer derived subkeys with counter nonces) and password-wrapped key
// files (Argon2id). It is pure code without I/O; docs/repository-format.md
// explains every choice.
package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/zeebo/blake3"
)

// ErrAuth is returned when a ciphertext does not authenticate: wrong key,
// damaged or tampered data.
var ErrAuth = errors.New("ciphertext authentication failed")

// KeySize is the size of every key.
const KeySize = 32

const (
	saltSize  = 16
	ctrSize   = 8
	tagSize   = 16
	nonceSize = 12
	// Overhead is what Seal adds to a plaintext: salt, counter and tag.
	Overhead = saltSize + ctrSize + tagSize
	// rotateAfter bounds the messages sealed under one derived subkey; the
	// counter nonce never repeats within a subkey anyway, this only keeps
	// per-subkey data volumes far below GCM's limits.
	rotateAfter = 1 << 24
	subkeyLabel = "arca v1 aes-256-gcm subkey"
)

// MasterKeys are a repository's secrets: three independent random keys.
type MasterKeys struct {
	Encrypt [KeySize]byte // authenticated encryption of blobs and objects
	ID      [KeySize]byte // keyed BLAKE3 for blob ids
	Chunker [KeySize]byte // keys the chunker's gear table
}

// NewMasterKeys returns fresh random keys.
func NewMasterKeys() (*MasterKeys, error) {
	var k MasterKeys
	for _, b := range [][]byte{k.Encrypt[:], k.ID[:], k.Chunker[:]} {
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("generate master key: %w", err)
		}
	}
	return &k, nil
}

// Hasher computes blob ids: keyed BLAKE3-256 of the plaintext. It is safe
// for concurrent use and allocation-free after warm-up.
type Hasher struct {
	pool sync.Pool // *blake3.Hasher, keyed
}

// NewHasher returns a Hasher for key.
func NewHasher(key [KeySize]byte) *Hasher {
	h := &Hasher{}
	h.pool.New = func() any {
		b, err := blake3.NewKeyed(key[:])
		if err != nil {
			panic(err) // only for a key of the wrong size, which the type rules out
		}
		return b
	}
	return h
}

// Sum returns the keyed hash of data.
func (h *Hasher) Sum(data []byte) (sum [32]byte) {
	b := h.pool.Get().(*blake3.Hasher)
	b.Reset()
	_, _ = b.Write(data)
	b.Sum(sum[:0])
	h.pool.Put(b)
	return sum
}

func deriveSubkey(key *[KeySize]byte, salt []byte) (cipher.AEAD, error) {
	h, err := blake3.NewKeyed(key[:])
	if err != nil {
		return nil, err
	}
	_, _ = h.WriteString(subkeyLabel)
	_, _ = h.Write(salt)
	var sub [KeySize]byte
	h.Sum(sub[:0])
	block, err := aes.NewCipher(sub[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Sealer encrypts messages under one master encryption key. Each Sealer
// draws a random 128-bit salt, derives an AES-256-GCM subkey from it and
// numbers its messages with a counter, so nonces never repeat without any
// coordination between Sealers, goroutines or processes. A Sealer is not
// safe for concurrent use: give each worker its own.
type Sealer struct {
	key  *[KeySize]byte
	aead cipher.AEAD
	salt [saltSize]byte
	ctr  uint64
}

// NewSealer returns a Sealer for key.
func NewSealer(key *[KeySize]byte) *Sealer { return &Sealer{key: key} }

func (s *Sealer) rotate() error {
	if _, err := rand.Read(s.salt[:]); err != nil {
		return fmt.Errorf("draw subkey salt: %w", err)
	}
	aead, err := deriveSubkey(s.key, s.salt[:])
	if err != nil {
		return fmt.Errorf("derive subkey: %w", err)
	}
	s.aead, s.ctr = aead, 0
	return nil
}

// Seal appends salt ‖ counter ‖ ciphertext ‖ tag of plaintext, bound to
// the additional data ad, to dst and returns the result. dst and plaintext
// must not overlap.
func (s *Sealer) Seal(dst, plaintext, ad []byte) ([]byte, error) {
	if s.aead == nil || s.ctr >= rotateAfter {
		if err := s.rotate(); err != nil {
			return nil, err
		}
	}
	s.ctr++
	var nonce [nonceSize]byte
	binary.BigEndian.PutUint64(nonce[:ctrSize], s.ctr)
	dst = append(dst, s.salt[:]...)
	dst = append(dst, nonce[:ctrSize]...)
	return s.aead.Seal(dst, nonce[:], plaintext, ad), nil
}

// Opener decrypts what Sealers of the same key produced. It caches derived
// subkeys; it is safe for concurrent use.
type Opener struct {
	key   *[KeySize]byte
	mu    sync.RWMutex
	cache map[[saltSize]byte]cipher.AEAD
}

// maxCachedSubkeys bounds the Opener's cache (~1 KiB each).
const maxCachedSubkeys = 4096

// NewOpener returns an Opener for key.
func NewOpener(key *[KeySize]byte) *Opener {
	return &Opener{key: key, cache: make(map[[saltSize]byte]cipher.AEAD)}
}

func (o *Opener) aead(salt [saltSize]byte) (cipher.AEAD, error) {
	o.mu.RLock()
	a, ok := o.cache[salt]
	o.mu.RUnlock()
	if ok {
		return a, nil
	}
	a, err := deriveSubkey(o.key, salt[:])
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	if len(o.cache) >= maxCachedSubkeys {
		clear(o.cache)
	}
	o.cache[salt] = a
	o.mu.Unlock()
	return a, nil
}

// Open authenticates and decrypts sealed (as produced by Seal with the
// same ad), appends the plaintext to dst and returns it. Any damage is
// ErrAuth.
func (o *Opener) Open(dst, sealed, ad []byte) ([]byte, error) {
	if len(sealed) < Overhead {
		return nil, ErrAuth
	}
	var salt [saltSize]byte
	copy(salt[:], sealed[:saltSize])
	a, err := o.aead(salt)
	if err != nil {
		return nil, err
	}
	var nonce [nonceSize]byte
	copy(nonce[:ctrSize], sealed[saltSize:saltSize+ctrSize])
	out, err := a.Open(dst, nonce[:], sealed[saltSize+ctrSize:], ad)
	if err != nil {
		return nil, ErrAuth
	}
	return out, nil
}
