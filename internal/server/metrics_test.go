package server_test

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/testdb"
)

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// TestMetricsCannotBeInflated: operation names a client makes up, with or without
// credentials, are all counted under "other", so they add no time series; a name the
// dashboard uses keeps its label only with its own operation type. Prometheus' own text
// parser reads the scrape. /metrics on the main address answers only to the metrics
// token (not to an API token or an admin's session), and is not served there at all
// without one.
func TestMetricsCannotBeInflated(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	const metricsToken = "metrics-secret-2"
	srv := apitest.NewWithConfig(t, db, server.Config{MetricsToken: metricsToken})
	sc := srv.CreateSchool(t, "flood", "UTC")
	tok := srv.Token(t, sc.ID, auth.ScopeReportsRead)
	addUser(t, db, sc.ID, "ada", user.RoleADMIN, "ada-password-1")

	const made = 30
	for i := range made {
		q := fmt.Sprintf(`query Flood%d { __typename }`, i)
		if i%2 == 0 {
			srv.Do(t, "", q, nil).OK(t)
		} else {
			srv.Do(t, tok, q, nil).OK(t)
		}
	}
	srv.Do(t, tok, `query SignIn { __typename }`, nil).OK(t) // the dashboard's SignIn is a mutation
	srv.Do(t, tok, `query Events { events { totalCount } }`, nil).OK(t)
	srv.Do(t, tok, `{ __typename }`, nil).OK(t)

	for _, authz := range []string{"", "Bearer wrong", "Bearer " + tok, "Basic " + metricsToken, metricsToken} {
		code, _ := getWith(t, srv.URL+"/metrics", authz)
		require.Equal(t, http.StatusUnauthorized, code, "Authorization %q", authz)
	}
	ada := newClient(t, srv.URL)
	require.Empty(t, ada.signIn("flood", "ada", "ada-password-1").Errors)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
	resp, err := ada.http.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "an admin's session is no metrics token")

	code, body := getWith(t, srv.URL+"/metrics", "Bearer "+metricsToken)
	require.Equal(t, http.StatusOK, code)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	require.NoError(t, err)
	fam := families["provreport_graphql_duration_seconds"]
	require.NotNil(t, fam)
	counts := map[string]uint64{}
	for _, m := range fam.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		counts[labels["operation"]+" "+labels["type"]] += m.GetHistogram().GetSampleCount()
	}
	require.Equal(t, map[string]uint64{
		"other query":     made + 1,
		"Events query":    1,
		"anonymous query": 1,
		// The client's own signIn, which sends no operation name.
		"anonymous mutation": 1,
	}, counts)

	// Without a token (and without a metrics address) there is no /metrics to scrape.
	bare := apitest.New(t, db)
	code, _ = getWith(t, bare.URL+"/metrics", "")
	require.Equal(t, http.StatusNotFound, code)
	code, _ = getWith(t, bare.URL+"/metrics", "Bearer "+tok)
	require.NotEqual(t, http.StatusOK, code)
}
