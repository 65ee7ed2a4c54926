package repo

import (
	"fmt"
	"math"
	"runtime"

	"github.com/klauspost/compress/zstd"
)

// Compression pays only when it saves at least 3% (compressMaxRatio).
// Before any zstd work, blobs of at least sampleMin bytes are sampled
// (sampleWindows windows of sampleSize bytes spread over the blob) and a
// byte histogram gives their order-0 entropy: at or above
// maxSampleEntropy bits per byte the data is taken for incompressible
// (media, archives, encrypted files) at the cost of a histogram, not of
// compression. Otherwise blobs above probeMin whose sample is not clearly
// compressible (minProbeEntropy) are probed with zstd on their first
// probeSize bytes, and only then compressed whole. See
// docs/repository-format.md.
const (
	compressMaxPercent = 97
	probeMin           = 128 << 10
	probeSize          = 32 << 10
	sampleMin          = 4 << 10
	sampleSize         = 4 << 10
	sampleWindows      = 3
	// Random bytes measure ~7.99 bits over 12 KiB (~7.95 over 4 KiB); zstd's
	// entropy coding cannot win 3% on data above 7.9 bits, only its
	// matches could, and data with long repeats has a lower histogram
	// entropy at one of the windows unless it repeats a random block of
	// more than a window, which chunking deduplicates anyway.
	maxSampleEntropy = 7.9
	// Below minProbeEntropy bits per byte the probe is skipped: entropy
	// coding alone then wins more than 3% (text samples at 4.5–5.5 bits),
	// so the probe could only repeat work on its first 32 KiB.
	minProbeEntropy = 7.0
)

type compressor struct {
	enc *zstd.Encoder // nil when compression is off
	dec *zstd.Decoder
}

func zstdLevel(level int) (zstd.EncoderLevel, bool) {
	switch level {
	case CompressionOff:
		return 0, false
	case CompressionDefault, CompressionFast:
		return zstd.SpeedFastest, true
	case CompressionBetter:
		return zstd.SpeedDefault, true
	case CompressionBest:
		return zstd.SpeedBetterCompression, true
	}
	return 0, false
}

func validCompression(level int) error {
	if level < CompressionOff || level > CompressionBest {
		return fmt.Errorf("compression level %d: want %d..%d", level, CompressionOff, CompressionBest)
	}
	return nil
}

func newCompressor(level int) (*compressor, error) {
	c := &compressor{}
	if l, ok := zstdLevel(level); ok {
		// WithLowerEncoderMem sizes each encoder's history to the blob
		// instead of the window: the same bytes out, 5–8% faster here on
		// the benchmark's text (less memory touched per EncodeAll).
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(l), zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)),
			zstd.WithEncoderCRC(false), zstd.WithWindowSize(1<<20), zstd.WithZeroFrames(true), zstd.WithLowerEncoderMem(true))
		if err != nil {
			return nil, fmt.Errorf("zstd encoder: %w", err)
		}
		c.enc = enc
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(runtime.GOMAXPROCS(0)), zstd.WithDecoderMaxMemory(1<<29))
	if err != nil {
		return nil, fmt.Errorf("zstd decoder: %w", err)
	}
	c.dec = dec
	return c, nil
}

func (c *compressor) close() {
	if c.enc != nil {
		_ = c.enc.Close()
	}
	c.dec.Close()
}

// compress compresses p into scratch (reused, grown as needed) and
// reports whether the result pays. The returned slice is the scratch
// buffer to keep for the next call; when ok it holds the compressed blob.
func (c *compressor) compress(scratch, p []byte) (out []byte, ok bool) {
	if c.enc == nil || len(p) < 64 {
		return scratch[:0], false
	}
	entropy := 0.0
	if len(p) >= sampleMin {
		if entropy = sampleEntropy(p); entropy >= maxSampleEntropy {
			return scratch[:0], false
		}
	}
	if len(p) >= probeMin && entropy >= minProbeEntropy {
		scratch = c.enc.EncodeAll(p[:probeSize], scratch[:0])
		if len(scratch)*100 > probeSize*compressMaxPercent {
			return scratch[:0], false
		}
	}
	scratch = c.enc.EncodeAll(p, scratch[:0])
	if len(scratch)*100 > len(p)*compressMaxPercent {
		return scratch[:0], false
	}
	return scratch, true
}

// decompress appends the decompression of p to dst, refusing output beyond
// rawLen bytes.
func (c *compressor) decompress(dst, p []byte, rawLen int) ([]byte, error) {
	if cap(dst)-len(dst) < rawLen {
		grown := growBuf(nil, len(dst)+rawLen)[:len(dst)]
		copy(grown, dst)
		dst = grown
	}
	out, err := c.dec.DecodeAll(p, dst)
	if err != nil {
		return nil, err
	}
	if len(out)-len(dst) != rawLen {
		return nil, fmt.Errorf("decompressed to %d bytes, want %d", len(out)-len(dst), rawLen)
	}
	return out, nil
}

// sampleEntropy returns the order-0 (byte histogram) entropy in bits per
// byte of up to sampleWindows windows of sampleSize bytes spread evenly
// over p (all of p when it is shorter than the windows).
func sampleEntropy(p []byte) float64 {
	var hist [256]uint32
	n := 0
	if len(p) <= sampleWindows*sampleSize {
		for _, b := range p {
			hist[b]++
		}
		n = len(p)
	} else {
		step := (len(p) - sampleSize) / (sampleWindows - 1)
		for w := 0; w < sampleWindows; w++ {
			for _, b := range p[w*step : w*step+sampleSize] {
				hist[b]++
			}
		}
		n = sampleWindows * sampleSize
	}
	if n == 0 {
		return 0
	}
	e, total := 0.0, float64(n)
	for _, c := range hist {
		if c != 0 {
			f := float64(c) / total
			e -= f * math.Log2(f)
		}
	}
	return e
}
