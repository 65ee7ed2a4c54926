// Package layers holds only a test: it enforces the direction of imports
// described in STYLE.md (domain at the centre, contracts and pure code,
// engines, adapters, and cmd at the edge).
package layers
