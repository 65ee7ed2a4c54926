package main

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
)

// keystream returns an endless incompressible stream: AES-128-CTR over
// zeros, keyed by seed and stream.
func keystream(seed, stream uint64) io.Reader {
	key := make([]byte, 16)
	binary.LittleEndian.PutUint64(key, seed)
	binary.LittleEndian.PutUint64(key[8:], stream)
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // a 16-byte key is always valid
	}
	return cipher.StreamReader{S: cipher.NewCTR(block, make([]byte, 16)), R: zeros{}}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// writeRandom writes size bytes of keystream(seed, stream) to path at
// offset off (creating or extending the file, keeping what is around it).
func writeRandom(path string, size int64, seed, stream uint64, off int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		f.Close()
		return err
	}
	if _, err := io.CopyN(f, keystream(seed, stream), size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var (
	levels   = []string{"INFO", "INFO", "INFO", "INFO", "DEBUG", "DEBUG", "WARN", "ERROR"}
	services = []string{"api", "auth", "billing", "db", "scheduler", "worker", "gateway", "search"}
	verbs    = []string{"GET", "GET", "GET", "POST", "PUT", "DELETE"}
	paths    = []string{"/api/v1/tasks", "/api/v1/sources", "/login", "/api/v1/snapshots", "/healthz", "/api/v1/repositories"}
	messages = []string{
		"request completed", "cache miss, loading from store", "connection reset by peer, retrying",
		"slow query detected", "token refreshed", "job finished", "lease renewed", "upstream timeout",
	}
)

// writeLog writes (or with appendTo, appends) about size bytes of log
// lines drawn from a PCG seeded with seed.
func writeLog(path string, size int64, seed uint64, appendTo bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appendTo {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	w := bufio.NewWriterSize(f, 1<<20)
	ts := int64(1_700_000_000_000) + int64(seed%1000)*86_400_000
	for written := int64(0); written < size; {
		ts += rng.Int64N(50)
		n, err := fmt.Fprintf(w, "%d.%03d %-5s [%s] %s %s%s?id=%d status=%d bytes=%d dur=%dms client=10.%d.%d.%d %s\n",
			ts/1000, ts%1000, pick(rng, levels), pick(rng, services), pick(rng, verbs), pick(rng, paths),
			"", rng.IntN(100000), 200+100*rng.IntN(4), rng.IntN(65536), rng.IntN(2000),
			rng.IntN(4), rng.IntN(256), rng.IntN(256), pick(rng, messages))
		if err != nil {
			f.Close()
			return err
		}
		written += int64(n)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func pick(rng *rand.Rand, s []string) string { return s[rng.IntN(len(s))] }
