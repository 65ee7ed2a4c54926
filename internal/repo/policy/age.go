package policy

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

var ageRe = regexp.MustCompile(`^(\d+)([ywdh])`)

// ParseAge parses an age such as "30d", "2w", "1y6w" or "36h" (years of
// 365 days, weeks, days, hours), or any Go duration ("90m").
func ParseAge(s string) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	units := map[string]time.Duration{"y": 365 * 24 * time.Hour, "w": 7 * 24 * time.Hour, "d": 24 * time.Hour, "h": time.Hour}
	var total time.Duration
	for rest := s; rest != ""; {
		m := ageRe.FindStringSubmatch(rest)
		if m == nil {
			return 0, fmt.Errorf("%q is not a duration (such as 30d, 2w, 1y6w, 36h)", s)
		}
		n, err := strconv.Atoi(m[1])
		if err != nil {
			return 0, fmt.Errorf("%q: %w", s, err)
		}
		total += time.Duration(n) * units[m[2]]
		rest = rest[len(m[0]):]
	}
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	return total, nil
}
