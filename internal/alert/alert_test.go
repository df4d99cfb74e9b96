package alert_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/mail/mailtest"
	"github.com/provreport/provreport/internal/queue"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

const recordMutation = `mutation($in: [RecordEventInput!]!) { recordEvents(input: $in) { events { id flags } } }`

// clock is a movable test clock for server.Config.Now.
type clock struct{ at atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.set(t)
	return c
}
func (c *clock) set(t time.Time)     { c.at.Store(t.UnixNano()) }
func (c *clock) now() time.Time      { return time.Unix(0, c.at.Load()).UTC() }
func (c *clock) add(d time.Duration) { c.set(c.now().Add(d)) }

func createUser(t *testing.T, db *store.DB, schoolID int, username, email string, role user.Role) {
	t.Helper()
	ctx := tenant.WithSchool(context.Background(), schoolID)
	h, err := auth.HashPassword(username + "-password-1")
	require.NoError(t, err)
	require.NoError(t, db.Client.User.Create().SetUsername(username).SetEmail(email).SetDisplayName(username).
		SetRole(role).SetPasswordHash(h).Exec(ctx))
}

// withoutDigest turns off username's daily digest. Tests that read status emails
// alone use it: their clocks are the real one or move across 07:00, and in the
// morning hours a digest of yesterday would arrive among the emails they count.
func withoutDigest(t *testing.T, db *store.DB, schoolID int, username string) {
	t.Helper()
	require.NoError(t, db.Client.User.Update().Where(user.Username(username)).SetAlertDigest(false).
		Exec(tenant.WithSchool(context.Background(), schoolID)))
}

func run(typ, profile string, processed, deleted int, at time.Time) map[string]any {
	return map[string]any{"type": typ, "syncProfile": profile, "processed": processed, "deleted": deleted,
		"dateStarted": at.Add(-time.Minute).Format(time.RFC3339), "dateFinished": at.Format(time.RFC3339)}
}

// history is n hourly ACCOUNT_SYNCHRONIZATION runs of profile processing 1,000
// records each, the last finishing at last.
func history(profile string, n int, last time.Time) []any {
	var in []any
	for i := n - 1; i >= 0; i-- {
		in = append(in, run("ACCOUNT_SYNCHRONIZATION", profile, 1000, 0, last.Add(-time.Duration(i)*time.Hour)))
	}
	return in
}

// collect returns the messages that arrive within d.
func collect(s *mailtest.Server, d time.Duration) []mailtest.Message {
	var out []mailtest.Message
	deadline := time.After(d)
	for {
		select {
		case m := <-s.Messages:
			out = append(out, m)
		case <-deadline:
			return out
		}
	}
}

// collectFirst waits up to wait for a first message, then collects what else arrives
// within more, so a slow machine cannot miss a message and a repeated one is still seen.
func collectFirst(s *mailtest.Server, wait, more time.Duration) []mailtest.Message {
	select {
	case m := <-s.Messages:
		return append([]mailtest.Message{m}, collect(s, more)...)
	case <-time.After(wait):
		return nil
	}
}

func subjects(ms []mailtest.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.To + ": " + m.Subject
	}
	return out
}

