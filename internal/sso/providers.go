// Package sso signs dashboard users in through their school's own accounts: OpenID
// Connect providers (Google Workspace, Microsoft Entra ID or any other) that a school's
// admins register. It keeps the providers (client secrets sealed with package
// secretkey), runs the authorization code flow with PKCE, state and nonce through
// go-oidc, and maps the provider's identity and groups onto the school's users.
package sso

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/school"
	"github.com/provreport/provreport/ent/ssoprovider"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/secretkey"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/usererr"
)

// secretPurpose is the additional data client secrets are sealed with.
const secretPurpose = "sso-client-secret"

// Service manages a server's single sign-on providers and signs users in through them.
type Service struct {
	// Client is the database.
	Client *ent.Client
	// Keys seal and open client secrets; without a key providers cannot be added and
	// nobody can sign in through one.
	Keys *secretkey.Keys
	// Sessions starts the session of a user who signed in.
	Sessions *auth.Sessions
	// PublicURL is the dashboard's address as browsers reach it; the callback is
	// PublicURL/auth/oidc/callback.
	PublicURL string
	// HTTPClient talks to the providers; nil uses one with a 10 s timeout.
	HTTPClient *http.Client
	// Logger records each sign-in and why one was refused.
	Logger *slog.Logger

	mu        sync.Mutex
	discovery map[string]*discovered
}

// Input is a provider's settings as an admin gives them. A nil ClientSecret keeps the
// stored one (an empty one removes it).
type Input struct {
	Name, Issuer, ClientID string
	ClientSecret           *string
	AllowedDomains         []string
	AdminGroup             string
	ViewerGroup            string
	DefaultRole            ssoprovider.DefaultRole
}

// Patch changes some of a provider's settings; nil fields keep their value.
type Patch struct {
	Name, Issuer, ClientID, ClientSecret, AdminGroup, ViewerGroup *string
	AllowedDomains                                                []string
	SetAllowedDomains                                             bool
	DefaultRole                                                   *ssoprovider.DefaultRole
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func validIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return usererr.BadInput("issuer", "must be the provider's issuer URL, e.g. https://accounts.google.com")
	}
	if u.Scheme == "https" {
		return nil
	}
	if u.Scheme == "http" {
		// Plain HTTP only on the machine itself, where nobody can read the tokens in between.
		if ip := net.ParseIP(u.Hostname()); (ip != nil && ip.IsLoopback()) || u.Hostname() == "localhost" {
			return nil
		}
	}
	return usererr.BadInput("issuer", "must be an https:// URL")
}

// normalizeDomains lower-cases the domains and drops empty entries and "@" prefixes.
func normalizeDomains(in []string) ([]string, error) {
	var out []string
	for _, d := range in {
		d = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(d)), "@")
		if d == "" {
			continue
		}
		if strings.ContainsAny(d, "@/ ") || !strings.Contains(d, ".") {
			return nil, usererr.BadInput("allowedDomains", "%q is not an email domain such as school.edu", d)
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out, nil
}

func checkFields(name, issuer, clientID string) error {
	if strings.TrimSpace(name) == "" || len(name) > 100 {
		return usererr.BadInput("name", "must be 1 to 100 characters")
	}
	if strings.TrimSpace(clientID) == "" {
		return usererr.BadInput("clientId", "is required")
	}
	return validIssuer(issuer)
}

func (s *Service) seal(secret string) (string, error) {
	if secret == "" {
		return "", nil
	}
	sealed, err := s.Keys.Seal(secretPurpose, secret)
	if err != nil {
		return "", noKey(err)
	}
	return sealed, nil
}

