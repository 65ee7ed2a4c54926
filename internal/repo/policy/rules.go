package policy

import (
	"strings"
	"time"
)

// bucket is one counting rule: a snapshot is kept when it is the newest
// of its period (as numbered by period) and the rule still has count left.
type bucket struct {
	name   string
	count  int
	period func(t time.Time, i int) int
	last   int
	used   bool // whether last is set
}

func buckets(p Policy) []*bucket {
	return []*bucket{
		{name: "last", count: p.Last, period: func(_ time.Time, i int) int { return i }},
		{name: "hourly", count: p.Hourly, period: func(t time.Time, _ int) int {
			y, m, d := t.Date()
			return ((y*100+int(m))*100+d)*100 + t.Hour()
		}},
		{name: "daily", count: p.Daily, period: func(t time.Time, _ int) int {
			y, m, d := t.Date()
			return (y*100+int(m))*100 + d
		}},
		{name: "weekly", count: p.Weekly, period: func(t time.Time, _ int) int {
			y, w := t.ISOWeek()
			return y*100 + w
		}},
		{name: "monthly", count: p.Monthly, period: func(t time.Time, _ int) int {
			y, m, _ := t.Date()
			return y*100 + int(m)
		}},
		{name: "yearly", count: p.Yearly, period: func(t time.Time, _ int) int { return t.Year() }},
	}
}

// keepBy applies b to the snapshot at t (index i, newest first) and
// reports whether b keeps it.
func (b *bucket) keepBy(t time.Time, i int) bool {
	if b.count == 0 {
		return false
	}
	v := b.period(t, i)
	if b.used && v == b.last {
		return false
	}
	b.last, b.used = v, true
	if b.count > 0 {
		b.count--
	}
	return true
}

func applyGroup(items []Item, p Policy, loc *time.Location) Group {
	var g Group
	var counted []Item
	for _, it := range items {
		if it.Snapshot.CopyOnly {
			g.CopyOnly = append(g.CopyOnly, it)
		} else {
			counted = append(counted, it)
		}
	}
	sortNewestFirst(g.CopyOnly)
	sortNewestFirst(counted)
	if len(counted) == 0 {
		return g
	}
	reasons := decide(counted, p, loc)
	for i, it := range counted {
		if len(reasons[i]) > 0 {
			g.Keep = append(g.Keep, Kept{Item: it, Reasons: reasons[i]})
		} else {
			g.Remove = append(g.Remove, it)
		}
	}
	return g
}

// decide returns the reasons each of counted (newest first) is kept.
func decide(counted []Item, p Policy, loc *time.Location) [][]string {
	reasons := make([][]string, len(counted))
	bs := buckets(p)
	newest := counted[0].Snapshot.Time
	for i, it := range counted {
		t := it.Snapshot.Time
		if loc != nil {
			t = t.In(loc)
		}
		for _, b := range bs {
			if b.keepBy(t, i) {
				reasons[i] = append(reasons[i], b.name)
			}
		}
		if p.Within > 0 && !it.Snapshot.Time.Before(newest.Add(-p.Within)) {
			reasons[i] = append(reasons[i], "within "+p.Within.String())
		}
		for _, set := range p.Tags {
			if hasAll(it.Snapshot.Tags, set) {
				reasons[i] = append(reasons[i], "tag "+strings.Join(set, ","))
			}
		}
	}
	// A period rule that found fewer periods than it may keep also keeps
	// the oldest snapshot, unless the rule already keeps it.
	oldest := len(counted) - 1
	for _, b := range bs[1:] {
		if b.count > 0 && !contains(reasons[oldest], b.name) {
			reasons[oldest] = append(reasons[oldest], "oldest "+b.name)
		}
	}
	return reasons
}

func hasAll(tags, want []string) bool {
	for _, w := range want {
		if !contains(tags, w) {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
