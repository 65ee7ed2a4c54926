package catalogtest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

var repositoryTests = []test{
	{"CRUD", testRepositoryCRUD},
	{"Defaults", testRepositoryDefaults},
	{"NameClash", testRepositoryNameClash},
	{"List", testRepositoryList},
	{"Refused", testRepositoryRefused},
	{"DeleteWithSources", testRepositoryDeleteWithSources},
	{"DeleteRace", testRepositoryDeleteRace},
}

// newRepo creates a local repository named name in tenant, with an id of
// the next tick (so ids sort in creation order), and returns it as stored.
func (e *env) newRepo(tenant, name string) arca.Repository {
	e.t.Helper()
	now := e.tick()
	r := arca.Repository{ID: arca.NewID(now), Tenant: tenant, Name: name, Kind: arca.RepositoryLocal,
		Path: "/srv/backup/" + name, Secret: []byte("sealed " + name), CreatedAt: now, UpdatedAt: now}
	if err := e.s.CreateRepository(e.ctx, r); err != nil {
		e.t.Fatalf("CreateRepository(%s): %v", name, err)
	}
	r.CreatedAt, r.UpdatedAt = utc(now), utc(now)
	return r
}

// repoIDs returns the ids of repositories (nil for none).
func repoIDs(rs []arca.Repository) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func testRepositoryCRUD(t *testing.T, open Opener) {
	e := newEnv(t, open)
	local := e.newRepo("acme", "nas")
	now := e.tick()
	s3 := arca.Repository{ID: arca.NewID(now), Tenant: "acme", Name: "offsite", Kind: arca.RepositoryS3,
		Endpoint: "s3.example.com:7070", Bucket: "backups", Prefix: "arca/acme", Region: "eu-west-1",
		Insecure: true, RepoID: "3f9a", Secret: []byte{0, 1, 2, 0xfe, 0xff}, CreatedAt: now, UpdatedAt: now}
	if err := e.s.CreateRepository(e.ctx, s3); err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}
	s3.CreatedAt, s3.UpdatedAt = utc(now), utc(now)
	for _, want := range []arca.Repository{local, s3} {
		got, err := e.s.GetRepository(e.ctx, want.ID)
		if err != nil {
			t.Fatalf("GetRepository(%s): %v", want.Name, err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("GetRepository(%s) (-want +got):\n%s", want.Name, d)
		}
		if got.CreatedAt.Location() != time.UTC || got.UpdatedAt.Location() != time.UTC {
			t.Errorf("repository times in %v and %v, want UTC", got.CreatedAt.Location(), got.UpdatedAt.Location())
		}
	}
	all, err := e.s.ListRepositories(e.ctx, catalog.ResourceFilter{})
	if err != nil {
		t.Fatalf("ListRepositories: %v", err)
	}
	if d := cmp.Diff([]arca.Repository{local, s3}, all); d != "" {
		t.Errorf("ListRepositories (-want +got):\n%s", d)
	}

	// Update changes the mutable fields; tenant and creation time stay.
	changed := s3
	changed.Tenant, changed.CreatedAt = "other", e.tick()
	changed.Name, changed.Bucket, changed.Prefix, changed.Region, changed.Insecure = "cloud", "b2", "", "", false
	changed.RepoID, changed.Secret, changed.UpdatedAt = "77aa", []byte("resealed"), e.tick()
	if err := e.s.UpdateRepository(e.ctx, changed); err != nil {
		t.Fatalf("UpdateRepository: %v", err)
	}
	want := changed
	want.Tenant, want.CreatedAt, want.UpdatedAt = s3.Tenant, s3.CreatedAt, utc(changed.UpdatedAt)
	if got, err := e.s.GetRepository(e.ctx, s3.ID); err != nil || cmp.Diff(want, got) != "" {
		t.Errorf("GetRepository after update: %v (-want +got):\n%s", err, cmp.Diff(want, got))
	}
	changed.Secret = nil
	if err := e.s.UpdateRepository(e.ctx, changed); err != nil {
		t.Fatalf("UpdateRepository: %v", err)
	}
	if got, err := e.s.GetRepository(e.ctx, s3.ID); err != nil || got.Secret != nil {
		t.Errorf("secret after an update without one = %q, %v; want nil", got.Secret, err)
	}

	if err := e.s.DeleteRepository(e.ctx, local.ID); err != nil {
		t.Fatalf("DeleteRepository: %v", err)
	}
	_, err = e.s.GetRepository(e.ctx, local.ID)
	wantError(t, err, arca.CodeNotFound, local.ID)
	wantError(t, e.s.DeleteRepository(e.ctx, local.ID), arca.CodeNotFound, local.ID)
	if all, err := e.s.ListRepositories(e.ctx, catalog.ResourceFilter{}); err != nil ||
		cmp.Diff([]string{s3.ID}, repoIDs(all)) != "" {
		t.Errorf("repositories left = %v, %v; want only %s", repoIDs(all), err, s3.ID)
	}
}

