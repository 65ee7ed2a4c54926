package repo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/crypto"
	"github.com/zeebo/blake3"
)

func toKDF(p KDFParams) crypto.KDF {
	return crypto.KDF{Time: p.Time, Memory: p.Memory, Threads: p.Threads}
}

// writeKeyFile wraps mk with password into a new key file and returns its
// id: the BLAKE3 hash of the key file's bytes.
func writeKeyFile(ctx context.Context, store blob.Store, mk *crypto.MasterKeys, password string, opts KeyOptions, now time.Time) (string, error) {
	if password == "" {
		return "", arcaInvalid("The password must not be empty.")
	}
	kf, err := crypto.NewKeyFile(mk, password, toKDF(opts.KDF), now.Truncate(time.Second))
	if err != nil {
		return "", err
	}
	kf.Hostname, kf.Username = opts.Hostname, opts.Username
	data, err := kf.Marshal()
	if err != nil {
		return "", err
	}
	sum := blake3.Sum256(data)
	id := ID(sum).String()
	if err := store.Put(ctx, keysPrefix+id, data); err != nil {
		return "", fmt.Errorf("save key file: %w", err)
	}
	return id, nil
}

type storedKey struct {
	id string
	kf *crypto.KeyFile
}

func listKeyFiles(ctx context.Context, store blob.Store) ([]storedKey, error) {
	var names []string
	if err := store.List(ctx, keysPrefix, func(i blob.Info) error {
		names = append(names, i.Name)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list key files: %w", err)
	}
	sort.Strings(names)
	var out []storedKey
	for _, name := range names {
		data, err := blob.ReadAll(ctx, store, name)
		if errors.Is(err, blob.ErrNotExist) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("load key file %s: %w", name, err)
		}
		kf, err := crypto.ParseKeyFile(data)
		if err != nil {
			continue // a damaged key file cannot open the repository; others may
		}
		out = append(out, storedKey{id: strings.TrimPrefix(name, keysPrefix), kf: kf})
	}
	return out, nil
}

// openKeys tries password on every key file.
func openKeys(ctx context.Context, store blob.Store, password string) (*crypto.MasterKeys, string, error) {
	keys, err := listKeyFiles(ctx, store)
	if err != nil {
		return nil, "", err
	}
	if len(keys) == 0 {
		return nil, "", fmt.Errorf("the repository has no readable key file: %w", ErrWrongPassword)
	}
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return nil, "", err
		}
		mk, err := k.kf.Open(password)
		if err == nil {
			return mk, k.id, nil
		}
	}
	return nil, "", ErrWrongPassword
}

// AddKey writes a new key file that opens the repository with password and
// returns its id.
func (r *Repository) AddKey(ctx context.Context, password string, opts KeyOptions) (string, error) {
	return writeKeyFile(ctx, r.store, r.mk, password, opts, r.opts.Now())
}

// RemoveKey deletes a key file. Removing the last key is refused (ErrLastKey).
func (r *Repository) RemoveKey(ctx context.Context, keyID string) error {
	keys, err := listKeyFiles(ctx, r.store)
	if err != nil {
		return err
	}
	found := false
	for _, k := range keys {
		found = found || k.id == keyID
	}
	if !found {
		return ErrKeyNotFound
	}
	if len(keys) < 2 {
		return ErrLastKey
	}
	if err := r.store.Delete(ctx, keysPrefix+keyID); err != nil {
		return fmt.Errorf("remove key %s: %w", keyID, err)
	}
	return nil
}

// ListKeys describes the repository's key files.
func (r *Repository) ListKeys(ctx context.Context) ([]KeyInfo, error) {
	keys, err := listKeyFiles(ctx, r.store)
	if err != nil {
		return nil, err
	}
	out := make([]KeyInfo, 0, len(keys))
	for _, k := range keys {
		out = append(out, KeyInfo{ID: k.id, Created: k.kf.Created, Hostname: k.kf.Hostname, Username: k.kf.Username,
			KDF: KDFParams{Time: k.kf.KDF.Time, Memory: k.kf.KDF.Memory, Threads: k.kf.KDF.Threads}, Current: k.id == r.currentKey()})
	}
	return out, nil
}

// ChangePassword adds a key file for newPassword and removes the key this
// Repository was opened with; it returns the new key's id.
func (r *Repository) ChangePassword(ctx context.Context, newPassword string, opts KeyOptions) (string, error) {
	id, err := r.AddKey(ctx, newPassword, opts)
	if err != nil {
		return "", err
	}
	old := r.currentKey()
	if err := r.store.Delete(ctx, keysPrefix+old); err != nil {
		return "", fmt.Errorf("remove old key %s (the new key %s is in place): %w", old, id, err)
	}
	r.mu.Lock()
	r.keyID = id
	r.mu.Unlock()
	return id, nil
}

func (r *Repository) currentKey() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keyID
}
