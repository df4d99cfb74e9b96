package ingest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/syncprofile"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/ingest"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
	"github.com/provreport/provreport/internal/usererr"
)

// mixedBatch is a full batch of every kind of input: sync runs of several profile kinds,
// logins of new and repeated users, events without external ID, duplicates of earlier
// external IDs, problems, details and services (empty ones too). Its external IDs start
// with run.
func mixedBatch(run string) []*ingest.Input {
	types := []event.Type{event.TypeUSER_CSV_PROCESSED_WITH_ERRORS, event.TypeACCOUNT_SYNCHRONIZATION,
		event.TypeACCOUNT_PROVISIONING, event.TypeGROUPS_CSV_PROCESSED, event.TypeAUTHENTICATION,
		event.TypeAUTHENTICATION_FAILED, event.TypeSYNC_ERROR}
	in := make([]*ingest.Input, 0, ingest.MaxBatch)
	for i := range ingest.MaxBatch {
		typ := types[i%len(types)]
		e := &ingest.Input{Type: typ, DateStarted: t0.Add(time.Duration(i) * time.Second),
			DateFinished: t0.Add(time.Duration(i)*time.Second + 1500*time.Nanosecond),
			Processed:    ptr(i), Added: ptr(i % 3), Updated: ptr(i % 5), Deleted: ptr(i % 7), Disabled: ptr(i % 11), Errors: ptr(i % 13)}
		if eventtype.IsAuth(string(typ)) {
			e.Username = ptr(fmt.Sprintf("user-%d", i%37))
		} else {
			e.SyncProfile = ptr(fmt.Sprintf("%s profile %d", typ, i%5))
		}
		switch i % 4 {
		case 0:
			e.Details = ptr(fmt.Sprintf("details of %d, 'quoted' and \"double\" and {braces}, ünïcödé", i))
		case 1:
			e.Details = ptr("")
		}
		switch i % 3 {
		case 0:
			e.Service = ptr("mail")
		case 1:
			e.Service = ptr("") // stored as no service
		}
		if i%9 == 0 {
			e.Problems = []*ingest.ProblemInput{{Line: i, Field: "email", Message: "bad, \"really\""}, nil, {Line: 0}}
		}
		switch {
		case i%10 == 3:
			// No external ID: always a new event.
		case i%10 == 7:
			e.ExternalID = ptr(fmt.Sprintf("%s%d", run, i-6)) // a duplicate of input[i-6]
		default:
			e.ExternalID = ptr(fmt.Sprintf("%s%d", run, i))
		}
		in = append(in, e)
	}
	return in
}

// source returns, for each input, the input its event comes from: the first one with
// the same external ID.
func source(in []*ingest.Input) []*ingest.Input {
	first := map[string]*ingest.Input{}
	src := make([]*ingest.Input, len(in))
	for i, e := range in {
		src[i] = e
		if e.ExternalID != nil {
			if f, ok := first[*e.ExternalID]; ok {
				src[i] = f
			} else {
				first[*e.ExternalID] = e
			}
		}
	}
	return src
}

// checkAgainst checks that each event matches its input, or the first input with the
// same external ID, field by field, as it was given.
func checkAgainst(t *testing.T, in []*ingest.Input, out []*ent.Event) {
	t.Helper()
	for i, src := range source(in) {
		ev := out[i]
		require.Equal(t, src.Type, ev.Type, "input[%d]", i)
		require.True(t, src.DateStarted.Truncate(time.Microsecond).Equal(ev.DateStarted), "input[%d]", i)
		require.True(t, src.DateFinished.Truncate(time.Microsecond).Equal(ev.DateFinished), "input[%d]", i)
		require.Equal(t, []int{*src.Processed, *src.Added, *src.Updated, *src.Deleted, *src.Disabled, *src.Errors},
			[]int{ev.Processed, ev.Added, ev.Updated, ev.Deleted, ev.Disabled, ev.Errors}, "input[%d]", i)
		details := ""
		if src.Details != nil {
			details = *src.Details
		}
		require.Equal(t, details, ev.Details, "input[%d]", i)
		want := []eventtype.Problem{}
		for _, p := range src.Problems {
			if p != nil {
				want = append(want, eventtype.Problem{Line: p.Line, Field: p.Field, Message: p.Message})
			}
		}
		require.Equal(t, want, ev.Problems, "input[%d]", i)
		if src.Service == nil || *src.Service == "" {
			require.Nil(t, ev.Service, "input[%d]", i)
		} else {
			require.Equal(t, *src.Service, *ev.Service, "input[%d]", i)
		}
		require.Equal(t, src.ExternalID, ev.ExternalID, "input[%d]", i)
		require.Equal(t, src.Username == nil, ev.UserID == nil, "input[%d]", i)
		require.Equal(t, src.SyncProfile == nil, ev.SyncProfileID == nil, "input[%d]", i)
	}
}

