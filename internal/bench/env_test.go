package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/bench"
	"github.com/provreport/provreport/internal/queue"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// The knobs of a benchmark run, all optional.
const (
	// envEvents is how many events the dataset holds (default 100,000: `make bench`
	// finishes in a few minutes; docs/BENCHMARKS.md uses 1,000,000 and 2,000,000).
	envEvents = "PROVREPORT_BENCH_EVENTS"
	// envSQLiteEvents overrides the dataset size on SQLite (default: the same, at most
	// 200,000, because the SQLite load is slow at millions).
	envSQLiteEvents = "PROVREPORT_BENCH_SQLITE_EVENTS"
	// envKeep keeps the loaded dataset (a PostgreSQL schema bench_<events>, an SQLite
	// file in the temp folder) and reuses it on the next run when set to 1.
	envKeep = "PROVREPORT_BENCH_KEEP"
	// envExportRows is the size of the large export (default 50,000; documented runs
	// use 1,000,000). It is loaded as one extra school of that many events.
	envExportRows = "PROVREPORT_BENCH_EXPORT_ROWS"
	// envIngestEvents is how many events the ingestion benchmark writes per run
	// (default 20,000).
	envIngestEvents = "PROVREPORT_BENCH_INGEST_EVENTS"
	// envDBs limits the databases: "postgres", "sqlite" or both, comma separated.
	envDBs = "PROVREPORT_BENCH_DBS"
)

func envInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
		if err == nil && n > 0 {
			return n
		}
	}
	return def
}

// kinds lists the databases to benchmark: SQLite always, PostgreSQL when
// PROVREPORT_TEST_POSTGRES is set, narrowed by PROVREPORT_BENCH_DBS.
func kinds() []string {
	want := os.Getenv(envDBs)
	var out []string
	for _, k := range testdb.Kinds() {
		if want == "" || strings.Contains(want, k) {
			out = append(out, k)
		}
	}
	return out
}

// school is one school of the dataset as the benchmarks address it.
type school struct {
	ID       int
	Slug     string
	Loc      *time.Location
	Token    string
	Users    []int
	Prefixes []string
	Profiles []int
	// Active is how many events the default filter shows; Deep is the cursor after
	// row 9,950 of them (page 200 starts there), empty when the school has fewer rows.
	Active int
	Deep   string
	DeepAt time.Time
	DeepID int
	// Runs are the school's events that carry changes; Changed the users with at
	// least one change, whose timelines have more than logins.
	Runs    []int
	Changed []int
}

// env is a loaded dataset with a running server over it.
type env struct {
	kind string
	db   *store.DB
	srv  *apitest.Server
	// nocache is a second server on the same database with the report cache off, so
	// each query is measured both ways.
	nocache *apitest.Server
	http    *http.Client
	cfg     bench.Config
	schools []*school
	deep    []*school // schools with a page 200
	changed []*school // schools with runs that carry changes
	export  *school   // the large export's school, nil until loaded
}

var (
	envsMu sync.Mutex
	envs   = map[string]*env{}
)

// setup returns the dataset of kind, loading it on first use (or reusing a kept one)
// and starting a server over it for the calling benchmark.
func setup(b *testing.B, kind string) *env {
	b.Helper()
	envsMu.Lock()
	defer envsMu.Unlock()
	e := envs[kind]
	if e == nil {
		e = load(b, kind)
		envs[kind] = e
	}
	started := lastJob(b, e.db)
	// Each top-level benchmark gets its own server, stopped when it ends.
	e.srv = apitest.New(b, e.db)
	e.nocache = apitest.NewWithConfig(b, e.db, server.Config{ReportCacheBytes: -1})
	e.http = &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}
	settle(b, e.db, started)
	for _, s := range e.schools {
		_, s.Token = apitest.CreateToken(b, e.db.Client, s.ID, auth.Scopes()...)
	}
	if e.export != nil {
		_, e.export.Token = apitest.CreateToken(b, e.db.Client, e.export.ID, auth.Scopes()...)
	}
	return e
}

