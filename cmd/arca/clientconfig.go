package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/arca"
)

// clientConfig is what `arca login` stores: where the server is, the token,
// and the pinned certificate fingerprint. The file is 0600: it holds a
// credential.
type clientConfig struct {
	URL         string `json:"url"`
	Token       string `json:"token"`
	Fingerprint string `json:"fingerprint,omitempty"`
}

// configPath is ARCA_CONFIG, or arca/config.json in the user's config
// directory (~/.config on Linux).
func (m *Main) configPath() (string, error) {
	if p := m.Getenv("ARCA_CONFIG"); p != "" {
		return p, nil
	}
	dir := m.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := m.Getenv("HOME")
		if home == "" {
			return "", errors.New("cannot find the config directory: set ARCA_CONFIG or HOME")
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "arca", "config.json"), nil
}

func (m *Main) loadConfig() (clientConfig, error) {
	var c clientConfig
	path, err := m.configPath()
	if err != nil {
		return c, err
	}
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return c, fmt.Errorf("read client config: %w", err)
	}
	if err == nil {
		if err := json.Unmarshal(b, &c); err != nil {
			return c, fmt.Errorf("client config %s is damaged: %w (run arca login again)", path, err)
		}
	}
	// The environment overrides the file (for scripts and CI).
	for env, field := range map[string]*string{"ARCA_URL": &c.URL, "ARCA_TOKEN": &c.Token, "ARCA_FINGERPRINT": &c.Fingerprint} {
		if v := m.Getenv(env); v != "" {
			*field = v
		}
	}
	return c, nil
}

func (m *Main) saveConfig(c clientConfig) (string, error) {
	path, err := m.configPath()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("create config directory: %w", err)
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode client config: %w", err)
	}
	return path, writeNew(path, append(b, '\n'), 0o600)
}

// client returns an API client from the stored (or environment) settings.
func (m *Main) client() (*apiclient.Client, error) {
	c, err := m.loadConfig()
	if err != nil {
		return nil, err
	}
	if c.URL == "" || c.Token == "" {
		return nil, arca.Errorf(arca.CodeUnauthenticated, "Not logged in: run arca login <server URL> first (or set ARCA_URL and ARCA_TOKEN).")
	}
	return apiclient.New(c.URL, apiclient.Options{Token: c.Token, Fingerprint: c.Fingerprint, UserAgent: "arca-cli/" + m.Version})
}
