package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// ServiceOptions configure a Service. Zero values take the defaults.
type ServiceOptions struct {
	Tokens   Options
	Sessions SessionOptions
	Throttle ThrottleOptions
	Password PasswordParams // default DefaultPasswordParams()
	Now      func() time.Time
	Logger   *slog.Logger
}

// Service is identity and access: it authenticates bearer credentials (API
// tokens and session tokens), logs users in and out under the login
// throttle, and manages users and tokens with the rule that nobody grants
// a role above their own. Which role may call what is the permission
// table's business (Roles); which tenant a resource belongs to is checked
// by the caller, who answers NOT_FOUND across tenants.
type Service struct {
	store    catalog.IdentityStore
	tokens   *Tokens
	sessions *Sessions
	throttle *Throttle
	pw       PasswordParams
	now      func() time.Time
	log      *slog.Logger

	dummyOnce sync.Once
	dummy     string // a hash to verify against for unknown users

	sweepMu   sync.Mutex
	lastSweep time.Time

	// hashing bounds the Argon2id computations running at once (each takes
	// Password.Memory): a flood of logins queues instead of exhausting memory.
	hashing chan struct{}
}

// sweepEvery is how often a login also deletes the sessions that ended.
const sweepEvery = time.Hour

// NewService returns the identity service over store.
func NewService(store catalog.IdentityStore, opts ServiceOptions) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Password.Time == 0 {
		opts.Password = DefaultPasswordParams()
	}
	opts.Tokens.Now, opts.Tokens.Logger = opts.Now, opts.Logger
	return &Service{store: store, tokens: New(store, opts.Tokens),
		sessions: NewSessions(store, opts.Sessions, opts.Now, opts.Logger),
		throttle: NewThrottle(opts.Throttle), pw: opts.Password, now: opts.Now, log: opts.Logger,
		hashing: make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))}
}

