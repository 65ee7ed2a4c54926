package arca

import (
	"fmt"
	"time"
)

// User is a person who logs in with a username and a password. A user
// belongs to one tenant and holds roles within it (the system role admin
// spans every tenant).
type User struct {
	ID       string `json:"id"`
	Tenant   string `json:"tenant"`
	Username string `json:"username"` // unique across tenants: it is what a login names
	Roles    []Role `json:"roles"`
	// PasswordHash is the Argon2id hash in PHC string form; never the password.
	PasswordHash string    `json:"-"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Principal is the principal a user acts as.
func (u User) Principal() Principal {
	return Principal{ID: u.ID, Kind: PrincipalUser, Name: u.Username, Tenant: u.Tenant, Roles: u.Roles}
}

// CheckUsername returns an INVALID_ARGUMENT error unless s is a username:
// 1 to 128 lower-case letters, digits and . _ @ -, starting with a letter or
// digit.
func CheckUsername(s string) error {
	if !slug(s, 128, "._@-") {
		return &Error{Code: CodeInvalidArgument,
			Message: fmt.Sprintf("%q is not a valid username: use 1 to 128 lower-case letters, digits and . _ @ -, starting with a letter or digit.", s),
			Fields:  []FieldError{{Field: "username", Message: "not a valid username"}}}
	}
	return nil
}

// Session is a user's login: an opaque bearer secret (only its hash is
// stored) that ends after a time without use (idle) or at ExpiresAt
// (absolute), whichever comes first.
type Session struct {
	ID         string
	UserID     string
	SecretHash []byte
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end
}

// Usable reports whether the session may authenticate at now, given the
// idle timeout.
func (s Session) Usable(now time.Time, idle time.Duration) bool {
	return now.Before(s.ExpiresAt) && now.Before(s.LastSeenAt.Add(idle))
}
