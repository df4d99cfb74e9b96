package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/testdb"
)

// clientHeaders are the request headers browsers' GraphQL clients add: W3C trace context
// and Apollo Client's client awareness and CSRF headers.
var clientHeaders = []string{"traceparent", "tracestate", "apollographql-client-name",
	"apollographql-client-version", "apollo-require-preflight", "x-apollo-operation-name"}

func preflight(t *testing.T, url, origin string, headers []string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodOptions, url+"/graphql", nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", http.MethodPost)
	if len(headers) > 0 {
		// Browsers list the headers lower-case and sorted (Fetch, "CORS-unsafe request-header names").
		headers = slices.Sorted(slices.Values(headers))
		req.Header.Set("Access-Control-Request-Headers", strings.Join(headers, ","))
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

// corsHeaders returns the response's Access-Control-* headers.
func corsHeaders(h http.Header) http.Header {
	out := http.Header{}
	for k, v := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			out[k] = v
		}
	}
	return out
}

// TestCORSOnlyForListedOrigins: without PROVREPORT_CORS_ORIGINS no response carries a
// CORS header, preflight or not; with it, a listed origin may send the headers browsers'
// GraphQL clients (Apollo Client, tracing) add, and no other origin is allowed.
func TestCORSOnlyForListedOrigins(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	closed := apitest.New(t, db)
	open := apitest.NewWithConfig(t, db, server.Config{CORSOrigins: []string{"https://tools.school.test"}})

	resp := preflight(t, closed.URL, "https://tools.school.test", []string{"content-type"})
	require.Empty(t, corsHeaders(resp.Header), "no CORS without listed origins")
	req, _ := http.NewRequest(http.MethodPost, closed.URL+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://evil.test")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Empty(t, corsHeaders(resp.Header), "no CORS without listed origins")

	resp = preflight(t, open.URL, "https://tools.school.test", append([]string{"authorization", "content-type"}, clientHeaders...))
	require.Less(t, resp.StatusCode, 300)
	require.Equal(t, "https://tools.school.test", resp.Header.Get("Access-Control-Allow-Origin"))
	require.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
	allowed := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
	for _, h := range clientHeaders {
		require.Contains(t, allowed, h)
	}
	resp = preflight(t, open.URL, "https://evil.test", []string{"content-type"})
	require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
}

// TestCSRFAcceptsApolloProof: a cookie-carrying request passes when it shows it was
// preflighted the ways Apollo Server accepts (Apollo-Require-Preflight,
// X-Apollo-Operation-Name, a content type a form cannot send), and is still refused with
// one of the three simple content types and no such header; a mutation over GET never
// runs, whatever it carries.
func TestCSRFAcceptsApolloProof(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	srv := apitest.New(t, db)
	sc := srv.CreateSchool(t, "apollo", "UTC")
	addUser(t, db, sc.ID, "ada", user.RoleADMIN, "ada-password-1")
	c := newClient(t, srv.URL)
	require.Empty(t, c.signIn("apollo", "ada", "ada-password-1").Errors)

	get := func(query string, header ...string) gqlResp {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/graphql?query="+urlq(query), nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		return c.do(req)
	}
	for _, h := range [][]string{
		{"Apollo-Require-Preflight", "true"},
		{"X-Apollo-Operation-Name", "Me"},
		{"Content-Type", "application/json"},
		{"X-Requested-With", "fetch"},
	} {
		r := get(`{ me { username } }`, h...)
		require.Empty(t, r.Errors, "%v", h)
		require.Equal(t, "ada", r.Data["me"].(map[string]any)["username"], "%v", h)
	}
	require.Equal(t, "CSRF_BLOCKED", get(`{ me { username } }`).code())
	require.Equal(t, "CSRF_BLOCKED", get(`{ me { username } }`, "Apollo-Require-Preflight", "").code(), "an empty header proves nothing")
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "TEXT/PLAIN; charset=utf-8"} {
		r := c.post(ct, `{"query":"{ me { username } }"}`)
		require.Equal(t, http.StatusBadRequest, r.Status, ct)
		require.Equal(t, "CSRF_BLOCKED", r.code(), ct)
	}

	r := get(`mutation { signOut }`, "Apollo-Require-Preflight", "true")
	require.Equal(t, http.StatusMethodNotAllowed, r.Status)
	require.Equal(t, "POST", r.Header.Get("Allow"))
	require.Equal(t, "ada", c.gql(`{ me { username } }`, nil).Data["me"].(map[string]any)["username"], "still signed in")
}

// TestUnknownPathsAreNotFound: only a browser navigating (a GET asking for text/html) is
// given the dashboard at a path it does not know, for its client-side routes; probes,
// scripts and other methods get 404.
func TestUnknownPathsAreNotFound(t *testing.T) {
	t.Parallel()
	srv := apitest.New(t, testdb.Open(t, "sqlite"))
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	status := func(method, path, accept string) int {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, path := range []string{"/livez", "/version", "/api/x", "/graphql/x", "/exports/42"} {
		for _, accept := range []string{"", "*/*", "application/json", "text/html;q=0", "text/plain"} {
			require.Equal(t, http.StatusNotFound, status(http.MethodGet, path, accept), "GET %s, Accept %q", path, accept)
		}
		require.Equal(t, http.StatusNotFound, status(http.MethodPost, path, browser), "POST %s", path)
		require.Equal(t, http.StatusNotFound, status(http.MethodDelete, path, ""), "DELETE %s", path)
	}
	require.Equal(t, http.StatusNotFound, status(http.MethodGet, "/assets/missing.js", browser))
	// The dashboard's own routes still load in a browser (200; 503 says this binary was
	// built without the dashboard, which is no 404 either), and so does the root for anyone.
	for _, path := range []string{"/exports/42", "/tokens", "/signin"} {
		require.Contains(t, []int{http.StatusOK, http.StatusServiceUnavailable}, status(http.MethodGet, path, browser), path)
	}
	require.Contains(t, []int{http.StatusOK, http.StatusServiceUnavailable}, status(http.MethodGet, "/", ""))
	require.Equal(t, http.StatusOK, status(http.MethodGet, "/healthz", ""))
}
