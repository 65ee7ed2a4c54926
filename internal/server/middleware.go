package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
)

// ServeHTTP runs a request through the middleware: request id, security
// headers, panic recovery, access log, authentication, then the routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.opts.Now()
	id := requestIDFrom(r.Header.Get(serverapi.HeaderRequestID), func() string { return arca.NewID(start) })
	sw := &statusWriter{ResponseWriter: w}
	setHeaders(sw.Header(), id, r.URL.Path)
	if r.TLS != nil {
		sw.Header().Set("Strict-Transport-Security", "max-age=31536000")
	}
	note := &auditNote{addr: remoteHost(r.RemoteAddr)}
	r = r.WithContext(withNote(WithRequestID(r.Context(), id), note))
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic serving request", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if sw.status == 0 {
				s.writeProblem(sw, r, errors.New("panic"), http.StatusInternalServerError)
			}
		}
		s.accessLog(r, sw, start)
		s.recordAudit(r, sw, note)
	}()
	s.serve(sw, r)
}

func setHeaders(h http.Header, requestID, path string) {
	h.Set(serverapi.HeaderRequestID, requestID)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if strings.HasPrefix(path, "/api/") || path == "/healthz" || path == "/readyz" {
		h.Set("Cache-Control", "no-store")
	}
}

// serve authenticates /api/v1 requests and dispatches to the routes,
// answering unknown routes and wrong methods with problem documents.
func (s *Server) serve(w *statusWriter, r *http.Request) {
	if needsAuth(r.Method, r.URL.Path) {
		p, err := s.authenticate(r)
		if err != nil {
			if arca.ErrorCode(err) == arca.CodeUnauthenticated {
				w.Header().Set("WWW-Authenticate", `Bearer realm="arca"`)
			}
			s.writeProblem(w, r, err, 0)
			return
		}
		w.principal = p.ID
		noteFrom(r.Context()).setPrincipal(p)
		r = r.WithContext(withPrincipal(r.Context(), p))
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.noRoute(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// noRoute answers a request no route matched: 405 when the path exists
// with other methods, 404 otherwise.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	h, _ := s.mux.Handler(r)
	rec := &headerRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	switch {
	case rec.status == http.StatusMethodNotAllowed:
		allow := rec.header.Get("Allow")
		w.Header().Set("Allow", allow)
		s.writeProblem(w, r, arca.Errorf(arca.CodeInvalidArgument,
			"The method %s is not allowed on %s: use %s.", r.Method, r.URL.Path, allow), http.StatusMethodNotAllowed)
	case rec.status >= 300 && rec.status < 400:
		h.ServeHTTP(w, r) // a redirect to the cleaned path
	default:
		s.writeProblem(w, r, arca.Errorf(arca.CodeNotFound,
			"There is no %s %s: /api/v1/openapi.json lists the API's routes.", r.Method, r.URL.Path), 0)
	}
}

// accessLog writes one line per request. It never logs headers or bodies
// (they may hold credentials).
func (s *Server) accessLog(r *http.Request, sw *statusWriter, start time.Time) {
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	ctx := r.Context()
	if !s.log.Enabled(ctx, level) {
		return
	}
	// Typed attributes, and the request id given here so that the log
	// handler need not copy the record to add it: the line costs a few
	// allocations instead of a dozen.
	s.log.LogAttrs(ctx, level, "http request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", status), slog.Float64("duration_ms", float64(s.opts.Now().Sub(start).Microseconds())/1000),
		slog.Int64("bytes", sw.bytes), slog.String("principal", sw.principal), slog.String("remote", r.RemoteAddr),
		slog.String("request_id", RequestID(ctx)))
}

// statusWriter records what was written, for the access log, and lets the
// huma error transformer change the status of huma's own errors.
type statusWriter struct {
	http.ResponseWriter
	status    int
	bytes     int64
	override  int
	principal string
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status != 0 {
		return
	}
	if w.override != 0 {
		code, w.override = w.override, 0
	}
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// statusWriterOf returns the statusWriter under a huma context, if any.
func statusWriterOf(ctx huma.Context) *statusWriter {
	_, w := humago.Unwrap(ctx)
	sw, _ := w.(*statusWriter)
	return sw
}

// headerRecorder captures the status and headers ServeMux's own 404 and
// 405 handlers write, so that they can be answered as problem documents.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header         { return h.header }
func (h *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (h *headerRecorder) WriteHeader(code int)        { h.status = code }