// reload reads the events back from the database, by ID.
func reload(t *testing.T, b *bundle, out []*ent.Event) []*ent.Event {
	t.Helper()
	ids := make([]int, len(out))
	for i, e := range out {
		ids[i] = e.ID
	}
	stored, err := b.db.Client.Event.Query().Where(event.IDIn(ids...)).WithUser().WithSyncProfile().All(b.ctx)
	require.NoError(t, err)
	byID := map[int]*ent.Event{}
	for _, e := range stored {
		byID[e.ID] = e
	}
	res := make([]*ent.Event, len(out))
	for i, e := range out {
		res[i] = byID[e.ID]
		require.NotNil(t, res[i], "event %d of input[%d] is not stored", e.ID, i)
	}
	return res
}

// TestRecordFullBatch records a full batch of every kind of input, then the same batch
// with half of it new: the events returned are the inputs (or the stored events of
// repeated external IDs) in input order, the database holds exactly what was returned,
// and the users and profiles the batch names exist once each, profiles with the kind
// of the first event naming them.
func TestRecordFullBatch(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		var created []*ent.Event
		b.rec.OnRecorded = func(_ context.Context, evs []*ent.Event) { created = append(created, evs...) }

		in := mixedBatch("full-")
		out, err := b.rec.Record(b.ctx, in)
		require.NoError(t, err)
		require.Len(t, out, len(in))
		checkAgainst(t, in, out)
		stored := reload(t, b, out)
		checkAgainst(t, in, stored)
		src := source(in)
		for i, got := range stored {
			require.Equal(t, out[i].UserID, got.UserID, "input[%d]", i)
			require.Equal(t, out[i].SyncProfileID, got.SyncProfileID, "input[%d]", i)
			require.True(t, out[i].RecordedAt.Equal(got.RecordedAt), "input[%d]", i)
			require.Equal(t, b.school, out[i].SchoolID)
			require.Equal(t, b.school, got.SchoolID)
			if e := src[i]; e.Username != nil {
				require.Equal(t, *e.Username, got.Edges.User.Username)
			} else {
				require.Equal(t, *e.SyncProfile, got.Edges.SyncProfile.Name)
				require.Equal(t, syncprofile.Kind(eventtype.ProfileKind(string(e.Type))), got.Edges.SyncProfile.Kind)
			}
		}
		// Duplicates within the batch are one event; everything new is heard once.
		distinct := map[int]bool{}
		for _, e := range out {
			distinct[e.ID] = true
		}
		require.Len(t, created, len(distinct))
		require.Equal(t, len(distinct), b.count(t))
		for _, e := range created {
			require.Equal(t, b.school, e.SchoolID, "OnRecorded needs the school")
		}
		users, err := db.Client.User.Query().Where(user.RoleEQ(user.RoleNONE)).Count(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 37, users)
		profiles, err := db.Client.SyncProfile.Query().Count(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 5*5, profiles)

		// Again, with the second half new: the first half answers with the stored events.
		again := mixedBatch("full-")
		for i, e := range again[ingest.MaxBatch/2:] {
			if e.ExternalID != nil {
				e.ExternalID = ptr(fmt.Sprintf("full2-%d", i))
			}
			e.Updated = ptr(1000) // not what the stored events say, for the first half
		}
		for _, e := range again[:ingest.MaxBatch/2] {
			e.Updated = ptr(1000)
		}
		created = nil
		out2, err := b.rec.Record(b.ctx, again)
		require.NoError(t, err)
		for i := range again[:ingest.MaxBatch/2] {
			if again[i].ExternalID != nil {
				require.Equal(t, out[i].ID, out2[i].ID, "input[%d]", i)
				require.Equal(t, out[i].Updated, out2[i].Updated, "input[%d]: the stored event", i)
			} else {
				require.NotEqual(t, out[i].ID, out2[i].ID, "input[%d]", i)
			}
		}
		checkAgainst(t, again[ingest.MaxBatch/2:], out2[ingest.MaxBatch/2:])
		for i, e := range reload(t, b, out2) {
			require.Equal(t, out2[i].Updated, e.Updated)
		}
		require.Equal(t, len(distinct)+len(created), b.count(t))
	})
}

// TestRecordAllOrNothing fails batches on their last row, which names new users and
// profiles, and checks nothing of them was written.
func TestRecordAllOrNothing(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		batch := func(last *ingest.Input) []*ingest.Input {
			in := []*ingest.Input{syncRun("ok-1"), login("ok-2", "brand.new"), syncRun("ok-3")}
			in[2].SyncProfile = ptr("Brand New Profile")
			return append(in, last)
		}
		check := func() {
			require.Zero(t, b.count(t))
			n, err := db.Client.User.Query().Count(b.ctx)
			require.NoError(t, err)
			require.Zero(t, n)
			n, err = db.Client.SyncProfile.Query().Count(b.ctx)
			require.NoError(t, err)
			require.Zero(t, n)
		}

		bad := syncRun("bad")
		bad.Errors = ptr(-1)
		_, err := b.rec.Record(b.ctx, batch(bad))
		require.ErrorIs(t, err, usererr.ErrBadInput)
		check()

		if db.Dialect == "postgres" {
			// Valid input the database refuses (PostgreSQL text holds no NUL), after the
			// users and profiles were created in the same transaction.
			bad = syncRun("bad")
			bad.Details = ptr("a\x00b")
			_, err = b.rec.Record(b.ctx, batch(bad))
			require.Error(t, err)
			check()
		}

		// The same batch, fixed, goes through whole.
		out, err := b.rec.Record(b.ctx, batch(syncRun("fixed")))
		require.NoError(t, err)
		require.Len(t, out, 4)
		require.Equal(t, 4, b.count(t))
	})
}

