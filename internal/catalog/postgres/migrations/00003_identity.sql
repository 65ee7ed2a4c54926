-- +goose Up
-- Users, their login sessions and the audit log. Usernames are unique
-- across tenants (a login names only the user). Secrets are never stored:
-- users keep an Argon2id hash, sessions a SHA-256 of their random secret.
CREATE TABLE users (
	id            text COLLATE "C" PRIMARY KEY,
	tenant        text NOT NULL REFERENCES tenants (id),
	username      text NOT NULL,
	roles         text[] NOT NULL DEFAULT '{}',
	password_hash text NOT NULL,
	disabled      boolean NOT NULL DEFAULT false,
	created_at    timestamptz NOT NULL,
	updated_at    timestamptz NOT NULL,
	CONSTRAINT users_username_key UNIQUE (username)
);

CREATE INDEX users_tenant_id ON users (tenant, id);

CREATE TABLE sessions (
	id           text PRIMARY KEY,
	user_id      text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	secret_hash  bytea NOT NULL,
	created_at   timestamptz NOT NULL,
	last_seen_at timestamptz NOT NULL,
	expires_at   timestamptz NOT NULL
);

CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE audit_log (
	id             text COLLATE "C" PRIMARY KEY,
	at             timestamptz NOT NULL,
	tenant         text NOT NULL DEFAULT '',
	principal_id   text NOT NULL DEFAULT '',
	principal_kind text NOT NULL DEFAULT '',
	principal_name text NOT NULL DEFAULT '',
	action         text NOT NULL DEFAULT '',
	method         text NOT NULL DEFAULT '',
	target         text NOT NULL DEFAULT '',
	status         integer NOT NULL,
	request_id     text NOT NULL DEFAULT '',
	remote_addr    text NOT NULL DEFAULT ''
);

CREATE INDEX audit_log_tenant_id ON audit_log (tenant, id);
CREATE INDEX audit_log_principal_id ON audit_log (principal_id, id);
CREATE INDEX api_tokens_tenant_id ON api_tokens (tenant, id COLLATE "C");

-- +goose Down
DROP INDEX api_tokens_tenant_id;
DROP TABLE audit_log;
DROP TABLE sessions;
DROP TABLE users;
