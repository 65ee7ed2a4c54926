package tree

import (
	"bytes"
	"testing"
)

// FuzzDecodeTree checks that the decoder never panics and that whatever it
// accepts is canonical: encoding the decoded tree gives back the input.
func FuzzDecodeTree(f *testing.F) {
	for _, tr := range []*Tree{{}, sampleTree(), bigTree(3)} {
		data, err := Encode(tr)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := Decode(data)
		if err != nil {
			return
		}
		again, err := Encode(tr)
		if err != nil {
			t.Fatalf("decoded tree does not encode: %v", err)
		}
		if !bytes.Equal(data, again) {
			t.Fatalf("decode+encode is not the identity:\n in %x\nout %x", data, again)
		}
	})
}
