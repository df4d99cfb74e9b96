package export_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/mail/mailtest"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/testdb"
)

// TestExportEmailAfterSMTPOutage stops the SMTP server (connections refused), requests
// an export, and starts the server again once two attempts to send the email have
// failed: meanwhile the export is READY, its page says why the email has not gone and
// the file downloads with every row; afterwards the email arrives, exactly once, and the
// page shows it sent.
func TestExportEmailAfterSMTPOutage(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	smtpd := mailtest.Start(t)
	srv := apitest.NewWithConfig(t, db, server.Config{SMTPURL: smtpd.URL()})
	sc := srv.CreateSchool(t, "outage", "UTC")
	createAdmin(t, db, sc.ID, "olga", "olga@outage.test", "outage-password-1")
	olga := signIn(t, srv.URL, "outage", "olga", "outage-password-1")
	in := make([]map[string]any, 25)
	for i := range in {
		in[i] = map[string]any{"type": "AUTHENTICATION", "username": fmt.Sprint("user", i),
			"dateStarted": "2026-05-04T08:00:00Z", "dateFinished": "2026-05-04T08:00:01Z", "externalID": fmt.Sprint("outage-", i)}
	}
	srv.Do(t, srv.Token(t, sc.ID, auth.ScopeEventsWrite), `mutation($in: [RecordEventInput!]!) { recordEvents(input: $in) { events { id } } }`,
		map[string]any{"in": in}).OK(t)

	smtpd.Stop()
	out := olga.gql(`mutation { requestExport(filter: {activeOnly: false}) { id } }`, nil)
	require.Empty(t, out["errors"])
	id := dig(out, "data", "requestExport", "id").(string)
	const page = `query($id: ID!) { export(id: $id) { status rowCount emailError emailSentAt } }`
	var emailError string
	require.Eventually(t, func() bool {
		out := olga.gql(page, map[string]any{"id": id})
		emailError, _ = dig(out, "data", "export", "emailError").(string)
		return dig(out, "data", "export", "status") == "READY" && strings.Contains(emailError, "attempt 2 of")
	}, 30*time.Second, 100*time.Millisecond, "READY, and the email's second attempt failed")
	require.Contains(t, emailError, "connection refused", "the page says why the email has not gone")

	// The export page works while the mail server is away: the file downloads.
	resp, err := olga.c.Get(srv.URL + "/exports/" + id + "/download")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, len(in)+1, countCSVRecords(t, resp.Body), "header plus every row")
	resp.Body.Close()

	smtpd.Restart(t)
	// River's backoff puts the third attempt about 16 s after the second.
	msg := smtpd.Wait(t, 60*time.Second)
	require.Equal(t, "olga@outage.test", msg.To)
	require.Contains(t, msg.Text, "25 events")
	select {
	case m := <-smtpd.Messages:
		t.Fatalf("a second email arrived: %s", m.Subject)
	case <-time.After(3 * time.Second):
	}
	out = olga.gql(page, map[string]any{"id": id})
	require.NotNil(t, dig(out, "data", "export", "emailSentAt"), "the page shows the email sent")
	require.Nil(t, dig(out, "data", "export", "emailError"))
	t.Logf("email sent once after the outage; 1 file of %d rows", len(in))
}
