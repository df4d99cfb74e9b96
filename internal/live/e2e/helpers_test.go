package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/provreport/provreport/internal/testbin"
	"github.com/provreport/provreport/internal/testdb"
)

// wait bounds every wait for a message; deliveries normally take milliseconds.
const wait = 15 * time.Second

// cluster is two provreport server processes (replicas) on one PostgreSQL schema,
// with API tokens per school: read tokens to subscribe, write tokens to record.
type cluster struct {
	dbURL         string
	schema        string
	first, second *testbin.Proc
	read, write   map[string]string
}

// requireTools skips the test when there is no PostgreSQL to test against, or no node
// with the graphql-ws client installed (npm ci at the repository root).
func requireTools(t testing.TB, kind string) {
	t.Helper()
	if kind == "postgres" && os.Getenv(testdb.EnvPostgres) == "" {
		t.Skipf("%s is not set", testdb.EnvPostgres)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(repoRoot(t), "node_modules", "graphql-ws", "package.json")); err != nil {
		t.Skip("graphql-ws is not installed: run npm ci at the repository root")
	}
}

func repoRoot(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(wd, "..", "..", "..")
}

// start migrates a fresh PostgreSQL schema, creates the schools and their tokens with
// the command line, and starts two servers on it.
func start(t testing.TB, schools ...string) *cluster {
	t.Helper()
	return startOn(t, "postgres", schools...)
}

// startOn is start on a database of the given kind. SQLite serves one process only, so
// there both servers are the same.
func startOn(t testing.TB, kind string, schools ...string) *cluster {
	t.Helper()
	requireTools(t, kind)
	c := &cluster{dbURL: testdb.URL(t, kind), read: map[string]string{}, write: map[string]string{}}
	u, err := url.Parse(c.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	c.schema = u.Query().Get("search_path")
	env := c.env()
	testbin.Run(t, env, "migrate")
	for _, s := range schools {
		testbin.Run(t, env, "school", "create", "--slug", s, "--name", "School "+s)
		c.read[s] = strings.TrimSpace(testbin.Run(t, env, "token", "create", "--school", s, "--name", "dashboard", "--scope", "reports:read"))
		c.write[s] = strings.TrimSpace(testbin.Run(t, env, "token", "create", "--school", s, "--name", "agent", "--scope", "events:write"))
	}
	c.first = testbin.Serve(t, env, "--data-dir", t.TempDir())
	c.second = c.first
	if kind == "postgres" {
		c.second = testbin.Serve(t, env, "--data-dir", t.TempDir())
	}
	return c
}

func (c *cluster) env() []string {
	return []string{"DATABASE_URL=" + c.dbURL, "PROVREPORT_LOG_FORMAT=text"}
}

// input is a RecordEventInput.
type input map[string]any

// login is a user's first login: never idle.
func login(username string) input {
	now := time.Now().UTC().Format(time.RFC3339Nano)
	return input{"type": "AUTHENTICATION", "dateStarted": now, "dateFinished": now, "username": username}
}

// run is a provisioning run of the given type that changed `changed` records (idle when
// zero).
func run(typ, profile string, changed int) input {
	now := time.Now().UTC()
	return input{"type": typ, "dateStarted": now.Add(-time.Minute).Format(time.RFC3339Nano),
		"dateFinished": now.Format(time.RFC3339Nano), "syncProfile": profile, "processed": 100, "updated": changed}
}

// record calls recordEvents on a server and returns the IDs of the events, in order.
func record(t testing.TB, server *testbin.Proc, token string, in ...input) []string {
	t.Helper()
	ids, err := tryRecord(server, token, in...)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func tryRecord(server *testbin.Proc, token string, in ...input) ([]string, error) {
	body, _ := json.Marshal(map[string]any{
		"query":     `mutation($input: [RecordEventInput!]!) { recordEvents(input: $input) { events { id } } }`,
		"variables": map[string]any{"input": in},
	})
	req, err := http.NewRequest(http.MethodPost, server.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("recordEvents: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		Data struct {
			RecordEvents struct {
				Events []struct{ ID string }
			}
		}
		Errors []json.RawMessage
	}
	if err := json.Unmarshal(raw, &out); err != nil || len(out.Errors) > 0 || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("recordEvents: %s: %s", resp.Status, raw)
	}
	ids := make([]string, len(out.Data.RecordEvents.Events))
	for i, e := range out.Data.RecordEvents.Events {
		ids[i] = e.ID
	}
	return ids, nil
}

// event is what the tests' subscription document selects.
type event struct {
	ID          string
	Type        string
	User        *struct{ Username string }
	SyncProfile *struct{ Name string }
}

// eventQuery selects an event with its edges, which a replica loads once per
// notification.
const eventQuery = `subscription($filter: ReportFilter) {
  eventRecorded(filter: $filter) { id type user { username } syncProfile { name } }
}`

// line is one line the node client prints.
type line struct {
	Kind    string
	Sub     int
	Socket  int
	T       float64
	Payload *struct {
		Data *struct {
			EventRecorded *event
		}
		Errors []struct {
			Message    string
			Extensions map[string]any
		}
	}
	Error  json.RawMessage
	Code   int
	Reason string
}

// client is a node process running the graphql-ws client (testdata/subscribe.mjs).
type client struct {
	lines  chan line
	stderr *bytes.Buffer
	stdin  io.WriteCloser
}

// subscribe starts the node client on a server with n subscriptions of the query,
// spread over the given number of websockets, and returns once every websocket is
// connected (the subscriptions themselves may still be starting; see settle).
func subscribe(t testing.TB, server *testbin.Proc, token, query string, variables map[string]any, n, sockets int) *client {
	t.Helper()
	cfg, _ := json.Marshal(map[string]any{
		"url": "ws" + strings.TrimPrefix(server.URL, "http") + "/graphql", "token": token,
		"query": query, "variables": variables, "subscriptions": n, "sockets": sockets,
	})
	cmd := exec.Command("node", filepath.Join("testdata", "subscribe.mjs"), string(cfg))
	c := &client{lines: make(chan line, 4096), stderr: &bytes.Buffer{}}
	cmd.Stderr = c.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var l line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				l = line{Kind: "garbled", Reason: sc.Text()}
			}
			c.lines <- l
		}
	}()
	t.Cleanup(func() {
		c.stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	for connected := 0; connected < min(n, sockets); {
		l := c.next(t)
		if l.Kind != "connected" {
			t.Fatalf("node client: %+v before connecting\n%s", l, c.stderr)
		}
		connected++
	}
	return c
}

// next returns the client's next line.
func (c *client) next(t testing.TB) line {
	t.Helper()
	select {
	case l, ok := <-c.lines:
		if !ok {
			t.Fatalf("node client exited:\n%s", c.stderr)
		}
		return l
	case <-time.After(wait):
		t.Fatalf("node client printed nothing for %s\n%s", wait, c.stderr)
		return line{}
	}
}

// event returns the next event any subscription receives, failing on anything else,
// and skipping the probes settle records.
func (c *client) event(t testing.TB) (int, *event) {
	t.Helper()
	for {
		l := c.next(t)
		if l.Kind != "next" || l.Payload == nil || l.Payload.Data == nil || l.Payload.Data.EventRecorded == nil {
			t.Fatalf("want an event, got %+v (payload %+v)", l, l.Payload)
		}
		e := l.Payload.Data.EventRecorded
		if e.User != nil && e.User.Username == probe {
			continue
		}
		return l.Sub, e
	}
}

// quiet fails when the client prints anything within d.
func (c *client) quiet(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case l := <-c.lines:
		t.Fatalf("unexpected message %+v", l)
	case <-time.After(d):
	}
}

