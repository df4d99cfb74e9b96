package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	entschema "entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
)

// APIToken lets a provisioning agent or a third-party tool call the API for one school.
// Only a SHA-256 hash of the secret is stored.
type APIToken struct {
	ent.Schema
}

// Fields of the APIToken.
func (APIToken) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(255).Comment("Who or what uses the token, as its creator named it."),
		field.String("token_hash").Unique().Immutable().Sensitive().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Strings("scopes").Comment("What the token may do: reports:read, events:write."),
		field.Time("last_used_at").Optional().Nillable().Comment("When the token was last used, within a minute; null if never."),
		field.Time("expires_at").Optional().Nillable().Comment("When the token stops working; null for never."),
		field.Time("revoked_at").Optional().Nillable().Comment("When the token was revoked; null while it is not."),
		field.Int("created_by_id").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the APIToken.
func (APIToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("created_by", User.Type).Field("created_by_id").Unique().
			Comment("The administrator who created it; null when created from the command line."),
	}
}

// Mixin of the APIToken.
func (APIToken) Mixin() []ent.Mixin {
	return []ent.Mixin{TenantMixin{}, mixin.CreateTime{}}
}

// Annotations of the APIToken.
func (APIToken) Annotations() []entschema.Annotation {
	return []entschema.Annotation{entgql.Type("APIToken")}
}
