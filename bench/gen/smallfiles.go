package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// smallFiles writes n files of 64 to 575 bytes, each of distinct content
// (so that no two deduplicate), 1000 per directory: dir/d0000/f000.
func smallFiles(dir string, n int) error {
	rng := rand.New(rand.NewPCG(42, 4242))
	buf := make([]byte, 0, 640)
	for i := range n {
		d := filepath.Join(dir, fmt.Sprintf("d%04d", i/1000))
		if i%1000 == 0 {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
		buf = fmt.Appendf(buf[:0], "file %d\n", i)
		for range 64 + rng.IntN(512) - len(buf) {
			buf = append(buf, byte('a'+rng.IntN(26)))
		}
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("f%03d", i%1000)), buf, 0o644); err != nil {
			return err
		}
	}
	return nil
}
