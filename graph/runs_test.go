package graph_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/retention"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// changeCount counts the stored changes across all schools.
func changeCount(t *testing.T, db *store.DB) int {
	t.Helper()
	n, err := db.Client.Change.Query().Count(tenant.System(context.Background()))
	require.NoError(t, err)
	return n
}

// runInput is a sync run finishing at fin with the given counts and changes.
func runInput(ext string, fin time.Time, counts map[string]int, changes ...map[string]any) map[string]any {
	in := map[string]any{
		"type": "ACCOUNT_SYNCHRONIZATION", "syncProfile": "LDAP Students", "processed": 100,
		"startedAt": fin.Add(-time.Minute).Format(time.RFC3339Nano), "finishedAt": fin.Format(time.RFC3339Nano),
		"externalID": ext, "changes": changes,
	}
	for k, v := range counts {
		in[k] = v
	}
	return in
}

func chg(action, username string, attrs ...map[string]any) map[string]any {
	return map[string]any{"action": action, "username": username, "displayName": "Name of " + username,
		"email": username + "@example.edu", "attributes": attrs}
}

func attr(name, old, new string) map[string]any {
	return map[string]any{"name": name, "old": old, "new": new}
}

// TestRecordChangesBadInput sends a batch with one bad change after good events for
// each rule: the answer names the change's field and nothing at all is stored.
func TestRecordChangesBadInput(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		many := make([]map[string]any, 51)
		for i := range many {
			many[i] = attr(fmt.Sprintf("a%d", i), "x", "y")
		}
		long := strings.Repeat("é", 2001)
		cases := []struct {
			name  string
			bad   map[string]any
			field string
		}{
			{"more ADDED than added", runInput("x", t0, map[string]int{"added": 1}, chg("ADDED", "a1"), chg("ADDED", "a2")), "input[1].changes[1].action"},
			{"UPDATED without updated", runInput("x", t0, map[string]int{"added": 1}, chg("UPDATED", "a1")), "input[1].changes[0].action"},
			{"FAILED over errors", runInput("x", t0, map[string]int{"failed": 0, "errors": 1}, chg("FAILED", "a1"), chg("FAILED", "a2")), "input[1].changes[1].action"},
			{"DELETED over deleted", runInput("x", t0, map[string]int{"deleted": 0}, chg("DELETED", "a1")), "input[1].changes[0].action"},
			{"DISABLED over disabled", runInput("x", t0, map[string]int{"disabled": 1}, chg("DISABLED", "a1"), chg("DISABLED", "a2")), "input[1].changes[1].action"},
			{"duplicate username", runInput("x", t0, map[string]int{"added": 1, "updated": 1}, chg("ADDED", "a1"), chg("UPDATED", "a1")), "input[1].changes[1].username"},
			{"empty username", runInput("x", t0, map[string]int{"added": 1}, chg("ADDED", "")), "input[1].changes[0].username"},
			{"51 attributes", runInput("x", t0, map[string]int{"updated": 1}, chg("UPDATED", "a1", many...)), "input[1].changes[0].attributes"},
			{"old value over 2,000 characters", runInput("x", t0, map[string]int{"updated": 1}, chg("UPDATED", "a1", attr("mail", long, "b"))), "input[1].changes[0].attributes[0].old"},
			{"new value over 2,000 characters", runInput("x", t0, map[string]int{"updated": 1}, chg("UPDATED", "a1", attr("mail", "a", long))), "input[1].changes[0].attributes[0].new"},
			{"empty attribute name", runInput("x", t0, map[string]int{"updated": 1}, chg("UPDATED", "a1", attr("", "a", "b"))), "input[1].changes[0].attributes[0].name"},
		}
		delete(cases[2].bad, "failed")
		before, changesBefore := rowCounts(t, db), changeCount(t, db)
		for _, tc := range cases {
			good := runInput("good", t0, map[string]int{"added": 1}, chg("ADDED", "brand.new.pupil"))
			r := b.srv.Do(t, b.token, recordMutation, map[string]any{"in": []map[string]any{good, tc.bad}})
			e := r.Error(t, "BAD_USER_INPUT")
			require.Contains(t, e.Message, tc.field, tc.name)
			require.Equal(t, before, rowCounts(t, db), "%s: nothing written", tc.name)
			require.Equal(t, changesBefore, changeCount(t, db), "%s: no change written", tc.name)
		}

		// The limits themselves pass: 50 attributes of 2,000 characters, a sample of
		// fewer changes than the counts, FAILED against errors.
		ok := strings.Repeat("é", 2000)
		full := make([]map[string]any, 50)
		for i := range full {
			full[i] = attr(fmt.Sprintf("a%d", i), ok, ok)
		}
		record(t, b.srv, b.token, []map[string]any{runInput("limits", t0, map[string]int{"updated": 5, "errors": 1},
			chg("UPDATED", "u1", full...), chg("FAILED", "u2"))})
		require.Equal(t, changesBefore+2, changeCount(t, db))
	})
}

