package sso

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/ssoprovider"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/tenant"
)

// roleFromGroups returns the role the provider's groups give, and whether groups decide
// the role at all (a provider with neither group set leaves an existing user's role to
// the school's admins).
func roleFromGroups(p *ent.SSOProvider, groups []string) (user.Role, bool) {
	switch {
	case p.AdminGroup != "" && slices.Contains(groups, p.AdminGroup):
		return user.RoleADMIN, true
	case p.ViewerGroup != "" && slices.Contains(groups, p.ViewerGroup):
		return user.RoleVIEWER, true
	}
	def := user.RoleNONE
	if p.DefaultRole == ssoprovider.DefaultRoleVIEWER {
		def = user.RoleVIEWER
	}
	return def, p.AdminGroup != "" || p.ViewerGroup != ""
}

func emailDomain(email string) string {
	if i := strings.LastIndexByte(email, '@'); i >= 0 {
		return email[i+1:]
	}
	return ""
}

// match finds the school's user for a verified identity, creating one when the groups
// or the default role grant a dashboard role, and applies the role the groups give.
func (s *Service) match(ctx context.Context, p *ent.SSOProvider, id *identity) (*ent.User, error) {
	if id.EmailVerified != nil && !*id.EmailVerified {
		return nil, refuse(RefusedUnverified, "email_verified is false for subject %q", id.Subject)
	}
	domainAllowed := len(p.AllowedDomains) > 0 && slices.Contains(p.AllowedDomains, emailDomain(id.Email))
	if len(p.AllowedDomains) > 0 && !domainAllowed {
		return nil, refuse(RefusedDomain, "email domain %q is not among %v", emailDomain(id.Email), p.AllowedDomains)
	}
	// An email is trusted for finding an account when the provider says it is verified,
	// or, from a provider that does not say (Microsoft Entra ID), when its domain is one
	// the school allowed for that provider.
	emailTrusted := id.Email != "" && ((id.EmailVerified != nil && *id.EmailVerified) || (id.EmailVerified == nil && domainAllowed))
	role, groupsDecide := roleFromGroups(p, id.Groups)

	sctx := tenant.WithSchool(ctx, p.SchoolID)
	u, err := s.Client.User.Query().Where(user.SSOIssuer(id.Issuer), user.SSOSubject(id.Subject)).Only(sctx)
	if ent.IsNotFound(err) && emailTrusted {
		var found []*ent.User
		found, err = s.Client.User.Query().Where(user.EmailEqualFold(id.Email)).Limit(2).All(sctx)
		switch {
		case err != nil:
		case len(found) == 1:
			u = found[0]
			if u.SSOSubject != nil && *u.SSOSubject != "" {
				// The account is already linked to another identity: this one may not take it over.
				return nil, refuse(RefusedNoAccess, "the account with this email is linked to another identity")
			}
		case len(found) > 1:
			return nil, refuse(RefusedNoAccess, "%d accounts share the email", len(found))
		default:
			err = &ent.NotFoundError{}
		}
	}
	if err != nil && !ent.IsNotFound(err) {
		return nil, fmt.Errorf("find user: %w", err)
	}
	if u == nil {
		if role == user.RoleNONE {
			return nil, refuse(RefusedNoAccess, "no account, and neither a group nor the default role grants one")
		}
		username := id.Email
		if !emailTrusted {
			username = id.PreferredUsername
		}
		if username == "" {
			username = id.Subject
		}
		name := id.Name
		if name == "" {
			name = username
		}
		email := ""
		if emailTrusted {
			email = id.Email
		}
		u, err = s.Client.User.Create().SetUsername(username).SetDisplayName(name).SetEmail(email).SetRole(role).
			SetSSOIssuer(id.Issuer).SetSSOSubject(id.Subject).Save(sctx)
		if ent.IsConstraintError(err) {
			return nil, refuse(RefusedNoAccess, "username %q is taken by another account", username)
		}
		if err != nil {
			return nil, fmt.Errorf("create user: %w", err)
		}
		return u, nil
	}
	upd := s.Client.User.UpdateOne(u).SetSSOIssuer(id.Issuer).SetSSOSubject(id.Subject)
	if groupsDecide {
		upd.SetRole(role)
	}
	if u, err = upd.Save(sctx); err != nil {
		return nil, fmt.Errorf("update user: %w", err)
	}
	if u.Role == user.RoleNONE {
		return nil, refuse(RefusedNoAccess, "the account has no dashboard role")
	}
	return u, nil
}
