package auth

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/apitoken"
	"github.com/provreport/provreport/ent/session"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/tenant"
)

// Credential is what a long-lived connection (a websocket or an event stream) was
// authenticated with, kept so that its current state can be read again while the
// connection lasts: an API token, or a dashboard session and its user.
type Credential struct {
	// TokenID is the API token, or 0 for a session.
	TokenID int
	// UserID is the signed-in user of a session, or 0 for a token.
	UserID int
	// sessionHash is the stored form of the session's token.
	sessionHash string
}

// TokenCredential is the credential of the API token with the given ID.
func TokenCredential(id int) Credential { return Credential{TokenID: id} }

// Credential returns the credential of the session loaded in ctx, when a user is
// signed in with it.
func (s *Sessions) Credential(ctx context.Context) (Credential, bool) {
	id := s.Manager.GetInt(ctx, sessionUserKey)
	token := s.Manager.Token(ctx)
	if id == 0 || token == "" {
		return Credential{}, false
	}
	return Credential{UserID: id, sessionHash: hashSessionToken(token)}, true
}

// Key names the credential for per-credential limits: the token, or the user (all of a
// user's sessions together, so signing in again does not raise the limit).
func (c Credential) Key() string {
	if c.TokenID != 0 {
		return "token:" + strconv.Itoa(c.TokenID)
	}
	return "user:" + strconv.Itoa(c.UserID)
}

// currentChunk bounds the IDs of one IN list, well under both databases' limits on
// bound parameters.
const currentChunk = 500

// Current reads the present state of each credential and returns the viewer it stands
// for now, in the same order; an entry is nil when the credential has ended: the session
// was signed out or expired (idle or lifetime), its user was removed or may no longer
// sign in (role NONE), or the token was revoked or has expired. A role change shows in
// the viewer returned. It runs at most three queries per 500 credentials, whatever the
// number of connections holding them.
func Current(ctx context.Context, client *ent.Client, creds []Credential) ([]*Viewer, error) {
	sys := tenant.System(ctx)
	now := time.Now().UTC()
	var tokenIDs, userIDs []int
	var hashes []string
	for _, c := range creds {
		if c.TokenID != 0 {
			tokenIDs = append(tokenIDs, c.TokenID)
		} else if c.UserID != 0 {
			userIDs = append(userIDs, c.UserID)
			hashes = append(hashes, c.sessionHash)
		}
	}
	tokens := map[int]*ent.APIToken{}
	for ids := range chunks(tokenIDs) {
		rows, err := client.APIToken.Query().
			Where(apitoken.IDIn(ids...), apitoken.RevokedAtIsNil(),
				apitoken.Or(apitoken.ExpiresAtIsNil(), apitoken.ExpiresAtGT(now))).
			All(sys)
		if err != nil {
			return nil, fmt.Errorf("read tokens of live connections: %w", err)
		}
		for _, t := range rows {
			tokens[t.ID] = t
		}
	}
	users := map[int]*ent.User{}
	for ids := range chunks(userIDs) {
		rows, err := client.User.Query().Where(user.IDIn(ids...), user.RoleNEQ(user.RoleNONE)).All(sys)
		if err != nil {
			return nil, fmt.Errorf("read users of live connections: %w", err)
		}
		for _, u := range rows {
			users[u.ID] = u
		}
	}
	sessions := map[string]bool{}
	for hs := range chunks(hashes) {
		rows, err := client.Session.Query().Where(session.TokenHashIn(hs...), session.ExpiryGT(now)).
			Select(session.FieldTokenHash).Strings(sys)
		if err != nil {
			return nil, fmt.Errorf("read sessions of live connections: %w", err)
		}
		for _, h := range rows {
			sessions[h] = true
		}
	}
	out := make([]*Viewer, len(creds))
	for i, c := range creds {
		switch {
		case c.TokenID != 0:
			if t := tokens[c.TokenID]; t != nil {
				out[i] = &Viewer{SchoolID: t.SchoolID, TokenID: t.ID, Name: t.Name, Scopes: t.Scopes}
			}
		case c.UserID != 0 && sessions[c.sessionHash]:
			if u := users[c.UserID]; u != nil {
				out[i] = &Viewer{SchoolID: u.SchoolID, UserID: u.ID, Name: u.Username, Role: u.Role, Scopes: RoleScopes(u.Role)}
			}
		}
	}
	return out, nil
}

// chunks yields s in slices of at most currentChunk elements, deduplicated.
func chunks[T comparable](s []T) func(yield func([]T) bool) {
	return func(yield func([]T) bool) {
		seen := make(map[T]bool, len(s))
		var batch []T
		for _, v := range s {
			if seen[v] {
				continue
			}
			seen[v] = true
			batch = append(batch, v)
			if len(batch) == currentChunk {
				if !yield(batch) {
					return
				}
				batch = nil
			}
		}
		if len(batch) > 0 {
			yield(batch)
		}
	}
}

// Live is the caller of a long-lived connection. Its viewer is replaced whenever the
// credential is read again (a role change shows in the next operation and the next
// event) and cleared when the credential ends, so every resolver running on the
// connection sees the caller as they are now, not as they were when it opened.
type Live struct {
	// Credential is what the connection was authenticated with.
	Credential Credential
	viewer     atomic.Pointer[Viewer]
	ended      chan struct{}
	once       sync.Once
}

// NewLive returns the live caller of a connection opened with cred by v.
func NewLive(cred Credential, v *Viewer) *Live {
	l := &Live{Credential: cred, ended: make(chan struct{})}
	l.viewer.Store(v)
	return l
}

// Viewer returns the caller as last read, or nil once the credential has ended.
func (l *Live) Viewer() *Viewer { return l.viewer.Load() }

// Update replaces the caller with the credential's current state.
func (l *Live) Update(v *Viewer) {
	select {
	case <-l.ended:
	default:
		l.viewer.Store(v)
	}
}

// End marks the credential as ended: the caller is anonymous from now on, and Ended's
// channel closes.
func (l *Live) End() {
	l.once.Do(func() {
		l.viewer.Store(nil)
		close(l.ended)
	})
}

// Ended returns a channel closed when the credential ends.
func (l *Live) Ended() <-chan struct{} { return l.ended }

// WithLive returns a context whose viewer is l's current one, scoped to the school the
// connection was opened for (a credential never changes school).
func WithLive(ctx context.Context, l *Live) context.Context {
	school := 0
	if v := l.Viewer(); v != nil {
		school = v.SchoolID
	}
	return tenant.WithSchool(context.WithValue(ctx, viewerKey{}, l), school)
}

// LiveFrom returns the live caller of a long-lived connection's context.
func LiveFrom(ctx context.Context) (*Live, bool) {
	l, ok := ctx.Value(viewerKey{}).(*Live)
	return l, ok
}

// Ended returns a channel closed when the credential of ctx's long-lived connection
// ends; nil (never ready) for an ordinary request.
func Ended(ctx context.Context) <-chan struct{} {
	if l, ok := LiveFrom(ctx); ok {
		return l.Ended()
	}
	return nil
}

// PresentedSession reports whether the request of ctx presented a session cookie, live
// or not (Sessions.LoadAndSave records it).
func PresentedSession(ctx context.Context) bool {
	t, _ := ctx.Value(presentedKey{}).(string)
	return t != ""
}
