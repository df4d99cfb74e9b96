package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/provreport/provreport/ent/change"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/bench"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/ingest"
	"github.com/provreport/provreport/internal/tenant"
)

// ingestBatches generates n events of one school as its agents report them, in
// batches of size, each with an external ID that starts with run.
func ingestBatches(n, size int, run string) [][]*ingest.Input {
	// The batches bring their own changes (withChanges), so the generator's are off.
	cfg := bench.Config{Events: n, Schools: 1, Users: 2_000, Prefix: "ingest-", ChangesPerEvent: -1}.Defaults()
	schools := cfg.SchoolList()
	s := &schools[0]
	var out [][]*ingest.Input
	var batch []*ingest.Input
	_ = cfg.Generate(schools, func(e *bench.Event) error {
		in := &ingest.Input{
			Type: event.Type(e.Type), DateStarted: e.Started, DateFinished: e.Finished,
			Processed: intp(e.Processed), Added: intp(e.Added), Updated: intp(e.Updated), Deleted: intp(e.Deleted),
			Disabled: intp(e.Disabled), Errors: intp(e.Errors), Details: &e.Details,
		}
		if e.Profile >= 0 {
			in.SyncProfile = &s.Profiles[e.Profile].Name
		}
		if e.User >= 0 {
			in.Username = &s.Users[e.User].Username
		}
		if e.Service != "" {
			in.Service = &e.Service
		}
		var probs []eventtype.Problem
		_ = json.Unmarshal(e.Problems, &probs)
		for _, p := range probs {
			in.Problems = append(in.Problems, &ingest.ProblemInput{Line: p.Line, Field: p.Field, Message: p.Message})
		}
		ext := run + e.ExternalID
		in.ExternalID = &ext
		batch = append(batch, in)
		if len(batch) == size {
			out = append(out, batch)
			batch = nil
		}
		return nil
	})
	if len(batch) > 0 {
		out = append(out, batch)
	}
	return out
}

func intp(v int64) *int { n := int(v); return &n }

// gqlInput is the RecordEventInput of in, as a client sends it.
func gqlInput(in *ingest.Input) map[string]any {
	m := map[string]any{
		"type": in.Type, "dateStarted": in.DateStarted, "dateFinished": in.DateFinished,
		"processed": *in.Processed, "added": *in.Added, "updated": *in.Updated, "deleted": *in.Deleted,
		"disabled": *in.Disabled, "errors": *in.Errors, "details": *in.Details, "externalID": *in.ExternalID,
	}
	if in.SyncProfile != nil {
		m["syncProfile"] = *in.SyncProfile
	}
	if in.Username != nil {
		m["username"] = *in.Username
	}
	if in.Service != nil {
		m["service"] = *in.Service
	}
	if len(in.Changes) > 0 {
		chs := make([]map[string]any, len(in.Changes))
		for i, c := range in.Changes {
			attrs := make([]map[string]any, len(c.Attributes))
			for j, a := range c.Attributes {
				attrs[j] = map[string]any{"name": a.Name, "old": a.Old, "new": a.New}
			}
			chs[i] = map[string]any{"action": c.Action, "username": c.Username, "email": c.Email, "attributes": attrs}
		}
		m["changes"] = chs
	}
	if len(in.Problems) > 0 {
		probs := make([]map[string]any, len(in.Problems))
		for i, p := range in.Problems {
			probs[i] = map[string]any{"line": p.Line, "field": p.Field, "message": p.Message}
		}
		m["problems"] = probs
	}
	return m
}

// withChanges gives every sync run of the batches n changed accounts (UPDATED, two
// attributes each, accounts of the school's pool, distinct within a run), raising the
// run's updated count to n where it was lower so that the changes stay within it.
func withChanges(bs [][]*ingest.Input, n int) int {
	total := 0
	k := 0
	for _, batch := range bs {
		for _, in := range batch {
			if in.SyncProfile == nil {
				continue
			}
			if *in.Updated < n {
				in.Updated = intp(int64(n))
			}
			in.Changes = make([]*ingest.ChangeInput, n)
			for j := range in.Changes {
				k++
				user, year := fmt.Sprintf("pupil%05d", k%20_000), fmt.Sprintf("Year %d", 7+k%6)
				prev, mail := fmt.Sprintf("Year %d", 6+k%6), user+"@school.example.edu"
				in.Changes[j] = &ingest.ChangeInput{Action: change.ActionUPDATED, Username: user, Email: &mail,
					Attributes: []*eventtype.AttributeChange{{Name: "memberOf", Old: &prev, New: &year}, {Name: "mail", New: &mail}}}
			}
			total += n
		}
	}
	return total
}

