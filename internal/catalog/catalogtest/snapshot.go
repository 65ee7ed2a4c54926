package catalogtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

var snapshotTests = []test{
	{"PutGet", testSnapshotPutGet},
	{"PutRefused", testSnapshotPutRefused},
	{"Filters", testSnapshotFilters},
	{"TagChanges", testSnapshotTagChanges},
	{"Paging", testSnapshotPaging},
	{"PagingSameID", testSnapshotPagingSameID},
	{"DefaultLimit", testSnapshotDefaultLimit},
	{"BadCursorOrPrefix", testSnapshotBadCursor},
	{"Delete", testSnapshotDelete},
	{"Replace", testSnapshotReplace},
	{"ReplaceAtomic", testSnapshotReplaceAtomic},
	{"ReplaceRace", testSnapshotReplaceRace},
}

// snapID is the 64-hex-digit snapshot id that name stands for.
func snapID(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

// snap is a snapshot named name (its id is snapID(name)) of source src in
// repository r, taken at t.
func snap(r arca.Repository, src arca.Source, name string, t time.Time) arca.Snapshot {
	return arca.Snapshot{ID: snapID(name), Tenant: r.Tenant, RepositoryID: r.ID, SourceID: src.ID,
		SourceKind: src.Kind, Time: t, Hostname: "host", Paths: []string{"/" + name}, Tree: snapID("tree " + name)}
}

// put caches s and returns it as the catalog returns it.
func (e *env) put(s arca.Snapshot) arca.Snapshot {
	e.t.Helper()
	if err := e.s.PutSnapshot(e.ctx, s); err != nil {
		e.t.Fatalf("PutSnapshot(%s): %v", s.ID, err)
	}
	s.Time = utc(s.Time)
	return s
}

// snapIDs returns the ids of snaps (nil for none).
func snapIDs(snaps []arca.Snapshot) []string {
	var out []string
	for _, s := range snaps {
		out = append(out, s.ID)
	}
	return out
}

// listAll pages through the snapshots that match f, limit per page, and
// returns them all; it fails the test if a page is too long or the pages
// do not end.
func (e *env) listAll(f catalog.SnapshotFilter, limit int) []arca.Snapshot {
	e.t.Helper()
	var all []arca.Snapshot
	f.Limit = limit
	for range 1000 {
		page, next, err := e.s.ListSnapshots(e.ctx, f)
		if err != nil {
			e.t.Fatalf("ListSnapshots(%+v): %v", f, err)
		}
		if len(page) > limit {
			e.t.Fatalf("page of %d snapshots with limit %d", len(page), limit)
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		if len(page) == 0 {
			e.t.Fatalf("empty page with a next cursor %q", next)
		}
		f.After = next
	}
	e.t.Fatalf("ListSnapshots(%+v) pages do not end", f)
	return nil
}

func testSnapshotPutGet(t *testing.T, open Opener) {
	e := newEnv(t, open)
	r := e.newRepo("acme", "nas")
	src := e.newSource(r, "home")
	in := arca.Snapshot{ID: snapID("full"), RepositoryID: r.ID, SourceID: src.ID, SourceKind: arca.SourceFS,
		Time: base.Add(1500 * time.Nanosecond), Hostname: "web-1", Paths: []string{"/home", "/etc"},
		Tags: []string{"daily", "weekly"}, CopyOnly: true, Tree: snapID("tree"), Parent: snapID("parent"),
		Digest: "sha256:" + snapID("digest"), TaskID: arca.NewID(e.tick()),
		Stats:  json.RawMessage(`{"files_new": 3,  "bytes_added": 1024}`),
		Labels: map[string]string{"env": "prod", "unicode": "ünïcødé"}}
	if err := e.s.PutSnapshot(e.ctx, in); err != nil {
		t.Fatalf("PutSnapshot: %v", err)
	}
	// The tenant is the repository's; the time is kept to the microsecond.
	want := in
	want.Tenant, want.Time = "acme", utc(in.Time)
	got, err := e.s.GetSnapshot(e.ctx, in.ID)
	if err != nil {
		t.Fatalf("GetSnapshot: %v", err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("GetSnapshot (-want +got):\n%s", d)
	}
	if got.Time.Location() != time.UTC {
		t.Errorf("snapshot time in %v, want UTC", got.Time.Location())
	}

	// Put again replaces it.
	again := want
	again.Tags, again.Labels, again.Stats, again.CopyOnly, again.Paths = []string{"monthly"}, nil, nil, false, nil
	if err := e.s.PutSnapshot(e.ctx, again); err != nil {
		t.Fatalf("PutSnapshot again: %v", err)
	}
	if got, err := e.s.GetSnapshot(e.ctx, in.ID); err != nil || cmp.Diff(again, got) != "" {
		t.Errorf("GetSnapshot after a second put: %v (-want +got):\n%s", err, cmp.Diff(again, got))
	}
	all, _, err := e.s.ListSnapshots(e.ctx, catalog.SnapshotFilter{})
	if err != nil || len(all) != 1 {
		t.Errorf("after two puts of one snapshot: %d cached, %v; want 1", len(all), err)
	}

	_, err = e.s.GetSnapshot(e.ctx, snapID("missing"))
	wantError(t, err, arca.CodeNotFound, snapID("missing"))
	_, err = e.s.GetSnapshot(e.ctx, in.ID[:8])
	wantError(t, err, arca.CodeNotFound)
}

func testSnapshotPutRefused(t *testing.T, open Opener) {
	e := newEnv(t, open)
	r := e.newRepo("acme", "nas")
	src := e.newSource(r, "home")
	ok := snap(r, src, "s", e.tick())
	tests := []struct {
		name   string
		change func(s *arca.Snapshot)
		code   arca.Code
	}{
		{"unknown repository", func(s *arca.Snapshot) { s.RepositoryID = arca.NewID(e.now) }, arca.CodeNotFound},
		{"no repository", func(s *arca.Snapshot) { s.RepositoryID = "" }, arca.CodeInvalidArgument},
		{"no id", func(s *arca.Snapshot) { s.ID = "" }, arca.CodeInvalidArgument},
		{"no tree", func(s *arca.Snapshot) { s.Tree = "" }, arca.CodeInvalidArgument},
		{"other tenant", func(s *arca.Snapshot) { s.Tenant = "other" }, arca.CodeInvalidArgument},
		{"stats not JSON", func(s *arca.Snapshot) { s.Stats = json.RawMessage(`{`) }, arca.CodeInvalidArgument},
		{"tag not text", func(s *arca.Snapshot) { s.Tags = []string{"a\x00b"} }, arca.CodeInvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			tc.change(&s)
			wantError(t, e.s.PutSnapshot(e.ctx, s), tc.code)
		})
	}
	all, _, err := e.s.ListSnapshots(e.ctx, catalog.SnapshotFilter{})
	if err != nil || len(all) != 0 {
		t.Errorf("after refused puts: %d snapshots, %v", len(all), err)
	}
}

func testSnapshotFilters(t *testing.T, open Opener) {
	e := newEnv(t, open)
	r1, r2, theirs := e.newRepo("acme", "nas"), e.newRepo("acme", "tape"), e.newRepo("other", "nas")
	home, etc, their := e.newSource(r1, "home"), e.newSource(r2, "etc"), e.newSource(theirs, "home")
	t0 := base.Add(time.Hour)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	mk := func(r arca.Repository, src arca.Source, name string, h int, tags ...string) string {
		s := snap(r, src, name, at(h))
		s.Tags = tags
		return e.put(s).ID
	}
	a := mk(r1, home, "a", 0, "daily")
	b := mk(r1, home, "b", 1, "daily-2", "weekly")
	c := mk(r2, etc, "c", 2, "dail", `we"ird`)
	d := mk(r2, etc, "d", 3, "weekly", "daily")
	o := mk(theirs, their, "o", 4, "daily")
	n := mk(r1, arca.Source{}, "n", 5) // not made by a source of this catalog

	tests := []struct {
		name string
		f    catalog.SnapshotFilter
		want []string
	}{
		{"all, newest first", catalog.SnapshotFilter{}, []string{n, o, d, c, b, a}},
		{"tenant", catalog.SnapshotFilter{Tenant: "acme"}, []string{n, d, c, b, a}},
		{"other tenant", catalog.SnapshotFilter{Tenant: "other"}, []string{o}},
		{"repository", catalog.SnapshotFilter{RepositoryID: r2.ID}, []string{d, c}},
		{"source", catalog.SnapshotFilter{SourceID: home.ID}, []string{b, a}},
		{"tag, exact", catalog.SnapshotFilter{Tag: "daily"}, []string{o, d, a}},
		{"tag, other", catalog.SnapshotFilter{Tag: "weekly"}, []string{d, b}},
		{"tag, a prefix of others", catalog.SnapshotFilter{Tag: "dail"}, []string{c}},
		{"tag with a quote", catalog.SnapshotFilter{Tag: `we"ird`}, []string{c}},
		{"tag, none", catalog.SnapshotFilter{Tag: "aily"}, nil},
		{"since, inclusive", catalog.SnapshotFilter{Since: at(3)}, []string{n, o, d}},
		{"until, exclusive", catalog.SnapshotFilter{Until: at(2)}, []string{b, a}},
		{"since and until", catalog.SnapshotFilter{Since: at(1), Until: at(4)}, []string{d, c, b}},
		{"until in another zone", catalog.SnapshotFilter{Until: at(1).In(time.FixedZone("X", -5*3600))}, []string{a}},
		{"combined", catalog.SnapshotFilter{Tenant: "acme", Tag: "daily", Since: at(1)}, []string{d}},
		{"tenant and repository of another", catalog.SnapshotFilter{Tenant: "acme", RepositoryID: theirs.ID}, nil},
		{"id prefix", catalog.SnapshotFilter{IDPrefix: c[:10]}, []string{c}},
		{"whole id as prefix", catalog.SnapshotFilter{IDPrefix: d}, []string{d}},
		{"id prefix and tenant", catalog.SnapshotFilter{IDPrefix: o[:10], Tenant: "acme"}, nil},
	}
	// One hex digit: every snapshot whose id starts with it, for each digit
	// (the range of "f" and "9" ends past the hex digits).
	for _, digit := range "0123456789abcdef" {
		var want []string
		for _, id := range []string{n, o, d, c, b, a} {
			if id[0] == byte(digit) {
				want = append(want, id)
			}
		}
		tests = append(tests, struct {
			name string
			f    catalog.SnapshotFilter
			want []string
		}{"id prefix " + string(digit), catalog.SnapshotFilter{IDPrefix: string(digit)}, want})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, next, err := e.s.ListSnapshots(e.ctx, tc.f)
			if err != nil {
				t.Fatalf("ListSnapshots: %v", err)
			}
			if next != "" {
				t.Errorf("next cursor %q on the only page", next)
			}
			if d := cmp.Diff(tc.want, snapIDs(got)); d != "" {
				t.Errorf("ListSnapshots(%+v) (-want +got):\n%s", tc.f, d)
			}
		})
	}
}

