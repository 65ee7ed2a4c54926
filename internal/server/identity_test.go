package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/serverapi"
)

func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %T from %d %s: %v", v, w.Code, w.Body, err)
	}
	return v
}

func (e *matrixEnv) doFrom(addr, method, path, token, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = addr
	r.Header.Set("Content-Type", "application/json")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, r)
	return w
}

// TestLoginThrottleOverHTTP: a burst of 1,000 wrong passwords from one
// client is answered 429 with Retry-After, and the right user still gets in
// from another address.
func TestLoginThrottleOverHTTP(t *testing.T) {
	e := newMatrix(t)
	admin := e.credential(arca.DefaultTenant, arca.RoleAdmin)
	w := e.do("POST", "/api/v1/users", admin, `{"username":"alice","password":"correct horse battery staple","roles":["operator"]}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("create user: %d %s", w.Code, w.Body)
	}
	codes := map[int]int{}
	var retry string
	for i := range 1000 {
		w := e.doFrom("198.51.100.7:1000", "POST", loginPath, "", fmt.Sprintf(`{"username":"alice","password":"guess number %d"}`, i))
		codes[w.Code]++
		if w.Code == http.StatusTooManyRequests {
			retry = w.Header().Get("Retry-After")
		}
	}
	if codes[http.StatusTooManyRequests] < 990 || codes[http.StatusUnauthorized] > 10 || len(codes) != 2 || retry == "" {
		t.Errorf("1,000 wrong passwords: statuses %v, Retry-After %q; want 429 with Retry-After after at most 10 tries", codes, retry)
	}
	w = e.doFrom("203.0.113.9:2000", "POST", loginPath, "", `{"username":"alice","password":"correct horse battery staple"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("the right user from another address: %d %s", w.Code, w.Body)
	}
	s := decode[serverapi.Session](t, w)
	if w := e.do("GET", "/api/v1/whoami", s.Token, ""); w.Code != http.StatusOK || decode[serverapi.Principal](t, w).Name != "alice" {
		t.Errorf("whoami with the session: %d %s", w.Code, w.Body)
	}
	audit := decode[serverapi.AuditList](t, e.do("GET", "/api/v1/audit?action=session.create", admin, ""))
	if n := len(audit.Items); n < 2 || n > 12 {
		t.Errorf("audited logins: %d, want the checked ones only (throttled ones are not recorded)", n)
	}
}

// TestAuditRecordsStateChanges: every state-changing request leaves an
// entry with who, tenant, action, target, status, request id and address;
// reads leave none; tenant admins read their tenant's entries only.
func TestAuditRecordsStateChanges(t *testing.T) {
	e := newMatrix(t)
	admin := e.credential(arca.DefaultTenant, arca.RoleAdmin)
	ta := e.credential("acme", arca.RoleTenantAdmin)
	viewer := e.credential("acme", arca.RoleViewer)
	r := httptest.NewRequest("POST", "/api/v1/users", strings.NewReader(`{"username":"bob","password":"correct horse battery staple","roles":["viewer"]}`))
	r.Header.Set("Authorization", "Bearer "+ta)
	r.Header.Set("X-Request-ID", "req-42")
	r.RemoteAddr = "192.0.2.55:999"
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, r)
	if w.Code != http.StatusCreated {
		t.Fatalf("create user: %d %s", w.Code, w.Body)
	}
	e.do("GET", "/api/v1/users", ta, "")                       // a read: not audited
	e.do("POST", "/api/v1/tenants", ta, `{"id":"nope"}`)       // denied: audited as 403
	e.do("POST", "/api/v1/tenants", admin, `{"id":"initech"}`) // another tenant's entry
	list := decode[serverapi.AuditList](t, e.do("GET", "/api/v1/audit", ta, ""))
	var got []string
	for _, en := range list.Items {
		if en.Tenant != "acme" {
			t.Errorf("tenant admin of acme sees an entry of %q", en.Tenant)
		}
		got = append(got, fmt.Sprintf("%s %s %s %d", en.Method, en.Target, en.Action, en.Status))
	}
	want := []string{"POST /api/v1/tenants tenant.write 403", "POST /api/v1/users user.write 201"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("audit of acme (-want +got):\n%s", d)
	}
	if n := len(list.Items); n == 2 {
		en := list.Items[1]
		if en.RequestID != "req-42" || en.RemoteAddr != "192.0.2.55" || en.PrincipalKind != "token" || en.PrincipalID == "" {
			t.Errorf("entry: %+v; want request id, address and principal", en)
		}
	}
	all := decode[serverapi.AuditList](t, e.do("GET", "/api/v1/audit?limit=1", admin, ""))
	if len(all.Items) != 1 || all.Items[0].Target != "/api/v1/tenants" || all.Items[0].Status != http.StatusCreated || all.NextCursor == "" {
		t.Errorf("admin's first page: %+v", all)
	}
	page2 := decode[serverapi.AuditList](t, e.do("GET", "/api/v1/audit?limit=1&cursor="+all.NextCursor, admin, ""))
	if len(page2.Items) != 1 || page2.Items[0].Status != http.StatusForbidden {
		t.Errorf("admin's second page: %+v", page2)
	}
	if w := e.do("GET", "/api/v1/audit", viewer, ""); w.Code != http.StatusForbidden {
		t.Errorf("viewer reading the audit log: %d", w.Code)
	}
}

