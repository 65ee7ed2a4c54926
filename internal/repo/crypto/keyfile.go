package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/argon2"
)

// ErrWrongPassword is returned by OpenKeyFile when the password does not
// unwrap the master keys.
var ErrWrongPassword = errors.New("wrong password for this key file")

// KDF names the password hashing of a key file.
type KDF struct {
	Algorithm string `json:"algorithm"` // "argon2id"
	Time      uint32 `json:"time"`
	Memory    uint32 `json:"memory"` // KiB
	Threads   uint8  `json:"threads"`
	Salt      []byte `json:"salt"` // 32 random bytes
}

// DefaultKDF is OWASP's first recommended Argon2id setting (46 MiB, one
// pass), in two lanes so that both cores of a small machine share the work:
// the cost to an attacker (memory × passes per guess) is OWASP's; the cost
// to a user is about a quarter of RFC 9106's second recommendation (64 MiB,
// 3 passes, 4 lanes; RFC9106KDF), which key files made before 2026-11-23
// carry and which still open. See docs/repository-format.md §3.2.
var DefaultKDF = KDF{Algorithm: "argon2id", Time: 1, Memory: 46 * 1024, Threads: 2}

// RFC9106KDF is RFC 9106's second recommended setting, the default until
// 2026-11-23; `arca repo init --kdf-time 3 --kdf-memory 65536` chooses it
// (with 2 lanes).
var RFC9106KDF = KDF{Algorithm: "argon2id", Time: 3, Memory: 64 * 1024, Threads: 4}

// KeyFile is a master key wrapped by a password; stored as JSON under
// "keys/<id>".
type KeyFile struct {
	Version  int       `json:"version"`
	Created  time.Time `json:"created"`
	Hostname string    `json:"hostname,omitempty"`
	Username string    `json:"username,omitempty"`
	KDF      KDF       `json:"kdf"`
	// Data is nonce ‖ AES-256-GCM(KEK, master keys) ‖ tag.
	Data []byte `json:"data"`
}

const keyFileAD = "arca key file v1"

// limits that keep a hostile key file from making Open allocate or spin
// without bound.
const (
	maxKDFMemory = 4 << 20 // KiB = 4 GiB
	maxKDFTime   = 64
)

func kek(password string, k KDF) ([]byte, error) {
	if k.Algorithm != "argon2id" {
		return nil, fmt.Errorf("unsupported kdf %q", k.Algorithm)
	}
	if k.Time < 1 || k.Time > maxKDFTime || k.Memory < 8 || k.Memory > maxKDFMemory || k.Threads < 1 || len(k.Salt) < 16 {
		return nil, fmt.Errorf("kdf parameters out of range (time %d, memory %d KiB, threads %d)", k.Time, k.Memory, k.Threads)
	}
	return argon2.IDKey([]byte(password), k.Salt, k.Time, k.Memory, k.Threads, KeySize), nil
}

func kekAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// NewKeyFile wraps mk with password. Zero KDF cost fields take DefaultKDF's.
func NewKeyFile(mk *MasterKeys, password string, k KDF, created time.Time) (*KeyFile, error) {
	if k.Time == 0 {
		k.Time = DefaultKDF.Time
	}
	if k.Memory == 0 {
		k.Memory = DefaultKDF.Memory
	}
	if k.Threads == 0 {
		k.Threads = DefaultKDF.Threads
	}
	k.Algorithm = "argon2id"
	k.Salt = make([]byte, 32)
	if _, err := rand.Read(k.Salt); err != nil {
		return nil, fmt.Errorf("draw kdf salt: %w", err)
	}
	key, err := kek(password, k)
	if err != nil {
		return nil, err
	}
	aead, err := kekAEAD(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("draw nonce: %w", err)
	}
	plain := make([]byte, 0, 3*KeySize)
	plain = append(append(append(plain, mk.Encrypt[:]...), mk.ID[:]...), mk.Chunker[:]...)
	data := aead.Seal(nonce, nonce, plain, []byte(keyFileAD))
	return &KeyFile{Version: 1, Created: created.UTC(), KDF: k, Data: data}, nil
}

// Open unwraps the master keys with password.
func (kf *KeyFile) Open(password string) (*MasterKeys, error) {
	if kf.Version != 1 {
		return nil, fmt.Errorf("key file version %d: unsupported", kf.Version)
	}
	key, err := kek(password, kf.KDF)
	if err != nil {
		return nil, err
	}
	aead, err := kekAEAD(key)
	if err != nil {
		return nil, err
	}
	ns := aead.NonceSize()
	if len(kf.Data) != ns+3*KeySize+aead.Overhead() {
		return nil, fmt.Errorf("key file data has %d bytes, want %d", len(kf.Data), ns+3*KeySize+aead.Overhead())
	}
	plain, err := aead.Open(nil, kf.Data[:ns], kf.Data[ns:], []byte(keyFileAD))
	if err != nil {
		return nil, ErrWrongPassword
	}
	var mk MasterKeys
	copy(mk.Encrypt[:], plain[0:KeySize])
	copy(mk.ID[:], plain[KeySize:2*KeySize])
	copy(mk.Chunker[:], plain[2*KeySize:])
	return &mk, nil
}

// Marshal encodes the key file as JSON.
func (kf *KeyFile) Marshal() ([]byte, error) { return json.MarshalIndent(kf, "", "  ") }

// ParseKeyFile decodes a key file.
func ParseKeyFile(b []byte) (*KeyFile, error) {
	var kf KeyFile
	if err := json.Unmarshal(b, &kf); err != nil {
		return nil, fmt.Errorf("parse key file: %w", err)
	}
	if kf.Version != 1 {
		return nil, fmt.Errorf("parse key file: version %d unsupported", kf.Version)
	}
	return &kf, nil
}
