package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/apitoken"
	"github.com/provreport/provreport/ent/school"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/usererr"
)

// tokenPrefix marks provreport secrets so that secret scanners and people recognise them.
const tokenPrefix = "prt_"

// lastUsedGranularity bounds how often a token's lastUsedAt is written: a busy agent
// must not turn every read into a write.
const lastUsedGranularity = time.Minute

// HashToken returns the stored form of a token secret.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("token secret: %w", err)
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// ValidateScopes checks that every scope is known and that there is at least one.
func ValidateScopes(scopes []string) error {
	if len(scopes) == 0 {
		return usererr.BadInput("scopes", "give at least one of %s", strings.Join(Scopes(), ", "))
	}
	for _, s := range scopes {
		if !slices.Contains(Scopes(), s) {
			return usererr.BadInput("scopes", "unknown scope %q; known: %s", s, strings.Join(Scopes(), ", "))
		}
	}
	return nil
}

// CreateToken makes an API token for the school ctx is scoped to and returns its secret,
// which is shown once and never stored.
func CreateToken(ctx context.Context, client *ent.Client, name string, scopes []string, expiresAt *time.Time, createdBy *int) (*ent.APIToken, string, error) {
	if strings.TrimSpace(name) == "" {
		return nil, "", usererr.BadInput("name", "a token needs a name")
	}
	if err := ValidateScopes(scopes); err != nil {
		return nil, "", err
	}
	if expiresAt != nil && !expiresAt.After(time.Now()) {
		return nil, "", usererr.BadInput("expiresAt", "is in the past")
	}
	secret, err := newSecret()
	if err != nil {
		return nil, "", err
	}
	tok, err := client.APIToken.Create().
		SetName(strings.TrimSpace(name)).
		SetTokenHash(HashToken(secret)).
		SetScopes(slices.Compact(slices.Sorted(slices.Values(scopes)))).
		SetNillableExpiresAt(expiresAt).
		SetNillableCreatedByID(createdBy).
		Save(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("create token %q: %w", name, err)
	}
	return tok, secret, nil
}

// Authenticate returns the viewer for a token secret: UNAUTHENTICATED when it is
// unknown, revoked or expired. It records when the token was last used.
func Authenticate(ctx context.Context, client *ent.Client, secret string) (*Viewer, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return nil, usererr.Unauthenticatedf("invalid API token")
	}
	sys := tenant.System(ctx)
	tok, err := client.APIToken.Query().Where(apitoken.TokenHash(HashToken(secret))).
		Modify(func(s *sql.Selector) { joinDataVersion(s, apitoken.FieldSchoolID) }).Only(sys)
	if ent.IsNotFound(err) {
		return nil, usererr.Unauthenticatedf("invalid API token")
	}
	if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	now := time.Now()
	if tok.RevokedAt != nil {
		return nil, usererr.Unauthenticatedf("this API token was revoked")
	}
	if tok.ExpiresAt != nil && !tok.ExpiresAt.After(now) {
		return nil, usererr.Unauthenticatedf("this API token has expired")
	}
	if tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) > lastUsedGranularity {
		// Best effort: a failed bookkeeping write must not fail the request.
		_ = client.APIToken.UpdateOneID(tok.ID).SetLastUsedAt(now.UTC()).Exec(sys)
	}
	v := &Viewer{SchoolID: tok.SchoolID, TokenID: tok.ID, Name: tok.Name, Scopes: tok.Scopes}
	v.DataVersion, v.DataVersionKnown = dataVersion(tok.Value)
	return v, nil
}

// RevokeToken revokes a token of the school ctx is scoped to; another school's token
// reads as not found. Revoking twice keeps the first time.
func RevokeToken(ctx context.Context, client *ent.Client, id int) (*ent.APIToken, error) {
	tok, err := client.APIToken.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, usererr.NotFoundf("no API token with ID %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("revoke token %d: %w", id, err)
	}
	if tok.RevokedAt != nil {
		return tok, nil
	}
	tok, err = client.APIToken.UpdateOne(tok).SetRevokedAt(time.Now().UTC()).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("revoke token %d: %w", id, err)
	}
	return tok, nil
}

// dataVersionColumn is the alias joinDataVersion selects the school's data version as.
const dataVersionColumn = "school_data_version"

// joinDataVersion adds the school's data version to a query of a school-owned table.
func joinDataVersion(s *sql.Selector, schoolCol string) {
	t := sql.Table(school.Table)
	s.Join(t).On(s.C(schoolCol), t.C(school.FieldID))
	s.AppendSelect(sql.As(t.C(school.FieldDataVersion), dataVersionColumn))
}

// dataVersion reads the column joinDataVersion added, through an entity's Value.
func dataVersion(value func(string) (ent.Value, error)) (int64, bool) {
	v, err := value(dataVersionColumn)
	if err != nil {
		return 0, false
	}
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		return int64(n), true
	}
	return 0, false
}