// ndjsonBodies turns batches into bodies of POST /api/v1/events before the clock starts:
// one object and a newline per event, with recordEvents' field names.
func ndjsonBodies(b *testing.B, bs [][]*ingest.Input) [][]byte {
	bodies := make([][]byte, len(bs))
	for i, batch := range bs {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for _, x := range batch {
			if err := enc.Encode(gqlInput(x)); err != nil {
				b.Fatal(err)
			}
		}
		bodies[i] = buf.Bytes()
	}
	return bodies
}

const recordMutation = `mutation R($input: [RecordEventInput!]!) { recordEvents(input: $input) { events { id } } }`

// BenchmarkIngest writes batches of 1,000 events (external IDs included) into one
// school of the loaded dataset: through the recordEvents mutation over HTTP, through
// ingest.Recorder directly, through POST /api/v1/events as NDJSON, and on PostgreSQL
// with COPY of the same rows. One
// operation is one batch; events/s is the figure to read.
func BenchmarkIngest(b *testing.B) {
	for _, kind := range kinds() {
		b.Run(kind, func(b *testing.B) {
			e := setup(b, kind)
			ctx := context.Background()
			sc := apitest.CreateSchool(b, e.db.Client, fmt.Sprintf("ingest-%d", time.Now().UnixNano()), "")
			s := &school{ID: sc.ID}
			_, s.Token = apitest.CreateToken(b, e.db.Client, sc.ID, auth.Scopes()...)
			b.Cleanup(func() {
				// Keep a kept dataset as it was loaded.
				_, _ = e.db.SQL.ExecContext(ctx, rebind(kind, "DELETE FROM events WHERE school_id = ?"), sc.ID)
			})
			run := 0
			batchesOf := func(b *testing.B, size int) [][]*ingest.Input {
				run++
				return ingestBatches(b.N*size, size, fmt.Sprintf("r%d-%d-", time.Now().UnixNano(), run))
			}
			batches := func(b *testing.B) [][]*ingest.Input { return batchesOf(b, ingest.MaxBatch) }
			// rateOf records events/s and the process's CPU per batch (the server's decoding
			// and statements; PostgreSQL's own work is not in it) for batches of size.
			rateOf := func(b *testing.B, size int, start time.Time, cpu time.Duration) {
				record(b, &samples{}, withCPU(map[string]float64{"events/s": float64(b.N*size) / time.Since(start).Seconds()}, cpu, b.N))
			}
			rate := func(b *testing.B, start time.Time, cpu time.Duration) { rateOf(b, ingest.MaxBatch, start, cpu) }
			// encode turns batches into recordEvents request bodies before the clock starts.
			encode := func(b *testing.B, bs [][]*ingest.Input) [][]byte {
				bodies := make([][]byte, len(bs))
				for i, batch := range bs {
					in := make([]map[string]any, len(batch))
					for k, x := range batch {
						in[k] = gqlInput(x)
					}
					body, err := json.Marshal(map[string]any{"query": recordMutation, "variables": map[string]any{"input": in}})
					if err != nil {
						b.Fatal(err)
					}
					bodies[i] = body
				}
				return bodies
			}
			b.Run("recordEvents/graphql", func(b *testing.B) {
				bodies := encode(b, batches(b))
				start, cpu := time.Now(), processCPU()
				for i := 0; i < b.N; i++ {
					if _, err := e.postBody(e.srv, s, bodies[i]); err != nil {
						b.Fatal(err)
					}
				}
				rate(b, start, cpu)
			})
			// Several schools' agents reporting at once, as a district's do: each agent
			// posts its own school's batches one after another.
			const agents = 4
			agentSchools := make([]*school, agents)
			for a := range agentSchools {
				asc := apitest.CreateSchool(b, e.db.Client, fmt.Sprintf("ingest-%d-agent-%d", time.Now().UnixNano(), a), "")
				agentSchools[a] = &school{ID: asc.ID}
				_, agentSchools[a].Token = apitest.CreateToken(b, e.db.Client, asc.ID, auth.Scopes()...)
				b.Cleanup(func() {
					_, _ = e.db.SQL.ExecContext(ctx, rebind(kind, "DELETE FROM events WHERE school_id = ?"), asc.ID)
				})
			}
			b.Run(fmt.Sprintf("recordEvents/graphql/agents=%d", agents), func(b *testing.B) {
				bodies := encode(b, batches(b))
				var wg sync.WaitGroup
				var failed atomic.Pointer[error]
				start, cpu := time.Now(), processCPU()
				for a := 0; a < agents; a++ {
					wg.Add(1)
					go func(a int) {
						defer wg.Done()
						for i := a; i < b.N; i += agents {
							if _, err := e.postBody(e.srv, agentSchools[a], bodies[i]); err != nil {
								failed.CompareAndSwap(nil, &err)
								return
							}
						}
					}(a)
				}
				wg.Wait()
				if err := failed.Load(); err != nil {
					b.Fatal(*err)
				}
				rate(b, start, cpu)
			})
			// record writes b.N batches through ingest.Recorder and returns when it began
			// and the process's CPU then.
			record := func(b *testing.B, bs [][]*ingest.Input) (time.Time, time.Duration) {
				rec := ingest.NewRecorder(e.db)
				tctx := tenant.WithSchool(ctx, sc.ID)
				start, cpu := time.Now(), processCPU()
				for i := 0; i < b.N; i++ {
					if _, err := rec.Record(tctx, bs[i]); err != nil {
						b.Fatal(err)
					}
				}
				return start, cpu
			}
			// post sends b.N NDJSON bodies to POST /api/v1/events, one after the other, and
			// returns when it began and the process's CPU then.
			post := func(b *testing.B, bodies [][]byte) (time.Time, time.Duration) {
				start, cpu := time.Now(), processCPU()
				for i := 0; i < b.N; i++ {
					if _, err := e.postTo(e.srv, s, "/api/v1/events", "application/x-ndjson", bodies[i]); err != nil {
						b.Fatal(err)
					}
				}
				return start, cpu
			}
			b.Run("recordEvents/go", func(b *testing.B) {
				start, cpu := record(b, batches(b))
				rate(b, start, cpu)
			})
			// The same batches with ten changed accounts for every sync run: events/s and
			// changes/s, through the recorder and through the bulk endpoint.
			b.Run("recordEvents/go/changes=10", func(b *testing.B) {
				bs := batches(b)
				changes := withChanges(bs, 10)
				start, cpu := record(b, bs)
				b.ReportMetric(float64(changes)/time.Since(start).Seconds(), "changes/s")
				rate(b, start, cpu)
			})
			// POST /api/v1/events as NDJSON, one agent, with batches of recordEvents' size and
			// of the endpoint's largest; on PostgreSQL to be read against "copy" below, which
			// writes the same rows in the same batches.
			for _, size := range []int{ingest.MaxBatch, ingest.MaxBulk} {
				b.Run(fmt.Sprintf("bulk/ndjson/lines=%d", size), func(b *testing.B) {
					start, cpu := post(b, ndjsonBodies(b, batchesOf(b, size)))
					rateOf(b, size, start, cpu)
				})
			}
			b.Run(fmt.Sprintf("bulk/ndjson/lines=%d/changes=10", ingest.MaxBatch), func(b *testing.B) {
				bs := batches(b)
				changes := withChanges(bs, 10)
				start, cpu := post(b, ndjsonBodies(b, bs))
				b.ReportMetric(float64(changes)/time.Since(start).Seconds(), "changes/s")
				rate(b, start, cpu)
			})
			if kind != "postgres" {
				return
			}
			users, profiles := map[string]int64{}, map[string]int64{}
			// names reads the IDs of the school's users and sync profiles: the names the
			// batches use exist by now (the runs above created them).
			names := func(b *testing.B) {
				for _, q := range []struct {
					sql string
					m   map[string]int64
				}{{"SELECT username, id FROM users WHERE school_id = $1", users}, {"SELECT name, id FROM sync_profiles WHERE school_id = $1", profiles}} {
					rows, _ := e.db.Pool.Query(ctx, q.sql, sc.ID)
					var k string
					var id int64
					if _, err := pgx.ForEachRow(rows, []any{&k, &id}, func() error { q.m[k] = id; return nil }); err != nil {
						b.Fatal(err)
					}
				}
			}
			for _, size := range []int{ingest.MaxBatch, ingest.MaxBulk} {
				b.Run(fmt.Sprintf("copy/rows=%d", size), func(b *testing.B) {
					bs := batchesOf(b, size)
					names(b)
					rows := make([][][]any, len(bs))
					for i, batch := range bs {
						for _, in := range batch {
							rows[i] = append(rows[i], copyRow(in, int64(sc.ID), users, profiles))
						}
					}
					start, cpu := time.Now(), processCPU()
					for i := 0; i < b.N; i++ {
						if _, err := e.db.Pool.CopyFrom(ctx, pgx.Identifier{"events"}, bench.EventColumns, pgx.CopyFromRows(rows[i])); err != nil {
							b.Fatal(err)
						}
					}
					rateOf(b, size, start, cpu)
				})
			}
			// The least the database must do to store the batches of
			// "recordEvents/go/changes=10" in the changes table the run page and the timeline
			// read: in one transaction a batch, the events' IDs, COPY of the events with them,
			// and COPY of their changes. No look-up, validation or flag: the ceiling of any
			// ingestion path for those rows on this machine.
			b.Run(fmt.Sprintf("copy/rows=%d/changes=10", ingest.MaxBatch), func(b *testing.B) {
				bs := batches(b)
				changes := withChanges(bs, 10)
				names(b)
				type batchRows struct{ events, changes [][]any }
				rows := make([]batchRows, len(bs))
				for i, batch := range bs {
					for _, in := range batch {
						rows[i].events = append(rows[i].events, copyRow(in, int64(sc.ID), users, profiles))
						for _, c := range in.Changes {
							attrs, err := json.Marshal(c.Attributes)
							if err != nil {
								b.Fatal(err)
							}
							id, ok := users[c.Username]
							if !ok {
								b.Fatalf("no user %s", c.Username)
							}
							// The event ID (0 here) is set once the batch's IDs are drawn.
							rows[i].changes = append(rows[i].changes, []any{int64(sc.ID), int64(0), id, string(c.Action),
								in.DateFinished, c.DisplayName, c.Email, json.RawMessage(attrs), c.Message})
						}
					}
				}
				start, cpu := time.Now(), processCPU()
				for i := 0; i < b.N; i++ {
					err := pgx.BeginFunc(ctx, e.db.Pool, func(tx pgx.Tx) error {
						r, _ := tx.Query(ctx, `SELECT nextval((SELECT pg_get_serial_sequence('events', 'id'))::regclass) FROM generate_series(1, $1)`,
							len(rows[i].events))
						ids, err := pgx.CollectRows(r, pgx.RowTo[int64])
						if err != nil {
							return err
						}
						evs, chs, k := make([][]any, len(rows[i].events)), rows[i].changes, 0
						for j, row := range rows[i].events {
							evs[j] = append([]any{ids[j]}, row...)
							for range bs[i][j].Changes {
								chs[k][1] = ids[j]
								k++
							}
						}
						if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events"}, append([]string{"id"}, bench.EventColumns...), pgx.CopyFromRows(evs)); err != nil {
							return err
						}
						_, err = tx.CopyFrom(ctx, pgx.Identifier{"changes"}, bench.ChangeColumns, pgx.CopyFromRows(chs))
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(changes)/time.Since(start).Seconds(), "changes/s")
				rate(b, start, cpu)
			})
		})
	}
}

func copyRow(in *ingest.Input, school int64, users, profiles map[string]int64) []any {
	var user, profile *int64
	if in.Username != nil {
		if id, ok := users[*in.Username]; ok {
			user = &id
		}
	}
	if in.SyncProfile != nil {
		if id, ok := profiles[*in.SyncProfile]; ok {
			profile = &id
		}
	}
	probs := make([]eventtype.Problem, 0, len(in.Problems))
	for _, p := range in.Problems {
		probs = append(probs, eventtype.Problem{Line: p.Line, Field: p.Field, Message: p.Message})
	}
	pj, _ := json.Marshal(probs)
	return []any{string(in.Type), in.DateStarted, in.DateFinished, int64(*in.Processed), int64(*in.Added), int64(*in.Updated),
		int64(*in.Deleted), int64(*in.Disabled), int64(*in.Errors), *in.Details, json.RawMessage(pj), in.Service, in.ExternalID,
		time.Now(), school, user, profile}
}
