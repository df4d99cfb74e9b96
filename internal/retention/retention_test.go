package retention_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/internal/retention"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

func TestPurgeDeletesOnlyOldEvents(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sc, err := db.Client.School.Create().SetSlug("r").SetName("R").Save(tenant.System(ctx))
		require.NoError(t, err)
		sctx := tenant.WithSchool(ctx, sc.ID)
		now := time.Now().UTC()
		var bulk []*ent.EventCreate
		// 12,000 old events (more than one batch) and 300 recent ones.
		for i := 0; i < 12300; i++ {
			at := now.AddDate(0, 0, -400).Add(time.Duration(i) * time.Second)
			if i >= 12000 {
				at = now.AddDate(0, 0, -10)
			}
			bulk = append(bulk, db.Client.Event.Create().SetType(event.TypeAUTHENTICATION).SetDateStarted(at).SetDateFinished(at))
			if len(bulk) == 1000 {
				require.NoError(t, db.Client.Event.CreateBulk(bulk...).Exec(sctx))
				bulk = bulk[:0]
			}
		}
		require.NoError(t, db.Client.Event.CreateBulk(bulk...).Exec(sctx))

		n, err := retention.Purge(ctx, db, now.AddDate(0, 0, -365))
		require.NoError(t, err)
		require.EqualValues(t, 12000, n)
		left, err := db.Client.Event.Query().Count(sctx)
		require.NoError(t, err)
		require.Equal(t, 300, left)
	})
}
