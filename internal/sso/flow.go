package sso

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/school"
	"github.com/provreport/provreport/ent/ssoprovider"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/requestid"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/usererr"
)

// The paths of the flow.
const (
	StartPath    = "/auth/oidc/start"
	CallbackPath = "/auth/oidc/callback"
)

// flowTTL is how long a started sign-in may take at the provider.
const flowTTL = 10 * time.Minute

// flowKeyPrefix + state is the session key of a started sign-in. Keying by state lets
// two tabs sign in at once, and popping the key makes each state usable once.
const flowKeyPrefix = "sso_flow:"

// flow is what the session remembers between the start and the callback.
type flow struct {
	SchoolID   int       `json:"school"`
	Slug       string    `json:"slug"`
	ProviderID int       `json:"provider"`
	Nonce      string    `json:"nonce"`
	Verifier   string    `json:"verifier"`
	Next       string    `json:"next"`
	Started    time.Time `json:"started"`
}

// Refusal codes: the sign-in page says what each means. None tells whether an account
// of the school exists.
const (
	RefusedExpired       = "expired"          // the state is unknown, used or too old
	RefusedCancelled     = "cancelled"        // the user or provider cancelled at the provider
	RefusedInvalid       = "invalid"          // the provider's answer did not verify
	RefusedUnverified    = "unverified_email" // the provider says the email is not verified
	RefusedDomain        = "domain"           // the email's domain is not allowed
	RefusedNoAccess      = "no_access"        // no role in the school
	RefusedNotConfigured = "not_configured"   // the server has no PROVREPORT_SECRET_KEY
	RefusedUnavailable   = "unavailable"      // the provider is gone or unreachable
	RefusedLocked        = "locked"           // too many failed sign-ins
)

// refusal is a refused sign-in: the code the page shows and the reason the log keeps.
type refusal struct {
	code   string
	reason error
}

func (r *refusal) Error() string { return r.code + ": " + r.reason.Error() }

func refuse(code string, format string, args ...any) *refusal {
	return &refusal{code: code, reason: fmt.Errorf(format, args...)}
}

func (s *Service) httpClient() *http.Client {
	if s.HTTPClient != nil {
		return s.HTTPClient
	}
	return &http.Client{Timeout: 10 * time.Second}
}

func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// safeNext keeps a post-sign-in destination on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Service) redirectURL() string {
	return strings.TrimRight(s.PublicURL, "/") + CallbackPath
}

// providerHandle is a provider's discovery, ready to build its OAuth 2.0 config.
type providerHandle struct {
	oidc *oidc.Provider
}

// discover returns the provider at issuer, from the cache when fetched within the hour.
func (s *Service) discover(ctx context.Context, issuer string) (*providerHandle, error) {
	s.mu.Lock()
	if s.discovery == nil {
		s.discovery = map[string]*discovered{}
	}
	d := s.discovery[issuer]
	s.mu.Unlock()
	if d != nil && time.Since(d.at) < time.Hour {
		return d.p, nil
	}
	// The key set go-oidc builds keeps this context (without its cancellation) for
	// its later fetches, which follow the provider's key rotation.
	dctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, s.httpClient()), 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(dctx, issuer)
	if err != nil {
		return nil, err
	}
	h := &providerHandle{oidc: p}
	s.mu.Lock()
	s.discovery[issuer] = &discovered{at: time.Now(), p: h}
	s.mu.Unlock()
	return h, nil
}

func (s *Service) oauthConfig(p *ent.SSOProvider, h *providerHandle, secret string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     p.ClientID,
		ClientSecret: secret,
		Endpoint:     h.oidc.Endpoint(),
		RedirectURL:  s.redirectURL(),
		Scopes:       []string{oidc.ScopeOpenID, "email", "profile"},
	}
}

