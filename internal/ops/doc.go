// Package ops holds Arca's operations (backup, restore, verify, prune, ...)
// as task handlers, each composed from the engines (repository, archiver,
// restorer, catalog) it needs. cmd/arca registers them with the task engine.
package ops
