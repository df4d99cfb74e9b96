package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent/apitoken"
	entevent "github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/ingest"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// cookieHeader returns the client's cookies as a Cookie header, for a websocket upgrade
// made with the browser's session.
func (c *client) cookieHeader() http.Header {
	u, _ := url.Parse(c.base)
	var parts []string
	for _, ck := range c.http.Jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	return http.Header{"Cookie": {strings.Join(parts, "; ")}}
}

// untilClosed reads messages until the server closes the socket, and returns them with
// the close code; the code is -1 when the socket was still open after timeout.
func (w *wsClient) untilClosed(timeout time.Duration) ([]wsMsg, websocket.StatusCode) {
	deadline := time.Now().Add(timeout)
	var msgs []wsMsg
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return msgs, -1
		}
		m, err := w.read(left)
		if err != nil {
			return msgs, websocket.CloseStatus(err)
		}
		msgs = append(msgs, m)
	}
}

// result reads the messages of operation id up to its complete, and returns its one
// result payload.
func (w *wsClient) result(t *testing.T, id string) string {
	t.Helper()
	var payload string
	for {
		m, err := w.read(10 * time.Second)
		require.NoError(t, err, "waiting for operation %s", id)
		if m.ID != id {
			continue
		}
		switch m.Type {
		case "next":
			payload = string(m.Payload)
		case "error":
			return string(m.Payload)
		case "complete":
			return payload
		}
	}
}

// closeCode is the close code of an error from dialWS, or -1.
func closeCode(err error) websocket.StatusCode { return websocket.CloseStatus(err) }

const (
	createTokenOverWS = `mutation { createAPIToken(name: "x", scopes: ["reports:read", "events:write"]) { secret } }`
	liveFeed          = `subscription { eventRecorded { id } }`
)

// TestWebsocketOperationsFollowTheCredential performs the attack of a websocket opened
// with a session that then ends: every operation sent afterwards, a createAPIToken
// mutation included, is refused and the socket closes with 4403. The periodic check is
// set to an hour here, so it is the check before each operation that refuses them.
func TestWebsocketOperationsFollowTheCredential(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.NewWithConfig(t, db, server.Config{LiveRecheck: time.Hour})
		sc := srv.CreateSchool(t, "wsauth", "UTC")
		adaID := addUser(t, db, sc.ID, "ada", user.RoleADMIN, "ada-password-1")
		addUser(t, db, sc.ID, "bob", user.RoleADMIN, "bob-password-1")
		cleoID := addUser(t, db, sc.ID, "cleo", user.RoleADMIN, "cleo-password-1")
		bob := newClient(t, srv.URL)
		require.Empty(t, bob.signIn("wsauth", "bob", "bob-password-1").Errors)
		setRole := func(id int, role string) {
			t.Helper()
			r := bob.gql(`mutation($u: ID!, $r: Role!) { setUserRole(userID: $u, role: $r) { id } }`,
				map[string]any{"u": id, "r": role})
			require.Empty(t, r.Errors)
		}

		ends := []struct {
			name    string
			end     func(ada *client)
			restore func()
		}{
			{"sign out", func(ada *client) {
				require.Empty(t, ada.gql(`mutation { signOut }`, nil).Errors)
				require.Nil(t, ada.gql(`{ me { id } }`, nil).Data["me"], "signed out over HTTP")
			}, func() {}},
			{"role NONE", func(*client) { setRole(adaID, "NONE") }, func() { setRole(adaID, "ADMIN") }},
		}
		ops := map[string]string{
			"createAPIToken": createTokenOverWS,
			"subscription":   liveFeed,
			"query":          `{ apiTokens { id name } }`,
		}
		for _, e := range ends {
			for opName, op := range ops {
				t.Run(e.name+"/"+opName, func(t *testing.T) {
					ada := newClient(t, srv.URL)
					require.Empty(t, ada.signIn("wsauth", "ada", "ada-password-1").Errors)
					ws, err := dialWS(t, srv.URL, ada.cookieHeader(), map[string]any{})
					require.NoError(t, err)
					ws.subscribe("before", `{ me { username } }`, nil)
					require.Contains(t, ws.result(t, "before"), `"username":"ada"`, "the session works over the websocket")

					e.end(ada)
					defer e.restore()
					ws.subscribe("after", op, nil)
					msgs, code := ws.untilClosed(10 * time.Second)
					require.Equal(t, websocket.StatusCode(4403), code, "close code; messages: %v", msgs)
					for _, m := range msgs {
						require.NotContains(t, string(m.Payload), "prt_", "no secret over an ended credential")
						if m.Type == "next" {
							require.Contains(t, string(m.Payload), "UNAUTHENTICATED")
						}
					}
				})
			}
		}
		n, err := db.Client.APIToken.Query().Where(apitoken.Name("x")).Count(tenant.System(context.Background()))
		require.NoError(t, err)
		require.Zero(t, n, "no token was created over an ended credential")

		t.Run("demotion to VIEWER", func(t *testing.T) {
			cleo := newClient(t, srv.URL)
			require.Empty(t, cleo.signIn("wsauth", "cleo", "cleo-password-1").Errors)
			ws, err := dialWS(t, srv.URL, cleo.cookieHeader(), map[string]any{})
			require.NoError(t, err)
			ws.subscribe("1", `{ apiTokens { id } }`, nil)
			require.Contains(t, ws.result(t, "1"), `"apiTokens":[`, "an admin lists tokens")
			setRole(cleoID, "VIEWER")
			ws.subscribe("2", `{ apiTokens { id } }`, nil)
			require.Contains(t, ws.result(t, "2"), "FORBIDDEN", "a viewer does not")
			ws.subscribe("3", `{ me { role } }`, nil)
			require.Contains(t, ws.result(t, "3"), `"role":"VIEWER"`, "the connection stays open for what a viewer may do")
		})

		t.Run("mutations are refused over websockets", func(t *testing.T) {
			write := srv.Token(t, sc.ID, auth.ScopeEventsWrite, auth.ScopeReportsRead)
			ws, err := dialWS(t, srv.URL, nil, map[string]any{"Authorization": "Bearer " + write})
			require.NoError(t, err)
			ws.subscribe("1", recordOne, map[string]any{"in": []any{event("SYNC_ERROR", "LDAP", 1, 0, time.Now().UTC())}})
			require.Contains(t, ws.result(t, "1"), "MUTATION_OVER_WEBSOCKET")
			ws.subscribe("2", `{ events { totalCount } }`, nil)
			require.Contains(t, ws.result(t, "2"), `"totalCount":0`, "nothing was recorded, and queries still run")
		})
	})
}