func testRepositoryDefaults(t *testing.T, open Opener) {
	e := newEnv(t, open)
	id := arca.NewID(e.tick())
	in := arca.Repository{ID: id, Name: "r", Kind: arca.RepositoryLocal, Path: "/r", Secret: []byte{}}
	if err := e.s.CreateRepository(e.ctx, in); err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}
	got, err := e.s.GetRepository(e.ctx, id)
	if err != nil {
		t.Fatalf("GetRepository: %v", err)
	}
	if got.Tenant != arca.DefaultTenant {
		t.Errorf("tenant = %q, want %q", got.Tenant, arca.DefaultTenant)
	}
	if got.CreatedAt.IsZero() || !got.UpdatedAt.Equal(got.CreatedAt) {
		t.Errorf("created %v, updated %v: want a creation time, and the update time equal to it", got.CreatedAt, got.UpdatedAt)
	}
	if got.Secret != nil {
		t.Errorf("an empty secret reads back as %#v, want nil", got.Secret)
	}
}

func testRepositoryNameClash(t *testing.T, open Opener) {
	e := newEnv(t, open)
	first := e.newRepo("acme", "nas")
	dup := first
	dup.ID, dup.Path = arca.NewID(e.tick()), "/elsewhere"
	err := e.s.CreateRepository(e.ctx, dup)
	wantError(t, err, arca.CodeAlreadyExists, `"nas"`)
	if !errors.Is(err, arca.ErrAlreadyExists) {
		t.Errorf("errors.Is(%v, arca.ErrAlreadyExists) = false", err)
	}
	sameID := first
	sameID.Name = "other name"
	wantError(t, e.s.CreateRepository(e.ctx, sameID), arca.CodeAlreadyExists, first.ID)

	// The same name in another tenant is another repository.
	e.newRepo("other", "nas")
	second := e.newRepo("acme", "tape")
	second.Name = "nas"
	wantError(t, e.s.UpdateRepository(e.ctx, second), arca.CodeAlreadyExists, `"nas"`)
	if got, err := e.s.GetRepository(e.ctx, second.ID); err != nil || got.Name != "tape" {
		t.Errorf("after a refused rename: name %q, %v; want \"tape\"", got.Name, err)
	}
	if got, err := e.s.GetRepository(e.ctx, first.ID); err != nil || cmp.Diff(first, got) != "" {
		t.Errorf("the first repository changed: %v (-want +got):\n%s", err, cmp.Diff(first, got))
	}
}

func testRepositoryList(t *testing.T, open Opener) {
	e := newEnv(t, open)
	var acme []string
	for i := range 7 {
		acme = append(acme, e.newRepo("acme", string(rune('a'+i))).ID)
		if i%3 == 0 {
			e.newRepo("other", string(rune('a'+i)))
		}
	}
	var got []string
	after := ""
	for range 10 {
		page, err := e.s.ListRepositories(e.ctx, catalog.ResourceFilter{Tenant: "acme", After: after, Limit: 3})
		if err != nil {
			t.Fatalf("ListRepositories: %v", err)
		}
		if len(page) > 3 {
			t.Fatalf("page of %d repositories with limit 3", len(page))
		}
		if len(page) == 0 {
			break
		}
		got = append(got, repoIDs(page)...)
		after = page[len(page)-1].ID
	}
	if d := cmp.Diff(acme, got); d != "" {
		t.Errorf("pages of tenant acme (-want +got):\n%s", d)
	}
	for _, tc := range []struct {
		f    catalog.ResourceFilter
		want int
	}{{catalog.ResourceFilter{}, 10}, {catalog.ResourceFilter{Tenant: "other"}, 3},
		{catalog.ResourceFilter{Tenant: "nobody"}, 0}, {catalog.ResourceFilter{After: acme[6]}, 1}, {catalog.ResourceFilter{Tenant: "acme", After: acme[6]}, 0}} {
		all, err := e.s.ListRepositories(e.ctx, tc.f)
		if err != nil || len(all) != tc.want {
			t.Errorf("ListRepositories(%+v) = %d repositories, %v; want %d", tc.f, len(all), err, tc.want)
		}
	}
}

func testRepositoryRefused(t *testing.T, open Opener) {
	e := newEnv(t, open)
	ok := arca.Repository{ID: arca.NewID(e.tick()), Name: "r", Kind: arca.RepositoryLocal, Path: "/r"}
	for _, tc := range []struct {
		name   string
		change func(r *arca.Repository)
	}{
		{"no id", func(r *arca.Repository) { r.ID = "" }},
		{"no name", func(r *arca.Repository) { r.Name = "" }},
		{"no kind", func(r *arca.Repository) { r.Kind = "" }},
		{"bad name", func(r *arca.Repository) { r.Name = "a\xffb" }},
		{"NUL in path", func(r *arca.Repository) { r.Path = "/a\x00b" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.change(&r)
			wantError(t, e.s.CreateRepository(e.ctx, r), arca.CodeInvalidArgument)
		})
	}
	all, err := e.s.ListRepositories(e.ctx, catalog.ResourceFilter{})
	if err != nil || len(all) != 0 {
		t.Errorf("after refused creates: %d repositories, %v", len(all), err)
	}
	_, err = e.s.GetRepository(e.ctx, ok.ID)
	wantError(t, err, arca.CodeNotFound, ok.ID)
	wantError(t, e.s.UpdateRepository(e.ctx, ok), arca.CodeNotFound, ok.ID)
}

