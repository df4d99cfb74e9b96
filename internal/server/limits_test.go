package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// serve runs one POST /graphql through the server's handler on this goroutine's OS
// thread and returns the response with the CPU time that thread spent on it. CPU time,
// unlike wall time, does not grow when other processes load the machine; parsing and
// validation run synchronously in the handler, so their cost is counted.
func serve(t *testing.T, h http.Handler, token string, body []byte) (*httptest.ResponseRecorder, time.Duration, time.Duration) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	cpu := func() time.Duration { return threadCPU(t) }
	start, wall := cpu(), time.Now()
	h.ServeHTTP(rec, req)
	return rec, cpu() - start, time.Since(wall)
}

func queryBody(t *testing.T, query string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"query": query})
	require.NoError(t, err)
	return b
}

type answer struct {
	Data   json.RawMessage
	Errors []apitest.Error
}

func decode(t *testing.T, rec *httptest.ResponseRecorder) answer {
	t.Helper()
	var a answer
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &a), "%.300s", rec.Body.String())
	return a
}

// TestQueryCPUBudget: documents whose validation is quadratic (16,000 copies of
// __typename took 15 s of CPU) are refused, with or without credentials, in under 50 ms
// of the handler's CPU time (on its OS thread; other threads' GC work is not counted) (the best of three tries, so that one preemption or GC
// cycle on a loaded machine does not decide it).
func TestQueryCPUBudget(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		sc := srv.CreateSchool(t, "cpu", "UTC")
		token := srv.Token(t, sc.ID, "reports:read")
		h := srv.App.Handler()

		// The query must be refused within 50 ms of CPU. A 2 MB body (which held a
		// core for minutes) costs its JSON decoding and the parse up to the token limit,
		// linear in its size: 250 ms is generous for that and far from minutes.
		type attack struct {
			query string
			limit time.Duration
		}
		cases := map[string]attack{
			"16,000 __typename":          {"{" + strings.Repeat(" __typename", 16_000) + " }", 50 * time.Millisecond},
			"2 MB of __typename":         {"{" + strings.Repeat(" __typename", 2<<20/11) + " }", 250 * time.Millisecond},
			"3,000 nested same-name":     {"{" + strings.Repeat(" school { name }", 3_000) + " }", 50 * time.Millisecond},
			"a fragment spread 16,000x":  {"{" + strings.Repeat(" ...F", 16_000) + " } fragment F on Query { __typename }", 50 * time.Millisecond},
			"fragments doubling 20 deep": {doubling(20), 50 * time.Millisecond},
			// Within a per-selection-set bound, but validation merges the 25 schools' 625
			// names into one set of pairs to compare (200 ms of CPU).
			"25 schools of 25 names": {"{" + strings.Repeat(" school {"+strings.Repeat(" name", 25)+" }", 25) + " }", 50 * time.Millisecond},
		}
		for name, c := range cases {
			for _, who := range []string{"anonymous", "token"} {
				tok := map[string]string{"anonymous": "", "token": token}[who]
				best := time.Hour
				var rec *httptest.ResponseRecorder
				for range 3 {
					var cpu, wall time.Duration
					rec, cpu, wall = serve(t, h, tok, queryBody(t, c.query))
					t.Logf("%s, %s: %v CPU, %v wall", name, who, cpu, wall)
					best = min(best, cpu)
				}
				a := decode(t, rec)
				require.Len(t, a.Errors, 1, "%s, %s", name, who)
				require.Equal(t, "QUERY_TOO_LARGE", a.Errors[0].Code(), "%s, %s: %s", name, who, a.Errors[0].Message)
				require.Less(t, best, c.limit, "%s, %s", name, who)
			}
		}

		// The dashboard's kind of query stays well within the budget.
		r := srv.Do(t, token, `{ events(first: 50) { totalCount edges { node { id typeName dateFinished user { username } syncProfile { name } } } } }`, nil)
		r.OK(t)
	})
}

// doubling is a document whose fragments each spread the next one twice: 2^n fields
// once expanded.
func doubling(n int) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }")
	for i := range n {
		fmt.Fprintf(&b, " fragment F%d on Query { ...F%d ...F%d }", i, i+1, i+1)
	}
	fmt.Fprintf(&b, " fragment F%d on Query { __typename }", n)
	return b.String()
}