// TestLiveConnectionsCloseWhenTheCredentialEnds shows that an open websocket or event
// stream whose credential ends (a revoked or expired token, a session past its lifetime,
// a sign-out, a user set to NONE) is closed within seconds without sending anything,
// websockets with 4403, and that the closes are counted.
func TestLiveConnectionsCloseWhenTheCredentialEnds(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.NewWithConfig(t, db, server.Config{MetricsToken: liveMetricsToken, LiveRecheck: 200 * time.Millisecond,
			Session: auth.SessionOptions{Lifetime: 4 * time.Second}})
		sc := srv.CreateSchool(t, "closes", "UTC")
		addUser(t, db, sc.ID, "ada", user.RoleADMIN, "ada-password-1")
		addUser(t, db, sc.ID, "vic", user.RoleVIEWER, "vic-password-1")
		danID := addUser(t, db, sc.ID, "dan", user.RoleVIEWER, "dan-password-1")
		admin := func() *client {
			c := newClient(t, srv.URL)
			require.Empty(t, c.signIn("closes", "ada", "ada-password-1").Errors)
			return c
		}
		subscribed := func(t *testing.T, header http.Header, init map[string]any) *wsClient {
			t.Helper()
			ws, err := dialWS(t, srv.URL, header, init)
			require.NoError(t, err)
			ws.subscribe("live", liveFeed, nil)
			// Let the subscription start. (A read with a timeout would close the socket:
			// coder/websocket closes a connection whose read is cancelled.)
			time.Sleep(300 * time.Millisecond)
			return ws
		}
		// within is how long a close may take: the check runs every 200 ms here; the
		// margin is for a loaded machine.
		const within = 10 * time.Second
		requireClosed := func(t *testing.T, ws *wsClient, since time.Time) {
			t.Helper()
			msgs, code := ws.untilClosed(within + 5*time.Second)
			require.Equal(t, websocket.StatusCode(4403), code, "messages: %v", msgs)
			require.Less(t, time.Since(since), within, "closed within seconds")
		}

		t.Run("revoked token", func(t *testing.T) {
			tok, secret := apitest.CreateToken(t, db.Client, sc.ID, auth.ScopeReportsRead)
			ws, err := dialWS(t, srv.URL, nil, map[string]any{"token": secret})
			require.NoError(t, err)
			ws.subscribe("live", liveFeed, nil)
			time.Sleep(300 * time.Millisecond)
			r := admin().gql(`mutation($id: ID!) { revokeAPIToken(id: $id) { revokedAt } }`, map[string]any{"id": tok.ID})
			require.Empty(t, r.Errors)
			requireClosed(t, ws, time.Now())
			_, err = dialWS(t, srv.URL, nil, map[string]any{"token": secret})
			require.Equal(t, websocket.StatusCode(4403), closeCode(err), "a revoked token cannot connect again: %v", err)
		})

		t.Run("expired token", func(t *testing.T) {
			exp := time.Now().Add(2 * time.Second)
			_, secret, err := auth.CreateToken(tenant.WithSchool(context.Background(), sc.ID), db.Client, "short", []string{auth.ScopeReportsRead}, &exp, nil)
			require.NoError(t, err)
			ws := subscribed(t, nil, map[string]any{"Authorization": "Bearer " + secret})
			requireClosed(t, ws, exp)
		})

		t.Run("session lifetime", func(t *testing.T) {
			vic := newClient(t, srv.URL)
			require.Empty(t, vic.signIn("closes", "vic", "vic-password-1").Errors)
			signedIn := time.Now()
			ws := subscribed(t, vic.cookieHeader(), map[string]any{})
			requireClosed(t, ws, signedIn.Add(4*time.Second))
			require.Nil(t, vic.gql(`{ me { id } }`, nil).Data["me"], "the session has ended over HTTP too")
		})

		t.Run("sign out", func(t *testing.T) {
			vic := newClient(t, srv.URL)
			require.Empty(t, vic.signIn("closes", "vic", "vic-password-1").Errors)
			ws := subscribed(t, vic.cookieHeader(), map[string]any{})
			require.Empty(t, vic.gql(`mutation { signOut }`, nil).Errors)
			requireClosed(t, ws, time.Now())
		})

		t.Run("role NONE", func(t *testing.T) {
			dan := newClient(t, srv.URL)
			require.Empty(t, dan.signIn("closes", "dan", "dan-password-1").Errors)
			ws := subscribed(t, dan.cookieHeader(), map[string]any{})
			r := admin().gql(`mutation($u: ID!) { setUserRole(userID: $u, role: NONE) { id } }`, map[string]any{"u": danID})
			require.Empty(t, r.Errors)
			requireClosed(t, ws, time.Now())
		})

		for name, op := range map[string]string{
			"event stream of a revoked token":  `subscription { eventRecorded { id } }`,
			"health stream of a revoked token": `subscription { syncHealthChanged { status } }`,
		} {
			t.Run(name, func(t *testing.T) {
				tok, secret := apitest.CreateToken(t, db.Client, sc.ID, auth.ScopeReportsRead)
				resp := openSSE(t, 30*time.Second, srv.URL, secret, op)
				time.Sleep(300 * time.Millisecond)
				r := admin().gql(`mutation($id: ID!) { revokeAPIToken(id: $id) { revokedAt } }`, map[string]any{"id": tok.ID})
				require.Empty(t, r.Errors)
				revoked := time.Now()
				body, err := io.ReadAll(resp.Body)
				require.NoError(t, err, "the stream ends; so far: %s", body)
				require.Less(t, time.Since(revoked), within, "ended within seconds")
				require.Contains(t, string(body), "UNAUTHENTICATED", "the stream says why it ended")
			})
		}

		require.GreaterOrEqual(t, refusals(t, srv.URL, "credential_ended"), 5, "every websocket closed for its credential is counted")
	})
}

