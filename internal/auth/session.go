package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/session"
	"github.com/provreport/provreport/internal/tenant"
)

// SessionCookie is the dashboard's session cookie name.
const SessionCookie = "provreport_session"

// sessionUserKey is where the signed-in user's ID lives in the session.
const sessionUserKey = "user_id"

// SessionOptions configures dashboard sessions.
type SessionOptions struct {
	// Idle ends a session after this long without a request.
	Idle time.Duration
	// Lifetime ends a session this long after sign-in, however active.
	Lifetime time.Duration
	// Secure marks the cookie Secure; set it when served over HTTPS.
	Secure bool
	// LockFor is how long repeated sign-in failures lock a username or address out;
	// zero means 15 minutes.
	LockFor time.Duration
	// MaxDelay caps how long a sign-in after repeated failures is held; zero means 5s.
	MaxDelay time.Duration
}

// NewSessionManager returns an scs session manager that stores sessions in the
// database (so every replica shares them) in an HttpOnly, SameSite=Lax cookie.
func NewSessionManager(client *ent.Client, o SessionOptions) *scs.SessionManager {
	if o.Idle == 0 {
		o.Idle = 2 * time.Hour
	}
	if o.Lifetime == 0 {
		o.Lifetime = 12 * time.Hour
	}
	m := scs.New()
	m.Store = &entStore{client: client}
	m.IdleTimeout = o.Idle
	m.Lifetime = o.Lifetime
	m.Cookie.Name = SessionCookie
	m.Cookie.HttpOnly = true
	m.Cookie.SameSite = http.SameSiteLaxMode
	m.Cookie.Secure = o.Secure
	m.Cookie.Path = "/"
	return m
}

// entStore is an scs.CtxStore over the sessions table. Tokens are hashed before they
// are stored, so a copy of the database does not hold usable sessions.
type entStore struct {
	client *ent.Client
}

func hashSessionToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// FindCtx returns the session data for token, if it exists and has not expired.
func (s *entStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	row, err := s.client.Session.Query().
		Where(session.TokenHash(hashSessionToken(token)), session.ExpiryGT(time.Now().UTC())).
		Only(tenant.System(ctx))
	if ent.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("find session: %w", err)
	}
	return row.Data, true, nil
}

// presentedKey carries the session token the request's cookie presented.
type presentedKey struct{}

// LoadAndSave wraps the scs middleware, remembering which token the browser presented.
// With an idle timeout scs re-commits every loaded session at the end of each request, so
// a request that was in flight while another one signed out would otherwise write the
// destroyed session back and silently sign the browser in again.
func (s *Sessions) LoadAndSave(next http.Handler) http.Handler {
	h := s.Manager.LoadAndSave(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			r = r.WithContext(context.WithValue(r.Context(), presentedKey{}, c.Value))
		}
		h.ServeHTTP(w, r)
	})
}

// CommitCtx stores the session data for token. A token minted in this request (a new
// session, or the one sign-in renews to) is inserted; the token the browser presented is
// only updated where it still exists, so a session signed out meanwhile stays ended.
func (s *entStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if presented, _ := ctx.Value(presentedKey{}).(string); presented != "" && presented == token {
		_, err := s.client.Session.Update().
			Where(session.TokenHash(hashSessionToken(token))).
			SetData(b).SetExpiry(expiry.UTC()).
			Save(tenant.System(ctx))
		if err != nil {
			return fmt.Errorf("commit session: %w", err)
		}
		return nil
	}
	err := s.client.Session.Create().
		SetTokenHash(hashSessionToken(token)).SetData(b).SetExpiry(expiry.UTC()).
		OnConflictColumns(session.FieldTokenHash).UpdateData().UpdateExpiry().
		Exec(tenant.System(ctx))
	if err != nil {
		return fmt.Errorf("commit session: %w", err)
	}
	return nil
}

// DeleteCtx removes the session for token.
func (s *entStore) DeleteCtx(ctx context.Context, token string) error {
	_, err := s.client.Session.Delete().Where(session.TokenHash(hashSessionToken(token))).Exec(tenant.System(ctx))
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// Find implements scs.Store for callers without a context.
func (s *entStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit implements scs.Store.
func (s *entStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Delete implements scs.Store.
func (s *entStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// DeleteExpiredSessions removes sessions past their expiry; a scheduled job calls it.
func DeleteExpiredSessions(ctx context.Context, client *ent.Client) (int, error) {
	n, err := client.Session.Delete().Where(session.ExpiryLT(time.Now().UTC())).Exec(tenant.System(ctx))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return n, nil
}
