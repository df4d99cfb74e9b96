package ingest_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/ingest"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
	"github.com/provreport/provreport/internal/usererr"
)

var t0 = time.Date(2026, 6, 1, 8, 0, 0, 123456789, time.UTC)

func syncRun(ext string) *ingest.Input {
	return &ingest.Input{Type: event.TypeACCOUNT_SYNCHRONIZATION, DateStarted: t0.Add(-time.Minute), DateFinished: t0,
		SyncProfile: ptr("LDAP Staff"), Processed: ptr(10), Updated: ptr(1), ExternalID: ptr(ext)}
}

func login(ext, username string) *ingest.Input {
	return &ingest.Input{Type: event.TypeAUTHENTICATION_FAILED, DateStarted: t0, DateFinished: t0,
		Username: ptr(username), ExternalID: ptr(ext)}
}

type bundle struct {
	ctx    context.Context
	db     *store.DB
	rec    *ingest.Recorder
	school int
}

var schools atomic.Int64

// setup creates a school (another one on every call) and a recorder for it.
func setup(t *testing.T, db *store.DB) *bundle {
	t.Helper()
	sc := apitest.CreateSchool(t, db.Client, fmt.Sprint("s", schools.Add(1)), "")
	return &bundle{ctx: tenant.WithSchool(context.Background(), sc.ID), db: db, rec: ingest.NewRecorder(db), school: sc.ID}
}

func (b *bundle) count(t *testing.T) int {
	n, err := b.db.Client.Event.Query().Count(b.ctx)
	require.NoError(t, err)
	return n
}

// TestValidate names the row and field of every kind of bad input, without touching a
// database.
func TestValidate(t *testing.T) {
	t.Parallel()
	mod := func(in *ingest.Input, f func(*ingest.Input)) *ingest.Input { f(in); return in }
	cases := []struct {
		name  string
		in    *ingest.Input
		field string
	}{
		{"unknown type", mod(syncRun("x"), func(e *ingest.Input) { e.Type = "LOGIN" }), "type"},
		{"no dateStarted", mod(syncRun("x"), func(e *ingest.Input) { e.DateStarted = time.Time{} }), "startedAt"},
		{"no dateFinished", mod(syncRun("x"), func(e *ingest.Input) { e.DateFinished = time.Time{} }), "finishedAt"},
		{"started after finished", mod(syncRun("x"), func(e *ingest.Input) { e.DateStarted = t0.Add(time.Nanosecond) }), "startedAt"},
		{"startedAt after finishedAt", mod(syncRun("x"), func(e *ingest.Input) {
			e.StartedAt, e.DateStarted = t0.Add(time.Nanosecond), time.Time{}
		}), "startedAt"},
		{"both names, different starts", mod(syncRun("x"), func(e *ingest.Input) { e.StartedAt = t0.Add(-time.Hour) }), "dateStarted"},
		{"both names, different finishes", mod(syncRun("x"), func(e *ingest.Input) { e.FinishedAt = t0.Add(time.Hour) }), "dateFinished"},
		{"processed < 0", mod(syncRun("x"), func(e *ingest.Input) { e.Processed = ptr(-1) }), "processed"},
		{"added < 0", mod(syncRun("x"), func(e *ingest.Input) { e.Added = ptr(-1) }), "added"},
		{"updated < 0", mod(syncRun("x"), func(e *ingest.Input) { e.Updated = ptr(-1) }), "updated"},
		{"deleted < 0", mod(syncRun("x"), func(e *ingest.Input) { e.Deleted = ptr(-1) }), "deleted"},
		{"disabled < 0", mod(syncRun("x"), func(e *ingest.Input) { e.Disabled = ptr(-1) }), "disabled"},
		{"errors < 0", mod(syncRun("x"), func(e *ingest.Input) { e.Errors = ptr(-1) }), "errors"},
		{"details too long", mod(syncRun("x"), func(e *ingest.Input) { e.Details = ptr(strings.Repeat("a", ingest.MaxDetails+1)) }), "details"},
		{"auth without username", mod(login("x", "u"), func(e *ingest.Input) { e.Username = nil }), "username"},
		{"auth with empty username", login("x", ""), "username"},
		{"auth with profile", mod(login("x", "u"), func(e *ingest.Input) { e.SyncProfile = ptr("LDAP Staff") }), "syncProfile"},
		{"sync without profile", mod(syncRun("x"), func(e *ingest.Input) { e.SyncProfile = nil }), "syncProfile"},
		{"sync with empty profile", mod(syncRun("x"), func(e *ingest.Input) { e.SyncProfile = ptr("") }), "syncProfile"},
		{"empty externalID", syncRun(""), "externalID"},
		{"long externalID", syncRun(strings.Repeat("x", 256)), "externalID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := ingest.Validate([]*ingest.Input{syncRun("ok-0"), login("ok-1", "u"), tc.in})
			ue, ok := usererr.As(err)
			require.True(t, ok, "%v", err)
			require.Equal(t, usererr.BadUserInput, ue.Code)
			require.Equal(t, "input[2]."+tc.field, ue.Field)
			require.True(t, strings.HasPrefix(ue.Message, "input[2]."+tc.field+": "), ue.Message)
		})
	}
	require.NoError(t, ingest.Validate([]*ingest.Input{
		mod(syncRun("max"), func(e *ingest.Input) { e.Details = ptr(strings.Repeat("a", ingest.MaxDetails)) }),
		mod(syncRun("zero"), func(e *ingest.Input) { e.DateStarted = t0 }),
	}))
	big := make([]*ingest.Input, ingest.MaxBatch+1)
	for i := range big {
		big[i] = syncRun(fmt.Sprint(i))
	}
	require.NoError(t, ingest.Validate(big[:ingest.MaxBatch]))
	require.ErrorIs(t, ingest.Validate(big), usererr.ErrBadInput)
	require.ErrorIs(t, ingest.Validate(nil), usererr.ErrBadInput)
}

