package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/location"
	"github.com/arcabackup/arca/internal/seal"
)

// Repos keeps the server's repositories open between tasks — keys
// unlocked, index in memory — so that a backup through the server does not
// pay the key derivation and the index load each time. An entry is reused
// while the registration is unchanged (same UpdatedAt); a changed or
// deleted registration, or an index replaced by a prune, opens it afresh.
// Safe for concurrent use: tasks share one *repo.Repository.
type Repos struct {
	box  *seal.Box
	reg  *location.Registry
	opts repo.OpenOptions
	kdf  repo.KDFParams

	mu   sync.Mutex
	open map[string]*openRepo
}

type openRepo struct {
	rev  time.Time
	r    *repo.Repository
	refs int
	dead bool // replaced: close when the last user releases it
}

// NewRepos returns a pool that unseals secrets with box and opens stores
// through reg. kdf is the key derivation of repositories it initialises
// (zero: the format's default).
func NewRepos(box *seal.Box, reg *location.Registry, opts repo.OpenOptions, kdf repo.KDFParams) *Repos {
	return &Repos{box: box, reg: reg, opts: opts, kdf: kdf, open: map[string]*openRepo{}}
}

// Location returns where a registered repository lives, with its
// credentials.
func Location(r arca.Repository, sec arca.RepositorySecret) location.Location {
	if r.Kind == arca.RepositoryS3 {
		return location.Location{Scheme: location.SchemeS3, S3: location.S3{Endpoint: r.Endpoint, Bucket: r.Bucket,
			Prefix: r.Prefix, Region: r.Region, AccessKey: sec.AccessKey, SecretKey: sec.SecretKey, UseTLS: !r.Insecure}}
	}
	return location.Location{Scheme: location.SchemeLocal, Path: r.Path}
}

// SealSecret seals a repository's secret for the row of repository id.
func (p *Repos) SealSecret(id string, sec arca.RepositorySecret) ([]byte, error) {
	b, err := json.Marshal(sec)
	if err != nil {
		return nil, fmt.Errorf("encode repository secret: %w", err)
	}
	return p.box.Seal("repository:"+id, b)
}

// restoreMasterKey tells an operator how to recover from a changed master
// key: the sealed secrets are intact, only the key to open them is missing.
const restoreMasterKey = "Start the server with the master key it had when this was registered (ARCA_MASTER_KEY or <data>/master.key), or register it again with its password."

// Secret unseals a repository's secret. A secret sealed under another
// master key is UNAVAILABLE (503): the server is misconfigured, the
// request is fine.
func (p *Repos) Secret(r arca.Repository) (arca.RepositorySecret, error) {
	var sec arca.RepositorySecret
	b, err := p.box.Open("repository:"+r.ID, r.Secret)
	if err != nil {
		return sec, &arca.Error{Code: arca.CodeUnavailable, Message: "The repository's stored password cannot be decrypted: the server's master key changed. " + restoreMasterKey, Err: err}
	}
	if err := json.Unmarshal(b, &sec); err != nil {
		return sec, fmt.Errorf("decode repository secret: %w", err)
	}
	return sec, nil
}