// TestListsScopedToTenant: users and tokens of another tenant never show
// in a tenant admin's lists; an admin sees every tenant's.
func TestListsScopedToTenant(t *testing.T) {
	e := newMatrix(t)
	ta := e.credential("acme", arca.RoleTenantAdmin)
	admin := e.credential(arca.DefaultTenant, arca.RoleAdmin)
	e.user("acme")
	e.user("globex")
	e.token("globex")
	users := decode[serverapi.UserList](t, e.do("GET", "/api/v1/users?tenant=globex", ta, ""))
	if len(users.Items) != 1 || users.Items[0].Tenant != "acme" {
		t.Errorf("tenant admin's users (asking for globex): %+v", users.Items)
	}
	tokens := decode[serverapi.TokenList](t, e.do("GET", "/api/v1/tokens", ta, ""))
	for _, tok := range tokens.Items {
		if tok.Tenant != "acme" {
			t.Errorf("tenant admin sees a token of %s", tok.Tenant)
		}
	}
	all := decode[serverapi.UserList](t, e.do("GET", "/api/v1/users", admin, ""))
	if len(all.Items) != 2 {
		t.Errorf("admin's users: %+v, want both tenants'", all.Items)
	}
	w := e.do("POST", "/api/v1/users", ta, `{"tenant":"globex","username":"mallory","password":"correct horse battery staple","roles":["viewer"]}`)
	if w.Code != http.StatusNotFound {
		t.Errorf("tenant admin creating a user in another tenant: %d %s, want 404", w.Code, w.Body)
	}
	w = e.do("POST", "/api/v1/users", ta, `{"username":"mallory","password":"correct horse battery staple","roles":["admin"]}`)
	if w.Code != http.StatusForbidden {
		t.Errorf("tenant admin creating an admin: %d %s, want 403", w.Code, w.Body)
	}
}

