package blobtest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/repo/blob"
)

func testPutGetStat(t *testing.T, s blob.Store) {
	data := randomData(1, 1000)
	mustPut(t, s, "config", data)
	mustPut(t, s, "data/ab/abcdef", data[:10])
	checkContent(t, s, "config", data)
	checkContent(t, s, "data/ab/abcdef", data[:10])
	fi, err := s.Stat(t.Context(), "config")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if fi.Name != "config" || fi.Size != int64(len(data)) || fi.ModTime.IsZero() {
		t.Errorf("Stat(config) = %+v, want name config, size %d, a modification time", fi, len(data))
	}
}

func testRangedGet(t *testing.T, s blob.Store) {
	data := randomData(2, 100)
	mustPut(t, s, "data/ranged", data)
	n := int64(len(data))
	tests := []struct {
		name           string
		offset, length int64
		want           []byte
	}{
		{"whole", 0, -1, data},
		{"whole by length", 0, n, data},
		{"head", 0, 10, data[:10]},
		{"middle", 5, 10, data[5:15]},
		{"tail to end", n - 3, -1, data[n-3:]},
		{"tail past end", n - 3, 100, data[n-3:]},
		{"zero length", 10, 0, nil},
		{"offset at end", n, -1, nil},
		{"offset at end with length", n, 10, nil},
		{"offset past end", n + 5, -1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mustGet(t, s, "data/ranged", tc.offset, tc.length)
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(bytes.Equal)); diff != "" {
				t.Errorf("Get(%d, %d) (-want +got):\n%s", tc.offset, tc.length, diff)
			}
		})
	}
}

func testPutExisting(t *testing.T, s blob.Store) {
	orig := randomData(3, 500)
	mustPut(t, s, "snapshots/s1", orig)
	for _, other := range [][]byte{randomData(4, 500), randomData(5, 10), {}, orig} {
		err := s.Put(t.Context(), "snapshots/s1", other)
		wantErr(t, "Put of an existing name", err, blob.ErrExists)
	}
	checkContent(t, s, "snapshots/s1", orig)
	fi, err := s.Stat(t.Context(), "snapshots/s1")
	if err != nil || fi.Size != int64(len(orig)) {
		t.Errorf("Stat after refused Put = %+v, %v; want size %d", fi, err, len(orig))
	}
}

func testMissing(t *testing.T, s blob.Store) {
	mustPut(t, s, "data/ab/present", []byte("x"))
	for _, name := range []string{"nothing", "data/ab/absent", "data/zz/absent", "data/ab", "data"} {
		_, err := s.Stat(t.Context(), name)
		wantErr(t, "Stat("+name+")", err, blob.ErrNotExist)
		_, err = get(t.Context(), s, name, 0, -1)
		wantErr(t, "Get("+name+")", err, blob.ErrNotExist)
		_, err = get(t.Context(), s, name, 2, 5)
		wantErr(t, "ranged Get("+name+")", err, blob.ErrNotExist)
		_, err = get(t.Context(), s, name, 0, 0)
		wantErr(t, "empty Get("+name+")", err, blob.ErrNotExist)
		if err := s.Delete(t.Context(), name); err != nil {
			t.Errorf("Delete(%q) of a missing object: %v, want nil", name, err)
		}
	}
	checkContent(t, s, "data/ab/present", []byte("x"))
}

