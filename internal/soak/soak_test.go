// Package soak holds the load test that `make soak` runs: real server processes on
// PostgreSQL (two replicas) and SQLite (one), readers paging the report with random
// filters and cursors, live subscribers, and an agent recording without pause through
// the bulk endpoint. It runs only when PROVREPORT_SOAK is set to a duration.
package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/provreport/provreport/internal/testbin"
	"github.com/provreport/provreport/internal/testdb"
)

// EnvSoak, set to a duration such as 60s, runs the soak for that long per database.
const EnvSoak = "PROVREPORT_SOAK"

const (
	readers    = 8
	batchSize  = 1000
	preloaded  = 10000
	rssWarmup  = 10 * time.Second
	catchUpMax = 60 * time.Second
)

func TestSoak(t *testing.T) {
	raw := os.Getenv(EnvSoak)
	if raw == "" {
		t.Skipf("%s is not set: the soak runs with make soak", EnvSoak)
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		t.Fatalf("%s=%q: %v", EnvSoak, raw, err)
	}
	// The generator shares the cores with the servers it measures, and its heap holds
	// every acknowledged and delivered ID: collecting it at the default pace took a
	// quarter of its CPU. It collects rarely instead.
	defer debug.SetGCPercent(debug.SetGCPercent(800))
	for _, kind := range testdb.Kinds() {
		replicas := 1
		if kind == "postgres" {
			replicas = 2
		}
		t.Run(kind, func(t *testing.T) { run(t, kind, replicas, d) })
	}
}

