package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	entschema "entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"
)

// User is a person of a school: a directory account that provisioning creates and that
// logs in to services (role NONE), or a dashboard user (ADMIN, VIEWER).
type User struct {
	ent.Schema
}

// Fields of the User.
func (User) Fields() []ent.Field {
	return []ent.Field{
		field.String("username").NotEmpty().MaxLen(255),
		field.String("display_name").Default("").MaxLen(255),
		field.String("email").Default("").MaxLen(320),
		field.Enum("role").Values("ADMIN", "VIEWER", "NONE").Default("NONE").
			Annotations(entgql.Type("Role")),
		field.String("password_hash").Optional().Sensitive().Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Mixin of the User.
func (User) Mixin() []ent.Mixin {
	return []ent.Mixin{TenantMixin{}, mixin.CreateTime{}}
}

// Indexes of the User.
func (User) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("school_id", "username").Unique(),
	}
}

// Annotations of the User.
func (User) Annotations() []entschema.Annotation {
	return []entschema.Annotation{entgql.RelayConnection()}
}
