package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/ssoprovider"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/oidctest"
	"github.com/provreport/provreport/internal/secretkey"
	"github.com/provreport/provreport/internal/server"
	"github.com/provreport/provreport/internal/sso"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// ssoBundle is a provreport server and a real OpenID Provider on loopback.
type ssoBundle struct {
	srv  *apitest.Server
	op   *oidctest.Provider
	logs *lockedBuffer
}

func newSSO(t *testing.T, db *store.DB) *ssoBundle {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	keys, err := secretkey.New(key, nil)
	require.NoError(t, err)
	srv := apitest.NewWithConfig(t, db, server.Config{SecretKeys: keys,
		Session: auth.SessionOptions{MaxDelay: 10 * time.Millisecond}})
	logs := &lockedBuffer{}
	srv.App.SSO.Logger = slog.New(slog.NewTextHandler(logs, nil))
	op, err := oidctest.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = op.Close() })
	return &ssoBundle{srv: srv, op: op, logs: logs}
}

// provider registers a client at op for the server and the provider in school slug.
func (b *ssoBundle) provider(t *testing.T, op *oidctest.Provider, schoolID int, in sso.Input) *ent.SSOProvider {
	t.Helper()
	if in.ClientID == "" {
		in.ClientID = "provreport-" + in.Name
	}
	secret := "secret-of-" + in.Name
	in.ClientSecret, in.Issuer = &secret, op.Issuer
	op.AddClient(in.ClientID, secret, b.srv.URL+sso.CallbackPath)
	p, err := b.srv.App.SSO.Add(tenant.WithSchool(context.Background(), schoolID), in)
	require.NoError(t, err)
	return p
}

func startURL(srv *apitest.Server, slug string, p *ent.SSOProvider) string {
	return fmt.Sprintf("%s%s?school=%s&provider=%d", srv.URL, sso.StartPath, slug, p.ID)
}

// refusal returns the sign-in page's refusal code of an address the browser ended on.
func refusal(t *testing.T, at *url.URL) string {
	t.Helper()
	require.Equal(t, "/signin", at.Path, "refused sign-ins end on the sign-in page: %s", at)
	return at.Query().Get("sso_error")
}

// me asks the server who the browser is signed in as: username and role, or "".
func me(t *testing.T, srv *apitest.Server, b *http.Client) (string, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": `{ me { username role } }`})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out struct {
		Data struct {
			Me *struct{ Username, Role string }
		}
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	if out.Data.Me == nil {
		return "", ""
	}
	return out.Data.Me.Username, out.Data.Me.Role
}