// run soaks one database and fails on any error, any lost or undelivered event, or a
// replica whose memory grew by more than a fifth after its first seconds.
func run(t *testing.T, kind string, replicas int, d time.Duration) {
	env := []string{"DATABASE_URL=" + testdb.URL(t, kind), "PROVREPORT_DATA_DIR=" + t.TempDir(), "PROVREPORT_LOG_LEVEL=warn",
		"PROVREPORT_METRICS_TOKEN=" + metricsToken}
	env = append(env, extraEnv()...)
	testbin.Run(t, env, "school", "create", "--slug", "soak", "--name", "Soak School", "--timezone", "UTC")
	write := strings.TrimSpace(testbin.Run(t, env, "token", "create", "--school", "soak", "--name", "agent", "--scope", "events:write"))
	read := strings.TrimSpace(testbin.Run(t, env, "token", "create", "--school", "soak", "--name", "dashboard", "--scope", "reports:read"))
	var procs []*testbin.Proc
	for range replicas {
		procs = append(procs, testbin.Serve(t, env))
	}
	c := &client{http: &http.Client{Timeout: 30 * time.Second}}

	// A report worth reading: a term's events before the clock starts.
	var acked, pre sync.Map
	var ackedN atomic.Int64
	for i := 0; i < preloaded; i += batchSize {
		ids, _, err := c.bulk(procs[0].URL, write, batch("pre", i, batchSize))
		if err != nil {
			t.Fatalf("preload: %v", err)
		}
		for _, id := range ids {
			acked.Store(id, true)
			pre.Store(id, true)
		}
		ackedN.Add(int64(len(ids)))
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stats := newStats()
	var subs []*subscriber
	for i := range 2 {
		s, err := subscribe(ctx, procs[i%len(procs)].URL, read)
		if err != nil {
			t.Fatalf("subscriber %d: %v", i, err)
		}
		subs = append(subs, s)
	}
	time.Sleep(500 * time.Millisecond) // let the subscriptions register before the first event

	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	rate := agentRate(t)
	wg.Go(func() { // the agent
		for n := 0; time.Now().Before(deadline); n++ {
			if rate > 0 {
				// A paced agent sends its n-th batch when the rate allows it, not before.
				time.Sleep(time.Until(start.Add(time.Duration(float64(n*batchSize) / rate * float64(time.Second)))))
				if !time.Now().Before(deadline) {
					break
				}
			}
			t0 := time.Now()
			ids, _, err := c.bulk(procs[0].URL, write, batch("run", n*batchSize, batchSize))
			stats.add("bulk 1,000 events", time.Since(t0), err)
			for _, id := range ids {
				acked.Store(id, true)
			}
			ackedN.Add(int64(len(ids)))
		}
	})
	for i := range readers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(i), 7))
			url := procs[i%len(procs)].URL
			var cursor string
			for time.Now().Before(deadline) {
				op, q, vars := readOp(r, cursor)
				t0 := time.Now()
				body, err := c.gql(url, read, q, vars)
				stats.add(op, time.Since(t0), err)
				cursor = endCursor(body)
			}
		})
	}
	rssEarly := make([]int64, len(procs))
	memEarly := make([]string, len(procs))
	wg.Go(func() {
		time.Sleep(rssWarmup)
		for i, p := range procs {
			rssEarly[i] = rss(p.PID())
			memEarly[i] = memStats(c.http, p.URL)
		}
	})
	wg.Wait()

	// Every subscriber catches up with every event acknowledged after it subscribed
	// (all but the preloaded ones); then the database is counted.
	want := ackedN.Load()
	live := want - preloaded
	atEnd := make([]int64, len(subs))
	for i, s := range subs {
		atEnd[i] = s.count()
	}
	for i, s := range subs {
		waitUntil := time.Now().Add(catchUpMax)
		for s.count() < live && time.Now().Before(waitUntil) && s.failed() == "" {
			time.Sleep(100 * time.Millisecond)
		}
		if f := s.failed(); f != "" {
			t.Errorf("subscriber %d: %s", i, f)
		}
	}
	body, err := c.gql(procs[len(procs)-1].URL, read, `{ events(first: 1, filter: {activeOnly: false}) { totalCount } }`, nil)
	if err != nil {
		t.Fatalf("count stored events: %v", err)
	}
	var counted struct {
		Data struct{ Events struct{ TotalCount int64 } }
	}
	_ = json.Unmarshal(body, &counted)
	stored := counted.Data.Events.TotalCount

	pace := "as fast as it is answered"
	if rate > 0 {
		pace = fmt.Sprintf("at most %.0f events/s", rate)
	}
	fmt.Printf("\n### %s, %d replica(s), %s, agent %s\n\n", kind, replicas, d, pace)
	fmt.Printf("| operation | count | errors | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|\n")
	errs := stats.print(os.Stdout)
	fmt.Printf("\nevents acknowledged %d (%d preloaded, %d while subscribed), stored %d", want, preloaded, live, stored)
	for i, s := range subs {
		fmt.Printf(", delivered to subscriber %d: %d (%d when the load ended)", i+1, s.count(), atEnd[i])
	}
	fmt.Println()
	for i, p := range procs {
		late := rss(p.PID())
		growth := float64(late-rssEarly[i]) / float64(rssEarly[i])
		fmt.Printf("replica %d RSS after %s: %.1f MiB, after the run: %.1f MiB (%+.1f%%)\n", i+1, rssWarmup,
			float64(rssEarly[i])/(1<<20), float64(late)/(1<<20), 100*growth)
		fmt.Printf("  Go memory after %s: %s\n  after the run: %s\n", rssWarmup, memEarly[i], memStats(c.http, p.URL))
		if growth > 0.20 {
			t.Errorf("replica %d grew by %.0f%% after its first %s", i+1, 100*growth, rssWarmup)
		}
	}
	if errs > 0 {
		t.Errorf("%d operations failed", errs)
	}
	if stored != want {
		t.Errorf("%d events acknowledged, %d stored", want, stored)
	}
	short := false
	for i, s := range subs {
		// A preloaded event announced just after the subscription began may arrive too
		// (live.Broker.Subscribe says so); only the events acknowledged while subscribed
		// must all arrive.
		got, notAcked := 0, 0
		s.seen.Range(func(k, _ any) bool {
			if _, ok := acked.Load(k); !ok {
				notAcked++
			} else if _, ok := pre.Load(k); !ok {
				got++
			}
			return true
		})
		if int64(got) != live || s.dupes.Load() > 0 {
			t.Errorf("subscriber %d: %d of the %d events acknowledged while subscribed, %d twice", i+1, got, live, s.dupes.Load())
			short = true
		}
		if notAcked > 0 {
			t.Errorf("subscriber %d received %d events nobody acknowledged", i+1, notAcked)
		}
	}
	if short {
		// What the servers said (warnings and errors; never a request's body) tells
		// a stalled listener from a slow one.
		for i, p := range procs {
			t.Logf("replica %d's log (live feed lines, then the last lines):\n%s\n...\n%s", i+1, grepLines(p.Log(), "live"), lastLines(p.Log(), 20))
		}
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// EnvSoakRate, set to a number of events a second, paces the agent at that rate instead
// of sending each batch as soon as the previous one is answered.
const EnvSoakRate = "PROVREPORT_SOAK_RATE"

func agentRate(t *testing.T) float64 {
	raw := os.Getenv(EnvSoakRate)
	if raw == "" {
		return 0
	}
	r, err := strconv.ParseFloat(raw, 64)
	if err != nil || r < 0 {
		t.Fatalf("%s=%q: want a number of events a second", EnvSoakRate, raw)
	}
	return r
}

// extraEnv passes PROVREPORT_SOAK_ENV (space-separated NAME=value pairs) to the
// servers, to compare settings between runs.
func extraEnv() []string { return strings.Fields(os.Getenv("PROVREPORT_SOAK_ENV")) }

var eventTypes = []string{"ACCOUNT_SYNCHRONIZATION", "ACCOUNT_PROVISIONING", "AUTHENTICATION", "SYNC_ERROR", "USER_CSV_PROCESSED"}

// batch is n events as an agent sends them: unique external IDs, a few profiles and
// users, a mix of busy, idle and failed runs finishing now.
func batch(prefix string, from, n int) []byte {
	var b bytes.Buffer
	now := time.Now().UTC()
	for i := from; i < from+n; i++ {
		e := map[string]any{
			"type": eventTypes[i%len(eventTypes)], "externalID": fmt.Sprintf("%s-%d", prefix, i),
			"dateStarted":  now.Add(-time.Duration(i%3600) * time.Second).Format(time.RFC3339),
			"dateFinished": now.Format(time.RFC3339), "syncProfile": fmt.Sprintf("profile %d", i%7),
			"username": fmt.Sprintf("user%d", i%300), "processed": i % 40, "added": i % 3, "details": "soak run",
		}
		if e["type"] == "AUTHENTICATION" {
			delete(e, "syncProfile")
		}
		line, _ := json.Marshal(e)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

const eventsQuery = `query($filter: ReportFilter, $after: Cursor) {
  events(first: 50, after: $after, filter: $filter) {
    edges { node { id typeName finishedAt processed added details user { username } syncProfile { name } } }
    pageInfo { endCursor hasNextPage }
  }
}`

const summaryQuery = `query($filter: ReportFilter) { eventSummary(filter: $filter) { events processed added updated deleted disabled } }`

// readOp picks what a dashboard does next: mostly the first page of the event list
// under a random filter, the next page when it has a cursor, the summary, or the users.
func readOp(r *rand.Rand, cursor string) (string, string, map[string]any) {
	filter := map[string]any{"activeOnly": r.IntN(2) == 0}
	if r.IntN(2) == 0 {
		filter["types"] = []string{eventTypes[r.IntN(len(eventTypes))]}
	}
	if r.IntN(3) == 0 {
		filter["from"] = time.Now().UTC().Add(-time.Duration(1+r.IntN(3)) * time.Hour).Truncate(time.Hour).Format(time.RFC3339)
	}
	switch n := r.IntN(10); {
	case n < 4:
		return "events page 1", eventsQuery, map[string]any{"filter": filter}
	case n < 6 && cursor != "":
		return "events next page", eventsQuery, map[string]any{"filter": map[string]any{"activeOnly": false}, "after": cursor}
	case n < 9:
		return "eventSummary", summaryQuery, map[string]any{"filter": filter}
	default:
		return "users", `query($s: String) { users(search: $s, first: 20) { edges { node { id username } } } }`, map[string]any{"s": fmt.Sprintf("user%d", r.IntN(30))}
	}
}

// endCursor is the end cursor of an events answer, or "" when it has no next page.
func endCursor(body []byte) string {
	// The page info is the answer's last object: only it is decoded, not the page.
	i := bytes.LastIndex(body, []byte(`"pageInfo":`))
	if i < 0 {
		return ""
	}
	var out struct {
		EndCursor   string
		HasNextPage bool
	}
	if json.NewDecoder(bytes.NewReader(body[i+len(`"pageInfo":`):])).Decode(&out) != nil || !out.HasNextPage {
		return ""
	}
	return out.EndCursor
}

type client struct{ http *http.Client }

func (c *client) do(req *http.Request, token string) ([]byte, error) {
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("%s %s: %d %.200s", req.Method, req.URL.Path, resp.StatusCode, body)
	}
	return body, nil
}

func (c *client) gql(url, token, query string, vars map[string]any) ([]byte, error) {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	body, err := c.do(req, token)
	if err != nil {
		return body, err
	}
	// Only an answer that mentions errors is decoded: decoding every answer in full was
	// a tenth of the generator's CPU, taken from the servers it measures.
	if bytes.HasPrefix(body, []byte(`{"data":`)) && bytes.HasSuffix(bytes.TrimSpace(body), []byte("}")) &&
		!bytes.Contains(body, []byte(`"errors"`)) {
		return body, nil
	}
	var out struct{ Errors []json.RawMessage }
	if json.Unmarshal(body, &out) != nil || len(out.Errors) > 0 {
		return body, fmt.Errorf("graphql errors: %.300s", body)
	}
	return body, nil
}

func (c *client) bulk(url, token string, ndjson []byte) ([]string, int, error) {
	req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/events", bytes.NewReader(ndjson))
	req.Header.Set("Content-Type", "application/x-ndjson")
	body, err := c.do(req, token)
	if err != nil {
		return nil, 0, err
	}
	var out struct {
		Recorded   int
		Duplicates int
		IDs        []string
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, 0, fmt.Errorf("bulk answer %.200s: %w", body, err)
	}
	return out.IDs, out.Duplicates, nil
}

// subscriber reads eventRecorded over graphql-ws and counts the distinct events.
type subscriber struct {
	seen  sync.Map
	n     atomic.Int64
	dupes atomic.Int64
	mu    sync.Mutex
	err   string
}

func (s *subscriber) count() int64 { return s.n.Load() }

func (s *subscriber) failed() string { s.mu.Lock(); defer s.mu.Unlock(); return s.err }

func subscribe(ctx context.Context, url, token string) (*subscriber, error) {
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(1 << 20)
	send := func(v any) error { b, _ := json.Marshal(v); return ws.Write(ctx, websocket.MessageText, b) }
	if err := send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}}); err != nil {
		return nil, err
	}
	if _, b, err := ws.Read(ctx); err != nil || !bytes.Contains(b, []byte("connection_ack")) {
		return nil, fmt.Errorf("connection_init answered %s (%v)", b, err)
	}
	if err := send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query": `subscription { eventRecorded(filter: {activeOnly: false}) { id } }`}}); err != nil {
		return nil, err
	}
	s := &subscriber{}
	go func() {
		defer ws.CloseNow()
		for {
			_, b, err := ws.Read(ctx)
			var m struct {
				Type    string
				Payload struct {
					Data struct{ EventRecorded struct{ ID string } }
				}
			}
			if err == nil {
				err = json.Unmarshal(b, &m)
			}
			switch {
			case ctx.Err() != nil:
				return
			case err != nil || m.Type != "next" || m.Payload.Data.EventRecorded.ID == "":
				if m.Type == "ping" {
					_ = send(map[string]any{"type": "pong"})
					continue
				}
				s.mu.Lock()
				s.err = fmt.Sprintf("%v %.300s", err, b)
				s.mu.Unlock()
				return
			}
			if _, dup := s.seen.LoadOrStore(m.Payload.Data.EventRecorded.ID, true); dup {
				s.dupes.Add(1)
			} else {
				s.n.Add(1)
			}
		}
	}()
	return s, nil
}