// TestRecordTenants records the same external IDs and names in two schools: each
// school gets its own events, users and profiles. Without a school there is no batch.
func TestRecordTenants(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		a, other := setup(t, db), setup(t, db)
		in := func() []*ingest.Input { return []*ingest.Input{syncRun("x"), login("y", "alice")} }
		outA, err := a.rec.Record(a.ctx, in())
		require.NoError(t, err)
		outB, err := a.rec.Record(other.ctx, in()) // the same recorder, another school
		require.NoError(t, err)
		for i := range outA {
			require.NotEqual(t, outA[i].ID, outB[i].ID)
			require.Equal(t, a.school, outA[i].SchoolID)
			require.Equal(t, other.school, outB[i].SchoolID)
		}
		require.NotEqual(t, *outA[0].SyncProfileID, *outB[0].SyncProfileID)
		require.NotEqual(t, *outA[1].UserID, *outB[1].UserID)
		for _, s := range []*bundle{a, other} {
			require.Equal(t, 2, s.count(t))
			u, err := db.Client.User.Query().Where(user.Username("alice")).Only(s.ctx)
			require.NoError(t, err)
			require.Equal(t, s.school, u.SchoolID)
		}
		// The other school's event is not an existing one for the first school.
		again, err := a.rec.Record(a.ctx, in())
		require.NoError(t, err)
		require.Equal(t, outA[0].ID, again[0].ID)

		_, err = ingest.NewRecorder(db).Record(context.Background(), in())
		require.ErrorIs(t, err, tenant.ErrNoTenant)
		_, err = a.rec.Record(context.Background(), in())
		require.ErrorIs(t, err, tenant.ErrNoTenant)
	})
}

// TestRecordConcurrentOverlap races batches that share external IDs in different
// orders and name the same new users and profiles: every external ID is stored once,
// every caller gets that event for it, and every user and profile exists once.
func TestRecordConcurrentOverlap(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		const callers, keys = 6, 200
		results := make([]map[string]int, callers)
		errs := make([]error, callers)
		var wg sync.WaitGroup
		for c := range callers {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(c), 1))
				var in []*ingest.Input
				for _, k := range r.Perm(keys)[:keys*3/4] {
					var e *ingest.Input
					if k%2 == 0 {
						e = login(fmt.Sprint("k", k), fmt.Sprint("user-", k%17))
					} else {
						e = syncRun(fmt.Sprint("k", k))
						e.SyncProfile = ptr(fmt.Sprint("profile-", k%7))
					}
					in = append(in, e)
				}
				out, err := b.rec.Record(b.ctx, in)
				if errs[c] = err; err != nil {
					return
				}
				results[c] = map[string]int{}
				for i, e := range in {
					results[c][*e.ExternalID] = out[i].ID
				}
			})
		}
		wg.Wait()
		ids := map[string]int{}
		for c := range callers {
			require.NoError(t, errs[c], "caller %d", c)
			for k, id := range results[c] {
				if want, ok := ids[k]; ok {
					require.Equal(t, want, id, "caller %d, %s", c, k)
				}
				ids[k] = id
			}
		}
		require.Equal(t, len(ids), b.count(t))
		n, err := db.Client.User.Query().Count(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 17, n)
		n, err = db.Client.SyncProfile.Query().Where(syncprofile.NameHasPrefix("profile-")).Count(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 7, n)
	})
}

// TestRecordRepeatNames pins down, on both databases alike, what a repeat of an
// external ID within a batch does with the names it gives: its event is the first
// one's, yet a new user or profile it names is created (the ent path always did so).
func TestRecordRepeatNames(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		repeatRun := syncRun("a")
		repeatRun.Type = event.TypeUSER_CSV_PROCESSED
		repeatRun.SyncProfile = ptr("Other")
		out, err := b.rec.Record(b.ctx, []*ingest.Input{syncRun("a"), login("b", "alice"), repeatRun, login("b", "bob")})
		require.NoError(t, err)
		require.Equal(t, out[0].ID, out[2].ID)
		require.Equal(t, out[1].ID, out[3].ID)
		require.Equal(t, 2, b.count(t))
		u, err := out[3].QueryUser().Only(b.ctx)
		require.NoError(t, err)
		require.Equal(t, "alice", u.Username)
		names, err := db.Client.User.Query().Select(user.FieldUsername).Strings(b.ctx)
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"alice", "bob"}, names)
		p, err := db.Client.SyncProfile.Query().Where(syncprofile.Name("Other")).Only(b.ctx)
		require.NoError(t, err)
		require.Equal(t, syncprofile.KindUSER_CSV, p.Kind)
	})
}
