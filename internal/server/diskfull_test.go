package server_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/queue"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
)

// smallDisk mounts a 4 MiB tmpfs for the test and unmounts it when the test ends. A
// file system that really runs out of space is the honest way to fill SQLite's disk:
// writes then fail with ENOSPC, which SQLite reports as SQLITE_FULL. Mounting needs
// root; elsewhere the test cannot make a disk full and says so.
func smallDisk(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("filling a disk needs a small file system, and mounting one (tmpfs) needs root")
	}
	dir := filepath.Join(t.TempDir(), "disk")
	require.NoError(t, os.Mkdir(dir, 0o755))
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).CombinedOutput()
	require.NoError(t, err, "mount a 4 MiB tmpfs: %s", out)
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a file in dir until the file system is full, and returns a function that
// frees the space again.
func fill(t *testing.T, dir string) (free func()) {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	require.NoError(t, err)
	chunk := make([]byte, 64<<10)
	for {
		if _, err = f.Write(chunk); err != nil {
			break
		}
	}
	require.True(t, errors.Is(err, syscall.ENOSPC), "filling stopped with %v", err)
	require.NoError(t, f.Close())
	return func() { require.NoError(t, os.Remove(path)) }
}

// TestIngestWhenDiskIsFull fills the disk under a SQLite database and records a batch
// through the real GraphQL handler: the agent is told what is wrong with the typed code
// SERVICE_UNAVAILABLE (not an internal error), /readyz answers 503 while writes fail,
// nothing of the batch is stored, and once space is freed the same batch is recorded,
// once, and /readyz is 200 again.
func TestIngestWhenDiskIsFull(t *testing.T) {
	t.Parallel()
	dir := smallDisk(t)
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(dir, "provreport.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.Migrate(context.Background()))
	require.NoError(t, queue.Migrate(context.Background(), db))
	srv := apitest.New(t, db)
	sc := srv.CreateSchool(t, "full", "UTC")
	token := srv.Token(t, sc.ID, auth.ScopeEventsWrite)

	at := time.Now().UTC().Add(-time.Hour)
	batch := make([]map[string]any, 200)
	for i := range batch {
		batch[i] = map[string]any{"type": "ACCOUNT_SYNCHRONIZATION", "syncProfile": "staff", "processed": 1,
			"dateStarted": at.Format(time.RFC3339), "dateFinished": at.Format(time.RFC3339),
			"externalID": fmt.Sprintf("run-%d", i), "details": strings.Repeat("x", 4000)}
	}
	const record = `mutation($in: [RecordEventInput!]!) { recordEvents(input: $in) { events { id } } }`
	code, _ := get(t, srv.URL+"/readyz")
	require.Equal(t, 200, code)

	free := fill(t, dir)
	r := srv.Do(t, token, record, map[string]any{"in": batch})
	require.NotEmpty(t, r.Errors, "a batch cannot be written on a full disk")
	require.Equal(t, "SERVICE_UNAVAILABLE", r.Errors[0].Code(), "%+v", r.Errors[0])
	require.Contains(t, r.Errors[0].Message, "out of disk space")
	code, body := get(t, srv.URL+"/readyz")
	require.Equal(t, 503, code, "/readyz while writes fail")
	require.Contains(t, body, "database full")

	free()
	r = srv.Do(t, token, record, map[string]any{"in": batch})
	require.Empty(t, r.Errors)
	code, _ = get(t, srv.URL+"/readyz")
	require.Equal(t, 200, code, "/readyz once writes work again")
	n, err := db.Client.Event.Query().Count(tenant.WithSchool(context.Background(), sc.ID))
	require.NoError(t, err)
	require.Equal(t, len(batch), n, "the batch is stored once")
}