func load(b *testing.B, kind string) *env {
	ctx := context.Background()
	events := envInt(envEvents, 100_000)
	if kind == "sqlite" {
		events = envInt(envSQLiteEvents, min(events, 200_000))
	}
	keep := os.Getenv(envKeep) == "1"
	cfg := bench.Config{Events: events}.Defaults()
	var u string
	fresh := true
	switch kind {
	case "postgres":
		u, fresh = pgSchema(b, fmt.Sprintf("bench_%d", events), keep)
	default:
		path := filepath.Join(os.TempDir(), fmt.Sprintf("provreport-bench-%d.db", events))
		if keep {
			if _, err := os.Stat(path + ".ready"); err == nil {
				fresh = false
			}
		}
		if fresh {
			for _, suffix := range []string{"", "-wal", "-shm", ".ready"} {
				_ = os.Remove(path + suffix)
			}
		}
		if !keep {
			// The ready marker goes too: a later run with PROVREPORT_BENCH_KEEP=1 would
			// otherwise trust it and measure an empty database.
			envCleanup = append(envCleanup, func() {
				for _, suffix := range []string{"", "-wal", "-shm", ".ready"} {
					_ = os.Remove(path + suffix)
				}
			})
		}
		u = "sqlite:" + path
	}
	db, err := store.Open(ctx, u)
	if err != nil {
		b.Fatalf("open %s: %v", kind, err)
	}
	envCleanup = append(envCleanup, func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		b.Fatalf("migrate: %v", err)
	}
	if err := queue.Migrate(ctx, db); err != nil {
		b.Fatalf("migrate queue: %v", err)
	}
	if fresh {
		start := time.Now()
		n, err := bench.Load(ctx, db, cfg)
		if err != nil {
			b.Fatalf("load dataset: %v", err)
		}
		d := time.Since(start)
		note("%s: loaded %d events in %s (%.0f events/s, including indexes and VACUUM ANALYZE)", kind, n, d.Round(time.Millisecond), float64(n)/d.Seconds())
		markReady(b, db, u)
	} else {
		note("%s: reusing the kept dataset of %d events", kind, events)
	}
	// A kept dataset ends where it was generated: read its end back.
	var last time.Time
	if err := db.SQL.QueryRowContext(ctx, "SELECT MAX(date_finished) FROM events").Scan(&last); err == nil && !last.IsZero() {
		cfg.End = last.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	}
	e := &env{kind: kind, db: db, cfg: cfg}
	e.describe(b)
	return e
}

// envCleanup runs after every benchmark (TestMain); datasets outlive single benchmarks.
var envCleanup []func()

func TestMain(m *testing.M) {
	code := m.Run()
	printSummary()
	for i := len(envCleanup) - 1; i >= 0; i-- {
		envCleanup[i]()
	}
	os.Exit(code)
}

// eachPair runs query, which selects a school's ID and one integer per row, and hands
// the integer of each row of a loaded school to add.
func (e *env) eachPair(b *testing.B, byID map[int]*school, query string, add func(s *school, n int)) {
	rows, err := e.db.SQL.QueryContext(context.Background(), query)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var sid, n int
		if err := rows.Scan(&sid, &n); err != nil {
			b.Fatal(err)
		}
		if s := byID[sid]; s != nil {
			add(s, n)
		}
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
}

// pgSchema returns the URL of the PostgreSQL schema name, and whether it is fresh
// (false: a kept dataset to reuse).
func pgSchema(b *testing.B, name string, keep bool) (string, bool) {
	base := os.Getenv(testdb.EnvPostgres)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		b.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var comment *string
	_ = conn.QueryRow(ctx, "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = $1", name).Scan(&comment)
	fresh := !(keep && comment != nil && *comment == "provreport bench ready")
	if fresh {
		for _, q := range []string{"DROP SCHEMA IF EXISTS " + name + " CASCADE", "CREATE SCHEMA " + name} {
			if _, err := conn.Exec(ctx, q); err != nil {
				b.Fatalf("%s: %v", q, err)
			}
		}
	}
	if !keep {
		envCleanup = append(envCleanup, func() {
			c, err := pgx.Connect(context.Background(), base)
			if err == nil {
				_, _ = c.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+name+" CASCADE")
				c.Close(context.Background())
			}
		})
	}
	pu, err := url.Parse(base)
	if err != nil {
		b.Fatal(err)
	}
	q := pu.Query()
	q.Set("search_path", name)
	pu.RawQuery = q.Encode()
	return pu.String(), fresh
}