// Add registers a provider for the school ctx is scoped to. It needs the secret key
// even without a client secret, so that no provider is usable on a server that could
// not sign anybody in through it.
func (s *Service) Add(ctx context.Context, in Input) (*ent.SSOProvider, error) {
	if !s.Keys.Configured() {
		return nil, noKey(secretkey.ErrNoKey)
	}
	in.Name, in.Issuer, in.ClientID = strings.TrimSpace(in.Name), strings.TrimRight(strings.TrimSpace(in.Issuer), "/"), strings.TrimSpace(in.ClientID)
	if err := checkFields(in.Name, in.Issuer, in.ClientID); err != nil {
		return nil, err
	}
	domains, err := normalizeDomains(in.AllowedDomains)
	if err != nil {
		return nil, err
	}
	if in.DefaultRole == "" {
		in.DefaultRole = ssoprovider.DefaultRoleNONE
	}
	if err := ssoprovider.DefaultRoleValidator(in.DefaultRole); err != nil {
		return nil, usererr.BadInput("defaultRole", "must be VIEWER or NONE")
	}
	secret := ""
	if in.ClientSecret != nil {
		if secret, err = s.seal(*in.ClientSecret); err != nil {
			return nil, err
		}
	}
	p, err := s.Client.SSOProvider.Create().SetName(in.Name).SetIssuer(in.Issuer).SetClientID(in.ClientID).
		SetClientSecretSealed(secret).SetAllowedDomains(domains).SetAdminGroup(strings.TrimSpace(in.AdminGroup)).
		SetViewerGroup(strings.TrimSpace(in.ViewerGroup)).SetDefaultRole(in.DefaultRole).Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, usererr.BadInput("name", "the school already has a provider named %q", in.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("add sign-in provider: %w", err)
	}
	return p, nil
}

// Update changes a provider of the school ctx is scoped to.
func (s *Service) Update(ctx context.Context, id int, p Patch) (*ent.SSOProvider, error) {
	cur, err := s.Client.SSOProvider.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, usererr.NotFoundf("no sign-in provider with ID %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("sign-in provider %d: %w", id, err)
	}
	name, issuer, clientID := cur.Name, cur.Issuer, cur.ClientID
	if p.Name != nil {
		name = strings.TrimSpace(*p.Name)
	}
	if p.Issuer != nil {
		issuer = strings.TrimRight(strings.TrimSpace(*p.Issuer), "/")
	}
	if p.ClientID != nil {
		clientID = strings.TrimSpace(*p.ClientID)
	}
	if err := checkFields(name, issuer, clientID); err != nil {
		return nil, err
	}
	u := s.Client.SSOProvider.UpdateOneID(id).SetName(name).SetIssuer(issuer).SetClientID(clientID)
	if p.ClientSecret != nil {
		sealed, err := s.seal(*p.ClientSecret)
		if err != nil {
			return nil, err
		}
		u.SetClientSecretSealed(sealed)
	}
	if p.SetAllowedDomains {
		d, err := normalizeDomains(p.AllowedDomains)
		if err != nil {
			return nil, err
		}
		u.SetAllowedDomains(d)
	}
	if p.AdminGroup != nil {
		u.SetAdminGroup(strings.TrimSpace(*p.AdminGroup))
	}
	if p.ViewerGroup != nil {
		u.SetViewerGroup(strings.TrimSpace(*p.ViewerGroup))
	}
	if p.DefaultRole != nil {
		if err := ssoprovider.DefaultRoleValidator(*p.DefaultRole); err != nil {
			return nil, usererr.BadInput("defaultRole", "must be VIEWER or NONE")
		}
		u.SetDefaultRole(*p.DefaultRole)
	}
	out, err := u.Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, usererr.BadInput("name", "the school already has a provider named %q", name)
	}
	if err != nil {
		return nil, fmt.Errorf("update sign-in provider %d: %w", id, err)
	}
	return out, nil
}

// Remove deletes a provider of the school ctx is scoped to. While passwords are off, the
// school's last provider stays: without it nobody could sign in.
func (s *Service) Remove(ctx context.Context, schoolID, id int) error {
	sc, err := s.Client.School.Get(tenant.System(ctx), schoolID)
	if err != nil {
		return fmt.Errorf("school %d: %w", schoolID, err)
	}
	if !sc.PasswordSignIn {
		n, err := s.Client.SSOProvider.Query().Where(ssoprovider.IDNEQ(id)).Count(ctx)
		if err != nil {
			return fmt.Errorf("count sign-in providers: %w", err)
		}
		if n == 0 {
			return usererr.BadInput("id", "passwords are off, so the school's last sign-in provider cannot be removed: turn passwords on first")
		}
	}
	err = s.Client.SSOProvider.DeleteOneID(id).Exec(ctx)
	if ent.IsNotFound(err) {
		return usererr.NotFoundf("no sign-in provider with ID %d", id)
	}
	if err != nil {
		return fmt.Errorf("remove sign-in provider %d: %w", id, err)
	}
	return nil
}

