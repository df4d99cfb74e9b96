package server_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/testbin"
	"github.com/provreport/provreport/internal/testdb"
)

// TestSecondServerOnOneSQLiteFile starts a server process on a SQLite file and then a
// second one on the same file: the second refuses to start with a message saying why
// (live delivery on SQLite lives in one process's memory, so a second server's
// subscribers would silently miss the first's events), the first keeps serving, the
// command-line tools still work beside it, and once the first is killed the lock goes
// with it, so a new server starts.
func TestSecondServerOnOneSQLiteFile(t *testing.T) {
	t.Parallel()
	url := testdb.URL(t, "sqlite")
	env := []string{"DATABASE_URL=" + url, "PROVREPORT_DATA_DIR=" + t.TempDir(), "PROVREPORT_LOG_LEVEL=warn"}
	first := testbin.Serve(t, env)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	second := exec.CommandContext(ctx, testbin.Build(t), "serve", "--addr", "127.0.0.1:0")
	second.Env = append(os.Environ(), env...)
	out, err := second.CombinedOutput()
	require.NoError(t, ctx.Err(), "the second server must exit at once, not serve:\n%s", out)
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "the second server fails: %v\n%s", err, out)
	require.Equal(t, 1, exit.ExitCode(), "%s", out)
	require.NotContains(t, string(out), "listening on")
	require.Contains(t, string(out), "another provreport serve holds")
	require.Contains(t, string(out), strings.TrimPrefix(url, "sqlite:")+".lock")

	code, _ := get(t, first.URL+"/readyz")
	require.Equal(t, 200, code, "the first server still serves")
	testbin.Run(t, env, "school", "create", "--slug", "beside", "--name", "Beside", "--timezone", "UTC")

	first.Kill()
	third := testbin.Serve(t, env)
	code, _ = get(t, third.URL+"/readyz")
	require.Equal(t, 200, code, "a crashed server's lock is gone with it")
}