// backToSignIn sends the browser to the sign-in page with the refusal's code.
func (s *Service) backToSignIn(w http.ResponseWriter, r *http.Request, slug string, ref *refusal) {
	s.logger().WarnContext(r.Context(), "single sign-on refused", "request_id", requestid.FromContext(r.Context()),
		"school", slug, "code", ref.code, "reason", ref.reason.Error())
	q := url.Values{"sso_error": {ref.code}}
	if slug != "" {
		q.Set("school", slug)
	}
	http.Redirect(w, r, "/signin?"+q.Encode(), http.StatusSeeOther)
}

// Start begins a sign-in: GET /auth/oidc/start?school=SLUG&provider=ID[&next=/path].
// It remembers state, nonce and the PKCE verifier in the session and sends the browser
// to the provider.
func (s *Service) Start(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	slug := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("school")))
	id, _ := strconv.Atoi(r.URL.Query().Get("provider"))
	if !s.Keys.Configured() {
		s.backToSignIn(w, r, slug, refuse(RefusedNotConfigured, "PROVREPORT_SECRET_KEY is not set"))
		return
	}
	sys := tenant.System(ctx)
	sc, err := s.Client.School.Query().Where(school.Slug(slug)).Only(sys)
	var p *ent.SSOProvider
	if err == nil {
		p, err = s.Client.SSOProvider.Query().Where(ssoprovider.ID(id), ssoprovider.SchoolID(sc.ID)).Only(sys)
	}
	if err != nil {
		s.backToSignIn(w, r, slug, refuse(RefusedUnavailable, "school or provider %d: %v", id, err))
		return
	}
	h, err := s.discover(ctx, p.Issuer)
	if err != nil {
		s.backToSignIn(w, r, slug, refuse(RefusedUnavailable, "discovery of %s: %v", p.Issuer, err))
		return
	}
	state, nonce, verifier := randomString(), randomString(), oauth2.GenerateVerifier()
	f := flow{SchoolID: sc.ID, Slug: sc.Slug, ProviderID: p.ID, Nonce: nonce, Verifier: verifier,
		Next: safeNext(r.URL.Query().Get("next")), Started: time.Now().UTC()}
	b, _ := json.Marshal(f)
	s.Sessions.Manager.Put(ctx, flowKeyPrefix+state, string(b))
	target := s.oauthConfig(p, h, "").AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// Callback finishes a sign-in at PROVREPORT_PUBLIC_URL/auth/oidc/callback: it checks
// the state, exchanges the code with the PKCE verifier, verifies the ID token (issuer,
// audience, expiry, signature, nonce), finds or creates the user and starts the session.
func (s *Service) Callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	state := q.Get("state")
	raw := ""
	if state != "" {
		raw = s.Sessions.Manager.PopString(ctx, flowKeyPrefix+state)
	}
	var f flow
	if raw == "" || json.Unmarshal([]byte(raw), &f) != nil {
		s.backToSignIn(w, r, "", refuse(RefusedExpired, "unknown or used state"))
		return
	}
	if time.Since(f.Started) > flowTTL {
		s.backToSignIn(w, r, f.Slug, refuse(RefusedExpired, "started %s ago", time.Since(f.Started).Round(time.Second)))
		return
	}
	if e := q.Get("error"); e != "" {
		code := RefusedInvalid
		if e == "access_denied" {
			code = RefusedCancelled
		}
		s.backToSignIn(w, r, f.Slug, refuse(code, "provider answered %q", e))
		return
	}
	var signedIn *ent.User
	var prov *ent.SSOProvider
	_, err := s.Sessions.SignInWith(ctx, f.Slug, "sso:"+strconv.Itoa(f.ProviderID), auth.ClientAddr(ctx),
		func(ctx context.Context) (*ent.User, error) {
			var err error
			prov, err = s.Client.SSOProvider.Query().Where(ssoprovider.ID(f.ProviderID), ssoprovider.SchoolID(f.SchoolID)).Only(tenant.System(ctx))
			if err != nil {
				return nil, refuse(RefusedUnavailable, "provider %d: %v", f.ProviderID, err)
			}
			id, err := s.verify(ctx, prov, f, q.Get("code"))
			if err != nil {
				return nil, err
			}
			signedIn, err = s.match(ctx, prov, id)
			return signedIn, err
		})
	if err != nil {
		var ref *refusal
		switch {
		case errors.As(err, &ref):
		case errors.Is(err, usererr.ErrUnauthenticated):
			ref = refuse(RefusedNoAccess, "no role in the school")
		default:
			if ue, ok := usererr.As(err); ok && ue.Code == usererr.TooManyRequests {
				ref = refuse(RefusedLocked, "%s", ue.Message)
			} else {
				s.logger().ErrorContext(ctx, "single sign-on", "request_id", requestid.FromContext(ctx), "err", err)
				ref = refuse(RefusedUnavailable, "%v", err)
			}
		}
		s.backToSignIn(w, r, f.Slug, ref)
		return
	}
	s.logger().InfoContext(ctx, "signed in", "request_id", requestid.FromContext(ctx), "method", "oidc",
		"school", f.Slug, "provider", prov.Name, "user_id", signedIn.ID, "role", string(signedIn.Role))
	http.Redirect(w, r, f.Next, http.StatusSeeOther)
}

