package seal

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealOpen(t *testing.T) {
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(k)
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("hunter2-the-repository-password")
	s1, err := b.Seal("repository:1", plain)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := b.Seal("repository:1", plain)
	if bytes.Equal(s1, s2) {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	if bytes.Contains(s1, plain) {
		t.Error("the sealed value contains the plaintext")
	}
	got, err := b.Open("repository:1", s1)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := NewKey()
	ob, _ := New(other)
	damaged := append([]byte(nil), s1...)
	damaged[len(damaged)-1] ^= 1
	for name, f := range map[string]func() ([]byte, error){
		"other context": func() ([]byte, error) { return b.Open("repository:2", s1) },
		"other key":     func() ([]byte, error) { return ob.Open("repository:1", s1) },
		"damaged":       func() ([]byte, error) { return b.Open("repository:1", damaged) },
		"short":         func() ([]byte, error) { return b.Open("repository:1", s1[:5]) },
		"empty":         func() ([]byte, error) { return b.Open("repository:1", nil) },
	} {
		if _, err := f(); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: err = %v, want ErrOpen", name, err)
		}
	}
}

func TestParseKey(t *testing.T) {
	k, _ := NewKey()
	for _, s := range []string{FormatKey(k), " " + FormatKey(k) + "\n"} {
		got, err := ParseKey(s)
		if err != nil || !bytes.Equal(got, k) {
			t.Errorf("ParseKey(%q) = %x, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "abc", FormatKey(k)[:62]} {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) succeeded", s)
		}
	}
	if _, err := New(k[:16]); err == nil {
		t.Error("New accepted a 16-byte key")
	}
}