// List returns the providers of the school ctx is scoped to, by name.
func (s *Service) List(ctx context.Context) ([]*ent.SSOProvider, error) {
	ps, err := s.Client.SSOProvider.Query().Order(ent.Asc(ssoprovider.FieldName), ent.Asc(ssoprovider.FieldID)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list sign-in providers: %w", err)
	}
	return ps, nil
}

// Options is what the public sign-in page offers for a school.
type Options struct {
	PasswordSignIn bool
	Providers      []*ent.SSOProvider
}

// OptionsFor returns how the school with slug signs in. An unknown school answers like a
// school with passwords only, so the answer does not tell which schools exist.
func (s *Service) OptionsFor(ctx context.Context, slug string) (Options, error) {
	sys := tenant.System(ctx)
	sc, err := s.Client.School.Query().Where(school.Slug(strings.ToLower(strings.TrimSpace(slug)))).Only(sys)
	if ent.IsNotFound(err) {
		return Options{PasswordSignIn: true}, nil
	}
	if err != nil {
		return Options{}, fmt.Errorf("sign-in options: %w", err)
	}
	ps, err := s.List(tenant.WithSchool(ctx, sc.ID))
	if err != nil {
		return Options{}, err
	}
	return Options{PasswordSignIn: sc.PasswordSignIn, Providers: ps}, nil
}

// SetPasswordSignIn turns the school's password sign-in on or off. Off is refused unless
// the school has a provider and an admin who has signed in through one, so that the
// school is never left without an admin able to sign in.
func (s *Service) SetPasswordSignIn(ctx context.Context, schoolID int, enabled bool) error {
	sctx := tenant.WithSchool(ctx, schoolID)
	if !enabled {
		n, err := s.Client.SSOProvider.Query().Count(sctx)
		if err != nil {
			return fmt.Errorf("count sign-in providers: %w", err)
		}
		if n == 0 {
			return usererr.BadInput("enabled", "add a sign-in provider before turning passwords off")
		}
		admins, err := s.Client.User.Query().Where(user.RoleEQ(user.RoleADMIN), user.SSOSubjectNotNil()).Count(sctx)
		if err != nil {
			return fmt.Errorf("count admins: %w", err)
		}
		if admins == 0 {
			return usererr.BadInput("enabled", "no admin of the school has signed in with a provider yet: passwords stay on so that an admin can still sign in")
		}
	}
	// Schools are changed in a system context only (the school schema's hook); the
	// caller was checked to be the school's admin, and the statement names the school.
	if err := s.Client.School.UpdateOneID(schoolID).SetPasswordSignIn(enabled).Exec(tenant.Unscoped(ctx)); err != nil {
		return fmt.Errorf("set password sign-in: %w", err)
	}
	return nil
}

// RotateKey seals every stored client secret again under the current key; run it after
// moving the old key to PROVREPORT_SECRET_KEY_PREVIOUS. It returns how many it resealed.
func (s *Service) RotateKey(ctx context.Context) (int, error) {
	if !s.Keys.Configured() {
		return 0, secretkey.ErrNoKey
	}
	sys := tenant.System(ctx)
	ps, err := s.Client.SSOProvider.Query().Where(ssoprovider.ClientSecretSealedNEQ("")).All(sys)
	if err != nil {
		return 0, fmt.Errorf("rotate key: %w", err)
	}
	n := 0
	for _, p := range ps {
		plain, current, err := s.Keys.Open(secretPurpose, p.ClientSecretSealed)
		if err != nil {
			return n, fmt.Errorf("rotate key: provider %q: %w", p.Name, err)
		}
		if current {
			continue
		}
		sealed, err := s.Keys.Seal(secretPurpose, plain)
		if err != nil {
			return n, err
		}
		if err := s.Client.SSOProvider.UpdateOne(p).SetClientSecretSealed(sealed).Exec(sys); err != nil {
			return n, fmt.Errorf("rotate key: provider %q: %w", p.Name, err)
		}
		n++
	}
	return n, nil
}

// discovered is a provider's discovery document and key set, kept for an hour; go-oidc
// fetches the keys again whenever a token names a key it does not know, which is how a
// provider's key rotation is followed.
type discovered struct {
	at time.Time
	p  *providerHandle
}

// noKey is the typed error of a server that cannot seal or open client secrets.
func noKey(err error) error {
	return &usererr.Error{Code: usererr.ServiceUnavailable, Message: err.Error()}
}
