// Package oidctest runs a real, certified OpenID Provider (zitadel/oidc's op package
// over its example in-memory storage) on loopback, for the tests of single sign-on and
// for the browser tests (through its command). It speaks the whole protocol itself:
// discovery, keys, authorization with PKCE, the token endpoint and signed ID tokens.
// A few knobs make it answer the way a misconfigured or hostile provider would, so that
// the relying party's own checks can be shown to refuse such answers.
package oidctest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// User is an account at the provider.
type User struct {
	// Username and Password are what the provider's sign-in form takes.
	Username, Password string
	// Subject is the stable ID the provider gives in "sub"; the username when empty.
	Subject string
	Email   string
	// EmailVerified is sent as email_verified.
	EmailVerified bool
	Name          string
	// Groups are sent in the "groups" claim.
	Groups []string
}

// Tamper makes the provider misbehave in its next ID tokens.
type Tamper struct {
	// Audience, when set, replaces the ID token's audience.
	Audience []string
	// Nonce, when set, replaces the nonce the client sent.
	Nonce string
	// Lifetime, when non-zero, is the ID tokens' lifetime; negative issues expired tokens.
	Lifetime time.Duration
}

// Provider is a running OpenID Provider.
type Provider struct {
	// Issuer is the provider's issuer URL, e.g. http://127.0.0.1:41234.
	Issuer string

	srv     *http.Server
	ln      net.Listener
	store   *wrapped
	clients map[string]*storage.Client
}

// Start runs a provider on addr ("127.0.0.1:0" picks a free port).
func Start(addr string) (*Provider, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	issuer := "http://" + ln.Addr().String()
	users := &userStore{users: map[string]*storage.User{}}
	p := &Provider{Issuer: issuer, ln: ln, clients: map[string]*storage.Client{}}
	p.store = &wrapped{Storage: storage.NewStorageWithClients(users, p.clients), users: users, groups: map[string][]string{}}
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:                sha256.Sum256([]byte(issuer)),
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		DefaultLogoutRedirectURI: "/",
		SupportedUILocales:       []language.Tag{language.English},
	}, p.store, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		ln.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/login", p.login(provider.AuthorizationEndpoint().Relative()+"/callback?id="))
	// Browsers ask every site for its icon; an empty answer keeps their consoles clean.
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.Handle("/", provider)
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// Close stops the provider.
func (p *Provider) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return p.srv.Shutdown(ctx)
}

// AddClient registers a confidential web client.
func (p *Provider) AddClient(id, secret string, redirectURIs ...string) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	c := storage.WebClient(id, secret, redirectURIs...)
	// The map is the one the storage reads; it is written before any request uses it.
	p.clients[id] = c
}

// AddUser creates or replaces an account.
func (p *Provider) AddUser(u User) {
	if u.Subject == "" {
		u.Subject = u.Username
	}
	p.store.users.put(&storage.User{ID: u.Subject, Username: u.Username, Password: u.Password, FirstName: u.Name,
		Email: u.Email, EmailVerified: u.EmailVerified, PreferredLanguage: language.English})
	p.SetGroups(u.Subject, u.Groups)
}

// SetGroups changes the groups of the account with subject.
func (p *Provider) SetGroups(subject string, groups []string) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.groups[subject] = groups
}