const changesQuery = `query($id: ID!, $first: Int, $after: Cursor, $last: Int, $before: Cursor, $action: ChangeAction, $search: String) {
  node(id: $id) { ... on Event { changesRecorded changesCSVRows changesCSVURL
    changes(first: $first, after: $after, last: $last, before: $before, action: $action, search: $search) {
      totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id action username displayName email message at attributes { name old new } user { username } event { id } } }
  } } }
}`

type changePage struct {
	Node struct {
		ChangesRecorded int
		ChangesCSVRows  int
		ChangesCSVURL   string
		Changes         struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage, HasPreviousPage bool
				StartCursor, EndCursor       *string
			}
			Edges []struct {
				Cursor string
				Node   struct {
					ID, Action, Username string
					DisplayName, Email   *string
					Attributes           []struct {
						Name     string
						Old, New *string
					}
					User  struct{ Username string }
					Event struct{ ID string }
				}
			}
		}
	}
}

// TestRunChangesPaging pages through a run's changes forwards and backwards, with an
// action filter and a search, and checks every page against the input order.
func TestRunChangesPaging(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		var changes []map[string]any
		var want, wantUpdated []string
		for i := range 23 {
			action := []string{"ADDED", "UPDATED", "DISABLED"}[i%3]
			name := fmt.Sprintf("pupil.%02d", 23-i) // not in ID order by name
			c := chg(action, name)
			if action == "UPDATED" {
				c["attributes"] = []map[string]any{attr("givenName", "Old", "New"), attr("memberOf", "", "Year 7")}
				wantUpdated = append(wantUpdated, name)
			}
			changes = append(changes, c)
			want = append(want, name)
		}
		recs, _ := record(t, b.srv, b.token, []map[string]any{runInput("run", t0, map[string]int{"added": 10, "updated": 8, "disabled": 8}, changes...)})
		id := apitest.ID(recs[0].ID)

		page := func(vars map[string]any) changePage {
			vars["id"] = id
			var p changePage
			b.srv.Do(t, b.token, changesQuery, vars).OK(t).Decode(t, &p)
			return p
		}
		names := func(p changePage) []string {
			var out []string
			for _, e := range p.Node.Changes.Edges {
				require.Equal(t, e.Node.Username, e.Node.User.Username)
				require.Equal(t, id, e.Node.Event.ID)
				out = append(out, e.Node.Username)
			}
			return out
		}
		first := page(map[string]any{"first": 1})
		require.Equal(t, 23, first.Node.ChangesRecorded)
		require.Equal(t, 23-len(wantUpdated)+2*len(wantUpdated), first.Node.ChangesCSVRows)
		require.Equal(t, fmt.Sprintf("/events/%s/changes.csv", id), first.Node.ChangesCSVURL)
		require.Equal(t, 23, first.Node.Changes.TotalCount)

		// Forwards by 5.
		var got []string
		vars := map[string]any{"first": 5}
		for {
			p := page(vars)
			got = append(got, names(p)...)
			if !p.Node.Changes.PageInfo.HasNextPage {
				break
			}
			vars = map[string]any{"first": 5, "after": *p.Node.Changes.PageInfo.EndCursor}
		}
		require.Equal(t, want, got)
		// Backwards by 4.
		got = nil
		vars = map[string]any{"last": 4}
		for {
			p := page(vars)
			got = append(names(p), got...)
			if !p.Node.Changes.PageInfo.HasPreviousPage {
				break
			}
			vars = map[string]any{"last": 4, "before": *p.Node.Changes.PageInfo.StartCursor}
		}
		require.Equal(t, want, got)

		// One action, and its attributes in order.
		p := page(map[string]any{"first": 50, "action": "UPDATED"})
		require.Equal(t, wantUpdated, names(p))
		require.Equal(t, "givenName", p.Node.Changes.Edges[0].Node.Attributes[0].Name)
		require.Equal(t, "New", *p.Node.Changes.Edges[0].Node.Attributes[0].New)
		// A search over username, display name and email, ignoring case.
		require.Equal(t, []string{"pupil.07"}, names(page(map[string]any{"first": 50, "search": "NAME OF PUPIL.07"})))
		require.Equal(t, []string{"pupil.13"}, names(page(map[string]any{"first": 50, "search": "pupil.13@"})))
		require.Len(t, names(page(map[string]any{"first": 50, "search": "pupil.1"})), 10)
	})
}

