package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/testbin"
	"github.com/provreport/provreport/internal/testdb"
)

// TestGracefulShutdown sends SIGTERM to a server process with a live subscription open:
// the subscription is told the server is going away (a typed SERVER_SHUTTING_DOWN as its
// last result, also when it does not select the event's id) and completed, the websocket
// closes with a normal close code, and the process exits cleanly within its grace period.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	url := testdb.URL(t, "sqlite")
	env := []string{"DATABASE_URL=" + url, "PROVREPORT_DATA_DIR=" + t.TempDir(), "PROVREPORT_SHUTDOWN_GRACE=5s", "PROVREPORT_LOG_LEVEL=warn"}
	testbin.Run(t, env, "school", "create", "--slug", "term", "--name", "Term School", "--timezone", "UTC")
	token := strings.TrimSpace(testbin.Run(t, env, "token", "create", "--school", "term", "--name", "t", "--scope", "reports:read"))
	p := testbin.Serve(t, env)

	ws, err := dialWS(t, p.URL, nil, map[string]any{"token": token})
	require.NoError(t, err)
	ws.subscribe("1", `subscription { eventRecorded { typeName } }`, nil)
	time.Sleep(200 * time.Millisecond)

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- p.Terminate(ctx) }()

	var sawShutdown, sawComplete bool
	var closeErr error
	for closeErr == nil {
		m, err := ws.read(10 * time.Second)
		if err != nil {
			closeErr = err
			break
		}
		if m.Type == "next" {
			var end struct {
				Data   json.RawMessage
				Errors []apitest.Error
			}
			require.NoError(t, json.Unmarshal(m.Payload, &end), "%s", m.Payload)
			require.Equal(t, "null", string(end.Data), "%s", m.Payload)
			require.Len(t, end.Errors, 1, "%s", m.Payload)
			require.Equal(t, "SERVER_SHUTTING_DOWN", end.Errors[0].Code(), "%s", m.Payload)
			sawShutdown = true
		}
		if m.Type == "complete" && m.ID == "1" {
			sawComplete = true
		}
	}
	require.True(t, sawShutdown, "the subscriber is told the server is going away")
	require.True(t, sawComplete, "the subscription is completed")
	var ce websocket.CloseError
	require.True(t, errors.As(closeErr, &ce), "closed with a close frame, got %v", closeErr)
	require.Equal(t, websocket.StatusNormalClosure, ce.Code)

	require.NoError(t, <-errc)
	require.Equal(t, 0, p.ExitCode(), p.Log())
	require.Less(t, time.Since(start), 8*time.Second, "exits within the grace period")
}
