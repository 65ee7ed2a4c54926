package policy

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/repo"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// history is a fixed series of snapshot times (UTC): dense recent
// backups, daily ones, sparse old ones, several per hour and per day, and
// a few tagged. Same shape as restic's testExpireSnapshots.
var history = []struct {
	time string
	tags []string
}{
	{"2026-11-23 10:20:30", nil}, {"2026-11-23 10:10:00", nil}, {"2026-11-23 09:59:59", nil},
	{"2026-11-23 08:00:00", []string{"foo"}}, {"2026-11-23 01:00:00", nil},
	{"2026-11-22 23:59:59", nil}, {"2026-11-22 12:00:00", []string{"foo", "bar"}},
	{"2026-11-22 00:00:00", nil}, {"2026-11-21 18:30:00", nil}, {"2026-11-20 18:30:00", nil},
	{"2026-11-19 18:30:00", []string{"bar"}}, {"2026-11-18 18:30:00", nil}, {"2026-11-17 18:30:00", nil},
	{"2026-11-16 18:30:00", nil}, {"2026-11-15 18:30:00", nil}, {"2026-11-14 18:30:00", nil},
	{"2026-11-10 03:00:00", nil}, {"2026-11-09 03:00:00", nil}, {"2026-11-02 03:00:00", nil},
	{"2026-10-30 03:00:00", []string{"foo"}}, {"2026-10-15 03:00:00", nil}, {"2026-10-01 00:00:00", nil},
	{"2026-09-30 23:59:59", nil}, {"2026-09-01 12:00:00", nil}, {"2026-08-15 12:00:00", nil},
	{"2026-07-04 12:00:00", nil}, {"2026-05-05 05:05:05", nil}, {"2026-01-01 00:00:00", nil},
	{"2025-12-31 23:59:59", nil}, {"2025-12-29 10:00:00", nil}, {"2025-11-11 11:11:11", []string{"bar"}},
	{"2025-06-06 06:06:06", nil}, {"2025-01-02 02:02:02", nil}, {"2024-12-30 12:00:00", nil},
	{"2024-02-29 00:00:00", nil}, {"2023-07-07 07:07:07", nil}, {"2021-03-03 03:03:03", nil},
	{"2019-01-01 00:00:01", nil},
}

func historyItems(t *testing.T) []Item {
	t.Helper()
	items := make([]Item, len(history))
	for i, h := range history {
		items[i] = Item{
			ID:       repo.ID{byte(i + 1)},
			Snapshot: &repo.Snapshot{Time: mustTime(t, h.time), Hostname: "h", Paths: []string{"/srv"}, Tags: h.tags},
		}
	}
	return items
}

type goldenEntry struct {
	Time    string   `json:"time"`
	Reasons []string `json:"reasons,omitempty"`
}

type golden struct {
	Policy string        `json:"policy"`
	Keep   []goldenEntry `json:"keep"`
	Remove []string      `json:"remove"`
}

func toGolden(p Policy, g Group) golden {
	out := golden{Policy: p.String(), Keep: []goldenEntry{}, Remove: []string{}}
	for _, k := range g.Keep {
		out.Keep = append(out.Keep, goldenEntry{k.Snapshot.Time.Format(time.DateTime), k.Reasons})
	}
	for _, r := range g.Remove {
		out.Remove = append(out.Remove, r.Snapshot.Time.Format(time.DateTime))
	}
	return out
}

var goldenPolicies = []struct {
	name string
	p    Policy
}{
	{"last-1", Policy{Last: 1}},
	{"last-10", Policy{Last: 10}},
	{"last-all", Policy{Last: Unlimited}},
	{"hourly-5", Policy{Hourly: 5}},
	{"daily-3", Policy{Daily: 3}},
	{"daily-10", Policy{Daily: 10}},
	{"daily-all", Policy{Daily: Unlimited}},
	{"weekly-4", Policy{Weekly: 4}},
	{"monthly-6", Policy{Monthly: 6}},
	{"monthly-60", Policy{Monthly: 60}},
	{"yearly-3", Policy{Yearly: 3}},
	{"yearly-20", Policy{Yearly: 20}},
	{"within-3h", Policy{Within: 3 * time.Hour}},
	{"within-30d", Policy{Within: 30 * 24 * time.Hour}},
	{"tag-foo", Policy{Tags: [][]string{{"foo"}}}},
	{"tag-foo-and-bar", Policy{Tags: [][]string{{"foo", "bar"}}}},
	{"tag-foo-or-bar", Policy{Tags: [][]string{{"foo"}, {"bar"}}}},
	{"last-2-daily-7-weekly-4-monthly-12-yearly-5", Policy{Last: 2, Daily: 7, Weekly: 4, Monthly: 12, Yearly: 5}},
	{"daily-2-within-24h-tag-bar", Policy{Daily: 2, Within: 24 * time.Hour, Tags: [][]string{{"bar"}}}},
}