// testSnapshotPaging pages through snapshots several of which share a time:
// every snapshot comes once, in (time, id) order, whatever the page size.
func testSnapshotPaging(t *testing.T, open Opener) {
	e := newEnv(t, open)
	r := e.newRepo("acme", "nas")
	src := e.newSource(r, "home")
	t0 := base.Add(time.Hour)
	var snaps []arca.Snapshot
	for i := range 11 {
		at := t0.Add(time.Duration(i/4) * time.Minute) // four at a time share one time
		s := snap(r, src, fmt.Sprint("p", i), at)
		if i%2 == 0 {
			s.Tags = []string{"even"}
		}
		snaps = append(snaps, e.put(s))
	}
	want := newestFirst(snaps)
	for _, limit := range []int{1, 2, 3, 4, 5, 11, 12} {
		if d := cmp.Diff(snapIDs(want), snapIDs(e.listAll(catalog.SnapshotFilter{}, limit))); d != "" {
			t.Errorf("pages of %d (-want +got):\n%s", limit, d)
		}
	}
	var even []arca.Snapshot
	for _, s := range want {
		if len(s.Tags) > 0 {
			even = append(even, s)
		}
	}
	if d := cmp.Diff(snapIDs(even), snapIDs(e.listAll(catalog.SnapshotFilter{Tag: "even", Tenant: "acme"}, 2))); d != "" {
		t.Errorf("pages of 2 with a tag filter (-want +got):\n%s", d)
	}
	page, next, err := e.s.ListSnapshots(e.ctx, catalog.SnapshotFilter{Limit: 11})
	if err != nil || next != "" || len(page) != 11 {
		t.Errorf("a page that holds them all: %d snapshots, next %q, %v; want 11 and no cursor", len(page), next, err)
	}
}

