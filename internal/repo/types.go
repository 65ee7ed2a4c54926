package repo

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/arcabackup/arca/internal/arca"
)

// ID names a blob, a pack, an index object or a snapshot: 32 bytes, shown
// as 64 lower-case hex digits. A blob's ID is the keyed BLAKE3 hash of its
// plaintext under the repository's id key, so it reveals nothing about the
// content to someone without the key.
type ID [32]byte

// String returns the ID as 64 hex digits.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// Short returns the first 8 hex digits, for display.
func (id ID) Short() string { return hex.EncodeToString(id[:4]) }

// IsZero reports whether id is the zero ID (never a valid hash in practice).
func (id ID) IsZero() bool { return id == ID{} }

// MarshalText encodes the ID as hex (also used by encoding/json).
func (id ID) MarshalText() ([]byte, error) {
	b := make([]byte, 64)
	hex.Encode(b, id[:])
	return b, nil
}

// UnmarshalText decodes 64 hex digits.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// ParseID parses 64 hex digits.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 64 {
		return id, fmt.Errorf("parse id %q: want 64 hex digits, got %d characters", s, len(s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("parse id %q: %w", s, err)
	}
	return id, nil
}

// BlobType is the kind of a content blob. The type is part of a blob's
// identity in the index: the same bytes saved as a data blob and as a tree
// blob are two entries.
type BlobType uint8

// The blob types. Values are part of the on-disk format.
const (
	DataBlob BlobType = 1 // a chunk of file content
	TreeBlob BlobType = 2 // a serialized directory (tree) object
)

// String returns "data" or "tree".
func (t BlobType) String() string {
	switch t {
	case DataBlob:
		return "data"
	case TreeBlob:
		return "tree"
	default:
		return fmt.Sprintf("blobtype(%d)", uint8(t))
	}
}

// Valid reports whether t is a known blob type.
func (t BlobType) Valid() bool { return t == DataBlob || t == TreeBlob }

// Errors callers can branch on with errors.Is. The user-facing ones are
// *arca.Error values, so errors.Is(err, arca.ErrUnauthenticated) also
// matches ErrWrongPassword.
var (
	// ErrWrongPassword: no key file of the repository opens with the password.
	ErrWrongPassword = arca.Errorf(arca.CodeUnauthenticated, "The repository password is wrong: no key of the repository opens with it.")
	// ErrNotARepository: the store holds no repository config.
	ErrNotARepository = arca.Errorf(arca.CodeNotFound, "No repository is at this location (its config object is missing).")
	// ErrRepositoryExists: Init was asked to write into a non-empty store.
	ErrRepositoryExists = arca.Errorf(arca.CodeAlreadyExists, "The location is not empty: a repository (or other data) is already there.")
	// ErrSnapshotNotFound: no snapshot matches the id, prefix or "latest".
	ErrSnapshotNotFound = arca.Errorf(arca.CodeNotFound, "No such snapshot.")
	// ErrAmbiguousSnapshot: a snapshot id prefix matches more than one snapshot.
	ErrAmbiguousSnapshot = arca.Errorf(arca.CodeInvalidArgument, "The snapshot id prefix matches more than one snapshot; give more digits.")
	// ErrKeyNotFound: no key file with that id.
	ErrKeyNotFound = arca.Errorf(arca.CodeNotFound, "No such repository key.")
	// ErrLastKey: removing the key would leave the repository with no key.
	ErrLastKey = arca.Errorf(arca.CodeNotAllowedInState, "This is the repository's only key; add another before removing it.")
	// ErrBlobNotFound: the index has no entry for the blob.
	ErrBlobNotFound = errors.New("blob not found in the index")
	// ErrIntegrity: stored data failed authentication or its hash does not
	// match its id. Data is damaged or was tampered with; it is never
	// returned.
	ErrIntegrity = errors.New("integrity check failed (damaged or tampered data)")
	// ErrUnsupportedVersion: the repository or an object was written by a
	// newer format version.
	ErrUnsupportedVersion = errors.New("unsupported repository format version")
)

// ChunkerParams are the content-defined chunking sizes in bytes.
type ChunkerParams struct {
	Min int `json:"min"`
	Avg int `json:"avg"` // a power of two
	Max int `json:"max"`
}

// KDFParams are the Argon2id parameters of a key file.
type KDFParams struct {
	Time    uint32 `json:"time"`    // iterations
	Memory  uint32 `json:"memory"`  // KiB
	Threads uint8  `json:"threads"` // parallelism
}

// Compression levels: a repository setting recorded in its config.
const (
	CompressionOff     = -1 // store blobs uncompressed
	CompressionDefault = 0  // the format's default (CompressionFast)
	CompressionFast    = 1  // zstd "SpeedFastest"
	CompressionBetter  = 2  // zstd "SpeedDefault"
	CompressionBest    = 3  // zstd "SpeedBetterCompression"
)

// InitOptions configure a new repository. Zero values mean the defaults
// documented in docs/repository-format.md.
type InitOptions struct {
	Chunker     ChunkerParams
	Compression int       // one of the Compression* constants
	KDF         KDFParams // for the first key file
	Hostname    string    // recorded in the key file, for `key list`
	Username    string
	Open        OpenOptions // how the returned Repository writes
	Now         func() time.Time
}

