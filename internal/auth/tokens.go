package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// Options configure Tokens. Zero values take the defaults shown.
type Options struct {
	// CacheTTL is how long a verified token is trusted without asking the
	// catalog again (so a revocation takes effect within it). Default 30 s.
	CacheTTL time.Duration
	// TouchEvery bounds how often a token's last use is recorded. Default 1 min.
	TouchEvery time.Duration
	Now        func() time.Time
	Logger     *slog.Logger
}

// Tokens verifies API tokens against a catalog.TokenStore. It is safe for
// concurrent use.
type Tokens struct {
	store catalog.TokenStore
	opts  Options

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	tok       arca.APIToken
	until     time.Time // trusted until
	touchedAt time.Time
}

// New returns a verifier over store.
func New(store catalog.TokenStore, opts Options) *Tokens {
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = 30 * time.Second
	}
	if opts.TouchEvery <= 0 {
		opts.TouchEvery = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Tokens{store: store, opts: opts, cache: map[string]cached{}}
}

// errBadCredentials is the one answer for every wrong token, so that a caller
// learns nothing about which part was wrong.
var errBadCredentials = arca.Errorf(arca.CodeUnauthenticated,
	"The API token is not valid: it is malformed, unknown, revoked or expired. Log in again with a valid token.")

// Authenticate returns the principal a bearer token stands for, or an
// UNAUTHENTICATED error.
func (a *Tokens) Authenticate(ctx context.Context, token string) (arca.Principal, error) {
	id, secret, err := ParseToken(token)
	if err != nil {
		return arca.Principal{}, errBadCredentials
	}
	now := a.opts.Now()
	tok, err := a.lookup(ctx, id, now)
	if err != nil {
		return arca.Principal{}, err
	}
	if subtle.ConstantTimeCompare(HashSecret(secret), tok.SecretHash) != 1 || !tok.Usable(now) {
		return arca.Principal{}, errBadCredentials
	}
	a.touch(ctx, id, now)
	return Principal(tok), nil
}

// Principal is the principal a token stands for.
func Principal(t arca.APIToken) arca.Principal {
	return arca.Principal{ID: t.ID, Kind: "token", Name: t.Name, Tenant: t.Tenant, Roles: t.Roles}
}

// lookup returns the token from the cache or the catalog.
func (a *Tokens) lookup(ctx context.Context, id string, now time.Time) (arca.APIToken, error) {
	a.mu.Lock()
	c, ok := a.cache[id]
	a.mu.Unlock()
	if ok && now.Before(c.until) {
		return c.tok, nil
	}
	tok, err := a.store.GetToken(ctx, id)
	if errors.Is(err, arca.ErrNotFound) {
		return arca.APIToken{}, errBadCredentials
	}
	if err != nil {
		return arca.APIToken{}, err
	}
	a.mu.Lock()
	a.cache[id] = cached{tok: tok, until: now.Add(a.opts.CacheTTL), touchedAt: c.touchedAt}
	a.evictLocked(now)
	a.mu.Unlock()
	return tok, nil
}

// maxCached bounds the cache; expired entries go first when it is full.
const maxCached = 10000

func (a *Tokens) evictLocked(now time.Time) {
	if len(a.cache) <= maxCached {
		return
	}
	for id, c := range a.cache {
		if !now.Before(c.until) {
			delete(a.cache, id)
		}
	}
}

// touch records the token's use at most once per TouchEvery.
func (a *Tokens) touch(ctx context.Context, id string, now time.Time) {
	a.mu.Lock()
	c := a.cache[id]
	due := now.Sub(c.touchedAt) >= a.opts.TouchEvery
	if due {
		c.touchedAt = now
		a.cache[id] = c
	}
	a.mu.Unlock()
	if !due {
		return
	}
	if err := a.store.TouchToken(ctx, id, now); err != nil {
		a.opts.Logger.WarnContext(ctx, "record token use", "token", id, "err", err)
	}
}

// Forget drops a token from the cache, so that its revocation takes effect
// at once in this process (others see it within CacheTTL).
func (a *Tokens) Forget(id string) {
	a.mu.Lock()
	delete(a.cache, id)
	a.mu.Unlock()
}
