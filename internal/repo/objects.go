package repo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/crypto"
)

// Object names (see docs/repository-format.md, "Layout").
const (
	configName     = "config"
	keysPrefix     = "keys/"
	dataPrefix     = "data/"
	indexPrefix    = "index/"
	snapshotPrefix = "snapshots/"
)

// objectVersion is the first byte of every encrypted metadata object.
const objectVersion = 1

func packName(id ID) string {
	s := id.String()
	return dataPrefix + s[:2] + "/" + s
}

// parseNamedID returns the ID at the end of an object name.
func parseNamedID(name string) (ID, error) {
	return ParseID(name[strings.LastIndexByte(name, '/')+1:])
}

// sealObject encrypts a metadata object stored under name: version byte,
// then the sealed plaintext bound to the name.
func sealObject(key *[crypto.KeySize]byte, name string, plaintext []byte) ([]byte, error) {
	out := make([]byte, 1, 1+len(plaintext)+crypto.Overhead)
	out[0] = objectVersion
	return crypto.NewSealer(key).Seal(out, plaintext, []byte(name))
}

// openObject decrypts what sealObject produced.
func (r *Repository) openObject(name string, data []byte) ([]byte, error) {
	return openObjectWith(r.opener, name, data)
}

func openObjectWith(o *crypto.Opener, name string, data []byte) ([]byte, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("object %s is empty: %w", name, ErrIntegrity)
	}
	if data[0] != objectVersion {
		return nil, fmt.Errorf("object %s has version %d: %w", name, data[0], ErrUnsupportedVersion)
	}
	plain, err := o.Open(nil, data[1:], []byte(name))
	if err != nil {
		return nil, fmt.Errorf("object %s: %w", name, ErrIntegrity)
	}
	return plain, nil
}

// saveHashedObject stores plaintext encrypted under prefix + keyed hash of
// the plaintext and returns the ID. The name is content-derived, so finding
// it already stored (a retried Put that had succeeded) is success. Every
// pack stored so far is made durable first: an index or snapshot object
// may name any of them.
func (r *Repository) saveHashedObject(ctx context.Context, prefix string, plaintext []byte) (ID, error) {
	if err := blob.Sync(ctx, r.store); err != nil {
		if ctx.Err() == nil {
			r.fail(err) // packs may be lost: nothing may name them
		}
		return ID{}, fmt.Errorf("save %s object: make packs durable: %w", strings.TrimSuffix(prefix, "/"), err)
	}
	id := ID(r.hasher.Sum(plaintext))
	name := prefix + id.String()
	data, err := sealObject(&r.mk.Encrypt, name, plaintext)
	if err != nil {
		return ID{}, err
	}
	if err := r.store.Put(ctx, name, data); err != nil && !errors.Is(err, blob.ErrExists) {
		return ID{}, fmt.Errorf("save %s: %w", name, err)
	}
	return id, nil
}

// loadHashedObject loads, decrypts and verifies an object saved with
// saveHashedObject.
func (r *Repository) loadHashedObject(ctx context.Context, prefix string, id ID) ([]byte, error) {
	name := prefix + id.String()
	data, err := blob.ReadAll(ctx, r.store, name)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	plain, err := r.openObject(name, data)
	if err != nil {
		return nil, err
	}
	if ID(r.hasher.Sum(plain)) != id {
		return nil, fmt.Errorf("object %s does not match its name: %w", name, ErrIntegrity)
	}
	return plain, nil
}