func TestApplyGolden(t *testing.T) {
	items := historyItems(t)
	for _, tc := range goldenPolicies {
		t.Run(tc.name, func(t *testing.T) {
			groups, err := Apply(items, tc.p, Options{Location: time.UTC})
			if err != nil {
				t.Fatal(err)
			}
			if len(groups) != 1 {
				t.Fatalf("got %d groups, want 1", len(groups))
			}
			checkPartition(t, items, groups)
			got := toGolden(tc.p, groups[0])
			path := filepath.Join("testdata", tc.name+".json")
			if *update {
				b, _ := json.MarshalIndent(got, "", "  ")
				if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run with -update to create it): %v", err)
			}
			var want golden
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("policy %s (-want +got):\n%s", tc.p, diff)
			}
		})
	}
}

// checkPartition asserts that every item lands in exactly one list.
func checkPartition(t *testing.T, items []Item, groups []Group) {
	t.Helper()
	seen := map[repo.ID]int{}
	for _, g := range groups {
		for _, k := range g.Keep {
			seen[k.ID]++
			if len(k.Reasons) == 0 {
				t.Errorf("kept %s without a reason", k.Snapshot.Time)
			}
		}
		for _, r := range g.Remove {
			seen[r.ID]++
		}
		for _, c := range g.CopyOnly {
			seen[c.ID]++
		}
	}
	for _, it := range items {
		if seen[it.ID] != 1 {
			t.Errorf("snapshot %s appears %d times in the result, want once", it.Snapshot.Time, seen[it.ID])
		}
	}
}