// newestFirst sorts snapshots by time then id, both descending, as the
// catalog lists them.
func newestFirst(snaps []arca.Snapshot) []arca.Snapshot {
	out := append([]arca.Snapshot(nil), snaps...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			a, b := out[i], out[j]
			if b.Time.After(a.Time) || (b.Time.Equal(a.Time) && b.ID > a.ID) {
				out[i], out[j] = b, a
			}
		}
	}
	return out
}

// testSnapshotPagingSameID: one snapshot id cached in two repositories at
// one time (a copied snapshot) lists twice and pages without loss.
func testSnapshotPagingSameID(t *testing.T, open Opener) {
	e := newEnv(t, open)
	r1, r2 := e.newRepo("acme", "nas"), e.newRepo("acme", "tape")
	at := e.tick()
	e.put(snap(r1, arca.Source{}, "copied", at))
	e.put(snap(r2, arca.Source{}, "copied", at))
	got := e.listAll(catalog.SnapshotFilter{}, 1)
	var repos []string
	for _, s := range got {
		repos = append(repos, s.RepositoryID)
	}
	if len(repos) != 2 || repos[0] == repos[1] {
		t.Errorf("one id in two repositories, pages of 1: repositories %v; want both", repos)
	}
	if g, err := e.s.GetSnapshot(e.ctx, snapID("copied")); err != nil || g.RepositoryID != min(r1.ID, r2.ID) {
		t.Errorf("GetSnapshot of an id in two repositories = %s, %v; want the smaller repository id", g.RepositoryID, err)
	}
}

