package graph_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// rowCounts counts every row recordEvents may write, across all schools.
func rowCounts(t *testing.T, db *store.DB) [3]int {
	t.Helper()
	ctx := tenant.System(context.Background())
	e, err := db.Client.Event.Query().Count(ctx)
	require.NoError(t, err)
	u, err := db.Client.User.Query().Count(ctx)
	require.NoError(t, err)
	p, err := db.Client.SyncProfile.Query().Count(ctx)
	require.NoError(t, err)
	return [3]int{e, u, p}
}

var t0 = time.Date(2026, 2, 9, 23, 15, 0, 0, time.UTC)

func syncInput(ext string) map[string]any {
	return map[string]any{
		"type": "ACCOUNT_SYNCHRONIZATION", "syncProfile": "LDAP Staff", "processed": 10, "updated": 1,
		"startedAt": t0.Format(time.RFC3339), "finishedAt": t0.Add(time.Minute).Format(time.RFC3339),
		"externalID": ext,
	}
}

func loginInput(ext, username string) map[string]any {
	return map[string]any{
		"type": "AUTHORISATION", "username": username, "service": "Canvas",
		"startedAt": t0.Format(time.RFC3339), "finishedAt": t0.Format(time.RFC3339), "externalID": ext,
	}
}

// TestRecordEventsIdempotent proves that a repeated externalID answers with the event
// already stored and writes nothing, across calls and within one batch.
func TestRecordEventsIdempotent(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		first, _ := record(t, b.srv, b.token, []map[string]any{syncInput("run-1"), loginInput("login-1", "alice")})
		before := rowCounts(t, db)

		// The same external IDs again, with different values: the stored events answer.
		changed := syncInput("run-1")
		changed["updated"], changed["finishedAt"] = 99, t0.Add(time.Hour).Format(time.RFC3339)
		var out struct {
			RecordEvents struct{ Events []eventJSON } `json:"recordEvents"`
		}
		b.srv.Do(t, b.token, recordMutation, map[string]any{"in": []map[string]any{
			loginInput("login-1", "someone.else"), changed,
		}}).OK(t).Decode(t, &out)
		again := out.RecordEvents.Events
		require.Len(t, again, 2)
		require.Equal(t, apitest.ID(first[1].ID), again[0].ID)
		require.Equal(t, apitest.ID(first[0].ID), again[1].ID)
		require.Equal(t, 1, again[1].Updated, "the stored event, not the repeated input")
		require.True(t, t0.Add(time.Minute).Equal(again[1].DateFinished))
		require.Equal(t, "alice", again[0].User.Username)
		require.Equal(t, before, rowCounts(t, db), "a repeat writes nothing, not even the new username")

		// Duplicates within one batch are one event, answered at both positions, and a
		// new event in between is written once.
		_, dup := record(t, b.srv, b.token, []map[string]any{syncInput("run-2"), syncInput("run-3"), syncInput("run-2")})
		require.Equal(t, dup[0].ID, dup[2].ID)
		require.NotEqual(t, dup[0].ID, dup[1].ID)
		after := rowCounts(t, db)
		require.Equal(t, before[0]+2, after[0])

		// Events without an externalID are never merged.
		noExt := syncInput("")
		delete(noExt, "externalID")
		_, two := record(t, b.srv, b.token, []map[string]any{noExt, noExt})
		require.NotEqual(t, two[0].ID, two[1].ID)
		require.Equal(t, after[0]+2, rowCounts(t, db)[0])
	})
}

// TestRecordEventsCreatesUsersAndProfiles checks that unknown actors become directory
// accounts (role NONE) and unknown sync profiles are created with the kind the event
// type implies, while known ones are reused.
func TestRecordEventsCreatesUsersAndProfiles(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		kinds := map[string]string{
			"ACCOUNT_PROVISIONING": "SCRIPT", "ACCOUNT_SYNCHRONIZATION": "LDAP", "SYNC_ERROR": "LDAP",
			"USER_CSV_PROCESSED": "USER_CSV", "USER_CSV_FAILED": "USER_CSV", "USER_CSV_PROCESSED_WITH_ERRORS": "USER_CSV",
			"GROUPS_CSV_PROCESSED": "GROUP_CSV", "GROUP_CSV_FAILED": "GROUP_CSV", "GROUPS_CSV_PROCESSED_WITH_ERRORS": "GROUP_CSV",
		}
		var in []map[string]any
		var types []string
		for typ := range kinds {
			e := syncInput("k-" + typ)
			e["type"], e["syncProfile"], e["username"] = typ, "Profile "+typ, "actor."+strings.ToLower(typ)
			in = append(in, e)
			types = append(types, typ)
		}
		in = append(in, loginInput("login", "new.student"))
		_, evs := record(t, b.srv, b.token, in)
		for i, typ := range types {
			require.Equal(t, kinds[typ], evs[i].SyncProfile.Kind, typ)
			require.Equal(t, "NONE", evs[i].User.Role, typ)
		}
		require.Equal(t, "NONE", evs[len(evs)-1].User.Role)
		require.Equal(t, "Authorisation", evs[len(evs)-1].TypeName)

		// A known profile is reused whatever the event type, and so is a known user.
		before := rowCounts(t, db)
		e := syncInput("reuse")
		e["type"], e["syncProfile"], e["username"] = "USER_CSV_PROCESSED", "Profile ACCOUNT_SYNCHRONIZATION", "new.student"
		_, again := record(t, b.srv, b.token, []map[string]any{e})
		require.Equal(t, "LDAP", again[0].SyncProfile.Kind)
		require.Equal(t, evs[slices.Index(types, "ACCOUNT_SYNCHRONIZATION")].SyncProfile.ID, again[0].SyncProfile.ID)
		require.Equal(t, evs[len(evs)-1].User.ID, again[0].User.ID)
		require.Equal(t, [3]int{before[0] + 1, before[1], before[2]}, rowCounts(t, db))
	})
}

