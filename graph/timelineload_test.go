package graph_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/queue"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/telemetry"
	"github.com/provreport/provreport/internal/testdb"
)

// The person page's selection: each entry's run with its account and sync profile,
// and the change with its account.
const timelineLoadQuery = `query($id: ID!, $first: Int) {
  node(id: $id) { ... on User { id
    timeline(first: $first) { totalCount edges { cursor node { at
      event { id typeName user { id username displayName } syncProfile { id name kind } }
      change { id action username user { id username } }
    } } }
  } } }`

// TestUserTimelineOneLoad: a page of a user's timeline runs as many statements for
// four entries as for forty (the entries' accounts and profiles come with the page,
// not one query per entry), and every entry names the right account and profile.
func TestUserTimelineOneLoad(t *testing.T) {
	t.Parallel()
	for _, kind := range testdb.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			ctx := context.Background()
			db, err := store.Open(ctx, testdb.URL(t, kind), store.WithTracing(tp))
			require.NoError(t, err)
			t.Cleanup(func() { db.Close() })
			require.NoError(t, db.Migrate(ctx))
			require.NoError(t, queue.Migrate(ctx, db))
			srv := apitest.NewWithConfig(t, db, server.Config{Tracing: &telemetry.Tracing{Provider: tp}, ReportCacheBytes: -1})
			sc := srv.CreateSchool(t, "timeline", "UTC")
			token := srv.Token(t, sc.ID, auth.Scopes()...)

			// Runs of two profiles changing the pupil, CSV uploads the pupil made, and sign-ins.
			var in []map[string]any
			for i := range 20 {
				fin := t0.Add(time.Duration(i) * time.Hour)
				run := runInput(fmt.Sprintf("run-%d", i), fin, map[string]int{"updated": 1}, chg("UPDATED", "jo.pupil"))
				run["syncProfile"] = []string{"LDAP Students", "Google Students"}[i%2]
				in = append(in, run,
					map[string]any{"type": "AUTHORISATION", "username": "jo.pupil", "externalID": fmt.Sprintf("login-%d", i),
						"startedAt": fin.Format(time.RFC3339), "finishedAt": fin.Add(time.Minute).Format(time.RFC3339)})
			}
			_, evs := record(t, srv, token, in)
			userID := evs[1].User.ID

			type page struct {
				Node struct {
					Timeline struct {
						TotalCount int
						Edges      []struct {
							Node struct {
								Event struct {
									TypeName    string
									User        *struct{ ID, Username string }
									SyncProfile *struct{ ID, Name, Kind string }
								}
								Change *struct {
									Action, Username string
									User             struct{ ID, Username string }
								}
							}
						}
					}
				}
			}
			statements := func(first int) ([]string, page) {
				before := len(rec.Ended())
				var p page
				srv.Do(t, token, timelineLoadQuery, map[string]any{"id": userID, "first": first}).OK(t).Decode(t, &p)
				var out []string
				for _, s := range rec.Ended()[before:] {
					for _, a := range s.Attributes() {
						if a.Key == "db.statement" || a.Key == "db.query.text" {
							out = append(out, a.Value.AsString())
						}
					}
				}
				return out, p
			}
			few, small := statements(4)
			many, large := statements(40)
			require.Len(t, small.Node.Timeline.Edges, 4)
			require.Len(t, large.Node.Timeline.Edges, 40)
			require.Equal(t, 40, large.Node.Timeline.TotalCount)
			require.Len(t, many, len(few), "the same statements for 40 entries as for 4:\n%s\n---\n%s",
				strings.Join(many, "\n"), strings.Join(few, "\n"))

			profiles := map[string]int{}
			for _, e := range large.Node.Timeline.Edges {
				n := e.Node
				if n.Change == nil {
					require.Equal(t, "Authorisation", n.Event.TypeName)
					require.NotNil(t, n.Event.User)
					require.Equal(t, "jo.pupil", n.Event.User.Username)
					require.Nil(t, n.Event.SyncProfile)
					continue
				}
				require.Equal(t, "jo.pupil", n.Change.Username)
				require.Equal(t, "jo.pupil", n.Change.User.Username)
				require.Equal(t, userID, n.Change.User.ID)
				require.Nil(t, n.Event.User, "a sync run has no acting account")
				require.NotNil(t, n.Event.SyncProfile)
				profiles[n.Event.SyncProfile.Name]++
			}
			require.Equal(t, map[string]int{"LDAP Students": 10, "Google Students": 10}, profiles)
		})
	}
}
