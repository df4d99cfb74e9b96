package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/ent/apitoken"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
	"github.com/provreport/provreport/internal/usererr"
)

// TestTokens covers an API token's life: created for one school with its scopes and
// only a hash stored; authenticating to a viewer of that school; refused once revoked or
// expired; and invisible to other schools.
func TestTokens(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		a := apitest.CreateSchool(t, db.Client, "a", "")
		b := apitest.CreateSchool(t, db.Client, "b", "")
		ctxA := tenant.WithSchool(context.Background(), a.ID)
		ctxB := tenant.WithSchool(context.Background(), b.ID)
		bg := context.Background()

		tok, secret, err := auth.CreateToken(ctxA, db.Client, " agent ", []string{auth.ScopeEventsWrite, auth.ScopeEventsWrite}, nil, nil)
		require.NoError(t, err)
		require.Equal(t, "agent", tok.Name)
		require.Equal(t, a.ID, tok.SchoolID)
		require.Equal(t, []string{auth.ScopeEventsWrite}, tok.Scopes)
		require.True(t, strings.HasPrefix(secret, "prt_"))
		// Only the hash is stored.
		stored, err := db.Client.APIToken.Query().Where(apitoken.ID(tok.ID)).Only(ctxA)
		require.NoError(t, err)
		require.Equal(t, auth.HashToken(secret), stored.TokenHash)
		require.NotContains(t, stored.TokenHash, strings.TrimPrefix(secret, "prt_"))

		v, err := auth.Authenticate(bg, db.Client, secret)
		require.NoError(t, err)
		require.Equal(t, a.ID, v.SchoolID)
		require.Equal(t, tok.ID, v.TokenID)
		require.Zero(t, v.UserID)
		require.True(t, v.Has(auth.ScopeEventsWrite))
		require.False(t, v.Has(auth.ScopeReportsRead))
		require.False(t, v.IsAdmin())
		// The school's report data version comes with the token, in the same statement.
		require.True(t, v.DataVersionKnown)
		// Two writes of the school's report data move the version twice.
		require.NoError(t, db.Client.SyncProfile.Create().SetName("one").SetKind("LDAP").Exec(ctxA))
		require.NoError(t, db.Client.SyncProfile.Create().SetName("two").SetKind("LDAP").Exec(ctxA))
		v2, err := auth.Authenticate(bg, db.Client, secret)
		require.NoError(t, err)
		require.Equal(t, v.DataVersion+2, v2.DataVersion)
		used, err := db.Client.APIToken.Get(ctxA, tok.ID)
		require.NoError(t, err)
		require.NotNil(t, used.LastUsedAt, "last use is recorded")

		// Require: the scope decides.
		ctx := auth.WithViewer(bg, v)
		_, err = auth.Require(ctx, auth.ScopeEventsWrite)
		require.NoError(t, err)
		_, err = auth.Require(ctx, auth.ScopeReportsRead)
		require.ErrorIs(t, err, usererr.ErrForbidden)
		_, err = auth.Require(bg, auth.ScopeReportsRead)
		require.ErrorIs(t, err, usererr.ErrUnauthenticated)
		id, ok := tenant.SchoolID(ctx)
		require.True(t, ok)
		require.Equal(t, a.ID, id, "a viewer's context is scoped to its school")

		// Another school cannot see or revoke the token.
		_, err = auth.RevokeToken(ctxB, db.Client, tok.ID)
		require.ErrorIs(t, err, usererr.ErrNotFound)
		_, err = auth.Authenticate(bg, db.Client, secret)
		require.NoError(t, err, "still valid after another school tried to revoke it")

		// Revoked.
		revoked, err := auth.RevokeToken(ctxA, db.Client, tok.ID)
		require.NoError(t, err)
		require.NotNil(t, revoked.RevokedAt)
		_, err = auth.Authenticate(bg, db.Client, secret)
		require.ErrorIs(t, err, usererr.ErrUnauthenticated)
		again, err := auth.RevokeToken(ctxA, db.Client, tok.ID)
		require.NoError(t, err)
		require.True(t, revoked.RevokedAt.Equal(*again.RevokedAt), "revoking twice keeps the first time")

		// Expired.
		soon := time.Now().Add(time.Hour)
		tok2, secret2, err := auth.CreateToken(ctxA, db.Client, "short", auth.Scopes(), &soon, nil)
		require.NoError(t, err)
		_, err = auth.Authenticate(bg, db.Client, secret2)
		require.NoError(t, err)
		require.NoError(t, db.Client.APIToken.UpdateOneID(tok2.ID).SetExpiresAt(time.Now().Add(-time.Millisecond)).Exec(ctxA))
		_, err = auth.Authenticate(bg, db.Client, secret2)
		require.ErrorIs(t, err, usererr.ErrUnauthenticated)

		// Unknown and malformed secrets.
		for _, s := range []string{"", "prt_", "prt_nope", secret + "x", strings.TrimPrefix(secret, "prt_")} {
			_, err := auth.Authenticate(bg, db.Client, s)
			require.ErrorIs(t, err, usererr.ErrUnauthenticated, "%q", s)
		}
	})
}

// TestCreateTokenInput checks the inputs CreateToken refuses.
func TestCreateTokenInput(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		a := apitest.CreateSchool(t, db.Client, "a", "")
		ctx := tenant.WithSchool(context.Background(), a.ID)
		past := time.Now().Add(-time.Minute)
		for _, tc := range []struct {
			name    string
			tokName string
			scopes  []string
			expires *time.Time
			field   string
		}{
			{"no name", "  ", auth.Scopes(), nil, "name"},
			{"no scopes", "x", nil, nil, "scopes"},
			{"unknown scope", "x", []string{"reports:write"}, nil, "scopes"},
			{"expired already", "x", auth.Scopes(), &past, "expiresAt"},
		} {
			_, _, err := auth.CreateToken(ctx, db.Client, tc.tokName, tc.scopes, tc.expires, nil)
			ue, ok := usererr.As(err)
			require.True(t, ok, "%s: %v", tc.name, err)
			require.Equal(t, tc.field, ue.Field, tc.name)
		}
		n, err := db.Client.APIToken.Query().Count(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		// Without a school in the context nothing is created.
		_, _, err = auth.CreateToken(context.Background(), db.Client, "x", auth.Scopes(), nil, nil)
		require.ErrorIs(t, err, tenant.ErrNoTenant)
	})
}