// TestRecordEventsBadInput sends every kind of bad row the API refuses in the middle of
// an otherwise good batch that names a new user and a new profile: each is refused with
// BAD_USER_INPUT naming the row and field, and nothing at all is written.
func TestRecordEventsBadInput(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		record(t, b.srv, b.token, []map[string]any{syncInput("existing")})

		batch := func(bad map[string]any) []map[string]any {
			first := syncInput("good-1")
			first["syncProfile"], first["username"] = "Brand New Profile", "brand.new.user"
			return []map[string]any{first, loginInput("good-2", "another.new.user"), bad, syncInput("existing")}
		}
		with := func(base map[string]any, kv ...any) map[string]any {
			for i := 0; i < len(kv); i += 2 {
				if kv[i+1] == nil {
					delete(base, kv[i].(string))
				} else {
					base[kv[i].(string)] = kv[i+1]
				}
			}
			return base
		}
		cases := []struct {
			name  string
			in    []map[string]any
			field string // expected in the message
		}{
			{"processed < 0", batch(with(syncInput("x"), "processed", -1)), "input[2].processed"},
			{"added < 0", batch(with(syncInput("x"), "added", -1)), "input[2].added"},
			{"updated < 0", batch(with(syncInput("x"), "updated", -3)), "input[2].updated"},
			{"deleted < 0", batch(with(syncInput("x"), "deleted", -1)), "input[2].deleted"},
			{"disabled < 0", batch(with(syncInput("x"), "disabled", -1)), "input[2].disabled"},
			{"errors < 0", batch(with(syncInput("x"), "errors", -1)), "input[2].errors"},
			{"startedAt after finishedAt", batch(with(syncInput("x"), "startedAt", t0.Add(time.Hour).Format(time.RFC3339))), "input[2].startedAt"},
			{"dateStarted after finishedAt", batch(with(with(syncInput("x"), "startedAt", nil), "dateStarted", t0.Add(time.Hour).Format(time.RFC3339))), "input[2].startedAt"},
			{"no startedAt under either name", batch(with(syncInput("x"), "startedAt", nil)), "input[2].startedAt: is required"},
			{"startedAt and a different dateStarted", batch(with(syncInput("x"), "dateStarted", t0.Add(-time.Hour).Format(time.RFC3339))), "input[2].dateStarted: differs from startedAt"},
			{"details over 64 KiB", batch(with(syncInput("x"), "details", strings.Repeat("x", 64<<10+1))), "input[2].details"},
			{"auth without username", batch(with(loginInput("x", "u"), "username", nil)), "input[2].username"},
			{"auth with empty username", batch(with(loginInput("x", ""), "type", "AUTHENTICATION_FAILED")), "input[2].username"},
			{"auth with syncProfile", batch(with(loginInput("x", "u"), "syncProfile", "LDAP Staff")), "input[2].syncProfile"},
			{"authentication with syncProfile", batch(with(loginInput("x", "u"), "type", "AUTHENTICATION", "syncProfile", "LDAP Staff")), "input[2].syncProfile"},
			{"sync without syncProfile", batch(with(syncInput("x"), "syncProfile", nil)), "input[2].syncProfile"},
			{"csv failure without syncProfile", batch(with(syncInput("x"), "type", "USER_CSV_FAILED", "syncProfile", nil)), "input[2].syncProfile"},
			{"malformed finishedAt", batch(with(syncInput("x"), "finishedAt", "next tuesday")), "input[2].finishedAt: is not a valid time"},
			{"malformed startedAt", batch(with(syncInput("x"), "startedAt", "2026-02-30T10:00:00Z")), "input[2].startedAt: is not a valid time"},
			{"empty batch", []map[string]any{}, "input"},
		}
		over := make([]map[string]any, 1001)
		for i := range over {
			over[i] = syncInput(fmt.Sprintf("big-%d", i))
		}
		cases = append(cases, struct {
			name  string
			in    []map[string]any
			field string
		}{"batch over 1,000", over, "1000"})

		before := rowCounts(t, db)
		for _, tc := range cases {
			r := b.srv.Do(t, b.token, recordMutation, map[string]any{"in": tc.in})
			e := r.Error(t, "BAD_USER_INPUT")
			require.Contains(t, e.Message, tc.field, tc.name)
			require.Equal(t, "null", strings.TrimSpace(string(r.Data)), tc.name)
			require.Equal(t, before, rowCounts(t, db), "%s: nothing written", tc.name)
		}

		// The limits themselves are allowed: exactly 64 KiB of details, exactly 1,000 events.
		ok := syncInput("big-details")
		ok["details"] = strings.Repeat("é", 32<<10)
		record(t, b.srv, b.token, []map[string]any{ok})
		record(t, b.srv, b.token, over[:1000])
		require.Equal(t, before[0]+1001, rowCounts(t, db)[0])
	})
}

