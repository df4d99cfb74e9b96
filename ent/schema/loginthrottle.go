package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	entschema "entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// LoginThrottle counts recent failed sign-ins for one key (a school and username, a
// username from one address, or an address), so that guessing is slowed and then locked
// out for a while, on every replica alike.
type LoginThrottle struct {
	ent.Schema
}

// Fields of the LoginThrottle.
func (LoginThrottle) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").Unique().NotEmpty(),
		field.Int("failures").Default(0),
		field.Time("window_start"),
		field.Time("locked_until").Optional().Nillable(),
	}
}

// Annotations of the LoginThrottle.
func (LoginThrottle) Annotations() []entschema.Annotation {
	return []entschema.Annotation{entgql.Skip(entgql.SkipAll)}
}