// SetTamper makes the following ID tokens misbehave; the zero Tamper restores them.
func (p *Provider) SetTamper(t Tamper) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.tamper = t
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body><main><h1>Test identity provider</h1>{{if .Error}}<p role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/login"><input type="hidden" name="id" value="{{.ID}}">
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Continue</button></form></main></body></html>`))

// login is the provider's own sign-in form, where the authorization request waits
// until the user has proven who they are.
func (p *Provider) login(callback string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.Method == http.MethodGet {
			_ = loginPage.Execute(w, map[string]string{"ID": r.URL.Query().Get("authRequestID")})
			return
		}
		id := r.PostFormValue("id")
		if err := p.store.CheckUsernamePassword(r.PostFormValue("username"), r.PostFormValue("password"), id); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			_ = loginPage.Execute(w, map[string]string{"ID": id, "Error": "Wrong username or password."})
			return
		}
		http.Redirect(w, r, callback+url.QueryEscape(id), http.StatusFound)
	}
}

// userStore is the example storage's user store, filled by the test.
type userStore struct {
	mu    sync.Mutex
	users map[string]*storage.User
}

func (s *userStore) put(u *storage.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

func (s *userStore) GetUserByID(id string) *storage.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users[id]
}

func (s *userStore) GetUserByUsername(name string) *storage.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.Username == name {
			return u
		}
	}
	return nil
}

func (s *userStore) ExampleClientID() string { return "" }

// wrapped is the example storage with groups in the ID token and the tamper knobs.
type wrapped struct {
	*storage.Storage
	users  *userStore
	mu     sync.Mutex
	groups map[string][]string
	tamper Tamper
}

func (w *wrapped) current() (Tamper, map[string][]string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.tamper, w.groups
}

// GetClientByClientID puts the user's claims into the ID token and sends the user to
// this provider's sign-in form.
func (w *wrapped) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := w.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	t, _ := w.current()
	out := &client{Client: c, lifetime: t.Lifetime}
	if len(t.Audience) > 0 {
		// The token endpoint checks that the code was issued to the client it is
		// exchanged by; both answer with the other audience, so the ID token is issued
		// for it alone.
		out.id = t.Audience[0]
	}
	return out, nil
}

// AuthRequestByCode applies the audience and nonce knobs to the request the token is
// issued for.
func (w *wrapped) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := w.Storage.AuthRequestByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	t, _ := w.current()
	if t.Audience == nil && t.Nonce == "" {
		return r, nil
	}
	return &tampered{AuthRequest: r, t: t}, nil
}

// SetUserinfoFromScopes adds the "groups" claim.
func (w *wrapped) SetUserinfoFromScopes(ctx context.Context, info *oidc.UserInfo, userID, clientID string, scopes []string) error {
	if err := w.Storage.SetUserinfoFromScopes(ctx, info, userID, clientID, scopes); err != nil {
		return err
	}
	// The example storage leaves the standard claims to SetUserinfoFromRequest; fill
	// them here, where the ID token asks for them.
	if u := w.users.GetUserByID(userID); u != nil {
		info.Subject = u.ID
		for _, s := range scopes {
			switch s {
			case oidc.ScopeEmail:
				info.Email, info.EmailVerified = u.Email, oidc.Bool(u.EmailVerified)
				if !u.EmailVerified {
					// The library leaves a false flag out; providers such as Google send it.
					info.AppendClaims("email_verified", false)
				}
			case oidc.ScopeProfile:
				info.Name, info.PreferredUsername = strings.TrimSpace(u.FirstName), u.Username
			}
		}
	}
	if _, groups := w.current(); groups[userID] != nil {
		info.AppendClaims("groups", groups[userID])
	}
	return nil
}

type client struct {
	op.Client
	lifetime time.Duration
	id       string
}

func (c *client) GetID() string {
	if c.id != "" {
		return c.id
	}
	return c.Client.GetID()
}

func (c *client) LoginURL(id string) string            { return "/login?authRequestID=" + url.QueryEscape(id) }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) IDTokenLifetime() time.Duration {
	if c.lifetime != 0 {
		return c.lifetime
	}
	return c.Client.IDTokenLifetime()
}

type tampered struct {
	op.AuthRequest
	t Tamper
}

func (r *tampered) GetAudience() []string {
	if r.t.Audience != nil {
		return r.t.Audience
	}
	return r.AuthRequest.GetAudience()
}

func (r *tampered) GetClientID() string {
	if len(r.t.Audience) > 0 {
		return r.t.Audience[0]
	}
	return r.AuthRequest.GetClientID()
}

func (r *tampered) GetNonce() string {
	if r.t.Nonce != "" {
		return r.t.Nonce
	}
	return r.AuthRequest.GetNonce()
}

// NewBrowser returns an HTTP client that keeps cookies and follows redirects, as a
// browser would.
func NewBrowser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

// SignIn follows a sign-in link (the relying party's start URL) to the provider's form,
// signs in there as username and follows the redirects back; it returns the address the
// browser ends on.
func (p *Provider) SignIn(b *http.Client, start, username, password string) (*url.URL, error) {
	resp, err := b.Get(start)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	at := resp.Request.URL
	if !strings.HasPrefix(at.String(), p.Issuer+"/login") {
		// The relying party refused before sending the browser here.
		return at, nil
	}
	resp, err = b.PostForm(p.Issuer+"/login", url.Values{"id": {at.Query().Get("authRequestID")},
		"username": {username}, "password": {password}})
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.Request.URL.Host == at.Host && resp.StatusCode == http.StatusUnauthorized {
		return nil, fmt.Errorf("the provider refused %s's password", username)
	}
	return resp.Request.URL, nil
}
