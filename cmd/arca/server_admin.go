package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/arcabackup/arca/internal/auth"
)

// bootstrapAdmin creates the first admin user from --admin-user (or
// ARCA_ADMIN_USER) with the password of ARCA_ADMIN_PASSWORD or
// --admin-password-file, for unattended installs. It does nothing once the
// catalog has a user. The password is never logged.
func (m *Main) bootstrapAdmin(ctx context.Context, c serverConfig, identity *auth.Service, log *slog.Logger) error {
	if c.AdminUser == "" {
		return nil
	}
	password := m.Getenv("ARCA_ADMIN_PASSWORD")
	if c.AdminPasswordFile != "" {
		b, err := os.ReadFile(c.AdminPasswordFile)
		if err != nil {
			return usageError{fmt.Errorf("--admin-password-file: %w", err)}
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	if password == "" {
		return usageError{fmt.Errorf("--admin-user %s needs a password: set ARCA_ADMIN_PASSWORD or --admin-password-file", c.AdminUser)}
	}
	created, err := identity.BootstrapAdmin(ctx, c.AdminUser, password)
	if err != nil {
		return err
	}
	if created {
		log.Info("created the first admin user", "username", c.AdminUser)
	}
	return nil
}
