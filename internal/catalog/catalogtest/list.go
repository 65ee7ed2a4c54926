package catalogtest

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

var listTests = []test{
	{"Filters", testListFilters},
	{"Paging", testListPaging},
	{"Limits", testListLimits},
}

func testListFilters(t *testing.T, open Opener) {
	e := newEnv(t, open)
	mk := func(tenant string, op arca.Operation, target arca.Target, parent string) string {
		return e.create(catalog.CreateTask{Task: arca.Task{Tenant: tenant, Operation: op, Target: target, Parent: parent}}).ID
	}
	s1, s2 := arca.Target{Type: "source", ID: "s1"}, arca.Target{Type: "source", ID: "s2"}
	r1 := arca.Target{Type: "repository", ID: "s1"}
	a := mk("acme", "backup", s1, "")
	b := mk("acme", "backup", s2, "")
	c := mk("acme", "prune", r1, "")
	o := mk("other", "backup", s1, "")
	j1 := mk("acme", "backup", s1, c)
	j2 := mk("acme", "verify", s2, c)
	e.claimOne("w1", a)
	e.finish(a, "w1", arca.TaskSucceeded)
	e.cancel(j2)

	tests := []struct {
		name string
		f    catalog.TaskFilter
		want []string
	}{
		{"all", catalog.TaskFilter{}, []string{a, b, c, o, j1, j2}},
		{"tenant", catalog.TaskFilter{Tenant: "other"}, []string{o}},
		{"one state", catalog.TaskFilter{States: []arca.TaskState{arca.TaskSucceeded}}, []string{a}},
		{"states", catalog.TaskFilter{States: []arca.TaskState{arca.TaskSucceeded, arca.TaskCanceled}}, []string{a, j2}},
		{"operation", catalog.TaskFilter{Operation: "backup"}, []string{a, b, o, j1}},
		{"parent", catalog.TaskFilter{Parent: c}, []string{j1, j2}},
		{"target type", catalog.TaskFilter{TargetType: "repository"}, []string{c}},
		{"target id", catalog.TaskFilter{TargetID: "s1"}, []string{a, c, o, j1}},
		{"target", catalog.TaskFilter{TargetType: "source", TargetID: "s1"}, []string{a, o, j1}},
		{"combined", catalog.TaskFilter{Tenant: "acme", Operation: "backup", States: []arca.TaskState{arca.TaskQueued}}, []string{b, j1}},
		{"nothing", catalog.TaskFilter{Tenant: "nobody"}, nil},
		{"desc", catalog.TaskFilter{Desc: true, Tenant: "acme"}, []string{j2, j1, c, b, a}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.s.ListTasks(e.ctx, tc.f)
			if err != nil {
				t.Fatalf("ListTasks: %v", err)
			}
			if d := cmp.Diff(tc.want, ids(got)); d != "" {
				t.Errorf("ListTasks(%+v) (-want +got):\n%s", tc.f, d)
			}
		})
	}
	got, err := e.s.ListTasks(e.ctx, catalog.TaskFilter{Tenant: "other"})
	if err != nil || len(got) != 1 {
		t.Fatalf("ListTasks = %v, %v", ids(got), err)
	}
	if d := cmp.Diff(e.get(o), got[0]); d != "" {
		t.Errorf("listed task (-want +got):\n%s", d)
	}
}

func testListPaging(t *testing.T, open Opener) {
	e := newEnv(t, open)
	var all []string
	for range 7 {
		all = append(all, e.create(task("backup")).ID)
	}
	for _, desc := range []bool{false, true} {
		want := slices.Clone(all)
		if desc {
			slices.Reverse(want)
		}
		var got []string
		after := ""
		for range 10 {
			page, err := e.s.ListTasks(e.ctx, catalog.TaskFilter{After: after, Desc: desc, Limit: 3})
			if err != nil {
				t.Fatalf("ListTasks: %v", err)
			}
			if len(page) > 3 {
				t.Fatalf("page of %d tasks with limit 3", len(page))
			}
			if len(page) == 0 {
				break
			}
			got = append(got, ids(page)...)
			after = page[len(page)-1].ID
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("pages (desc %v) (-want +got):\n%s", desc, d)
		}
	}
	page, err := e.s.ListTasks(e.ctx, catalog.TaskFilter{After: all[2], Desc: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{all[1], all[0]}, ids(page)); d != "" {
		t.Errorf("descending after a cursor (-want +got):\n%s", d)
	}
}

// testListLimits checks the default limit and, unless -short, the maximum
// (which takes a thousand tasks to see).
func testListLimits(t *testing.T, open Opener) {
	e := newEnv(t, open)
	n, max := catalog.MaxListLimit+1, catalog.MaxListLimit
	if testing.Short() {
		n, max = catalog.DefaultListLimit+5, catalog.DefaultListLimit+5
	}
	for range n {
		e.create(task("backup"))
	}
	for _, tc := range []struct{ limit, want int }{{0, 100}, {-5, 100}, {7, 7}, {5000, max}} {
		got, err := e.s.ListTasks(e.ctx, catalog.TaskFilter{Limit: tc.limit})
		if err != nil {
			t.Fatalf("ListTasks: %v", err)
		}
		if len(got) != tc.want {
			t.Errorf("ListTasks with limit %d returned %d tasks, want %d", tc.limit, len(got), tc.want)
		}
	}
}
