package export_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/mail/mailtest"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// TestChangesExportEmailed requests a run's changes by email, follows the link from a
// real SMTP server and checks the file: the byte-order mark, the header and the rows,
// as the direct download gives them.
func TestChangesExportEmailed(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		smtpd := mailtest.Start(t)
		srv := apitest.NewWithConfig(t, db, server.Config{SMTPURL: smtpd.URL(), SMTPFrom: "reports@provreport.test"})
		north := srv.CreateSchool(t, "north", "UTC")
		createAdmin(t, db, north.ID, "amy", "amy@north.test", "north-password-1")
		token := srv.Token(t, north.ID, auth.ScopeEventsWrite, auth.ScopeReportsRead)
		fin := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		run := map[string]any{
			"type": "ACCOUNT_SYNCHRONIZATION", "syncProfile": "LDAP Students", "processed": 2, "added": 1, "updated": 1,
			"dateStarted": fin.Add(-time.Minute).Format(time.RFC3339), "dateFinished": fin.Format(time.RFC3339),
			"changes": []map[string]any{
				{"action": "ADDED", "username": "zoe", "displayName": "Zoë Café", "email": "zoe@north.test"},
				{"action": "UPDATED", "username": "jo", "attributes": []map[string]any{{"name": "givenName", "old": "Jo", "new": "Joanna"}}},
			},
		}
		var rec struct {
			RecordEvents struct{ Events []struct{ ID string } }
		}
		srv.Do(t, token, recordMutation, map[string]any{"in": []any{run}}).OK(t).Decode(t, &rec)

		amy := signIn(t, srv.URL, "north", "amy", "north-password-1")
		out := amy.gql(`mutation($id: ID!) { requestChangesExport(eventID: $id) { id } }`, map[string]any{"id": rec.RecordEvents.Events[0].ID})
		require.Empty(t, out["errors"])
		id := dig(out, "data", "requestChangesExport", "id").(string)
		msg := smtpd.Wait(t, 30*time.Second)
		require.Equal(t, "amy@north.test", msg.To)
		require.Contains(t, msg.Text, srv.URL+"/exports/"+id)

		resp, err := amy.c.Get(srv.URL + "/exports/" + id + "/download")
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		require.Equal(t, "\xEF\xBB\xBFaction,username,display_name,email,attribute,old,new,message\r\n"+
			"ADDED,zoe,Zoë Café,zoe@north.test,,,,\r\n"+
			"UPDATED,jo,,,givenName,Jo,Joanna,\r\n", string(body))
	})
}
