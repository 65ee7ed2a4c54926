package repo

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/chunker"
	"github.com/arcabackup/arca/internal/repo/crypto"
	"github.com/arcabackup/arca/internal/repo/index"
)

// FormatVersion is the repository format version this package writes.
const FormatVersion = 1

// DefaultPackSize is the default target size of a pack file. 4 MiB with
// up to 4 uploads at once keeps the writer's pack buffers ((Packers +
// Uploads) × 5 MiB, 30 MiB with the defaults on 2 cores) inside a 128 MiB
// backup while the disk gets 4 packs to write and fsync at a time: with
// 2 uploads of 8 MiB, the savers of a first backup spent a quarter of
// their time waiting for a free upload (execution trace: 2.4 s of 9 s).
const DefaultPackSize = 4 << 20

// maxPackSize keeps blob offsets within the index's 32 bits with room for
// one maximal blob past the target.
const maxPackSize = 1 << 30

// defaultMaxUploads caps the default number of packs uploading at once:
// each holds a pack buffer, so writer memory is about
// (Packers + Uploads) × (PackSize + 1 MiB).
const defaultMaxUploads = 4

// Repository is an open repository. It is safe for concurrent use.
type Repository struct {
	store  blob.Store
	cfg    Config
	opts   OpenOptions
	mk     *crypto.MasterKeys
	keyID  string
	hasher *crypto.Hasher
	opener *crypto.Opener
	comp   *compressor
	idx    *index.Index

	packers   chan *packer // idle packers of data blobs
	trees     chan *packer // the idle packer of tree blobs
	uploadSem chan struct{}
	freeBufs  freeList // recycled pack buffers
	scratch   freeList // recycled compression buffers

	mu          sync.Mutex
	cond        *sync.Cond // signalled when an upload ends
	inflight    int
	pending     map[blobKey]struct{} // saved but not yet in the index
	unindexed   []index.PackEntries  // uploaded packs without an index object yet
	nUnindexed  int
	indexObjs   map[ID]struct{} // index objects loaded or written
	err         error           // first upload failure: sticky
	stats       SaveStats
	indexWrites sync.Mutex // serialises index object writes
	lastIndex   time.Time  // last index object write (or open)
	marked      markedPacks
	treePacks   treePackCache // whole tree packs while a backup walks its parent (treecache.go)
}

type blobKey struct {
	t  BlobType
	id ID
}

