package arca

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// NewID returns a new time-sortable identifier: a UUIDv7 (RFC 9562) in its
// canonical text form, from the given time and crypto/rand. The 12 bits
// after the millisecond timestamp hold the fraction of the millisecond
// (RFC 9562, section 6.2, method 3), so ids made a microsecond apart sort
// in the order they were made.
func NewID(now time.Time) string {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	frac := uint64(now.Nanosecond()%1_000_000) * 4096 / 1_000_000 // 0..4095
	binary.BigEndian.PutUint64(b[0:8], ms<<16|frac)
	if _, err := rand.Read(b[8:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // never happens on supported platforms
	}
	b[6] = (b[6] & 0x0f) | 0x70 // version 7
	b[8] = (b[8] & 0x3f) | 0x80 // RFC 9562 variant
	return formatUUID(b)
}

// formatUUID writes b in the canonical 8-4-4-4-12 hex form.
func formatUUID(b [16]byte) string {
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}

// ValidID reports whether s has the canonical UUID text form.
func ValidID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdef", c) {
				return false
			}
		}
	}
	return true
}

// CheckID returns an INVALID_ARGUMENT error naming what when s is not an id.
func CheckID(what, s string) error {
	if ValidID(s) {
		return nil
	}
	return &Error{Code: CodeInvalidArgument,
		Message: fmt.Sprintf("%q is not a valid %s id: ids look like 0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b.", s, what),
		Fields:  []FieldError{{Field: what + "_id", Message: "not a valid id"}}}
}

// DefaultTenant is the tenant of a single-tenant installation.
const DefaultTenant = "default"
