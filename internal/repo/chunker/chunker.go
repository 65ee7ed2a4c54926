// Package chunker splits streams into content-defined chunks with keyed
// FastCDC (github.com/PlakarKorp/go-cdc-chunkers, algorithm
// "fastcdc-v1.0.0"): the gear table is derived from a per-repository key,
// so chunk boundaries do not reveal content to someone without the key.
package chunker

import (
	"errors"
	"fmt"
	"io"

	cdc "github.com/PlakarKorp/go-cdc-chunkers"
	_ "github.com/PlakarKorp/go-cdc-chunkers/chunkers/fastcdc" // registers the fastcdc algorithms
)

// Algorithm is the go-cdc-chunkers algorithm name used by format version 1.
const Algorithm = "fastcdc-v1.0.0"

// Params are chunk sizes in bytes. Avg must be a power of two and
// Min < Avg < Max.
type Params struct {
	Min, Avg, Max int
}

// DefaultParams are the sizes a new repository gets (see
// docs/repository-format.md §5; repositories made before 2026-11-23 have a
// 256 KiB minimum, kept in their config).
var DefaultParams = Params{Min: 512 << 10, Avg: 1 << 20, Max: 4 << 20}

// Validate checks p.
func (p Params) Validate() error {
	if p.Avg < 1024 || p.Avg&(p.Avg-1) != 0 {
		return fmt.Errorf("chunker avg size %d: want a power of two >= 1024", p.Avg)
	}
	if p.Min < 64 || p.Min >= p.Avg || p.Max <= p.Avg || p.Max > 64<<20 {
		return fmt.Errorf("chunker sizes min %d avg %d max %d: want 64 <= min < avg < max <= 64 MiB", p.Min, p.Avg, p.Max)
	}
	return nil
}

// Chunker yields the chunks of one stream at a time; Reset moves it to the
// next stream and keeps its buffer.
type Chunker struct {
	c    *cdc.Chunker
	done bool
}

// New returns a Chunker reading rd with parameters p and a 32-byte key.
func New(rd io.Reader, p Params, key []byte) (*Chunker, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("chunker key has %d bytes, want 32", len(key))
	}
	opts := &cdc.ChunkerOpts{MinSize: p.Min, NormalSize: p.Avg, MaxSize: p.Max, Key: append([]byte(nil), key...)}
	c, err := cdc.NewChunker(Algorithm, rd, opts)
	if err != nil {
		return nil, fmt.Errorf("new chunker: %w", err)
	}
	return &Chunker{c: c}, nil
}

// Reset starts on a new stream.
func (c *Chunker) Reset(rd io.Reader) {
	c.c.Reset(rd)
	c.done = false
}

// Next returns the next chunk, valid until the next call; (nil, io.EOF)
// after the last one. An empty stream has no chunk.
func (c *Chunker) Next() ([]byte, error) {
	if c.done {
		return nil, io.EOF
	}
	b, err := c.c.Next()
	if errors.Is(err, io.EOF) {
		c.done = true
		if len(b) == 0 {
			return nil, io.EOF
		}
		return b, nil
	}
	if err != nil {
		return nil, fmt.Errorf("chunk: %w", err)
	}
	return b, nil
}