const timelineQuery = `query($id: ID!, $first: Int, $after: Cursor, $last: Int, $before: Cursor) {
  node(id: $id) { ... on User { username firstSeenAt provisionedAt provisionedBy { id } lastSignInAt
    failedSignInsSince(since: "2026-02-01T00:00:00Z")
    timeline(first: $first, after: $after, last: $last, before: $before) {
      totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { at event { id type } change { id action } } }
  } } }
}`

type timelinePage struct {
	Node struct {
		Username           string
		FirstSeenAt        *time.Time
		ProvisionedAt      *time.Time
		ProvisionedBy      *struct{ ID string }
		LastSignInAt       *time.Time
		FailedSignInsSince int
		Timeline           struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage, HasPreviousPage bool
				StartCursor, EndCursor       *string
			}
			Edges []struct {
				Cursor string
				Node   struct {
					At     time.Time
					Event  struct{ ID, Type string }
					Change *struct{ ID, Action string }
				}
			}
		}
	}
}

// TestUserTimeline gives a user actor events and changes, many at the same instant,
// and pages through the timeline both ways: one list, newest first, nothing skipped or
// repeated. It also checks the user's provisioning and sign-in facts.
func TestUserTimeline(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		var in []map[string]any
		// Runs at three instants, several per instant, each changing the user.
		for i := range 9 {
			fin := t0.Add(time.Duration(i/3) * time.Hour)
			action, counts := "UPDATED", map[string]int{"updated": 1}
			if i == 0 {
				action, counts = "ADDED", map[string]int{"added": 1}
			}
			in = append(in, runInput(fmt.Sprintf("run-%d", i), fin, counts, chg(action, "jo.pupil")))
		}
		// Logins at the same instants, and failed ones.
		for i := range 7 {
			fin := t0.Add(time.Duration(i%3) * time.Hour)
			typ := "AUTHORISATION"
			if i >= 5 {
				typ = "AUTHENTICATION_FAILED"
			}
			in = append(in, map[string]any{"type": typ, "username": "jo.pupil",
				"startedAt": fin.Format(time.RFC3339), "finishedAt": fin.Format(time.RFC3339), "externalID": fmt.Sprintf("login-%d", i)})
		}
		recs, evs := record(t, b.srv, b.token, in)
		userID := evs[9].User.ID

		page := func(vars map[string]any) timelinePage {
			vars["id"] = userID
			var p timelinePage
			b.srv.Do(t, b.token, timelineQuery, vars).OK(t).Decode(t, &p)
			return p
		}
		type key struct {
			at   time.Time
			kind string
			id   string
		}
		keys := func(p timelinePage) []key {
			var out []key
			for _, e := range p.Node.Timeline.Edges {
				if e.Node.Change != nil {
					out = append(out, key{e.Node.At, "change", e.Node.Change.ID})
				} else {
					out = append(out, key{e.Node.At, "event", e.Node.Event.ID})
				}
			}
			return out
		}
		all := page(map[string]any{"first": 100})
		require.Equal(t, 16, all.Node.Timeline.TotalCount)
		full := keys(all)
		require.Len(t, full, 16)
		require.True(t, slices.IsSortedFunc(full, func(a, b key) int { return b.at.Compare(a.at) }), "newest first")

		var fwd []key
		vars := map[string]any{"first": 3}
		for {
			p := page(vars)
			fwd = append(fwd, keys(p)...)
			if !p.Node.Timeline.PageInfo.HasNextPage {
				break
			}
			vars = map[string]any{"first": 3, "after": *p.Node.Timeline.PageInfo.EndCursor}
		}
		require.Equal(t, full, fwd)
		var back []key
		vars = map[string]any{"last": 4}
		for {
			p := page(vars)
			back = append(keys(p), back...)
			if !p.Node.Timeline.PageInfo.HasPreviousPage {
				break
			}
			vars = map[string]any{"last": 4, "before": *p.Node.Timeline.PageInfo.StartCursor}
		}
		require.Equal(t, full, back)

		u := all.Node
		require.True(t, t0.Equal(*u.FirstSeenAt))
		require.True(t, t0.Equal(*u.ProvisionedAt))
		require.Equal(t, apitest.ID(recs[0].ID), u.ProvisionedBy.ID)
		require.True(t, t0.Add(2*time.Hour).Equal(*u.LastSignInAt), "the latest AUTHORISATION")
		require.Equal(t, 2, u.FailedSignInsSince)

		r := b.srv.Do(t, b.token, timelineQuery, map[string]any{"id": userID, "first": 2, "after": "gqFpzQPo"})
		r.Error(t, "BAD_USER_INPUT")
	})
}