// TestErrorAmplification: a small document cannot make a large answer. 200,000
// directives (0.6 MB) answered 59 MB of errors, 500,000 unknown fields 78 MB; now one
// error, and never more than 100 errors in any answer.
func TestErrorAmplification(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		sc := srv.CreateSchool(t, "amp", "UTC")
		token := srv.Token(t, sc.ID, "reports:read")
		h := srv.App.Handler()

		var unknown strings.Builder
		unknown.WriteString("{")
		for i := range 500_000 {
			fmt.Fprintf(&unknown, " f%d", i)
		}
		unknown.WriteString(" }")
		for name, query := range map[string]string{
			"200,000 directives":     "{ __typename" + strings.Repeat(" @a", 200_000) + " }",
			"500,000 unknown fields": unknown.String(),
		} {
			for _, tok := range []string{"", token} {
				rec, _, _ := serve(t, h, tok, queryBody(t, query))
				require.Less(t, rec.Body.Len(), 4<<10, "%s: %d bytes answered", name, rec.Body.Len())
				a := decode(t, rec)
				require.Len(t, a.Errors, 1, name)
				require.Equal(t, "QUERY_TOO_LARGE", a.Errors[0].Code(), name)
			}
		}

		// Within the budget, errors are capped as graphql-js caps them.
		var many strings.Builder
		many.WriteString("{")
		for i := range 1_500 {
			fmt.Fprintf(&many, " f%d", i)
		}
		many.WriteString(" }")
		rec, _, _ := serve(t, h, token, queryBody(t, many.String()))
		a := decode(t, rec)
		require.Len(t, a.Errors, 101)
		require.Equal(t, "TOO_MANY_ERRORS", a.Errors[100].Code())
		require.Contains(t, a.Errors[100].Message, "1400 more errors")
	})
}

// TestSuggestionsOnlyForIntrospectors: "Did you mean …" names the schema's fields, so
// only callers who may introspect it see it.
func TestSuggestionsOnlyForIntrospectors(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		sc := srv.CreateSchool(t, "sugg", "UTC")
		token := srv.Token(t, sc.ID, "reports:read")
		for _, q := range []string{`{ evnts { totalCount } }`, `{ events }`, `{ events(filtr: {}) { totalCount } }`} {
			anon := srv.Do(t, "", q, nil)
			require.NotEmpty(t, anon.Errors, q)
			for _, e := range anon.Errors {
				require.NotContains(t, e.Message, "Did you mean", q)
			}
			signed := srv.Do(t, token, q, nil)
			require.NotEmpty(t, signed.Errors, q)
			require.Contains(t, signed.Errors[0].Message, "Did you mean", q)
		}
	})
}

// TestExpensiveFieldsPriced: every alias costs what its field costs, so many aliased
// summaries, users searches or sync profile lists exceed the complexity limit, while the
// dashboard's own queries pass.
func TestExpensiveFieldsPriced(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		sc := srv.CreateSchool(t, "price", "UTC")
		token := srv.Token(t, sc.ID, "reports:read")
		aliased := func(n int, field string) string {
			var b strings.Builder
			b.WriteString("{")
			for i := range n {
				fmt.Fprintf(&b, " a%d: %s", i, field)
			}
			b.WriteString(" }")
			return b.String()
		}
		for _, q := range []string{
			aliased(30, "eventSummary { events }"),
			aliased(2000, "eventSummary { events }"),
			aliased(30, `eventSummary(filter: {from: "2026-01-01T00:00:00Z", to: "2026-12-31T00:00:00Z"}) { events buckets { events } }`),
			aliased(300, `users(search: "a", first: 1) { totalCount }`),
			aliased(300, "syncProfiles { id }"),
			`{ events(first: 50) { edges { node { id problems { line field message } } } } }`,
		} {
			r := srv.Do(t, token, q, nil)
			require.Len(t, r.Errors, 1, "%.80s", q)
			require.Contains(t, []string{"COMPLEXITY_LIMIT_EXCEEDED", "QUERY_TOO_LARGE"}, r.Errors[0].Code(), "%.80s: %s", q, r.Errors[0].Message)
		}
		summary := `query($f: ReportFilter) { eventSummary(filter: $f) { events processed added updated deleted disabled errors failedLogins step
			buckets { start events added updated deleted disabled errors failedLogins } } }`
		srv.Do(t, token, summary, nil).OK(t)
		srv.Do(t, token, summary, map[string]any{"f": map[string]any{"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"}}).OK(t)
		srv.Do(t, token, `{ syncProfiles { id name kind } users(search: "a", first: 20) { edges { node { id username displayName } } } }`, nil).OK(t)
		srv.Do(t, token, `{ events(first: 5) { edges { node { id problems { line field message } } } } }`, nil).OK(t)

		// recordEvents pays for each event it returns, as a page does.
		writer := srv.Token(t, sc.ID, "events:write")
		record := `mutation($in: [RecordEventInput!]!) { recordEvents(input: $in) { events { id problems { line field message } } } }`
		batch := func(n int) []any {
			in := make([]any, n)
			for i := range in {
				in[i] = map[string]any{"type": "SYNC_ERROR", "syncProfile": "Staff", "startedAt": "2026-03-01T10:00:00Z", "finishedAt": "2026-03-01T10:01:00Z"}
			}
			return in
		}
		r := srv.Do(t, writer, record, map[string]any{"in": batch(1000)})
		require.Len(t, r.Errors, 1)
		require.Equal(t, "COMPLEXITY_LIMIT_EXCEEDED", r.Errors[0].Code())
		srv.Do(t, writer, record, map[string]any{"in": batch(2)}).OK(t)
		require.Equal(t, 2, countEvents(t, db, sc.ID), "only the batch within the limit was stored")
	})
}

