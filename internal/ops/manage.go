package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
)

// RepositoryInput describes a repository to register.
type RepositoryInput struct {
	Name, Kind, Path                 string
	Endpoint, Bucket, Prefix, Region string
	Insecure                         bool
	AccessKey, SecretKey, Password   string
}

// NewRepository validates in and returns the registration to store, its
// secret sealed. It touches nothing: the repository.init task opens or
// initialises the repository.
func (s *Service) NewRepository(tenant string, in RepositoryInput) (arca.Repository, error) {
	now := s.opts.Now().UTC()
	r := arca.Repository{ID: arca.NewID(now), Tenant: tenant, Name: strings.TrimSpace(in.Name), Kind: arca.RepositoryKind(in.Kind),
		Path: in.Path, Endpoint: in.Endpoint, Bucket: in.Bucket, Prefix: strings.Trim(in.Prefix, "/"), Region: in.Region,
		Insecure: in.Insecure, CreatedAt: now, UpdatedAt: now}
	if err := checkRepository(r, in); err != nil {
		return r, err
	}
	if r.Kind == arca.RepositoryLocal {
		r.Path = filepath.Clean(r.Path)
	}
	sealed, err := s.repos.SealSecret(r.ID, arca.RepositorySecret{Password: in.Password, AccessKey: in.AccessKey, SecretKey: in.SecretKey})
	if err != nil {
		return r, err
	}
	r.Secret = sealed
	return r, nil
}

func checkRepository(r arca.Repository, in RepositoryInput) error {
	var f []arca.FieldError
	add := func(field, msg string) { f = append(f, arca.FieldError{Field: field, Message: msg}) }
	if r.Name == "" {
		add("name", "give the repository a name")
	}
	if in.Password == "" {
		add("password", "give the repository password")
	}
	switch r.Kind {
	case arca.RepositoryLocal:
		if !filepath.IsAbs(r.Path) {
			add("path", "a local repository needs an absolute directory path")
		}
		if r.Endpoint != "" || r.Bucket != "" {
			add("kind", "endpoint and bucket are for kind s3")
		}
	case arca.RepositoryS3:
		if r.Endpoint == "" {
			add("endpoint", "an s3 repository needs the endpoint host[:port]")
		}
		if r.Bucket == "" {
			add("bucket", "an s3 repository needs a bucket")
		}
		if (in.AccessKey == "") != (in.SecretKey == "") {
			add("secret_key", "give both access_key and secret_key, or neither")
		}
	default:
		add("kind", fmt.Sprintf("unknown kind %q: use local or s3", r.Kind))
	}
	if len(f) == 0 {
		return nil
	}
	return &arca.Error{Code: arca.CodeInvalidArgument, Message: "The repository is not valid: " + f[0].Field + ": " + f[0].Message + ".", Fields: f}
}

// RepositoryChange is a change to a registration; nil fields stay.
type RepositoryChange struct {
	Name                           *string
	AccessKey, SecretKey, Password *string
}

// ChangeRepository applies ch to r. A new password or new credentials are
// checked by opening the repository with them before they are accepted.
func (s *Service) ChangeRepository(ctx context.Context, r arca.Repository, ch RepositoryChange) (arca.Repository, error) {
	if ch.Name != nil {
		if strings.TrimSpace(*ch.Name) == "" {
			return r, invalid("name", "The repository name cannot be empty.")
		}
		r.Name = strings.TrimSpace(*ch.Name)
	}
	if ch.Password != nil || ch.AccessKey != nil || ch.SecretKey != nil {
		sec, err := s.repos.Secret(r)
		if err != nil {
			return r, err
		}
		for _, c := range []struct {
			from *string
			to   *string
		}{{ch.Password, &sec.Password}, {ch.AccessKey, &sec.AccessKey}, {ch.SecretKey, &sec.SecretKey}} {
			if c.from != nil {
				*c.to = *c.from
			}
		}
		if sec.Password == "" {
			return r, invalid("password", "The repository password cannot be empty.")
		}
		if r.Secret, err = s.repos.SealSecret(r.ID, sec); err != nil {
			return r, err
		}
		rp, _, err := s.repos.openOrInit(ctx, r, false)
		if err != nil {
			return r, err
		}
		rp.Close()
	}
	r.UpdatedAt = s.opts.Now().UTC()
	return r, nil
}

// SourceInput describes a source to create.
type SourceInput struct {
	Name, Kind   string
	Settings     json.RawMessage
	Secret       string
	SkipProbe    bool
	RepositoryID string
}

