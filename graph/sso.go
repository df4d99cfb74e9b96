package graph

import (
	"context"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/ssoprovider"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/graph/model"
	"github.com/provreport/provreport/internal/usererr"
)

// signInProvider shows a provider to its school's admins, without its client secret.
func signInProvider(p *ent.SSOProvider) *model.SignInProvider {
	role := user.RoleNONE
	if p.DefaultRole == ssoprovider.DefaultRoleVIEWER {
		role = user.RoleVIEWER
	}
	domains := p.AllowedDomains
	if domains == nil {
		domains = []string{}
	}
	return &model.SignInProvider{ID: p.ID, Name: p.Name, Issuer: p.Issuer, ClientID: p.ClientID,
		HasClientSecret: p.ClientSecretSealed != "", AllowedDomains: domains, AdminGroup: p.AdminGroup,
		ViewerGroup: p.ViewerGroup, DefaultRole: role}
}

// defaultRole maps the GraphQL Role onto a provider's default role, which cannot be ADMIN:
// admin rights come from a group only.
func defaultRole(r user.Role) (ssoprovider.DefaultRole, error) {
	switch r {
	case user.RoleVIEWER:
		return ssoprovider.DefaultRoleVIEWER, nil
	case user.RoleNONE:
		return ssoprovider.DefaultRoleNONE, nil
	}
	return "", usererr.BadInput("defaultRole", "must be VIEWER or NONE: ADMIN is given by the admin group only")
}

// signInOptions answers how the school with slug signs in.
func (r *Resolver) signInOptions(ctx context.Context, slug string) (*model.SignInOptions, error) {
	o, err := r.SSO.OptionsFor(ctx, slug)
	if err != nil {
		return nil, err
	}
	out := &model.SignInOptions{PasswordSignIn: o.PasswordSignIn, Providers: make([]*model.SignInOption, len(o.Providers))}
	for i, p := range o.Providers {
		out.Providers[i] = &model.SignInOption{ID: p.ID, Name: p.Name}
	}
	return out, nil
}
