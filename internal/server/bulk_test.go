package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// bulkReply is what POST /api/v1/events answers.
type bulkReply struct {
	Recorded   int      `json:"recorded"`
	Duplicates int      `json:"duplicates"`
	IDs        []string `json:"ids"`
	Errors     []struct {
		Line    int    `json:"line"`
		Field   string `json:"field"`
		Message string `json:"message"`
		Code    string `json:"code"`
	} `json:"errors"`
}

// postBulk sends body to the bulk endpoint with token and the NDJSON content type.
func postBulk(t *testing.T, srv *apitest.Server, token, contentType, body string) (int, bulkReply) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/events", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := srv.HTTP.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var out bulkReply
	require.NoError(t, json.Unmarshal(raw, &out), string(raw))
	return res.StatusCode, out
}

// ndjsonLine is one event as an agent writes it.
func ndjsonLine(ext string, at time.Time, added int) string {
	b, _ := json.Marshal(map[string]any{"type": "ACCOUNT_SYNCHRONIZATION", "syncProfile": "LDAP Bulk",
		"startedAt": at.Format(time.RFC3339), "finishedAt": at.Format(time.RFC3339),
		"processed": 100, "added": added, "externalID": ext, "details": "bulk " + ext})
	return string(b)
}

func ndjson(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

func countEvents(t *testing.T, db *store.DB, schoolID int) int {
	t.Helper()
	n, err := db.Client.Event.Query().Count(tenant.WithSchool(t.Context(), schoolID))
	require.NoError(t, err)
	return n
}

// TestBulkIngestion records NDJSON through POST /api/v1/events: the answer, atomicity
// (one bad line stores nothing and every bad line is named), idempotency by external ID,
// the limits, the scope and the content type, and that the events are the school's own.
func TestBulkIngestion(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		srv := apitest.New(t, db)
		a := srv.CreateSchool(t, "alpha", "UTC")
		b := srv.CreateSchool(t, "beta", "UTC")
		write := srv.Token(t, a.ID, auth.ScopeEventsWrite)
		read := srv.Token(t, a.ID, auth.ScopeReportsRead)
		now := time.Now().UTC().Truncate(time.Second)
		const nd = "application/x-ndjson"

		// Three good lines (and a blank one): three events, in line order.
		status, out := postBulk(t, srv, write, nd, ndjson(ndjsonLine("a-1", now, 1), "", ndjsonLine("a-2", now, 2), ndjsonLine("a-3", now, 3)))
		require.Equal(t, http.StatusOK, status, "%+v", out)
		require.Equal(t, 3, out.Recorded)
		require.Equal(t, 0, out.Duplicates)
		require.Len(t, out.IDs, 3)
		for i, id := range out.IDs {
			e, err := db.Client.Event.Get(tenant.WithSchool(t.Context(), a.ID), apitest.IntID(t, id))
			require.NoError(t, err)
			require.Equal(t, i+1, e.Added)
			require.Equal(t, "ACCOUNT_SYNCHRONIZATION", string(e.Type))
		}
		require.Equal(t, 3, countEvents(t, db, a.ID))

		// The same external IDs again, with a new one: only the new one is stored, and the
		// repeats answer with the stored events' IDs.
		status, again := postBulk(t, srv, write, nd, ndjson(ndjsonLine("a-1", now, 1), ndjsonLine("a-4", now, 4), ndjsonLine("a-3", now, 3)))
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, 1, again.Recorded)
		require.Equal(t, 2, again.Duplicates)
		require.Equal(t, out.IDs[0], again.IDs[0])
		require.Equal(t, out.IDs[2], again.IDs[2])
		require.Equal(t, 4, countEvents(t, db, a.ID))

		// Bad lines: every one is named with its line and field, and nothing is stored.
		bad := ndjson(
			ndjsonLine("a-5", now, 5),
			`{"type":"NOT_A_TYPE","syncProfile":"x","dateStarted":"2026-01-01T00:00:00Z","dateFinished":"2026-01-01T00:00:00Z"}`,
			`{"type":"ACCOUNT_SYNCHRONIZATION","syncProfile":"x","dateStarted":"2026-01-01T00:00:00Z","dateFinished":"2026-01-01T00:00:00Z","added":-1}`,
			`{"type":"AUTHENTICATION","dateStarted":"2026-01-01T00:00:00Z","dateFinished":"2026-01-01T00:00:00Z"}`,
			`not json`,
			`{"type":"SYNC_ERROR","syncProfile":"x","dateStarted":"2026-01-01T00:00:00Z","dateFinished":"2026-01-01T00:00:00Z","colour":"red"}`,
			`{"type":"SYNC_ERROR","syncProfile":"x","dateStarted":"yesterday","dateFinished":"2026-01-01T00:00:00Z"}`,
			`{"type":"SYNC_ERROR","syncProfile":"x","dateFinished":"2026-01-01T00:00:00Z","errors":"two"}`,
			// The deprecated name with another instant than the new one.
			`{"type":"SYNC_ERROR","syncProfile":"x","startedAt":"2026-01-01T00:00:00Z","dateStarted":"2026-01-01T01:00:00Z","finishedAt":"2026-01-02T00:00:00Z"}`,
			// Neither name of the finish.
			`{"type":"SYNC_ERROR","syncProfile":"x","startedAt":"2026-01-01T00:00:00Z"}`,
		)
		status, refused := postBulk(t, srv, write, nd, bad)
		require.Equal(t, http.StatusBadRequest, status)
		require.Len(t, refused.Errors, 9, "%+v", refused.Errors)
		lines := map[int]string{}
		for _, e := range refused.Errors {
			require.NotEmpty(t, e.Message)
			lines[e.Line] = e.Field
		}
		require.Equal(t, map[int]string{2: "type", 3: "added", 4: "username", 5: "", 6: "colour", 7: "dateStarted", 8: "errors", 9: "dateStarted", 10: "finishedAt"}, lines)
		require.Equal(t, 4, countEvents(t, db, a.ID), "nothing of a refused body is stored")

		// More than 10,000 lines are refused whole.
		var many strings.Builder
		for i := range 10_001 {
			many.WriteString(ndjsonLine(fmt.Sprintf("m-%d", i), now, 1))
			many.WriteByte('\n')
		}
		status, tooMany := postBulk(t, srv, write, nd, many.String())
		require.Equal(t, http.StatusRequestEntityTooLarge, status)
		require.Equal(t, "REQUEST_TOO_LARGE", tooMany.Errors[0].Code)
		require.Equal(t, 4, countEvents(t, db, a.ID))

		// The scope, the credential and the content type.
		status, denied := postBulk(t, srv, read, nd, ndjson(ndjsonLine("r-1", now, 1)))
		require.Equal(t, http.StatusForbidden, status)
		require.Equal(t, "FORBIDDEN", denied.Errors[0].Code)
		status, anon := postBulk(t, srv, "", nd, ndjson(ndjsonLine("r-1", now, 1)))
		require.Equal(t, http.StatusUnauthorized, status)
		require.Equal(t, "UNAUTHENTICATED", anon.Errors[0].Code)
		status, _ = postBulk(t, srv, write, "text/plain", ndjson(ndjsonLine("r-1", now, 1)))
		require.Equal(t, http.StatusUnsupportedMediaType, status)
		require.Equal(t, 4, countEvents(t, db, a.ID))

		// Another school's token stores into its own school, even with the same
		// external IDs; alpha's events are untouched and beta cannot see them.
		writeB := srv.Token(t, b.ID, auth.ScopeEventsWrite)
		status, other := postBulk(t, srv, writeB, nd, ndjson(ndjsonLine("a-1", now, 9)))
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, 1, other.Recorded)
		require.NotEqual(t, out.IDs[0], other.IDs[0])
		require.Equal(t, 1, countEvents(t, db, b.ID))
		require.Equal(t, 4, countEvents(t, db, a.ID))
		readB := srv.Token(t, b.ID, auth.ScopeReportsRead)
		srv.Do(t, readB, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": out.IDs[0]}).Error(t, "NOT_FOUND")
	})
}

