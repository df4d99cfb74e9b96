// Package auth says who is calling: an API token's school and scopes, or a signed-in
// dashboard user's school and role. It puts a Viewer in the request context and scopes
// the context to the viewer's school, which the ent tenant rules then enforce.
package auth

import (
	"context"
	"slices"

	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/usererr"
)

// The scopes an API token can carry.
const (
	// ScopeReportsRead reads the report, summaries and exports, and requests exports.
	ScopeReportsRead = "reports:read"
	// ScopeEventsWrite records events (provisioning agents).
	ScopeEventsWrite = "events:write"
)

// Scopes lists every scope, for validation and the dashboard.
func Scopes() []string { return []string{ScopeReportsRead, ScopeEventsWrite} }

// Viewer is the authenticated caller.
type Viewer struct {
	// SchoolID is the school the caller belongs to; every query is scoped to it.
	SchoolID int
	// UserID is the signed-in user, or 0 for an API token.
	UserID int
	// Role is the signed-in user's role; empty for a token.
	Role user.Role
	// TokenID is the API token used, or 0 for a session.
	TokenID int
	// Name is who the caller is to a person reading logs: the API token's name, or the
	// signed-in user's username.
	Name string
	// Scopes are the token's scopes, or those the user's role grants.
	Scopes []string
	// DataVersion is the school's report data version read with the
	// credentials, in the same statement; valid when DataVersionKnown. It saves the report
	// cache a round trip per request.
	DataVersion      int64
	DataVersionKnown bool
}

// Has reports whether the viewer holds scope.
func (v *Viewer) Has(scope string) bool { return slices.Contains(v.Scopes, scope) }

// IsAdmin reports whether the viewer is a signed-in school admin.
func (v *Viewer) IsAdmin() bool { return v.UserID != 0 && v.Role == user.RoleADMIN }

type viewerKey struct{}

// WithViewer returns a context carrying v and scoped to v's school.
func WithViewer(ctx context.Context, v *Viewer) context.Context {
	return tenant.WithSchool(context.WithValue(ctx, viewerKey{}, v), v.SchoolID)
}

// FromContext returns the viewer of a request, if it is authenticated. On a long-lived
// connection (WithLive) it is the caller as the credential stands now, and nobody once
// the credential has ended.
func FromContext(ctx context.Context) (*Viewer, bool) {
	switch v := ctx.Value(viewerKey{}).(type) {
	case *Viewer:
		return v, v != nil
	case *Live:
		cur := v.Viewer()
		return cur, cur != nil
	}
	return nil, false
}

// Require returns the viewer if it holds scope: UNAUTHENTICATED when nobody is signed
// in, FORBIDDEN when the caller lacks the scope.
func Require(ctx context.Context, scope string) (*Viewer, error) {
	v, ok := FromContext(ctx)
	if !ok {
		return nil, usererr.Unauthenticatedf("sign in or send an API token (Authorization: Bearer …)")
	}
	if !v.Has(scope) {
		return nil, usererr.Forbiddenf("this needs the %s scope", scope)
	}
	return v, nil
}

// RequireAdmin returns the viewer if it is a signed-in admin of its school.
func RequireAdmin(ctx context.Context) (*Viewer, error) {
	v, ok := FromContext(ctx)
	if !ok {
		return nil, usererr.Unauthenticatedf("sign in as a school admin")
	}
	if !v.IsAdmin() {
		return nil, usererr.Forbiddenf("only a school admin may do this")
	}
	return v, nil
}
