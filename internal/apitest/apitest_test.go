package apitest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/ingest"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// TestServersKeepOldEvents starts two servers at once, each on a database holding
// three events two years old. The one given a retention period of a year deletes them
// at start. The test server with the default configuration keeps them: tests record
// at fixed dates that age past a year, and a purge in the middle of a test would take
// its events away.
func TestServersKeepOldEvents(t *testing.T) {
	t.Parallel()
	old := time.Now().UTC().AddDate(-2, 0, 0)
	seed := func() (*store.DB, func() int) {
		db := testdb.Open(t, "sqlite")
		sc := apitest.CreateSchool(t, db.Client, "north", "UTC")
		ctx := tenant.WithSchool(context.Background(), sc.ID)
		in := make([]*ingest.Input, 3)
		amy := "amy"
		for i := range in {
			at := old.Add(time.Duration(i) * time.Minute)
			in[i] = &ingest.Input{Type: event.TypeAUTHENTICATION, Username: &amy, DateStarted: at, DateFinished: at}
		}
		_, err := ingest.NewRecorder(db).Record(ctx, in)
		require.NoError(t, err)
		return db, func() int {
			n, err := db.Client.Event.Query().Count(ctx)
			require.NoError(t, err)
			return n
		}
	}
	purgingDB, purging := seed()
	keepingDB, keeping := seed()
	require.Equal(t, 3, purging())
	require.Equal(t, 3, keeping())

	apitest.NewWithConfig(t, purgingDB, server.Config{RetentionDays: 365})
	apitest.New(t, keepingDB)
	require.Eventually(t, func() bool { return purging() == 0 }, 30*time.Second, 50*time.Millisecond,
		"a server with a retention period deletes them at start")
	// Both servers' start-up jobs are due by now; a second more for the test server's.
	time.Sleep(time.Second)
	require.Equal(t, 3, keeping(), "the test server keeps them")
}
