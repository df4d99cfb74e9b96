package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/provreport/provreport/graph/model"
	"github.com/provreport/provreport/internal/ingest"
)

// batchServer is the GraphQL handler with one transport, whose recordEvents field
// records what it would have recorded instead of writing it.
type batchServer struct {
	http.Handler
	got       [][]*ingest.Input
	shortcuts int
}

func newBatchServer(t *testing.T, post graphql.Transport) *batchServer {
	t.Helper()
	s := &batchServer{}
	srv := handler.New(NewExecutableSchema(Config{Resolvers: &Resolver{}, Complexity: Complexity()}))
	srv.AddTransport(post)
	srv.AroundFields(func(ctx context.Context, next graphql.Resolver) (any, error) {
		fc := graphql.GetFieldContext(ctx)
		if fc.Field.Name != "recordEvents" {
			return next(ctx)
		}
		in, _ := fc.Args["input"].([]*ingest.Input)
		batch := recordInput(ctx, in)
		if len(in) == 0 && len(batch) > 0 {
			s.shortcuts++
		}
		s.got = append(s.got, batch)
		return &model.RecordEventsPayload{}, nil
	})
	s.Handler = srv
	return s
}

func (s *batchServer) post(t *testing.T, body []byte) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

const recordQuery = `mutation R($input: [RecordEventInput!]!) { recordEvents(input: $input) { events { id } } }`

func body(t *testing.T, query string, vars map[string]any, extra map[string]any) []byte {
	t.Helper()
	m := map[string]any{"query": query, "variables": vars}
	for k, v := range extra {
		m[k] = v
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

// randomEvent is a RecordEventInput as different agents may send it: optional members
// absent, null or set, counts left to their defaults, times in several offsets and
// precisions, strings that need escaping.
func randomEvent(r *rand.Rand, i int) map[string]any {
	types := []string{"ACCOUNT_SYNCHRONIZATION", "USER_CSV_PROCESSED_WITH_ERRORS", "AUTHENTICATION", "AUTHORISATION", "SYNC_ERROR"}
	zones := []*time.Location{time.UTC, time.FixedZone("", 10*3600), time.FixedZone("", -(3*3600 + 1800))}
	finished := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour)))).
		In(zones[r.IntN(len(zones))])
	if r.IntN(2) == 0 {
		finished = finished.Truncate(time.Second)
	}
	text := []string{"plain", "Ünïcödé 名前", `quote " back \ slash`, "<tag> & amp", "tab\tnew\nline", ""}
	m := map[string]any{
		"type":         types[r.IntN(len(types))],
		"dateStarted":  finished.Add(-time.Duration(r.IntN(600)) * time.Second).Format(time.RFC3339Nano),
		"dateFinished": finished.Format(time.RFC3339Nano),
	}
	optional := func(key string, v any) {
		switch r.IntN(3) {
		case 0: // absent
		case 1:
			m[key] = nil
		default:
			m[key] = v
		}
	}
	optional("syncProfile", "LDAP "+text[r.IntN(len(text))])
	optional("username", fmt.Sprintf("user%d", r.IntN(50)))
	optional("details", text[r.IntN(len(text))])
	optional("service", "Google Workspace")
	optional("externalID", fmt.Sprintf("ext-%d-%d", i, r.Int()))
	for _, k := range []string{"processed", "added", "updated", "deleted", "disabled", "errors"} {
		n := []int64{0, 1, int64(r.IntN(100000)), -3, math.MaxInt64, math.MinInt64}[r.IntN(6)]
		optional(k, n)
	}
	switch r.IntN(4) {
	case 0:
	case 1:
		m["problems"] = nil
	case 2:
		m["problems"] = []any{}
	default:
		var ps []any
		for k := range r.IntN(3) + 1 {
			ps = append(ps, map[string]any{"line": k + 2, "field": "email", "message": text[r.IntN(len(text))]})
		}
		m["problems"] = ps
	}
	return m
}