func markReady(b *testing.B, db *store.DB, u string) {
	if db.Dialect == dialect.Postgres {
		pu, _ := url.Parse(u)
		name := pu.Query().Get("search_path")
		if _, err := db.Pool.Exec(context.Background(), "COMMENT ON SCHEMA "+name+" IS 'provreport bench ready'"); err != nil {
			b.Fatal(err)
		}
		return
	}
	path := strings.TrimPrefix(u, "sqlite:")
	if err := os.WriteFile(path+".ready", nil, 0o644); err != nil {
		b.Fatal(err)
	}
}

// describe reads back what the queries need: schools, their users, profiles, typeahead
// prefixes and the cursor of page 200.
func (e *env) describe(b *testing.B) {
	ctx := context.Background()
	rows, err := e.db.SQL.QueryContext(ctx, "SELECT id, slug, timezone FROM schools WHERE slug LIKE 'school-%' ORDER BY id")
	if err != nil {
		b.Fatal(err)
	}
	byID := map[int]*school{}
	for rows.Next() {
		s := &school{}
		var tz string
		if err := rows.Scan(&s.ID, &s.Slug, &tz); err != nil {
			b.Fatal(err)
		}
		s.Loc, _ = time.LoadLocation(tz)
		e.schools = append(e.schools, s)
		byID[s.ID] = s
	}
	rows.Close()
	rows, err = e.db.SQL.QueryContext(ctx, "SELECT school_id, id, display_name FROM users")
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var sid, id int
		var name string
		if err := rows.Scan(&sid, &id, &name); err != nil {
			b.Fatal(err)
		}
		if s := byID[sid]; s != nil {
			s.Users = append(s.Users, id)
			if len(s.Prefixes) < 50 {
				s.Prefixes = append(s.Prefixes, strings.ToLower(name[:2]))
			}
		}
	}
	rows.Close()
	e.eachPair(b, byID, "SELECT school_id, id FROM sync_profiles", func(s *school, id int) { s.Profiles = append(s.Profiles, id) })
	active := report.ActiveIndexPredicate()
	e.eachPair(b, byID, "SELECT school_id, COUNT(*) FROM events WHERE "+active+" GROUP BY school_id", func(s *school, n int) { s.Active = n })
	for _, s := range e.schools {
		if s.Active < 10_000 {
			continue
		}
		var at time.Time
		var id int
		err := e.db.SQL.QueryRowContext(ctx, rebind(e.kind, "SELECT date_finished, id FROM events WHERE school_id = ? AND "+active+
			" ORDER BY date_finished DESC, id DESC LIMIT 1 OFFSET 9949"), s.ID).Scan(&at, &id)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		ent.Cursor{ID: id, Value: at}.MarshalGQL(&buf)
		s.Deep, s.DeepAt, s.DeepID = strings.Trim(buf.String(), `"`), at, id
		e.deep = append(e.deep, s)
	}
	e.eachPair(b, byID, "SELECT school_id, id FROM events WHERE changes_recorded > 0", func(s *school, id int) { s.Runs = append(s.Runs, id) })
	e.eachPair(b, byID, "SELECT school_id, user_id FROM changes GROUP BY school_id, user_id", func(s *school, id int) { s.Changed = append(s.Changed, id) })
	changes, events, runs, changed := 0, 0, 0, 0
	if err := e.db.SQL.QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM changes), (SELECT COUNT(*) FROM events)").Scan(&changes, &events); err != nil {
		b.Fatal(err)
	}
	for _, s := range e.schools {
		runs += len(s.Runs)
		changed += len(s.Changed)
		if len(s.Runs) > 0 && len(s.Changed) > 0 {
			e.changed = append(e.changed, s)
		}
	}
	note("%s: %d changes in %d runs, %d users with at least one (%.2f changes an event)", e.kind,
		changes, runs, changed, float64(changes)/float64(max(1, events)))
	sizes := make([]int, 0, len(e.schools))
	for _, s := range e.schools {
		sizes = append(sizes, s.Active)
	}
	note("%s: %d schools, %d with a page 200; active events a school: min %d, median %d, max %d", e.kind,
		len(e.schools), len(e.deep), minOf(sizes), median(sizes), maxOf(sizes))
}