func testSnapshotDefaultLimit(t *testing.T, open Opener) {
	e := newEnv(t, open)
	r := e.newRepo("acme", "nas")
	var snaps []arca.Snapshot
	for i := range catalog.DefaultListLimit + 5 {
		snaps = append(snaps, snap(r, arca.Source{}, fmt.Sprint("d", i), e.tick()))
	}
	if err := e.s.ReplaceSnapshots(e.ctx, r.ID, snaps); err != nil {
		t.Fatalf("ReplaceSnapshots: %v", err)
	}
	page, next, err := e.s.ListSnapshots(e.ctx, catalog.SnapshotFilter{})
	if err != nil || len(page) != catalog.DefaultListLimit || next == "" {
		t.Fatalf("first page: %d snapshots, next %q, %v; want %d and a cursor", len(page), next, err, catalog.DefaultListLimit)
	}
	rest, next, err := e.s.ListSnapshots(e.ctx, catalog.SnapshotFilter{After: next})
	if err != nil || len(rest) != 5 || next != "" {
		t.Errorf("second page: %d snapshots, next %q, %v; want 5 and no cursor", len(rest), next, err)
	}
	if len(rest) == 5 && rest[4].ID != snapID("d0") {
		t.Errorf("last snapshot listed = %s, want the oldest", rest[4].ID)
	}
}

func testSnapshotBadCursor(t *testing.T, open Opener) {
	e := newEnv(t, open)
	for _, c := range []string{"garbage!", "bm90IGEgY3Vyc29y", snapID("x")} {
		_, _, err := e.s.ListSnapshots(e.ctx, catalog.SnapshotFilter{After: c})
		wantError(t, err, arca.CodeInvalidArgument, "cursor")
	}
	for _, p := range []string{"ABC", "xyz", "a'b", snapID("x") + "0"} {
		_, _, err := e.s.ListSnapshots(e.ctx, catalog.SnapshotFilter{IDPrefix: p})
		wantError(t, err, arca.CodeInvalidArgument, "hex digits")
	}
}

