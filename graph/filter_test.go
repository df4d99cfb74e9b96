package graph_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// TestEventsFilter checks every ReportFilter field, alone and combined, through the
// GraphQL endpoint against a reference the test computes over the events it recorded.
func TestEventsFilter(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		rng := rand.New(rand.NewPCG(2, 7))
		base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		evs, _ := record(t, b.srv, b.token, genEvents(rng, 180, base, "f"))

		all := expect(evs, refFilter{ActiveOnly: ptr(false)})
		active := expect(evs, refFilter{})
		// The data must exercise the rule both ways, or the cases below prove little.
		require.Len(t, all, len(evs))
		require.Less(t, len(active), len(all), "some events are idle")
		require.True(t, slices.ContainsFunc(active, func(e recorded) bool {
			return slices.Contains(idleCandidates, e.Type) && e.Processed == 0
		}), "a zero-processed run is in the default report")

		var userIDs, profileIDs []int
		for _, e := range evs {
			if e.UserID != 0 && !slices.Contains(userIDs, e.UserID) {
				userIDs = append(userIDs, e.UserID)
			}
			if e.ProfileID != 0 && !slices.Contains(profileIDs, e.ProfileID) {
				profileIDs = append(profileIDs, e.ProfileID)
			}
		}
		require.Len(t, userIDs, 4)
		require.Len(t, profileIDs, 3)
		// A finish time shared by several events, and one with microseconds.
		tie := base.Add(5 * time.Hour)
		var micro time.Time
		for _, e := range evs {
			if e.Finished.Nanosecond() != 0 {
				micro = e.Finished
				break
			}
		}
		require.False(t, micro.IsZero())
		sydney, err := time.LoadLocation("Australia/Sydney")
		require.NoError(t, err)

		cases := []struct {
			name string
			f    refFilter
		}{
			{"none", refFilter{}},
			{"activeOnly true", refFilter{ActiveOnly: ptr(true)}},
			{"activeOnly false", refFilter{ActiveOnly: ptr(false)}},
			{"from inclusive", refFilter{From: &tie}},
			{"to exclusive", refFilter{To: &tie}},
			{"from and to", refFilter{From: ptr(base.Add(2 * time.Hour)), To: &tie}},
			{"from equals to", refFilter{From: &tie, To: &tie}},
			{"from in another zone", refFilter{From: &tie, To: ptr(tie.Add(3 * time.Hour)), zone: sydney}},
			{"from at microseconds", refFilter{From: &micro, ActiveOnly: ptr(false)}},
			{"to at microseconds", refFilter{To: &micro, ActiveOnly: ptr(false)}},
			{"user", refFilter{UserID: userIDs[0]}},
			{"other user, all", refFilter{UserID: userIDs[1], ActiveOnly: ptr(false)}},
			{"profile", refFilter{ProfileID: profileIDs[0]}},
			{"profile, all", refFilter{ProfileID: profileIDs[1], ActiveOnly: ptr(false)}},
			{"one type", refFilter{Types: []string{"ACCOUNT_SYNCHRONIZATION"}}},
			{"one type, all", refFilter{Types: []string{"ACCOUNT_SYNCHRONIZATION"}, ActiveOnly: ptr(false)}},
			{"auth types", refFilter{Types: []string{"AUTHENTICATION", "AUTHORISATION", "AUTHENTICATION_FAILED"}}},
			{"types empty list", refFilter{typesEmpty: true}},
			{"user and types and from", refFilter{UserID: userIDs[2], Types: []string{"AUTHORISATION", "USER_CSV_PROCESSED"}, From: ptr(base.Add(3 * time.Hour))}},
			{"profile and to, all", refFilter{ProfileID: profileIDs[2], To: ptr(base.Add(8 * time.Hour)), ActiveOnly: ptr(false)}},
			{"user and profile", refFilter{UserID: userIDs[0], ProfileID: profileIDs[0], ActiveOnly: ptr(false)}},
			{"everything", refFilter{From: ptr(base.Add(time.Hour)), To: ptr(base.Add(10 * time.Hour)), UserID: userIDs[3],
				ProfileID: profileIDs[1], Types: idleCandidates, ActiveOnly: ptr(false)}},
			{"nothing matches", refFilter{From: ptr(base.Add(-48 * time.Hour)), To: ptr(base.Add(-24 * time.Hour))}},
			{"flagged", refFilter{Flagged: ptr(true)}},
			{"flagged, all", refFilter{Flagged: ptr(true), ActiveOnly: ptr(false)}},
			{"not flagged", refFilter{Flagged: ptr(false)}},
			{"flagged profile and type", refFilter{Flagged: ptr(true), ProfileID: profileIDs[0], Types: []string{"ACCOUNT_SYNCHRONIZATION"}}},
		}
		require.True(t, slices.ContainsFunc(evs, func(e recorded) bool { return len(e.Flags) > 0 }), "some runs are flagged")
		require.True(t, slices.ContainsFunc(evs, func(e recorded) bool { return len(e.Flags) == 0 }), "some runs are not")
		// Random filters on top of the hand-picked ones.
		for range 40 {
			var f refFilter
			if rng.IntN(2) == 0 {
				f.From = ptr(base.Add(time.Duration(rng.IntN(13)) * time.Hour))
			}
			if rng.IntN(2) == 0 {
				f.To = ptr(base.Add(time.Duration(rng.IntN(13)) * time.Hour))
				if f.From != nil && f.To.Before(*f.From) {
					f.From, f.To = f.To, f.From
				}
			}
			if rng.IntN(3) == 0 {
				f.UserID = userIDs[rng.IntN(len(userIDs))]
			}
			if rng.IntN(3) == 0 {
				f.ProfileID = profileIDs[rng.IntN(len(profileIDs))]
			}
			for _, typ := range allTypes {
				if rng.IntN(5) == 0 {
					f.Types = append(f.Types, typ)
				}
			}
			if r := rng.IntN(3); r > 0 {
				f.ActiveOnly = ptr(r == 1)
			}
			if r := rng.IntN(4); r > 1 {
				f.Flagged = ptr(r == 2)
			}
			cases = append(cases, struct {
				name string
				f    refFilter
			}{"random", f})
		}

		for _, tc := range cases {
			want := ids(expect(evs, tc.f))
			got := events(t, b.srv, b.token, map[string]any{"f": tc.f.vars(), "first": 500})
			require.Equal(t, want, got.ids(t), "%s: %+v", tc.name, tc.f.vars())
			require.Equal(t, len(want), got.TotalCount, "%s: totalCount", tc.name)
		}
	})
}

// TestEventsFilterInline proves the activeOnly default also applies when the filter is
// written inline in the query rather than sent as a variable.
func TestEventsFilterInline(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		evs, _ := record(t, b.srv, b.token, genEvents(rand.New(rand.NewPCG(3, 3)), 40, base, "i"))
		for _, tc := range []struct {
			filter string
			want   refFilter
		}{
			{`{}`, refFilter{}},
			{`{types: []}`, refFilter{}},
			{`{activeOnly: false}`, refFilter{ActiveOnly: ptr(false)}},
			{`{from: "2026-03-02T20:00:00+11:00"}`, refFilter{From: ptr(base)}},
		} {
			var out struct{ Events connJSON }
			b.srv.Do(t, b.token, `{ events(first: 500, filter: `+tc.filter+`) {
				totalCount edges { node { id dateFinished user { id } syncProfile { id } } cursor }
				pageInfo { hasNextPage hasPreviousPage } } }`, nil).OK(t).Decode(t, &out)
			require.Equal(t, ids(expect(evs, tc.want)), out.Events.ids(t), tc.filter)
		}
	})
}
