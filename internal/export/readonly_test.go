package export_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/testdb"
)

// TestExportToReadOnlyStorage makes the export folder a read-only file system (a tmpfs
// remounted read-only: file permissions do not stop root, a read-only mount does), so
// the build fails: the export ends FAILED with a sentence that names the system's
// reason and what to check, and retryExport builds it, once, after the folder is
// writable again. Mounting needs root; elsewhere the test says so and skips.
func TestExportToReadOnlyStorage(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("a read-only folder that root cannot write needs a read-only mount, and mounting needs root")
	}
	data := t.TempDir()
	store := filepath.Join(data, "exports")
	require.NoError(t, os.Mkdir(store, 0o755))
	mount := func(args ...string) {
		out, err := exec.Command("mount", args...).CombinedOutput()
		require.NoError(t, err, "mount %v: %s", args, out)
	}
	mount("-t", "tmpfs", "-o", "size=8m", "tmpfs", store)
	t.Cleanup(func() { _ = exec.Command("umount", "-l", store).Run() })

	db := testdb.Open(t, "sqlite")
	srv := apitest.NewWithConfig(t, db, server.Config{DataDir: data, ExportAttempts: 1})
	sc := srv.CreateSchool(t, "readonly", "UTC")
	createAdmin(t, db, sc.ID, "rory", "rory@readonly.test", "readonly-password-1")
	rory := signIn(t, srv.URL, "readonly", "rory", "readonly-password-1")
	in := make([]map[string]any, 30)
	for i := range in {
		in[i] = map[string]any{"type": "AUTHENTICATION", "username": fmt.Sprint("user", i),
			"dateStarted": "2026-05-04T08:00:00Z", "dateFinished": "2026-05-04T08:00:01Z", "externalID": fmt.Sprint("ro-", i)}
	}
	srv.Do(t, srv.Token(t, sc.ID, auth.ScopeEventsWrite), `mutation($in: [RecordEventInput!]!) { recordEvents(input: $in) { events { id } } }`,
		map[string]any{"in": in}).OK(t)

	mount("-o", "remount,ro", store)
	out := rory.gql(`mutation { requestExport(filter: {activeOnly: false}) { id } }`, nil)
	require.Empty(t, out["errors"])
	id := dig(out, "data", "requestExport", "id").(string)
	const page = `query($id: ID!) { export(id: $id) { status error rowCount } }`
	var reason string
	require.Eventually(t, func() bool {
		out := rory.gql(page, map[string]any{"id": id})
		reason, _ = dig(out, "data", "export", "error").(string)
		return dig(out, "data", "export", "status") == "FAILED"
	}, 20*time.Second, 50*time.Millisecond)
	require.Contains(t, reason, "could not be saved to the export storage (read-only file system)")
	require.Contains(t, reason, "PROVREPORT_EXPORT_BUCKET")
	require.NotContains(t, reason, data, "no server paths")

	mount("-o", "remount,rw", store)
	out = rory.gql(`mutation($id: ID!) { retryExport(id: $id) { status } }`, map[string]any{"id": id})
	require.Empty(t, out["errors"])
	require.Eventually(t, func() bool {
		out := rory.gql(page, map[string]any{"id": id})
		return dig(out, "data", "export", "status") == "READY"
	}, 20*time.Second, 50*time.Millisecond, "retryExport succeeds once the storage is writable")
	out = rory.gql(page, map[string]any{"id": id})
	require.EqualValues(t, len(in), dig(out, "data", "export", "rowCount"))
	var files []string
	require.NoError(t, filepath.Walk(store, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && filepath.Ext(p) != ".attrs" {
			files = append(files, p)
		}
		return err
	}))
	require.Len(t, files, 1, "one file: %v", files)
	t.Logf("FAILED with %q; READY with %d rows after retryExport", reason, len(in))
}