func testSnapshotDelete(t *testing.T, open Opener) {
	e := newEnv(t, open)
	r1, r2 := e.newRepo("acme", "nas"), e.newRepo("acme", "tape")
	a := e.put(snap(r1, arca.Source{}, "a", e.tick()))
	copied := e.put(snap(r2, arca.Source{}, "a", e.tick()))
	if err := e.s.DeleteSnapshot(e.ctx, r1.ID, a.ID); err != nil {
		t.Fatalf("DeleteSnapshot: %v", err)
	}
	if err := e.s.DeleteSnapshot(e.ctx, r1.ID, a.ID); err != nil {
		t.Errorf("DeleteSnapshot of a snapshot no longer cached: %v", err)
	}
	got, _, err := e.s.ListSnapshots(e.ctx, catalog.SnapshotFilter{})
	if err != nil || cmp.Diff([]arca.Snapshot{copied}, got) != "" {
		t.Errorf("after deleting one of two copies: %v (-want +got):\n%s", err, cmp.Diff([]arca.Snapshot{copied}, got))
	}
}

func testSnapshotReplace(t *testing.T, open Opener) {
	e := newEnv(t, open)
	r, other := e.newRepo("acme", "nas"), e.newRepo("acme", "tape")
	src := e.newSource(r, "home")
	old := e.put(snap(r, src, "old", e.tick()))
	kept := e.put(snap(r, src, "kept", e.tick()))
	theirs := e.put(snap(other, src, "theirs", e.tick()))

	changed := kept
	changed.Tags, changed.RepositoryID, changed.Tenant = []string{"rebuilt"}, "", ""
	fresh := snap(r, src, "fresh", e.tick())
	if err := e.s.ReplaceSnapshots(e.ctx, r.ID, []arca.Snapshot{changed, fresh, changed}); err != nil {
		t.Fatalf("ReplaceSnapshots: %v", err)
	}
	changed.RepositoryID, changed.Tenant, fresh.Time = r.ID, r.Tenant, utc(fresh.Time)
	got, _, err := e.s.ListSnapshots(e.ctx, catalog.SnapshotFilter{RepositoryID: r.ID})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]arca.Snapshot{fresh, changed}, got); d != "" {
		t.Errorf("the cache after a replace (-want +got):\n%s", d)
	}
	if _, err := e.s.GetSnapshot(e.ctx, old.ID); !isNotFound(err) {
		t.Errorf("GetSnapshot of a snapshot the replace dropped: %v, want NOT_FOUND", err)
	}
	if g, err := e.s.GetSnapshot(e.ctx, theirs.ID); err != nil || cmp.Diff(theirs, g) != "" {
		t.Errorf("another repository's cache changed: %v (-want +got):\n%s", err, cmp.Diff(theirs, g))
	}
	if err := e.s.ReplaceSnapshots(e.ctx, r.ID, nil); err != nil {
		t.Fatalf("ReplaceSnapshots with none: %v", err)
	}
	if got, _, err := e.s.ListSnapshots(e.ctx, catalog.SnapshotFilter{RepositoryID: r.ID}); err != nil || len(got) != 0 {
		t.Errorf("after replacing with none: %d cached, %v", len(got), err)
	}
	missing := arca.NewID(e.tick())
	fresh.RepositoryID, fresh.Tenant = "", ""
	wantError(t, e.s.ReplaceSnapshots(e.ctx, missing, []arca.Snapshot{fresh}), arca.CodeNotFound, missing)
}

// testSnapshotReplaceAtomic: a replace refused half way changes nothing.
func testSnapshotReplaceAtomic(t *testing.T, open Opener) {
	e := newEnv(t, open)
	r := e.newRepo("acme", "nas")
	before := []arca.Snapshot{e.put(snap(r, arca.Source{}, "a", e.tick())), e.put(snap(r, arca.Source{}, "b", e.tick()))}
	before = newestFirst(before)
	bad := snap(r, arca.Source{}, "bad", e.tick())
	bad.Tenant = "other"
	for name, snaps := range map[string][]arca.Snapshot{
		"tenant of another":  {snap(r, arca.Source{}, "c", e.tick()), bad},
		"another repository": {snap(r, arca.Source{}, "c", e.tick()), snap(e.newRepo("acme", "x"), arca.Source{}, "d", e.tick())},
		"no tree":            {snap(r, arca.Source{}, "c", e.tick()), {ID: snapID("e")}},
	} {
		err := e.s.ReplaceSnapshots(e.ctx, r.ID, snaps)
		if !errors.Is(err, arca.ErrInvalidArgument) {
			t.Errorf("%s: ReplaceSnapshots = %v, want INVALID_ARGUMENT", name, err)
		}
		got, _, err := e.s.ListSnapshots(e.ctx, catalog.SnapshotFilter{RepositoryID: r.ID})
		if err != nil || cmp.Diff(before, got) != "" {
			t.Errorf("%s: the cache after a refused replace: %v (-want +got):\n%s", name, err, cmp.Diff(before, got))
		}
	}
}

