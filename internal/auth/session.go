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

// sessionPrefix starts every session token: arcs_<id>_<secret>. Like an
// API token, only SHA-256(secret) is stored.
const sessionPrefix = "arcs_"

// SessionOptions configure Sessions. Zero values take the defaults shown.
type SessionOptions struct {
	Idle       time.Duration // a session unused this long ends; default 30 min
	Absolute   time.Duration // a session ends this long after login; default 12 h
	CacheTTL   time.Duration // a verified session is trusted this long without the catalog; default 30 s
	TouchEvery time.Duration // last use is written at most this often; default 1 min
}

func (o *SessionOptions) defaults() {
	if o.Idle <= 0 {
		o.Idle = 30 * time.Minute
	}
	if o.Absolute <= 0 {
		o.Absolute = 12 * time.Hour
	}
	if o.CacheTTL <= 0 {
		o.CacheTTL = 30 * time.Second
	}
	if o.TouchEvery <= 0 {
		o.TouchEvery = time.Minute
	}
}

// sessionStore is what Sessions needs of the catalog.
type sessionStore interface {
	catalog.SessionStore
	GetUser(ctx context.Context, id string) (arca.User, error)
}

// Sessions issues and verifies login sessions. It is safe for concurrent use.
type Sessions struct {
	store sessionStore
	opts  SessionOptions
	now   func() time.Time
	log   *slog.Logger

	mu    sync.Mutex
	cache map[string]*sessionEntry
}

type sessionEntry struct {
	s         arca.Session
	u         arca.User
	until     time.Time // trusted until
	touchedAt time.Time // last written to the catalog
}

// NewSessions returns sessions over store.
func NewSessions(store sessionStore, opts SessionOptions, now func() time.Time, log *slog.Logger) *Sessions {
	opts.defaults()
	return &Sessions{store: store, opts: opts, now: now, log: log, cache: map[string]*sessionEntry{}}
}

// errBadSession is the one answer for every unusable session token.
var errBadSession = arca.Errorf(arca.CodeUnauthenticated,
	"The session is not valid: it is malformed, unknown, logged out or expired. Log in again.")

// Start opens a session for u and returns its token (shown once).
func (m *Sessions) Start(ctx context.Context, u arca.User) (string, arca.Session, error) {
	secret, err := newSecret()
	if err != nil {
		return "", arca.Session{}, err
	}
	now := m.now()
	s := arca.Session{ID: arca.NewID(now), UserID: u.ID, SecretHash: HashSecret(secret),
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(m.opts.Absolute)}
	if err := m.store.CreateSession(ctx, s); err != nil {
		return "", arca.Session{}, err
	}
	return sessionPrefix + s.ID + "_" + secret, s, nil
}

// Authenticate returns the principal of a session token, or an
// UNAUTHENTICATED error.
func (m *Sessions) Authenticate(ctx context.Context, token string) (arca.Principal, error) {
	id, secret, err := parseCredential(token, sessionPrefix, "session token")
	if err != nil {
		return arca.Principal{}, errBadSession
	}
	now := m.now()
	e, err := m.lookup(ctx, id, now)
	if err != nil {
		return arca.Principal{}, err
	}
	m.mu.Lock()
	ok := subtle.ConstantTimeCompare(HashSecret(secret), e.s.SecretHash) == 1 && e.s.Usable(now, m.opts.Idle) && !e.u.Disabled
	due := ok && now.Sub(e.touchedAt) >= m.opts.TouchEvery
	if ok {
		e.s.LastSeenAt = now
	}
	if due {
		e.touchedAt = now
	}
	u := e.u
	m.mu.Unlock()
	if !ok {
		return arca.Principal{}, errBadSession
	}
	if due {
		if err := m.store.TouchSession(ctx, id, now); err != nil {
			m.log.WarnContext(ctx, "record session use", "session", id, "err", err)
		}
	}
	p := u.Principal()
	p.SessionID = id
	return p, nil
}

// lookup returns the session and its user from the cache or the catalog.
func (m *Sessions) lookup(ctx context.Context, id string, now time.Time) (*sessionEntry, error) {
	m.mu.Lock()
	e, ok := m.cache[id]
	m.mu.Unlock()
	if ok && now.Before(e.until) {
		return e, nil
	}
	s, err := m.store.GetSession(ctx, id)
	if err == nil {
		var u arca.User
		if u, err = m.store.GetUser(ctx, s.UserID); err == nil {
			e = &sessionEntry{s: s, u: u, until: now.Add(m.opts.CacheTTL), touchedAt: s.LastSeenAt}
		}
	}
	if errors.Is(err, arca.ErrNotFound) {
		return nil, errBadSession
	}
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if old, ok := m.cache[id]; ok && old.s.LastSeenAt.After(e.s.LastSeenAt) {
		e.s.LastSeenAt, e.touchedAt = old.s.LastSeenAt, old.touchedAt
	}
	m.cache[id] = e
	if len(m.cache) > maxCached {
		for k, c := range m.cache {
			if !now.Before(c.until) {
				delete(m.cache, k)
			}
		}
	}
	m.mu.Unlock()
	return e, nil
}

// End ends a session (logout).
func (m *Sessions) End(ctx context.Context, id string) error {
	m.mu.Lock()
	delete(m.cache, id)
	m.mu.Unlock()
	return m.store.DeleteSession(ctx, id)
}

// EndUser ends every session of a user (password changed, user disabled
// or deleted).
func (m *Sessions) EndUser(ctx context.Context, userID string) error {
	m.ForgetUser(userID)
	_, err := m.store.DeleteUserSessions(ctx, userID)
	return err
}

// ForgetUser drops the cached sessions of a user, so that a change of its
// roles takes effect at its next request.
func (m *Sessions) ForgetUser(userID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, e := range m.cache {
		if e.u.ID == userID {
			delete(m.cache, k)
		}
	}
}
