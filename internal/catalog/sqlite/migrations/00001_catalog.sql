-- +goose Up
-- Times are TEXT in RFC 3339 form, UTC, with exactly six fractional digits
-- ("2026-01-02T03:04:05.000000Z"): fixed width, so they compare and sort as
-- text. JSON columns hold the JSON text as the caller gave it.
CREATE TABLE tenants (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at TEXT NOT NULL
) STRICT;

INSERT INTO tenants (id, name, created_at)
VALUES ('default', 'Default', strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'));

CREATE TABLE tasks (
	id               TEXT PRIMARY KEY,
	tenant           TEXT NOT NULL,
	operation        TEXT NOT NULL,
	target_type      TEXT NOT NULL DEFAULT '',
	target_id        TEXT NOT NULL DEFAULT '',
	parent           TEXT REFERENCES tasks (id) ON DELETE CASCADE,
	state            TEXT NOT NULL,
	blocked_reason   TEXT NOT NULL DEFAULT '',
	progress         TEXT NOT NULL DEFAULT '{}',
	cancelable       INTEGER NOT NULL DEFAULT 0,
	created_by       TEXT NOT NULL DEFAULT '',
	request_id       TEXT NOT NULL DEFAULT '',
	params           TEXT,
	exclusive_key    TEXT NOT NULL DEFAULT '',
	attempt          INTEGER NOT NULL DEFAULT 0,
	created_at       TEXT NOT NULL,
	started_at       TEXT,
	ended_at         TEXT,
	updated_at       TEXT NOT NULL,
	result           TEXT,
	result_type      TEXT NOT NULL DEFAULT '',
	error            TEXT,
	warnings         TEXT,
	cancel_requested INTEGER NOT NULL DEFAULT 0,
	worker           TEXT NOT NULL DEFAULT '',
	lease_until      TEXT,
	idempotency_key  TEXT,
	request_hash     TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX tasks_state_id ON tasks (state, id);
CREATE INDEX tasks_parent ON tasks (parent);
CREATE INDEX tasks_tenant_id ON tasks (tenant, id);
CREATE UNIQUE INDEX tasks_tenant_idempotency_key ON tasks (tenant, idempotency_key)
	WHERE idempotency_key IS NOT NULL;
CREATE INDEX tasks_target ON tasks (target_type, target_id);
CREATE INDEX tasks_ended_at ON tasks (ended_at);
-- The queue: claimers read it in id order.
CREATE INDEX tasks_queued ON tasks (id) WHERE state = 'queued';
CREATE INDEX tasks_blocked_key ON tasks (exclusive_key, id) WHERE state = 'blocked';

-- task_locks holds each exclusivity key taken by an unfinished task.
CREATE TABLE task_locks (
	key     TEXT PRIMARY KEY,
	task_id TEXT NOT NULL UNIQUE REFERENCES tasks (id) ON DELETE CASCADE
) STRICT;

CREATE TABLE api_tokens (
	id           TEXT PRIMARY KEY,
	tenant       TEXT NOT NULL,
	name         TEXT NOT NULL,
	roles        TEXT NOT NULL DEFAULT '[]',
	secret_hash  BLOB NOT NULL,
	created_at   TEXT NOT NULL,
	expires_at   TEXT,
	revoked_at   TEXT,
	last_used_at TEXT
) STRICT;

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE task_locks;
DROP TABLE tasks;
DROP TABLE tenants;
