package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/testdb"
)

// TestMalformedRequestsStayOutOfTheLog sends twenty malformed requests, each holding a
// marker where a password or token would be (a truncated signIn, a batch, members of the
// wrong type, a stream request, a GET with broken variables), and shows each is answered
// 400 BAD_REQUEST without the marker and that nothing the server logs (its own logger at
// debug level, and the standard logger libraries write to) holds it.
//
// It is not parallel: it redirects the standard logger, which is global.
func TestMalformedRequestsStayOutOfTheLog(t *testing.T) {
	db := testdb.Open(t, "sqlite")
	var logs lockedBuffer
	log.SetOutput(&logs)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := server.New(context.Background(), db, server.Config{DataDir: t.TempDir()}, logger)
	require.NoError(t, err)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	sc := apitest.CreateSchool(t, db.Client, "quiet", "UTC")
	_, tok := apitest.CreateToken(t, db.Client, sc.ID, auth.ScopeReportsRead, auth.ScopeEventsWrite)
	addUser(t, db, sc.ID, "ada", user.RoleADMIN, "ada-password-1")

	const marker = "Hunter2-MARKER-5d1c"
	signIn := `mutation($s: String!, $u: String!, $p: String!) { signIn(school: $s, username: $u, password: $p) { id } }`
	q, _ := json.Marshal(signIn)
	record, _ := json.Marshal(`mutation($in: [RecordEventInput!]!) { recordEvents(input: $in) { id } }`)
	bodies := []string{
		`{"query":"mutation { signIn(school: \"quiet\", username: \"ada\", password: \"` + marker,
		`{"query":` + string(q) + `,"variables":{"s":"quiet","u":"ada","p":"` + marker + `"`,
		`{"query":` + string(q) + `,"variables":{"s":"quiet","u":"ada","p":"` + marker + `"},}`,
		`[{"query":` + string(q) + `,"variables":{"s":"quiet","u":"ada","p":"` + marker + `"}}]`,
		`[{"query":"{ me { id } }"},{"query":"{ me { id } }","variables":{"p":"` + marker + `"}}]`,
		`{"query":` + string(q) + `,"variables":"` + marker + `"}`,
		`{"query":` + string(q) + `,"variables":["` + marker + `"]}`,
		`{"query":{"password":"` + marker + `"}}`,
		`{"query":"{ me { id } }","operationName":["` + marker + `"]}`,
		`{"query":"{ me { id } }","extensions":"` + marker + `"}`,
		`{"query":"\x` + marker + `"}`,
		`{'query':'` + marker + `'}`,
		`{query: "` + marker + `"}`,
		`password=` + marker + `&username=ada`,
		`"` + marker + `"`,
		strings.Repeat("[", 20000) + `"` + marker + `"`,
		`{"query":` + string(record) + `,"variables":{"in":[{"type":"SYNC_ERROR","details":"` + marker + `"`,
		`{"query":` + string(record) + `,"variables":{"in":[{"type":"SYNC_ERROR","details":"` + marker + `\u12"}]}}`,
	}
	type try struct {
		name    string
		method  string
		url     string
		body    string
		headers map[string]string
	}
	var tries []try
	for i, b := range bodies {
		h := map[string]string{"Content-Type": "application/json"}
		if i%3 == 1 {
			h["Authorization"] = "Bearer " + tok
		}
		if i%4 == 2 {
			h["Accept"] = "application/graphql-response+json"
		}
		tries = append(tries, try{name: b[:min(len(b), 40)], method: http.MethodPost, url: ts.URL + "/graphql", body: b, headers: h})
	}
	// A subscription stream request (graphql-sse) and a GET with broken variables.
	tries = append(tries,
		try{name: "sse", method: http.MethodPost, url: ts.URL + "/graphql", body: bodies[1],
			headers: map[string]string{"Content-Type": "application/json", "Accept": "text/event-stream", "Authorization": "Bearer " + tok}},
		try{name: "get", method: http.MethodGet, url: ts.URL + "/graphql?query=" + url.QueryEscape(signIn) +
			"&variables=" + url.QueryEscape(`{"p":"`+marker), headers: map[string]string{"X-Requested-With": "test"}},
	)
	require.Len(t, tries, 20)
	for _, tr := range tries {
		req, err := http.NewRequest(tr.method, tr.url, strings.NewReader(tr.body))
		require.NoError(t, err)
		for k, v := range tr.headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s: %s", tr.name, raw)
		var out gqlResp
		require.NoError(t, json.Unmarshal(raw, &out), "%s: %s", tr.name, raw)
		require.Equal(t, "BAD_REQUEST", out.code(), "%s: %s", tr.name, raw)
		require.NotContains(t, string(raw), marker, tr.name)
	}

	out := logs.String()
	require.Contains(t, out, `"path":"/graphql"`, "the requests were logged")
	require.NotContains(t, out, marker, "the log quotes a request")
	require.NotContains(t, out, `"level":"ERROR"`, "a client's malformed request is no server error")
}