// identity is what a verified ID token says about the user.
type identity struct {
	Issuer, Subject, Email, Name, PreferredUsername string
	// EmailVerified is nil when the provider does not say (Microsoft Entra ID).
	EmailVerified *bool
	Groups        []string
}

// verify exchanges the code and checks the ID token.
func (s *Service) verify(ctx context.Context, p *ent.SSOProvider, f flow, code string) (*identity, error) {
	if code == "" {
		return nil, refuse(RefusedInvalid, "no code in the callback")
	}
	secret := ""
	if p.ClientSecretSealed != "" {
		var err error
		if secret, _, err = s.Keys.Open(secretPurpose, p.ClientSecretSealed); err != nil {
			return nil, refuse(RefusedNotConfigured, "client secret of %q: %v", p.Name, err)
		}
	}
	h, err := s.discover(ctx, p.Issuer)
	if err != nil {
		return nil, refuse(RefusedUnavailable, "discovery of %s: %v", p.Issuer, err)
	}
	cctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, s.httpClient()), 15*time.Second)
	defer cancel()
	tok, err := s.oauthConfig(p, h, secret).Exchange(cctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return nil, refuse(RefusedInvalid, "code exchange: %v", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return nil, refuse(RefusedInvalid, "the token response has no id_token")
	}
	// The verifier checks the signature (fetching the provider's keys again when the
	// token names an unknown one), the issuer, the audience and the expiry.
	idt, err := h.oidc.VerifierContext(cctx, &oidc.Config{ClientID: p.ClientID}).Verify(cctx, raw)
	if err != nil {
		return nil, refuse(RefusedInvalid, "id token: %v", err)
	}
	if idt.Nonce != f.Nonce {
		return nil, refuse(RefusedInvalid, "id token: nonce does not match the one sent")
	}
	var c struct {
		Email             string          `json:"email"`
		EmailVerified     json.RawMessage `json:"email_verified"`
		Name              string          `json:"name"`
		PreferredUsername string          `json:"preferred_username"`
		Groups            []string        `json:"groups"`
	}
	if err := idt.Claims(&c); err != nil {
		return nil, refuse(RefusedInvalid, "id token claims: %v", err)
	}
	id := &identity{Issuer: idt.Issuer, Subject: idt.Subject, Email: strings.ToLower(strings.TrimSpace(c.Email)),
		Name: c.Name, PreferredUsername: c.PreferredUsername, Groups: c.Groups}
	// Some providers send the flag as a string.
	switch strings.Trim(string(c.EmailVerified), `"`) {
	case "true":
		id.EmailVerified = new(bool)
		*id.EmailVerified = true
	case "false":
		id.EmailVerified = new(bool)
	}
	if id.Subject == "" {
		return nil, refuse(RefusedInvalid, "id token without a subject")
	}
	return id, nil
}
