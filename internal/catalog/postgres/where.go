package postgres

import (
	"strconv"
	"strings"

	"github.com/arcabackup/arca/internal/catalog"
)

// where collects the conditions of a query and their arguments, numbering
// the placeholders.
type where struct {
	conds []string
	vals  []any
}

// arg adds a value and returns its placeholder.
func (w *where) arg(v any) string {
	w.vals = append(w.vals, v)
	return "$" + strconv.Itoa(len(w.vals))
}

// add adds a condition whose "?" marks stand for vals, in order.
func (w *where) add(cond string, vals ...any) {
	for _, v := range vals {
		cond = strings.Replace(cond, "?", w.arg(v), 1)
	}
	w.conds = append(w.conds, cond)
}

// clause returns " WHERE ..." or "".
func (w *where) clause() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// resourceWhere returns the conditions of a resource filter.
func resourceWhere(f catalog.ResourceFilter) *where {
	w := &where{}
	if f.Tenant != "" {
		w.add("tenant = ?", f.Tenant)
	}
	if f.After != "" {
		w.add("id > ?", f.After)
	}
	return w
}