// stats keeps every latency of each operation.
type stats struct {
	mu    sync.Mutex
	lat   map[string][]time.Duration
	errs  map[string]int
	first map[string]string
}

func newStats() *stats {
	return &stats{lat: map[string][]time.Duration{}, errs: map[string]int{}, first: map[string]string{}}
}

func (s *stats) add(op string, d time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lat[op] = append(s.lat[op], d)
	if err != nil {
		s.errs[op]++
		if s.first[op] == "" {
			s.first[op] = err.Error()
		}
	}
}

// print writes one table row per operation and returns the number of errors.
func (s *stats) print(w io.Writer) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ops []string
	for op := range s.lat {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	total := 0
	for _, op := range ops {
		l := s.lat[op]
		slices.Sort(l)
		q := func(p float64) float64 { return float64(l[min(len(l)-1, int(p*float64(len(l))))]) / 1e6 }
		fmt.Fprintf(w, "| %s | %d | %d | %.1f | %.1f | %.1f |\n", op, len(l), s.errs[op], q(0.50), q(0.99), q(1))
		total += s.errs[op]
	}
	for op, e := range s.first {
		fmt.Fprintf(w, "\nfirst error of %s: %s\n", op, e)
	}
	return total
}

// metricsToken opens the replicas' /metrics to the soak.
const metricsToken = "soak-metrics"

