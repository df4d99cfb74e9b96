package graph_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
			tr := newTraced(t, kind, "timeline")
			srv, token := tr.srv, tr.token

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
				var p page
				return tr.statements(t, timelineLoadQuery, map[string]any{"id": userID, "first": first}, &p), p
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
