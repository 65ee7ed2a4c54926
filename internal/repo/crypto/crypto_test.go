package crypto

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

var fastKDF = KDF{Time: 1, Memory: 64, Threads: 1}

func TestSealOpenRoundTripAndTamper(t *testing.T) {
	mk, err := NewMasterKeys()
	if err != nil {
		t.Fatal(err)
	}
	s, o := NewSealer(&mk.Encrypt), NewOpener(&mk.Encrypt)
	msg := []byte("the quick brown fox")
	ad := []byte("blob id")
	sealed, err := s.Seal(nil, msg, ad)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) != len(msg)+Overhead {
		t.Errorf("sealed %d bytes, want %d", len(sealed), len(msg)+Overhead)
	}
	got, err := o.Open(nil, sealed, ad)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 1
		if _, err := o.Open(nil, bad, ad); !errors.Is(err, ErrAuth) {
			t.Errorf("flipped byte %d: Open = %v, want ErrAuth", i, err)
		}
	}
	if _, err := o.Open(nil, sealed, []byte("other id")); !errors.Is(err, ErrAuth) {
		t.Errorf("wrong ad: %v, want ErrAuth", err)
	}
	other, _ := NewMasterKeys()
	if _, err := NewOpener(&other.Encrypt).Open(nil, sealed, ad); !errors.Is(err, ErrAuth) {
		t.Errorf("wrong key: %v, want ErrAuth", err)
	}
	if _, err := o.Open(nil, sealed[:Overhead-1], ad); !errors.Is(err, ErrAuth) {
		t.Errorf("short input: %v, want ErrAuth", err)
	}
}

func TestSealerNoncesNeverRepeat(t *testing.T) {
	mk, _ := NewMasterKeys()
	s := NewSealer(&mk.Encrypt)
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		sealed, _ := s.Seal(nil, nil, nil)
		n := string(sealed[:saltSize+ctrSize])
		if seen[n] {
			t.Fatalf("salt‖counter repeated at message %d", i)
		}
		seen[n] = true
	}
	s.ctr = rotateAfter
	a, _ := s.Seal(nil, nil, nil)
	if bytes.Equal(a[:saltSize], []byte(firstKey(seen))[:saltSize]) {
		t.Error("the sealer did not draw a new salt after rotateAfter messages")
	}
}

func firstKey(m map[string]bool) string {
	for k := range m {
		return k
	}
	return ""
}

func TestHasherKeyed(t *testing.T) {
	var k1, k2 [KeySize]byte
	k2[0] = 1
	a, b := NewHasher(k1).Sum([]byte("x")), NewHasher(k2).Sum([]byte("x"))
	if a == b {
		t.Error("two keys give the same id")
	}
	if a != NewHasher(k1).Sum([]byte("x")) {
		t.Error("hash not deterministic")
	}
}

func TestKeyFile(t *testing.T) {
	// long enough that it cannot turn up by chance in the key file's encoding
	const pw = "correct-horse-battery-staple-7731"
	mk, _ := NewMasterKeys()
	kf, err := NewKeyFile(mk, pw, fastKDF, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	b, err := kf.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, mk.Encrypt[:]) || bytes.Contains(b, []byte(pw)) {
		t.Fatal("key file contains the key or the password in clear")
	}
	parsed, err := ParseKeyFile(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := parsed.Open(pw)
	if err != nil || *got != *mk {
		t.Fatalf("Open = %v, keys equal %v", err, got != nil && *got == *mk)
	}
	if _, err := parsed.Open("PW"); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("Open(wrong) = %v, want ErrWrongPassword", err)
	}
	parsed.KDF.Memory = 1 << 30
	if _, err := parsed.Open(pw); err == nil || errors.Is(err, ErrWrongPassword) {
		t.Errorf("absurd KDF memory: %v, want a parameter error", err)
	}
}

func FuzzParseKeyFile(f *testing.F) {
	mk, _ := NewMasterKeys()
	kf, _ := NewKeyFile(mk, "pw", fastKDF, time.Unix(0, 0))
	b, _ := kf.Marshal()
	f.Add(b)
	f.Add([]byte(`{"version":1,"kdf":{"algorithm":"argon2id","time":1,"memory":8,"threads":1,"salt":"AAAAAAAAAAAAAAAAAAAAAA=="},"data":""}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		kf, err := ParseKeyFile(b)
		if err != nil {
			return
		}
		if kf.KDF.Memory > 1024 || kf.KDF.Time > 2 {
			return // keep the fuzzer fast; the limits are tested above
		}
		if _, err := kf.Open("pw"); err == nil && !bytes.Equal(b, mustMarshal(t, kf)) {
			// Opening is fine; it must only never panic.
			return
		}
	})
}

func mustMarshal(t *testing.T, kf *KeyFile) []byte {
	b, err := kf.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func BenchmarkSeal1MiB(b *testing.B) {
	mk, _ := NewMasterKeys()
	s := NewSealer(&mk.Encrypt)
	msg := make([]byte, 1<<20)
	dst := make([]byte, 0, len(msg)+Overhead)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		_, _ = s.Seal(dst[:0], msg, []byte("ad"))
	}
}

func BenchmarkXChaCha1MiB(b *testing.B) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	a, _ := chacha20poly1305.NewX(key)
	nonce := make([]byte, a.NonceSize())
	msg := make([]byte, 1<<20)
	dst := make([]byte, 0, len(msg)+a.Overhead())
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		_ = a.Seal(dst[:0], nonce, msg, []byte("ad"))
	}
}

func BenchmarkOpen1MiB(b *testing.B) {
	mk, _ := NewMasterKeys()
	msg := make([]byte, 1<<20)
	sealed, _ := NewSealer(&mk.Encrypt).Seal(nil, msg, nil)
	o := NewOpener(&mk.Encrypt)
	dst := make([]byte, 0, len(msg))
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := o.Open(dst[:0], sealed, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSealSmall(b *testing.B) {
	mk, _ := NewMasterKeys()
	s := NewSealer(&mk.Encrypt)
	msg := make([]byte, 512)
	dst := make([]byte, 0, len(msg)+Overhead)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = s.Seal(dst[:0], msg, nil)
	}
}

func BenchmarkHash1MiB(b *testing.B) {
	h := NewHasher([KeySize]byte{1})
	msg := make([]byte, 1<<20)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		_ = h.Sum(msg)
	}
}

func BenchmarkArgon2idDefault(b *testing.B) {
	mk, _ := NewMasterKeys()
	for b.Loop() {
		if _, err := NewKeyFile(mk, "pw", KDF{}, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkArgon2idRFC9106 is the default before 2026-11-23, for comparison.
func BenchmarkArgon2idRFC9106(b *testing.B) {
	mk, _ := NewMasterKeys()
	for b.Loop() {
		if _, err := NewKeyFile(mk, "pw", RFC9106KDF, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}