// testSnapshotTagChanges: the tag filter follows every change of a
// snapshot's tags and time (a put again, a delete, a replace, the
// repository's delete), and lists a snapshot carrying a tag twice once.
func testSnapshotTagChanges(t *testing.T, open Opener) {
	e := newEnv(t, open)
	r, gone := e.newRepo("acme", "nas"), e.newRepo("acme", "gone")
	tagged := func(repo arca.Repository, name string, at time.Time, tags ...string) arca.Snapshot {
		s := snap(repo, arca.Source{}, name, at)
		s.Tags = tags
		return e.put(s)
	}
	t0 := base.Add(time.Hour)
	a := tagged(r, "a", t0, "keep", "keep")
	b := tagged(r, "b", t0.Add(time.Minute), "keep", "old")
	tagged(gone, "g", t0.Add(2*time.Minute), "keep")
	check := func(step, tag string, want ...string) {
		t.Helper()
		got := e.listAll(catalog.SnapshotFilter{Tag: tag}, 1)
		if d := cmp.Diff(want, snapIDs(got)); d != "" {
			t.Errorf("%s: snapshots tagged %q (-want +got):\n%s", step, tag, d)
		}
	}
	check("start", "keep", snapID("g"), b.ID, a.ID)
	check("start", "old", b.ID)

	b.Tags, b.Time = []string{"keep", "new"}, t0.Add(-time.Minute) // retagged, and now the oldest
	e.put(b)
	check("put again", "old")
	check("put again", "new", b.ID)
	check("put again", "keep", snapID("g"), a.ID, b.ID)

	if err := e.s.DeleteRepository(e.ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	check("repository deleted", "keep", a.ID, b.ID)
	if err := e.s.DeleteSnapshot(e.ctx, r.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	check("snapshot deleted", "keep", b.ID)
	c := snap(r, arca.Source{}, "c", t0)
	c.Tags = []string{"rebuilt"}
	if err := e.s.ReplaceSnapshots(e.ctx, r.ID, []arca.Snapshot{c}); err != nil {
		t.Fatal(err)
	}
	check("replaced", "keep")
	check("replaced", "new")
	check("replaced", "rebuilt", c.ID)
}

// testSnapshotReplaceRace: rebuilds of one repository's cache running at
// once leave exactly the snapshots of one of them, never a mix.
func testSnapshotReplaceRace(t *testing.T, open Opener) {
	e := newEnv(t, open)
	r := e.newRepo("acme", "nas")
	for round := range 5 {
		sets := make([][]arca.Snapshot, 3)
		for i := range sets {
			for j := range 20 {
				// Half of each set is shared with the others, half its own.
				name := fmt.Sprint("shared", round, "-", j)
				if j%2 == 1 {
					name = fmt.Sprint("own", round, "-", i, "-", j)
				}
				sets[i] = append(sets[i], snap(r, arca.Source{}, name, base.Add(time.Duration(j)*time.Second)))
			}
		}
		errs := make([]error, len(sets))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range sets {
			wg.Go(func() {
				<-start
				errs[i] = e.s.ReplaceSnapshots(e.ctx, r.ID, sets[i])
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: ReplaceSnapshots %d: %v", round, i, err)
			}
		}
		got := snapIDs(e.listAll(catalog.SnapshotFilter{RepositoryID: r.ID}, 100))
		match := false
		for _, set := range sets {
			match = match || cmp.Diff(snapIDs(newestFirst(set)), got) == ""
		}
		if !match {
			t.Errorf("round %d: after concurrent replaces the cache holds %d snapshots, not one replace's 20", round, len(got))
		}
	}
}