var refusalLine = regexp.MustCompile(`(?m)^provreport_websocket_refusals_total\{reason="([a-z_]+)"\} (\d+)$`)

// liveMetricsToken is the metrics token of the servers whose refusals are read.
const liveMetricsToken = "live-metrics-token"

// refusals reads the count of websocket refusals with the given reason from /metrics.
func refusals(t *testing.T, base, reason string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+liveMetricsToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	for _, m := range refusalLine.FindAllStringSubmatch(string(b), -1) {
		if m[1] == reason {
			n, _ := strconv.Atoi(m[2])
			return n
		}
	}
	t.Fatalf("no provreport_websocket_refusals_total{reason=%q} in /metrics", reason)
	return 0
}

// TestRefusedWebsocketsWithGraphQLWS connects with the real graphql-ws client and
// retryAttempts: 0, as an agent would, with no token, a bad, a revoked and an expired
// one: each connection is closed with graphql-ws' own close code, the client calls its
// error callback once and does not reconnect, and the refusals are counted.
func TestRefusedWebsocketsWithGraphQLWS(t *testing.T) {
	t.Parallel()
	requireNodeClient(t)
	db := testdb.Open(t, "sqlite")
	srv := apitest.NewWithConfig(t, db, server.Config{MetricsToken: liveMetricsToken})
	sc := srv.CreateSchool(t, "refused", "UTC")
	revoked, revokedSecret := apitest.CreateToken(t, db.Client, sc.ID, auth.ScopeReportsRead)
	_, err := auth.RevokeToken(tenant.WithSchool(context.Background(), sc.ID), db.Client, revoked.ID)
	require.NoError(t, err)
	exp := time.Now().Add(time.Second)
	_, expiredSecret, err := auth.CreateToken(tenant.WithSchool(context.Background(), sc.ID), db.Client, "expiring", []string{auth.ScopeReportsRead}, &exp, nil)
	require.NoError(t, err)
	time.Sleep(time.Until(exp) + 100*time.Millisecond)

	cases := []struct {
		name   string
		params map[string]any
		code   int
	}{
		{"no credentials", nil, 4401},
		{"bad token", map[string]any{"Authorization": "Bearer prt_nope"}, 4403},
		{"revoked token", map[string]any{"Authorization": "Bearer " + revokedSecret}, 4403},
		{"expired token", map[string]any{"token": expiredSecret}, 4403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			seen := runNodeClient(t, srv.URL, c.params, liveFeed)
			require.Equal(t, 1, seen.Connecting, "no reconnect: %+v", seen)
			require.Zero(t, seen.Connected, "%+v", seen)
			require.Len(t, seen.Errors, 1, "one error callback: %+v", seen)
			require.Equal(t, fmt.Sprint(c.code), string(seen.Errors[0]), "%+v", seen)
			require.Len(t, seen.Closed, 1, "%+v", seen)
			require.Equal(t, c.code, seen.Closed[0].Code)
			require.Zero(t, seen.Next)
		})
	}
	require.GreaterOrEqual(t, refusals(t, srv.URL, "bad_credentials"), 3)
	require.GreaterOrEqual(t, refusals(t, srv.URL, "no_credentials"), 1)
}