// TestRecordIdempotent records the same external IDs again, across calls and within a
// batch, and checks the stored events answer, nothing is written, OnRecorded hears only
// of new events, and the returned events can still load their edges.
func TestRecordIdempotent(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		var heard [][]int
		b.rec.OnRecorded = func(_ context.Context, created []*ent.Event) {
			var ids []int
			for _, e := range created {
				ids = append(ids, e.ID)
			}
			heard = append(heard, ids)
		}
		first, err := b.rec.Record(b.ctx, []*ingest.Input{syncRun("a"), login("b", "alice"), syncRun("a")})
		require.NoError(t, err)
		require.Equal(t, first[0].ID, first[2].ID, "a duplicate within the batch is one event")
		require.Equal(t, 2, b.count(t))
		require.Equal(t, [][]int{{first[0].ID, first[1].ID}}, heard)
		require.True(t, t0.Truncate(time.Microsecond).Equal(first[0].DateFinished), "stored to the microsecond")

		changed := syncRun("a")
		changed.Updated = ptr(50)
		again, err := b.rec.Record(b.ctx, []*ingest.Input{login("b", "mallory"), changed, syncRun("c")})
		require.NoError(t, err)
		require.Equal(t, first[1].ID, again[0].ID)
		require.Equal(t, first[0].ID, again[1].ID)
		require.Equal(t, 1, again[1].Updated, "the stored event, not the new input")
		require.Equal(t, 3, b.count(t))
		require.Len(t, heard, 2)
		require.Equal(t, []int{again[2].ID}, heard[1])
		n, err := db.Client.User.Query().Where(user.Username("mallory")).Count(b.ctx)
		require.NoError(t, err)
		require.Zero(t, n, "a repeated event creates no user")

		// The events returned, existing ones included, work outside the transaction.
		for _, e := range again {
			_, err := e.QueryUser().All(b.ctx)
			require.NoError(t, err)
			_, err = e.QuerySyncProfile().All(b.ctx)
			require.NoError(t, err)
		}
		u, err := again[0].QueryUser().Only(b.ctx)
		require.NoError(t, err)
		require.Equal(t, "alice", u.Username)
		require.Equal(t, user.RoleNONE, u.Role)
	})
}

// TestRecordConcurrent races batches with the same external IDs and a new profile name:
// every caller gets the same events, and each is stored once.
func TestRecordConcurrent(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		race(t, 6, func(int) ([]*ent.Event, error) {
			in := []*ingest.Input{syncRun("race-1"), login("race-2", "new.user"), syncRun("race-3")}
			in[0].SyncProfile = ptr("Brand New")
			return b.rec.Record(b.ctx, in)
		})
		require.Equal(t, 3, b.count(t))
		n, err := db.Client.SyncProfile.Query().Count(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 2, n)
	})
}

func ptr[T any](v T) *T { return &v }

// race runs record for callers at once and requires that every caller got the same
// events, by ID, without an error.
func race(t *testing.T, callers int, record func(caller int) ([]*ent.Event, error)) {
	t.Helper()
	results := make([][]*ent.Event, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { results[i], errs[i] = record(i) })
	}
	wg.Wait()
	for i := range callers {
		require.NoError(t, errs[i])
		require.Len(t, results[i], len(results[0]))
		for k := range results[i] {
			require.Equal(t, results[0][k].ID, results[i][k].ID, "caller %d event %d", i, k)
		}
	}
}

// TestRecordBumpsDataVersion: a batch that stores events moves the school's report data
// version (in its transaction), so cached report answers are not served after it; a
// batch that only repeats stored events, or that fails, leaves the version alone.
func TestRecordBumpsDataVersion(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		version := func() int64 {
			v, err := report.DataVersion(b.ctx, db.Client, b.school)
			require.NoError(t, err)
			return v
		}
		v0 := version()
		_, err := b.rec.Record(b.ctx, []*ingest.Input{login("v-1", "amy"), login("v-2", "bo")})
		require.NoError(t, err)
		v1 := version()
		require.Greater(t, v1, v0, "new events bump the version")
		_, err = b.rec.Record(b.ctx, []*ingest.Input{login("v-1", "amy")})
		require.NoError(t, err)
		require.Equal(t, v1, version(), "a repeat stores nothing and keeps the version")
		_, err = b.rec.Record(b.ctx, []*ingest.Input{login("v-3", "cy"), {Type: event.TypeAUTHENTICATION}})
		require.Error(t, err)
		require.Equal(t, v1, version(), "a refused batch keeps the version")
	})
}
