package auth

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/catalog/sqlite"
)

// cheap are password costs for tests: the scheme is the same, the work tiny.
var cheap = PasswordParams{Time: 1, Memory: 64, Threads: 1}

const goodPassword = "correct horse battery staple"

// countingIdentity is the real SQLite catalog, counting the session and
// user lookups that reach it.
type countingIdentity struct {
	catalog.Store
	sessionGets, userGets atomic.Int64
}

func (c *countingIdentity) GetSession(ctx context.Context, id string) (arca.Session, error) {
	c.sessionGets.Add(1)
	return c.Store.GetSession(ctx, id)
}

func (c *countingIdentity) GetUser(ctx context.Context, id string) (arca.User, error) {
	c.userGets.Add(1)
	return c.Store.GetUser(ctx, id)
}

type identityEnv struct {
	ctx   context.Context
	store *countingIdentity
	clk   *clock
	svc   *Service
	admin arca.Principal
}

func newIdentity(t testing.TB, opts ServiceOptions) *identityEnv {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &identityEnv{ctx: context.Background(), store: &countingIdentity{Store: db},
		clk: &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}}
	opts.Now = e.clk.now
	if opts.Password.Time == 0 {
		opts.Password = cheap
	}
	e.svc = NewService(e.store, opts)
	e.admin = arca.Principal{ID: "admin", Tenant: arca.DefaultTenant, Roles: []arca.Role{arca.RoleAdmin}}
	return e
}