// TestAlertEmails records a mass delete and the history of a profile that stopped
// long ago, over a real SMTP server: the admin gets one email for each (the flagged
// run linking to the profile's report, the quiet profile to the Sync health page),
// with plain-text and HTML parts; a viewer, who has not opted in, gets nothing; and
// nothing is sent again over many checks.
func TestAlertEmails(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		smtpd := mailtest.Start(t)
		srv := apitest.NewWithConfig(t, db, server.Config{SMTPURL: smtpd.URL(), SMTPFrom: "alerts@provreport.test",
			HealthInterval: 100 * time.Millisecond})
		sc := srv.CreateSchool(t, "north", "UTC")
		createUser(t, db, sc.ID, "amy", "amy@north.test", user.RoleADMIN)
		createUser(t, db, sc.ID, "vic", "vic@north.test", user.RoleVIEWER)
		withoutDigest(t, db, sc.ID, "amy")
		write := srv.Token(t, sc.ID, auth.ScopeEventsWrite)

		now := time.Now().UTC().Truncate(time.Second)
		srv.Do(t, write, recordMutation, map[string]any{"in": history("LDAP Staff", 6, now.Add(-time.Hour))}).OK(t)
		// An agent that named its profile with a line break must not add a header.
		stopped := "Old LDAP\r\nBcc: victim@evil.test"
		srv.Do(t, write, recordMutation, map[string]any{"in": history(stopped, 5, now.Add(-10*24*time.Hour))}).OK(t)
		var out struct {
			RecordEvents struct{ Events []struct{ Flags []string } }
		}
		srv.Do(t, write, recordMutation, map[string]any{"in": []any{
			run("ACCOUNT_SYNCHRONIZATION", "LDAP Staff", 1000, 412, now)}}).OK(t).Decode(t, &out)
		require.Equal(t, []string{"MASS_DELETE"}, out.RecordEvents.Events[0].Flags)

		got := collectFirst(smtpd, 30*time.Second, 3*time.Second)
		require.Len(t, subjects(got), 2, "one email for the flagged run, one for the quiet profile")
		var flagged, quiet *mailtest.Message
		for i := range got {
			require.Equal(t, "amy@north.test", got[i].To)
			switch {
			case strings.HasPrefix(got[i].Subject, "Flagged sync run"):
				flagged = &got[i]
			case strings.Contains(got[i].Subject, "has gone quiet"):
				quiet = &got[i]
			}
		}
		require.NotNil(t, flagged, "%q", subjects(got))
		require.NotNil(t, quiet, "%q", subjects(got))
		require.Contains(t, flagged.Subject, "LDAP Staff (MASS_DELETE)")
		require.Contains(t, flagged.Text, "deleted: 412")
		require.Contains(t, flagged.Text, srv.URL+"/?all=1&profile=")
		require.Contains(t, flagged.HTML, "<strong>MASS_DELETE</strong>")
		require.Contains(t, quiet.Text, "QUIET")
		require.Contains(t, quiet.Text, srv.URL+"/health")
		require.Contains(t, quiet.HTML, `href="`+srv.URL+`/health"`)
		header, _, _ := strings.Cut(string(quiet.Raw), "\r\n\r\n")
		require.NotContains(t, strings.ToLower(header), "\nbcc:", "no header injected from the profile name")
		require.Contains(t, quiet.Subject, "Old LDAP  Bcc: victim@evil.test")

		// Many checks later, nothing more.
		require.Empty(t, subjects(collect(smtpd, time.Second)))
	})
}

