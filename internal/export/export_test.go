package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/export"
	"github.com/provreport/provreport/internal/mail/mailtest"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

const recordMutation = `mutation($in: [RecordEventInput!]!) { recordEvents(input: $in) { events { id } } }`

// browser is an HTTP client with a cookie jar, signed in to the dashboard.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func signIn(t *testing.T, base, school, username, password string) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	b := &browser{t: t, base: base, c: &http.Client{Jar: jar}}
	out := b.gql(`mutation($s: String!, $u: String!, $p: String!) { signIn(school: $s, username: $u, password: $p) { id } }`,
		map[string]any{"s": school, "u": username, "p": password})
	require.Empty(t, out["errors"], "sign in")
	return b
}

func (b *browser) gql(query string, vars map[string]any) map[string]any {
	b.t.Helper()
	body := fmt.Sprintf(`{"query": %q, "variables": %s}`, query, mustJSON(b.t, vars))
	resp, err := b.c.Post(b.base+"/graphql", "application/json", strings.NewReader(body))
	require.NoError(b.t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(b.t, decodeJSON(resp.Body, &out))
	return out
}

func createAdmin(t *testing.T, db *store.DB, schoolID int, username, email, password string) {
	t.Helper()
	ctx := tenant.WithSchool(context.Background(), schoolID)
	h, err := auth.HashPassword(password)
	require.NoError(t, err)
	// Sync health alerts are off, so that the export's email is the only one the test
	// server receives (the test's history would otherwise be alerted as quiet).
	require.NoError(t, db.Client.User.Create().SetUsername(username).SetEmail(email).SetDisplayName(username).
		SetRole(user.RoleADMIN).SetPasswordHash(h).SetAlertFlaggedRuns(false).SetAlertFailing(false).
		SetAlertQuiet(false).SetAlertDigest(false).Exec(ctx))
}

// TestExportEndToEnd walks the product description's "Download Provisioning Report" flow: request,
// email from a real SMTP server, the link, the download, and every row compared with
// what the events query returns for the same filter.
func TestExportEndToEnd(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		smtpd := mailtest.Start(t)
		srv := apitest.NewWithConfig(t, db, server.Config{SMTPURL: smtpd.URL(), SMTPFrom: "reports@provreport.test"})
		north := srv.CreateSchool(t, "north", "Australia/Sydney")
		south := srv.CreateSchool(t, "south", "Europe/London")
		createAdmin(t, db, north.ID, "amy", "amy@north.test", "north-password-1")
		createAdmin(t, db, south.ID, "sam", "sam@south.test", "south-password-1")
		token := srv.Token(t, north.ID, auth.ScopeEventsWrite, auth.ScopeReportsRead)

		base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		tricky := []string{
			"=HYPERLINK(\"http://evil.test\",\"click\")", "+61 400 000 000", "-1 accounts", "@SUM(A1:A2)",
			"\tindented", "line one\nline two, with a comma\nand \"quotes\"", "plain text", "Zoë's café ☕",
		}
		var in []map[string]any
		for i := 0; i < 180; i++ {
			fin := base.Add(time.Duration(i) * 37 * time.Minute)
			ev := map[string]any{
				"dateStarted": fin.Add(-time.Minute).Format(time.RFC3339), "dateFinished": fin.Format(time.RFC3339),
				"details": tricky[i%len(tricky)], "externalID": "e" + strconv.Itoa(i),
			}
			switch i % 4 {
			case 0:
				ev["type"], ev["syncProfile"], ev["processed"], ev["updated"] = "ACCOUNT_SYNCHRONIZATION", "=LDAP Staff", 40, i%3
			case 1:
				ev["type"], ev["syncProfile"], ev["processed"], ev["errors"] = "USER_CSV_PROCESSED_WITH_ERRORS", "User CSV", 12, 2
				ev["problems"] = []map[string]any{{"line": 3, "field": "email", "message": "bad"}}
			case 2:
				ev["type"], ev["username"] = "AUTHENTICATION_FAILED", "kid"+strconv.Itoa(i%5)
			default:
				ev["type"], ev["syncProfile"], ev["processed"] = "ACCOUNT_SYNCHRONIZATION", "=LDAP Staff", 40
			}
			in = append(in, ev)
		}
		srv.Do(t, token, recordMutation, map[string]any{"in": in}).OK(t)

		amy := signIn(t, srv.URL, "north", "amy", "north-password-1")
		filter := map[string]any{"from": base.Add(3 * time.Hour).Format(time.RFC3339), "to": base.Add(90 * time.Hour).Format(time.RFC3339),
			"types": []string{"ACCOUNT_SYNCHRONIZATION", "USER_CSV_PROCESSED_WITH_ERRORS"}}
		out := amy.gql(`mutation($f: ReportFilter) { requestExport(filter: $f) { id status } }`, map[string]any{"f": filter})
		require.Empty(t, out["errors"])
		id := dig(out, "data", "requestExport", "id").(string)
		require.Equal(t, "QUEUED", dig(out, "data", "requestExport", "status"))

		// What the events query returns for this filter now is what the file must hold.
		want := allEvents(t, amy, filter)

		// An event recorded after the request is not in the export.
		late := map[string]any{"type": "USER_CSV_PROCESSED_WITH_ERRORS", "syncProfile": "User CSV", "processed": 1, "errors": 1,
			"dateStarted": base.Add(5 * time.Hour).Format(time.RFC3339), "dateFinished": base.Add(5 * time.Hour).Format(time.RFC3339)}
		srv.Do(t, token, recordMutation, map[string]any{"in": []any{late}}).OK(t)

		msg := smtpd.Wait(t, 30*time.Second)
		require.Equal(t, "amy@north.test", msg.To)
		require.Contains(t, msg.Subject, "School north")
		require.Contains(t, msg.Subject, "1 Mar 2026 14:00 to 5 Mar 2026 05:00", "subject names the range in the school's zone")
		link := srv.URL + "/exports/" + id
		require.Contains(t, msg.Text, link)
		require.Contains(t, msg.HTML, `href="`+link+`"`)
		require.Regexp(t, regexp.MustCompile(`ready: [\d,]+ events`), msg.Text)

		// The link's page is the dashboard's; the API behind it gives the download.
		out = amy.gql(`query($id: ID!) { export(id: $id) { status rowCount byteSize downloadURL fileName expiresAt error } }`, map[string]any{"id": id})
		require.Empty(t, out["errors"])
		require.Equal(t, "READY", dig(out, "data", "export", "status"))
		dl := dig(out, "data", "export", "downloadURL").(string)
		require.Equal(t, link+"/download", dl)

		resp, err := amy.c.Get(dl)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		require.Equal(t, `attachment; filename="provisioning-report-north-2026-03-01-2026-03-05.csv"`, resp.Header.Get("Content-Disposition"))
		require.EqualValues(t, len(body), dig(out, "data", "export", "byteSize"))

		// The file starts with a UTF-8 byte-order mark (for Excel), then the exact header.
		require.True(t, bytes.HasPrefix(body, []byte("\xEF\xBB\xBFupdated,added,")), "BOM then header: %q", body[:20])
		records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte(export.BOM)))).ReadAll()
		require.NoError(t, err)
		require.Equal(t, export.Header, records[0])
		rows := records[1:]
		require.EqualValues(t, len(rows), dig(out, "data", "export", "rowCount"))

		require.Equal(t, len(want), len(rows), "export rows vs events")
		require.NotEmpty(t, rows)
		loc, _ := time.LoadLocation("Australia/Sydney")
		for i, ev := range want {
			fin, _ := time.Parse(time.RFC3339, ev["dateFinished"].(string))
			st, _ := time.Parse(time.RFC3339, ev["dateStarted"].(string))
			profile := ""
			if p, ok := ev["syncProfile"].(map[string]any); ok {
				profile = p["name"].(string)
			}
			wantRow := []string{num(ev["updated"]), num(ev["added"]), num(ev["deleted"]), num(ev["disabled"]),
				ev["typeName"].(string), export.Cell(profile), num(ev["errors"]), fin.In(loc).Format(time.RFC3339),
				num(ev["processed"]), st.In(loc).Format(time.RFC3339), export.Cell(ev["details"].(string))}
			require.Equal(t, wantRow, rows[i], "row %d", i+1)
		}
		// Formulas are neutralised and line breaks survive inside quotes.
		require.Contains(t, string(body), `'=LDAP Staff`)
		require.Contains(t, string(body), "\"line one\r\nline two, with a comma\r\nand \"\"quotes\"\"\"")

		// Nobody else gets the file: another school's admin, or nobody signed in.
		sam := signIn(t, srv.URL, "south", "sam", "south-password-1")
		resp, err = sam.c.Get(dl)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
		out = sam.gql(`query($id: ID!) { export(id: $id) { id } }`, map[string]any{"id": id})
		require.Nil(t, dig(out, "data", "export"))
		resp, err = http.Get(dl)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

		// Once expired, the file is gone: 410.
		n, err := srv.App.Exports.Expire(context.Background(), time.Now().Add(8*24*time.Hour))
		require.NoError(t, err)
		require.Equal(t, 1, n)
		resp, err = amy.c.Get(dl)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusGone, resp.StatusCode)
	})
}

