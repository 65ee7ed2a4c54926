package repo

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestSampleEntropySeparatesRandomFromStructuredData(t *testing.T) {
	rnd := make([]byte, 1<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range rnd {
		rnd[i] = byte(r.Uint32())
	}
	text := bytes.Repeat([]byte("2026-11-23T09:00:00Z level=info msg=\"pack written\" size=16777216\n"), 1<<14)
	// Random bytes in the middle only: the sample windows at both ends see
	// zeros, so the data is not taken for incompressible.
	mixed := make([]byte, 1<<20)
	copy(mixed[300<<10:], rnd[:300<<10])
	for _, c := range []struct {
		name string
		data []byte
		high bool
	}{
		{"random 1 MiB", rnd, true},
		{"random 4 KiB", rnd[:4096], true},
		{"log text", text, false},
		{"zeros", make([]byte, 1<<20), false},
		{"random in the middle", mixed, false},
	} {
		if got := sampleEntropy(c.data) >= maxSampleEntropy; got != c.high {
			t.Errorf("%s: entropy %.3f ≥ %.1f = %v, want %v", c.name, sampleEntropy(c.data), maxSampleEntropy, got, c.high)
		}
	}
}

func TestCompressSkipsHighEntropyAndKeepsWhatPays(t *testing.T) {
	c, err := newCompressor(CompressionDefault)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	rnd := make([]byte, 200<<10)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range rnd {
		rnd[i] = byte(r.Uint32())
	}
	if _, ok := c.compress(nil, rnd); ok {
		t.Error("random data was compressed")
	}
	text := bytes.Repeat([]byte("level=info msg=\"backup done\" files=12 bytes=4096\n"), 4000)
	out, ok := c.compress(nil, text)
	if !ok || len(out) >= len(text)/2 {
		t.Errorf("text: ok = %v, %d of %d bytes", ok, len(out), len(text))
	}
}

// A blob whose sample windows look like text but whose bulk is random
// skips the probe and is compressed whole, and the ratio check then still
// stores it raw.
func TestCompressLowEntropySampleOverRandomBulkStaysRaw(t *testing.T) {
	c, err := newCompressor(CompressionDefault)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	p := make([]byte, 1<<20)
	r := rand.New(rand.NewPCG(5, 6))
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	step := (len(p) - sampleSize) / (sampleWindows - 1)
	text := bytes.Repeat([]byte("GET /healthz 200\n"), sampleSize/17+1)
	for w := 0; w < sampleWindows; w++ {
		copy(p[w*step:w*step+sampleSize], text)
	}
	if e := sampleEntropy(p); e >= minProbeEntropy {
		t.Fatalf("fixture: sample entropy %.2f, want below %.1f", e, minProbeEntropy)
	}
	if out, ok := c.compress(nil, p); ok {
		t.Errorf("mostly random blob compressed to %d of %d bytes and kept", len(out), len(p))
	}
}