// nodeSeen is what testdata/refused.mjs reports.
type nodeSeen struct {
	Connecting, Connected, Next, Complete int
	Errors                                []json.RawMessage
	Closed                                []struct {
		Code   int
		Reason string
	}
}

func requireNodeClient(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat(filepath.Join("..", "..", "node_modules", "graphql-ws", "package.json")); err != nil {
		t.Skip("graphql-ws is not installed: run npm ci at the repository root")
	}
}

func runNodeClient(t *testing.T, base string, params map[string]any, query string) nodeSeen {
	t.Helper()
	cfg := map[string]any{"url": "ws" + strings.TrimPrefix(base, "http") + "/graphql", "query": query}
	if params != nil {
		cfg["connectionParams"] = params
	}
	b, _ := json.Marshal(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "node", filepath.Join("testdata", "refused.mjs"), string(b)).Output()
	var stderr string
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = string(ee.Stderr)
	}
	require.NoError(t, err, "node client: %s", stderr)
	var seen nodeSeen
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		require.NoError(t, json.Unmarshal(sc.Bytes(), &seen), "node client printed %s", sc.Text())
	}
	// Error codes print as numbers; compare them as text.
	for i, e := range seen.Errors {
		seen.Errors[i] = json.RawMessage(strings.Trim(string(e), `"`))
	}
	return seen
}

