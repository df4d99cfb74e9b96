package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/testbin"
	"github.com/provreport/provreport/internal/testdb"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	srv := apitest.NewWithConfig(t, db, server.Config{MetricsToken: "metrics-secret-1"})
	sc := srv.CreateSchool(t, "ops", "UTC")
	tok := srv.Token(t, sc.ID, auth.ScopeReportsRead, auth.ScopeEventsWrite)

	code, body := get(t, srv.URL+"/healthz")
	require.Equal(t, http.StatusOK, code, body)
	code, body = get(t, srv.URL+"/readyz")
	require.Equal(t, http.StatusOK, code, body)

	require.Empty(t, srv.Do(t, tok, `query Events { events { totalCount } }`, nil).Errors)
	at := time.Now().UTC().Format(time.RFC3339)
	srv.Do(t, tok, recordOne, map[string]any{"in": []any{event("SYNC_ERROR", "LDAP", 1, 0, at2(at))}}).OK(t)
	srv.Do(t, tok, `mutation { requestExport(filter: {}) { id } }`, nil).OK(t)
	code, body = getWith(t, srv.URL+"/metrics", "Bearer metrics-secret-1")
	require.Equal(t, http.StatusOK, code)
	for _, want := range []string{
		`provreport_graphql_duration_seconds_count{operation="Events",type="query"} 1`,
		`provreport_graphql_duration_seconds_count{operation="anonymous",type="mutation"} 2`,
		"provreport_live_subscriptions 0",
		"provreport_live_events_delivered_total",
		"go_sql_open_connections",
		`provreport_jobs{kind="export_build"`,
	} {
		require.True(t, strings.Contains(body, want), "metrics lack %q", want)
	}
	require.NotContains(t, body, tok)
}

func getWith(t *testing.T, url, authorization string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func at2(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}

// TestMetricsAddress serves health and metrics on their own port, off the public one, and
// shows the CLI's user create and token create lead to a working sign-in and token.
func TestMetricsAddressAndCLI(t *testing.T) {
	t.Parallel()
	metricsAddr := freeAddr(t)
	env := []string{"DATABASE_URL=" + testdb.URL(t, "sqlite"), "PROVREPORT_DATA_DIR=" + t.TempDir(),
		"PROVREPORT_METRICS_ADDR=" + metricsAddr, "PROVREPORT_LOG_LEVEL=warn"}
	testbin.Run(t, env, "school", "create", "--slug", "cli", "--name", "CLI School")
	testbin.Run(t, append(env, "PROVREPORT_PASSWORD=cli-password-1"), "user", "create", "--school", "cli",
		"--username", "carl", "--email", "carl@cli.test", "--role", "ADMIN")
	tok := strings.TrimSpace(testbin.Run(t, env, "token", "create", "--school", "cli", "--name", "agent", "--scope", "events:write,reports:read"))
	require.True(t, strings.HasPrefix(tok, "prt_"), "prints the token alone: %q", tok)
	p := testbin.Serve(t, env)

	code, body := get(t, p.URL+"/metrics")
	require.Equal(t, http.StatusNotFound, code, "metrics are not on the public address")
	require.NotContains(t, body, "provreport_graphql_duration_seconds", "metrics are not on the public address")
	code, body = get(t, "http://"+metricsAddr+"/metrics")
	require.Equal(t, http.StatusOK, code, "the metrics address needs no token")
	require.Contains(t, body, "provreport_live_subscriptions")

	c := newClient(t, p.URL)
	r := c.signIn("cli", "carl", "cli-password-1")
	require.Empty(t, r.Errors)
	c2 := newClient(t, p.URL)
	c2.header.Set("Authorization", "Bearer "+tok)
	require.Empty(t, c2.gql(`{ events { totalCount } }`, nil).Errors)
}
