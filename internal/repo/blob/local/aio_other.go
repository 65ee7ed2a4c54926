//go:build !linux

package local

import "os"

// aio is Linux native AIO (aio_linux.go); elsewhere every call blocks.
type aio struct{}

func newAIO() *aio { return &aio{} }

func (*aio) sync(f *os.File) error { return f.Sync() }
