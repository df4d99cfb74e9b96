package export_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/testdb"
)

// TestFailedExportSaysWhyAndCanBeRetried breaks the export storage so a build fails,
// shows the export is FAILED with the reason, mends the storage, and retries it to READY.
func TestFailedExportSaysWhyAndCanBeRetried(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	data := t.TempDir()
	srv := apitest.NewWithConfig(t, db, server.Config{DataDir: data, ExportAttempts: 1})
	sc := srv.CreateSchool(t, "retry", "UTC")
	createAdmin(t, db, sc.ID, "rita", "rita@retry.test", "retry-password-1")
	rita := signIn(t, srv.URL, "retry", "rita", "retry-password-1")

	// Enough events that the CSV outgrows gocloud's first buffer, so the storage fails
	// while rows are being written, not only when the file is closed.
	var in []map[string]any
	for i := range 40 {
		in = append(in, map[string]any{"type": "USER_CSV_FAILED", "syncProfile": "User CSV", "dateStarted": "2026-05-04T08:00:00Z",
			"dateFinished": "2026-05-04T08:01:00Z", "errors": 1, "externalID": fmt.Sprint("retry-", i),
			"details": "row 12: the email column is empty; row 13: the grade is not a number"})
	}
	srv.Do(t, srv.Token(t, sc.ID, auth.ScopeEventsWrite), `mutation($in: [RecordEventInput!]!) { recordEvents(input: $in) { events { id } } }`,
		map[string]any{"in": in}).OK(t)

	// The school's export folder cannot be created: a file is in its way.
	blocker := filepath.Join(data, "exports", "exports")
	require.NoError(t, os.WriteFile(blocker, []byte("in the way"), 0o644))

	out := rita.gql(`mutation { requestExport(filter: {activeOnly: false}) { id } }`, nil)
	require.Empty(t, out["errors"])
	id := dig(out, "data", "requestExport", "id").(string)
	var status, reason string
	require.Eventually(t, func() bool {
		out := rita.gql(`query($id: ID!) { export(id: $id) { status error } }`, map[string]any{"id": id})
		status, _ = dig(out, "data", "export", "status").(string)
		reason, _ = dig(out, "data", "export", "error").(string)
		return status == "FAILED"
	}, 20*time.Second, 50*time.Millisecond)
	require.NotEmpty(t, reason, "a failed export says why")
	// In a sentence an admin can act on, with the system's reason but no server path.
	require.Contains(t, reason, "could not be saved to the export storage (not a directory)")
	require.Contains(t, reason, "PROVREPORT_EXPORT_BUCKET")
	require.NotContains(t, reason, data, "no server paths")

	// Only failed or expired exports can be retried.
	require.NoError(t, os.Remove(blocker))
	out = rita.gql(`mutation($id: ID!) { retryExport(id: $id) { status error } }`, map[string]any{"id": id})
	require.Empty(t, out["errors"])
	require.Equal(t, "QUEUED", dig(out, "data", "retryExport", "status"))
	require.Nil(t, dig(out, "data", "retryExport", "error"))
	require.Eventually(t, func() bool {
		out := rita.gql(`query($id: ID!) { export(id: $id) { status } }`, map[string]any{"id": id})
		return dig(out, "data", "export", "status") == "READY"
	}, 20*time.Second, 50*time.Millisecond)
	out = rita.gql(`mutation($id: ID!) { retryExport(id: $id) { status } }`, map[string]any{"id": id})
	errs, _ := out["errors"].([]any)
	require.Len(t, errs, 1)
	require.True(t, strings.Contains(mustJSON(t, errs[0]), "BAD_USER_INPUT"))
}
