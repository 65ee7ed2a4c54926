package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
)

// resolve finds the item a command-line reference names: its id, or its
// name when exactly one item has it. An id no listed item has is passed
// on as it is (the server then says whether it exists), with found false.
func resolve[T any](kind, ref string, items []T, id, name func(T) string) (T, bool, error) {
	var zero T
	var byName []T
	for _, it := range items {
		if id(it) == ref {
			return it, true, nil
		}
		if name(it) == ref {
			byName = append(byName, it)
		}
	}
	switch {
	case len(byName) == 1:
		return byName[0], true, nil
	case len(byName) > 1:
		ids := make([]string, len(byName))
		for i, it := range byName {
			ids[i] = id(it)
		}
		return zero, false, &arca.Error{Code: arca.CodeInvalidArgument,
			Message: fmt.Sprintf("Several %ss are named %q (%s): give the id of the one you mean.", kind, ref, strings.Join(ids, ", "))}
	case arca.ValidID(ref):
		return zero, false, nil
	}
	return zero, false, &arca.Error{Code: arca.CodeNotFound,
		Message: fmt.Sprintf("No %s is named %q: arca %s ls lists them by name and id.", kind, ref, kind)}
}

// resolveRepository returns the id of the repository ref names (an id or a
// unique name).
func resolveRepository(ctx context.Context, c *apiclient.Client, ref string) (string, error) {
	if arca.ValidID(ref) {
		return ref, nil
	}
	all, err := c.AllRepositories(ctx)
	if err != nil {
		return "", err
	}
	r, _, err := resolve("repository", ref, all, func(r serverapi.Repository) string { return r.ID },
		func(r serverapi.Repository) string { return r.Name })
	return r.ID, err
}

// resolveSources returns the sources refs name (ids or unique names), in
// order, listing the sources once. An id the list lacks comes back with
// only its id set, for the server to judge.
func resolveSources(ctx context.Context, c *apiclient.Client, refs []string) ([]serverapi.Source, error) {
	all, err := c.AllSources(ctx, apiclient.SourceFilter{})
	if err != nil {
		return nil, err
	}
	out := make([]serverapi.Source, len(refs))
	for i, ref := range refs {
		s, found, err := resolve("source", ref, all, func(s serverapi.Source) string { return s.ID },
			func(s serverapi.Source) string { return s.Name })
		if err != nil {
			return nil, err
		}
		if !found {
			s = serverapi.Source{ID: ref, Name: ref}
		}
		out[i] = s
	}
	return out, nil
}
