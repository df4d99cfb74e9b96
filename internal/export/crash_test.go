package export_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	entexport "github.com/provreport/provreport/ent/export"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testbin"
	"github.com/provreport/provreport/internal/testdb"
)

// TestExportSurvivesWorkerCrash kills the server process (SIGKILL) while it is writing
// an export, starts a new one on the same database, and shows the export completes with
// every row.
func TestExportSurvivesWorkerCrash(t *testing.T) {
	t.Parallel()
	for _, kind := range testdb.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := testdb.URL(t, kind)
			env := []string{
				"DATABASE_URL=" + url, "PROVREPORT_DATA_DIR=" + t.TempDir(), "PROVREPORT_DEMO_PASSWORD=crash-test-pass-1",
				// Short limits so the dead worker's job is rescued within the test.
				"PROVREPORT_JOB_TIMEOUT=8s", "PROVREPORT_JOB_RESCUE_AFTER=9s", "PROVREPORT_LOG_LEVEL=warn",
			}
			testbin.Run(t, env, "demo", "--days", "100")
			first := testbin.Serve(t, env)

			db, err := store.Open(ctx, url)
			require.NoError(t, err)
			defer db.Close()
			sys := tenant.System(ctx)

			admin := signIn(t, first.URL, "demo", "admin", "crash-test-pass-1")
			out := admin.gql(`mutation { requestExport(filter: {activeOnly: false}) { id } }`, nil)
			require.Empty(t, out["errors"])
			id := intID(t, dig(out, "data", "requestExport", "id").(string))

			// Kill the worker as soon as it is writing.
			deadline := time.Now().Add(30 * time.Second)
			var e *ent.Export
			for time.Now().Before(deadline) {
				e, err = db.Client.Export.Get(sys, id)
				require.NoError(t, err)
				if e.Status != entexport.StatusQUEUED {
					break
				}
				time.Sleep(2 * time.Millisecond)
			}
			first.Kill()
			e, err = db.Client.Export.Get(sys, id)
			require.NoError(t, err)
			require.Equal(t, entexport.StatusRUNNING, e.Status, "the process died mid-export (if READY, the export outran the kill)")

			second := testbin.Serve(t, env)
			require.Eventually(t, func() bool {
				e, err = db.Client.Export.Get(sys, id)
				return err == nil && e.Status == entexport.StatusREADY
			}, 90*time.Second, 100*time.Millisecond, "the export completes after restart")
			want, err := db.Client.Event.Query().Where(event.SchoolID(e.SchoolID), event.IDLTE(int(e.MaxEventID))).Count(sys)
			require.NoError(t, err)
			require.Equal(t, want, *e.RowCount)
			require.GreaterOrEqual(t, e.Attempts, 2, "the build ran again")

			admin = signIn(t, second.URL, "demo", "admin", "crash-test-pass-1")
			resp, err := admin.c.Get(second.URL + "/exports/" + dig(out, "data", "requestExport", "id").(string) + "/download")
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			lines := countCSVRecords(t, resp.Body)
			require.Equal(t, want+1, lines, "header plus every row")
		})
	}
}