func testRepositoryDeleteWithSources(t *testing.T, open Opener) {
	e := newEnv(t, open)
	r := e.newRepo("acme", "nas")
	keep := e.newRepo("acme", "tape")
	s1, s2 := e.newSource(r, "home"), e.newSource(r, "etc")
	e.newSource(keep, "var")
	e.put(snap(r, s1, "one", e.tick()))
	kept := e.put(snap(keep, s1, "two", e.tick()))

	err := e.s.DeleteRepository(e.ctx, r.ID)
	wantError(t, err, arca.CodeNotAllowedInState, r.ID, "2 sources")
	if !errors.Is(err, arca.ErrNotAllowed) {
		t.Errorf("errors.Is(%v, arca.ErrNotAllowed) = false", err)
	}
	if err := e.s.DeleteSource(e.ctx, s2.ID); err != nil {
		t.Fatalf("DeleteSource: %v", err)
	}
	wantError(t, e.s.DeleteRepository(e.ctx, r.ID), arca.CodeNotAllowedInState, "1 source ")
	if _, err := e.s.GetRepository(e.ctx, r.ID); err != nil {
		t.Fatalf("a refused delete deleted the repository: %v", err)
	}
	if err := e.s.DeleteSource(e.ctx, s1.ID); err != nil {
		t.Fatalf("DeleteSource: %v", err)
	}
	if err := e.s.DeleteRepository(e.ctx, r.ID); err != nil {
		t.Fatalf("DeleteRepository with no sources left: %v", err)
	}
	// Its cached snapshots went with it; another repository's stayed.
	got, next, err := e.s.ListSnapshots(e.ctx, catalog.SnapshotFilter{})
	if err != nil || next != "" {
		t.Fatalf("ListSnapshots: next %q, %v", next, err)
	}
	if d := cmp.Diff([]arca.Snapshot{kept}, got); d != "" {
		t.Errorf("snapshots left after deleting a repository (-want +got):\n%s", d)
	}
}

// testRepositoryDeleteRace deletes a repository while sources for it are
// being created: either the delete wins and every create finds no
// repository, or it is refused naming the sources that got in first. No
// source is ever left targeting a deleted repository, and every error is
// an arca error.
func testRepositoryDeleteRace(t *testing.T, open Opener) {
	e := newEnv(t, open)
	for round := range 4 {
		r := e.newRepo("acme", fmt.Sprint("r", round))
		const creators = 6
		srcs := make([]arca.Source, creators)
		for i := range srcs {
			srcs[i] = arca.Source{ID: arca.NewID(e.tick()), Tenant: "acme", Name: fmt.Sprintf("s%d-%d", round, i),
				Kind: arca.SourceFS, RepositoryID: r.ID}
		}
		errs := make([]error, creators+1)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range srcs {
			wg.Go(func() {
				<-start
				errs[i] = e.s.CreateSource(e.ctx, srcs[i])
			})
		}
		wg.Go(func() {
			<-start
			errs[creators] = e.s.DeleteRepository(e.ctx, r.ID)
		})
		close(start)
		wg.Wait()
		created := 0
		for i, err := range errs[:creators] {
			switch {
			case err == nil:
				created++
			case !errors.Is(err, arca.ErrNotFound):
				t.Errorf("round %d: CreateSource %d = %v, want nil or NOT_FOUND", round, i, err)
			}
		}
		left, err := e.s.ListSources(e.ctx, catalog.SourceFilter{RepositoryID: r.ID})
		if err != nil {
			t.Fatal(err)
		}
		_, getErr := e.s.GetRepository(e.ctx, r.ID)
		switch del := errs[creators]; {
		case del == nil:
			if created != 0 || len(left) != 0 || !isNotFound(getErr) {
				t.Errorf("round %d: repository deleted, yet %d sources created, %d left, get %v", round, created, len(left), getErr)
			}
		case errors.Is(del, arca.ErrNotAllowed):
			if created == 0 || len(left) != created || getErr != nil {
				t.Errorf("round %d: delete refused (%v), %d sources created, %d left, get %v", round, del, created, len(left), getErr)
			}
		default:
			t.Errorf("round %d: DeleteRepository = %v, want nil or NOT_ALLOWED", round, del)
		}
	}
}
