// Package blob is the storage contract of a repository: a flat namespace of
// immutable objects ("blobs" of the storage, not to be confused with the
// repository's content blobs) addressed by slash-separated names such as
// "config", "keys/<id>", "data/ab/<id>", "index/<id>", "snapshots/<id>".
// Every Store accepts exactly the names ValidName accepts.
//
// Implementations live in child packages named for their technology (local,
// s3, mem); decorators (retry, limit) take a Store and return a Store; the
// conformance suite blobtest is run against every implementation.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrNotExist is returned (wrapped) when an object does not exist.
var ErrNotExist = errors.New("object does not exist")

// ErrExists is returned (wrapped) by Put when the name is already taken:
// objects are written once and never modified.
var ErrExists = errors.New("object already exists")

// ErrInvalidName is returned (wrapped) for a name that ValidName rejects.
var ErrInvalidName = errors.New("invalid object name")

// ErrPermanent marks (wrapped) a failure that trying again cannot fix, such
// as bad credentials or a missing bucket: decorators do not retry it.
var ErrPermanent = errors.New("permanent storage failure")

// MaxNameLen is the longest name a Store accepts, in bytes.
const MaxNameLen = 900

// ValidName reports whether name is a legal object name, as an error
// wrapping ErrInvalidName. A name is at most MaxNameLen bytes of valid UTF-8
// without control characters or backslashes, made of non-empty
// slash-separated components of at most 255 bytes that do not begin with a
// dot (names beginning with a dot, such as temporary files, are reserved to
// the implementations). Every Store rejects other names.
func ValidName(name string) error {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrInvalidName, name, why) }
	switch {
	case name == "":
		return bad("empty")
	case len(name) > MaxNameLen:
		return bad("too long")
	case !utf8.ValidString(name):
		return bad("not valid UTF-8")
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }):
		return bad("control character or backslash")
	}
	for c := range strings.SplitSeq(name, "/") {
		switch {
		case c == "":
			return bad("empty path component")
		case c[0] == '.':
			return bad("path component begins with a dot")
		case len(c) > 255:
			return bad("path component too long")
		}
	}
	return nil
}

// Info describes one stored object.
type Info struct {
	Name    string
	Size    int64
	ModTime time.Time
}

// Store is a repository's storage. Implementations are safe for concurrent
// use. Context cancellation aborts an operation and its error is returned
// as is (wrapping context.Canceled); decorators never retry it.
type Store interface {
	// Put stores data under name. It returns only once the data is durably
	// written (fsynced, or acknowledged by the object store). It never
	// replaces an existing object: if name exists it returns an error
	// wrapping ErrExists and leaves the stored object untouched. A failed
	// Put leaves no partial object visible under name.
	Put(ctx context.Context, name string, data []byte) error
	// Get returns length bytes of the object from offset; length < 0 means
	// to the end. A missing object → ErrNotExist. The caller closes the
	// reader. Reading past the end returns what there is (io.ErrUnexpectedEOF
	// from a short read is the caller's to detect by length).
	Get(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error)
	// Stat returns the object's Info or ErrNotExist.
	Stat(ctx context.Context, name string) (Info, error)
	// List calls fn for every object whose name starts with prefix, in no
	// particular order. An error from fn stops the listing and is returned.
	List(ctx context.Context, prefix string, fn func(Info) error) error
	// Delete removes an object. Deleting a missing object is not an error.
	Delete(ctx context.Context, name string) error
	// Connections is how many operations the store serves well in parallel.
	Connections() int
	// Location describes the store for humans, without credentials.
	Location() string
}

// Unwrapper is implemented by decorators (retry, limit, ...): Unwrap returns
// the Store they wrap, so a caller can look for an optional capability of
// the store underneath.
type Unwrapper interface {
	Unwrap() Store
}

// As finds a store of type T: s itself, or the first store of that type
// down the chain of Unwrappers, to reach an optional capability of the
// store beneath the decorators.
func As[T any](s Store) (T, bool) {
	for s != nil {
		if t, ok := s.(T); ok {
			return t, true
		}
		u, ok := s.(Unwrapper)
		if !ok {
			break
		}
		s = u.Unwrap()
	}
	var zero T
	return zero, false
}

// ReadAll is a convenience that reads a whole object.
func ReadAll(ctx context.Context, s Store, name string) ([]byte, error) {
	rc, err := s.Get(ctx, name, 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// Deferrer is an optional capability of a Store (look for it with As): it
// writes an object without waiting for it to be durable, and later makes
// every such object durable at once. Objects then share one barrier
// instead of each paying its own (on a local file system, fsyncs issued
// together, which the file system commits in one journal transaction).
// Decorators implement it by passing it down, or by Put when the store
// beneath has no Deferrer.
type Deferrer interface {
	// PutDeferred is Put, except that the object is durable only once a
	// later Sync has returned nil: a crash before that may lose the object
	// or leave it with wrong content. Use it only for objects that nothing
	// names until that Sync (a pack until an index object lists it).
	PutDeferred(ctx context.Context, name string, data []byte) error
	// Sync makes durable every object that PutDeferred stored before Sync
	// was called, by any goroutine. After an error, objects may have been
	// lost: the store keeps failing Sync rather than ever report them
	// durable.
	Sync(ctx context.Context) error
}

// PutDeferred stores data with s's PutDeferred if s is a Deferrer, and
// with Put otherwise (for decorators passing the capability down).
func PutDeferred(ctx context.Context, s Store, name string, data []byte) error {
	if d, ok := s.(Deferrer); ok {
		return d.PutDeferred(ctx, name, data)
	}
	return s.Put(ctx, name, data)
}

// Sync calls s's Sync if s is a Deferrer; a store without one has nothing
// to sync (its Put is durable).
func Sync(ctx context.Context, s Store) error {
	if d, ok := s.(Deferrer); ok {
		return d.Sync(ctx)
	}
	return nil
}

// DirMaker is an optional capability of a store with real directories
// (look for it with As): MakeDirs creates ahead of use the directories that
// objects named with the given prefixes ("data/00/", ...) go to, so writers
// do not create them one at a time later.
type DirMaker interface {
	MakeDirs(ctx context.Context, prefixes []string) error
}