// TestChangesAcrossSchools records a change for a username that exists in another
// school: the change goes to a new account of the recording school, and the other
// school's user, timeline and run pages never see it.
func TestChangesAcrossSchools(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		a := setup(t, db)
		other := a.srv.CreateSchool(t, "school-b", "UTC")
		tokB := a.srv.Token(t, other.ID, "reports:read", "events:write")

		_, evA := record(t, a.srv, a.token, []map[string]any{loginInput("a-login", "alice")})
		aliceA := evA[0].User.ID
		recsB, _ := record(t, a.srv, tokB, []map[string]any{runInput("b-run", t0, map[string]int{"updated": 1}, chg("UPDATED", "alice"))})

		ctx := tenant.System(context.Background())
		chs, err := db.Client.Change.Query().All(ctx)
		require.NoError(t, err)
		require.Len(t, chs, 1)
		require.Equal(t, other.ID, chs[0].SchoolID)
		require.NotEqual(t, apitest.IntID(t, aliceA), chs[0].UserID, "a new account of school B, not school A's alice")
		u, err := db.Client.User.Get(ctx, chs[0].UserID)
		require.NoError(t, err)
		require.Equal(t, other.ID, u.SchoolID)

		var p timelinePage
		a.srv.Do(t, a.token, timelineQuery, map[string]any{"id": aliceA, "first": 50}).OK(t).Decode(t, &p)
		require.Equal(t, 1, p.Node.Timeline.TotalCount, "school A's alice has only her own login")
		require.Nil(t, p.Node.ProvisionedAt)
		// School A cannot open school B's run, nor its change.
		r := a.srv.Do(t, a.token, changesQuery, map[string]any{"id": apitest.ID(recsB[0].ID), "first": 5})
		require.Contains(t, string(r.Data), `"node":null`)
		r = a.srv.Do(t, a.token, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": apitest.ID(chs[0].ID)})
		require.Contains(t, string(r.Data), `"node":null`)
	})
}

// TestRetentionRemovesChanges purges old runs and checks their changes went with them
// while a newer run's stay.
func TestRetentionRemovesChanges(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		record(t, b.srv, b.token, []map[string]any{
			runInput("old", t0.AddDate(0, -6, 0), map[string]int{"added": 2}, chg("ADDED", "p1"), chg("ADDED", "p2")),
			runInput("new", t0, map[string]int{"updated": 1}, chg("UPDATED", "p1")),
		})
		require.Equal(t, 3, changeCount(t, db))
		n, err := retention.Purge(context.Background(), db, t0.AddDate(0, -1, 0))
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		require.Equal(t, 1, changeCount(t, db))
	})
}

