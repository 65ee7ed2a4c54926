// Package chunker splits streams into content-defined chunks with keyed
// FastCDC as github.com/PlakarKorp/go-cdc-chunkers defines it (algorithm
// "fastcdc-v1.0.0"): the gear table is derived from a per-repository key,
// so chunk boundaries do not reveal content to someone without the key.
// The cut-point search is this package's own (fastcdc.go), tested to cut
// exactly where the library does.
package chunker

import (
	"errors"
	"fmt"
	"io"
)

// Algorithm is the go-cdc-chunkers algorithm whose cuts format version 1
// uses.
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
	g   *gear
	rd  io.Reader
	buf []byte // twice the largest chunk
	r   int    // buf[r:w] is read and not yet returned
	w   int
	err error // from rd: io.EOF once it is drained
}

// New returns a Chunker reading rd with parameters p and a 32-byte key.
func New(rd io.Reader, p Params, key []byte) (*Chunker, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("chunker key has %d bytes, want 32", len(key))
	}
	g, err := newGear(p, key)
	if err != nil {
		return nil, err
	}
	c := &Chunker{g: g, buf: make([]byte, 2*p.Max)}
	c.Reset(rd)
	return c, nil
}

// Reset starts on a new stream (nil: none, and drops the last one).
func (c *Chunker) Reset(rd io.Reader) {
	c.rd, c.r, c.w, c.err = rd, 0, 0, nil
	if rd == nil {
		c.err = io.EOF
	}
}

// Next returns the next chunk, valid until the next call; (nil, io.EOF)
// after the last one. An empty stream has no chunk.
func (c *Chunker) Next() ([]byte, error) {
	if err := c.fill(); err != nil {
		return nil, fmt.Errorf("chunk: %w", err)
	}
	if c.r == c.w {
		return nil, io.EOF
	}
	n := c.g.cut(c.buf[c.r:c.w])
	b := c.buf[c.r : c.r+n]
	c.r += n
	if c.r == c.w {
		c.r, c.w = 0, 0
	}
	return b, nil
}

// maxEmptyReads bounds the (0, nil) reads tolerated in a row.
const maxEmptyReads = 100

// fill reads until the largest chunk is buffered or the stream ends; it
// returns a read error, not io.EOF.
func (c *Chunker) fill() error {
	for empty := 0; c.w-c.r < c.g.p.Max && c.err == nil; {
		if c.w == len(c.buf) {
			c.w = copy(c.buf, c.buf[c.r:c.w])
			c.r = 0
		}
		n, err := c.rd.Read(c.buf[c.w:])
		c.w += n
		switch {
		case err != nil:
			c.err = err
		case n > 0:
			empty = 0
		default:
			if empty++; empty >= maxEmptyReads {
				c.err = io.ErrNoProgress
			}
		}
	}
	if c.err != nil && !errors.Is(c.err, io.EOF) {
		return c.err
	}
	return nil
}