// TestRefusedWebsocketBurstIsSlowed shows that an address whose websockets keep being
// refused is slowed down: past a burst, each refusal waits about a second before the
// close (so a client that reconnects on close cannot loop), and is still a 4403.
func TestRefusedWebsocketBurstIsSlowed(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	srv := apitest.New(t, db)
	start := time.Now()
	var last time.Duration
	for i := 0; i < 14; i++ {
		began := time.Now()
		_, err := dialWS(t, srv.URL, nil, map[string]any{"token": "prt_guess" + strconv.Itoa(i)})
		require.Equal(t, websocket.StatusCode(4403), closeCode(err), "attempt %d: %v", i, err)
		last = time.Since(began)
	}
	// Ten refusals are free; the next four wait about a second each.
	require.Greater(t, time.Since(start), 2500*time.Millisecond, "a burst of refusals is slowed down")
	require.Greater(t, last, 500*time.Millisecond, "the last refusal waited")
}

// TestSubscriptionCaps opens subscriptions beyond the per-credential and per-replica
// limits and shows they are refused with TOO_MANY_SUBSCRIPTIONS, over websockets and
// event streams alike, and that ending one frees its place.
func TestSubscriptionCaps(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	srv := apitest.NewWithConfig(t, db, server.Config{MaxSubscriptionsPerCredential: 3, MaxSubscriptions: 5})
	sc := srv.CreateSchool(t, "caps", "UTC")
	a := srv.Token(t, sc.ID, auth.ScopeReportsRead)
	b := srv.Token(t, sc.ID, auth.ScopeReportsRead)
	write := srv.Token(t, sc.ID, auth.ScopeEventsWrite)

	open := func(ws *wsClient, ids ...string) {
		t.Helper()
		for _, id := range ids {
			ws.subscribe(id, `subscription { eventRecorded { typeName } }`, nil)
		}
		// A socket starts its subscriptions concurrently: let these start before the
		// next one, so that it is the one over the limit.
		time.Sleep(300 * time.Millisecond)
	}
	refused := func(ws *wsClient, id string) string {
		t.Helper()
		ws.subscribe(id, `subscription { eventRecorded { typeName } }`, nil)
		return ws.result(t, id)
	}
	wsA, err := dialWS(t, srv.URL, nil, map[string]any{"token": a})
	require.NoError(t, err)
	open(wsA, "a1", "a2", "a3")
	require.Contains(t, refused(wsA, "a4"), "TOO_MANY_SUBSCRIPTIONS", "a fourth on one credential")
	wsA2, err := dialWS(t, srv.URL, nil, map[string]any{"token": a})
	require.NoError(t, err)
	require.Contains(t, refused(wsA2, "a5"), "TOO_MANY_SUBSCRIPTIONS", "on another socket of the same credential too")

	wsB, err := dialWS(t, srv.URL, nil, map[string]any{"token": b})
	require.NoError(t, err)
	open(wsB, "b1", "b2")
	require.Contains(t, refused(wsB, "b3"), "TOO_MANY_SUBSCRIPTIONS", "a sixth on the replica")

	// An event stream counts the same.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(`{"query":"subscription { eventRecorded { typeName } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+b)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Contains(t, string(body), "TOO_MANY_SUBSCRIPTIONS")

	// Ending one frees its place: a new subscription of the credential is accepted (no
	// answer at all within the wait, where a refusal answers at once). The probe's own
	// socket closes when its read gives up, which ends the probe.
	wsA.send(wsMsg{ID: "a1", Type: "complete"})
	require.Eventually(t, func() bool {
		probe, err := dialWS(t, srv.URL, nil, map[string]any{"token": a})
		require.NoError(t, err)
		probe.subscribe("p", `subscription { eventRecorded { typeName } }`, nil)
		_, err = probe.read(500 * time.Millisecond)
		return errors.Is(err, context.DeadlineExceeded)
	}, 10*time.Second, 50*time.Millisecond)

	// The subscriptions that were accepted deliver.
	srv.Do(t, write, recordOne, map[string]any{"in": []any{event("SYNC_ERROR", "LDAP", 5, 0, time.Now().UTC())}}).OK(t)
	m, err := wsB.read(10 * time.Second)
	require.NoError(t, err)
	require.Equal(t, "next", m.Type)
	require.Contains(t, string(m.Payload), "Sync Error")
}

