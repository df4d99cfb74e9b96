package command_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/command"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// run runs the command line with stdin and returns its exit code, stdout and stderr.
func run(stdin string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := command.Run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestRecordCommand records an NDJSON file larger than one bulk request from standard
// input, reruns it (nothing is stored twice), and refuses a file with a bad line,
// naming the line, without storing anything of its transaction.
func TestRecordCommand(t *testing.T) {
	t.Parallel()
	for _, kind := range testdb.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			testRecordCommand(t, testdb.URL(t, kind))
		})
	}
}

func testRecordCommand(t *testing.T, url string) {
	code, _, stderr := run("", "school", "create", "--database-url", url, "--slug", "rec", "--name", "Record School")
	require.Equal(t, 0, code, stderr)

	var file strings.Builder
	at := time.Date(2026, 3, 5, 8, 30, 0, 0, time.UTC).Format(time.RFC3339)
	const n = 10_250
	for i := range n {
		b, _ := json.Marshal(map[string]any{"type": "AUTHORISATION", "username": fmt.Sprintf("u%d", i%40),
			"service": "Canvas", "dateStarted": at, "dateFinished": at, "externalID": fmt.Sprintf("ext-%d", i)})
		file.Write(b)
		file.WriteByte('\n')
	}
	code, stdout, stderr := run(file.String(), "record", "--database-url", url, "--school", "rec")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, fmt.Sprintf("recorded %d events, 0 already stored\n", n), stdout)

	code, stdout, stderr = run(file.String(), "record", "--database-url", url, "--school", "rec", "-")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, fmt.Sprintf("recorded 0 events, %d already stored\n", n), stdout)

	bad := `{"type":"AUTHORISATION","username":"x","dateStarted":"` + at + `","dateFinished":"` + at + `"}` + "\n" +
		`{"type":"AUTHORISATION","dateStarted":"` + at + `","dateFinished":"` + at + `"}` + "\n"
	code, _, stderr = run(bad, "record", "--database-url", url, "--school", "rec")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "line 2: username: is required")

	db, err := store.Open(context.Background(), url)
	require.NoError(t, err)
	defer db.Close()
	count, err := db.Client.Event.Query().Count(tenant.Unscoped(context.Background()))
	require.NoError(t, err)
	require.Equal(t, n, count)
}