// TestGraphQLOverHTTPStatuses: a body of a type the API does not read answers 415 and a
// mutation over GET 405 with Allow: POST, as GraphQL over HTTP asks; neither runs.
func TestGraphQLOverHTTPStatuses(t *testing.T) {
	t.Parallel()
	srv := apitest.New(t, testdb.Open(t, "sqlite"))
	sc := srv.CreateSchool(t, "http", "UTC")
	tok := srv.Token(t, sc.ID, auth.ScopeReportsRead)
	c := newClient(t, srv.URL)
	c.header.Set("Authorization", "Bearer "+tok)
	for _, ct := range []string{"text/plain", "application/graphql", "application/xml", "application/x-www-form-urlencoded", ""} {
		r := c.post(ct, `{"query":"{ __typename }"}`)
		require.Equal(t, http.StatusUnsupportedMediaType, r.Status, ct)
		require.Equal(t, "UNSUPPORTED_MEDIA_TYPE", r.code(), ct)
	}
	require.Empty(t, c.post("application/json; charset=utf-8", `{"query":"{ __typename }"}`).Errors)

	for _, q := range []string{`mutation { signOut }`, `subscription { eventRecorded { id } }`} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/graphql?query="+url.QueryEscape(q), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		r := c.do(req)
		require.Equal(t, http.StatusMethodNotAllowed, r.Status, q)
		require.Equal(t, "POST", r.Header.Get("Allow"), q)
		require.Equal(t, "METHOD_NOT_ALLOWED", r.code(), q)
	}
}

// TestIntrospectionShowsThePublishedSchema: introspection through the real handler lists
// none of the code generator's directives, and gives the custom scalars' specifications.
func TestIntrospectionShowsThePublishedSchema(t *testing.T) {
	t.Parallel()
	srv := apitest.New(t, testdb.Open(t, "sqlite"))
	sc := srv.CreateSchool(t, "intro", "UTC")
	tok := srv.Token(t, sc.ID, auth.ScopeReportsRead)
	var out struct {
		Schema struct {
			Directives []struct{ Name string }
		} `json:"__schema"`
		Time, Cursor struct{ SpecifiedByURL *string }
	}
	srv.Do(t, tok, `{ __schema { directives { name } } time: __type(name: "Time") { specifiedByURL } cursor: __type(name: "Cursor") { specifiedByURL } }`, nil).OK(t).Decode(t, &out)
	var names []string
	for _, d := range out.Schema.Directives {
		names = append(names, d.Name)
	}
	require.Contains(t, names, "deprecated")
	require.NotContains(t, names, "goModel")
	require.NotContains(t, names, "goField")
	require.NotNil(t, out.Time.SpecifiedByURL)
	require.Equal(t, "https://scalars.graphql.org/andimarek/date-time", *out.Time.SpecifiedByURL)
	require.NotNil(t, out.Cursor.SpecifiedByURL)
	require.Equal(t, "https://relay.dev/graphql/connections.htm#sec-Cursor", *out.Cursor.SpecifiedByURL)
}
