package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

type gqlResp struct {
	Status int
	Header http.Header
	Data   map[string]any
	Errors []struct {
		Message    string
		Extensions map[string]any
	}
}

func (r gqlResp) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// client is a browser-like client: a cookie jar and optional extra headers.
type client struct {
	t      *testing.T
	base   string
	http   *http.Client
	header http.Header
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}, header: http.Header{}}
}

func (c *client) post(contentType, body string) gqlResp {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+"/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	for k, v := range c.header {
		req.Header[k] = v
	}
	return c.do(req)
}

func (c *client) do(req *http.Request) gqlResp {
	c.t.Helper()
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := gqlResp{Status: resp.StatusCode, Header: resp.Header}
	_ = json.Unmarshal(b, &out)
	return out
}

func (c *client) gql(query string, vars map[string]any) gqlResp {
	c.t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return c.post("application/json", string(b))
}

func (c *client) signIn(school, username, password string) gqlResp {
	return c.gql(`mutation($s: String!, $u: String!, $p: String!) { signIn(school: $s, username: $u, password: $p) { id username role school { slug } } }`,
		map[string]any{"s": school, "u": username, "p": password})
}

func addUser(t *testing.T, db *store.DB, schoolID int, username string, role user.Role, password string) int {
	t.Helper()
	ctx := tenant.WithSchool(context.Background(), schoolID)
	c := db.Client.User.Create().SetUsername(username).SetEmail(username + "@school.test").SetRole(role)
	if password != "" {
		h, err := auth.HashPassword(password)
		require.NoError(t, err)
		c.SetPasswordHash(h)
	}
	u, err := c.Save(ctx)
	require.NoError(t, err)
	return u.ID
}

func TestSignInAndSessions(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.NewWithConfig(t, db, server.Config{Session: auth.SessionOptions{Secure: true}})
		sc := srv.CreateSchool(t, "west", "UTC")
		addUser(t, db, sc.ID, "ada", user.RoleADMIN, "ada-password-1")
		addUser(t, db, sc.ID, "vic", user.RoleVIEWER, "vic-password-1")
		addUser(t, db, sc.ID, "dir", user.RoleNONE, "dir-password-1")

		c := newClient(t, srv.URL)
		r := c.gql(`{ me { id } }`, nil)
		require.Empty(t, r.Errors)
		require.Nil(t, r.Data["me"], "signed out: me is null")

		r = c.signIn("west", "ada", "ada-password-1")
		require.Empty(t, r.Errors)
		cookie := r.Header.Get("Set-Cookie")
		require.Contains(t, cookie, auth.SessionCookie+"=")
		require.Contains(t, cookie, "HttpOnly")
		require.Contains(t, cookie, "SameSite=Lax")
		require.Contains(t, cookie, "Secure")
		r = c.gql(`{ me { username role school { slug } } }`, nil)
		require.Empty(t, r.Errors)
		require.Equal(t, "ada", r.Data["me"].(map[string]any)["username"])

		// The session lives in the database: a second server on the same database
		// (another replica) knows it.
		other := apitest.New(t, db)
		c2 := newClient(t, other.URL)
		c2.header.Set("Cookie", strings.Split(cookie, ";")[0])
		r = c2.gql(`{ me { username } }`, nil)
		require.Empty(t, r.Errors)
		require.Equal(t, "ada", r.Data["me"].(map[string]any)["username"])

		// Wrong password, unknown user, unknown school and a directory account all
		// answer the same.
		var msgs []string
		for _, try := range [][3]string{{"west", "ada", "wrong-password"}, {"west", "nobody", "x-password-1"},
			{"nowhere", "ada", "ada-password-1"}, {"west", "dir", "dir-password-1"}} {
			r := newClient(t, srv.URL).signIn(try[0], try[1], try[2])
			require.Equal(t, "UNAUTHENTICATED", r.code(), try)
			msgs = append(msgs, r.Errors[0].Message)
		}
		for _, m := range msgs {
			require.Equal(t, msgs[0], m)
		}

		// Sign out ends the session, also for the replica.
		r = c.gql(`mutation { signOut }`, nil)
		require.Empty(t, r.Errors)
		r = c.gql(`{ me { id } }`, nil)
		require.Nil(t, r.Data["me"])
		r = c2.gql(`{ me { id } }`, nil)
		require.Nil(t, r.Data["me"], "the session is gone everywhere")
	})
}

