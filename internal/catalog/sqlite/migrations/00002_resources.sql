-- +goose Up
-- Repositories, sources and the snapshot cache. Tenants are plain text (no
-- foreign key: the identity tables come later). Secrets are sealed bytes;
-- settings, paths, tags, labels and stats are JSON text as the caller gave
-- it. Times are TEXT as in 00001: fixed width, so text order is time order.
CREATE TABLE repositories (
	id         TEXT PRIMARY KEY,
	tenant     TEXT NOT NULL,
	name       TEXT NOT NULL,
	kind       TEXT NOT NULL,
	path       TEXT NOT NULL DEFAULT '',
	endpoint   TEXT NOT NULL DEFAULT '',
	bucket     TEXT NOT NULL DEFAULT '',
	prefix     TEXT NOT NULL DEFAULT '',
	region     TEXT NOT NULL DEFAULT '',
	insecure   INTEGER NOT NULL DEFAULT 0,
	repo_id    TEXT NOT NULL DEFAULT '',
	secret     BLOB,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (tenant, name)
) STRICT;

CREATE INDEX repositories_tenant_id ON repositories (tenant, id);

-- A repository that sources target cannot be deleted (no ON DELETE).
CREATE TABLE sources (
	id            TEXT PRIMARY KEY,
	tenant        TEXT NOT NULL,
	name          TEXT NOT NULL,
	kind          TEXT NOT NULL,
	repository_id TEXT NOT NULL REFERENCES repositories (id),
	settings      TEXT,
	secret        BLOB,
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL,
	UNIQUE (tenant, name)
) STRICT;

CREATE INDEX sources_tenant_id ON sources (tenant, id);
CREATE INDEX sources_repository_id ON sources (repository_id, id);

-- The snapshot cache: rebuilt from the repositories, so deleting a
-- repository deletes its rows; deleting a source keeps them (no foreign key
-- on source_id). Listings go newest first by (time, id, repository_id).
CREATE TABLE snapshots (
	repository_id TEXT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
	id            TEXT NOT NULL,
	tenant        TEXT NOT NULL,
	source_id     TEXT NOT NULL DEFAULT '',
	source_kind   TEXT NOT NULL DEFAULT '',
	time          TEXT NOT NULL,
	hostname      TEXT NOT NULL DEFAULT '',
	paths         TEXT,
	tags          TEXT NOT NULL DEFAULT '[]',
	copy_only     INTEGER NOT NULL DEFAULT 0,
	tree          TEXT NOT NULL,
	parent        TEXT NOT NULL DEFAULT '',
	digest        TEXT NOT NULL DEFAULT '',
	task_id       TEXT NOT NULL DEFAULT '',
	stats         TEXT,
	labels        TEXT,
	PRIMARY KEY (repository_id, id)
) STRICT;

CREATE INDEX snapshots_id ON snapshots (id, repository_id);
CREATE INDEX snapshots_time ON snapshots (time DESC, id DESC, repository_id DESC);
CREATE INDEX snapshots_tenant_time ON snapshots (tenant, time DESC, id DESC, repository_id DESC);
CREATE INDEX snapshots_repository_time ON snapshots (repository_id, time DESC, id DESC);
CREATE INDEX snapshots_source_time ON snapshots (source_id, time DESC, id DESC, repository_id DESC);

-- +goose Down
DROP TABLE snapshots;
DROP TABLE sources;
DROP TABLE repositories;
