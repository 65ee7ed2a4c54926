package archivertest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// MakeBenchTree writes small files of 1 to 16 KiB (half random, half
// compressible text) spread over directories of 100, and large files of
// largeSize random bytes, into dir. It returns the file count and bytes.
func MakeBenchTree(tb testing.TB, dir string, small, large, largeSize int) (files int, bytes int64) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	buf := make([]byte, max(largeSize, 16<<10))
	for i := range small {
		d := filepath.Join(dir, "small", fmt.Sprintf("d%03d", i/100))
		if i%100 == 0 {
			if err := os.MkdirAll(d, 0o755); err != nil {
				tb.Fatal(err)
			}
		}
		n := 1<<10 + rng.IntN(15<<10)
		data := buf[:n]
		if i%2 == 0 {
			fillRandom(rng, data)
		} else {
			for j := range data {
				data[j] = "lorem ipsum dolor sit amet\n"[j%27]
			}
		}
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("f%05d.txt", i)), data, 0o644); err != nil {
			tb.Fatal(err)
		}
		files, bytes = files+1, bytes+int64(n)
	}
	if err := os.MkdirAll(filepath.Join(dir, "large"), 0o755); err != nil {
		tb.Fatal(err)
	}
	for i := range large {
		fillRandom(rng, buf[:largeSize])
		if err := os.WriteFile(filepath.Join(dir, "large", fmt.Sprintf("blob%02d.bin", i)), buf[:largeSize], 0o644); err != nil {
			tb.Fatal(err)
		}
		files, bytes = files+1, bytes+int64(largeSize)
	}
	return files, bytes
}

func fillRandom(rng *rand.Rand, b []byte) {
	for i := 0; i+8 <= len(b); i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
}
