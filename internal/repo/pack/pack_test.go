package pack

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func sampleEntries() []Entry {
	return []Entry{
		{Type: 1, Flags: FlagCompressed, ID: [32]byte{1}, Offset: 0, Length: 100, RawLength: 300},
		{Type: 2, ID: [32]byte{2}, Offset: 100, Length: 50, RawLength: 10},
		{Type: 1, ID: [32]byte{3}, Offset: 150, Length: 7, RawLength: 0},
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	want := sampleEntries()
	b := AppendHeader(nil, want)
	got, err := DecodeHeader(b, 157)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded header (-want +got):\n%s", diff)
	}
}

func TestDecodeHeaderRejects(t *testing.T) {
	good := AppendHeader(nil, sampleEntries())
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := map[string]struct {
		b       []byte
		dataLen int64
	}{
		"empty":            {nil, 157},
		"bad version":      {mutate(func(b []byte) []byte { b[0] = 9; return b }), 157},
		"count too high":   {mutate(func(b []byte) []byte { b[1] = 4; return b }), 157},
		"truncated":        {good[:len(good)-1], 157},
		"bad type":         {mutate(func(b []byte) []byte { b[5] = 3; return b }), 157},
		"unknown flag":     {mutate(func(b []byte) []byte { b[6] = 4; return b }), 157},
		"data too short":   {good, 156},
		"data too long":    {good, 158},
		"zero length blob": {mutate(func(b []byte) []byte { b[5+6], b[5+7] = 0, 0; return b }), 57},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeHeader(c.b, c.dataLen); !errors.Is(err, ErrFormat) {
				t.Errorf("DecodeHeader = %v, want ErrFormat", err)
			}
		})
	}
}

func TestTrailer(t *testing.T) {
	tr := AppendTrailer(nil, 300)
	if n, err := ParseTrailer(tr, 1000); err != nil || n != 300 {
		t.Errorf("ParseTrailer = %d, %v; want 300, nil", n, err)
	}
	for _, packLen := range []int64{3, 303} {
		if _, err := ParseTrailer(tr, packLen); !errors.Is(err, ErrFormat) {
			t.Errorf("ParseTrailer(len %d) = %v, want ErrFormat", packLen, err)
		}
	}
}

func FuzzDecodeHeader(f *testing.F) {
	f.Add(AppendHeader(nil, sampleEntries()), int64(157))
	f.Add(AppendHeader(nil, nil), int64(0))
	f.Add([]byte{1, 255, 255, 255, 255}, int64(1<<30))
	f.Fuzz(func(t *testing.T, b []byte, dataLen int64) {
		entries, err := DecodeHeader(b, dataLen)
		if err != nil {
			return
		}
		again, err := DecodeHeader(AppendHeader(nil, entries), dataLen)
		if err != nil {
			t.Fatalf("re-encoded header does not decode: %v", err)
		}
		if diff := cmp.Diff(entries, again); diff != "" {
			t.Errorf("re-encode round trip (-first +second):\n%s", diff)
		}
	})
}
