package graph_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent/syncprofile"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/command"
	"github.com/provreport/provreport/internal/report"
	"github.com/provreport/provreport/internal/retention"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// TestDataVersionFollowsEveryWriter enumerates every way the report's data is written
// (recordEvents, the bulk endpoint, setUserRole, the command line's user commands and
// record, retention, ent's builders, and raw SQL inserts, updates and deletes of each
// table the report reads) and checks that each moves the school's data version, which
// the report cache is keyed by, and that none moves another school's.
func TestDataVersionFollowsEveryWriter(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := setup(t, db)
		other := b.srv.CreateSchool(t, "school-other", "")
		ctx := tenant.WithSchool(context.Background(), b.school.ID)
		version := func(schoolID int) int64 {
			v, err := report.DataVersion(context.Background(), db.Client, schoolID)
			require.NoError(t, err)
			return v
		}
		sql := func(q string, args ...any) {
			if db.Dialect == dialect.Postgres {
				for i := range args {
					q = strings.Replace(q, "?", fmt.Sprintf("$%d", i+1), 1)
				}
			}
			_, err := db.SQL.ExecContext(context.Background(), q, args...)
			require.NoError(t, err, q)
		}
		admin := signedInAdmin(t, b.srv, b.school.ID, "school-a")
		base := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
		rng := rand.New(rand.NewPCG(5, 6))
		now := time.Now().UTC().Format(time.RFC3339)

		writers := []struct {
			name  string
			write func()
		}{
			{"recordEvents", func() { record(t, b.srv, b.token, genEvents(rng, 3, base, "v1")) }},
			{"POST /api/v1/events", func() {
				line := `{"type":"SYNC_ERROR","syncProfile":"Bulk","errors":1,"dateStarted":"` + now + `","dateFinished":"` + now + `"}`
				req, err := http.NewRequest(http.MethodPost, b.srv.URL+"/api/v1/events", strings.NewReader(line+"\n"))
				require.NoError(t, err)
				req.Header.Set("Content-Type", "application/x-ndjson")
				req.Header.Set("Authorization", "Bearer "+b.token)
				res, err := b.srv.HTTP.Do(req)
				require.NoError(t, err)
				res.Body.Close()
				require.Equal(t, http.StatusOK, res.StatusCode)
			}},
			{"setUserRole", func() {
				u, err := db.Client.User.Create().SetUsername("role-change").Save(ctx)
				require.NoError(t, err)
				before := version(b.school.ID)
				res := admin(`mutation($id: ID!) { setUserRole(userID: $id, role: VIEWER) { role } }`, map[string]any{"id": fmt.Sprint(u.ID)})
				require.Contains(t, res, `"role":"VIEWER"`)
				require.Greater(t, version(b.school.ID), before)
			}},
			{"provreport user create", func() {
				var out, errOut bytes.Buffer
				code := command.Run(context.Background(), []string{"user", "create", "--database-url", db.URL, "--school", "school-a",
					"--username", "cli-user", "--email", "cli@example.org", "--role", "VIEWER"}, strings.NewReader("cli-password-123\n"), &out, &errOut)
				require.Equal(t, 0, code, errOut.String())
			}},
			{"provreport user set-password", func() {
				var out, errOut bytes.Buffer
				code := command.Run(context.Background(), []string{"user", "set-password", "--database-url", db.URL, "--school", "school-a",
					"--username", "cli-user"}, strings.NewReader("cli-password-456\n"), &out, &errOut)
				require.Equal(t, 0, code, errOut.String())
			}},
			{"provreport record", func() {
				line := `{"type":"AUTHORISATION","username":"cli-user","dateStarted":"` + now + `","dateFinished":"` + now + `"}`
				var out, errOut bytes.Buffer
				code := command.Run(context.Background(), []string{"record", "--database-url", db.URL, "--school", "school-a"},
					strings.NewReader(line+"\n"), &out, &errOut)
				require.Equal(t, 0, code, errOut.String())
			}},
			{"retention", func() {
				n, err := retention.Purge(context.Background(), db, base.Add(24*time.Hour))
				require.NoError(t, err)
				require.Positive(t, n)
			}},
			{"ent: create a sync profile", func() {
				require.NoError(t, db.Client.SyncProfile.Create().SetName("ent profile").SetKind("LDAP").Exec(ctx))
			}},
			{"ent: rename sync profiles", func() {
				require.NoError(t, db.Client.SyncProfile.Update().Where(syncprofile.Name("ent profile")).SetName("renamed").Exec(ctx))
			}},
			{"ent: update a user", func() {
				require.NoError(t, db.Client.User.Update().SetDisplayName("Renamed").Exec(ctx))
			}},
			{"SQL: insert an event", func() {
				sql(`INSERT INTO events (school_id, type, date_started, date_finished, processed, added, updated, deleted, disabled, errors, details, problems, recorded_at)
					VALUES (?, 'SYNC_ERROR', ?, ?, 0, 0, 0, 0, 0, 1, 'raw', '[]', ?)`, b.school.ID, base, base, base)
			}},
			{"SQL: update events", func() { sql(`UPDATE events SET details = 'changed' WHERE school_id = ?`, b.school.ID) }},
			{"SQL: delete an event", func() {
				sql(`DELETE FROM events WHERE id IN (SELECT id FROM events WHERE school_id = ? AND details = 'changed' LIMIT 1)`, b.school.ID)
			}},
			{"SQL: insert a user", func() {
				sql(`INSERT INTO users (school_id, create_time, username, display_name, email, role) VALUES (?, ?, 'raw-user', '', '', 'NONE')`, b.school.ID, base)
			}},
			{"SQL: update users", func() {
				sql(`UPDATE users SET email = 'x@example.org' WHERE username = 'raw-user' AND school_id = ?`, b.school.ID)
			}},
			{"SQL: delete a user", func() { sql(`DELETE FROM users WHERE username = 'raw-user' AND school_id = ?`, b.school.ID) }},
			{"SQL: insert a sync profile", func() {
				sql(`INSERT INTO sync_profiles (school_id, create_time, name, kind) VALUES (?, ?, 'raw profile', 'SCRIPT')`, b.school.ID, base)
			}},
			{"SQL: update sync profiles", func() {
				sql(`UPDATE sync_profiles SET kind = 'LDAP' WHERE name = 'raw profile' AND school_id = ?`, b.school.ID)
			}},
			{"SQL: delete a sync profile", func() { sql(`DELETE FROM sync_profiles WHERE name = 'raw profile' AND school_id = ?`, b.school.ID) }},
		}
		for _, w := range writers {
			before, otherBefore := version(b.school.ID), version(other.ID)
			w.write()
			require.Greater(t, version(b.school.ID), before, "%s moves the school's data version", w.name)
			require.Equal(t, otherBefore, version(other.ID), "%s leaves another school's data version alone", w.name)
		}
		// A write that changes nothing of the report (a token) leaves the version alone.
		before := version(b.school.ID)
		b.srv.Token(t, b.school.ID, auth.ScopeReportsRead)
		require.Equal(t, before, version(b.school.ID))
	})
}
