package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/testbin"
	"github.com/provreport/provreport/internal/testdb"
)

// TestShutdownUnderLoad sends SIGTERM to a server process while four readers page
// through the report, an agent records events, a slow "download now" is streaming and
// an export is being built: /readyz answers 503 at once (before the listener closes),
// every request the server accepted finishes with a full answer (the slow download
// within PROVREPORT_SHUTDOWN_GRACE), every acknowledged event is stored and nothing else,
// and no export or job is left RUNNING: the export cut off by the grace period is queued
// again, and the next server finishes it.
func TestShutdownUnderLoad(t *testing.T) {
	t.Parallel()
	dbURL := testdb.URL(t, "sqlite")
	const grace = 6 * time.Second
	env := []string{"DATABASE_URL=" + dbURL, "PROVREPORT_DATA_DIR=" + t.TempDir(), "PROVREPORT_LOG_LEVEL=warn",
		"PROVREPORT_SHUTDOWN_GRACE=" + grace.String()}
	testbin.Run(t, env, "school", "create", "--slug", "load", "--name", "Load School", "--timezone", "UTC")
	token := strings.TrimSpace(testbin.Run(t, env, "token", "create", "--school", "load", "--name", "t",
		"--scope", "reports:read,events:write"))
	// 5 ms a row: the 2,000-row export needs 10 s (longer than the grace period), the
	// 200-row download 1 s.
	p := testbin.Serve(t, append(env, "PROVREPORT_TEST_EXPORT_ROW_PAUSE=5ms"))
	client := &http.Client{Timeout: 30 * time.Second}
	base := p.URL

	// do sends one request. refused means the server never took it (the connection was
	// refused or closed before an answer began); err means it took it and failed.
	do := func(method, path, body string) (answer []byte, refused bool, err error) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			return nil, true, nil
		}
		defer res.Body.Close()
		answer, err = io.ReadAll(res.Body)
		if err == nil && res.StatusCode != http.StatusOK {
			err = fmt.Errorf("HTTP %d: %s", res.StatusCode, answer)
		}
		if err == nil && strings.HasPrefix(path, "/graphql") {
			var r struct{ Errors []json.RawMessage }
			if err = json.Unmarshal(answer, &r); err == nil && len(r.Errors) > 0 {
				err = fmt.Errorf("%s", r.Errors[0])
			}
		}
		return answer, false, err
	}
	record := func(prefix string, n int, typ string) ([]string, bool, error) {
		in := make([]any, n)
		for j := range in {
			e := map[string]any{"type": typ, "dateStarted": "2026-05-04T08:00:00Z", "dateFinished": "2026-05-04T08:00:01Z",
				"externalID": fmt.Sprint(prefix, "-", j)}
			if typ == "AUTHENTICATION" {
				e["username"] = fmt.Sprint("user", j)
			} else {
				e["syncProfile"], e["processed"], e["added"] = "Staff", 10, 1
			}
			in[j] = e
		}
		body, _ := json.Marshal(map[string]any{"query": recordOne, "variables": map[string]any{"in": in}})
		answer, refused, err := do(http.MethodPost, "/graphql", string(body))
		if refused || err != nil {
			return nil, refused, err
		}
		var out struct {
			Data struct {
				RecordEvents struct{ Events []struct{ ID string } }
			}
		}
		if err := json.Unmarshal(answer, &out); err != nil {
			return nil, false, err
		}
		ids := make([]string, 0, n)
		for _, e := range out.Data.RecordEvents.Events {
			ids = append(ids, e.ID)
		}
		return ids, false, nil
	}
	var acked []string
	for i := range 9 {
		ids, refused, err := record(fmt.Sprint("before-", i), 200, "AUTHENTICATION")
		require.False(t, refused)
		require.NoError(t, err)
		acked = append(acked, ids...)
	}
	ids, _, err := record("sync", 200, "ACCOUNT_SYNCHRONIZATION")
	require.NoError(t, err)
	acked = append(acked, ids...)

	answer, _, err := do(http.MethodPost, "/graphql", `{"query": "mutation { requestExport(filter: {activeOnly: false}) { id } }"}`)
	require.NoError(t, err)
	require.Contains(t, string(answer), `"requestExport"`)

	var (
		mu                sync.Mutex
		accepted, refused int
		failures          []string
		stop              atomic.Bool
		load              sync.WaitGroup
		agentNth          int
	)
	count := func(wasRefused bool, err error) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case wasRefused:
			refused++
		case err != nil:
			failures = append(failures, err.Error())
		default:
			accepted++
		}
	}
	for range 4 {
		load.Go(func() {
			for !stop.Load() {
				_, r, err := do(http.MethodPost, "/graphql", `{"query": "{ events(first: 50, filter: {activeOnly: false}) { edges { node { id typeName } } } }"}`)
				count(r, err)
				if r {
					return
				}
			}
		})
	}
	load.Go(func() {
		for i := 0; !stop.Load(); i++ {
			ids, r, err := record(fmt.Sprint("during-", i), 20, "AUTHENTICATION")
			count(r, err)
			if r {
				return
			}
			mu.Lock()
			acked = append(acked, ids...)
			agentNth++
			mu.Unlock()
		}
	})
	type download struct {
		rows int
		err  error
		at   time.Time
	}
	slow := make(chan download, 1)
	go func() {
		f := url.QueryEscape(`{"activeOnly": false, "types": ["ACCOUNT_SYNCHRONIZATION"]}`)
		answer, r, err := do(http.MethodGet, "/report.csv?filter="+f, "")
		if r {
			err = fmt.Errorf("refused")
		}
		slow <- download{rows: bytes.Count(answer, []byte("\r\n")), err: err, at: time.Now()}
	}()
	time.Sleep(500 * time.Millisecond) // the download and the export are under way
	answer, _, err = do(http.MethodPost, "/graphql", `{"query": "{ exports(first: 1) { edges { node { status } } } }"}`)
	require.NoError(t, err)
	require.Contains(t, string(answer), `"RUNNING"`, "the export is being built when SIGTERM arrives")

	// /readyz, watched from the moment SIGTERM is sent: the first answer that is not 200.
	firstNotReady := make(chan string, 1)
	var sent atomic.Bool
	go func() {
		for {
			res, err := http.Get(p.URL + "/readyz")
			if err != nil {
				if sent.Load() {
					firstNotReady <- "connection refused: " + err.Error()
					return
				}
				continue
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				firstNotReady <- fmt.Sprintf("%d %s", res.StatusCode, strings.TrimSpace(string(b)))
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	sent.Store(true)
	require.NoError(t, p.Terminate(ctx))
	exited := time.Since(start)
	stop.Store(true)
	load.Wait()

	require.Equal(t, "503 shutting down", <-firstNotReady, "/readyz turns 503 before the listener closes")
	d := <-slow
	require.NoError(t, d.err, "the download in flight finishes")
	require.Equal(t, 201, d.rows, "header plus every row of the download")
	require.Less(t, d.at.Sub(start), grace, "the download finished within the grace period")
	require.Equal(t, 0, p.ExitCode(), p.Log())
	// The grace period, then at most the few seconds that cancelling jobs may take.
	require.Less(t, exited, grace+6*time.Second)
	mu.Lock()
	require.Empty(t, failures, "requests the server accepted and then failed")
	t.Logf("SIGTERM under load: %d requests answered, %d refused after the listener closed, 0 failed; exit after %s; %d agent batches",
		accepted, refused, exited.Round(100*time.Millisecond), agentNth)
	mu.Unlock()

	db, err := sql.Open("sqlite", strings.TrimPrefix(dbURL, "sqlite:"))
	require.NoError(t, err)
	defer db.Close()
	var running, jobsRunning, stored int
	require.NoError(t, db.QueryRow(`SELECT COUNT(*) FROM exports WHERE status = 'RUNNING'`).Scan(&running))
	require.NoError(t, db.QueryRow(`SELECT COUNT(*) FROM river_job WHERE state = 'running'`).Scan(&jobsRunning))
	require.NoError(t, db.QueryRow(`SELECT COUNT(*) FROM events`).Scan(&stored))
	var status, reason string
	require.NoError(t, db.QueryRow(`SELECT status, COALESCE(error, '') FROM exports`).Scan(&status, &reason))
	t.Logf("the export cut off by the shutdown: %s (%s)", status, reason)
	require.Zero(t, running, "no export left RUNNING")
	require.Equal(t, "QUEUED", status, "the export cut off by the grace period waits for the next server")
	require.Contains(t, reason, "was stopped before it finished", "its page says why")
	require.Zero(t, jobsRunning, "no job left running")
	require.Equal(t, len(acked), stored, "every acknowledged event stored, nothing else: lost 0")

	base = testbin.Serve(t, env).URL
	require.Eventually(t, func() bool {
		answer, _, err := do(http.MethodPost, "/graphql", `{"query": "{ exports(first: 1) { edges { node { status rowCount } } } }"}`)
		return err == nil && strings.Contains(string(answer), `"READY"`)
	}, 60*time.Second, 200*time.Millisecond, "the next server finishes the export")
}
