package ops

import (
	"testing"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/seal"
)

// A secret sealed under another master key is the server's
// misconfiguration, UNAVAILABLE (503) with what to do, never INTERNAL.
func TestSecretUnderAnotherMasterKeyIsUnavailable(t *testing.T) {
	box := func() *seal.Box {
		k, err := seal.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		b, err := seal.New(k)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	old, current := box(), box()
	repoSecret, err := old.Seal("repository:r1", []byte(`{"password":"pw"}`))
	if err != nil {
		t.Fatal(err)
	}
	srcSecret, err := old.Seal("source:s1", []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	repos := &Repos{box: current}
	if _, err := repos.Secret(arca.Repository{ID: "r1", Secret: repoSecret}); arca.ErrorCode(err) != arca.CodeUnavailable {
		t.Errorf("repository secret under another key: %v (code %s), want UNAVAILABLE", err, arca.ErrorCode(err))
	}
	svc := &Service{box: current}
	if _, err := svc.sourceSecret(arca.Source{ID: "s1", Name: "db", Secret: srcSecret}); arca.ErrorCode(err) != arca.CodeUnavailable {
		t.Errorf("source secret under another key: %v (code %s), want UNAVAILABLE", err, arca.ErrorCode(err))
	}
	if _, err := (&Repos{box: old}).Secret(arca.Repository{ID: "r1", Secret: repoSecret}); err != nil {
		t.Errorf("repository secret under its own key: %v", err)
	}
}