func TestSignInThrottle(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	srv := apitest.NewWithConfig(t, db, server.Config{
		Session:        auth.SessionOptions{LockFor: 2 * time.Second, MaxDelay: 10 * time.Millisecond},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
	})
	sc := srv.CreateSchool(t, "north", "UTC")
	addUser(t, db, sc.ID, "ada", user.RoleADMIN, "ada-password-1")

	attacker := newClient(t, srv.URL)
	attacker.header.Set("X-Forwarded-For", "203.0.113.7")
	var codes []string
	for i := 0; i < 10; i++ {
		codes = append(codes, attacker.signIn("north", "ada", "guess-"+string(rune('a'+i))).code())
	}
	require.Equal(t, "UNAUTHENTICATED", codes[0])
	require.Equal(t, "TOO_MANY_REQUESTS", codes[len(codes)-1], "the guessing address is locked out: %v", codes)
	// Even the right password is refused from the locked address…
	require.Equal(t, "TOO_MANY_REQUESTS", attacker.signIn("north", "ada", "ada-password-1").code())

	// …but the real admin from their own address still gets in.
	admin := newClient(t, srv.URL)
	admin.header.Set("X-Forwarded-For", "198.51.100.20")
	r := admin.signIn("north", "ada", "ada-password-1")
	require.Empty(t, r.Errors)

	// And the lock ends by itself.
	time.Sleep(2100 * time.Millisecond)
	r = attacker.signIn("north", "ada", "ada-password-1")
	require.Empty(t, r.Errors, "after LockFor the address may try again")
}

func TestRolesAndTokens(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := apitest.New(t, db)
		sc := srv.CreateSchool(t, "east", "UTC")
		addUser(t, db, sc.ID, "ada", user.RoleADMIN, "ada-password-1")
		vicID := addUser(t, db, sc.ID, "vic", user.RoleVIEWER, "vic-password-1")
		dirID := addUser(t, db, sc.ID, "dir", user.RoleNONE, "")

		anon := newClient(t, srv.URL)
		require.Equal(t, "UNAUTHENTICATED", anon.gql(`{ apiTokens { id } }`, nil).code())
		require.Equal(t, "UNAUTHENTICATED", anon.gql(`{ events { totalCount } }`, nil).code())

		vic := newClient(t, srv.URL)
		require.Empty(t, vic.signIn("east", "vic", "vic-password-1").Errors)
		require.Empty(t, vic.gql(`{ events { totalCount } }`, nil).Errors, "viewers read the report")
		require.Equal(t, "FORBIDDEN", vic.gql(`{ apiTokens { id } }`, nil).code())
		require.Equal(t, "FORBIDDEN", vic.gql(`mutation { createAPIToken(name: "x", scopes: ["reports:read"]) { secret } }`, nil).code())
		require.Equal(t, "FORBIDDEN", vic.gql(`mutation($u: ID!) { setUserRole(userID: $u, role: ADMIN) { id } }`, map[string]any{"u": dirID}).code())

		ada := newClient(t, srv.URL)
		require.Empty(t, ada.signIn("east", "ada", "ada-password-1").Errors)
		r := ada.gql(`mutation { createAPIToken(name: "agent", scopes: ["events:write", "reports:read"]) { secret token { id name scopes lastUsedAt } } }`, nil)
		require.Empty(t, r.Errors)
		created := r.Data["createAPIToken"].(map[string]any)
		secret := created["secret"].(string)
		tokID := created["token"].(map[string]any)["id"].(string)
		require.True(t, strings.HasPrefix(secret, "prt_"))
		require.Nil(t, created["token"].(map[string]any)["lastUsedAt"])
		require.Equal(t, "BAD_USER_INPUT", ada.gql(`mutation { createAPIToken(name: "x", scopes: ["admin"]) { secret } }`, nil).code())

		// The secret is never shown again, and only its hash is stored.
		r = ada.gql(`{ apiTokens { id name } }`, nil)
		require.NotContains(t, mustString(r.Data), secret)
		stored, err := db.Client.APIToken.Get(tenant.System(context.Background()), apitest.IntID(t, tokID))
		require.NoError(t, err)
		require.Equal(t, auth.HashToken(secret), stored.TokenHash)

		// Using it records lastUsedAt; an API token cannot manage tokens.
		require.Empty(t, srv.Do(t, secret, `{ events { totalCount } }`, nil).Errors)
		r = ada.gql(`{ apiTokens { id lastUsedAt } }`, nil)
		require.Contains(t, mustString(r.Data), `"lastUsedAt":"`)
		srv.Do(t, secret, `{ apiTokens { id } }`, nil).Error(t, "FORBIDDEN")

		// Admins manage roles, but not their own.
		r = ada.gql(`mutation($u: ID!) { setUserRole(userID: $u, role: VIEWER) { role } }`, map[string]any{"u": dirID})
		require.Empty(t, r.Errors)
		require.Equal(t, "VIEWER", r.Data["setUserRole"].(map[string]any)["role"])
		me := ada.gql(`{ me { id } }`, nil).Data["me"].(map[string]any)["id"]
		require.Equal(t, "BAD_USER_INPUT", ada.gql(`mutation($u: ID!) { setUserRole(userID: $u, role: VIEWER) { role } }`, map[string]any{"u": me}).code())
		_ = vicID

		// Revoked tokens fail with UNAUTHENTICATED.
		r = ada.gql(`mutation($id: ID!) { revokeAPIToken(id: $id) { revokedAt } }`, map[string]any{"id": tokID})
		require.Empty(t, r.Errors)
		res := srv.Do(t, secret, `{ events { totalCount } }`, nil)
		require.Equal(t, http.StatusUnauthorized, res.Status)
		res.Error(t, "UNAUTHENTICATED")
	})
}