// TestBulkIngestionLive: events recorded in bulk reach live subscribers as those of
// recordEvents do.
func TestBulkIngestionLive(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		srv := apitest.New(t, db)
		a := srv.CreateSchool(t, "alpha", "UTC")
		read := srv.Token(t, a.ID, auth.ScopeReportsRead)
		write := srv.Token(t, a.ID, auth.ScopeEventsWrite)
		ws, err := dialWS(t, srv.URL, nil, map[string]any{"Authorization": "Bearer " + read})
		require.NoError(t, err)
		ws.subscribe("1", `subscription { eventRecorded { added syncProfile { name } } }`, nil)
		time.Sleep(200 * time.Millisecond) // let the subscription register before recording

		now := time.Now().UTC()
		status, out := postBulk(t, srv, write, "application/x-ndjson", ndjson(ndjsonLine("l-1", now, 7), ndjsonLine("l-2", now, 8)))
		require.Equal(t, http.StatusOK, status, "%+v", out)
		for _, want := range []int{7, 8} {
			m, err := ws.read(10 * time.Second)
			require.NoError(t, err)
			require.Equal(t, "next", m.Type, string(m.Payload))
			var got struct {
				Data struct {
					EventRecorded struct {
						Added       int
						SyncProfile struct{ Name string }
					}
				}
			}
			require.NoError(t, json.Unmarshal(m.Payload, &got))
			require.Equal(t, want, got.Data.EventRecorded.Added)
			require.Equal(t, "LDAP Bulk", got.Data.EventRecorded.SyncProfile.Name)
		}
	})
}
