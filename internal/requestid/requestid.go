// Package requestid gives every HTTP request an ID that logs and internal errors share,
// so a user quoting an error's ID leads an operator to its log line.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

type key struct{}

// Header is the response header carrying the ID.
const Header = "X-Request-ID"

// New returns a fresh random ID.
func New() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// With returns ctx carrying id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, key{}, id)
}

// FromContext returns the request's ID, or "-" outside a request.
func FromContext(ctx context.Context) string {
	if id, ok := ctx.Value(key{}).(string); ok {
		return id
	}
	return "-"
}

// Middleware assigns each request an ID and echoes it in the X-Request-ID header. A
// client-sent ID is not trusted: it could forge log lines.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := New()
		w.Header().Set(Header, id)
		next.ServeHTTP(w, r.WithContext(With(r.Context(), id)))
	})
}
