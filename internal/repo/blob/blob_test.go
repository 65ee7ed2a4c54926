package blob_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/arcabackup/arca/internal/repo/blob"
)

func TestValidName(t *testing.T) {
	valid := []string{
		"config", "keys/0123", "data/ab/abcdef", "a b/c+d=e,f;g:h@i%20j", "ünï/日本/🙂",
		"trailing.", "x/y.z", strings.Repeat("a", 255), strings.Repeat("a/", 449) + "a",
	}
	invalid := []string{
		"", "/abs", "a//b", "trailing/", ".", "..", "../up", "a/../b", "a/./b", ".hidden",
		"data/.tmp-1", "back\\slash", "nul\x00", "new\nline", "del\x7f", "bad\xffutf8",
		strings.Repeat("a", 256), strings.Repeat("a/", 450) + "a",
	}
	for _, name := range valid {
		if err := blob.ValidName(name); err != nil {
			t.Errorf("ValidName(%q) = %v, want nil", name, err)
		}
	}
	for _, name := range invalid {
		if err := blob.ValidName(name); !errors.Is(err, blob.ErrInvalidName) {
			t.Errorf("ValidName(%q) = %v, want ErrInvalidName", name, err)
		}
	}
}

// store and wrapper are minimal Stores for TestAs.
type store struct{ blob.Store }

type wrapper struct{ blob.Store }

func (w wrapper) Unwrap() blob.Store { return w.Store }

type remover interface{ RemoveTemporary() }

func (store) RemoveTemporary() {}

func TestAs(t *testing.T) {
	inner := store{}
	if got, ok := blob.As[store](wrapper{wrapper{inner}}); !ok || got != inner {
		t.Errorf("As[store] through two wrappers = %v, %t; want the inner store", got, ok)
	}
	if _, ok := blob.As[remover](wrapper{inner}); !ok {
		t.Error("As[remover] did not find the capability beneath a wrapper")
	}
	if _, ok := blob.As[wrapper](store{}); ok {
		t.Error("As[wrapper] found a wrapper that is not there")
	}
}
