package export_test

import (
	"context"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	entexport "github.com/provreport/provreport/ent/export"
	"github.com/provreport/provreport/internal/export"
	"github.com/provreport/provreport/internal/mail/mailtest"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testbin"
	"github.com/provreport/provreport/internal/testdb"
)

// TestExportSurvivesWorkerCrash kills (SIGKILL) the server process that is building an
// export, with the default job settings, and shows another replica finishes it well
// within two minutes: READY with every row, exactly one file in the export folder (no
// partial file left behind) and exactly one email. On PostgreSQL the other replica is
// already running beside the killed one; on SQLite, which one process serves, it is the
// server started again after the crash.
func TestExportSurvivesWorkerCrash(t *testing.T) {
	t.Parallel()
	for _, kind := range testdb.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := testdb.URL(t, kind)
			smtp := mailtest.Start(t)
			data := t.TempDir()
			env := []string{
				"DATABASE_URL=" + url, "PROVREPORT_DATA_DIR=" + data, "PROVREPORT_DEMO_PASSWORD=crash-test-pass-1",
				"PROVREPORT_SMTP_URL=" + smtp.URL(), "PROVREPORT_LOG_LEVEL=warn",
			}
			testbin.Run(t, env, "demo", "--days", "10")
			db, err := store.Open(ctx, url)
			require.NoError(t, err)
			defer db.Close()
			sys := tenant.System(ctx)
			events, err := db.Client.Event.Query().Count(sys)
			require.NoError(t, err)
			require.Greater(t, events, 500)

			// The first server builds slowly enough (about 30 s for the file) to be killed in
			// the middle; the one that takes over builds at full speed.
			pause := 30 * time.Second / time.Duration(events)
			first := testbin.Serve(t, append(env, "PROVREPORT_TEST_EXPORT_ROW_PAUSE="+pause.String()))
			admin := signIn(t, first.URL, "demo", "admin", "crash-test-pass-1")
			out := admin.gql(`mutation { requestExport(filter: {activeOnly: false}) { id } }`, nil)
			require.Empty(t, out["errors"])
			gid := dig(out, "data", "requestExport", "id").(string)
			id := intID(t, gid)

			var e *ent.Export
			require.Eventually(t, func() bool {
				e, err = db.Client.Export.Get(sys, id)
				return err == nil && e.Status == entexport.StatusRUNNING
			}, 30*time.Second, 20*time.Millisecond, "the first server starts the build")
			var second *testbin.Proc
			if kind == "postgres" {
				// The replica that will take over is up before the crash, as in production.
				second = testbin.Serve(t, env)
			}
			time.Sleep(2 * time.Second) // well into the file
			first.Kill()
			killed := time.Now()
			e, err = db.Client.Export.Get(sys, id)
			require.NoError(t, err)
			require.Equal(t, entexport.StatusRUNNING, e.Status, "the process died mid-export")
			require.Equal(t, 1, e.Attempts)
			if second == nil {
				second = testbin.Serve(t, env)
			}

			require.Eventually(t, func() bool {
				e, err = db.Client.Export.Get(sys, id)
				return err == nil && e.Status == entexport.StatusREADY
			}, 2*time.Minute, 200*time.Millisecond, "another replica finishes the export within two minutes")
			took := time.Since(killed)
			want, err := db.Client.Event.Query().Where(event.SchoolID(e.SchoolID), event.IDLTE(int(e.MaxEventID))).Count(sys)
			require.NoError(t, err)
			require.Equal(t, want, *e.RowCount)
			require.Equal(t, 2, e.Attempts, "built once more, by one replica")
			require.Nil(t, e.HeartbeatAt)

			// The demo's admin also gets sync health alerts (the demo holds failing and quiet
			// profiles); only the export's own emails are counted here.
			isExportMail := func(m mailtest.Message) bool { return strings.HasPrefix(m.Subject, "Provisioning report for ") }
			var msg mailtest.Message
			for deadline := time.After(30 * time.Second); msg.Subject == ""; {
				select {
				case m := <-smtp.Messages:
					if isExportMail(m) {
						msg = m
					}
				case <-deadline:
					t.Fatal("no export email within 30 s")
				}
			}
			require.Equal(t, "admin@demo.example.edu", msg.To)
			require.Contains(t, msg.Text, export.FormatCount("en-AU", want)+" events", "the email gives the right row count")
			for quiet := time.After(3 * time.Second); ; {
				select {
				case m := <-smtp.Messages:
					if isExportMail(m) {
						t.Fatalf("a second email: %s", m.Subject)
					}
					continue
				case <-quiet:
				}
				break
			}

			var files []string
			require.NoError(t, filepath.WalkDir(filepath.Join(data, "exports"), func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && filepath.Ext(p) != ".attrs" {
					files = append(files, p)
				}
				return err
			}))
			require.Len(t, files, 1, "exactly one file, no partial one left behind: %v", files)

			admin = signIn(t, second.URL, "demo", "admin", "crash-test-pass-1")
			resp, err := admin.c.Get(second.URL + "/exports/" + gid + "/download")
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			lines := countCSVRecords(t, resp.Body)
			require.Equal(t, want+1, lines, "header plus every row")
			t.Logf("%s: %d rows, READY %s after the kill; lost 0, duplicated 0, 1 file, 1 email", kind, want, took.Round(time.Second))
		})
	}
}
