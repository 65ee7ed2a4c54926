package main

import (
	"context"
	"fmt"

	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/catalog/postgres"
	"github.com/arcabackup/arca/internal/catalog/sqlite"
)

func openSQLite(ctx context.Context, path string) (catalog.Store, error) {
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open SQLite catalog %s: %w", path, err)
	}
	return db, nil
}

// openPostgres opens a PostgreSQL catalog; a search_path parameter in the
// URL names the schema (it must exist).
func openPostgres(ctx context.Context, url string) (catalog.Store, error) {
	db, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL catalog: %w", err)
	}
	return db, nil
}