// probe is the username of the logins settle records.
const probe = "probe"

// settle records probe logins for a school through the second server until each of the
// client's n subscriptions has received one, which proves the server has started them
// all. The probes that keep arriving afterwards are skipped by client.event.
func settle(t testing.TB, c *cluster, cl *client, school string, n int) {
	t.Helper()
	got := map[int]bool{}
	deadline := time.Now().Add(wait)
	for len(got) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d subscriptions started within %s", len(got), n, wait)
		}
		record(t, c.second, c.write[school], login(probe))
		timeout := time.After(300 * time.Millisecond)
	collect:
		for len(got) < n {
			select {
			case l := <-cl.lines:
				if l.Kind != "next" {
					t.Fatalf("while starting subscriptions: %+v\n%s", l, cl.stderr)
				}
				got[l.Sub] = true
			case <-timeout:
				break collect
			}
		}
	}
}

// terminateListeners ends the LISTEN connections of every replica on the cluster's
// schema, as a database failover or a network cut would, and returns how many it ended.
func (c *cluster) terminateListeners(t testing.TB) []int {
	t.Helper()
	return c.listeners(t, true)
}

// listeners returns the backend PIDs of the replicas' listener connections, ending them
// when terminate is set.
func (c *cluster) listeners(t testing.TB, terminate bool) []int {
	t.Helper()
	ctx := context.Background()
	conn := adminConn(t)
	defer conn.Close(ctx)
	// A listener's last statement is the LISTEN on one of its two channels, events and
	// sync health (named as internal/live names them).
	events := "provreport_events:" + c.schema
	health := events + ":health"
	if len(health) > 63 {
		sum := sha256.Sum256([]byte(events))
		health = "provreport_health:" + hex.EncodeToString(sum[:12])
	}
	rows, err := conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = 'provreport-live' AND query IN ($1, $2)`,
		`LISTEN "`+events+`"`, `LISTEN "`+health+`"`)
	if err != nil {
		t.Fatalf("listeners: %v", err)
	}
	defer rows.Close()
	var pids []int
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if terminate {
		// By PID, in a statement of its own: in one WHERE clause with the filter, the
		// planner may call pg_terminate_backend on rows the filter would have dropped.
		for _, pid := range pids {
			var ok bool
			if err := conn.QueryRow(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&ok); err != nil || !ok {
				t.Fatalf("terminate listener %d: %v %v", pid, ok, err)
			}
		}
	}
	return pids
}

func adminConn(t testing.TB) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), os.Getenv(testdb.EnvPostgres))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	return conn
}