func (o *OpenOptions) setDefaults(store blob.Store) {
	if o.PackSize <= 0 {
		o.PackSize = DefaultPackSize
	}
	o.PackSize = min(o.PackSize, maxPackSize)
	if o.Packers <= 0 {
		o.Packers = runtime.GOMAXPROCS(0)
	}
	if o.Uploads <= 0 {
		o.Uploads = min(max(store.Connections(), 1), defaultMaxUploads)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

func (p *ChunkerParams) setDefaults() {
	if p.Min == 0 && p.Avg == 0 && p.Max == 0 {
		d := chunker.DefaultParams
		*p = ChunkerParams{Min: d.Min, Avg: d.Avg, Max: d.Max}
	}
}

func (p ChunkerParams) chunker() chunker.Params {
	return chunker.Params{Min: p.Min, Avg: p.Avg, Max: p.Max}
}

// Init creates a repository in an empty store and returns it opened. A
// store that already holds objects is refused with ErrRepositoryExists.
func Init(ctx context.Context, store blob.Store, password string, opts InitOptions) (*Repository, error) {
	if password == "" {
		return nil, arcaInvalid("The repository password must not be empty.")
	}
	opts.Chunker.setDefaults()
	if err := opts.Chunker.chunker().Validate(); err != nil {
		return nil, arcaInvalid(fmt.Sprintf("Invalid chunker sizes: %v.", err))
	}
	if err := validCompression(opts.Compression); err != nil {
		return nil, arcaInvalid(fmt.Sprintf("Invalid compression: %v.", err))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	empty, err := storeEmpty(ctx, store)
	if err != nil {
		return nil, err
	}
	if !empty {
		return nil, ErrRepositoryExists
	}
	mk, err := crypto.NewMasterKeys()
	if err != nil {
		return nil, err
	}
	cfg := Config{Version: FormatVersion, Created: opts.Now().UTC().Truncate(time.Second), Chunker: opts.Chunker, Compression: opts.Compression}
	if _, err := rand.Read(cfg.ID[:]); err != nil {
		return nil, fmt.Errorf("draw repository id: %w", err)
	}
	if err := makePackDirs(ctx, store); err != nil {
		return nil, err
	}
	keyID, err := writeKeyFile(ctx, store, mk, password, KeyOptions{KDF: opts.KDF, Hostname: opts.Hostname, Username: opts.Username}, opts.Now())
	if err != nil {
		return nil, err
	}
	plain, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	data, err := sealObject(&mk.Encrypt, configName, plain)
	if err != nil {
		return nil, err
	}
	if err := store.Put(ctx, configName, data); err != nil {
		return nil, fmt.Errorf("save config: %w", err)
	}
	if opts.Open.Now == nil {
		opts.Open.Now = opts.Now
	}
	return newRepository(store, cfg, mk, keyID, opts.Open)
}

func arcaInvalid(msg string) error { return arca.Errorf(arca.CodeInvalidArgument, "%s", msg) }

func storeEmpty(ctx context.Context, store blob.Store) (bool, error) {
	errFound := errors.New("found")
	err := store.List(ctx, "", func(blob.Info) error { return errFound })
	if errors.Is(err, errFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("list store: %w", err)
	}
	return true, nil
}

// Open opens the repository in store with password. A wrong password
// returns an error matching ErrWrongPassword; a store without a
// repository, ErrNotARepository.
func Open(ctx context.Context, store blob.Store, password string, opts OpenOptions) (*Repository, error) {
	cfgData, err := blob.ReadAll(ctx, store, configName)
	if errors.Is(err, blob.ErrNotExist) {
		return nil, ErrNotARepository
	}
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	mk, keyID, err := openKeys(ctx, store, password)
	if err != nil {
		return nil, err
	}
	if opts.KeyOpened != nil {
		opts.KeyOpened()
	}
	plain, err := openObjectWith(crypto.NewOpener(&mk.Encrypt), configName, cfgData)
	if err != nil {
		return nil, err
	}
	cfg, err := parseConfig(plain)
	if err != nil {
		return nil, err
	}
	r, err := newRepository(store, cfg, mk, keyID, opts)
	if err != nil {
		return nil, err
	}
	if err := r.loadIndex(ctx); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func parseConfig(plain []byte) (Config, error) {
	var cfg Config
	if err := json.Unmarshal(plain, &cfg); err != nil {
		return cfg, fmt.Errorf("parse config: %w", err)
	}
	if cfg.Version != FormatVersion {
		return cfg, fmt.Errorf("repository format version %d: %w", cfg.Version, ErrUnsupportedVersion)
	}
	if err := cfg.Chunker.chunker().Validate(); err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	if err := validCompression(cfg.Compression); err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

func newRepository(store blob.Store, cfg Config, mk *crypto.MasterKeys, keyID string, opts OpenOptions) (*Repository, error) {
	opts.setDefaults(store)
	comp, err := newCompressor(cfg.Compression)
	if err != nil {
		return nil, err
	}
	r := &Repository{
		store: store, cfg: cfg, opts: opts, mk: mk, keyID: keyID,
		hasher:    crypto.NewHasher(mk.ID),
		opener:    crypto.NewOpener(&mk.Encrypt),
		comp:      comp,
		idx:       index.New(index.Options{SpillDir: opts.IndexCacheDir}),
		packers:   make(chan *packer, opts.Packers),
		trees:     make(chan *packer, 1),
		uploadSem: make(chan struct{}, opts.Uploads),
		freeBufs:  make(freeList, opts.Packers+opts.Uploads),
		scratch:   make(freeList, 2*opts.Packers),
		pending:   make(map[blobKey]struct{}),
		indexObjs: make(map[ID]struct{}),
		lastIndex: opts.Now(),
	}
	r.cond = sync.NewCond(&r.mu)
	for i := 0; i < opts.Packers; i++ {
		r.packers <- &packer{sealer: crypto.NewSealer(&mk.Encrypt)}
	}
	r.trees <- &packer{sealer: crypto.NewSealer(&mk.Encrypt), grow: true}
	return r, nil
}

// Store returns the underlying storage.
func (r *Repository) Store() blob.Store { return r.store }

// Config returns the repository's config.
func (r *Repository) Config() Config { return r.cfg }

// Close releases the repository's resources (index cache files). It does
// not flush: call Flush first to make pending blobs durable.
func (r *Repository) Close() error {
	r.comp.close()
	return r.idx.Close()
}

// NewChunker returns a Chunker with the repository's keyed parameters,
// reading from rd.
func (r *Repository) NewChunker(rd io.Reader) Chunker {
	c, err := chunker.New(rd, r.cfg.Chunker.chunker(), r.mk.Chunker[:])
	if err != nil {
		panic(fmt.Sprintf("chunker parameters were validated at open: %v", err))
	}
	return c
}

// Stats returns running totals of what this Repository wrote.
func (r *Repository) Stats() SaveStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}
