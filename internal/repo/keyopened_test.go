package repo_test

import (
	"context"
	"errors"
	"testing"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/repotest"
)

func TestOpenCallsKeyOpenedOnlyWhenTheKeyOpens(t *testing.T) {
	_, store := repotest.New(t)
	for _, c := range []struct {
		password string
		calls    int
		err      error
	}{
		{repotest.Password, 1, nil},
		{"wrong", 0, repo.ErrWrongPassword},
	} {
		calls := 0
		r, err := repo.Open(context.Background(), store, c.password, repo.OpenOptions{KeyOpened: func() { calls++ }})
		if !errors.Is(err, c.err) || calls != c.calls {
			t.Errorf("Open with password %q: %v and %d KeyOpened calls; want %v and %d", c.password, err, calls, c.err, c.calls)
		}
		if r != nil {
			r.Close()
		}
	}
}
