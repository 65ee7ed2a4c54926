package server

import (
	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/repo/policy"
	"github.com/arcabackup/arca/internal/serverapi"
)

func wireRepository(r arca.Repository) serverapi.Repository {
	return serverapi.Repository{ID: r.ID, Tenant: r.Tenant, Name: r.Name, Kind: string(r.Kind), Path: r.Path, Endpoint: r.Endpoint,
		Bucket: r.Bucket, Prefix: r.Prefix, Region: r.Region, Insecure: r.Insecure, RepoID: r.RepoID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func wireSource(s arca.Source) serverapi.Source {
	return serverapi.Source{ID: s.ID, Tenant: s.Tenant, Name: s.Name, Kind: string(s.Kind), RepositoryID: s.RepositoryID,
		Settings: s.Settings, HasSecret: len(s.Secret) > 0, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

func wireSnapshot(s arca.Snapshot) serverapi.Snapshot {
	return serverapi.Snapshot{ID: s.ID, Tenant: s.Tenant, RepositoryID: s.RepositoryID, SourceID: s.SourceID, SourceKind: string(s.SourceKind),
		Time: s.Time, Hostname: s.Hostname, Paths: s.Paths, Tags: s.Tags, CopyOnly: s.CopyOnly, Parent: s.Parent,
		ContentDigest: s.Digest, TaskID: s.TaskID, Stats: s.Stats, Labels: s.Labels}
}

func domainPolicy(p serverapi.Policy) (policy.Policy, error) {
	out := policy.Policy{Last: p.Last, Hourly: p.Hourly, Daily: p.Daily, Weekly: p.Weekly, Monthly: p.Monthly, Yearly: p.Yearly, Tags: p.Tags}
	if p.Within != "" {
		d, err := policy.ParseAge(p.Within)
		if err != nil {
			return out, invalidField("policy.within", "The policy's within %q is not a duration: use such as 30d, 2w, 1y6w or 36h.", p.Within)
		}
		out.Within = d
	}
	if err := out.Validate(); err != nil {
		return out, invalidField("policy", "The retention policy is not valid: %v.", err)
	}
	return out, nil
}
