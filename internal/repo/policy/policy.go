// Package policy decides which snapshots a retention policy keeps. It is
// pure code: it reads snapshot records and returns, per group of
// snapshots, the ones to keep (each with the reasons it is kept) and the
// ones to remove. Deleting them is the pruner's job.
//
// The rules follow restic's `forget`, which operators know: snapshots are
// grouped (by source, or by host and paths), and in each group a snapshot
// is kept if any rule keeps it. The bucket rules (hourly … yearly) keep the
// newest snapshot of each of the N most recent periods that have one; when
// a group has fewer such periods than N, the oldest snapshot of the group is
// kept as well, so a young backup series is not thinned before it has the
// history the policy asks for.
//
// Copy-only snapshots (ad-hoc copies that must not disturb the regular
// series) are never counted by the rules and never removed by a policy;
// they go away only when forgotten explicitly, by id.
package policy

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Unlimited, as a count, keeps every snapshot the rule matches.
const Unlimited = -1

// Policy is a retention policy. A zero count disables its rule.
type Policy struct {
	Last    int `json:"last,omitempty"`    // the N newest snapshots
	Hourly  int `json:"hourly,omitempty"`  // the newest of each of the N newest hours
	Daily   int `json:"daily,omitempty"`   // ... days
	Weekly  int `json:"weekly,omitempty"`  // ... ISO weeks
	Monthly int `json:"monthly,omitempty"` // ... months
	Yearly  int `json:"yearly,omitempty"`  // ... years
	// Within keeps every snapshot taken less than this long before the
	// newest snapshot of its group. Counting from the newest snapshot rather
	// than from now means that a source whose backups stopped keeps its
	// last history instead of losing it all once the duration has passed.
	Within time.Duration `json:"within,omitempty"`
	// Tags keeps every snapshot that carries all the tags of at least one
	// of the sets.
	Tags [][]string `json:"tags,omitempty"`
}

// ErrEmptyPolicy is returned by Validate for a policy with no rule: applied,
// it would remove every snapshot, which is never what was meant.
var ErrEmptyPolicy = errors.New("the retention policy has no rule and would remove every snapshot")

// IsEmpty reports whether the policy has no rule.
func (p Policy) IsEmpty() bool {
	return p.Last == 0 && p.Hourly == 0 && p.Daily == 0 && p.Weekly == 0 &&
		p.Monthly == 0 && p.Yearly == 0 && p.Within == 0 && len(p.Tags) == 0
}

// Validate checks the policy's values.
func (p Policy) Validate() error {
	if p.IsEmpty() {
		return ErrEmptyPolicy
	}
	for _, c := range p.counts() {
		if c.n < Unlimited {
			return fmt.Errorf("retention policy: %s is %d; give a count of at least 1, 0 to disable, or -1 for all", c.name, c.n)
		}
	}
	if p.Within < 0 {
		return fmt.Errorf("retention policy: within is negative (%s)", p.Within)
	}
	for i, set := range p.Tags {
		if len(set) == 0 {
			return fmt.Errorf("retention policy: tag set %d is empty", i+1)
		}
		for _, t := range set {
			if strings.TrimSpace(t) == "" {
				return fmt.Errorf("retention policy: tag set %d has an empty tag", i+1)
			}
		}
	}
	return nil
}

// String describes the policy briefly, for logs and reports.
func (p Policy) String() string {
	var parts []string
	for _, c := range p.counts() {
		switch {
		case c.n == Unlimited:
			parts = append(parts, c.name+" all")
		case c.n > 0:
			parts = append(parts, fmt.Sprintf("%s %d", c.name, c.n))
		}
	}
	if p.Within > 0 {
		parts = append(parts, "within "+p.Within.String())
	}
	for _, set := range p.Tags {
		parts = append(parts, "tag "+strings.Join(set, ","))
	}
	if len(parts) == 0 {
		return "empty policy"
	}
	return "keep " + strings.Join(parts, ", ")
}

type namedCount struct {
	name string
	n    int
}

func (p Policy) counts() []namedCount {
	return []namedCount{
		{"last", p.Last}, {"hourly", p.Hourly}, {"daily", p.Daily},
		{"weekly", p.Weekly}, {"monthly", p.Monthly}, {"yearly", p.Yearly},
	}
}
