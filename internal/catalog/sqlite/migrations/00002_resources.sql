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

-- snapshot_tags indexes the tags of the snapshots (a JSON array cannot be
-- indexed): one row per distinct tag of a snapshot, in the listing order
-- after the tag, so that listing by a tag reads only the snapshots carrying
-- it, newest first. The triggers keep it equal to snapshots.tags; deleting
-- a snapshot deletes its rows.
CREATE TABLE snapshot_tags (
	tag           TEXT NOT NULL,
	time          TEXT NOT NULL,
	snapshot_id   TEXT NOT NULL,
	repository_id TEXT NOT NULL,
	PRIMARY KEY (tag, time, snapshot_id, repository_id),
	FOREIGN KEY (repository_id, snapshot_id) REFERENCES snapshots (repository_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX snapshot_tags_snapshot ON snapshot_tags (repository_id, snapshot_id);

-- +goose StatementBegin
CREATE TRIGGER snapshots_tags_insert AFTER INSERT ON snapshots BEGIN
	INSERT OR IGNORE INTO snapshot_tags (tag, time, snapshot_id, repository_id)
	SELECT value, NEW.time, NEW.id, NEW.repository_id FROM json_each(NEW.tags);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER snapshots_tags_update AFTER UPDATE ON snapshots BEGIN
	DELETE FROM snapshot_tags WHERE repository_id = OLD.repository_id AND snapshot_id = OLD.id;
	INSERT OR IGNORE INTO snapshot_tags (tag, time, snapshot_id, repository_id)
	SELECT value, NEW.time, NEW.id, NEW.repository_id FROM json_each(NEW.tags);
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE snapshot_tags;
DROP TABLE snapshots;
DROP TABLE sources;
DROP TABLE repositories;
