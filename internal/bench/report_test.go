package bench_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/report"
)

// eventFields is what the dashboard's event list asks for (frontend/src/graphql).
const eventFields = `fragment EventFields on Event {
  id type typeName dateStarted dateFinished processed added updated deleted disabled errors service
  user { id username displayName }
  syncProfile { id name kind }
}`

const pageQuery = `query Page($first: Int, $after: Cursor, $filter: ReportFilter) {
  events(first: $first, after: $after, filter: $filter) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { ...EventFields } }
  }
}
` + eventFields

// rawPage is the equivalent of one page of the event list in one SQL statement: the
// events with their user and profile joined, newest first, one row more than the page
// to know whether another follows.
const rawPage = `SELECT e.id, e.type, e.date_started, e.date_finished, e.processed, e.added, e.updated, e.deleted,
 e.disabled, e.errors, e.service, u.id, u.username, u.display_name, p.id, p.name, p.kind
FROM events e LEFT JOIN users u ON u.id = e.user_id LEFT JOIN sync_profiles p ON p.id = e.sync_profile_id
WHERE e.school_id = ? AND %s ORDER BY e.date_finished DESC, e.id DESC LIMIT 51`

// changeFields is what the run page and the person page show of a change
// (frontend/src/graphql/runs.graphql).
const changeFields = `fragment ChangeFields on Change {
  id action username displayName email message
  user { id username }
  attributes { name old new }
}`

// runChangesQuery is the run page's first page of changes, as the run page asks for it.
const runChangesQuery = `query RunChanges($id: ID!, $first: Int) {
  node(id: $id) {
    ... on Event {
      id
      changes(first: $first) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { ...ChangeFields } }
      }
    }
  }
}
` + changeFields

// timelineQuery is the person page's first page of a user's timeline, as the person
// page asks for it.
const timelineQuery = `query Timeline($id: ID!, $first: Int) {
  node(id: $id) {
    ... on User {
      id
      timeline(first: $first) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { at event { ...EventFields } change { ...ChangeFields } } }
      }
    }
  }
}
` + eventFields + "\n" + changeFields

// rawRunChanges is the equivalent of the run page's first page of changes in one SQL
// statement: the run's changes in input order with their usernames, one row more than
// the page.
const rawRunChanges = `SELECT c.id, c.action, u.id, u.username, c.display_name, c.email, c.message, c.attributes
FROM changes c JOIN users u ON u.id = c.user_id
WHERE c.school_id = ? AND c.event_id = ? ORDER BY c.id LIMIT 51`

// rawTimeline is the equivalent of a timeline page in one SQL statement: the user's
// newest events and the newest changes to them (with the runs that made them), one
// row more than the page each, merged newest first.
const rawTimeline = `SELECT * FROM (
 SELECT e.date_finished AS at, 0 AS kind, e.id, e.type, p.name AS profile, NULL AS action, NULL AS attributes
 FROM events e LEFT JOIN sync_profiles p ON p.id = e.sync_profile_id
 WHERE e.school_id = ? AND e.user_id = ? ORDER BY e.date_finished DESC, e.id DESC LIMIT 51) acted
UNION ALL
SELECT * FROM (
 SELECT c.at, 1, c.id, r.type, p.name, c.action, CAST(c.attributes AS TEXT)
 FROM changes c JOIN events r ON r.id = c.event_id LEFT JOIN sync_profiles p ON p.id = r.sync_profile_id
 WHERE c.school_id = ? AND c.user_id = ? ORDER BY c.at DESC, c.id DESC LIMIT 51) changed
ORDER BY 1 DESC, 2 DESC, 3 DESC LIMIT 51`

// q2Types are Q2's three event types: the failures and syncs an admin looks for.
var q2Types = []string{eventtype.AccountSynchronization, eventtype.UserCSVFailed, eventtype.AuthenticationFailed}

// query is one of the report's benchmark queries: a GraphQL operation and the equivalent raw SQL,
// each built for a random school.
type query struct {
	name string
	// deep restricts the school to those with a page 200.
	deep bool
	// changes restricts the school to those with runs that carry changes.
	changes bool
	// page, when set, names the connection in the answer (under data.node) that must
	// hold at least one edge, and the raw SQL must return at least one row: a query
	// that finds nothing would measure nothing.
	page string
	gql  func(e *env, s *school, r *rand.Rand) (string, map[string]any)
	raw  func(e *env, s *school, r *rand.Rand) (string, []any)
}

func active() string { return report.ActiveIndexPredicate() }

func yearRange(e *env) (time.Time, time.Time) { return e.cfg.End.AddDate(-1, 0, 0), e.cfg.End }

