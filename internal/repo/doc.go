// Package repo is Arca's repository engine: it initialises and opens an
// encrypted, deduplicated, compressed repository on a blob.Store, saves and
// loads content blobs (data and trees) through pack files and an index, and
// stores snapshots and key files. The on-disk format is specified in
// docs/repository-format.md (format version 1); the pure building blocks
// live in the child packages crypto, chunker, pack and index.
//
// A Repository is safe for concurrent use by many goroutines, and several
// processes may write to one repository at the same time: every writer
// creates only new objects (its own packs, index objects and snapshots) and
// never modifies a shared one.
package repo
