-- +goose Up
-- Times are timestamptz (microseconds). JSON columns are json, not jsonb:
-- they keep the text the caller gave, byte for byte, as the SQLite driver does.
-- Task ids sort in byte order (COLLATE "C"): UUIDv7 text order is time order.
CREATE TABLE tenants (
	id         text PRIMARY KEY,
	name       text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO tenants (id, name) VALUES ('default', 'Default');

CREATE TABLE tasks (
	id               text COLLATE "C" PRIMARY KEY,
	tenant           text NOT NULL,
	operation        text NOT NULL,
	target_type      text NOT NULL DEFAULT '',
	target_id        text NOT NULL DEFAULT '',
	parent           text COLLATE "C" REFERENCES tasks (id) ON DELETE CASCADE,
	state            text NOT NULL,
	blocked_reason   text NOT NULL DEFAULT '',
	progress         json NOT NULL DEFAULT '{}',
	cancelable       boolean NOT NULL DEFAULT false,
	created_by       text NOT NULL DEFAULT '',
	request_id       text NOT NULL DEFAULT '',
	params           json,
	exclusive_key    text NOT NULL DEFAULT '',
	attempt          integer NOT NULL DEFAULT 0,
	created_at       timestamptz NOT NULL,
	started_at       timestamptz,
	ended_at         timestamptz,
	updated_at       timestamptz NOT NULL,
	result           json,
	result_type      text NOT NULL DEFAULT '',
	error            json,
	warnings         json,
	cancel_requested boolean NOT NULL DEFAULT false,
	worker           text NOT NULL DEFAULT '',
	lease_until      timestamptz,
	idempotency_key  text,
	request_hash     text NOT NULL DEFAULT ''
);

CREATE INDEX tasks_state_id ON tasks (state, id);
CREATE INDEX tasks_parent ON tasks (parent);
CREATE INDEX tasks_tenant_id ON tasks (tenant, id);
CREATE UNIQUE INDEX tasks_tenant_idempotency_key ON tasks (tenant, idempotency_key)
	WHERE idempotency_key IS NOT NULL;
CREATE INDEX tasks_target ON tasks (target_type, target_id);
CREATE INDEX tasks_ended_at ON tasks (ended_at);
-- The queue: claimers read it in id order.
CREATE INDEX tasks_queued ON tasks (id) WHERE state = 'queued';
-- Every claim and finish rewrites a row: vacuum and analyze the queue table
-- sooner than the defaults (20% / 10% of the rows) so the planner keeps
-- walking tasks_queued in order instead of sorting a stale estimate.
ALTER TABLE tasks SET (autovacuum_vacuum_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.02);
CREATE INDEX tasks_blocked_key ON tasks (exclusive_key, id) WHERE state = 'blocked';

-- task_locks holds each exclusivity key taken by an unfinished task.
CREATE TABLE task_locks (
	key     text PRIMARY KEY,
	task_id text NOT NULL UNIQUE REFERENCES tasks (id) ON DELETE CASCADE
);

CREATE TABLE api_tokens (
	id           text PRIMARY KEY,
	tenant       text NOT NULL,
	name         text NOT NULL,
	roles        text[] NOT NULL DEFAULT '{}',
	secret_hash  bytea NOT NULL,
	created_at   timestamptz NOT NULL,
	expires_at   timestamptz,
	revoked_at   timestamptz,
	last_used_at timestamptz
);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE task_locks;
DROP TABLE tasks;
DROP TABLE tenants;