func (e *identityEnv) user(t testing.TB, tenant, name string, roles ...arca.Role) arca.User {
	t.Helper()
	if tenant != arca.DefaultTenant {
		if err := e.store.CreateTenant(e.ctx, arca.Tenant{ID: tenant}); err != nil && arca.ErrorCode(err) != arca.CodeAlreadyExists {
			t.Fatal(err)
		}
	}
	u, err := e.svc.CreateUser(e.ctx, e.admin, NewUser{Tenant: tenant, Username: name, Password: goodPassword, Roles: roles})
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", name, err)
	}
	return u
}

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword(goodPassword, cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(h, goodPassword) {
		t.Errorf("hash %q: want the PHC form of Argon2id without the password", h)
	}
	if !VerifyPassword(h, goodPassword) {
		t.Error("the right password does not verify")
	}
	h2, _ := HashPassword(goodPassword, cheap)
	if h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	for _, bad := range []string{"", goodPassword + " ", "Correct horse battery staple"} {
		if VerifyPassword(h, bad) {
			t.Errorf("VerifyPassword(%q) = true", bad)
		}
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"} {
		if VerifyPassword(bad, goodPassword) {
			t.Errorf("malformed hash %q verifies", bad)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		user, password string
		ok             bool
	}{
		{"alice", goodPassword, true},
		{"alice", "short1!", false},
		{"alice", "aaaaaaaaaaaaaaaa", false},
		{"alice", "abababababab1212", false},
		{"alice", "my name is Alice, ok?", false},
		{"bob", "MyPassword2026!!", false},
		{"bob", "tr0ub4dor&3-xkcd", true},
		{"bob", strings.Repeat("abcdefgh", 200), false},
	}
	for _, tt := range tests {
		err := CheckPassword(tt.user, tt.password)
		if (err == nil) != tt.ok || err != nil && arca.ErrorCode(err) != arca.CodeInvalidArgument {
			t.Errorf("CheckPassword(%q, %q) = %v, want ok=%v", tt.user, tt.password, err, tt.ok)
		}
	}
}

func TestLoginAndSession(t *testing.T) {
	e := newIdentity(t, ServiceOptions{Sessions: SessionOptions{Idle: 30 * time.Minute, Absolute: 2 * time.Hour}})
	u := e.user(t, "acme", "alice", arca.RoleOperator)
	if _, _, _, err := e.svc.Login(e.ctx, "alice", "wrong password!!", "192.0.2.1"); arca.ErrorCode(err) != arca.CodeUnauthenticated {
		t.Fatalf("wrong password: %v", err)
	}
	_, _, _, errUnknown := e.svc.Login(e.ctx, "nobody", goodPassword, "192.0.2.1")
	_, _, _, errWrong := e.svc.Login(e.ctx, "alice", "wrong password!!", "192.0.2.1")
	if errUnknown.Error() != errWrong.Error() {
		t.Errorf("unknown user %q and wrong password %q answer differently", errUnknown, errWrong)
	}
	tok, sess, _, err := e.svc.Login(e.ctx, " Alice ", goodPassword, "192.0.2.1")
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if strings.Contains(string(sess.SecretHash), strings.Split(tok, "_")[2]) {
		t.Error("the session stores its secret")
	}
	p, err := e.svc.Authenticate(e.ctx, tok)
	want := arca.Principal{ID: u.ID, Kind: arca.PrincipalUser, Name: "alice", Tenant: "acme", Roles: []arca.Role{arca.RoleOperator}, SessionID: sess.ID}
	if d := cmp.Diff(want, p); err != nil || d != "" {
		t.Fatalf("Authenticate(session): %v (-want +got):\n%s", err, d)
	}
	// Used every 20 minutes, it outlives the idle timeout, up to the
	// absolute expiry.
	for range 5 {
		e.clk.t = e.clk.t.Add(20 * time.Minute)
		if _, err := e.svc.Authenticate(e.ctx, tok); err != nil {
			t.Fatalf("at %v: %v", e.clk.t, err)
		}
	}
	e.clk.t = e.clk.t.Add(20 * time.Minute) // 2 h after login
	if _, err := e.svc.Authenticate(e.ctx, tok); arca.ErrorCode(err) != arca.CodeUnauthenticated {
		t.Errorf("after the absolute expiry: %v, want UNAUTHENTICATED", err)
	}
	tok2, _, _, _ := e.svc.Login(e.ctx, "alice", goodPassword, "192.0.2.1")
	e.clk.t = e.clk.t.Add(31 * time.Minute)
	if _, err := e.svc.Authenticate(e.ctx, tok2); arca.ErrorCode(err) != arca.CodeUnauthenticated {
		t.Errorf("after 31 idle minutes: %v, want UNAUTHENTICATED", err)
	}
	tok3, _, _, _ := e.svc.Login(e.ctx, "alice", goodPassword, "192.0.2.1")
	p3, _ := e.svc.Authenticate(e.ctx, tok3)
	if err := e.svc.Logout(e.ctx, p3); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if _, err := e.svc.Authenticate(e.ctx, tok3); arca.ErrorCode(err) != arca.CodeUnauthenticated {
		t.Errorf("after logout: %v, want UNAUTHENTICATED", err)
	}
	forged := tok3[:len(tok3)-4] + "aaaa"
	if _, err := e.svc.Authenticate(e.ctx, forged); arca.ErrorCode(err) != arca.CodeUnauthenticated {
		t.Errorf("forged session: %v", err)
	}
}

func TestSessionEndsWhenUserChanges(t *testing.T) {
	e := newIdentity(t, ServiceOptions{})
	u := e.user(t, "acme", "alice", arca.RoleOperator)
	tok, _, _, err := e.svc.Login(e.ctx, "alice", goodPassword, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Authenticate(e.ctx, tok); err != nil {
		t.Fatal(err)
	}
	u, err = e.svc.UpdateUser(e.ctx, e.admin, u, UserChange{Roles: []arca.Role{arca.RoleViewer}})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := e.svc.Authenticate(e.ctx, tok); err != nil || p.Top() != arca.RoleViewer {
		t.Errorf("after the role change: %+v, %v; want viewer at once", p, err)
	}
	disabled := true
	if _, err := e.svc.UpdateUser(e.ctx, e.admin, u, UserChange{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Authenticate(e.ctx, tok); arca.ErrorCode(err) != arca.CodeUnauthenticated {
		t.Errorf("session of a disabled user: %v", err)
	}
	if _, _, _, err := e.svc.Login(e.ctx, "alice", goodPassword, "192.0.2.1"); arca.ErrorCode(err) != arca.CodeUnauthenticated {
		t.Errorf("login of a disabled user: %v", err)
	}
}

func TestSessionLookupsCached(t *testing.T) {
	e := newIdentity(t, ServiceOptions{})
	e.user(t, arca.DefaultTenant, "alice", arca.RoleViewer)
	tok, _, _, err := e.svc.Login(e.ctx, "alice", goodPassword, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	for range 5000 {
		e.clk.t = e.clk.t.Add(time.Millisecond) // 5,000 requests in 5 s
		if _, err := e.svc.Authenticate(e.ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if g := e.store.sessionGets.Load(); g != 1 {
		t.Errorf("5,000 requests in 5 s read the session %d times, want 1", g)
	}
}

func TestThrottleBurst(t *testing.T) {
	e := newIdentity(t, ServiceOptions{})
	e.user(t, arca.DefaultTenant, "alice", arca.RoleViewer)
	var throttled, refused int
	var retry string
	for range 1000 {
		_, _, _, err := e.svc.Login(e.ctx, "alice", "not the password", "198.51.100.7")
		switch arca.ErrorCode(err) {
		case arca.CodeResourceExhausted:
			throttled++
			var ae *arca.Error
			if ok := asArca(err, &ae); ok {
				retry = ae.Details["retry_after_seconds"]
			}
		case arca.CodeUnauthenticated:
			refused++
		default:
			t.Fatalf("wrong password: %v", err)
		}
	}
	if refused > 10 || throttled < 990 || retry == "" || retry == "0" {
		t.Errorf("1,000 wrong passwords: %d checked, %d throttled (retry after %q s); want at most 10 checked", refused, throttled, retry)
	}
	if _, _, _, err := e.svc.Login(e.ctx, "alice", goodPassword, "198.51.100.7"); arca.ErrorCode(err) != arca.CodeResourceExhausted {
		t.Errorf("right password from the throttled address: %v, want RESOURCE_EXHAUSTED", err)
	}
	if _, _, _, err := e.svc.Login(e.ctx, "alice", goodPassword, "203.0.113.9"); err != nil {
		t.Errorf("right password from another address: %v", err)
	}
	e.clk.t = e.clk.t.Add(11 * time.Minute)
	if _, _, _, err := e.svc.Login(e.ctx, "alice", goodPassword, "198.51.100.7"); err != nil {
		t.Errorf("right password from the first address after 11 minutes: %v", err)
	}
}

func TestNoEscalation(t *testing.T) {
	e := newIdentity(t, ServiceOptions{})
	ta := e.user(t, "acme", "boss", arca.RoleTenantAdmin).Principal()
	adminUser := e.user(t, "acme", "root", arca.RoleAdmin)
	tests := []struct {
		name string
		do   func() error
		code arca.Code
	}{
		{"create admin", func() error {
			_, err := e.svc.CreateUser(e.ctx, ta, NewUser{Username: "eve", Password: goodPassword, Roles: []arca.Role{arca.RoleAdmin}})
			return err
		}, arca.CodePermissionDenied},
		{"create in another tenant", func() error {
			_, err := e.svc.CreateUser(e.ctx, ta, NewUser{Tenant: arca.DefaultTenant, Username: "eve", Password: goodPassword, Roles: []arca.Role{arca.RoleViewer}})
			return err
		}, arca.CodeNotFound},
		{"reset an admin's password", func() error {
			pw := "another good passphrase"
			_, err := e.svc.UpdateUser(e.ctx, ta, adminUser, UserChange{Password: &pw})
			return err
		}, arca.CodePermissionDenied},
		{"delete an admin", func() error { return e.svc.DeleteUser(e.ctx, ta, adminUser) }, arca.CodePermissionDenied},
		{"admin token", func() error {
			_, _, err := e.svc.CreateToken(e.ctx, ta, NewAPIToken{Name: "x", Roles: []arca.Role{arca.RoleAdmin}})
			return err
		}, arca.CodePermissionDenied},
		{"weak password", func() error {
			_, err := e.svc.CreateUser(e.ctx, ta, NewUser{Username: "eve", Password: "password1234", Roles: []arca.Role{arca.RoleViewer}})
			return err
		}, arca.CodeInvalidArgument},
	}
	for _, tt := range tests {
		if err := tt.do(); arca.ErrorCode(err) != tt.code {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
		}
	}
	if _, err := e.svc.CreateUser(e.ctx, ta, NewUser{Username: "op", Password: goodPassword, Roles: []arca.Role{arca.RoleOperator}}); err != nil {
		t.Errorf("a tenant-admin creating an operator in its tenant: %v", err)
	}
}

func TestTokenRevokedAtOnce(t *testing.T) {
	e := newIdentity(t, ServiceOptions{})
	plain, tok, err := e.svc.CreateToken(e.ctx, e.admin, NewAPIToken{Name: "ci", Roles: []arca.Role{arca.RoleOperator}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Authenticate(e.ctx, plain); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RevokeToken(e.ctx, e.admin, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Authenticate(e.ctx, plain); arca.ErrorCode(err) != arca.CodeUnauthenticated {
		t.Errorf("revoked token: %v, want UNAUTHENTICATED at once", err)
	}
	past := e.clk.t.Add(-time.Minute)
	if _, _, err := e.svc.CreateToken(e.ctx, e.admin, NewAPIToken{Name: "old", Roles: []arca.Role{arca.RoleViewer}, ExpiresAt: &past}); arca.ErrorCode(err) != arca.CodeInvalidArgument {
		t.Errorf("token expiring in the past: %v", err)
	}
}

func TestBootstrapAdmin(t *testing.T) {
	e := newIdentity(t, ServiceOptions{})
	if ok, err := e.svc.BootstrapAdmin(e.ctx, "root", goodPassword); !ok || err != nil {
		t.Fatalf("first start: %v, %v", ok, err)
	}
	if ok, err := e.svc.BootstrapAdmin(e.ctx, "other", goodPassword); ok || err != nil {
		t.Errorf("second start: %v, %v; want nothing created", ok, err)
	}
	tok, _, u, err := e.svc.Login(e.ctx, "root", goodPassword, "192.0.2.1")
	if err != nil || !u.Principal().HasRole(arca.RoleAdmin) || tok == "" {
		t.Errorf("the first admin cannot log in: %+v, %v", u, err)
	}
}

func TestPermissionTable(t *testing.T) {
	for _, a := range Actions() {
		roles := RolesFor(a)
		if Public(a) {
			continue
		}
		if len(roles) == 0 || !contains(roles, arca.RoleAdmin) {
			t.Errorf("%s: roles %v; every action needs roles and admin may do everything", a, roles)
		}
		// A role includes what the roles below it may do.
		for _, r := range roles {
			for _, above := range arca.Roles() {
				if above.Rank() > r.Rank() && !contains(roles, above) {
					t.Errorf("%s: %s may but %s may not", a, r, above)
				}
			}
		}
	}
	if Known("x.y") || RolesFor("x.y") != nil {
		t.Error("an unknown action has roles")
	}
	if err := (Roles{}).Permit(arca.Principal{Roles: []arca.Role{arca.RoleAdmin}}, "x.y"); arca.ErrorCode(err) != arca.CodePermissionDenied {
		t.Errorf("even admin is denied an action missing from the table: %v", err)
	}
}

func contains(rs []arca.Role, r arca.Role) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

func asArca(err error, target **arca.Error) bool { return errors.As(err, target) }

// TestThrottleConcurrentBurst: 300 wrong passwords at once from one
// address check at most the pair's budget of passwords: the rest are
// refused before any hashing, however they interleave.
func TestThrottleConcurrentBurst(t *testing.T) {
	e := newIdentity(t, ServiceOptions{})
	e.user(t, arca.DefaultTenant, "alice", arca.RoleViewer)
	var checked, throttled atomic.Int64
	var wg sync.WaitGroup
	for range 300 {
		wg.Go(func() {
			_, _, _, err := e.svc.Login(e.ctx, "alice", "not the password", "198.51.100.7")
			switch arca.ErrorCode(err) {
			case arca.CodeUnauthenticated:
				checked.Add(1)
			case arca.CodeResourceExhausted:
				throttled.Add(1)
			default:
				t.Errorf("wrong password: %v", err)
			}
		})
	}
	wg.Wait()
	if c := checked.Load(); c > 10 || c+throttled.Load() != 300 {
		t.Errorf("300 concurrent wrong passwords: %d checked, %d throttled; want at most 10 checked", c, throttled.Load())
	}
	if _, _, _, err := e.svc.Login(e.ctx, "alice", goodPassword, "203.0.113.9"); err != nil {
		t.Errorf("the right password from another address: %v", err)
	}
}