func (e *env) random(r *rand.Rand) *school { return e.schools[r.IntN(len(e.schools))] }

// gql posts one GraphQL operation as the school's token to the server with the report
// cache on (the default); any GraphQL error is an error.
func (e *env) gql(s *school, query string, vars map[string]any) ([]byte, error) {
	return e.post(e.srv, s, query, vars)
}

// gqlNoCache is gql against the server with the report cache off.
func (e *env) gqlNoCache(s *school, query string, vars map[string]any) ([]byte, error) {
	return e.post(e.nocache, s, query, vars)
}

func (e *env) post(srv *apitest.Server, s *school, query string, vars map[string]any) ([]byte, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	return e.postBody(srv, s, body)
}

// postBody posts an encoded GraphQL request, for benchmarks that encode their requests
// before the clock starts (a real client encodes on its own machine).
func (e *env) postBody(srv *apitest.Server, s *school, body []byte) ([]byte, error) {
	return e.postTo(srv, s, "/graphql", "application/json", body)
}

// postTo posts body to path with the school's token, failing on any status but 200 and
// on a body that holds errors.
func (e *env) postTo(srv *apitest.Server, s *school, path, contentType string, body []byte) ([]byte, error) {
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := e.http.Do(req)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || bytes.Contains(raw, []byte(`"errors":[`)) {
		return nil, fmt.Errorf("HTTP %d: %.500s", resp.StatusCode, raw)
	}
	return raw, nil
}

// raw runs one SQL query (pgx on PostgreSQL, database/sql on SQLite) and reads every
// row, returning how many there were.
func (e *env) raw(query string, args ...any) (int, error) {
	ctx := context.Background()
	n := 0
	if e.kind == "postgres" {
		rows, err := e.db.Pool.Query(ctx, rebind(e.kind, query), args...)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", query, err)
		}
		for rows.Next() {
			if _, err := rows.Values(); err != nil {
				rows.Close()
				return n, err
			}
			n++
		}
		if err := rows.Err(); err != nil {
			return n, fmt.Errorf("%s: %w", query, err)
		}
		return n, nil
	}
	rows, err := e.db.SQL.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// rebind turns ? placeholders into PostgreSQL's $n.
func rebind(kind, q string) string {
	if kind != "postgres" {
		return q
	}
	var sb strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			sb.WriteString("$" + strconv.Itoa(n))
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// settle waits until the servers' startup work is done: the first health check of
// every school (the watch's job runs on start) and the jobs it enqueued. A one-off
// check of the whole dataset is a server's start, not the steady state a benchmark
// measures; the periodic checks after it still run during the benchmarks.
func settle(b *testing.B, db *store.DB, after int64) {
	b.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var checked, busy int
		err := db.SQL.QueryRowContext(ctx, rebind(db.Dialect,
			"SELECT COUNT(*) FROM river_job WHERE kind = 'health_check' AND state = 'completed' AND id > ?"), after).Scan(&checked)
		if err == nil {
			err = db.SQL.QueryRowContext(ctx, "SELECT COUNT(*) FROM river_job WHERE state IN ('available', 'running')").Scan(&busy)
		}
		if err != nil {
			b.Fatalf("settle: %v", err)
		}
		if checked > 0 && busy == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("settle: the servers' startup jobs did not finish in 3 minutes (%d health checks done, %d jobs waiting or running)", checked, busy)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// lastJob is the ID of the newest job in the queue (0 when none), for settle to tell
// the jobs of servers started after it.
func lastJob(b *testing.B, db *store.DB) int64 {
	var id int64
	if err := db.SQL.QueryRowContext(context.Background(), "SELECT COALESCE(MAX(id), 0) FROM river_job").Scan(&id); err != nil {
		b.Fatalf("newest job: %v", err)
	}
	return id
}
