package catalogtest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

var auditTests = []test{
	{"AppendList", testAuditAppendList},
}

func testAuditAppendList(t *testing.T, open Opener) {
	e := newEnv(t, open)
	var all []arca.AuditEntry
	for i, x := range []struct{ tenant, who, action string }{
		{"acme", "u1", "repository.write"}, {"globex", "u2", "task.cancel"},
		{"acme", "u1", "task.cancel"}, {"acme", "u3", "repository.write"},
	} {
		en := arca.AuditEntry{ID: arca.NewID(e.tick()), Time: e.now, Tenant: x.tenant, PrincipalID: x.who,
			PrincipalKind: arca.PrincipalUser, PrincipalName: "name-" + x.who, Action: x.action, Method: "POST",
			Target: "/api/v1/x/" + string(rune('a'+i)), Status: 200 + i, RequestID: "req", RemoteAddr: "192.0.2.1"}
		if err := e.s.AppendAudit(e.ctx, en); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
		en.Time = utc(en.Time)
		all = append(all, en)
	}
	rev := func(idx ...int) []arca.AuditEntry {
		out := []arca.AuditEntry{}
		for _, i := range idx {
			out = append(out, all[i])
		}
		return out
	}
	tests := []struct {
		name string
		f    catalog.AuditFilter
		want []arca.AuditEntry
	}{
		{"all, newest first", catalog.AuditFilter{}, rev(3, 2, 1, 0)},
		{"tenant", catalog.AuditFilter{Tenant: "acme"}, rev(3, 2, 0)},
		{"principal", catalog.AuditFilter{Principal: "u1"}, rev(2, 0)},
		{"action", catalog.AuditFilter{Action: "task.cancel"}, rev(2, 1)},
		{"page", catalog.AuditFilter{Before: all[2].ID, Limit: 1}, rev(1)},
		{"since", catalog.AuditFilter{Since: all[2].Time}, rev(3, 2)},
		{"until", catalog.AuditFilter{Until: all[1].Time}, rev(0)},
		{"none", catalog.AuditFilter{Tenant: "nobody"}, rev()},
	}
	for _, tt := range tests {
		got, err := e.s.ListAudit(e.ctx, tt.f)
		if d := cmp.Diff(tt.want, got); err != nil || d != "" {
			t.Errorf("%s: %v (-want +got):\n%s", tt.name, err, d)
		}
	}
	// An entry without id or time gets both.
	if err := e.s.AppendAudit(e.ctx, arca.AuditEntry{Action: "x", Status: 401}); err != nil {
		t.Fatalf("AppendAudit(minimal): %v", err)
	}
	got, err := e.s.ListAudit(e.ctx, catalog.AuditFilter{Action: "x"})
	if err != nil || len(got) != 1 || !arca.ValidID(got[0].ID) || time.Since(got[0].Time) > time.Hour {
		t.Errorf("minimal entry: %+v, %v", got, err)
	}
}