// NewSource validates in with its kind's driver, probes it unless asked
// not to, and returns the source to store with its secret sealed.
func (s *Service) NewSource(ctx context.Context, tenant string, in SourceInput) (arca.Source, error) {
	now := s.opts.Now().UTC()
	src := arca.Source{ID: arca.NewID(now), Tenant: tenant, Name: strings.TrimSpace(in.Name), Kind: arca.SourceKind(in.Kind),
		RepositoryID: in.RepositoryID, Settings: in.Settings, CreatedAt: now, UpdatedAt: now}
	if src.Name == "" {
		return src, invalid("name", "Give the source a name.")
	}
	return s.checkSource(ctx, src, in.Secret, true, in.SkipProbe)
}

// SourceChange is a change to a source; nil fields stay.
type SourceChange struct {
	Name      *string
	Settings  json.RawMessage
	Secret    *string
	SkipProbe bool
}

// ChangeSource applies ch to src, validating and probing the result.
func (s *Service) ChangeSource(ctx context.Context, src arca.Source, ch SourceChange) (arca.Source, error) {
	if ch.Name != nil {
		if strings.TrimSpace(*ch.Name) == "" {
			return src, invalid("name", "The source name cannot be empty.")
		}
		src.Name = strings.TrimSpace(*ch.Name)
	}
	if len(ch.Settings) > 0 {
		src.Settings = ch.Settings
	}
	secret, err := s.sourceSecret(src)
	if err != nil {
		return src, err
	}
	reseal := ch.Secret != nil
	if reseal {
		secret = *ch.Secret
	}
	src.UpdatedAt = s.opts.Now().UTC()
	return s.checkSource(ctx, src, secret, reseal, ch.SkipProbe || (len(ch.Settings) == 0 && !reseal))
}

func (s *Service) checkSource(ctx context.Context, src arca.Source, secret string, reseal, skipProbe bool) (arca.Source, error) {
	drv, err := s.sources.Driver(src.Kind)
	if err != nil {
		return src, err
	}
	if len(src.Settings) == 0 {
		src.Settings = json.RawMessage("{}")
	}
	if err := drv.Validate(src.Settings); err != nil {
		return src, err
	}
	if err := s.checkLocal(drv, src.Kind, src.Settings); err != nil {
		return src, err
	}
	if !skipProbe {
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := drv.Probe(pctx, source.Config{Source: src, Secret: secret})
		cancel()
		if err != nil {
			return src, probeFailed(src, err)
		}
	}
	if reseal {
		if src.Secret, err = s.SealSourceSecret(src.ID, secret); err != nil {
			return src, err
		}
	}
	return src, nil
}

// probeFailed turns a probe's error into a 400-class answer for the API:
// the caller's own credentials are fine, the source's are not.
func probeFailed(src arca.Source, err error) error {
	var ae *arca.Error
	if !errors.As(err, &ae) {
		return &arca.Error{Code: arca.CodeUnavailable, Message: fmt.Sprintf("Source %q cannot be backed up now: %v. Fix it, or create it with skip_probe.", src.Name, err), Err: err}
	}
	if ae.Code == arca.CodeUnauthenticated || ae.Code == arca.CodePermissionDenied {
		return &arca.Error{Code: arca.CodeInvalidArgument, Message: ae.Message, Fields: []arca.FieldError{{Field: "secret", Message: ae.Message}},
			Details: map[string]string{"cause": string(ae.Code)}, Err: err}
	}
	return err
}

// checkLocal refuses command sources unless allowed, and server files
// outside the read roots.
func (s *Service) checkLocal(drv source.Driver, kind arca.SourceKind, settings json.RawMessage) error {
	if kind == arca.SourceCommand && !s.opts.AllowCommands {
		return invalid("kind", "This server does not run command sources (they run any program as the server's user): an administrator can allow them with --allow-command-sources.")
	}
	lp, ok := drv.(source.LocalPaths)
	if !ok || len(s.opts.ReadRoots) == 0 {
		return nil
	}
	paths, err := lp.ReadPaths(settings)
	if err != nil {
		return err
	}
	for _, p := range paths {
		if !within(p, s.opts.ReadRoots) {
			return invalid("settings", "%q is outside the directories this server reads sources from (%s); an administrator can add one with --fs-root.", p, strings.Join(s.opts.ReadRoots, ", "))
		}
	}
	return nil
}
