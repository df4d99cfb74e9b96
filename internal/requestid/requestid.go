// Package requestid gives every HTTP request an ID that logs and internal errors share,
// so a user quoting an error's ID leads an operator to its log line.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
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

// Middleware gives each request an ID and echoes it in the X-Request-ID header. An ID
// the client or a load balancer sent in X-Request-ID is kept, so one ID follows the
// request through every system, when it is sane: 1 to 128 characters among letters,
// digits and . _ - : = + / (a UUID, a trace ID). Anything else could forge or garble
// log lines, and is replaced by a fresh ID.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(Header)
		if !Valid(id) {
			id = New()
		}
		w.Header().Set(Header, id)
		next.ServeHTTP(w, r.WithContext(With(r.Context(), id)))
	})
}

// Valid reports whether id is an ID Middleware keeps: 1 to 128 characters among ASCII
// letters, digits and . _ - : = + /.
func Valid(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("._-:=+/", c) >= 0:
		default:
			return false
		}
	}
	return true
}
