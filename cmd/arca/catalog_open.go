package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/catalog/sqlite"
)

func openSQLite(ctx context.Context, path string) (catalog.Store, error) {
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open SQLite catalog %s: %w", path, err)
	}
	return db, nil
}

func openPostgres(ctx context.Context, url string) (catalog.Store, error) {
	return nil, errors.New("the PostgreSQL catalog is not available in this build yet")
}