// replicas starts n servers on one database: two replicas sharing PostgreSQL, or one
// server on SQLite (a single process by design).
func replicas(t *testing.T, kind string, cfg server.Config) (*store.DB, []*apitest.Server) {
	t.Helper()
	if kind == "sqlite" {
		db := testdb.Open(t, kind)
		return db, []*apitest.Server{apitest.NewWithConfig(t, db, cfg)}
	}
	u := testdb.URL(t, kind)
	var dbs []*store.DB
	for range 2 {
		db, err := store.Open(context.Background(), u)
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	require.NoError(t, dbs[0].Migrate(context.Background()))
	require.NoError(t, queue.Migrate(context.Background(), dbs[0]))
	return dbs[0], []*apitest.Server{apitest.NewWithConfig(t, dbs[0], cfg), apitest.NewWithConfig(t, dbs[1], cfg)}
}

type wsClient struct {
	t *testing.T
	c *websocket.Conn
}

type wsMsg struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// subscribe opens a graphql-transport-ws connection (the graphql-ws client's protocol)
// and subscribes to query.
func subscribe(t *testing.T, base, token, query string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.NoError(t, err)
	t.Cleanup(func() { c.CloseNow() })
	w := &wsClient{t: t, c: c}
	w.send(wsMsg{Type: "connection_init", Payload: mustJSON(map[string]any{"Authorization": "Bearer " + token})})
	m := w.read(5 * time.Second)
	require.Equal(t, "connection_ack", m.Type, string(m.Payload))
	w.send(wsMsg{ID: "1", Type: "subscribe", Payload: mustJSON(map[string]any{"query": query})})
	return w
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func (w *wsClient) send(m wsMsg) {
	b, _ := json.Marshal(m)
	require.NoError(w.t, w.c.Write(context.Background(), websocket.MessageText, b))
}

func (w *wsClient) read(timeout time.Duration) wsMsg {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		_, b, err := w.c.Read(ctx)
		require.NoError(w.t, err, "read from the websocket")
		var m wsMsg
		require.NoError(w.t, json.Unmarshal(b, &m))
		if m.Type == "ping" {
			w.send(wsMsg{Type: "pong"})
			continue
		}
		return m
	}
}

type change struct {
	Status, PreviousStatus string
	Profile                struct{ Name string }
	Health                 struct{ Status string }
}

func (w *wsClient) change(timeout time.Duration) change {
	w.t.Helper()
	m := w.read(timeout)
	require.Equal(w.t, "next", m.Type, string(m.Payload))
	var p struct {
		Data struct{ SyncHealthChanged change }
	}
	require.NoError(w.t, json.Unmarshal(m.Payload, &p), string(m.Payload))
	return p.Data.SyncHealthChanged
}

const healthSubscription = `subscription { syncHealthChanged { status previousStatus changedAt profile { name } health { status } } }`

// TestAlertQuietAndRecoveryAcrossReplicas runs two replicas on one PostgreSQL database
// (one server on SQLite) with a clock the test moves: a profile's history makes it
// HEALTHY; time passing makes it QUIET, which every replica's syncHealthChanged
// subscriber hears of and the admin is emailed about once, however many checks the
// replicas run; a new run makes it HEALTHY again, with one recovery email. Another
// school's subscriber hears nothing.
func TestAlertQuietAndRecoveryAcrossReplicas(t *testing.T) {
	t.Parallel()
	for _, kind := range testdb.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			smtpd := mailtest.Start(t)
			base := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second)
			clk := newClock(base.Add(30 * time.Minute))
			db, srvs := replicas(t, kind, server.Config{SMTPURL: smtpd.URL(), HealthInterval: 100 * time.Millisecond, Now: clk.now})
			a := srvs[0]
			sc := a.CreateSchool(t, "north", "UTC")
			other := a.CreateSchool(t, "south", "UTC")
			createUser(t, db, sc.ID, "amy", "amy@north.test", user.RoleADMIN)
			withoutDigest(t, db, sc.ID, "amy")
			write := a.Token(t, sc.ID, auth.ScopeEventsWrite)
			read := a.Token(t, sc.ID, auth.ScopeReportsRead)
			var subs []*wsClient
			for _, s := range srvs {
				subs = append(subs, subscribe(t, s.URL, read, healthSubscription))
			}
			south := subscribe(t, srvs[len(srvs)-1].URL, a.Token(t, other.ID, auth.ScopeReportsRead), healthSubscription)
			time.Sleep(300 * time.Millisecond) // let the subscriptions register

			a.Do(t, write, recordMutation, map[string]any{"in": history("LDAP Staff", 5, base)}).OK(t)
			for _, ws := range subs {
				c := ws.change(10 * time.Second)
				require.Equal(t, change{Status: "HEALTHY", Profile: struct{ Name string }{"LDAP Staff"},
					Health: struct{ Status string }{"HEALTHY"}}, c)
			}

			// Three hours and more of silence from an hourly profile: QUIET.
			clk.add(5 * time.Hour)
			for _, ws := range subs {
				c := ws.change(10 * time.Second)
				require.Equal(t, "QUIET", c.Status)
				require.Equal(t, "HEALTHY", c.PreviousStatus)
				require.Equal(t, "QUIET", c.Health.Status)
			}
			got := collectFirst(smtpd, 30*time.Second, 2*time.Second) // some forty checks on each replica
			require.Len(t, subjects(got), 1)
			require.Equal(t, "Sync profile LDAP Staff has gone quiet", got[0].Subject)

			a.Do(t, write, recordMutation, map[string]any{"in": []any{
				run("ACCOUNT_SYNCHRONIZATION", "LDAP Staff", 1000, 0, base.Add(5*time.Hour))}}).OK(t)
			for _, ws := range subs {
				c := ws.change(10 * time.Second)
				require.Equal(t, "HEALTHY", c.Status)
				require.Equal(t, "QUIET", c.PreviousStatus)
			}
			got = collectFirst(smtpd, 30*time.Second, 2*time.Second)
			require.Len(t, subjects(got), 1)
			require.Equal(t, "Sync profile LDAP Staff is healthy again", got[0].Subject)
			require.Contains(t, got[0].Text, "HEALTHY again (it was QUIET)")

			_, _, err := readWithin(south, 200*time.Millisecond)
			require.Error(t, err, "another school's subscriber hears nothing")
		})
	}
}