func TestApplyByHand(t *testing.T) {
	// Independent of the golden files: small cases worked out by hand.
	mk := func(ts ...string) []Item {
		var items []Item
		for i, s := range ts {
			items = append(items, Item{ID: repo.ID{byte(i + 1)}, Snapshot: &repo.Snapshot{Time: mustTime(t, s), Source: "s"}})
		}
		return items
	}
	days := mk("2026-01-03 20:00:00", "2026-01-03 08:00:00", "2026-01-02 20:00:00", "2026-01-01 20:00:00", "2026-01-01 06:00:00")
	cases := []struct {
		name string
		p    Policy
		want map[string][]string // kept time -> reasons
	}{
		{"daily 2 keeps the newest of the two newest days", Policy{Daily: 2}, map[string][]string{
			"2026-01-03 20:00:00": {"daily"}, "2026-01-02 20:00:00": {"daily"},
		}},
		{"daily 5 with three days also keeps the oldest", Policy{Daily: 5}, map[string][]string{
			"2026-01-03 20:00:00": {"daily"}, "2026-01-02 20:00:00": {"daily"}, "2026-01-01 20:00:00": {"daily"},
			"2026-01-01 06:00:00": {"oldest daily"},
		}},
		{"last 2 and within 13h", Policy{Last: 2, Within: 13 * time.Hour}, map[string][]string{
			"2026-01-03 20:00:00": {"last", "within 13h0m0s"}, "2026-01-03 08:00:00": {"last", "within 13h0m0s"},
		}},
		{"within is counted from the newest snapshot, inclusive", Policy{Within: 24 * time.Hour}, map[string][]string{
			"2026-01-03 20:00:00": {"within 24h0m0s"}, "2026-01-03 08:00:00": {"within 24h0m0s"},
			"2026-01-02 20:00:00": {"within 24h0m0s"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			groups, err := Apply(days, tc.p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]string{}
			for _, k := range groups[0].Keep {
				got[k.Snapshot.Time.Format(time.DateTime)] = k.Reasons
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("kept (-want +got):\n%s", diff)
			}
			checkPartition(t, days, groups)
		})
	}
}

func TestApplyGroups(t *testing.T) {
	base := mustTime(t, "2026-03-01 00:00:00")
	sn := func(i int, host, source string, paths ...string) Item {
		return Item{ID: repo.ID{byte(i)}, Snapshot: &repo.Snapshot{
			Time: base.Add(time.Duration(i) * time.Hour), Hostname: host, Source: source, Paths: paths,
		}}
	}
	items := []Item{
		sn(1, "a", "", "/x", "/y"), sn(2, "a", "", "/y", "/x"), // same paths, other order
		sn(3, "b", "", "/x", "/y"),
		sn(4, "a", "src-1", "/x"), sn(5, "b", "src-1", "/z"), // one source on two hosts
	}
	groups, err := Apply(items, Policy{Last: 1}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2][]byte{}
	for _, g := range groups {
		var keep, remove []byte
		for _, k := range g.Keep {
			keep = append(keep, k.ID[0])
		}
		for _, r := range g.Remove {
			remove = append(remove, r.ID[0])
		}
		got[g.Key] = [2][]byte{keep, remove}
	}
	want := map[string][2][]byte{
		"host a paths /x,/y": {{2}, {1}},
		"host b paths /x,/y": {{3}, nil},
		"source src-1":       {{5}, {4}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("groups: id keep/remove (-want +got):\n%s", diff)
	}
}

func TestCopyOnly(t *testing.T) {
	base := mustTime(t, "2026-03-01 00:00:00")
	var items []Item
	for i := range 6 {
		items = append(items, Item{ID: repo.ID{byte(i + 1)}, Snapshot: &repo.Snapshot{
			Time: base.Add(time.Duration(i) * time.Hour), Source: "db", CopyOnly: i%2 == 1,
		}})
	}
	// Newest first: 6(copy) 5 4(copy) 3 2(copy) 1.
	groups, err := Apply(items, Policy{Last: 2}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(list []Item) []byte {
		var b []byte
		for _, it := range list {
			b = append(b, it.ID[0])
		}
		return b
	}
	var kept []byte
	for _, k := range groups[0].Keep {
		kept = append(kept, k.ID[0])
	}
	got := [][]byte{kept, ids(groups[0].Remove), ids(groups[0].CopyOnly)}
	want := [][]byte{{5, 3}, {1}, {6, 4, 2}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keep, remove, copy-only (-want +got):\n%s", diff)
	}

	parent, ok := Parent(items, "source db", nil)
	if !ok || parent.ID[0] != 5 {
		t.Errorf("Parent = %v, %v; want snapshot 5 (the newest that is not copy-only)", parent.ID[0], ok)
	}
	if _, ok := Parent(items[1:2], "source db", nil); ok {
		t.Errorf("Parent found a copy-only snapshot")
	}
}

func TestTiesAreDeterministic(t *testing.T) {
	tm := mustTime(t, "2026-03-01 00:00:00")
	items := []Item{
		{ID: repo.ID{9}, Snapshot: &repo.Snapshot{Time: tm, Source: "s"}},
		{ID: repo.ID{3}, Snapshot: &repo.Snapshot{Time: tm, Source: "s"}},
		{ID: repo.ID{5}, Snapshot: &repo.Snapshot{Time: tm, Source: "s"}},
	}
	for range 3 {
		groups, err := Apply(items, Policy{Last: 1}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := groups[0].Keep[0].ID[0]; got != 3 {
			t.Errorf("kept %d of three equal times, want the lowest id 3", got)
		}
		items[0], items[2] = items[2], items[0]
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		p    Policy
		want string // substring of the error; "" for valid
	}{
		{Policy{}, "no rule"},
		{Policy{Last: -2}, "last is -2"},
		{Policy{Monthly: -5}, "monthly is -5"},
		{Policy{Within: -time.Hour}, "within is negative"},
		{Policy{Tags: [][]string{{}}}, "tag set 1 is empty"},
		{Policy{Tags: [][]string{{"a", " "}}}, "empty tag"},
		{Policy{Last: Unlimited}, ""},
		{Policy{Within: time.Minute}, ""},
	}
	for _, tc := range cases {
		err := tc.p.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: unexpected error %v", tc.p, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: error %v, want one containing %q", tc.p, err, tc.want)
		}
	}
	if _, err := Apply(nil, Policy{}, Options{}); !errors.Is(err, ErrEmptyPolicy) {
		t.Errorf("Apply with an empty policy: %v, want ErrEmptyPolicy", err)
	}
}
