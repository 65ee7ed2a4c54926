package catalogtest

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

var sourceTests = []test{
	{"CRUD", testSourceCRUD},
	{"MissingRepository", testSourceMissingRepository},
	{"NameClash", testSourceNameClash},
	{"GetSources", testSourceGetSources},
	{"List", testSourceList},
	{"Refused", testSourceRefused},
}

// newSource creates an fs source named name in r's tenant, targeting r,
// with an id of the next tick, and returns it as stored.
func (e *env) newSource(r arca.Repository, name string) arca.Source {
	e.t.Helper()
	now := e.tick()
	s := arca.Source{ID: arca.NewID(now), Tenant: r.Tenant, Name: name, Kind: arca.SourceFS, RepositoryID: r.ID,
		Settings: json.RawMessage(`{"paths":["/` + name + `"]}`), CreatedAt: now, UpdatedAt: now}
	if err := e.s.CreateSource(e.ctx, s); err != nil {
		e.t.Fatalf("CreateSource(%s): %v", name, err)
	}
	s.CreatedAt, s.UpdatedAt = utc(now), utc(now)
	return s
}

// sourceIDs returns the ids of sources (nil for none).
func sourceIDs(ss []arca.Source) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.ID)
	}
	return out
}

func testSourceCRUD(t *testing.T, open Opener) {
	e := newEnv(t, open)
	r1, r2 := e.newRepo("acme", "nas"), e.newRepo("acme", "tape")
	now := e.tick()
	// Settings are kept byte for byte (key order, spacing).
	in := arca.Source{ID: arca.NewID(now), Tenant: "acme", Name: "db", Kind: arca.SourcePostgres, RepositoryID: r1.ID,
		Settings:  json.RawMessage(`{"url": "postgres://db/app",  "a": [1, 2]}`),
		Secret:    []byte{0, 0xff, 1},
		CreatedAt: now, UpdatedAt: now}
	if err := e.s.CreateSource(e.ctx, in); err != nil {
		t.Fatalf("CreateSource: %v", err)
	}
	want := in
	want.CreatedAt, want.UpdatedAt = utc(now), utc(now)
	got, err := e.s.GetSource(e.ctx, in.ID)
	if err != nil {
		t.Fatalf("GetSource: %v", err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("GetSource (-want +got):\n%s", d)
	}
	bare := arca.Source{ID: arca.NewID(e.tick()), Tenant: "acme", Name: "bare", Kind: arca.SourceFS, RepositoryID: r1.ID}
	if err := e.s.CreateSource(e.ctx, bare); err != nil {
		t.Fatalf("CreateSource without settings: %v", err)
	}
	if got, err := e.s.GetSource(e.ctx, bare.ID); err != nil || got.Settings != nil || got.Secret != nil || got.CreatedAt.IsZero() {
		t.Errorf("source without settings = %+v, %v; want nil settings and secret, a creation time", got, err)
	}

	// Update: name, repository, settings, secret, update time; tenant,
	// kind and creation time stay.
	changed := want
	changed.Tenant, changed.Kind, changed.CreatedAt = "other", arca.SourceMySQL, e.tick()
	changed.Name, changed.RepositoryID = "database", r2.ID
	changed.Settings, changed.Secret, changed.UpdatedAt = json.RawMessage(`{"url":"postgres://db2/app"}`), nil, e.tick()
	if err := e.s.UpdateSource(e.ctx, changed); err != nil {
		t.Fatalf("UpdateSource: %v", err)
	}
	want2 := changed
	want2.Tenant, want2.Kind, want2.CreatedAt, want2.UpdatedAt = want.Tenant, want.Kind, want.CreatedAt, utc(changed.UpdatedAt)
	if got, err := e.s.GetSource(e.ctx, in.ID); err != nil || cmp.Diff(want2, got) != "" {
		t.Errorf("GetSource after update: %v (-want +got):\n%s", err, cmp.Diff(want2, got))
	}

	// Deleting a source keeps its cached snapshots.
	kept := e.put(snap(r2, want2, "one", e.tick()))
	if err := e.s.DeleteSource(e.ctx, in.ID); err != nil {
		t.Fatalf("DeleteSource: %v", err)
	}
	_, err = e.s.GetSource(e.ctx, in.ID)
	wantError(t, err, arca.CodeNotFound, in.ID)
	wantError(t, e.s.DeleteSource(e.ctx, in.ID), arca.CodeNotFound, in.ID)
	wantError(t, e.s.UpdateSource(e.ctx, changed), arca.CodeNotFound, in.ID)
	if got, err := e.s.GetSnapshot(e.ctx, kept.ID); err != nil || cmp.Diff(kept, got) != "" {
		t.Errorf("snapshot of a deleted source: %v (-want +got):\n%s", err, cmp.Diff(kept, got))
	}
}

func testSourceMissingRepository(t *testing.T, open Opener) {
	e := newEnv(t, open)
	theirs := e.newRepo("other", "nas")
	ours := e.newRepo("acme", "nas")
	missing := arca.NewID(e.tick())
	for _, tc := range []struct{ name, repo string }{{"unknown", missing}, {"other tenant", theirs.ID}} {
		t.Run(tc.name, func(t *testing.T) {
			s := arca.Source{ID: arca.NewID(e.tick()), Tenant: "acme", Name: "s", Kind: arca.SourceFS, RepositoryID: tc.repo}
			err := e.s.CreateSource(e.ctx, s)
			wantError(t, err, arca.CodeNotFound, tc.repo)
			if !errors.Is(err, arca.ErrNotFound) {
				t.Errorf("errors.Is(%v, arca.ErrNotFound) = false", err)
			}
			if _, err := e.s.GetSource(e.ctx, s.ID); !isNotFound(err) {
				t.Errorf("a refused source was stored: %v", err)
			}
			moved := e.newSource(ours, "moved-"+tc.name)
			moved.RepositoryID = tc.repo
			wantError(t, e.s.UpdateSource(e.ctx, moved), arca.CodeNotFound, tc.repo)
			if got, err := e.s.GetSource(e.ctx, moved.ID); err != nil || got.RepositoryID != ours.ID {
				t.Errorf("after a refused move the source targets %s, %v; want %s", got.RepositoryID, err, ours.ID)
			}
		})
	}
}

func testSourceNameClash(t *testing.T, open Opener) {
	e := newEnv(t, open)
	r := e.newRepo("acme", "nas")
	first := e.newSource(r, "home")
	dup := first
	dup.ID = arca.NewID(e.tick())
	err := e.s.CreateSource(e.ctx, dup)
	wantError(t, err, arca.CodeAlreadyExists, `"home"`)
	if !errors.Is(err, arca.ErrAlreadyExists) {
		t.Errorf("errors.Is(%v, arca.ErrAlreadyExists) = false", err)
	}
	sameID := first
	sameID.Name = "elsewhere"
	wantError(t, e.s.CreateSource(e.ctx, sameID), arca.CodeAlreadyExists, first.ID)

	e.newSource(e.newRepo("other", "nas"), "home") // another tenant: no clash
	second := e.newSource(r, "etc")
	second.Name = "home"
	wantError(t, e.s.UpdateSource(e.ctx, second), arca.CodeAlreadyExists, `"home"`)
	if got, err := e.s.GetSource(e.ctx, second.ID); err != nil || got.Name != "etc" {
		t.Errorf("after a refused rename: name %q, %v; want \"etc\"", got.Name, err)
	}
	if got, err := e.s.GetSource(e.ctx, first.ID); err != nil || cmp.Diff(first, got) != "" {
		t.Errorf("the first source changed: %v (-want +got):\n%s", err, cmp.Diff(first, got))
	}
}

func testSourceGetSources(t *testing.T, open Opener) {
	e := newEnv(t, open)
	r := e.newRepo("acme", "nas")
	a, b, c := e.newSource(r, "a"), e.newSource(r, "b"), e.newSource(r, "c")
	got, err := e.s.GetSources(e.ctx, []string{c.ID, a.ID, b.ID, a.ID})
	if err != nil {
		t.Fatalf("GetSources: %v", err)
	}
	if d := cmp.Diff([]arca.Source{c, a, b, a}, got); d != "" {
		t.Errorf("GetSources, in the order asked (-want +got):\n%s", d)
	}
	if got, err := e.s.GetSources(e.ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("GetSources(nil) = %v, %v; want none", got, err)
	}
	m1, m2 := arca.NewID(e.tick()), arca.NewID(e.tick())
	_, err = e.s.GetSources(e.ctx, []string{a.ID, m1, b.ID, m2})
	ae := wantError(t, err, arca.CodeNotFound, m1)
	if ae.Details["id"] != m1 {
		t.Errorf("Details[id] = %q, want the first missing id %s", ae.Details["id"], m1)
	}
}

func testSourceList(t *testing.T, open Opener) {
	e := newEnv(t, open)
	r1, r2, theirs := e.newRepo("acme", "nas"), e.newRepo("acme", "tape"), e.newRepo("other", "nas")
	a, b := e.newSource(r1, "a"), e.newSource(r2, "b")
	o := e.newSource(theirs, "o")
	c := e.newSource(r1, "c")
	db := arca.Source{ID: arca.NewID(e.tick()), Tenant: "acme", Name: "db", Kind: arca.SourceSQLite, RepositoryID: r2.ID}
	if err := e.s.CreateSource(e.ctx, db); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    catalog.SourceFilter
		want []string
	}{
		{"all", catalog.SourceFilter{}, []string{a.ID, b.ID, o.ID, c.ID, db.ID}},
		{"tenant", catalog.SourceFilter{ResourceFilter: catalog.ResourceFilter{Tenant: "acme"}}, []string{a.ID, b.ID, c.ID, db.ID}},
		{"other tenant", catalog.SourceFilter{ResourceFilter: catalog.ResourceFilter{Tenant: "other"}}, []string{o.ID}},
		{"repository", catalog.SourceFilter{RepositoryID: r1.ID}, []string{a.ID, c.ID}},
		{"kind", catalog.SourceFilter{Kind: arca.SourceSQLite}, []string{db.ID}},
		{"combined", catalog.SourceFilter{ResourceFilter: catalog.ResourceFilter{Tenant: "acme"},
			RepositoryID: r2.ID, Kind: arca.SourceFS}, []string{b.ID}},
		{"after", catalog.SourceFilter{ResourceFilter: catalog.ResourceFilter{After: b.ID, Limit: 2}}, []string{o.ID, c.ID}},
		{"tenant and repository of another", catalog.SourceFilter{ResourceFilter: catalog.ResourceFilter{Tenant: "acme"},
			RepositoryID: theirs.ID}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.s.ListSources(e.ctx, tc.f)
			if err != nil {
				t.Fatalf("ListSources: %v", err)
			}
			if d := cmp.Diff(tc.want, sourceIDs(got)); d != "" {
				t.Errorf("ListSources(%+v) (-want +got):\n%s", tc.f, d)
			}
		})
	}
	got, err := e.s.ListSources(e.ctx, catalog.SourceFilter{RepositoryID: r2.ID, Kind: arca.SourceFS})
	if err != nil || cmp.Diff([]arca.Source{b}, got) != "" {
		t.Errorf("listed source: %v (-want +got):\n%s", err, cmp.Diff([]arca.Source{b}, got))
	}
}