func queries() []query {
	return []query{
		{
			name: "Q1_first_page",
			gql: func(e *env, s *school, r *rand.Rand) (string, map[string]any) {
				return pageQuery, map[string]any{"first": 50}
			},
			raw: func(e *env, s *school, r *rand.Rand) (string, []any) {
				return fmt.Sprintf(rawPage, active()), []any{s.ID}
			},
		},
		{
			name: "Q2_30_days_3_types",
			gql: func(e *env, s *school, r *rand.Rand) (string, map[string]any) {
				from, to := month(e, r)
				return pageQuery, map[string]any{"first": 50, "filter": map[string]any{"from": from, "to": to, "types": q2Types}}
			},
			raw: func(e *env, s *school, r *rand.Rand) (string, []any) {
				from, to := month(e, r)
				return fmt.Sprintf(rawPage, active()+" AND e.date_finished >= ? AND e.date_finished < ? AND e.type IN ('"+strings.Join(q2Types, "', '")+"')"),
					[]any{s.ID, from, to}
			},
		},
		{
			name: "Q3_user_year",
			gql: func(e *env, s *school, r *rand.Rand) (string, map[string]any) {
				from, to := yearRange(e)
				return pageQuery, map[string]any{"first": 50, "filter": map[string]any{"from": from, "to": to, "userID": s.Users[r.IntN(len(s.Users))]}}
			},
			raw: func(e *env, s *school, r *rand.Rand) (string, []any) {
				from, to := yearRange(e)
				return fmt.Sprintf(rawPage, active()+" AND e.user_id = ? AND e.date_finished >= ? AND e.date_finished < ?"),
					[]any{s.ID, s.Users[r.IntN(len(s.Users))], from, to}
			},
		},
		{
			name: "Q4_sync_profile",
			gql: func(e *env, s *school, r *rand.Rand) (string, map[string]any) {
				return pageQuery, map[string]any{"first": 50, "filter": map[string]any{"syncProfileID": s.Profiles[r.IntN(len(s.Profiles))]}}
			},
			raw: func(e *env, s *school, r *rand.Rand) (string, []any) {
				return fmt.Sprintf(rawPage, active()+" AND e.sync_profile_id = ?"), []any{s.ID, s.Profiles[r.IntN(len(s.Profiles))]}
			},
		},
		{
			name: "Q5_page_200_cursor",
			deep: true,
			gql: func(e *env, s *school, r *rand.Rand) (string, map[string]any) {
				return pageQuery, map[string]any{"first": 50, "after": s.Deep}
			},
			raw: func(e *env, s *school, r *rand.Rand) (string, []any) {
				return fmt.Sprintf(rawPage, active()+" AND (e.date_finished, e.id) < (?, ?)"), []any{s.ID, s.DeepAt, s.DeepID}
			},
		},
		{
			name: "Q6_total_count",
			gql: func(e *env, s *school, r *rand.Rand) (string, map[string]any) {
				return `query { events { totalCount } }`, nil
			},
			raw: func(e *env, s *school, r *rand.Rand) (string, []any) {
				return "SELECT COUNT(*) FROM events WHERE school_id = ? AND " + active(), []any{s.ID}
			},
		},
		{
			name: "Q7_summary_year",
			gql: func(e *env, s *school, r *rand.Rand) (string, map[string]any) {
				from, to := yearRange(e)
				return `query S($filter: ReportFilter) { eventSummary(filter: $filter) {
  events processed added updated deleted disabled errors failedLogins step
  buckets { start events added updated deleted disabled errors failedLogins } } }`,
					map[string]any{"filter": map[string]any{"from": from, "to": to}}
			},
			raw: func(e *env, s *school, r *rand.Rand) (string, []any) {
				from, to := yearRange(e)
				slot := "CAST(strftime('%s', date_finished) AS INTEGER) / 900"
				if e.kind == "postgres" {
					// Grouped by local day, as the server does for ranges over three days.
					slot, _ = report.LocalDaySQL(s.Loc, from, to)
				}
				return "SELECT " + slot + ` AS slot, COUNT(*), SUM(processed), SUM(added), SUM(updated), SUM(deleted),
 SUM(disabled), SUM(errors), SUM(CASE WHEN type = 'AUTHENTICATION_FAILED' THEN 1 ELSE 0 END)
FROM events WHERE school_id = ? AND ` + active() + ` AND date_finished >= ? AND date_finished < ? GROUP BY slot ORDER BY slot`,
					[]any{s.ID, from, to}
			},
		},
		{
			name: "Q8_user_typeahead",
			gql: func(e *env, s *school, r *rand.Rand) (string, map[string]any) {
				return `query U($search: String!) { users(search: $search, first: 10) { edges { node { id username displayName email } } } }`,
					map[string]any{"search": s.Prefixes[r.IntN(len(s.Prefixes))]}
			},
			raw: func(e *env, s *school, r *rand.Rand) (string, []any) {
				p := s.Prefixes[r.IntN(len(s.Prefixes))]
				return `SELECT id, username, display_name, email FROM users WHERE school_id = ?
 AND (LOWER(username) LIKE ? OR LOWER(display_name) LIKE ? OR LOWER(email) LIKE ?)
 ORDER BY CASE WHEN LOWER(username) LIKE ? OR LOWER(display_name) LIKE ? OR LOWER(email) LIKE ? THEN 0 ELSE 1 END,
 LOWER(username), id LIMIT 11`, []any{s.ID, "%" + p + "%", "%" + p + "%", "%" + p + "%", p + "%", p + "%", p + "%"}
			},
		},
		{
			name:    "Q9_run_changes",
			changes: true,
			page:    "changes",
			gql: func(e *env, s *school, r *rand.Rand) (string, map[string]any) {
				return runChangesQuery, map[string]any{"id": s.Runs[r.IntN(len(s.Runs))], "first": 50}
			},
			raw: func(e *env, s *school, r *rand.Rand) (string, []any) {
				return rawRunChanges, []any{s.ID, s.Runs[r.IntN(len(s.Runs))]}
			},
		},
		{
			name:    "Q10_user_timeline",
			changes: true,
			page:    "timeline",
			gql: func(e *env, s *school, r *rand.Rand) (string, map[string]any) {
				return timelineQuery, map[string]any{"id": s.Changed[r.IntN(len(s.Changed))], "first": 50}
			},
			raw: func(e *env, s *school, r *rand.Rand) (string, []any) {
				u := s.Changed[r.IntN(len(s.Changed))]
				return rawTimeline, []any{s.ID, u, s.ID, u}
			},
		},
	}
}

