package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/queue"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/telemetry"
	"github.com/provreport/provreport/internal/testdb"
)

// otlpReceiver is a small OTLP/HTTP trace receiver: it decodes what exporters POST to
// /v1/traces with the protocol's own protobuf types and keeps every span.
type otlpReceiver struct {
	URL      string
	mu       sync.Mutex
	spans    []*tracepb.Span
	requests int
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	rc := &otlpReceiver{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
			http.NotFound(w, r)
			return
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			gz, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = gz
		}
		raw, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var req collectortrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(raw, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		rc.requests++
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				rc.spans = append(rc.spans, ss.GetSpans()...)
			}
		}
		rc.mu.Unlock()
		out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(ts.Close)
	rc.URL = ts.URL
	return rc
}

func (rc *otlpReceiver) received() (int, []*tracepb.Span) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.requests, append([]*tracepb.Span(nil), rc.spans...)
}

// openTraced opens a fresh migrated database of the kind whose statements are traced.
func openTraced(t *testing.T, kind string, tracing *telemetry.Tracing) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.URL(t, kind), store.WithTracing(tracing.Provider))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.Migrate(ctx))
	require.NoError(t, queue.Migrate(ctx, db))
	return db
}

// TestTracesReachAnOTLPReceiver: with OTEL_EXPORTER_OTLP_ENDPOINT set, one GraphQL
// request sent with a W3C traceparent arrives at an OTLP/HTTP receiver as one trace,
// under the caller's trace ID: the HTTP request's span is the child of the caller's
// span, the GraphQL operation's span the child of the HTTP span, and the database
// statements descend from the operation's span. The statement spans carry the SQL
// text, never the values bound to it.
func TestTracesReachAnOTLPReceiver(t *testing.T) {
	for _, kind := range testdb.Kinds() {
		t.Run(kind, func(t *testing.T) {
			rc := newOTLPReceiver(t)
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rc.URL)
			t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
			t.Setenv("OTEL_SDK_DISABLED", "")
			t.Setenv("OTEL_TRACES_EXPORTER", "")
			tracing, err := telemetry.FromEnv(context.Background())
			require.NoError(t, err)
			require.True(t, tracing.Enabled())
			t.Cleanup(func() { _ = tracing.Shutdown(context.Background()) })

			db := openTraced(t, kind, tracing)
			srv := apitest.NewWithConfig(t, db, server.Config{Tracing: tracing})
			sc := srv.CreateSchool(t, "traced", "UTC")
			tok := srv.Token(t, sc.ID, auth.ScopeReportsRead)

			const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
			const callerSpan = "00f067aa0ba902b7"
			const marker = "marker-value-never-in-a-span"
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(
				`{"query":"query TracedEvents($q: String) { events(first: 5, filter: {search: $q}) { totalCount } }","operationName":"TracedEvents","variables":{"q":"`+marker+`"}}`))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("traceparent", "00-"+traceID+"-"+callerSpan+"-01")
			resp, err := srv.HTTP.Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			require.NotContains(t, string(body), `"errors"`)

			// Shutdown sends the batch at once rather than after the batch delay.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			require.NoError(t, tracing.Shutdown(ctx))
			_, spans := rc.received()

			byID := map[string]*tracepb.Span{}
			for _, s := range spans {
				byID[hex.EncodeToString(s.GetSpanId())] = s
			}
			var httpSpan, opSpan *tracepb.Span
			for _, s := range spans {
				if hex.EncodeToString(s.GetTraceId()) != traceID {
					continue
				}
				switch s.GetName() {
				case "POST /graphql":
					httpSpan = s
				case "graphql.query":
					opSpan = s
				}
			}
			require.NotNil(t, httpSpan, "an HTTP span in the caller's trace among %d spans", len(spans))
			require.Equal(t, tracepb.Span_SPAN_KIND_SERVER, httpSpan.GetKind())
			require.Equal(t, callerSpan, hex.EncodeToString(httpSpan.GetParentSpanId()), "the HTTP span continues the caller's span")
			require.NotNil(t, opSpan, "a GraphQL operation span in the caller's trace")
			require.Equal(t, httpSpan.GetSpanId(), opSpan.GetParentSpanId(), "the operation's span is the HTTP span's child")
			require.Contains(t, attrs(opSpan), "graphql.operation.name=TracedEvents")

			// Every statement of the request descends from the HTTP span (the token's
			// lookup runs before GraphQL does), and the operation's own statements from
			// the operation's span.
			statements := 0
			descends := func(s, from *tracepb.Span) bool {
				for p := byID[hex.EncodeToString(s.GetParentSpanId())]; p != nil; p = byID[hex.EncodeToString(p.GetParentSpanId())] {
					if p == from {
						return true
					}
				}
				return false
			}
			for _, s := range spans {
				if !strings.HasPrefix(s.GetName(), "sql.") || hex.EncodeToString(s.GetTraceId()) != traceID {
					continue
				}
				require.True(t, descends(s, httpSpan), "statement span %s descends from the HTTP span", s.GetName())
				if descends(s, opSpan) {
					statements++
				}
				for _, a := range attrs(s) {
					require.NotContains(t, a, marker, "a statement span carries no bound value")
				}
			}
			require.Positive(t, statements, "the operation's statements are traced under its span")
		})
	}
}

// TestNoTracesWithoutAnEndpoint: without OTEL_EXPORTER_OTLP_ENDPOINT no exporter or
// provider is made and nothing is traced; with an endpoint but OTEL_SDK_DISABLED=true, a
// receiver listening there gets nothing from a traced-looking request.
func TestNoTracesWithoutAnEndpoint(t *testing.T) {
	rc := newOTLPReceiver(t)
	for _, env := range []map[string]string{
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "", "OTEL_SDK_DISABLED": ""},
		{"OTEL_EXPORTER_OTLP_ENDPOINT": rc.URL, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "", "OTEL_SDK_DISABLED": "true"},
	} {
		for k, v := range env {
			t.Setenv(k, v)
		}
		t.Setenv("OTEL_TRACES_EXPORTER", "")
		tracing, err := telemetry.FromEnv(context.Background())
		require.NoError(t, err)
		require.False(t, tracing.Enabled())
		require.Nil(t, tracing.Provider, "no provider, so no exporter")

		db := openTraced(t, "sqlite", tracing)
		srv := apitest.NewWithConfig(t, db, server.Config{Tracing: tracing})
		sc := srv.CreateSchool(t, "untraced", "UTC")
		tok := srv.Token(t, sc.ID, auth.ScopeReportsRead)
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/graphql",
			bytes.NewReader([]byte(`{"query":"{ events(first: 1) { totalCount } }"}`)))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		resp, err := srv.HTTP.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.NoError(t, tracing.Shutdown(context.Background()))
	}
	n, spans := rc.received()
	require.Zero(t, n, "export requests")
	require.Empty(t, spans)
}

// attrs lists a span's attributes as key=value strings.
func attrs(s *tracepb.Span) []string {
	var out []string
	for _, a := range s.GetAttributes() {
		out = append(out, a.GetKey()+"="+a.GetValue().GetStringValue())
	}
	return out
}