// TestExportEmailFailureIsVisible shows a refused email is retried and its failure is
// visible on the export meanwhile.
func TestExportEmailFailureIsVisible(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	smtpd := mailtest.Start(t)
	smtpd.FailNext(1)
	srv := apitest.NewWithConfig(t, db, server.Config{SMTPURL: smtpd.URL()})
	sc := srv.CreateSchool(t, "east", "UTC")
	createAdmin(t, db, sc.ID, "eve", "eve@east.test", "east-password-1")
	eve := signIn(t, srv.URL, "east", "eve", "east-password-1")
	out := eve.gql(`mutation { requestExport(filter: {activeOnly: false}) { id } }`, nil)
	require.Empty(t, out["errors"])
	id := dig(out, "data", "requestExport", "id").(string)
	require.Eventually(t, func() bool {
		out := eve.gql(`query($id: ID!) { export(id: $id) { emailError } }`, map[string]any{"id": id})
		e, _ := dig(out, "data", "export", "emailError").(string)
		return strings.Contains(e, "451")
	}, 20*time.Second, 50*time.Millisecond, "the SMTP refusal shows on the export")
}

func allEvents(t *testing.T, b *browser, filter map[string]any) []map[string]any {
	var out []map[string]any
	var after any
	for {
		res := b.gql(`query($f: ReportFilter, $after: Cursor) { events(first: 50, after: $after, filter: $f) {
			edges { node { typeName dateStarted dateFinished processed added updated deleted disabled errors details syncProfile { name } } }
			pageInfo { hasNextPage endCursor } } }`, map[string]any{"f": filter, "after": after})
		require.Empty(t, res["errors"])
		for _, e := range dig(res, "data", "events", "edges").([]any) {
			out = append(out, e.(map[string]any)["node"].(map[string]any))
		}
		if !dig(res, "data", "events", "pageInfo", "hasNextPage").(bool) {
			return out
		}
		after = dig(res, "data", "events", "pageInfo", "endCursor")
	}
}

func dig(m any, path ...string) any {
	for _, p := range path {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[p]
	}
	return m
}

func num(v any) string { return strconv.Itoa(int(v.(float64))) }