// checkPage fails unless the answer's data.node holds the connection name with at
// least one edge.
func checkPage(body []byte, name string) error {
	var answer struct {
		Data struct {
			Node map[string]json.RawMessage `json:"node"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return fmt.Errorf("decode the answer: %w", err)
	}
	var conn struct {
		Edges []json.RawMessage `json:"edges"`
	}
	if raw, ok := answer.Data.Node[name]; ok {
		if err := json.Unmarshal(raw, &conn); err != nil {
			return fmt.Errorf("decode %s: %w", name, err)
		}
	}
	if len(conn.Edges) == 0 {
		return fmt.Errorf("the first page of %s is empty: %.300s", name, body)
	}
	return nil
}

// TestCheckPage checks that Q9 and Q10 refuse an answer without edges, so that they
// cannot measure a query that finds nothing.
func TestCheckPage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		body string
		ok   bool
	}{
		{`{"data":{"node":{"id":"1","changes":{"edges":[{"node":{"action":"ADDED"}}]}}}}`, true},
		{`{"data":{"node":{"id":"1","changes":{"edges":[]}}}}`, false},
		{`{"data":{"node":null}}`, false},
		{`{"data":{"node":{"id":"1","timeline":{"edges":[{}]}}}}`, false}, // the wrong connection
	} {
		if err := checkPage([]byte(c.body), "changes"); (err == nil) != c.ok {
			t.Errorf("checkPage(%s) = %v; want ok %v", c.body, err, c.ok)
		}
	}
}

// month is a random 30-day window of the dataset's year.
func month(e *env, r *rand.Rand) (time.Time, time.Time) {
	from := e.cfg.End.AddDate(0, 0, -30*(1+r.IntN(12)))
	return from, from.AddDate(0, 0, 30)
}

// BenchmarkReport measures Q1–Q10 one client at a time, through the GraphQL endpoint
// and as raw SQL, each operation for a random school; then Q1 with 8 and 32 clients.
func BenchmarkReport(b *testing.B) {
	for _, kind := range kinds() {
		b.Run(kind, func(b *testing.B) {
			e := setup(b, kind)
			for _, q := range queries() {
				pool := e.schools
				switch {
				case q.deep:
					pool = e.deep
				case q.changes:
					pool = e.changed
				}
				if len(pool) == 0 {
					why := "no school has a page 200 at this size"
					if q.changes {
						why = "no school has runs with changes"
					}
					note("%s %s: %s; skipped", kind, q.name, why)
					continue
				}
				for _, v := range []struct {
					name string
					post func(*school, string, map[string]any) ([]byte, error)
				}{{"graphql", e.gql}, {"graphql-nocache", e.gqlNoCache}} {
					b.Run(q.name+"/"+v.name, func(b *testing.B) {
						r := rand.New(rand.NewPCG(runSeed.Add(1), 1))
						var s samples
						h0, m0 := e.cacheStats()
						cpu := processCPU()
						for i := 0; i < b.N; i++ {
							sc := pool[r.IntN(len(pool))]
							op, vars := q.gql(e, sc, r)
							t := time.Now()
							body, err := v.post(sc, op, vars)
							if err != nil {
								b.Fatal(err)
							}
							s.add(time.Since(t))
							if q.page != "" {
								if err := checkPage(body, q.page); err != nil {
									b.Fatalf("%s: %v", q.name, err)
								}
							}
						}
						record(b, &s, withCPU(e.hitRate(v.name, h0, m0), cpu, b.N))
					})
				}
				b.Run(q.name+"/raw", func(b *testing.B) {
					r := rand.New(rand.NewPCG(runSeed.Add(1), 1))
					var s samples
					cpu := processCPU()
					for i := 0; i < b.N; i++ {
						sc := pool[r.IntN(len(pool))]
						sql, args := q.raw(e, sc, r)
						t := time.Now()
						n, err := e.raw(sql, args...)
						if err != nil {
							b.Fatal(err)
						}
						s.add(time.Since(t))
						if q.page != "" && n == 0 {
							b.Fatalf("%s: the raw query returned no rows for %v", q.name, args)
						}
					}
					record(b, &s, withCPU(nil, cpu, b.N))
				})
			}
			q1 := queries()[0]
			for _, clients := range []int{8, 32} {
				b.Run(fmt.Sprintf("Q1_concurrent/graphql/clients=%d", clients), func(b *testing.B) {
					concurrent(b, clients, e.cacheStats, func(r *rand.Rand) error {
						sc := e.random(r)
						op, vars := q1.gql(e, sc, r)
						_, err := e.gql(sc, op, vars)
						return err
					})
				})
				b.Run(fmt.Sprintf("Q1_concurrent/graphql-nocache/clients=%d", clients), func(b *testing.B) {
					concurrent(b, clients, nil, func(r *rand.Rand) error {
						sc := e.random(r)
						op, vars := q1.gql(e, sc, r)
						_, err := e.gqlNoCache(sc, op, vars)
						return err
					})
				})
				b.Run(fmt.Sprintf("Q1_concurrent/raw/clients=%d", clients), func(b *testing.B) {
					concurrent(b, clients, nil, func(r *rand.Rand) error {
						sql, args := q1.raw(e, e.random(r), r)
						_, err := e.raw(sql, args...)
						return err
					})
				})
			}
		})
	}
}

// runSeed gives every run of a benchmark (Go runs each several times while it sizes
// b.N) its own random choices, so that the report cache only hits where the questions
// really repeat (a school's first page, say), not because a run replayed the previous
// run's sequence.
var runSeed atomic.Uint64

// cacheStats returns the report cache's hits and misses on the cached server.
func (e *env) cacheStats() (hits, misses int64) { return e.srv.App.ReportCache.Stats() }

// hitRate is the share of a run's cacheable requests the report cache answered, as a
// metric for the cached variant (nil for the others).
func (e *env) hitRate(variant string, h0, m0 int64) map[string]float64 {
	if variant != "graphql" {
		return nil
	}
	h, m := e.cacheStats()
	if h+m-h0-m0 == 0 {
		return nil
	}
	return map[string]float64{"hit-%": 100 * float64(h-h0) / float64(h+m-h0-m0)}
}

// concurrent runs b.N operations spread over clients goroutines and reports requests
// per second next to the latency quantiles (and the cache's hit rate when stats is set).
func concurrent(b *testing.B, clients int, stats func() (int64, int64), op func(r *rand.Rand) error) {
	var s samples
	var next atomic.Int64
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	var h0, m0 int64
	if stats != nil {
		h0, m0 = stats()
	}
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(runSeed.Add(1), 2))
			for next.Add(1) <= int64(b.N) {
				t := time.Now()
				if err := op(r); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
				s.add(time.Since(t))
			}
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	m := map[string]float64{"req/s": float64(b.N) / elapsed.Seconds()}
	if stats != nil {
		h, mi := stats()
		if h+mi-h0-m0 > 0 {
			m["hit-%"] = 100 * float64(h-h0) / float64(h+mi-h0-m0)
		}
	}
	record(b, &s, m)
}
