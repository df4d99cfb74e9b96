package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

type wsMsg struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// wsClient speaks graphql-transport-ws (the graphql-ws npm client's protocol).
type wsClient struct {
	t *testing.T
	c *websocket.Conn
}

func dialWS(t *testing.T, base string, header http.Header, init map[string]any) (*wsClient, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql", &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header,
	})
	if err != nil {
		if resp != nil {
			return nil, &httpStatusError{resp.StatusCode}
		}
		return nil, err
	}
	w := &wsClient{t: t, c: c}
	t.Cleanup(func() { c.CloseNow() })
	w.send(wsMsg{Type: "connection_init", Payload: mustJSON(init)})
	m, err := w.read(5 * time.Second)
	if err != nil {
		return nil, err
	}
	if m.Type != "connection_ack" {
		return nil, &initRefused{m.Type, string(m.Payload)}
	}
	return w, nil
}

type httpStatusError struct{ code int }

func (e *httpStatusError) Error() string { return http.StatusText(e.code) }

type initRefused struct{ typ, payload string }

func (e *initRefused) Error() string { return e.typ + " " + e.payload }

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func (w *wsClient) send(m wsMsg) {
	w.t.Helper()
	b, _ := json.Marshal(m)
	require.NoError(w.t, w.c.Write(context.Background(), websocket.MessageText, b))
}

func (w *wsClient) read(timeout time.Duration) (wsMsg, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		_, b, err := w.c.Read(ctx)
		if err != nil {
			return wsMsg{}, err
		}
		var m wsMsg
		if err := json.Unmarshal(b, &m); err != nil {
			return wsMsg{}, err
		}
		if m.Type == "ping" {
			w.send(wsMsg{Type: "pong"})
			continue
		}
		return m, nil
	}
}

func (w *wsClient) subscribe(id, query string, vars map[string]any) {
	w.send(wsMsg{ID: id, Type: "subscribe", Payload: mustJSON(map[string]any{"query": query, "variables": vars})})
}

const recordOne = `mutation($in: [RecordEventInput!]!) { recordEvents(input: $in) { events { id } } }`

func event(typ, profile string, processed, added int, at time.Time) map[string]any {
	return map[string]any{"type": typ, "syncProfile": profile, "processed": processed, "added": added,
		"dateStarted": at.Format(time.RFC3339), "dateFinished": at.Format(time.RFC3339)}
}

// TestLiveSubscription subscribes over a real websocket and shows that matching events
// of the subscriber's school arrive, and idle events, other types and other schools'
// events never do.
func TestLiveSubscription(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		a := srv.CreateSchool(t, "alpha", "UTC")
		b := srv.CreateSchool(t, "beta", "UTC")
		readA := srv.Token(t, a.ID, auth.ScopeReportsRead)
		writeA := srv.Token(t, a.ID, auth.ScopeEventsWrite)
		writeB := srv.Token(t, b.ID, auth.ScopeEventsWrite)

		ws, err := dialWS(t, srv.URL, nil, map[string]any{"Authorization": "Bearer " + readA})
		require.NoError(t, err)
		ws.subscribe("1", `subscription($f: ReportFilter) { eventRecorded(filter: $f) { id typeName added syncProfile { name } } }`,
			map[string]any{"f": map[string]any{"types": []string{"ACCOUNT_SYNCHRONIZATION", "SYNC_ERROR"}}})
		time.Sleep(200 * time.Millisecond) // let the subscription register before recording

		now := time.Now().UTC()
		srv.Do(t, writeB, recordOne, map[string]any{"in": []any{event("ACCOUNT_SYNCHRONIZATION", "LDAP", 10, 5, now)}}).OK(t)
		srv.Do(t, writeA, recordOne, map[string]any{"in": []any{
			event("ACCOUNT_SYNCHRONIZATION", "LDAP", 10, 0, now),       // idle: hidden by the default activity filter
			event("USER_CSV_PROCESSED", "CSV", 10, 3, now),             // another type
			event("ACCOUNT_SYNCHRONIZATION", "LDAP Staff", 10, 2, now), // matches
		}}).OK(t)

		m, err := ws.read(10 * time.Second)
		require.NoError(t, err)
		require.Equal(t, "next", m.Type, string(m.Payload))
		var got struct {
			Data struct {
				EventRecorded struct {
					TypeName    string
					Added       int
					SyncProfile struct{ Name string }
				}
			}
		}
		require.NoError(t, json.Unmarshal(m.Payload, &got))
		require.Equal(t, "Account Synchronization", got.Data.EventRecorded.TypeName)
		require.Equal(t, 2, got.Data.EventRecorded.Added)
		require.Equal(t, "LDAP Staff", got.Data.EventRecorded.SyncProfile.Name)
		_, err = ws.read(500 * time.Millisecond)
		require.Error(t, err, "nothing else arrives")
	})
}

func TestLiveWebsocketRefusals(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	srv := apitest.New(t, db)
	a := srv.CreateSchool(t, "alpha", "UTC")
	read := srv.Token(t, a.ID, auth.ScopeReportsRead)

	// A cross-site page cannot open a websocket.
	_, err := dialWS(t, srv.URL, http.Header{"Origin": {"https://evil.example"}}, map[string]any{"token": read})
	var se *httpStatusError
	require.ErrorAs(t, err, &se)
	require.Equal(t, http.StatusForbidden, se.code)

	// No credentials: the connection is refused at init.
	_, err = dialWS(t, srv.URL, nil, map[string]any{})
	require.Error(t, err)

	// A bad token is refused too.
	_, err = dialWS(t, srv.URL, nil, map[string]any{"token": "prt_nope"})
	require.Error(t, err)

	// A subscription with a bad filter gets the same typed error as a query.
	ws, err := dialWS(t, srv.URL, nil, map[string]any{"token": read})
	require.NoError(t, err)
	ws.subscribe("1", `subscription { eventRecorded(filter: {userID: "1"}) { id } }`, nil)
	m, err := ws.read(5 * time.Second)
	require.NoError(t, err)
	require.Contains(t, []string{"next", "error"}, m.Type)
	require.Contains(t, string(m.Payload), "BAD_USER_INPUT")
}

// TestLiveOverSSE subscribes with Server-Sent Events (graphql-sse's "distinct
// connections" mode) and receives a recorded event.
func TestLiveOverSSE(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	srv := apitest.New(t, db)
	sc := srv.CreateSchool(t, "sse", "UTC")
	read := srv.Token(t, sc.ID, auth.ScopeReportsRead)
	write := srv.Token(t, sc.ID, auth.ScopeEventsWrite)

	resp := openSSE(t, 10*time.Second, srv.URL, read, `subscription { eventRecorded { typeName errors } }`)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/event-stream")

	go func() {
		time.Sleep(300 * time.Millisecond)
		srv.Do(t, write, recordOne, map[string]any{"in": []any{event("SYNC_ERROR", "LDAP", 5, 0, time.Now().UTC())}})
	}()
	buf := make([]byte, 4096)
	var got strings.Builder
	for !strings.Contains(got.String(), "Sync Error") {
		n, err := resp.Body.Read(buf)
		got.Write(buf[:n])
		require.NoError(t, err, "stream so far: %s", got.String())
	}
	require.Contains(t, got.String(), "event: next")
}

// openSSE subscribes with Server-Sent Events (graphql-sse's "distinct connections" mode)
// with a bearer token, and returns the open stream; the request is abandoned after
// timeout, and the stream closed when the test ends.
func openSSE(t *testing.T, timeout time.Duration, base, token, query string) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", strings.NewReader(string(mustJSON(map[string]any{"query": query}))))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return resp
}
