-- +goose Up
-- Users, their login sessions and the audit log. Usernames are unique
-- across tenants (a login names only the user). Secrets are never stored:
-- users keep an Argon2id hash, sessions a SHA-256 of their random secret.
CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	tenant        TEXT NOT NULL REFERENCES tenants (id),
	username      TEXT NOT NULL UNIQUE,
	roles         TEXT NOT NULL DEFAULT '[]',
	password_hash TEXT NOT NULL,
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL
) STRICT;

CREATE INDEX users_tenant_id ON users (tenant, id);

CREATE TABLE sessions (
	id           TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	secret_hash  BLOB NOT NULL,
	created_at   TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	expires_at   TEXT NOT NULL
) STRICT;

CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE audit_log (
	id             TEXT PRIMARY KEY,
	at             TEXT NOT NULL,
	tenant         TEXT NOT NULL DEFAULT '',
	principal_id   TEXT NOT NULL DEFAULT '',
	principal_kind TEXT NOT NULL DEFAULT '',
	principal_name TEXT NOT NULL DEFAULT '',
	action         TEXT NOT NULL DEFAULT '',
	method         TEXT NOT NULL DEFAULT '',
	target         TEXT NOT NULL DEFAULT '',
	status         INTEGER NOT NULL,
	request_id     TEXT NOT NULL DEFAULT '',
	remote_addr    TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX audit_log_tenant_id ON audit_log (tenant, id);
CREATE INDEX audit_log_principal_id ON audit_log (principal_id, id);
CREATE INDEX api_tokens_tenant_id ON api_tokens (tenant, id);

-- +goose Down
DROP INDEX api_tokens_tenant_id;
DROP TABLE audit_log;
DROP TABLE sessions;
DROP TABLE users;