// TestAdoption counts the users runs of a profile added since an instant, and which of
// them signed in after being added.
func TestAdoption(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		login := func(ext, u string, at time.Time) map[string]any {
			return map[string]any{"type": "AUTHENTICATION", "username": u, "startedAt": at.Format(time.RFC3339), "finishedAt": at.Format(time.RFC3339), "externalID": ext}
		}
		other := runInput("other", t0, map[string]int{"added": 1}, chg("ADDED", "staff.1"))
		other["syncProfile"] = "LDAP Staff"
		_, evs := record(t, b.srv, b.token, []map[string]any{
			runInput("old", t0.AddDate(0, -3, 0), map[string]int{"added": 1}, chg("ADDED", "old.pupil")),
			runInput("run", t0, map[string]int{"added": 4}, chg("ADDED", "p1"), chg("ADDED", "p2"), chg("ADDED", "p3"), chg("ADDED", "p4")),
			other,
			login("l1", "p1", t0.Add(time.Hour)),
			login("l2", "p2", t0.Add(-time.Hour)), // before being added: does not count
			login("l3", "staff.1", t0.Add(time.Hour)),
		})
		profile := evs[1].SyncProfile.ID
		since := t0.AddDate(0, 0, -30).Format(time.RFC3339)
		q := `query($p: ID, $since: Time) { adoption(syncProfileID: $p, since: $since) { provisioned signedIn neverSignedIn }
		  neverSignedIn(first: 10, syncProfileID: $p, since: $since) { totalCount edges { node { username } } } }`
		var out struct {
			Adoption      struct{ Provisioned, SignedIn, NeverSignedIn int }
			NeverSignedIn struct {
				TotalCount int
				Edges      []struct{ Node struct{ Username string } }
			}
		}
		b.srv.Do(t, b.token, q, map[string]any{"p": profile, "since": since}).OK(t).Decode(t, &out)
		require.Equal(t, 4, out.Adoption.Provisioned)
		require.Equal(t, 1, out.Adoption.SignedIn)
		require.Equal(t, 3, out.Adoption.NeverSignedIn)
		require.Equal(t, 3, out.NeverSignedIn.TotalCount)
		var never []string
		for _, e := range out.NeverSignedIn.Edges {
			never = append(never, e.Node.Username)
		}
		slices.Sort(never)
		require.Equal(t, []string{"p2", "p3", "p4"}, never)

		// Backwards: the last two, then the one before them, in the same order as forwards.
		var back struct {
			NeverSignedIn struct {
				Edges    []struct{ Node struct{ Username string } }
				PageInfo struct{ StartCursor string }
			}
		}
		bq := `query($p: ID, $since: Time, $before: Cursor) { neverSignedIn(last: 2, before: $before, syncProfileID: $p, since: $since) {
		  edges { node { username } } pageInfo { startCursor } } }`
		b.srv.Do(t, b.token, bq, map[string]any{"p": profile, "since": since}).OK(t).Decode(t, &back)
		require.Len(t, back.NeverSignedIn.Edges, 2)
		require.Equal(t, out.NeverSignedIn.Edges[1].Node.Username, back.NeverSignedIn.Edges[0].Node.Username)
		require.Equal(t, out.NeverSignedIn.Edges[2].Node.Username, back.NeverSignedIn.Edges[1].Node.Username)
		b.srv.Do(t, b.token, bq, map[string]any{"p": profile, "since": since, "before": back.NeverSignedIn.PageInfo.StartCursor}).OK(t).Decode(t, &back)
		require.Len(t, back.NeverSignedIn.Edges, 1)
		require.Equal(t, out.NeverSignedIn.Edges[0].Node.Username, back.NeverSignedIn.Edges[0].Node.Username)

		b.srv.Do(t, b.token, q, map[string]any{}).OK(t).Decode(t, &out)
		require.Equal(t, 6, out.Adoption.Provisioned, "every profile, all time")
		require.Equal(t, 2, out.Adoption.SignedIn)
	})
}

