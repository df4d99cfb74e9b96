package server_test

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/live"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/testdb"
)

// streamEnd is the last result of a live feed the server ended: no data, one typed error.
type streamEnd struct {
	Data   json.RawMessage `json:"data"`
	Errors []apitest.Error `json:"errors"`
}

// overflowServer is a server whose subscriptions hold one undelivered event, with a
// reader's and a writer's token for one school.
func overflowServer(t *testing.T) (srv *apitest.Server, read, write string) {
	db := testdb.Open(t, "sqlite")
	srv = apitest.NewWithConfig(t, db, server.Config{Live: live.Options{Buffer: 1, Patience: -1}})
	sc := srv.CreateSchool(t, "slow", "UTC")
	return srv, srv.Token(t, sc.ID, auth.ScopeReportsRead), srv.Token(t, sc.ID, auth.ScopeEventsWrite)
}

// recordMany records one batch of many active events at once: far more than a buffer of
// one can hold while the feed hands the first to the transport.
func recordMany(t *testing.T, srv *apitest.Server, token string) {
	now := time.Now().UTC()
	in := make([]any, 1000)
	for i := range in {
		in[i] = event("ACCOUNT_SYNCHRONIZATION", "LDAP", 10, 1, now)
	}
	srv.Do(t, token, recordOne, map[string]any{"in": in}).OK(t)
}

// requireOverflow checks the result that ended a feed: no data and exactly one
// SUBSCRIPTION_OVERFLOW error, whatever the subscription selected.
func requireOverflow(t *testing.T, payload []byte) {
	t.Helper()
	var end streamEnd
	require.NoError(t, json.Unmarshal(payload, &end), "%s", payload)
	require.Equal(t, "null", string(end.Data), "%s", payload)
	require.Len(t, end.Errors, 1, "%s", payload)
	require.Equal(t, "SUBSCRIPTION_OVERFLOW", end.Errors[0].Code(), "%s", payload)
}

// TestLiveOverflowWebsocket shows that a graphql-ws subscriber that falls behind gets a
// typed SUBSCRIPTION_OVERFLOW as its feed's last result, then the feed's completion,
// also when it does not select the event's id.
func TestLiveOverflowWebsocket(t *testing.T) {
	t.Parallel()
	srv, read, write := overflowServer(t)
	ws, err := dialWS(t, srv.URL, nil, map[string]any{"token": read})
	require.NoError(t, err)
	ws.subscribe("1", `subscription { eventRecorded { typeName } }`, nil)
	time.Sleep(200 * time.Millisecond) // let the subscription register before recording
	recordMany(t, srv, write)

	var last wsMsg
	events := 0
	for {
		m, err := ws.read(10 * time.Second)
		require.NoError(t, err, "after %d events", events)
		require.Equal(t, "1", m.ID)
		if m.Type == "complete" {
			break
		}
		require.Equal(t, "next", m.Type, "%s", m.Payload)
		if last.Type != "" {
			require.NotContains(t, string(last.Payload), "errors", "only the last result before completion has an error")
			events++
		}
		last = m
	}
	requireOverflow(t, last.Payload)
	require.Less(t, events, 1000, "the feed ended early")
}

// TestLiveOverflowSSE is TestLiveOverflowWebsocket over Server-Sent Events.
func TestLiveOverflowSSE(t *testing.T) {
	t.Parallel()
	srv, read, write := overflowServer(t)
	resp := openSSE(t, 20*time.Second, srv.URL, read, `subscription { eventRecorded { typeName } }`)

	go func() {
		time.Sleep(300 * time.Millisecond) // let the subscription register before recording
		recordMany(t, srv, write)
	}()
	// graphql-sse's events: "event: next" then "data: {…}", and "event: complete" last.
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var kind, lastData string
	completed := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			kind = strings.TrimPrefix(line, "event: ")
			if kind == "complete" {
				completed = true
			}
		case strings.HasPrefix(line, "data: ") && kind == "next":
			if lastData != "" {
				require.NotContains(t, lastData, "errors", "only the last result before completion has an error")
			}
			lastData = strings.TrimPrefix(line, "data: ")
		}
		if completed {
			break
		}
	}
	require.True(t, completed, "the stream completes (read error: %v)", sc.Err())
	requireOverflow(t, []byte(lastData))
}
