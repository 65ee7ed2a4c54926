package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// BootstrapTokenName names the admin token created on first start.
const BootstrapTokenName = "bootstrap-admin"

// Bootstrap creates the first admin token when the catalog has none. With
// given (ARCA_ADMIN_TOKEN) set, that token is stored; otherwise a new one is
// generated. It returns the plaintext of a generated token (for the caller
// to show once), "" when given was used or tokens already existed.
func Bootstrap(ctx context.Context, store catalog.TokenStore, given string, now time.Time) (string, error) {
	n, err := store.CountTokens(ctx)
	if err != nil {
		return "", fmt.Errorf("count API tokens: %w", err)
	}
	if n > 0 {
		return "", nil
	}
	roles := []arca.Role{arca.RoleAdmin}
	if given != "" {
		id, secret, err := ParseToken(given)
		if err != nil {
			return "", fmt.Errorf("ARCA_ADMIN_TOKEN: %w", err)
		}
		tok := record(id, arca.DefaultTenant, BootstrapTokenName, roles, secret, now)
		if err := store.CreateToken(ctx, tok); err != nil {
			return "", fmt.Errorf("store admin token: %w", err)
		}
		return "", nil
	}
	plain, tok, err := NewToken(arca.DefaultTenant, BootstrapTokenName, roles, now)
	if err != nil {
		return "", err
	}
	if err := store.CreateToken(ctx, tok); err != nil {
		return "", fmt.Errorf("store admin token: %w", err)
	}
	return plain, nil
}