// slot waits for a free hashing slot and returns its release.
func (s *Service) slot(ctx context.Context) (func(), error) {
	select {
	case s.hashing <- struct{}{}:
		return func() { <-s.hashing }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// hash hashes a new password in a hashing slot.
func (s *Service) hash(ctx context.Context, password string) (string, error) {
	release, err := s.slot(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return HashPassword(password, s.pw)
}

// verify checks a password in a hashing slot.
func (s *Service) verify(ctx context.Context, hash, password string) (bool, error) {
	release, err := s.slot(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return VerifyPassword(hash, password), nil
}

// Authenticate returns the principal of a bearer credential: an API token
// (arca_...) or a session token (arcs_...).
func (s *Service) Authenticate(ctx context.Context, bearer string) (arca.Principal, error) {
	if strings.HasPrefix(bearer, sessionPrefix) {
		return s.sessions.Authenticate(ctx, bearer)
	}
	return s.tokens.Authenticate(ctx, bearer)
}

// errLogin is the one answer to every refused login, so that a caller
// learns nothing about which usernames exist.
var errLogin = arca.Errorf(arca.CodeUnauthenticated, "The username or password is wrong.")

// Login checks a username and password from addr and opens a session. It
// answers RESOURCE_EXHAUSTED (with Details["retry_after_seconds"]) while the
// user or the address is throttled, and the same UNAUTHENTICATED error for
// an unknown user, a wrong password and a disabled user.
func (s *Service) Login(ctx context.Context, username, password, addr string) (string, arca.Session, arca.User, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	if err := s.throttle.Attempt(username, addr, s.now()); err != nil {
		return "", arca.Session{}, arca.User{}, err
	}
	u, err := s.store.GetUserByName(ctx, username)
	if err != nil && !errors.Is(err, arca.ErrNotFound) {
		return "", arca.Session{}, arca.User{}, err
	}
	hash := u.PasswordHash
	if err != nil {
		hash = s.dummyHash() // spend the same time as for a real user
	}
	ok, verr := s.verify(ctx, hash, password)
	if verr != nil {
		return "", arca.Session{}, arca.User{}, verr
	}
	if !ok || err != nil || u.Disabled {
		return "", arca.Session{}, arca.User{}, errLogin
	}
	s.throttle.Succeed(username, addr)
	s.maybeSweep(ctx)
	tok, sess, err := s.sessions.Start(ctx, u)
	return tok, sess, u, err
}

// maybeSweep deletes ended sessions at most once per sweepEvery, on the
// way of a login (no background goroutine to own).
func (s *Service) maybeSweep(ctx context.Context) {
	now := s.now()
	s.sweepMu.Lock()
	due := now.Sub(s.lastSweep) >= sweepEvery
	if due {
		s.lastSweep = now
	}
	s.sweepMu.Unlock()
	if !due {
		return
	}
	if _, err := s.store.DeleteStaleSessions(ctx, now, s.sessions.opts.Idle); err != nil {
		s.log.WarnContext(ctx, "delete ended sessions", "err", err)
	}
}

func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() {
		secret, _ := newSecret()
		s.dummy, _ = HashPassword(secret, s.pw)
	})
	return s.dummy
}

// Logout ends the session p authenticated with. A principal of an API
// token has no session: INVALID_ARGUMENT.
func (s *Service) Logout(ctx context.Context, p arca.Principal) error {
	if p.SessionID == "" {
		return arca.Errorf(arca.CodeInvalidArgument, "You are authenticated with an API token, not a session: revoke the token instead (DELETE /api/v1/tokens/{id}).")
	}
	err := s.sessions.End(ctx, p.SessionID)
	if errors.Is(err, arca.ErrNotFound) {
		return nil // ended meanwhile: logged out all the same
	}
	return err
}

// NewUser is what CreateUser needs.
type NewUser struct {
	Tenant   string
	Username string
	Password string
	Roles    []arca.Role
}

// CreateUser creates a user on behalf of actor. A tenant actor cannot see
// answers NOT_FOUND; roles above actor's → PERMISSION_DENIED.
func (s *Service) CreateUser(ctx context.Context, actor arca.Principal, in NewUser) (arca.User, error) {
	if in.Tenant == "" {
		in.Tenant = actor.Tenant
	}
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	if !(Roles{}).SeesTenant(actor, in.Tenant) {
		return arca.User{}, catalog.TenantNotFound(in.Tenant)
	}
	if err := s.checkGrant(actor, in.Roles); err != nil {
		return arca.User{}, err
	}
	if err := arca.CheckUsername(in.Username); err != nil {
		return arca.User{}, err
	}
	if err := CheckPassword(in.Username, in.Password); err != nil {
		return arca.User{}, err
	}
	hash, err := s.hash(ctx, in.Password)
	if err != nil {
		return arca.User{}, err
	}
	now := catalog.DBTime(s.now())
	u := arca.User{ID: arca.NewID(now), Tenant: in.Tenant, Username: in.Username, Roles: in.Roles,
		PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return arca.User{}, err
	}
	return u, nil
}

// UserChange is a change to a user; nil fields stay.
type UserChange struct {
	Roles    []arca.Role
	Password *string
	Disabled *bool
}

// UpdateUser changes u on behalf of actor, who must outrank or equal both
// the user's current roles and the new ones. A new password or disabling
// ends the user's sessions.
func (s *Service) UpdateUser(ctx context.Context, actor arca.Principal, u arca.User, c UserChange) (arca.User, error) {
	if err := s.checkGrant(actor, u.Roles); err != nil {
		return u, err
	}
	if c.Roles != nil {
		if err := s.checkGrant(actor, c.Roles); err != nil {
			return u, err
		}
		u.Roles = c.Roles
	}
	endSessions := false
	if c.Password != nil {
		if err := CheckPassword(u.Username, *c.Password); err != nil {
			return u, err
		}
		hash, err := s.hash(ctx, *c.Password)
		if err != nil {
			return u, err
		}
		u.PasswordHash, endSessions = hash, true
	}
	if c.Disabled != nil {
		u.Disabled = *c.Disabled
		endSessions = endSessions || u.Disabled
	}
	u.UpdatedAt = catalog.DBTime(s.now())
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return u, err
	}
	s.sessions.ForgetUser(u.ID)
	if endSessions {
		if err := s.sessions.EndUser(ctx, u.ID); err != nil {
			return u, fmt.Errorf("end the sessions of user %s: %w", u.ID, err)
		}
	}
	return u, nil
}

// DeleteUser deletes u (and its sessions) on behalf of actor.
func (s *Service) DeleteUser(ctx context.Context, actor arca.Principal, u arca.User) error {
	if err := s.checkGrant(actor, u.Roles); err != nil {
		return err
	}
	s.sessions.ForgetUser(u.ID)
	return s.store.DeleteUser(ctx, u.ID)
}

// NewAPIToken is what CreateToken needs.
type NewAPIToken struct {
	Tenant    string
	Name      string
	Roles     []arca.Role
	ExpiresAt *time.Time
}

// CreateToken creates an API token on behalf of actor and returns its
// plaintext (to show once) and its record.
func (s *Service) CreateToken(ctx context.Context, actor arca.Principal, in NewAPIToken) (string, arca.APIToken, error) {
	if in.Tenant == "" {
		in.Tenant = actor.Tenant
	}
	if !(Roles{}).SeesTenant(actor, in.Tenant) {
		return "", arca.APIToken{}, catalog.TenantNotFound(in.Tenant)
	}
	if _, err := s.store.GetTenant(ctx, in.Tenant); err != nil {
		return "", arca.APIToken{}, err
	}
	if err := s.checkGrant(actor, in.Roles); err != nil {
		return "", arca.APIToken{}, err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 200 {
		return "", arca.APIToken{}, &arca.Error{Code: arca.CodeInvalidArgument, Message: "Give the token a name of 1 to 200 characters, for example \"ci-nightly\".",
			Fields: []arca.FieldError{{Field: "name", Message: "1 to 200 characters"}}}
	}
	now := s.now()
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		return "", arca.APIToken{}, &arca.Error{Code: arca.CodeInvalidArgument, Message: "The expiry is in the past: give a time in the future, or none.",
			Fields: []arca.FieldError{{Field: "expires_at", Message: "in the past"}}}
	}
	plain, tok, err := NewToken(in.Tenant, name, in.Roles, now)
	if err != nil {
		return "", arca.APIToken{}, err
	}
	if in.ExpiresAt != nil {
		exp := catalog.DBTime(*in.ExpiresAt)
		tok.ExpiresAt = &exp
	}
	tok.CreatedAt = catalog.DBTime(tok.CreatedAt)
	if err := s.store.CreateToken(ctx, tok); err != nil {
		return "", arca.APIToken{}, err
	}
	return plain, tok, nil
}

// RevokeToken revokes tok on behalf of actor, effective at once in this
// process.
func (s *Service) RevokeToken(ctx context.Context, actor arca.Principal, tok arca.APIToken) error {
	if err := s.checkGrant(actor, tok.Roles); err != nil {
		return err
	}
	s.tokens.Forget(tok.ID)
	err := s.store.RevokeToken(ctx, tok.ID, s.now())
	s.tokens.Forget(tok.ID)
	return err
}

// checkGrant refuses roles that are invalid or above actor's own.
func (s *Service) checkGrant(actor arca.Principal, roles []arca.Role) error {
	if err := arca.CheckRoles(roles); err != nil {
		return err
	}
	if !MayGrant(actor, roles) {
		return &arca.Error{Code: arca.CodePermissionDenied,
			Message: fmt.Sprintf("You cannot grant or manage roles above your own (%s): ask an administrator.", actor.Top()),
			Details: map[string]string{"action": string(ActionUserWrite)}}
	}
	return nil
}

// BootstrapAdmin creates the first admin user (in the default tenant) when
// the catalog has no user yet. It reports whether it created one.
func (s *Service) BootstrapAdmin(ctx context.Context, username, password string) (bool, error) {
	n, err := s.store.CountUsers(ctx)
	if err != nil {
		return false, fmt.Errorf("count users: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	system := arca.Principal{Kind: "system", Name: "bootstrap", Tenant: arca.DefaultTenant, Roles: []arca.Role{arca.RoleAdmin}}
	_, err = s.CreateUser(ctx, system, NewUser{Tenant: arca.DefaultTenant, Username: username, Password: password,
		Roles: []arca.Role{arca.RoleAdmin}})
	if err != nil {
		return false, fmt.Errorf("create the first admin user: %w", err)
	}
	return true, nil
}

// IdleTimeout is how long a session may go unused.
func (s *Service) IdleTimeout() time.Duration { return s.sessions.opts.Idle }
