package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// scrape reads /metrics with Prometheus' own text parser and returns each sample as
// "name{label=value,…}" → value, labels in the order the exposition gives them.
func scrape(t *testing.T, base, token string) map[string]float64 {
	t.Helper()
	code, body := getWith(t, base+"/metrics", "Bearer "+token)
	require.Equal(t, http.StatusOK, code)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	require.NoError(t, err)
	out := map[string]float64{}
	for name, fam := range families {
		for _, m := range fam.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			v := m.GetCounter().GetValue() + m.GetGauge().GetValue()
			out[name+"{"+strings.Join(labels, ",")+"}"] = v
		}
	}
	return out
}

// postEvents sends NDJSON to the bulk endpoint and returns the status and headers.
func postEvents(t *testing.T, srv *apitest.Server, token string, lines int) (int, http.Header, string) {
	t.Helper()
	var b strings.Builder
	for i := range lines {
		b.WriteString(ndjsonLine(fmt.Sprintf("bulk-%d-%d", time.Now().UnixNano(), i), time.Now().UTC(), 1) + "\n")
	}
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/events", strings.NewReader(b.String()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := srv.HTTP.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(raw)
}

// TestRecordRateLimitAndOperatorMetrics: the events budget is spent per event through
// recordEvents and POST /api/v1/events alike, and past it both answer 429 with
// Retry-After, the IETF RateLimit headers and TOO_MANY_REQUESTS, storing nothing; a
// batch larger than the whole budget is refused without a Retry-After (waiting would
// not help); the same token's other requests go on. Each operator metric moves as the
// requests happen, read from /metrics with Prometheus' parser.
func TestRecordRateLimitAndOperatorMetrics(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	const metricsToken = "ops-metrics-token"
	srv := apitest.NewWithConfig(t, db, server.Config{MetricsToken: metricsToken,
		RecordRateLimit: server.RateLimit{Requests: 5, Window: time.Hour}})
	sc := srv.CreateSchool(t, "budget", "UTC")
	write := srv.Token(t, sc.ID, auth.ScopeEventsWrite, auth.ScopeReportsRead)
	agent := newClient(t, srv.URL)
	agent.header.Set("Authorization", "Bearer "+write)

	before := scrape(t, srv.URL, metricsToken)
	require.Zero(t, before[`provreport_rate_limit_refusals_total{limit=record_events}`])
	require.Zero(t, before[`provreport_open_connections{transport=websocket}`])
	require.Zero(t, before[`provreport_export_queue_depth{}`])

	const record = `mutation($in: [RecordEventInput!]!) { recordEvents(input: $in) { events { id } } }`
	batch := func(n int) map[string]any {
		in := make([]any, n)
		for i := range in {
			in[i] = event("SYNC_ERROR", "LDAP", 5, 0, time.Now().UTC())
		}
		return map[string]any{"in": in}
	}
	r := agent.gql(record, batch(3))
	require.Empty(t, r.Errors)
	require.Contains(t, r.Header.Values("RateLimit-Policy"), `"events";q=5;w=3600`)
	require.Contains(t, r.Header.Values("RateLimit"), `"events";r=2;t=2160`)

	r = agent.gql(record, batch(3))
	require.Equal(t, http.StatusTooManyRequests, r.Status)
	require.Equal(t, "TOO_MANY_REQUESTS", r.code())
	wait, err := strconv.Atoi(r.Header.Get("Retry-After"))
	require.NoError(t, err)
	require.Greater(t, wait, 0)
	require.Regexp(t, `^"events";r=0;t=\d+$`, r.Header.Get("RateLimit"))
	require.Equal(t, 3, countEvents(t, db, sc.ID), "a refused batch stores nothing")

	status, _, body := postEvents(t, srv, write, 2)
	require.Equal(t, http.StatusOK, status, body)
	status, h, body := postEvents(t, srv, write, 1)
	require.Equal(t, http.StatusTooManyRequests, status, body)
	require.Contains(t, body, "TOO_MANY_REQUESTS")
	require.NotEmpty(t, h.Get("Retry-After"))
	require.Equal(t, `"events";q=5;w=3600`, h.Get("RateLimit-Policy"))
	status, h, body = postEvents(t, srv, write, 6)
	require.Equal(t, http.StatusTooManyRequests, status, body)
	require.Contains(t, body, "smaller batches")
	require.Empty(t, h.Get("Retry-After"), "no wait makes a batch larger than the budget fit")
	require.Equal(t, 5, countEvents(t, db, sc.ID))
	require.Empty(t, agent.gql(`{ events(first: 1) { totalCount } }`, nil).Errors, "queries spend no events")

	// A GraphQL error answered by gqlgen, and one before it (a bad token).
	require.NotEmpty(t, agent.gql(`{ nope }`, nil).Errors)
	bad := newClient(t, srv.URL)
	bad.header.Set("Authorization", "Bearer prt_unknown")
	require.Equal(t, http.StatusUnauthorized, bad.gql(`{ __typename }`, nil).Status)

	// An open websocket and an open event stream.
	ws, err := dialWS(t, srv.URL, nil, map[string]any{"Authorization": "Bearer " + write})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/graphql",
		strings.NewReader(`{"query":"subscription { eventRecorded { typeName } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+write)
	stream, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, stream.StatusCode)

	// An export waiting for an hour.
	sys := tenant.WithSchool(context.Background(), sc.ID)
	_, err = db.Client.Export.Create().SetSchoolID(sc.ID).SetFilter(json.RawMessage(`{}`)).SetMaxEventID(0).
		SetRequestedAt(time.Now().Add(-time.Hour)).Save(sys)
	require.NoError(t, err)

	after := scrape(t, srv.URL, metricsToken)
	require.Equal(t, 3.0, after[`provreport_rate_limit_refusals_total{limit=record_events}`])
	require.Zero(t, after[`provreport_rate_limit_refusals_total{limit=requests}`])
	require.Equal(t, 3.0, after[`provreport_graphql_errors_total{code=TOO_MANY_REQUESTS}`]-before[`provreport_graphql_errors_total{code=TOO_MANY_REQUESTS}`])
	require.Equal(t, 1.0, after[`provreport_graphql_errors_total{code=GRAPHQL_VALIDATION_FAILED}`])
	require.Equal(t, 1.0, after[`provreport_graphql_errors_total{code=UNAUTHENTICATED}`])
	require.Equal(t, 1.0, after[`provreport_http_requests_total{code=429,route=/graphql}`])
	require.Equal(t, 2.0, after[`provreport_http_requests_total{code=429,route=/api/v1/events}`])
	require.Equal(t, 1.0, after[`provreport_http_requests_total{code=200,route=/api/v1/events}`])
	require.Equal(t, 1.0, after[`provreport_http_requests_total{code=401,route=/graphql}`])
	require.Equal(t, 1.0, after[`provreport_open_connections{transport=websocket}`])
	require.Equal(t, 1.0, after[`provreport_open_connections{transport=sse}`])
	require.Equal(t, 1.0, after[`provreport_export_queue_depth{}`])
	require.InDelta(t, 3600, after[`provreport_export_queue_oldest_age_seconds{}`], 120)

	// Closed connections leave the gauges.
	stream.Body.Close()
	require.NoError(t, ws.c.CloseNow())
	require.Eventually(t, func() bool {
		m := scrape(t, srv.URL, metricsToken)
		return m[`provreport_open_connections{transport=websocket}`] == 0 && m[`provreport_open_connections{transport=sse}`] == 0
	}, 10*time.Second, 20*time.Millisecond)
}