func testDelete(t *testing.T, s blob.Store) {
	mustPut(t, s, "locks/l1", []byte("one"))
	mustPut(t, s, "locks/l2", []byte("two"))
	if err := s.Delete(t.Context(), "locks/l1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err := s.Stat(t.Context(), "locks/l1")
	wantErr(t, "Stat after Delete", err, blob.ErrNotExist)
	if diff := cmp.Diff([]string{"locks/l2"}, listNames(t, s, "locks/")); diff != "" {
		t.Errorf("List after Delete (-want +got):\n%s", diff)
	}
	if err := s.Delete(t.Context(), "locks/l1"); err != nil {
		t.Errorf("second Delete: %v, want nil", err)
	}
	mustPut(t, s, "locks/l1", []byte("again"))
	checkContent(t, s, "locks/l1", []byte("again"))
	checkContent(t, s, "locks/l2", []byte("two"))
}

func testCallerOwnsBuffers(t *testing.T, s blob.Store) {
	data := []byte("original")
	mustPut(t, s, "keys/k1", data)
	copy(data, "CHANGED!")
	got := mustGet(t, s, "keys/k1", 0, -1)
	copy(got, "mutated!")
	checkContent(t, s, "keys/k1", []byte("original"))
}

func testEmpty(t *testing.T, s blob.Store) {
	mustPut(t, s, "empty", nil)
	mustPut(t, s, "data/00/empty", []byte{})
	for _, name := range []string{"empty", "data/00/empty"} {
		checkContent(t, s, name, nil)
		fi, err := s.Stat(t.Context(), name)
		if err != nil || fi.Size != 0 {
			t.Errorf("Stat(%q) = %+v, %v; want size 0", name, fi, err)
		}
		if got := mustGet(t, s, name, 0, 10); len(got) != 0 {
			t.Errorf("Get(%q, 0, 10) = %d bytes, want 0", name, len(got))
		}
	}
	wantErr(t, "Put over an empty object", s.Put(t.Context(), "empty", []byte("x")), blob.ErrExists)
	infos := listInfos(t, s, "")
	if diff := cmp.Diff(map[string]int64{"empty": 0, "data/00/empty": 0}, infos); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}

func testLarge(t *testing.T, s blob.Store) {
	data := randomData(6, 20<<20)
	mustPut(t, s, "data/la/large", data)
	checkContent(t, s, "data/la/large", data)
	got := mustGet(t, s, "data/la/large", 7<<20+3, 5<<20)
	if want := data[7<<20+3 : 12<<20+3]; !bytes.Equal(got, want) {
		t.Errorf("ranged Get of a large object = %d bytes %s, want %d bytes %s", len(got), short(got), len(want), short(want))
	}
	fi, err := s.Stat(t.Context(), "data/la/large")
	if err != nil || fi.Size != int64(len(data)) {
		t.Errorf("Stat = %+v, %v; want size %d", fi, err, len(data))
	}
}

// oddNames are legal names with characters that need escaping somewhere.
var oddNames = []string{
	"odd/space in name",
	"odd/plus+equals=comma,semicolon;colon:at@",
	"odd/percent%20and%2Fslash",
	"odd/quote'double\"backtick`",
	"odd/brackets[]{}()<>",
	"odd/query?hash#amp&star*pipe|",
	"odd/tilde~caret^dollar$bang!",
	"odd/ünïcödé/日本語/emoji🙂",
	"odd/trailing-dot.",
	"odd/dash-underscore_",
}

func testOddNames(t *testing.T, s blob.Store) {
	for _, name := range oddNames {
		mustPut(t, s, name, []byte(name))
		wantErr(t, "Put("+name+") again", s.Put(t.Context(), name, []byte("x")), blob.ErrExists)
		checkContent(t, s, name, []byte(name))
		if fi, err := s.Stat(t.Context(), name); err != nil || fi.Name != name || fi.Size != int64(len(name)) {
			t.Errorf("Stat(%q) = %+v, %v", name, fi, err)
		}
	}
	if diff := cmp.Diff(sorted(oddNames), listNames(t, s, "odd/")); diff != "" {
		t.Errorf("List(odd/) (-want +got):\n%s", diff)
	}
	for _, name := range oddNames {
		if err := s.Delete(t.Context(), name); err != nil {
			t.Errorf("Delete(%q): %v", name, err)
		}
	}
	if got := listNames(t, s, "odd/"); len(got) != 0 {
		t.Errorf("List(odd/) after Delete = %q, want none", got)
	}
}

func testInvalidNames(t *testing.T, s blob.Store) {
	for _, name := range []string{"", "/abs", "a//b", "trailing/", "../up", "a/../b", "a/./b", ".hidden", "data/.tmp-x", "back\\slash", "nul\x00", "new\nline"} {
		wantErr(t, "Put("+name+")", s.Put(t.Context(), name, []byte("x")), blob.ErrInvalidName)
		_, err := s.Stat(t.Context(), name)
		wantErr(t, "Stat("+name+")", err, blob.ErrInvalidName)
		_, err = s.Get(t.Context(), name, 0, -1)
		wantErr(t, "Get("+name+")", err, blob.ErrInvalidName)
		wantErr(t, "Delete("+name+")", s.Delete(t.Context(), name), blob.ErrInvalidName)
	}
	if got := listNames(t, s, ""); len(got) != 0 {
		t.Errorf("List after invalid Puts = %q, want none", got)
	}
}

func testDescribe(t *testing.T, s blob.Store) {
	if s.Location() == "" {
		t.Error("Location() is empty")
	}
	if n := s.Connections(); n < 1 {
		t.Errorf("Connections() = %d, want at least 1", n)
	}
}

var errStop = errors.New("stop listing")

func testListStopsOnError(t *testing.T, s blob.Store) {
	for i := range 5 {
		mustPut(t, s, "index/"+string(rune('a'+i)), []byte{byte(i)})
	}
	calls := 0
	err := s.List(t.Context(), "index/", func(blob.Info) error {
		calls++
		return errStop
	})
	wantErr(t, "List with a failing callback", err, errStop)
	if calls != 1 {
		t.Errorf("callback called %d times after returning an error, want 1", calls)
	}
}
