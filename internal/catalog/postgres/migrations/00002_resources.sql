-- +goose Up
-- Repositories, sources and the snapshot cache. Tenants are plain text (no
-- foreign key: the identity tables come later). Secrets are sealed bytes.
-- Settings, paths, stats and labels are json (the text as given, as the
-- SQLite driver keeps it); tags are jsonb, for the GIN index that finds the
-- snapshots carrying one tag (tags @> '["x"]'). Ids sort in byte order
-- (COLLATE "C"), as in SQLite.
CREATE TABLE repositories (
	id         text COLLATE "C" PRIMARY KEY,
	tenant     text NOT NULL,
	name       text NOT NULL,
	kind       text NOT NULL,
	path       text NOT NULL DEFAULT '',
	endpoint   text NOT NULL DEFAULT '',
	bucket     text NOT NULL DEFAULT '',
	prefix     text NOT NULL DEFAULT '',
	region     text NOT NULL DEFAULT '',
	insecure   boolean NOT NULL DEFAULT false,
	repo_id    text NOT NULL DEFAULT '',
	secret     bytea,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL,
	CONSTRAINT repositories_tenant_name_key UNIQUE (tenant, name)
);

CREATE INDEX repositories_tenant_id ON repositories (tenant, id);

-- A repository that sources target cannot be deleted (no ON DELETE).
CREATE TABLE sources (
	id            text COLLATE "C" PRIMARY KEY,
	tenant        text NOT NULL,
	name          text NOT NULL,
	kind          text NOT NULL,
	repository_id text COLLATE "C" NOT NULL
		CONSTRAINT sources_repository_id_fkey REFERENCES repositories (id),
	settings      json,
	secret        bytea,
	created_at    timestamptz NOT NULL,
	updated_at    timestamptz NOT NULL,
	CONSTRAINT sources_tenant_name_key UNIQUE (tenant, name)
);

CREATE INDEX sources_tenant_id ON sources (tenant, id);
CREATE INDEX sources_repository_id ON sources (repository_id, id);

-- The snapshot cache: rebuilt from the repositories, so deleting a
-- repository deletes its rows; deleting a source keeps them (no foreign key
-- on source_id). Listings go newest first by (time, id, repository_id).
CREATE TABLE snapshots (
	repository_id text COLLATE "C" NOT NULL
		CONSTRAINT snapshots_repository_id_fkey REFERENCES repositories (id) ON DELETE CASCADE,
	id            text COLLATE "C" NOT NULL,
	tenant        text NOT NULL,
	source_id     text COLLATE "C" NOT NULL DEFAULT '',
	source_kind   text NOT NULL DEFAULT '',
	time          timestamptz NOT NULL,
	hostname      text NOT NULL DEFAULT '',
	paths         json,
	tags          jsonb NOT NULL DEFAULT '[]',
	copy_only     boolean NOT NULL DEFAULT false,
	tree          text NOT NULL,
	parent        text NOT NULL DEFAULT '',
	digest        text NOT NULL DEFAULT '',
	task_id       text NOT NULL DEFAULT '',
	stats         json,
	labels        json,
	PRIMARY KEY (repository_id, id)
);

CREATE INDEX snapshots_id ON snapshots (id, repository_id);
CREATE INDEX snapshots_time ON snapshots (time DESC, id DESC, repository_id DESC);
CREATE INDEX snapshots_tenant_time ON snapshots (tenant, time DESC, id DESC, repository_id DESC);
CREATE INDEX snapshots_repository_time ON snapshots (repository_id, time DESC, id DESC);
CREATE INDEX snapshots_source_time ON snapshots (source_id, time DESC, id DESC, repository_id DESC);
CREATE INDEX snapshots_tags ON snapshots USING gin (tags jsonb_path_ops);

-- +goose Down
DROP TABLE snapshots;
DROP TABLE sources;
DROP TABLE repositories;
