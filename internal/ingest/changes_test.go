package ingest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent/change"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/ingest"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// withChanges is a sync run that updated n accounts, with a change for each.
func withChanges(ext string, n int) *ingest.Input {
	in := syncRun(ext)
	in.Updated = ptr(n)
	for i := range n {
		in.Changes = append(in.Changes, &ingest.ChangeInput{Action: change.ActionUPDATED, Username: fmt.Sprintf("%s.u%d", ext, i),
			Attributes: []*eventtype.AttributeChange{{Name: "mail", Old: ptr("a"), New: ptr("b")}, {Name: "memberOf", New: ptr("Year 7")}}})
	}
	return in
}

// TestValidateChangeLimits checks the per-event and per-batch limits on changes.
func TestValidateChangeLimits(t *testing.T) {
	t.Parallel()
	require.NoError(t, ingest.Validate([]*ingest.Input{withChanges("a", ingest.MaxChanges)}))
	err := ingest.Validate([]*ingest.Input{syncRun("x"), withChanges("b", ingest.MaxChanges+1)})
	require.ErrorContains(t, err, "input[1].changes")
	six := make([]*ingest.Input, 6)
	for i := range six {
		six[i] = withChanges(fmt.Sprint("c", i), ingest.MaxChanges)
	}
	require.NoError(t, ingest.Validate(six[:5]), "exactly 50,000 in all")
	err = ingest.Validate(six)
	require.ErrorContains(t, err, "input[5].changes")
	require.True(t, strings.Contains(err.Error(), "50000"))
}

// TestRecordBulkChanges records changes through the bulk path (COPY on PostgreSQL):
// every change is stored with its account, created when unknown, its run's finish
// time and its attributes, and the run knows how many it carries.
func TestRecordBulkChanges(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		in := []*ingest.Input{withChanges("r1", 3), login("l", "r1.u0"), withChanges("r2", 2), withChanges("r1", 3)}
		out, dup, err := b.rec.RecordBulk(b.ctx, in)
		require.NoError(t, err)
		require.Equal(t, 1, dup)
		chs, err := db.Client.Change.Query().WithUser().Order(change.ByID()).All(b.ctx)
		require.NoError(t, err)
		require.Len(t, chs, 5, "the repeated run's changes once")
		for i, c := range chs {
			run := out[0]
			name := fmt.Sprintf("r1.u%d", i)
			if i >= 3 {
				run, name = out[2], fmt.Sprintf("r2.u%d", i-3)
			}
			require.Equal(t, run.ID, c.EventID)
			require.Equal(t, name, c.Edges.User.Username)
			require.Equal(t, b.school, c.SchoolID)
			require.True(t, t0.Truncate(time.Microsecond).Equal(c.At), "the run's finish, as stored")
			require.Len(t, c.Attributes, 2)
			require.Equal(t, "Year 7", *c.Attributes[1].New)
			require.Nil(t, c.Attributes[1].Old)
		}
		stored, err := db.Client.Event.Get(b.ctx, out[0].ID)
		require.NoError(t, err)
		require.Equal(t, 3, stored.ChangesRecorded)
		require.Equal(t, 6, stored.ChangeRows)
		// The login's actor and the change's account are the same user.
		require.Equal(t, *out[1].UserID, chs[0].UserID)
	})
}

// TestChangeNamesNewAccount records runs whose changes give display names, through the
// batch and the bulk path: an account a run creates takes the first display name its
// changes give, an account that existed before keeps its own, an account created
// without one is named by its username, and no email is copied to the account.
func TestChangeNamesNewAccount(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		for _, path := range []string{"batch", "bulk"} {
			b := setup(t, db)
			run := func(ext string, cs ...*ingest.ChangeInput) *ingest.Input {
				in := syncRun(ext)
				in.Added = ptr(len(cs))
				in.Changes = cs
				return in
			}
			added := func(username, display string) *ingest.ChangeInput {
				c := &ingest.ChangeInput{Action: change.ActionADDED, Username: username, Email: ptr(username + "@example.edu")}
				if display != "" {
					c.DisplayName = ptr(display)
				}
				return c
			}
			in := []*ingest.Input{
				login("l", "known"),
				run("r1", added("known", "Known From Run"), added("zoe", "Zoë Ávila"), added("bare", ""), added("blank", "  ")),
				login("l2", "ann"),
				run("r2", added("ann", "Ann Lee"), added("zoe", "Zoe Other")),
			}
			record := func(in []*ingest.Input) {
				var err error
				if path == "batch" {
					_, err = b.rec.Record(b.ctx, in)
				} else {
					_, _, err = b.rec.RecordBulk(b.ctx, in)
				}
				require.NoError(t, err, path)
			}
			record(in[:1]) // "known" exists before the run, named by its username.
			record(in[1:])
			names := map[string]string{}
			us, err := db.Client.User.Query().All(b.ctx)
			require.NoError(t, err)
			for _, u := range us {
				names[u.Username] = u.DisplayName
				require.Empty(t, u.Email, "%s: %s", path, u.Username)
			}
			require.Equal(t, map[string]string{
				"known": "known", "zoe": "Zoë Ávila", "bare": "bare", "blank": "blank", "ann": "Ann Lee",
			}, names, path)
		}
	})
}