// memStats is a replica's Go memory as its /metrics reports it: what the heap holds, what
// the runtime holds from the operating system, and goroutines, to tell a growing live
// heap (a leak or a cache filling) from a heap target that moved or memory not yet
// returned.
func memStats(hc *http.Client, base string) string {
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	resp, err := hc.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	values := map[string]float64{}
	for l := range strings.SplitSeq(string(body), "\n") {
		if name, v, ok := strings.Cut(l, " "); ok && !strings.HasPrefix(name, "#") {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				values[name] = f
			}
		}
	}
	mib := func(name string) float64 { return values[name] / (1 << 20) }
	return fmt.Sprintf("heap alloc %.1f MiB, heap in use %.1f, heap idle %.1f (released %.1f), next GC at %.1f, stacks %.1f, other sys %.1f; %.0f goroutines",
		mib("go_memstats_heap_alloc_bytes"), mib("go_memstats_heap_inuse_bytes"), mib("go_memstats_heap_idle_bytes"),
		mib("go_memstats_heap_released_bytes"), mib("go_memstats_next_gc_bytes"), mib("go_memstats_stack_inuse_bytes"),
		mib("go_memstats_other_sys_bytes"), values["go_goroutines"])
}

// rss is a process's resident memory in bytes, from /proc.
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb * 1024
		}
	}
	return 0
}