// TestPOSTDecodesBatchesAsGqlgen sends the same recordEvents requests through
// gqlgen's POST transport and through graph.POST: every batch must arrive at the
// resolver identical, and through the shortcut.
func TestPOSTDecodesBatchesAsGqlgen(t *testing.T) {
	plain := newBatchServer(t, transport.POST{})
	fast := newBatchServer(t, POST{})
	r := rand.New(rand.NewPCG(7, 12))
	const rounds = 60
	for round := range rounds {
		batch := make([]any, r.IntN(40)+1)
		for i := range batch {
			batch[i] = randomEvent(r, i)
		}
		query, vars, extra := recordQuery, map[string]any{"input": batch}, map[string]any{}
		switch round % 4 {
		case 1: // another variable name, and the operation picked by name
			query = `query Q { school { name } } mutation Rec($events: [RecordEventInput!]!) { recordEvents(input: $events) { events { id } } }`
			vars = map[string]any{"events": batch}
			extra["operationName"] = "Rec"
		case 2: // extensions travel through untouched
			extra["extensions"] = map[string]any{"client": "agent 1.2"}
		case 3: // an alias
			query = `mutation { recorded: recordEvents(input: $input) { events { id } } }`
			query = strings.Replace(query, "mutation {", "mutation($input: [RecordEventInput!]!) {", 1)
		}
		b := body(t, query, vars, extra)
		codePlain, respPlain := plain.post(t, b)
		codeFast, respFast := fast.post(t, b)
		require.Equal(t, codePlain, codeFast, "round %d", round)
		require.Equal(t, respPlain, respFast, "round %d", round)
		require.Len(t, plain.got, round+1, "round %d: gqlgen did not reach the resolver: %s", round, respPlain)
		require.Len(t, fast.got, round+1, "round %d", round)
		require.Equal(t, plain.got[round], fast.got[round], "round %d", round)
		require.Len(t, fast.got[round], len(batch))
	}
	require.Equal(t, rounds, fast.shortcuts, "every batch above is one the shortcut should take")
}