// Acquire returns the open repository of a registration, opening it if
// needed, and refreshes its index with what other writers saved. Call
// release when done.
func (p *Repos) Acquire(ctx context.Context, r arca.Repository) (_ *repo.Repository, release func(), err error) {
	e, err := p.entry(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	if e.r.Err() != nil { // a failed upload poisoned it: start afresh
		p.release(r.ID, e)
		p.Forget(r.ID)
		if e, err = p.entry(ctx, r); err != nil {
			return nil, nil, err
		}
	}
	_, stale, err := e.r.Refresh(ctx)
	if err != nil {
		p.release(r.ID, e)
		return nil, nil, fmt.Errorf("refresh index of repository %s: %w", r.Name, err)
	}
	if stale {
		p.release(r.ID, e)
		p.Forget(r.ID)
		if e, err = p.entry(ctx, r); err != nil {
			return nil, nil, err
		}
	}
	return e.r, func() { p.release(r.ID, e) }, nil
}

func (p *Repos) entry(ctx context.Context, r arca.Repository) (*openRepo, error) {
	p.mu.Lock()
	if e, ok := p.open[r.ID]; ok && e.rev.Equal(r.UpdatedAt) && !e.dead {
		e.refs++
		p.mu.Unlock()
		return e, nil
	}
	p.mu.Unlock()
	// Open outside the lock: it costs a key derivation and an index load.
	opened, _, err := p.openOrInit(ctx, r, false)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.open[r.ID]; ok && e.rev.Equal(r.UpdatedAt) && !e.dead {
		opened.Close() // another task opened it meanwhile
		e.refs++
		return e, nil
	}
	if old, ok := p.open[r.ID]; ok {
		p.retire(r.ID, old)
	}
	e := &openRepo{rev: r.UpdatedAt, r: opened, refs: 1}
	p.open[r.ID] = e
	return e, nil
}

func (p *Repos) release(id string, e *openRepo) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e.refs--
	if e.dead && e.refs == 0 {
		e.r.Close()
	}
}

// retire drops e from the pool; it closes once unused. p.mu is held.
func (p *Repos) retire(id string, e *openRepo) {
	e.dead = true
	if p.open[id] == e {
		delete(p.open, id)
	}
	if e.refs == 0 {
		e.r.Close()
	}
}

// Forget closes the repository of a registration once no task uses it
// (after the registration changed or was deleted).
func (p *Repos) Forget(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.open[id]; ok {
		p.retire(id, e)
	}
}

// Close closes every repository (at shutdown, after the tasks ended).
func (p *Repos) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, e := range p.open {
		p.retire(id, e)
	}
}

// openOrInit opens the repository of r; with create, it initialises an
// empty location and reports whether it did.
func (p *Repos) openOrInit(ctx context.Context, r arca.Repository, create bool) (*repo.Repository, bool, error) {
	sec, err := p.Secret(r)
	if err != nil {
		return nil, false, err
	}
	store, err := p.reg.Open(ctx, Location(r, sec), create)
	if errors.Is(err, location.ErrNoRepository) {
		return nil, false, arca.Errorf(arca.CodeNotFound, "Nothing exists at the location of repository %q (%s): check the path or bucket, or create the repository again without \"attach\".", r.Name, describe(r))
	}
	if err != nil {
		return nil, false, unavailable(r, err)
	}
	rp, err := repo.Open(ctx, store, sec.Password, p.opts)
	if errors.Is(err, repo.ErrNotARepository) && create {
		rp, err = repo.Init(ctx, store, sec.Password, repo.InitOptions{KDF: p.kdf, Open: p.opts})
		if err != nil {
			return nil, false, fmt.Errorf("initialise repository %s: %w", r.Name, err)
		}
		return rp, true, nil
	}
	switch {
	case errors.Is(err, repo.ErrWrongPassword):
		return nil, false, arca.Errorf(arca.CodeUnauthenticated, "The password of repository %q is wrong: no key of the repository at %s opens with it. Set the right one with PATCH /api/v1/repositories/%s.", r.Name, describe(r), r.ID)
	case errors.Is(err, repo.ErrNotARepository):
		return nil, false, arca.Errorf(arca.CodeNotFound, "No repository is at the location of %q (%s).", r.Name, describe(r))
	case err != nil:
		return nil, false, unavailable(r, err)
	}
	return rp, false, nil
}

func describe(r arca.Repository) string {
	if r.Kind == arca.RepositoryS3 {
		return fmt.Sprintf("s3://%s/%s/%s", r.Endpoint, r.Bucket, r.Prefix)
	}
	return r.Path
}

func unavailable(r arca.Repository, err error) error {
	var ae *arca.Error
	if errors.As(err, &ae) {
		return err
	}
	return &arca.Error{Code: arca.CodeUnavailable, Message: fmt.Sprintf("Repository %q (%s) cannot be reached: %v.", r.Name, describe(r), err), Err: err}
}
