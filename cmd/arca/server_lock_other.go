//go:build !unix

package main

// lockData is a no-op where flock is missing: do not share a data
// directory between servers there.
func lockData(string) (func(), error) { return func() {}, nil }

func lockFile(string, string) (func(), error) { return func() {}, nil }
