// Command gen builds the deterministic benchmark datasets of bench/: the
// same arguments always produce the same bytes.
//
//	gen random DIR FILES SIZE SEED   incompressible files (AES-128-CTR keystream)
//	gen logs DIR FILES SIZE SEED     compressible log text
//	gen change DATASET               change about 1% of a dataset (see change.go)
//	gen reset DATASET                undo change
//	gen smallfiles DIR N             N small files of distinct content, 1000 per directory
//	gen evict DIR                    drop the page cache of every file under DIR
//	gen warm DIR                     read every file under DIR into the page cache
//
// SIZE accepts K, M and G suffixes (powers of 1024).
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: gen random|logs|change|reset|smallfiles|evict|warm ...")
	}
	need := func(n int) error {
		if len(args) != n+1 {
			return fmt.Errorf("%s: want %d arguments, got %d", args[0], n, len(args)-1)
		}
		return nil
	}
	switch args[0] {
	case "random", "logs":
		if err := need(4); err != nil {
			return err
		}
		files, err1 := strconv.Atoi(args[2])
		size, err2 := parseSize(args[3])
		seed, err3 := strconv.ParseUint(args[4], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return fmt.Errorf("%s DIR FILES SIZE SEED: bad number", args[0])
		}
		if args[0] == "random" {
			return writeFiles(args[1], "random", files, func(i int) error {
				return writeRandom(fileName(args[1], "random", i), size, seed, uint64(i), 0)
			})
		}
		return writeFiles(args[1], "log", files, func(i int) error {
			return writeLog(fileName(args[1], "log", i), size, seed+uint64(i), false)
		})
	case "change", "reset":
		if err := need(1); err != nil {
			return err
		}
		if args[0] == "change" {
			return change(args[1])
		}
		return reset(args[1])
	case "evict", "warm":
		if err := need(1); err != nil {
			return err
		}
		if args[0] == "warm" {
			return warm(args[1])
		}
		return evict(args[1])
	case "smallfiles":
		if err := need(2); err != nil {
			return err
		}
		n, err := strconv.Atoi(args[2])
		if err != nil {
			return fmt.Errorf("smallfiles DIR N: %w", err)
		}
		return smallFiles(args[1], n)
	}
	return fmt.Errorf("unknown command %q", args[0])
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n * mult, err
}

func fileName(dir, stem string, i int) string { return fmt.Sprintf("%s/%s-%03d", dir, stem, i) }

func writeFiles(dir, stem string, n int, write func(i int) error) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := range n {
		if err := write(i); err != nil {
			return fmt.Errorf("%s: %w", fileName(dir, stem, i), err)
		}
	}
	return nil
}