func readWithin(w *wsClient, d time.Duration) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	typ, b, err := w.c.Read(ctx)
	return int(typ), b, err
}

// TestAlertDigest moves the clock to 07:30 in the school's time zone: one digest of
// yesterday arrives, with its runs per profile, flagged runs, failed CSV uploads,
// failed sign-ins and profiles needing attention, however many checks run; a school
// with nothing to say gets none.
func TestAlertDigest(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		smtpd := mailtest.Start(t)
		loc, err := time.LoadLocation("Australia/Sydney")
		require.NoError(t, err)
		today := time.Now().In(loc).AddDate(0, 0, -3)
		y, m, d := today.Date()
		// Before 07:00 nothing is due.
		clk := newClock(time.Date(y, m, d, 6, 50, 0, 0, loc))
		srv := apitest.NewWithConfig(t, db, server.Config{SMTPURL: smtpd.URL(), HealthInterval: 100 * time.Millisecond, Now: clk.now})
		sc := srv.CreateSchool(t, "north", "Australia/Sydney")
		quietSchool := srv.CreateSchool(t, "south", "UTC")
		createUser(t, db, sc.ID, "amy", "amy@north.test", user.RoleADMIN)
		createUser(t, db, quietSchool.ID, "sam", "sam@south.test", user.RoleADMIN)
		// Only the digest, so the test reads it alone.
		ctx := tenant.WithSchool(context.Background(), sc.ID)
		require.NoError(t, db.Client.User.Update().Where(user.Username("amy")).SetAlertFlaggedRuns(false).
			SetAlertFailing(false).SetAlertQuiet(false).Exec(ctx))
		write := srv.Token(t, sc.ID, auth.ScopeEventsWrite)

		yesterday := time.Date(y, m, d-1, 9, 0, 0, 0, loc).UTC()
		in := history("LDAP Staff", 6, yesterday.Add(6*time.Hour))
		in = append(in,
			run("ACCOUNT_SYNCHRONIZATION", "LDAP Staff", 1000, 300, yesterday.Add(7*time.Hour)),
			run("USER_CSV_FAILED", "User CSV", 0, 0, yesterday.Add(2*time.Hour)),
			map[string]any{"type": "AUTHENTICATION_FAILED", "username": "kid1",
				"dateStarted": yesterday.Format(time.RFC3339), "dateFinished": yesterday.Format(time.RFC3339)},
			// The day before yesterday does not count.
			run("ACCOUNT_SYNCHRONIZATION", "Old", 10, 0, yesterday.Add(-24*time.Hour)),
		)
		srv.Do(t, write, recordMutation, map[string]any{"in": in}).OK(t)
		require.Empty(t, subjects(collect(smtpd, 500*time.Millisecond)), "not yet 07:00")

		clk.set(time.Date(y, m, d, 7, 30, 0, 0, loc))
		got := collectFirst(smtpd, 30*time.Second, 3*time.Second)
		require.Len(t, subjects(got), 1)
		dg := got[0]
		require.Equal(t, "amy@north.test", dg.To)
		require.Contains(t, dg.Subject, "Sync digest for")
		require.Contains(t, dg.Subject, time.Date(y, m, d-1, 0, 0, 0, 0, loc).Format("Monday 2 January 2006"))
		for _, want := range []string{
			"- LDAP Staff: 7 run(s), 1 flagged",
			"- User CSV: 1 run(s)",
			"LDAP Staff: MASS_DELETE",
			"Failed CSV uploads: 1",
			"Failed sign-ins: 1",
			"Needing attention now:",
			"- User CSV: FAILING",
		} {
			require.Contains(t, dg.Text, want)
		}
		require.NotContains(t, dg.Text, "Old:")
		require.Contains(t, dg.HTML, "<h3>Flagged runs</h3>")
		require.Contains(t, dg.Text, srv.URL+"/health")
	})
}