// OpenOptions tune a Repository's writing and memory use; they are not part
// of the format.
type OpenOptions struct {
	// PackSize is the target size of a pack file in bytes (default 4 MiB).
	PackSize int
	// Packers is how many packs are filled in parallel (default GOMAXPROCS).
	Packers int
	// Uploads bounds the packs being uploaded at once (default the
	// store's Connections(), at most 4). Writer memory is about
	// (Packers + Uploads) × (PackSize + 1 MiB).
	Uploads int
	// IndexCacheDir, when set, spills the index's sorted segments to files
	// in this directory instead of keeping them in memory.
	IndexCacheDir string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// KeyOpened, if set, is called by Open once the password opened a key,
	// before the index loads: a caller starts there work that must not
	// compete with the key derivation for the CPU.
	KeyOpened func()
}

// Config is the repository's config object (stored encrypted as "config").
type Config struct {
	Version     int           `json:"version"`
	ID          ID            `json:"id"` // random repository id
	Created     time.Time     `json:"created"`
	Chunker     ChunkerParams `json:"chunker"`
	Compression int           `json:"compression"`
}

// Chunker splits a stream into content-defined chunks with the
// repository's keyed parameters. Next returns the next chunk, which stays
// valid only until the next call to Next or Reset; after the last chunk it
// returns (nil, io.EOF). An empty stream yields no chunk. Reset starts on a
// new stream and reuses the chunker's buffer (2×Max bytes), so a worker
// should keep one Chunker and Reset it per file. Not safe for concurrent use.
type Chunker interface {
	Next() ([]byte, error)
	Reset(rd io.Reader)
}

// PackedBlob says where a blob is stored.
type PackedBlob struct {
	Type      BlobType
	ID        ID
	Pack      ID
	Offset    uint32 // of the encrypted blob in the pack
	Length    uint32 // encrypted length in the pack
	RawLength uint32 // plaintext length
	// Compressed: the stored plaintext is zstd-compressed.
	Compressed bool
}

// Snapshot is the immutable record of one backup, stored encrypted as
// "snapshots/<id>". Its ID is the keyed hash of its JSON encoding.
type Snapshot struct {
	Time     time.Time `json:"time"`
	Hostname string    `json:"hostname,omitempty"`
	Username string    `json:"username,omitempty"`
	Paths    []string  `json:"paths,omitempty"`
	Tree     ID        `json:"tree"`             // root tree blob
	Parent   *ID       `json:"parent,omitempty"` // snapshot used for change detection
	Tags     []string  `json:"tags,omitempty"`
	Excludes []string  `json:"excludes,omitempty"`
	// Source names what was backed up (the catalog's source id, or a
	// free-form label such as "fs:/srv" for offline backups).
	Source     string `json:"source,omitempty"`
	SourceKind string `json:"source_kind,omitempty"`
	CopyOnly   bool   `json:"copy_only,omitempty"`
	// ContentDigest is an optional digest of the backed-up content as a
	// whole, in "ALGO:hex" form (for example "SHA-512:…").
	ContentDigest  string            `json:"content_digest,omitempty"`
	ProgramVersion string            `json:"program_version,omitempty"`
	Stats          SnapshotStats     `json:"stats"`
	Labels         map[string]string `json:"labels,omitempty"`
}

// SnapshotStats summarise a backup.
type SnapshotStats struct {
	Files           uint64    `json:"files"`
	Dirs            uint64    `json:"dirs"`
	Others          uint64    `json:"others,omitempty"` // symlinks, devices, fifos, sockets
	FilesNew        uint64    `json:"files_new"`
	FilesChanged    uint64    `json:"files_changed"`
	FilesUnmodified uint64    `json:"files_unmodified"`
	TotalBytes      uint64    `json:"total_bytes"` // size of all files
	BytesRead       uint64    `json:"bytes_read"`  // read from the source
	DataBlobsAdded  uint64    `json:"data_blobs_added"`
	TreeBlobsAdded  uint64    `json:"tree_blobs_added"`
	BytesAdded      uint64    `json:"bytes_added"`  // plaintext of new blobs
	BytesStored     uint64    `json:"bytes_stored"` // after compression and encryption
	Warnings        uint64    `json:"warnings,omitempty"`
	Started         time.Time `json:"started"`
	Finished        time.Time `json:"finished"`
}

// KeyInfo describes one key file.
type KeyInfo struct {
	ID       string    `json:"id"`
	Created  time.Time `json:"created"`
	Hostname string    `json:"hostname,omitempty"`
	Username string    `json:"username,omitempty"`
	KDF      KDFParams `json:"kdf"`
	Current  bool      `json:"current"` // the key this Repository was opened with
}

// KeyOptions describe a new key file.
type KeyOptions struct {
	KDF      KDFParams
	Hostname string
	Username string
}

// SaveStats are running totals of what a Repository wrote.
type SaveStats struct {
	DataBlobs   uint64 // new data blobs
	TreeBlobs   uint64 // new tree blobs
	BytesAdded  uint64 // plaintext bytes of new blobs
	BytesStored uint64 // bytes written to packs (after compression and encryption)
	Packs       uint64 // packs uploaded
}
