package apiclient

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/arcabackup/arca/internal/arca"
)

// Fingerprint returns the SHA-256 fingerprint of a certificate in the form
// the CLI prints and pins: upper-case hex pairs separated by colons.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

// NormalizeFingerprint returns fp as lower-case hex without separators, or
// an error when it is not a SHA-256 fingerprint.
func NormalizeFingerprint(fp string) (string, error) {
	s := strings.NewReplacer(":", "", " ", "", "sha256", "", "=", "").Replace(strings.ToLower(fp))
	if b, err := hex.DecodeString(s); err != nil || len(b) != sha256.Size {
		return "", arca.Errorf(arca.CodeInvalidArgument,
			"%q is not a SHA-256 certificate fingerprint: it has 64 hex digits, optionally in colon-separated pairs.", fp)
	}
	return s, nil
}

func transport(fingerprint string) (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	if fingerprint == "" {
		return tr, nil
	}
	want, err := NormalizeFingerprint(fingerprint)
	if err != nil {
		return nil, err
	}
	tr.TLSClientConfig = &tls.Config{
		MinVersion: tls.VersionTLS12,
		// The pin replaces chain verification: the one certificate whose
		// hash matches is trusted, whoever issued it.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return unverified("the server sent no certificate")
			}
			got := Fingerprint(cs.PeerCertificates[0])
			n, _ := NormalizeFingerprint(got)
			if n != want {
				return unverified(fmt.Sprintf("its certificate has fingerprint %s, not the pinned one", got))
			}
			return nil
		},
	}
	return tr, nil
}

func unverified(why string) error {
	return arca.Errorf(arca.CodeUnverifiedPeer,
		"The server's identity is not the one pinned: %s. If the server's certificate was replaced on purpose, log in again with its new fingerprint.", why)
}

// FetchFingerprint connects to an https server without verifying it and
// returns its certificate's fingerprint, for trust on first use: the caller
// shows it to the user, who compares it with the one the server printed.
func FetchFingerprint(ctx context.Context, serverURL string) (string, error) {
	u, err := url.Parse(serverURL)
	if err != nil || u.Scheme != "https" {
		return "", arca.Errorf(arca.CodeInvalidArgument, "%q is not an https URL", serverURL)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "443")
	}
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second},
		Config: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}} // only to read the certificate
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return "", &arca.Error{Code: arca.CodeUnavailable, Message: fmt.Sprintf("Cannot reach %s: %v", host, err), Err: err}
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "", unverified("the server sent no certificate")
	}
	return Fingerprint(certs[0]), nil
}

func asArca(err error, target **arca.Error) bool { return errors.As(err, target) }