func mustString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestCSRFAndTransportRules(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	srv := apitest.NewWithConfig(t, db, server.Config{CORSOrigins: []string{"https://tools.school.test"}})
	sc := srv.CreateSchool(t, "south", "UTC")
	addUser(t, db, sc.ID, "ada", user.RoleADMIN, "ada-password-1")
	c := newClient(t, srv.URL)
	require.Empty(t, c.signIn("south", "ada", "ada-password-1").Errors)

	const q = `{"query":"{ me { username } }"}`
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		r := c.post(ct, q)
		require.Equal(t, http.StatusBadRequest, r.Status, ct)
		require.Equal(t, "CSRF_BLOCKED", r.code(), ct)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/graphql?query=%7Bme%7Busername%7D%7D", nil)
	r := c.do(req)
	require.Equal(t, "CSRF_BLOCKED", r.code(), "a GET without X-Requested-With")
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/graphql?query=%7Bme%7Busername%7D%7D", nil)
	req.Header.Set("X-Requested-With", "fetch")
	r = c.do(req)
	require.Empty(t, r.Errors, "a GET with X-Requested-With is fine")
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/graphql?query="+urlq(`mutation { signOut }`), nil)
	req.Header.Set("X-Requested-With", "fetch")
	r = c.do(req)
	require.NotEmpty(t, r.Errors, "mutations never run over GET")
	require.NotNil(t, c.gql(`{ me { username } }`, nil).Data["me"], "still signed in")
	require.Empty(t, c.post("application/json", q).Errors, "JSON POST is accepted")

	// CORS: only the listed origin, with credentials.
	pre, _ := http.NewRequest(http.MethodOptions, srv.URL+"/graphql", nil)
	pre.Header.Set("Origin", "https://tools.school.test")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(pre)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, "https://tools.school.test", resp.Header.Get("Access-Control-Allow-Origin"))
	require.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
	pre.Header.Set("Origin", "https://evil.test")
	resp, err = http.DefaultClient.Do(pre)
	require.NoError(t, err)
	resp.Body.Close()
	require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
}

func urlq(s string) string { return strings.NewReplacer(" ", "%20", "{", "%7B", "}", "%7D").Replace(s) }