// TestPOSTLeavesOtherInputToGqlgen: requests the shortcut must not read its own
// way (wrong, coerced or unusual input, other shapes of operation) get exactly gqlgen's
// answer, errors included, and reach the resolver with gqlgen's values when valid.
func TestPOSTLeavesOtherInputToGqlgen(t *testing.T) {
	ok := func() map[string]any {
		return map[string]any{"type": "SYNC_ERROR", "dateStarted": "2026-03-01T10:00:00Z",
			"dateFinished": "2026-03-01T10:01:00Z", "syncProfile": "LDAP"}
	}
	with := func(k string, v any) map[string]any { m := ok(); m[k] = v; return m }
	without := func(k string) map[string]any { m := ok(); delete(m, k); return m }
	one := func(m any) map[string]any { return map[string]any{"input": []any{m}} }
	raw := func(s string) []byte { return []byte(s) }
	cases := map[string][]byte{
		"field in another case":       body(t, recordQuery, one(with("Type", "SYNC_ERROR")), nil),
		"__typename":                  body(t, recordQuery, one(with("__typename", "RecordEventInput")), nil),
		"unknown field":               body(t, recordQuery, one(with("colour", "red")), nil),
		"string of digits for an Int": body(t, recordQuery, one(with("processed", "12")), nil),
		"fraction for an Int":         body(t, recordQuery, one(with("processed", 1.5)), nil),
		"exponent for an Int":         raw(`{"query":"` + recordQuery + `","variables":{"input":[{"type":"SYNC_ERROR","dateStarted":"2026-03-01T10:00:00Z","dateFinished":"2026-03-01T10:01:00Z","added":1e3}]}}`),
		"Int out of range":            raw(`{"query":"` + recordQuery + `","variables":{"input":[{"type":"SYNC_ERROR","dateStarted":"2026-03-01T10:00:00Z","dateFinished":"2026-03-01T10:01:00Z","added":99999999999999999999}]}}`),
		"number for a String":         body(t, recordQuery, one(with("username", 123)), nil),
		"boolean for a String":        body(t, recordQuery, one(with("details", true)), nil),
		"lower-case enum":             body(t, recordQuery, one(with("type", "sync_error")), nil),
		"unknown enum":                body(t, recordQuery, one(with("type", "REBOOT")), nil),
		"missing type":                body(t, recordQuery, one(without("type")), nil),
		"null time":                   body(t, recordQuery, one(with("dateStarted", nil)), nil),
		"bad time":                    body(t, recordQuery, one(with("dateFinished", "yesterday")), nil),
		"problem without a line":      body(t, recordQuery, one(with("problems", []any{map[string]any{"field": "f", "message": "m"}})), nil),
		"problem line null":           body(t, recordQuery, one(with("problems", []any{map[string]any{"line": nil, "field": "f", "message": "m"}})), nil),
		"null problem":                body(t, recordQuery, one(with("problems", []any{nil})), nil),
		"one problem, not a list":     body(t, recordQuery, one(with("problems", map[string]any{"line": 1, "field": "f", "message": "m"})), nil),
		"one event, not a list":       body(t, recordQuery, map[string]any{"input": ok()}, nil),
		"null event":                  body(t, recordQuery, map[string]any{"input": []any{ok(), nil}}, nil),
		"empty batch":                 body(t, recordQuery, map[string]any{"input": []any{}}, nil),
		"null batch":                  body(t, recordQuery, map[string]any{"input": nil}, nil),
		"no variables":                body(t, recordQuery, nil, nil),
		"duplicate member":            raw(`{"query":"` + recordQuery + `","variables":{"input":[{"type":"SYNC_ERROR","type":"AUTHENTICATION","dateStarted":"2026-03-01T10:00:00Z","dateFinished":"2026-03-01T10:01:00Z","username":"a"}]}}`),
		"invalid UTF-8":               raw("{\"query\":\"" + recordQuery + "\",\"variables\":{\"input\":[{\"type\":\"SYNC_ERROR\",\"dateStarted\":\"2026-03-01T10:00:00Z\",\"dateFinished\":\"2026-03-01T10:01:00Z\",\"details\":\"\xff\xfe\"}]}}"),
		"Query in capitals":           raw(`{"Query":"` + recordQuery + `","variables":{"input":[{"type":"SYNC_ERROR","dateStarted":"2026-03-01T10:00:00Z","dateFinished":"2026-03-01T10:01:00Z"}]}}`),
		"variable of another type":    body(t, `mutation R($input: [RecordEventInput]!) { recordEvents(input: $input) { events { id } } }`, one(ok()), nil),
		"variable with a default":     body(t, `mutation R($input: [RecordEventInput!]! = []) { recordEvents(input: $input) { events { id } } }`, one(ok()), nil),
		"two fields":                  body(t, `mutation R($input: [RecordEventInput!]!) { a: recordEvents(input: $input) { events { id } } b: recordEvents(input: $input) { events { id } } }`, one(ok()), nil),
		"skipped field":               body(t, `mutation R($input: [RecordEventInput!]!, $s: Boolean!) { recordEvents(input: $input) @skip(if: $s) { events { id } } }`, map[string]any{"input": []any{ok()}, "s": false}, nil),
		"literal input":               body(t, `mutation { recordEvents(input: [{type: SYNC_ERROR, dateStarted: "2026-03-01T10:00:00Z", dateFinished: "2026-03-01T10:01:00Z"}]) { events { id } } }`, nil, nil),
		"query, not mutation":         body(t, `query R($input: [RecordEventInput!]!) { recordEvents(input: $input) }`, one(ok()), nil),
		"unknown operation":           body(t, recordQuery, one(ok()), map[string]any{"operationName": "Other"}),
		"syntax error":                body(t, `mutation R($input: [RecordEventInput!]!) { recordEvents(input: $input) {`, one(ok()), nil),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			plain := newBatchServer(t, transport.POST{})
			fast := newBatchServer(t, POST{})
			codePlain, respPlain := plain.post(t, b)
			codeFast, respFast := fast.post(t, b)
			require.Equal(t, codePlain, codeFast)
			require.Equal(t, respPlain, respFast)
			require.Equal(t, plain.got, fast.got)
			require.Zero(t, fast.shortcuts, "the shortcut must leave this request to gqlgen")
		})
	}
	// gqlgen reads an empty time as the zero time (which the recorder then rejects);
	// the shortcut takes it, through the same scalar function, to the same value.
	t.Run("empty time", func(t *testing.T) {
		plain := newBatchServer(t, transport.POST{})
		fast := newBatchServer(t, POST{})
		b := body(t, recordQuery, one(with("dateStarted", "")), nil)
		_, respPlain := plain.post(t, b)
		_, respFast := fast.post(t, b)
		require.Equal(t, respPlain, respFast)
		require.Equal(t, plain.got, fast.got)
		require.True(t, fast.got[0][0].DateStarted.IsZero())
	})
	// And some of them must be errors, or the comparison above proves little.
	errs := 0
	for _, b := range cases {
		if _, resp := newBatchServer(t, transport.POST{}).post(t, b); strings.Contains(resp, `"errors"`) {
			errs++
		}
	}
	require.Greater(t, errs, len(cases)/2)
}

