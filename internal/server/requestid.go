package server

import (
	"context"
	"log/slog"
	"strings"
)

// maxRequestIDLen bounds a client-given request id.
const maxRequestIDLen = 128

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestIDFrom returns the client's request id when it is usable (printable
// ASCII without spaces or quotes, cut to 128 characters), else a new one.
func requestIDFrom(header string, newID func() string) string {
	var b strings.Builder
	for _, c := range header {
		if b.Len() >= maxRequestIDLen {
			break
		}
		if c > ' ' && c < 0x7f && c != '"' && c != '\\' {
			b.WriteRune(c)
		}
	}
	if b.Len() == 0 {
		return newID()
	}
	return b.String()
}

// LogHandler wraps h so that every record logged with a request's context
// carries its request_id.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (l logHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" && !hasAttr(r, "request_id") {
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", id))
	}
	return l.Handler.Handle(ctx, r)
}

func (l logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return logHandler{l.Handler.WithAttrs(as)}
}
func (l logHandler) WithGroup(n string) slog.Handler { return logHandler{l.Handler.WithGroup(n)} }

func hasAttr(r slog.Record, key string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == key
		return !found
	})
	return found
}