// TestAlertPreferences reads and changes alert choices through GraphQL: admins have
// every alert by default, viewers none; a change keeps the fields left out; an API
// token answers FORBIDDEN.
func TestAlertPreferences(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	srv := apitest.New(t, db)
	sc := srv.CreateSchool(t, "north", "UTC")
	createUser(t, db, sc.ID, "amy", "amy@north.test", user.RoleADMIN)
	createUser(t, db, sc.ID, "vic", "vic@north.test", user.RoleVIEWER)
	const me = `{ me { alertPreferences { flaggedRuns profileFailing profileQuiet dailyDigest } } }`
	amy, vic := signIn(t, srv.URL, "north", "amy"), signIn(t, srv.URL, "north", "vic")
	require.JSONEq(t, `{"me":{"alertPreferences":{"flaggedRuns":true,"profileFailing":true,"profileQuiet":true,"dailyDigest":true}}}`, amy.gql(t, me, nil))
	require.JSONEq(t, `{"me":{"alertPreferences":{"flaggedRuns":false,"profileFailing":false,"profileQuiet":false,"dailyDigest":false}}}`, vic.gql(t, me, nil))

	const upd = `mutation($in: AlertPreferencesInput!) { updateAlertPreferences(input: $in) { flaggedRuns profileFailing profileQuiet dailyDigest } }`
	require.JSONEq(t, `{"updateAlertPreferences":{"flaggedRuns":false,"profileFailing":true,"profileQuiet":true,"dailyDigest":true}}`,
		amy.gql(t, upd, map[string]any{"in": map[string]any{"flaggedRuns": false}}))
	require.JSONEq(t, `{"updateAlertPreferences":{"flaggedRuns":false,"profileFailing":false,"profileQuiet":false,"dailyDigest":true}}`,
		vic.gql(t, upd, map[string]any{"in": map[string]any{"dailyDigest": true}}))
	require.JSONEq(t, `{"me":{"alertPreferences":{"flaggedRuns":false,"profileFailing":true,"profileQuiet":true,"dailyDigest":true}}}`, amy.gql(t, me, nil))

	token := srv.Token(t, sc.ID, auth.ScopeReportsRead)
	srv.Do(t, token, upd, map[string]any{"in": map[string]any{"flaggedRuns": true}}).Error(t, "FORBIDDEN")
}

type browser struct {
	base string
	c    *http.Client
}

func signIn(t *testing.T, base, school, username string) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	b := &browser{base: base, c: &http.Client{Jar: jar}}
	b.gql(t, `mutation($s: String!, $u: String!, $p: String!) { signIn(school: $s, username: $u, password: $p) { id } }`,
		map[string]any{"s": school, "u": username, "p": username + "-password-1"})
	return b
}

// gql posts an operation with the session cookie and returns its data as JSON,
// failing on any error.
func (b *browser) gql(t *testing.T, query string, vars map[string]any) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, b.base+"/graphql", strings.NewReader(string(body)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Requested-With", "provreport")
	resp, err := b.c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out struct {
		Data   json.RawMessage
		Errors []json.RawMessage
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.Empty(t, out.Errors, fmt.Sprintf("%s", out.Errors))
	return string(out.Data)
}

// TestAlertBulkAndSMTPOutage records through POST /api/v1/events (the bulk path, COPY
// on PostgreSQL) while the SMTP server refuses the first delivery: the flagged run's
// email is retried and arrives once.
func TestAlertBulkAndSMTPOutage(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		smtpd := mailtest.Start(t)
		smtpd.FailNext(1)
		srv := apitest.NewWithConfig(t, db, server.Config{SMTPURL: smtpd.URL(), HealthInterval: 100 * time.Millisecond})
		sc := srv.CreateSchool(t, "north", "UTC")
		createUser(t, db, sc.ID, "amy", "amy@north.test", user.RoleADMIN)
		withoutDigest(t, db, sc.ID, "amy")
		write := srv.Token(t, sc.ID, auth.ScopeEventsWrite)

		now := time.Now().UTC().Truncate(time.Second)
		in := history("LDAP Staff", 6, now.Add(-time.Hour))
		in = append(in, run("ACCOUNT_SYNCHRONIZATION", "LDAP Staff", 1000, 412, now))
		var body strings.Builder
		for _, e := range in {
			body.Write(mustJSON(e))
			body.WriteByte('\n')
		}
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/events", strings.NewReader(body.String()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-ndjson")
		req.Header.Set("Authorization", "Bearer "+write)
		resp, err := srv.HTTP.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)

		got := collect(smtpd, 8*time.Second)
		require.Equal(t, []string{"amy@north.test: Flagged sync run: LDAP Staff (MASS_DELETE)"}, subjects(got))
	})
}