// TestPOSTAnswersAsGqlgen: for requests of every kind, graph.POST answers with gqlgen's
// status, content type and JSON (written without the second encoding pass).
func TestPOSTAnswersAsGqlgen(t *testing.T) {
	newServer := func(post graphql.Transport) http.Handler {
		srv := handler.New(NewExecutableSchema(Config{Resolvers: &Resolver{}, Complexity: Complexity()}))
		srv.AddTransport(post)
		srv.Use(extension.Introspection{})
		return srv
	}
	plain, fast := newServer(transport.POST{}), newServer(POST{})
	introspect := `{ __type(name: "RecordEventInput") { name description fields: inputFields { name description type { kind name ofType { name } } } } }`
	cases := []struct {
		name, accept string
		body         []byte
	}{
		{"introspection", "", body(t, introspect, nil, nil)},
		{"typename with alias", "application/json", body(t, `{ a: __typename b: __typename }`, nil, nil)},
		{"graphql-response+json", "application/graphql-response+json", body(t, introspect, nil, nil)},
		{"any type", "*/*", body(t, introspect, nil, nil)},
		{"unknown accept", "text/html", body(t, introspect, nil, nil)},
		{"several accepts", "text/html, application/graphql-response+json;q=0.9", body(t, `{ __typename }`, nil, nil)},
		{"syntax error", "", body(t, `{ __typename `, nil, nil)},
		{"syntax error, graphql-response+json", "application/graphql-response+json", body(t, `{ __typename `, nil, nil)},
		{"unknown field", "", body(t, `{ nothing }`, nil, nil)},
		{"unknown operation", "", body(t, `query A { __typename }`, nil, map[string]any{"operationName": "B"})},
		{"bad variable", "", body(t, `query A($n: Int!) { __typename }`, map[string]any{"n": "x"}, nil)},
		{"no query", "", []byte(`{}`)},
		{"unauthenticated field", "", body(t, `{ school { name } }`, nil, nil)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			do := func(h http.Handler) *httptest.ResponseRecorder {
				req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(c.body))
				req.Header.Set("Content-Type", "application/json")
				if c.accept != "" {
					req.Header.Set("Accept", c.accept)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec
			}
			want, got := do(plain), do(fast)
			require.Equal(t, want.Code, got.Code)
			require.Equal(t, want.Header().Get("Content-Type"), got.Header().Get("Content-Type"))
			require.JSONEq(t, want.Body.String(), got.Body.String())
		})
	}

	// A body that is not one GraphQL request gets gqlgen's status, but a client error
	// code and a message that does not quote the body (gqlgen's does, and it may hold a
	// password).
	for _, b := range []string{`{"query": "{ __typename }", "variables": {"p": "secret-1"}`, `[{"query": "secret-1"}]`,
		`{"query":"` + recordQuery + `","variables":{"input":[{"type":"secret-1`} {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		plain.ServeHTTP(want, req)
		req = httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		fast.ServeHTTP(got, req)
		require.Equal(t, want.Code, got.Code, b)
		require.Contains(t, want.Body.String(), "secret-1", "gqlgen quotes the body")
		require.NotContains(t, got.Body.String(), "secret-1", b)
		require.Contains(t, got.Body.String(), `"code":"BAD_REQUEST"`, b)
	}
}

// TestWriteResponseWritesDataAsIs: a plain answer goes out as the executor wrote it
// (json.Marshal would have re-encoded it, escaping <, > and &), anything else as gqlgen
// writes it.
func TestWriteResponseWritesDataAsIs(t *testing.T) {
	var b bytes.Buffer
	writeResponse(&b, &graphql.Response{Data: []byte(`{"s":"<a&b>"}`), Extensions: map[string]any{}})
	require.Equal(t, `{"data":{"s":"<a&b>"}}`, b.String())

	b.Reset()
	writeResponse(&b, &graphql.Response{Data: []byte(`{"s":"<a&b>"}`), Errors: gqlerror.List{{Message: "partial"}}})
	require.JSONEq(t, `{"errors":[{"message":"partial"}],"data":{"s":"<a&b>"}}`, b.String())
	require.Contains(t, b.String(), `\u003ca\u0026b\u003e`, "with errors, gqlgen's encoding")

	b.Reset()
	writeResponse(&b, &graphql.Response{Errors: gqlerror.List{{Message: "no data"}}})
	require.JSONEq(t, `{"errors":[{"message":"no data"}],"data":null}`, b.String())
}
