// Package sourcetest is test support for source drivers: an in-memory Sink
// and Reader, so that a driver's tests run the real tool against the real
// server and check what reached the Sink, then restore from it; a look at
// the test's child processes (/proc); and Run, the conformance checks every
// driver passes.
package sourcetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
)

// Sink is a source.Sink that keeps every stream in memory.
type Sink struct {
	// Gate, when not nil, is called once per stream after its first bytes
	// arrived, before the rest is read: a test looks at the running backup
	// there (its child is blocked writing). An error fails the stream.
	Gate func(ctx context.Context, name string) error

	mu      sync.Mutex
	streams []Stream
	expect  int64
}

var _ source.Sink = (*Sink)(nil)

// Stream is one stream a Sink received.
type Stream struct {
	Name   string
	blocks [][]byte
}

// NewStream returns a stream of data.
func NewStream(name string, data []byte) Stream {
	return Stream{Name: name, blocks: [][]byte{data}}
}

// Data returns the stream's content (a copy when it came in pieces).
func (st Stream) Data() []byte {
	if len(st.blocks) == 1 {
		return st.blocks[0]
	}
	return bytes.Join(st.blocks, nil)
}

// Len returns the stream's size.
func (st Stream) Len() int64 {
	var n int64
	for _, b := range st.blocks {
		n += int64(len(b))
	}
	return n
}

func (st Stream) reader() io.Reader {
	rs := make([]io.Reader, len(st.blocks))
	for i, b := range st.blocks {
		rs[i] = bytes.NewReader(b)
	}
	return io.MultiReader(rs...)
}

// Files is not supported: database and command drivers produce streams.
func (s *Sink) Files(ctx context.Context, paths []string, opts source.FileOptions) error {
	return errors.New("sourcetest.Sink keeps streams only")
}

// Stream reads r to EOF and keeps it under name, refusing names that are
// empty, hold "/" or were used before in the backup.
func (s *Sink) Stream(ctx context.Context, name string, r io.Reader) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return fmt.Errorf("bad stream name %q", name)
	}
	s.mu.Lock()
	for _, st := range s.streams {
		if st.Name == name {
			s.mu.Unlock()
			return fmt.Errorf("stream %q twice", name)
		}
	}
	s.mu.Unlock()
	var blocks [][]byte
	block := make([]byte, blockSize)
	n, err := io.ReadAtLeast(r, block, 1)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	blocks = append(blocks, block[:n])
	if s.Gate != nil && n > 0 {
		if err := s.Gate(ctx, name); err != nil {
			return err
		}
	}
	for err == nil {
		if err = ctx.Err(); err != nil {
			return err
		}
		block = make([]byte, blockSize)
		n, err = io.ReadFull(r, block)
		blocks = append(blocks, block[:n])
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streams = append(s.streams, Stream{Name: name, blocks: blocks})
	return nil
}

// blockSize is what Stream reads at once: a fixed size, rather than a
// buffer that grows by copying, keeps a 100 MB dump cheap to receive.
const blockSize = 4 << 20

// Expect records the announced size.
func (s *Sink) Expect(bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expect = bytes
}

// Expected returns the size last announced with Expect.
func (s *Sink) Expected() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expect
}

// Streams returns the streams received, in order.
func (s *Sink) Streams() []Stream {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Stream(nil), s.streams...)
}

// Names returns the names of the streams received, in order.
func (s *Sink) Names() []string {
	var names []string
	for _, st := range s.Streams() {
		names = append(names, st.Name)
	}
	return names
}

// Data returns the content of stream name, nil if there is none.
func (s *Sink) Data(name string) []byte {
	for _, st := range s.Streams() {
		if st.Name == name {
			return st.Data()
		}
	}
	return nil
}

// Bytes returns the size of all streams.
func (s *Sink) Bytes() int64 {
	var n int64
	for _, st := range s.Streams() {
		n += st.Len()
	}
	return n
}

// Reader returns a source.Reader of what the Sink received, labelled with
// meta, as a snapshot would be.
func (s *Sink) Reader(meta source.Meta) *Reader {
	return &Reader{streams: s.Streams(), labels: meta}
}

// Reader is a source.Reader over streams in memory.
type Reader struct {
	streams []Stream
	labels  map[string]string
}

var _ source.Reader = (*Reader)(nil)

// NewReader returns a Reader of streams labelled with labels.
func NewReader(labels map[string]string, streams ...Stream) *Reader {
	return &Reader{streams: streams, labels: labels}
}

// List returns the streams by name.
func (r *Reader) List(ctx context.Context) ([]source.Entry, error) {
	var es []source.Entry
	for _, st := range r.streams {
		es = append(es, source.Entry{Name: st.Name, Size: st.Len()})
	}
	sort.Slice(es, func(i, j int) bool { return es[i].Name < es[j].Name })
	return es, nil
}

// Open returns the content of stream name.
func (r *Reader) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	for _, st := range r.streams {
		if st.Name == name {
			return io.NopCloser(st.reader()), nil
		}
	}
	return nil, arca.Errorf(arca.CodeNotFound, "The snapshot has no file %q.", name)
}

// Labels returns the labels.
func (r *Reader) Labels() map[string]string { return r.labels }