func TestQueryLimitsAndHeaders(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	srv := apitest.NewWithConfig(t, db, server.Config{MaxDepth: 4, ComplexityLimit: 300, MaxBodyBytes: 64 << 10})
	sc := srv.CreateSchool(t, "up", "UTC")
	tok := srv.Token(t, sc.ID, auth.ScopeReportsRead)

	r := srv.Do(t, tok, `{ events { edges { node { user { username } } } } }`, nil)
	require.Equal(t, "DEPTH_LIMIT_EXCEEDED", r.Errors[0].Code())
	r = srv.Do(t, tok, `{ events(first: 100) { edges { node { id } } } }`, nil)
	require.Equal(t, "COMPLEXITY_LIMIT_EXCEEDED", r.Errors[0].Code())
	require.Empty(t, srv.Do(t, tok, `{ events(first: 10) { edges { node { id } } } }`, nil).Errors)

	big := `{"query":"{ events { totalCount } }","variables":{"pad":"` + strings.Repeat("x", 70<<10) + `"}}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(big))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)

	// Introspection only for authenticated callers.
	anon := newClient(t, srv.URL)
	require.Equal(t, "UNAUTHENTICATED", anon.gql(`{ __schema { queryType { name } } }`, nil).code())
	require.Empty(t, srv.Do(t, tok, `{ __schema { queryType { name } } }`, nil).Errors)

	// Security headers on every page.
	for _, path := range []string{"/", "/graphql", "/exports/1", "/healthz"} {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		require.Contains(t, resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'", path)
		require.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self'", path)
		require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), path)
		require.NotEmpty(t, resp.Header.Get("Referrer-Policy"), path)
		require.NotEmpty(t, resp.Header.Get("X-Request-ID"), path)
	}
}

func TestPlaygroundForAdminsOnly(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	srv := apitest.New(t, db)
	sc := srv.CreateSchool(t, "pg", "UTC")
	addUser(t, db, sc.ID, "ada", user.RoleADMIN, "ada-password-1")
	addUser(t, db, sc.ID, "vic", user.RoleVIEWER, "vic-password-1")
	get := func(c *client) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/playground", nil)
		resp, err := c.http.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	resp := get(newClient(t, srv.URL))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/signin?next=%2Fplayground", resp.Header.Get("Location"))
	vic := newClient(t, srv.URL)
	require.Empty(t, vic.signIn("pg", "vic", "vic-password-1").Errors)
	require.Equal(t, http.StatusForbidden, get(vic).StatusCode)
	// A browser gets the dashboard (which shows "Administrators only"), still with 403.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/playground", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	resp, err := vic.http.Do(req)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	if resp.Header.Get("Content-Type") == "text/html; charset=utf-8" {
		require.Contains(t, string(page), `<div id="root">`, "the dashboard's page")
	}
	ada := newClient(t, srv.URL)
	require.Empty(t, ada.signIn("pg", "ada", "ada-password-1").Errors)
	// 200 with the dashboard built in; 503 says it was not built. Either way, not refused.
	require.Contains(t, []int{http.StatusOK, http.StatusServiceUnavailable}, get(ada).StatusCode)
}

// lockedBuffer collects log output from concurrent requests.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestInternalErrorsAndLogs shows an internal failure reaches the client as
// INTERNAL_SERVER_ERROR with a request ID and no SQL, that the log has the cause under
// the same ID, and that logs never hold passwords, tokens or cookies.
func TestInternalErrorsAndLogs(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	var logs lockedBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	s, err := server.New(context.Background(), db, server.Config{DataDir: t.TempDir()}, logger)
	require.NoError(t, err)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	sc := apitest.CreateSchool(t, db.Client, "logs", "UTC")
	_, tok := apitest.CreateToken(t, db.Client, sc.ID, auth.ScopeReportsRead)
	addUser(t, db, sc.ID, "ada", user.RoleADMIN, "ada-password-1")

	c := newClient(t, ts.URL)
	r := c.signIn("logs", "ada", "ada-password-1")
	require.Empty(t, r.Errors)
	cookie := strings.TrimPrefix(strings.Split(r.Header.Get("Set-Cookie"), ";")[0], auth.SessionCookie+"=")
	c.header.Set("Authorization", "Bearer "+tok)
	require.Empty(t, c.gql(`{ events { totalCount } }`, nil).Errors)

	// Break the database under the server.
	_, err = db.SQL.Exec("DROP TABLE events")
	require.NoError(t, err)
	// (Another query than before: the report cache would answer the same one.)
	r = c.gql(`{ events(first: 5) { totalCount } }`, nil)
	require.Equal(t, "INTERNAL_SERVER_ERROR", r.code())
	id := r.Header.Get("X-Request-ID")
	require.NotEmpty(t, id)
	require.Contains(t, r.Errors[0].Message, id)
	require.NotContains(t, strings.ToLower(r.Errors[0].Message), "events")
	require.NotContains(t, strings.ToLower(r.Errors[0].Message), "sql")

	out := logs.String()
	require.Contains(t, out, `"request_id":"`+id+`"`)
	require.Contains(t, out, "no such table")
	require.Contains(t, out, `"school_id":`)
	require.Contains(t, out, `"path":"/graphql"`)
	for _, secret := range []string{"ada-password-1", tok, cookie} {
		require.NotContains(t, out, secret)
	}
}