// streamingAccepts are Accept headers that mention event streams: listed among JSON
// types (as urql sends), first, and first of two.
var streamingAccepts = []string{"application/json, text/event-stream", "text/event-stream", "text/event-stream, application/json"}

// postAccept posts a GraphQL query with a bearer token and an Accept header, and returns
// the whole answer and how long it took.
func postAccept(t *testing.T, base, accept, token, query string) (string, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", accept)
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(out), time.Since(start)
}

const countEventsQuery = `{ events(first: 1) { totalCount } }`

// TestStreamingAcceptKeepsTheTimeout sends queries that list text/event-stream among the
// types they accept, or put it first: the request timeout still applies to them (a
// nanosecond here, so no query can answer), over a websocket too, while a real
// subscription over an event stream keeps streaming past it.
func TestStreamingAcceptKeepsTheTimeout(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	srv := apitest.NewWithConfig(t, db, server.Config{RequestTimeout: time.Nanosecond})
	sc := srv.CreateSchool(t, "slow", "UTC")
	read := srv.Token(t, sc.ID, auth.ScopeReportsRead)

	for _, accept := range streamingAccepts {
		body, _ := postAccept(t, srv.URL, accept, read, countEventsQuery)
		require.NotContains(t, body, `"totalCount"`, "Accept: %s: the timeout stopped the query", accept)
	}
	ws, err := dialWS(t, srv.URL, nil, map[string]any{"token": read})
	require.NoError(t, err)
	ws.subscribe("q", countEventsQuery, nil)
	require.NotContains(t, ws.result(t, "q"), `"totalCount"`, "over a websocket")

	// A subscription over an event stream outlives the timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/graphql", strings.NewReader(`{"query":"subscription { eventRecorded { typeName } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+read)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	go func() {
		// Recorded below the API, whose requests the nanosecond timeout stops too.
		time.Sleep(time.Second)
		now, profile, processed := time.Now().UTC(), "LDAP", 5
		_, err := srv.App.Recorder.Record(tenant.WithSchool(context.Background(), sc.ID), []*ingest.Input{{
			Type: entevent.TypeSYNC_ERROR, DateStarted: now, DateFinished: now, SyncProfile: &profile, Processed: &processed}})
		if err != nil {
			t.Errorf("record: %v", err)
		}
	}()
	var got strings.Builder
	buf := make([]byte, 4096)
	for !strings.Contains(got.String(), "Sync Error") {
		n, err := resp.Body.Read(buf)
		got.Write(buf[:n])
		require.NoError(t, err, "stream so far: %s", got.String())
	}
}

// TestStreamingAcceptTimesOutOnPostgres is the same attack with a query that really
// waits: the events table is locked by another transaction, and each query, whatever
// its Accept header, is answered TIMEOUT after the half-second request timeout instead
// of waiting for the lock.
func TestStreamingAcceptTimesOutOnPostgres(t *testing.T) {
	t.Parallel()
	if os.Getenv(testdb.EnvPostgres) == "" {
		t.Skipf("%s is not set", testdb.EnvPostgres)
	}
	db := testdb.Open(t, "postgres")
	srv := apitest.NewWithConfig(t, db, server.Config{RequestTimeout: 500 * time.Millisecond})
	sc := srv.CreateSchool(t, "slowpg", "UTC")
	read := srv.Token(t, sc.ID, auth.ScopeReportsRead)
	ws, err := dialWS(t, srv.URL, nil, map[string]any{"token": read})
	require.NoError(t, err)

	ctx := context.Background()
	tx, err := db.SQL.BeginTx(ctx, nil)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback() }()
	_, err = tx.ExecContext(ctx, "LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
	require.NoError(t, err)
	for _, accept := range streamingAccepts {
		body, took := postAccept(t, srv.URL, accept, read, countEventsQuery)
		require.Contains(t, body, "TIMEOUT", "Accept: %s", accept)
		require.Less(t, took, 10*time.Second, "Accept: %s", accept)
	}
	ws.subscribe("q", countEventsQuery, nil)
	require.Contains(t, ws.result(t, "q"), "TIMEOUT", "over a websocket")
}