// TestSSOSignIn signs in through a real OpenID Provider: a good sign-in, then the
// answers of a provider whose ID token must be refused, state replay, the email checks,
// roles from groups (granted, then removed) and two providers of one school.
func TestSSOSignIn(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := newSSO(t, db)
		ctx := context.Background()

		t.Run("good sign-in finds the account by email, then by subject", func(t *testing.T) {
			sc := b.srv.CreateSchool(t, "good", "UTC")
			addUser(t, db, sc.ID, "ada", user.RoleVIEWER, "")
			p := b.provider(t, b.op, sc.ID, sso.Input{Name: "Google"})
			b.op.AddUser(oidctest.User{Username: "ada-at-op", Password: "pw", Subject: "g-ada", Email: "ada@school.test", EmailVerified: true})
			br := oidctest.NewBrowser()
			at, err := b.op.SignIn(br, startURL(b.srv, "good", p)+"&next=/exports", "ada-at-op", "pw")
			require.NoError(t, err)
			require.Equal(t, "/exports", at.Path, b.logs.String())
			name, role := me(t, b.srv, br)
			require.Equal(t, "ada", name)
			require.Equal(t, "VIEWER", role)
			u, err := db.Client.User.Query().Where(user.Username("ada")).Only(tenant.WithSchool(ctx, sc.ID))
			require.NoError(t, err)
			require.Equal(t, "g-ada", *u.SSOSubject)
			require.Equal(t, b.op.Issuer, *u.SSOIssuer)
			require.Contains(t, b.logs.String(), "signed in")

			// The email changes at the provider: the subject still finds the account.
			b.op.AddUser(oidctest.User{Username: "ada-at-op", Password: "pw", Subject: "g-ada", Email: "ada.new@school.test", EmailVerified: true})
			br2 := oidctest.NewBrowser()
			_, err = b.op.SignIn(br2, startURL(b.srv, "good", p), "ada-at-op", "pw")
			require.NoError(t, err)
			name, _ = me(t, b.srv, br2)
			require.Equal(t, "ada", name)
		})

		// Each refused answer gets its own school, so that the failures of one do not
		// throttle the next.
		refused := []struct {
			name, code, reason string
			tamper             oidctest.Tamper
			user               oidctest.User
			domains            []string
		}{
			{name: "wrong audience", code: sso.RefusedInvalid, reason: "expected audience",
				tamper: oidctest.Tamper{Audience: []string{"another-application"}}},
			{name: "bad nonce", code: sso.RefusedInvalid, reason: "nonce does not match",
				tamper: oidctest.Tamper{Nonce: "not-the-nonce-sent"}},
			{name: "expired token", code: sso.RefusedInvalid, reason: "token is expired",
				tamper: oidctest.Tamper{Lifetime: -time.Hour}},
			{name: "unverified email", code: sso.RefusedUnverified, reason: "email_verified is false",
				user: oidctest.User{EmailVerified: false}},
			{name: "outside the allowed domains", code: sso.RefusedDomain, reason: "not among",
				user: oidctest.User{Email: "eve@elsewhere.test", EmailVerified: true}, domains: []string{"school.test"}},
		}
		for i, tc := range refused {
			t.Run(tc.name, func(t *testing.T) {
				slug := fmt.Sprintf("refused%d", i)
				sc := b.srv.CreateSchool(t, slug, "UTC")
				addUser(t, db, sc.ID, "eve", user.RoleADMIN, "")
				op, err := oidctest.Start("127.0.0.1:0")
				require.NoError(t, err)
				defer op.Close()
				p := b.provider(t, op, sc.ID, sso.Input{Name: "Idp", AllowedDomains: tc.domains, DefaultRole: ssoprovider.DefaultRoleVIEWER})
				u := tc.user
				u.Username, u.Password, u.Subject = "eve", "pw", "sub-eve"
				if u.Email == "" {
					u.Email = "eve@school.test"
					u.EmailVerified = tc.user.EmailVerified || tc.code != sso.RefusedUnverified
				}
				op.AddUser(u)
				op.SetTamper(tc.tamper)
				br := oidctest.NewBrowser()
				at, err := op.SignIn(br, startURL(b.srv, slug, p), "eve", "pw")
				require.NoError(t, err)
				require.Equal(t, tc.code, refusal(t, at))
				require.Equal(t, slug, at.Query().Get("school"))
				require.Contains(t, b.logs.String(), tc.reason)
				name, _ := me(t, b.srv, br)
				require.Empty(t, name, "a refused sign-in starts no session")

				// The same provider, behaving, signs the same person in.
				op.SetTamper(oidctest.Tamper{})
				if tc.code == sso.RefusedInvalid {
					at, err = op.SignIn(br, startURL(b.srv, slug, p), "eve", "pw")
					require.NoError(t, err)
					require.Equal(t, "/", at.Path, b.logs.String())
				}
			})
		}

		t.Run("a replayed state is refused", func(t *testing.T) {
			sc := b.srv.CreateSchool(t, "replay", "UTC")
			addUser(t, db, sc.ID, "bob", user.RoleVIEWER, "")
			p := b.provider(t, b.op, sc.ID, sso.Input{Name: "Replay"})
			b.op.AddUser(oidctest.User{Username: "bob", Password: "pw", Subject: "s-bob", Email: "bob@school.test", EmailVerified: true})
			br := oidctest.NewBrowser()
			var callback string
			br.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
				if req.URL.Path == sso.CallbackPath {
					callback = req.URL.String()
				}
				return nil
			}
			_, err := b.op.SignIn(br, startURL(b.srv, "replay", p), "bob", "pw")
			require.NoError(t, err)
			require.NotEmpty(t, callback)
			name, _ := me(t, b.srv, br)
			require.Equal(t, "bob", name)
			for _, who := range []*http.Client{br, oidctest.NewBrowser()} {
				resp, err := who.Get(callback)
				require.NoError(t, err)
				resp.Body.Close()
				require.Equal(t, sso.RefusedExpired, refusal(t, resp.Request.URL))
			}
		})

		t.Run("groups grant ADMIN, and a removed group removes access", func(t *testing.T) {
			sc := b.srv.CreateSchool(t, "groups", "UTC")
			p := b.provider(t, b.op, sc.ID, sso.Input{Name: "Entra", AdminGroup: "report-admins", ViewerGroup: "report-viewers"})
			b.op.AddUser(oidctest.User{Username: "cy", Password: "pw", Subject: "e-cy", Email: "cy@school.test", EmailVerified: true,
				Groups: []string{"staff", "report-admins"}})
			br := oidctest.NewBrowser()
			at, err := b.op.SignIn(br, startURL(b.srv, "groups", p), "cy", "pw")
			require.NoError(t, err)
			require.Equal(t, "/", at.Path, b.logs.String())
			name, role := me(t, b.srv, br)
			require.Equal(t, "cy@school.test", name, "the account was created with the email as its username")
			require.Equal(t, "ADMIN", role)

			b.op.SetGroups("e-cy", []string{"report-viewers"})
			br2 := oidctest.NewBrowser()
			_, err = b.op.SignIn(br2, startURL(b.srv, "groups", p), "cy", "pw")
			require.NoError(t, err)
			_, role = me(t, b.srv, br2)
			require.Equal(t, "VIEWER", role, "the role follows the groups at each sign-in")

			b.op.SetGroups("e-cy", []string{"staff"})
			br3 := oidctest.NewBrowser()
			at, err = b.op.SignIn(br3, startURL(b.srv, "groups", p), "cy", "pw")
			require.NoError(t, err)
			require.Equal(t, sso.RefusedNoAccess, refusal(t, at))
			name, _ = me(t, b.srv, br)
			require.Empty(t, name, "the earlier session ends with the role")

			// Nobody outside the groups is created.
			b.op.AddUser(oidctest.User{Username: "dee", Password: "pw", Subject: "e-dee", Email: "dee@school.test", EmailVerified: true})
			at, err = b.op.SignIn(oidctest.NewBrowser(), startURL(b.srv, "groups", p), "dee", "pw")
			require.NoError(t, err)
			require.Equal(t, sso.RefusedNoAccess, refusal(t, at))
			n, err := db.Client.User.Query().Where(user.Username("dee@school.test")).Count(tenant.WithSchool(ctx, sc.ID))
			require.NoError(t, err)
			require.Zero(t, n)
		})

		t.Run("two providers", func(t *testing.T) {
			sc := b.srv.CreateSchool(t, "two", "UTC")
			other, err := oidctest.Start("127.0.0.1:0")
			require.NoError(t, err)
			defer other.Close()
			pa := b.provider(t, b.op, sc.ID, sso.Input{Name: "Google", DefaultRole: ssoprovider.DefaultRoleVIEWER, AllowedDomains: []string{"two.test"}})
			pb := b.provider(t, other, sc.ID, sso.Input{Name: "Microsoft", AdminGroup: "admins"})
			opts, err := b.srv.App.SSO.OptionsFor(ctx, "two")
			require.NoError(t, err)
			require.Len(t, opts.Providers, 2)
			require.Equal(t, []string{"Google", "Microsoft"}, []string{opts.Providers[0].Name, opts.Providers[1].Name})

			b.op.AddUser(oidctest.User{Username: "gil", Password: "pw", Subject: "g-gil", Email: "gil@two.test", EmailVerified: true})
			other.AddUser(oidctest.User{Username: "max", Password: "pw", Subject: "m-max", Email: "max@two.test", EmailVerified: true, Groups: []string{"admins"}})
			bg, bm := oidctest.NewBrowser(), oidctest.NewBrowser()
			_, err = b.op.SignIn(bg, startURL(b.srv, "two", pa), "gil", "pw")
			require.NoError(t, err)
			_, err = other.SignIn(bm, startURL(b.srv, "two", pb), "max", "pw")
			require.NoError(t, err)
			name, role := me(t, b.srv, bg)
			require.Equal(t, [2]string{"gil@two.test", "VIEWER"}, [2]string{name, role})
			name, role = me(t, b.srv, bm)
			require.Equal(t, [2]string{"max@two.test", "ADMIN"}, [2]string{name, role})

			// A provider's link does not sign in at another school.
			at, err := b.op.SignIn(oidctest.NewBrowser(), startURL(b.srv, "good", pa), "gil", "pw")
			require.NoError(t, err)
			require.Equal(t, sso.RefusedUnavailable, refusal(t, at))
		})
	})
}

