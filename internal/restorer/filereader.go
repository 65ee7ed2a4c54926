package restorer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// FileReader reads the content of one file of a snapshot with random
// access (for HTTP range requests): it loads, verifies and keeps the one
// blob that holds the current offset. Not safe for concurrent use.
type FileReader struct {
	ctx    context.Context
	repo   Repo
	ids    []tree.ID
	starts []int64 // offset of each blob in the file
	size   int64
	off    int64

	cur  int // index of the loaded blob, -1 if none
	data []byte
}

// OpenFile returns a reader of the file node n. Blob sizes come from the
// index; a file whose blobs do not add up to its recorded size is refused.
func (rs *Restorer) OpenFile(ctx context.Context, n *tree.Node) (*FileReader, error) {
	if n.Type != tree.TypeFile {
		return nil, fmt.Errorf("%s is a %v, not a file", n.Name, n.Type)
	}
	f := &FileReader{ctx: ctx, repo: rs.repo, ids: n.Content, starts: make([]int64, len(n.Content)), cur: -1}
	for i, id := range n.Content {
		b, ok := rs.repo.LookupBlob(repo.DataBlob, repo.ID(id))
		if !ok {
			return nil, fmt.Errorf("%s: data blob %s: %w", n.Name, repo.ID(id).Short(), repo.ErrBlobNotFound)
		}
		f.starts[i] = f.size
		f.size += int64(b.RawLength)
	}
	if f.size != int64(n.Size) {
		return nil, fmt.Errorf("%s: blobs hold %d bytes, the file %d: %w", n.Name, f.size, n.Size, repo.ErrIntegrity)
	}
	return f, nil
}

// Size returns the file's size.
func (f *FileReader) Size() int64 { return f.size }

// Read reads from the current offset.
func (f *FileReader) Read(p []byte) (int, error) {
	if f.off >= f.size {
		return 0, io.EOF
	}
	i := sort.Search(len(f.starts), func(i int) bool { return f.starts[i] > f.off }) - 1
	if i != f.cur {
		data, err := f.repo.LoadBlob(f.ctx, repo.DataBlob, repo.ID(f.ids[i]), f.data[:0])
		if err != nil {
			return 0, err
		}
		f.data, f.cur = data, i
	}
	n := copy(p, f.data[f.off-f.starts[i]:])
	f.off += int64(n)
	return n, nil
}

// Seek sets the offset for the next Read.
func (f *FileReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.off
	case io.SeekEnd:
		offset += f.size
	default:
		return f.off, errors.New("seek: bad whence")
	}
	if offset < 0 {
		return f.off, errors.New("seek: negative offset")
	}
	f.off = offset
	return offset, nil
}