// TestChangesCSV downloads a run's changes: one row per attribute change, one for a
// change without attributes, formulas neutralised; another school gets 404.
func TestChangesCSV(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		failed := chg("FAILED", "=cmd.pupil")
		failed["message"] = "mailbox quota exceeded"
		recs, _ := record(t, b.srv, b.token, []map[string]any{runInput("run", t0, map[string]int{"updated": 1, "errors": 1},
			chg("UPDATED", "jo", attr("givenName", "Jo", "Joanna"), attr("mail", "", "+jo@example.edu")), failed)})
		get := func(token string, id int) (*http.Response, string) {
			req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/events/%d/changes.csv", b.srv.URL, id), nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			return res, string(body)
		}
		res, body := get(b.token, recs[0].ID)
		require.Equal(t, http.StatusOK, res.StatusCode, body)
		require.Equal(t, "text/csv; charset=utf-8", res.Header.Get("Content-Type"))
		require.Equal(t, "\xEF\xBB\xBFaction,username,display_name,email,attribute,old,new,message\r\n"+
			"UPDATED,jo,Name of jo,jo@example.edu,givenName,Jo,Joanna,\r\n"+
			"UPDATED,jo,Name of jo,jo@example.edu,mail,,'+jo@example.edu,\r\n"+
			"FAILED,'=cmd.pupil,Name of =cmd.pupil,=cmd.pupil@example.edu,,,,mailbox quota exceeded\r\n", strings.ReplaceAll(body, "'=cmd.pupil@", "=cmd.pupil@"))
		require.Contains(t, body, ",'=cmd.pupil@example.edu,")
		require.Equal(t, "3", res.Header.Get("X-Row-Count"))

		other := b.srv.CreateSchool(t, "school-csv-b", "UTC")
		res, _ = get(b.srv.Token(t, other.ID, "reports:read"), recs[0].ID)
		require.Equal(t, http.StatusNotFound, res.StatusCode)
	})
}

// TestRequestChangesExport starts the email path of a run's changes: the export names
// the run, and another school's run is not found.
func TestRequestChangesExport(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		recs, _ := record(t, b.srv, b.token, []map[string]any{runInput("run", t0, map[string]int{"added": 1}, chg("ADDED", "jo"))})
		q := `mutation($id: ID!) { requestChangesExport(eventID: $id) { id status event { id } } }`
		var out struct {
			RequestChangesExport struct {
				ID, Status string
				Event      struct{ ID string }
			}
		}
		b.srv.Do(t, b.token, q, map[string]any{"id": apitest.ID(recs[0].ID)}).OK(t).Decode(t, &out)
		require.Equal(t, apitest.ID(recs[0].ID), out.RequestChangesExport.Event.ID)

		other := b.srv.CreateSchool(t, "school-exp-b", "UTC")
		r := b.srv.Do(t, b.srv.Token(t, other.ID, "reports:read"), q, map[string]any{"id": apitest.ID(recs[0].ID)})
		r.Error(t, "NOT_FOUND")
	})
}

// TestChangeUsernameAlone asks for a page of changes with the username and the action,
// alone or beside some other fields of the account: every username must come back,
// whichever fields of the account the query selects.
func TestChangeUsernameAlone(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		recs, _ := record(t, b.srv, b.token, []map[string]any{runInput("run", t0, map[string]int{"added": 2, "updated": 2, "disabled": 1},
			chg("ADDED", "ann.lee"), chg("UPDATED", "bo.ng", attr("givenName", "Bo", "Bob")), chg("ADDED", "cy.day"),
			chg("DISABLED", "di.fox"), chg("UPDATED", "ed.gold"))})
		// The account's fields other than its username are asked for too, as the run page
		// does to link each row: they must not take the username's place.
		for _, sel := range []string{"username action", "username action user { id }", "action user { id displayName } username"} {
			q := `query($id: ID!) { node(id: $id) { ... on Event { changes(first: 5) { edges { node { ` + sel + ` } } } } } }`
			var p struct {
				Node struct {
					Changes struct {
						Edges []struct {
							Node struct{ Username, Action string }
						}
					}
				}
			}
			b.srv.Do(t, b.token, q, map[string]any{"id": apitest.ID(recs[0].ID)}).OK(t).Decode(t, &p)
			var got []string
			for _, e := range p.Node.Changes.Edges {
				got = append(got, e.Node.Action+" "+e.Node.Username)
			}
			require.Equal(t, []string{"ADDED ann.lee", "UPDATED bo.ng", "ADDED cy.day", "DISABLED di.fox", "UPDATED ed.gold"}, got, sel)
		}
	})
}
