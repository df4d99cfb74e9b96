package graph_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/queue"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/telemetry"
	"github.com/provreport/provreport/internal/testdb"
)

// traced is a server on a fresh database of one kind whose SQL statements are recorded
// as spans, with the report cache off so that every query reaches the database, and a
// school with a token of every scope: for tests that count the statements a query runs.
type traced struct {
	db     *store.DB
	srv    *apitest.Server
	school int
	token  string
	rec    *tracetest.SpanRecorder
}

func newTraced(t *testing.T, kind, slug string) *traced {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.URL(t, kind), store.WithTracing(tp))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.Migrate(ctx))
	require.NoError(t, queue.Migrate(ctx, db))
	srv := apitest.NewWithConfig(t, db, server.Config{Tracing: &telemetry.Tracing{Provider: tp}, ReportCacheBytes: -1})
	sc := srv.CreateSchool(t, slug, "UTC")
	return &traced{db: db, srv: srv, school: sc.ID, token: srv.Token(t, sc.ID, auth.Scopes()...), rec: rec}
}

// statements runs q with vars, decodes its data into out unless out is nil, and returns
// the SQL of the statements it ran.
func (tr *traced) statements(t *testing.T, q string, vars map[string]any, out any) []string {
	t.Helper()
	before := len(tr.rec.Ended())
	resp := tr.srv.Do(t, tr.token, q, vars).OK(t)
	if out != nil {
		resp.Decode(t, out)
	}
	var sqls []string
	for _, s := range tr.rec.Ended()[before:] {
		for _, a := range s.Attributes() {
			if a.Key == "db.statement" || a.Key == "db.query.text" {
				sqls = append(sqls, a.Value.AsString())
			}
		}
	}
	return sqls
}
