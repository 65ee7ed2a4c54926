package repo

import (
	"encoding/json"
	"testing"

	"github.com/arcabackup/arca/internal/repo/crypto"
)

func FuzzParseConfig(f *testing.F) {
	good, _ := json.Marshal(Config{Version: 1, ID: ID{1}, Chunker: ChunkerParams{Min: 256 << 10, Avg: 1 << 20, Max: 4 << 20}})
	f.Add(good)
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":1,"chunker":{"min":1,"avg":3,"max":2},"compression":9}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := parseConfig(b)
		if err != nil {
			return
		}
		if cfg.Version != FormatVersion {
			t.Errorf("accepted version %d", cfg.Version)
		}
		if err := cfg.Chunker.chunker().Validate(); err != nil {
			t.Errorf("accepted invalid chunker params: %v", err)
		}
	})
}

func FuzzOpenObject(f *testing.F) {
	var key [crypto.KeySize]byte
	good, _ := sealObject(&key, "config", []byte(`{"version":1}`))
	f.Add(good)
	f.Add([]byte{1})
	f.Add([]byte{2, 0, 0})
	o := crypto.NewOpener(&key)
	f.Fuzz(func(t *testing.T, b []byte) {
		plain, err := openObjectWith(o, "config", b)
		if err == nil && string(plain) != `{"version":1}` {
			t.Errorf("forged object opened: %q", plain)
		}
	})
}
