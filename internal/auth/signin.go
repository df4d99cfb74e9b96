package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/alexedwards/scs/v2"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/school"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/usererr"
)

// Sessions signs dashboard users in and out and resolves a session into a Viewer.
type Sessions struct {
	// Manager is the scs session manager; Sessions.LoadAndSave must wrap requests.
	Manager  *scs.SessionManager
	client   *ent.Client
	throttle *throttle
}

// NewSessions returns the sign-in service over client.
func NewSessions(client *ent.Client, o SessionOptions) *Sessions {
	if o.LockFor <= 0 {
		o.LockFor = 15 * time.Minute
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 5 * time.Second
	}
	return &Sessions{
		Manager: NewSessionManager(client, o),
		client:  client,
		throttle: &throttle{client: client, lockFor: o.LockFor, maxDelay: o.MaxDelay, now: time.Now, sleep: func(ctx context.Context, d time.Duration) {
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
		}},
	}
}

// errBadCredentials is the one answer to every wrong school, username or password, so
// that a caller cannot learn which part was wrong.
func errBadCredentials() error {
	return usererr.Unauthenticatedf("the school, username or password is not right")
}

// SignIn checks a school slug, username and password and starts a session. addr is the
// client's address, for throttling.
func (s *Sessions) SignIn(ctx context.Context, schoolSlug, username, password, addr string) (*ent.User, error) {
	schoolSlug, username = strings.TrimSpace(strings.ToLower(schoolSlug)), strings.TrimSpace(username)
	res, until, err := s.throttle.reserve(ctx, throttleKeys(schoolSlug, strings.ToLower(username), addr))
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, &usererr.Error{Code: usererr.TooManyRequests,
			Message: fmt.Sprintf("too many failed sign-ins; try again after %s", until.UTC().Format(time.RFC3339))}
	}
	if res.delay > 0 {
		s.throttle.sleep(ctx, res.delay)
	}

	sys := tenant.System(ctx)
	var u *ent.User
	sc, err := s.client.School.Query().Where(school.Slug(schoolSlug)).Only(sys)
	if err == nil {
		u, err = s.client.User.Query().Where(user.SchoolID(sc.ID), user.Username(username)).Only(sys)
	}
	if err != nil && !ent.IsNotFound(err) {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	hash := dummyHash
	if u != nil && u.PasswordHash != "" && u.Role != user.RoleNONE {
		hash = u.PasswordHash
	}
	ok, _ := CheckPassword(hash, password)
	if !ok || u == nil || u.Role == user.RoleNONE || u.PasswordHash == "" {
		// The attempt was counted as a failure when it was reserved.
		return nil, errBadCredentials()
	}
	if !sc.PasswordSignIn {
		// Checked after the password, so that only someone who knows it learns that the
		// school signs in through its own accounts instead.
		return nil, usererr.Unauthenticatedf("this school signs in with its own accounts: use a \"Sign in with\" button")
	}
	s.throttle.succeed(ctx, res)
	// A new token on sign-in defeats session fixation.
	if err := s.Manager.RenewToken(ctx); err != nil {
		return nil, fmt.Errorf("sign in: renew session: %w", err)
	}
	s.Manager.Put(ctx, sessionUserKey, u.ID)
	return u, nil
}

// SignOut ends the session.
func (s *Sessions) SignOut(ctx context.Context) error {
	if err := s.Manager.Destroy(ctx); err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	return nil
}

// Viewer returns the viewer of the session in ctx (loaded by the manager's middleware),
// or nil when nobody is signed in or the user can no longer sign in.
func (s *Sessions) Viewer(ctx context.Context) (*Viewer, error) {
	id := s.Manager.GetInt(ctx, sessionUserKey)
	if id == 0 {
		return nil, nil
	}
	u, err := s.client.User.Query().Where(user.ID(id)).
		Modify(func(s *sql.Selector) { joinDataVersion(s, user.FieldSchoolID) }).Only(tenant.System(ctx))
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("session user %d: %w", id, err)
	}
	if u.Role == user.RoleNONE {
		return nil, nil
	}
	v := &Viewer{SchoolID: u.SchoolID, UserID: u.ID, Name: u.Username, Role: u.Role, Scopes: RoleScopes(u.Role)}
	v.DataVersion, v.DataVersionKnown = dataVersion(u.Value)
	return v, nil
}

// RoleScopes are the scopes a dashboard role grants: both roles read the report and
// request exports; admin rights are checked with Viewer.IsAdmin.
func RoleScopes(r user.Role) []string {
	switch r {
	case user.RoleADMIN, user.RoleVIEWER:
		return []string{ScopeReportsRead}
	}
	return nil
}

// SetPassword sets a dashboard user's password. ctx must be scoped to their school.
func SetPassword(ctx context.Context, client *ent.Client, userID int, password string) error {
	h, err := HashPassword(password)
	if err != nil {
		return err
	}
	if err := client.User.UpdateOneID(userID).SetPasswordHash(h).Exec(ctx); err != nil {
		return fmt.Errorf("set password of user %d: %w", userID, err)
	}
	return nil
}

// SignInWith signs a user in on an identity another party vouched for (a single sign-on
// provider): the attempt is throttled and counted under key like a password attempt,
// find decides who the user is (or refuses), and the session is started exactly as
// SignIn starts it.
func (s *Sessions) SignInWith(ctx context.Context, schoolSlug, key, addr string, find func(context.Context) (*ent.User, error)) (*ent.User, error) {
	schoolSlug = strings.TrimSpace(strings.ToLower(schoolSlug))
	res, until, err := s.throttle.reserve(ctx, throttleKeys(schoolSlug, key, addr))
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, &usererr.Error{Code: usererr.TooManyRequests,
			Message: fmt.Sprintf("too many failed sign-ins; try again after %s", until.UTC().Format(time.RFC3339))}
	}
	if res.delay > 0 {
		s.throttle.sleep(ctx, res.delay)
	}
	u, err := find(ctx)
	if err != nil {
		return nil, err
	}
	if u == nil || u.Role == user.RoleNONE {
		return nil, errBadCredentials()
	}
	s.throttle.succeed(ctx, res)
	if err := s.Manager.RenewToken(ctx); err != nil {
		return nil, fmt.Errorf("sign in: renew session: %w", err)
	}
	s.Manager.Put(ctx, sessionUserKey, u.ID)
	return u, nil
}
