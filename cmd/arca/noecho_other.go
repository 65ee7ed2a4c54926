//go:build !linux

package main

import "io"

// noEcho cannot hide input on this platform: the token is echoed.
func noEcho(io.Reader) func() { return func() {} }
