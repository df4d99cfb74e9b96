package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	entschema "entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"
)

// SSOProvider is an OpenID Connect provider (Google Workspace, Microsoft Entra ID or any
// other) whose accounts may sign in to a school's dashboard. GraphQL shows it through
// hand-written types, so that the client secret can never be selected.
type SSOProvider struct {
	ent.Schema
}

// Fields of the SSOProvider.
func (SSOProvider) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(100).Comment("The label of the sign-in button, e.g. \"Google\"."),
		field.String("issuer").NotEmpty().MaxLen(2048).Comment("The provider's issuer URL, where its discovery document lives."),
		field.String("client_id").NotEmpty().MaxLen(512).Comment("The client ID the provider gave this application."),
		// The client secret sealed with PROVREPORT_SECRET_KEY (package secretkey); empty
		// for a provider that needs none.
		field.String("client_secret_sealed").Default("").Sensitive().Comment("The client secret, encrypted."),
		field.Strings("allowed_domains").Optional().Comment("The email domains that may sign in; empty allows every domain."),
		field.String("admin_group").Default("").MaxLen(512).Comment("The groups-claim value that makes a user an ADMIN."),
		field.String("viewer_group").Default("").MaxLen(512).Comment("The groups-claim value that makes a user a VIEWER."),
		field.Enum("default_role").Values("VIEWER", "NONE").Default("NONE").
			Comment("The role of a user in neither group."),
	}
}

// Mixin of the SSOProvider.
func (SSOProvider) Mixin() []ent.Mixin {
	return []ent.Mixin{TenantMixin{}, mixin.CreateTime{}}
}

// Indexes of the SSOProvider.
func (SSOProvider) Indexes() []ent.Index {
	return []ent.Index{index.Fields("school_id", "name").Unique()}
}

// Annotations of the SSOProvider.
func (SSOProvider) Annotations() []entschema.Annotation {
	return []entschema.Annotation{entgql.Skip(entgql.SkipAll)}
}