func testSourceRefused(t *testing.T, open Opener) {
	e := newEnv(t, open)
	r := e.newRepo("acme", "nas")
	ok := arca.Source{ID: arca.NewID(e.tick()), Tenant: "acme", Name: "s", Kind: arca.SourceFS, RepositoryID: r.ID}
	for _, tc := range []struct {
		name   string
		change func(s *arca.Source)
	}{
		{"no id", func(s *arca.Source) { s.ID = "" }},
		{"no name", func(s *arca.Source) { s.Name = "" }},
		{"no kind", func(s *arca.Source) { s.Kind = "" }},
		{"no repository", func(s *arca.Source) { s.RepositoryID = "" }},
		{"settings not JSON", func(s *arca.Source) { s.Settings = json.RawMessage(`{"paths":`) }},
		{"bad name", func(s *arca.Source) { s.Name = "\xff" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			tc.change(&s)
			wantError(t, e.s.CreateSource(e.ctx, s), arca.CodeInvalidArgument)
			wantError(t, e.s.UpdateSource(e.ctx, s), arca.CodeInvalidArgument)
		})
	}
	all, err := e.s.ListSources(e.ctx, catalog.SourceFilter{})
	if err != nil || len(all) != 0 {
		t.Errorf("after refused creates: %d sources, %v", len(all), err)
	}
}