// TestSSOWithoutKey: without PROVREPORT_SECRET_KEY providers cannot be added and the
// sign-in link says why.
func TestSSOWithoutKey(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	srv := apitest.New(t, db)
	sc := srv.CreateSchool(t, "nokey", "UTC")
	_, err := srv.App.SSO.Add(tenant.WithSchool(context.Background(), sc.ID), sso.Input{Name: "G", Issuer: "https://accounts.google.com", ClientID: "x"})
	require.ErrorContains(t, err, "PROVREPORT_SECRET_KEY")
	resp, err := oidctest.NewBrowser().Get(srv.URL + sso.StartPath + "?school=nokey&provider=1")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, sso.RefusedNotConfigured, refusal(t, resp.Request.URL))
	require.False(t, strings.Contains(resp.Request.URL.String(), "provider="))
}

// gqlAs posts a GraphQL request with the browser's cookies.
func gqlAs(t *testing.T, srv *apitest.Server, b *http.Client, query string, vars map[string]any) apitest.Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out apitest.Response
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return out
}

// TestSSOAdminAPI: admins manage providers over GraphQL with the secret write-only, the
// public query names the buttons, and passwords can be turned off only once an admin
// can sign in through a provider.
func TestSSOAdminAPI(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := newSSO(t, db)
		sc := b.srv.CreateSchool(t, "admin", "UTC")
		addUser(t, db, sc.ID, "root", user.RoleADMIN, "root-password-1")
		addUser(t, db, sc.ID, "vic", user.RoleVIEWER, "vic-password-1")
		admin, viewer := newClient(t, b.srv.URL), newClient(t, b.srv.URL)
		require.Empty(t, admin.signIn("admin", "root", "root-password-1").Errors)
		require.Empty(t, viewer.signIn("admin", "vic", "vic-password-1").Errors)

		b.op.AddClient("provreport-gql", "gql-secret", b.srv.URL+sso.CallbackPath)
		add := `mutation($in: SignInProviderInput!) { addSignInProvider(input: $in) { id name issuer clientId hasClientSecret allowedDomains adminGroup defaultRole } }`
		in := map[string]any{"name": "School IdP", "issuer": b.op.Issuer, "clientId": "provreport-gql", "clientSecret": "gql-secret",
			"allowedDomains": []string{"School.Test"}, "adminGroup": "admins"}
		r := viewer.gql(add, map[string]any{"in": in})
		require.Equal(t, "FORBIDDEN", r.code())
		r = admin.gql(add, map[string]any{"in": map[string]any{"name": "x", "issuer": b.op.Issuer, "clientId": "c", "defaultRole": "ADMIN"}})
		require.Equal(t, "BAD_USER_INPUT", r.code())
		r = admin.gql(add, map[string]any{"in": in})
		require.Empty(t, r.Errors)
		got := r.Data["addSignInProvider"].(map[string]any)
		require.Equal(t, true, got["hasClientSecret"])
		require.Equal(t, []any{"school.test"}, got["allowedDomains"])
		require.Equal(t, "NONE", got["defaultRole"])
		require.NotContains(t, fmt.Sprint(r.Data), "gql-secret")
		row, err := db.Client.SSOProvider.Query().Only(tenant.WithSchool(context.Background(), sc.ID))
		require.NoError(t, err)
		require.NotContains(t, row.ClientSecretSealed, "gql-secret", "the secret is stored sealed")
		r = admin.gql(`{ __type(name: "SignInProvider") { fields { name } } }`, nil)
		require.NotContains(t, fmt.Sprint(r.Data), "clientSecret", "the secret cannot even be asked for")

		// The public sign-in page learns the buttons without credentials.
		r = newClient(t, b.srv.URL).gql(`query($s: String!) { signInOptions(school: $s) { passwordSignIn providers { id name } } }`, map[string]any{"s": "ADMIN"})
		require.Empty(t, r.Errors)
		require.Equal(t, true, r.Data["signInOptions"].(map[string]any)["passwordSignIn"])
		require.Equal(t, "School IdP", r.Data["signInOptions"].(map[string]any)["providers"].([]any)[0].(map[string]any)["name"])
		r = newClient(t, b.srv.URL).gql(`{ signInOptions(school: "nowhere") { passwordSignIn providers { id } } }`, nil)
		require.Equal(t, map[string]any{"passwordSignIn": true, "providers": []any{}}, r.Data["signInOptions"])

		// Passwords stay on until an admin has signed in through the provider.
		r = admin.gql(`mutation { setPasswordSignIn(enabled: false) { passwordSignIn } }`, nil)
		require.Equal(t, "BAD_USER_INPUT", r.code())
		require.Contains(t, r.Errors[0].Message, "no admin of the school has signed in with a provider")
		b.op.AddUser(oidctest.User{Username: "ann", Password: "pw", Subject: "ann", Email: "ann@school.test", EmailVerified: true, Groups: []string{"admins"}})
		pid := fmt.Sprint(got["id"])
		br := oidctest.NewBrowser()
		at, err := b.op.SignIn(br, fmt.Sprintf("%s%s?school=admin&provider=%s", b.srv.URL, sso.StartPath, pid), "ann", "pw")
		require.NoError(t, err)
		require.Equal(t, "/", at.Path, b.logs.String())
		r2 := gqlAs(t, b.srv, br, `mutation { setPasswordSignIn(enabled: false) { passwordSignIn } }`, nil)
		require.Empty(t, r2.Errors)
		r = newClient(t, b.srv.URL).signIn("admin", "root", "root-password-1")
		require.Equal(t, "UNAUTHENTICATED", r.code())
		require.Contains(t, r.Errors[0].Message, "signs in with its own accounts")
		r = newClient(t, b.srv.URL).signIn("admin", "root", "wrong-password")
		require.Contains(t, r.Errors[0].Message, "username or password is not right", "a wrong password learns nothing more")

		// The last provider stays while passwords are off.
		r2 = gqlAs(t, b.srv, br, `mutation($id: ID!) { removeSignInProvider(id: $id) }`, map[string]any{"id": pid})
		require.Equal(t, "BAD_USER_INPUT", r2.Error(t, "BAD_USER_INPUT").Code())
		r2 = gqlAs(t, b.srv, br, `mutation { setPasswordSignIn(enabled: true) { passwordSignIn } }`, nil)
		require.Empty(t, r2.Errors)
		r2 = gqlAs(t, b.srv, br, `mutation($id: ID!) { removeSignInProvider(id: $id) }`, map[string]any{"id": pid})
		require.Empty(t, r2.Errors)
		r2 = gqlAs(t, b.srv, br, `{ signInProviders { id } }`, nil)
		require.Empty(t, r2.Errors)
	})
}

