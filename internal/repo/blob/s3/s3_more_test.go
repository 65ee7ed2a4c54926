package s3_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/blob/s3"
)

func TestNoConditionalPutRefusesExisting(t *testing.T) {
	cfg := testConfig(t)
	cfg.NoConditionalPut = true
	s := newStore(t, cfg)
	if err := s.Put(t.Context(), "snapshots/s1", []byte("first")); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if err := s.Put(t.Context(), "snapshots/s1", []byte("second")); !errors.Is(err, blob.ErrExists) {
		t.Errorf("second Put: %v, want ErrExists", err)
	}
	got, err := blob.ReadAll(t.Context(), s, "snapshots/s1")
	if err != nil || string(got) != "first" {
		t.Errorf("ReadAll = %q, %v; want \"first\"", got, err)
	}
}

// corruptingTransport flips one byte of the body of object PUTs after the
// client has computed its checksums, as a faulty network path would.
type corruptingTransport struct {
	corrupted atomic.Int64
}

func (c *corruptingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPut && req.Body != nil && strings.Count(req.URL.Path, "/") > 1 {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		if len(body) > 0 {
			body[len(body)/2] ^= 0x01
			c.corrupted.Add(1)
		}
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	return http.DefaultTransport.RoundTrip(req)
}

func TestCorruptionInTransitIsRefused(t *testing.T) {
	cfg := testConfig(t)
	newStore(t, cfg) // creates the bucket without corruption
	tr := &corruptingTransport{}
	cfg.Transport = tr
	s := newStore(t, cfg)
	data := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	err := s.Put(t.Context(), "data/ab/corrupted", data)
	if err == nil {
		t.Fatal("Put of data corrupted in transit succeeded")
	}
	t.Logf("refused: %v", err)
	if tr.corrupted.Load() == 0 {
		t.Fatal("the transport corrupted nothing; the test is broken")
	}
	if errors.Is(err, blob.ErrPermanent) {
		t.Errorf("Put error %v is permanent; corruption in transit is worth retrying", err)
	}
	if _, err := s.Stat(t.Context(), "data/ab/corrupted"); !errors.Is(err, blob.ErrNotExist) {
		t.Errorf("Stat after refused Put: %v, want ErrNotExist", err)
	}
}

func TestNoCredentialsInErrorsOrLocation(t *testing.T) {
	cfg := testConfig(t)
	newStore(t, cfg)
	cfg.SecretKey = "wrong-secret-Zq8vX2pL9mK4"
	s, err := s3.New(t.Context(), cfg)
	if err == nil {
		err = s.Put(t.Context(), "config", []byte("x"))
	}
	if err == nil {
		t.Fatal("wrong secret key: no error")
	}
	if !errors.Is(err, blob.ErrPermanent) {
		t.Errorf("wrong secret key: %v, want ErrPermanent", err)
	}
	for what, text := range map[string]string{
		"error":    err.Error(),
		"%v":       fmt.Sprintf("%v", cfg),
		"%+v":      fmt.Sprintf("%+v", cfg),
		"%#v":      fmt.Sprintf("%#v", cfg),
		"String()": cfg.String(),
		"LogValue": cfg.LogValue().String(),
	} {
		if strings.Contains(text, cfg.SecretKey) {
			t.Errorf("%s contains the secret key: %s", what, text)
		}
	}
}

func TestNewChecksBucket(t *testing.T) {
	cfg := testConfig(t)
	cfg.CreateBucket = false
	if _, err := s3.New(t.Context(), cfg); !errors.Is(err, blob.ErrPermanent) || !errors.Is(err, s3.ErrNoBucket) {
		t.Errorf("New of a missing bucket: %v, want ErrNoBucket and ErrPermanent", err)
	}
	for _, endpoint := range []string{"", "http://127.0.0.1:7070", "user:pass@127.0.0.1:7070", "127.0.0.1:7070/path"} {
		bad := cfg
		bad.Endpoint = endpoint
		if _, err := s3.New(t.Context(), bad); !errors.Is(err, blob.ErrPermanent) {
			t.Errorf("New with endpoint %q: %v, want ErrPermanent", endpoint, err)
		}
	}
}

func TestProbeConditionalPut(t *testing.T) {
	cfg := testConfig(t)
	cfg.Prefix = "repo"
	s := newStore(t, cfg)
	if err := s.ProbeConditionalPut(t.Context()); err != nil {
		t.Fatalf("ProbeConditionalPut on versitygw: %v", err)
	}
	var names []string
	err := s.List(t.Context(), "", func(fi blob.Info) error { names = append(names, fi.Name); return nil })
	if err != nil || len(names) != 0 {
		t.Errorf("List after probe = %q, %v; want nothing", names, err)
	}
}

// ignoringTransport answers a refused conditional PUT with success, as a
// server that ignores If-None-Match would. (Dropping the header instead
// would break the request's signature.)
type ignoringTransport struct{}

func (ignoringTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && req.Method == http.MethodPut && resp.StatusCode == http.StatusPreconditionFailed {
		resp.Body.Close()
		resp.StatusCode, resp.Status = http.StatusOK, "200 OK"
		resp.Body = io.NopCloser(strings.NewReader(""))
		resp.ContentLength = 0
		resp.Header.Set("ETag", `"0123456789abcdef0123456789abcdef"`)
	}
	return resp, err
}

func TestProbeDetectsIgnoredCondition(t *testing.T) {
	cfg := testConfig(t)
	newStore(t, cfg)
	cfg.Transport = ignoringTransport{}
	s := newStore(t, cfg)
	if err := s.ProbeConditionalPut(t.Context()); !errors.Is(err, s3.ErrNoConditionalPut) {
		t.Errorf("ProbeConditionalPut through a transport dropping the condition: %v, want ErrNoConditionalPut", err)
	}
}

// cancelingTransport cancels the operation's context as its PUT goes out.
type cancelingTransport struct{ cancel context.CancelFunc }

func (c cancelingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPut {
		c.cancel()
	}
	return http.DefaultTransport.RoundTrip(req)
}

func TestCanceledInFlight(t *testing.T) {
	cfg := testConfig(t)
	newStore(t, cfg)
	ctx, cancel := context.WithCancel(t.Context())
	cfg.Transport = cancelingTransport{cancel}
	s := newStore(t, cfg)
	err := s.Put(ctx, "data/ab/canceled", bytes.Repeat([]byte("x"), 8<<20))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Put canceled in flight: %v, want context.Canceled", err)
	}
	if _, err := s.Stat(t.Context(), "data/ab/canceled"); !errors.Is(err, blob.ErrNotExist) {
		t.Errorf("Stat after canceled Put: %v, want ErrNotExist", err)
	}
}

func TestLocation(t *testing.T) {
	cfg := testConfig(t)
	base := "s3://" + cfg.Endpoint + "/" + cfg.Bucket
	for prefix, want := range map[string]string{
		"":        base + "?tls=false",
		"/a/b/":   base + "/a/b?tls=false",
		"repo-01": base + "/repo-01?tls=false",
	} {
		cfg.Prefix = prefix
		if got := newStore(t, cfg).Location(); got != want {
			t.Errorf("Location() with prefix %q = %q, want %q", prefix, got, want)
		}
	}
}