// TestSecretsNeverLeak: passwords, token secrets, session tokens and
// repository passwords sent to the server appear in no log line, no audit
// entry and no answer but the one that hands a new secret out.
func TestSecretsNeverLeak(t *testing.T) {
	e := newMatrix(t)
	admin := e.credential(arca.DefaultTenant, arca.RoleAdmin)
	const (
		password     = "Secret-Phrase-Of-A-9f3k"
		wrong        = "Wrong-Guess-Of-Mallory-77x1q"
		newPassword  = "Second-Phrase-Of-A-k2m9"
		repoPassword = "Repository-Phrase-z8q4"
		s3Secret     = "S3-Secret-Key-Value-w7p1"
	)
	var outputs []string
	record := func(w *httptest.ResponseRecorder) *httptest.ResponseRecorder {
		outputs = append(outputs, w.Body.String())
		for k, v := range w.Header() {
			outputs = append(outputs, k+": "+strings.Join(v, ","))
		}
		return w
	}
	w := record(e.do("POST", "/api/v1/users", admin, `{"tenant":"acme","username":"alice","password":"`+password+`","roles":["tenant-admin"]}`))
	u := decode[serverapi.User](t, w)
	record(e.do("POST", "/api/v1/users", admin, `{"username":"weak","password":"`+password[:8]+`","roles":["viewer"]}`))
	record(e.do("POST", loginPath, "", `{"username":"alice","password":"`+wrong+`"}`))
	w = e.do("POST", loginPath, "", `{"username":"alice","password":"`+password+`"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	session := decode[serverapi.Session](t, w).Token
	w = e.do("POST", "/api/v1/tokens", session, `{"name":"ci","roles":["operator"]}`)
	created := decode[serverapi.TokenCreated](t, w)
	if !strings.HasPrefix(created.Secret, "arca_") {
		t.Fatalf("token creation: %d %s", w.Code, w.Body)
	}
	record(e.do("GET", "/api/v1/tokens", session, ""))
	record(e.do("GET", "/api/v1/tokens/"+created.Token.ID, created.Secret, ""))
	record(e.do("PATCH", "/api/v1/users/"+u.ID, session, `{"password":"`+newPassword+`"}`))
	record(e.do("POST", "/api/v1/repositories", created.Secret, `{"name":"r","kind":"s3","endpoint":"127.0.0.1:1","bucket":"b","access_key":"AK","secret_key":"`+s3Secret+`","password":"`+repoPassword+`"}`))
	record(e.do("POST", "/api/v1/repositories", session, `{"name":"r2","kind":"local","path":"relative/oops","password":"`+repoPassword+`"}`))
	record(e.do("GET", "/api/v1/whoami", created.Secret[:len(created.Secret)-3]+"xyz", ""))
	record(e.do("DELETE", loginPath, session, ""))
	record(e.do("GET", "/api/v1/whoami", session, ""))
	audit := record(e.do("GET", "/api/v1/audit?limit=1000", admin, ""))
	if len(decode[serverapi.AuditList](t, audit).Items) < 5 {
		t.Fatalf("audit: %s", audit.Body)
	}
	tasks, _ := e.tasks.List(e.ctx, taskFilterAll())
	for _, tk := range tasks {
		b, _ := json.Marshal(wireTask(tk))
		outputs = append(outputs, string(b))
	}
	outputs = append(outputs, e.logs.String())
	secretOf := func(tok string) string { return tok[strings.LastIndex(tok, "_")+1:] }
	for name, secret := range map[string]string{"password": password, "wrong password": wrong, "new password": newPassword,
		"repository password": repoPassword, "S3 secret key": s3Secret, "token secret": secretOf(created.Secret),
		"session secret": secretOf(session)} {
		for _, out := range outputs {
			if strings.Contains(out, secret) {
				t.Errorf("the %s appears in an output: %.300s", name, out)
			}
		}
	}
}

func taskFilterAll() catalog.TaskFilter { return catalog.TaskFilter{} }

func TestAuditIDsIncrease(t *testing.T) {
	var a auditIDs
	now := time.Now()
	prev := ""
	for range 1000 {
		id := a.next(now)
		if id <= prev || !arca.ValidID(id) {
			t.Fatalf("id %q after %q: want a valid, greater id", id, prev)
		}
		prev = id
	}
	for in, want := range map[string]string{"0-09": "0-0a", "0-0f": "0-10", "1-ff": "2-00"} {
		if got := successor(in); got != want {
			t.Errorf("successor(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAuditTenantOfTarget: an admin's change to a tenant's user is in that
// tenant's audit log.
func TestAuditTenantOfTarget(t *testing.T) {
	e := newMatrix(t)
	admin := e.credential(arca.DefaultTenant, arca.RoleAdmin)
	ta := e.credential("acme", arca.RoleTenantAdmin)
	id := e.user("acme")
	if w := e.do("PATCH", "/api/v1/users/"+id, admin, `{"disabled":true}`); w.Code != http.StatusOK {
		t.Fatalf("disable: %d %s", w.Code, w.Body)
	}
	if w := e.do("POST", "/api/v1/users", admin, `{"tenant":"acme","username":"zed","password":"correct horse battery staple","roles":["viewer"]}`); w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	list := decode[serverapi.AuditList](t, e.do("GET", "/api/v1/audit", ta, ""))
	if len(list.Items) != 2 || list.Items[0].PrincipalName != "admin" || list.Items[1].Method != "PATCH" {
		t.Errorf("acme's audit log: %+v; want the admin's two changes", list.Items)
	}
}
