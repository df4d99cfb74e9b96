package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/metrics"
	"github.com/provreport/provreport/internal/requestid"
	"github.com/provreport/provreport/internal/telemetry"
)

// statusWriter remembers the status a handler wrote, for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and Hijack for SSE and websockets.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush passes through for streaming responses.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// accessLog writes one structured line per request. It never logs headers, query
// strings or bodies, which may carry tokens, passwords or cookies.
//
// It also counts the request by route and status, and the GraphQL errors answered
// before gqlgen ran (noteErrorCode), in m.
func accessLog(logger *slog.Logger, m *metrics.Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		info := &requestInfo{}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
		info.mu.Lock()
		defer info.mu.Unlock()
		if m != nil {
			m.Request(telemetry.Route(r.URL.Path), sw.status)
			for _, code := range info.errorCodes {
				m.GraphQLError(code)
			}
		}
		attrs := []any{
			"method", r.Method,
			"path", r.URL.Path,
			"status", sw.status,
			"bytes", sw.bytes,
			"duration_ms", float64(time.Since(start).Microseconds()) / 1000,
			"request_id", requestid.FromContext(r.Context()),
		}
		if info.schoolID != 0 {
			attrs = append(attrs, "school_id", info.schoolID)
		}
		switch {
		case info.userID != 0:
			attrs = append(attrs, "user_id", info.userID)
		case info.tokenID != 0:
			attrs = append(attrs, "token_id", info.tokenID)
		}
		if info.caller != "" {
			// The token's name or the username: chosen by the school's admins, so quoted
			// by the JSON or text handler like any other value.
			attrs = append(attrs, "caller", info.caller)
		}
		if info.operation != "" {
			attrs = append(attrs, "operation", info.operation)
		}
		if info.clientAddr != "" {
			attrs = append(attrs, "client_addr", info.clientAddr)
		}
		// With tracing on, the trace ID leads from a log line to the request's trace.
		if sc := trace.SpanContextFromContext(r.Context()); sc.IsValid() {
			attrs = append(attrs, "trace_id", sc.TraceID().String())
		}
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request", slogAttrs(attrs)...)
	})
}

// requestInfo carries what inner handlers learn about a request (who the caller is,
// which operation it ran) out to the access log.
type requestInfo struct {
	mu              sync.Mutex
	schoolID        int
	userID, tokenID int
	caller          string
	operation       string
	clientAddr      string
	// errorCodes are the codes of GraphQL errors answered outside gqlgen.
	errorCodes []string
}

type requestInfoKey struct{}

func infoOf(ctx context.Context) *requestInfo {
	i, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return i
}

// noteCaller records the authenticated caller and the client's address (as the trusted
// proxies tell it).
func noteCaller(r *http.Request, v *auth.Viewer, addr string) {
	i := infoOf(r.Context())
	if i == nil {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if v != nil {
		i.schoolID, i.userID, i.tokenID, i.caller = v.SchoolID, v.UserID, v.TokenID, v.Name
	}
	i.clientAddr = addr
}

// noteOperation records the GraphQL operation's name (the last one, on a websocket),
// as a GraphQL name of at most 100 characters: it is the client's to choose.
func noteOperation(ctx context.Context, name string) {
	i := infoOf(ctx)
	if i == nil || name == "" {
		return
	}
	if len(name) > 100 {
		name = name[:100]
	}
	if strings.IndexFunc(name, func(c rune) bool {
		return !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')
	}) >= 0 {
		return
	}
	i.mu.Lock()
	i.operation = name
	i.mu.Unlock()
}

// noteErrorCode records the code of a GraphQL error answered outside gqlgen, for the
// error count.
func noteErrorCode(ctx context.Context, code string) {
	i := infoOf(ctx)
	if i == nil {
		return
	}
	i.mu.Lock()
	i.errorCodes = append(i.errorCodes, code)
	i.mu.Unlock()
}

func slogAttrs(kv []any) []slog.Attr {
	out := make([]slog.Attr, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, slog.Any(kv[i].(string), kv[i+1]))
	}
	return out
}

// securityHeaders sets the headers every response carries. The CSP allows only the
// binary's own scripts and styles; the dashboard is built to need nothing else.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		style := "style-src 'self'"
		if r.URL.Path == "/playground" {
			// GraphiQL sets inline styles; the dashboard itself needs none.
			style = "style-src 'self' 'unsafe-inline'"
		}
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; "+style+"; "+
			"img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; worker-src 'self' blob:; "+
			"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// limitBody caps request bodies so that a huge upload cannot exhaust memory.
func limitBody(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Bulk ingestion takes larger bodies than the GraphQL API, and decodes them as
		// they arrive.
		most := limit
		if r.URL.Path == bulkPath {
			most = max(limit, bulkMaxBytes)
		}
		if r.ContentLength > most {
			writeGraphQLError(w, r, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE", "request body is larger than the limit")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, most)
		next.ServeHTTP(w, r)
	})
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:]), true
	}
	return "", false
}