// TestReportBadInput sends every bad filter, cursor and time the API refuses to events and
// eventSummary: each is BAD_USER_INPUT with a message that says what is wrong, never a
// 500 and never an internal error.
func TestReportBadInput(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		_, evs := record(t, b.srv, b.token, []map[string]any{syncInput("a"), loginInput("b", "alice")})
		profileID, userID := evs[0].SyncProfile.ID, evs[1].User.ID

		cases := []struct {
			name    string
			filter  map[string]any
			cursor  any
			message string
		}{
			{"from after to", map[string]any{"from": "2026-03-02T10:00:00Z", "to": "2026-03-02T09:59:59Z"}, nil, "filter.from: from (2026-03-02T10:00:00Z) is after to"},
			{"unknown userID", map[string]any{"userID": "999999"}, nil, "filter.userID: no user with ID 999999"},
			{"a profile's ID as userID", map[string]any{"userID": profileID}, nil, "no user"},
			{"unknown syncProfileID", map[string]any{"syncProfileID": "999999"}, nil, "filter.syncProfileID: no sync profile with ID 999999"},
			{"a user's ID as syncProfileID", map[string]any{"syncProfileID": userID}, nil, "no sync profile"},
			{"non-numeric userID", map[string]any{"userID": "alice"}, nil, "filter.userID: is not a valid ID"},
			{"malformed from", map[string]any{"from": "yesterday"}, nil, "filter.from: is not a valid time"},
			{"malformed to", map[string]any{"to": "2026-03-02 10:00"}, nil, "filter.to: is not a valid time"},
			{"malformed cursor", nil, "not-a-cursor", "after: is not a cursor"},
			{"cursor of valid base64 garbage", nil, "Z2FyYmFnZQ==", "after: is not a cursor"},
		}
		for _, tc := range cases {
			vars := map[string]any{"f": tc.filter}
			if tc.cursor != nil {
				vars["after"] = tc.cursor
			}
			e := b.srv.Do(t, b.token, eventsQuery, vars).Error(t, "BAD_USER_INPUT")
			require.Contains(t, e.Message, tc.message, tc.name)
			require.NotContains(t, strings.ToLower(e.Message), "sql", tc.name)
			if tc.cursor == nil {
				e := b.srv.Do(t, b.token, `query($f: ReportFilter) { eventSummary(filter: $f) { events } }`, vars).
					Error(t, "BAD_USER_INPUT")
				require.Contains(t, e.Message, tc.message, "eventSummary: "+tc.name)
			}
		}
		// The same mistakes written inline in the query rather than as variables.
		for q, msg := range map[string]string{
			`{ events(filter: {from: "yesterday"}) { totalCount } }`:         "filter.from: is not a valid time",
			`{ events(after: "not-a-cursor") { totalCount } }`:               "after: is not a cursor",
			`{ events(before: "bm90LWEtY3Vyc29y", last: 2) { totalCount } }`: "before: is not a cursor",
			`{ eventSummary(filter: {to: "soon"}) { events } }`:              "filter.to: is not a valid time",
			`{ users(after: "not-a-cursor") { totalCount } }`:                "after: is not a cursor",
		} {
			e := b.srv.Do(t, b.token, q, nil).Error(t, "BAD_USER_INPUT")
			require.Contains(t, e.Message, msg, q)
		}

		// A cursor of one connection handed to another is refused, not run.
		var us struct {
			Users struct{ Edges []struct{ Cursor string } }
		}
		b.srv.Do(t, b.token, `{ users { edges { cursor } } }`, nil).OK(t).Decode(t, &us)
		require.NotEmpty(t, us.Users.Edges)
		b.srv.Do(t, b.token, eventsQuery, map[string]any{"after": us.Users.Edges[0].Cursor}).Error(t, "BAD_USER_INPUT")
		c := events(t, b.srv, b.token, map[string]any{"f": map[string]any{"activeOnly": false}})
		require.NotEmpty(t, c.Edges)
		b.srv.Do(t, b.token, `query($a: Cursor) { users(after: $a) { totalCount } }`, map[string]any{"a": c.Edges[0].Cursor}).
			Error(t, "BAD_USER_INPUT")
	})
}
