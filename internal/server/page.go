package server

// page turns one page of items read with limit into their wire form and
// the cursor of the next page ("" when this page was not full, so the
// last).
func page[T, W any](items []T, limit int, id func(T) string, wire func(T) W) ([]W, string) {
	out := make([]W, 0, len(items))
	for _, it := range items {
		out = append(out, wire(it))
	}
	next := ""
	if len(items) == limit && len(items) > 0 {
		next = encodeCursor(id(items[len(items)-1]))
	}
	return out, next
}