// TestWebsocketOriginComparesScheme shows that with CORS allowing https://allowed.example,
// only that exact origin (scheme, host and port) may open a websocket.
func TestWebsocketOriginComparesScheme(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	srv := apitest.NewWithConfig(t, db, server.Config{MetricsToken: liveMetricsToken, CORSOrigins: []string{"https://allowed.example"}})
	sc := srv.CreateSchool(t, "origin", "UTC")
	read := srv.Token(t, sc.ID, auth.ScopeReportsRead)
	for origin, ok := range map[string]bool{
		"https://allowed.example":      true,
		"http://allowed.example":       false,
		"https://allowed.example:8443": false,
		"wss://allowed.example":        false,
		"https://evil.example":         false,
	} {
		_, err := dialWS(t, srv.URL, http.Header{"Origin": {origin}}, map[string]any{"token": read})
		if ok {
			require.NoError(t, err, origin)
			continue
		}
		var se *httpStatusError
		require.ErrorAs(t, err, &se, origin)
		require.Equal(t, http.StatusForbidden, se.code, origin)
	}
	require.GreaterOrEqual(t, refusals(t, srv.URL, "origin"), 4)
}

// TestNodeFollowsExportVisibility asks node and nodes for exports the caller may not
// see (another user's, another token's): they are not found, as with export(id:), while
// their owner and the school's admins see them.
func TestNodeFollowsExportVisibility(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	srv := apitest.New(t, db)
	sc := srv.CreateSchool(t, "exports", "UTC")
	addUser(t, db, sc.ID, "ada", user.RoleADMIN, "ada-password-1")
	addUser(t, db, sc.ID, "vic", user.RoleVIEWER, "vic-password-1")
	addUser(t, db, sc.ID, "val", user.RoleVIEWER, "val-password-1")
	tokA := srv.Token(t, sc.ID, auth.ScopeReportsRead)
	tokB := srv.Token(t, sc.ID, auth.ScopeReportsRead)
	signedIn := func(name string) *client {
		c := newClient(t, srv.URL)
		require.Empty(t, c.signIn("exports", name, name+"-password-1").Errors)
		return c
	}
	ada, vic, val := signedIn("ada"), signedIn("vic"), signedIn("val")

	r := vic.gql(`mutation { requestExport { id } }`, nil)
	require.Empty(t, r.Errors)
	vicExport := r.Data["requestExport"].(map[string]any)["id"].(string)
	var byToken struct{ RequestExport struct{ ID string } }
	srv.Do(t, tokA, `mutation { requestExport { id } }`, nil).OK(t).Decode(t, &byToken)
	tokExport := byToken.RequestExport.ID

	const one = `query($id: ID!) { export(id: $id) { id } node(id: $id) { ... on Export { id email requestedBy { username } } } }`
	const many = `query($id: ID!) { nodes(ids: [$id]) { ... on Export { id email } } }`
	hidden := func(data map[string]any, errs int, who string) {
		t.Helper()
		require.Nil(t, data["export"], who)
		require.Nil(t, data["node"], who)
		require.Equal(t, 1, errs, who)
	}
	// A viewer, for another viewer's export.
	r = val.gql(one, map[string]any{"id": vicExport})
	hidden(r.Data, len(r.Errors), "viewer")
	require.Equal(t, "NOT_FOUND", r.code())
	r = val.gql(many, map[string]any{"id": vicExport})
	require.NotContains(t, mustString(r.Data), "vic@", "nodes hides it too")
	require.Equal(t, []any{nil}, r.Data["nodes"])

	// A reports:read token, for another token's and a user's export.
	for _, id := range []string{tokExport, vicExport} {
		res := srv.Do(t, tokB, one, map[string]any{"id": id})
		var d map[string]any
		res.Decode(t, &d)
		hidden(d, len(res.Errors), "token")
		res = srv.Do(t, tokB, many, map[string]any{"id": id})
		require.Equal(t, `{"nodes":[null]}`, string(res.Data))
	}

	// The owner and an admin see it every way.
	r = vic.gql(one, map[string]any{"id": vicExport})
	require.Empty(t, r.Errors)
	require.Equal(t, vicExport, r.Data["node"].(map[string]any)["id"])
	r = ada.gql(one, map[string]any{"id": vicExport})
	require.Empty(t, r.Errors)
	require.Equal(t, "vic", r.Data["node"].(map[string]any)["requestedBy"].(map[string]any)["username"])
	res := srv.Do(t, tokA, many, map[string]any{"id": tokExport})
	require.Contains(t, string(res.OK(t).Data), tokExport)
}
