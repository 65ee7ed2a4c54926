package tree

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func sampleTree() *Tree {
	sub := ID{1, 2, 3}
	t := &Tree{Nodes: []Node{
		{Name: "file", Type: TypeFile, Mode: 0o644, UID: 1000, GID: 100, User: "ann", Group: "users",
			Size: 12345, ModTime: time.Unix(1700000000, 123456789).UTC(), ChangeTime: time.Unix(1700000001, 5).UTC(),
			AccessTime: time.Unix(-5, 0).UTC(), Inode: 42, DeviceID: 2049, Links: 2,
			Xattrs:  []Xattr{{Name: "user.a", Value: []byte{0, 1, 2}}, {Name: "user.b"}},
			Content: []ID{{9}, {8, 7}}},
		{Name: "dir", Type: TypeDir, Mode: 0o1777, Subtree: &sub},
		{Name: "link", Type: TypeSymlink, Mode: 0o777, LinkTarget: "../../etc/passwd"},
		{Name: "null", Type: TypeCharDev, Mode: 0o666, Device: 0x103},
		{Name: "sda", Type: TypeDevice, Mode: 0o660, Device: 0x800},
		{Name: "pipe", Type: TypeFIFO, Mode: 0o600},
		{Name: "sock", Type: TypeSocket, Mode: 0o755},
		{Name: "bad\xff\xfe name\n", Type: TypeFile, Mode: 0o4755},
		{Name: string(bytes.Repeat([]byte("x"), 4000)), Type: TypeFile},
	}}
	t.Sort()
	return t
}

func TestRoundTrip(t *testing.T) {
	want := sampleTree()
	data, err := Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	again, err := Encode(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, again) {
		t.Errorf("re-encoding differs")
	}
}

func TestEncodeDeterministic(t *testing.T) {
	a, err := Encode(sampleTree())
	if err != nil {
		t.Fatal(err)
	}
	tr := sampleTree()
	// the same nodes in another order, sorted again
	tr.Nodes[0], tr.Nodes[len(tr.Nodes)-1] = tr.Nodes[len(tr.Nodes)-1], tr.Nodes[0]
	tr.Sort()
	b, err := Encode(tr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("two encodings of one tree differ")
	}
}

func TestEmptyTree(t *testing.T) {
	data, err := Encode(&Tree{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Nodes) != 0 {
		t.Errorf("got %d nodes, want 0", len(got.Nodes))
	}
}

func TestEncodeRejects(t *testing.T) {
	id := ID{}
	cases := map[string]Tree{
		"unsorted":         {Nodes: []Node{{Name: "b", Type: TypeFile}, {Name: "a", Type: TypeFile}}},
		"duplicate":        {Nodes: []Node{{Name: "a", Type: TypeFile}, {Name: "a", Type: TypeDir}}},
		"empty name":       {Nodes: []Node{{Name: "", Type: TypeFile}}},
		"no type":          {Nodes: []Node{{Name: "a"}}},
		"unknown type":     {Nodes: []Node{{Name: "a", Type: 99}}},
		"mode bits":        {Nodes: []Node{{Name: "a", Type: TypeFile, Mode: 0o10000}}},
		"content on dir":   {Nodes: []Node{{Name: "a", Type: TypeDir, Content: []ID{{}}}}},
		"subtree on file":  {Nodes: []Node{{Name: "a", Type: TypeFile, Subtree: &id}}},
		"target on file":   {Nodes: []Node{{Name: "a", Type: TypeFile, LinkTarget: "x"}}},
		"device on fifo":   {Nodes: []Node{{Name: "a", Type: TypeFIFO, Device: 1}}},
		"xattrs unsorted":  {Nodes: []Node{{Name: "a", Type: TypeFile, Xattrs: []Xattr{{Name: "b"}, {Name: "a"}}}}},
		"xattr empty name": {Nodes: []Node{{Name: "a", Type: TypeFile, Xattrs: []Xattr{{Name: ""}}}}},
	}
	for name, tr := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Encode(&tr); err == nil {
				t.Errorf("Encode accepted an invalid tree")
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	good, err := Encode(sampleTree())
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"empty":              nil,
		"bad magic":          append([]byte("XTR\x01"), good[4:]...),
		"bad version":        append([]byte("ATR\x02"), good[4:]...),
		"truncated":          good[:len(good)-1],
		"trailing":           append(append([]byte{}, good...), 0),
		"huge count":         []byte("ATR\x01\xff\xff\xff\xff\x0f"),
		"long varint":        []byte("ATR\x01\x80\x00"),
		"overflow":           []byte("ATR\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f"),
		"one truncated node": []byte("ATR\x01\x01\x01a"),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Decode(data)
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("Decode = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestTimeClamped(t *testing.T) {
	far := time.Date(200000, 1, 1, 0, 0, 0, 0, time.UTC)
	data, err := Encode(&Tree{Nodes: []Node{{Name: "a", Type: TypeFile, ModTime: far}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Unix(maxTimeSec, 0).UTC(); !got.Nodes[0].ModTime.Equal(want) {
		t.Errorf("ModTime = %v, want %v", got.Nodes[0].ModTime, want)
	}
}

func TestValidName(t *testing.T) {
	for _, name := range []string{"", ".", "..", "a/b", "/", "a\x00", "../x"} {
		if err := ValidName(name); !errors.Is(err, ErrInvalidName) {
			t.Errorf("ValidName(%q) = %v, want ErrInvalidName", name, err)
		}
	}
	for _, name := range []string{"a", "...", ".a", "a..", "\xff", "a b"} {
		if err := ValidName(name); err != nil {
			t.Errorf("ValidName(%q) = %v, want nil", name, err)
		}
	}
}

func TestFind(t *testing.T) {
	tr := sampleTree()
	if n := tr.Find("link"); n == nil || n.Type != TypeSymlink {
		t.Errorf("Find(link) = %+v", n)
	}
	if n := tr.Find("nope"); n != nil {
		t.Errorf("Find(nope) = %+v, want nil", n)
	}
}

func bigTree(n int) *Tree {
	tr := &Tree{Nodes: make([]Node, n)}
	for i := range tr.Nodes {
		tr.Nodes[i] = Node{Name: fmt.Sprintf("file-%08d.txt", i), Type: TypeFile, Mode: 0o644, UID: 1000, GID: 1000,
			User: "user", Group: "user", Size: uint64(i * 100), ModTime: time.Unix(1700000000+int64(i), 1).UTC(),
			ChangeTime: time.Unix(1700000000+int64(i), 2).UTC(), Inode: uint64(100000 + i), DeviceID: 2049, Links: 1,
			Content: []ID{{byte(i), byte(i >> 8)}}}
	}
	return tr
}

func BenchmarkEncode(b *testing.B) {
	tr := bigTree(1000)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = Append(buf[:0], tr); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(buf))/1000, "bytes/node")
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "nodes/s")
}

func BenchmarkDecode(b *testing.B) {
	data, err := Encode(bigTree(1000))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "nodes/s")
}

// BenchmarkJSON is the alternative the binary encoding was measured against.
func BenchmarkJSON(b *testing.B) {
	tr := bigTree(1000)
	var size int
	for b.Loop() {
		data, err := json.Marshal(tr)
		if err != nil {
			b.Fatal(err)
		}
		var back Tree
		if err := json.Unmarshal(data, &back); err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	b.ReportMetric(float64(size)/1000, "bytes/node")
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "nodes/s")
}