// TestSSOLockout: failed single sign-ons count against the same throttle as passwords,
// so repeated refusals lock the provider out for the address, and a good answer from the
// provider is then refused too until the lock ends.
func TestSSOLockout(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	b := newSSO(t, db)
	sc := b.srv.CreateSchool(t, "locked", "UTC")
	addUser(t, db, sc.ID, "lou", user.RoleVIEWER, "")
	p := b.provider(t, b.op, sc.ID, sso.Input{Name: "Idp"})
	b.op.AddUser(oidctest.User{Username: "lou", Password: "pw", Subject: "s-lou", Email: "lou@school.test", EmailVerified: true})
	b.op.SetTamper(oidctest.Tamper{Nonce: "replayed-token"})
	codes := map[string]int{}
	for range 9 {
		at, err := b.op.SignIn(oidctest.NewBrowser(), startURL(b.srv, "locked", p), "lou", "pw")
		require.NoError(t, err)
		codes[refusal(t, at)]++
	}
	require.Equal(t, map[string]int{sso.RefusedInvalid: 8, sso.RefusedLocked: 1}, codes)
	b.op.SetTamper(oidctest.Tamper{})
	br := oidctest.NewBrowser()
	at, err := b.op.SignIn(br, startURL(b.srv, "locked", p), "lou", "pw")
	require.NoError(t, err)
	require.Equal(t, sso.RefusedLocked, refusal(t, at))
	name, _ := me(t, b.srv, br)
	require.Empty(t, name)
}