// TestBadInputIsTyped: input that used to reach the database and fail there (a NUL
// character on PostgreSQL, a 1 MB LIKE pattern on SQLite) or to be accepted without
// bound is refused as BAD_USER_INPUT naming the argument, on both databases alike; a
// body over the limit is 413 even when it is sent chunked.
func TestBadInputIsTyped(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		sc := srv.CreateSchool(t, "input", "UTC")
		token := srv.Token(t, sc.ID, "reports:read", "events:write")

		ev := func(details string) map[string]any {
			return map[string]any{"type": "SYNC_ERROR", "syncProfile": "LDAP", "details": details,
				"dateStarted": "2026-03-01T10:00:00Z", "dateFinished": "2026-03-01T10:01:00Z"}
		}
		problems := make([]any, 1001)
		for i := range problems {
			problems[i] = map[string]any{"line": i, "field": "f", "message": "m"}
		}
		withProblems := ev("ok")
		withProblems["problems"] = problems
		nulProfile := ev("ok")
		nulProfile["syncProfile"] = "LD\x00AP"
		types := make([]string, 200_000)
		for i := range types {
			types[i] = "SYNC_ERROR"
		}
		record := `mutation($in: [RecordEventInput!]!) { recordEvents(input: $in) { events { id } } }`
		for _, c := range []struct {
			name, query string
			vars        map[string]any
			field       string
		}{
			{"NUL in details of the second row", record, map[string]any{"in": []any{ev("fine"), ev("a\x00b")}}, "input[1].details"},
			{"NUL in a sync profile", record, map[string]any{"in": []any{nulProfile}}, "input[0].syncProfile"},
			{"NUL in a literal batch", `mutation { recordEvents(input: [{type: SYNC_ERROR, syncProfile: "LDAP", details: "a\u0000b", dateStarted: "2026-03-01T10:00:00Z", dateFinished: "2026-03-01T10:01:00Z"}]) { events { id } } }`, nil, "recordEvents.input[0].details"},
			{"1,001 problems", record, map[string]any{"in": []any{withProblems}}, "problems"},
			{"NUL in a users search", `query($s: String) { users(search: $s) { totalCount } }`, map[string]any{"s": "a\x00"}, "users.search"},
			{"a 1 MB users search", `query($s: String) { users(search: $s) { totalCount } }`, map[string]any{"s": strings.Repeat("%a", 1<<19)}, "users.search"},
			{"200,000 types", `query($t: [EventType!]) { events(filter: {types: $t}) { totalCount } }`, map[string]any{"t": types}, "events.filter.types"},
			{"NUL in signIn", `mutation { signIn(school: "input\u0000", username: "a", password: "b") { id } }`, nil, "signIn.school"},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := srv.Do(t, token, c.query, c.vars)
				e := r.Error(t, "BAD_USER_INPUT")
				require.Contains(t, e.Message, c.field)
			})
		}
		n, err := db.Client.Event.Query().Count(tenantCtx(sc.ID))
		require.NoError(t, err)
		require.Zero(t, n, "nothing of a refused batch is written")

		// 10 MB, chunked: no Content-Length for the early check.
		t.Run("10 MB chunked body", func(t *testing.T) { chunked(t, srv, token) })
	})
}

func chunked(t *testing.T, srv *apitest.Server, token string) {
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write([]byte(`{"query":"{ __typename }","variables":{"x":"`))
		chunk := bytes.Repeat([]byte("a"), 1<<20)
		for range 10 {
			if _, err := pw.Write(chunk); err != nil {
				return
			}
		}
		_, _ = pw.Write([]byte(`"}}`))
		_ = pw.Close()
	}()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/graphql", pr)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := srv.HTTP.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	_ = pr.CloseWithError(io.EOF)
}

func tenantCtx(schoolID int) context.Context {
	return tenant.WithSchool(context.Background(), schoolID)
}
