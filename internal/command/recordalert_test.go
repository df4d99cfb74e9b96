package command_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// TestRecordCommandEnqueuesFlaggedRunEmails records a mass delete with the record
// command: the flagged run's email is left as a job for the servers' workers, one per
// admin, and none for the ordinary runs.
func TestRecordCommandEnqueuesFlaggedRunEmails(t *testing.T) {
	t.Parallel()
	for _, kind := range testdb.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			url := testdb.URL(t, kind)
			code, _, stderr := run("", "school", "create", "--database-url", url, "--slug", "rec", "--name", "Record School")
			require.Equal(t, 0, code, stderr)
			code, _, stderr = run("a long passphrase 1\n", "user", "create", "--database-url", url, "--school", "rec", "--username", "amy",
				"--email", "amy@rec.test", "--role", "ADMIN")
			require.Equal(t, 0, code, stderr)

			var file strings.Builder
			last := time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC)
			for i := 6; i >= 0; i-- {
				deleted := 0
				if i == 0 {
					deleted = 412
				}
				at := last.Add(-time.Duration(i) * time.Hour).Format(time.RFC3339)
				b, _ := json.Marshal(map[string]any{"type": "ACCOUNT_SYNCHRONIZATION", "syncProfile": "LDAP",
					"processed": 1000, "deleted": deleted, "dateStarted": at, "dateFinished": at})
				file.Write(b)
				file.WriteByte('\n')
			}
			code, _, stderr = run(file.String(), "record", "--database-url", url, "--school", "rec")
			require.Equal(t, 0, code, stderr)

			db, err := store.Open(context.Background(), url)
			require.NoError(t, err)
			defer db.Close()
			var n int
			require.NoError(t, db.SQL.QueryRowContext(context.Background(),
				"SELECT COUNT(*) FROM river_job WHERE kind = 'alert_email'").Scan(&n))
			require.Equal(t, 1, n)
		})
	}
}
