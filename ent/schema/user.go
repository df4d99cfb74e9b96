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
		field.String("username").NotEmpty().MaxLen(255).Comment("The directory username, unique in the school."),
		field.String("display_name").Default("").MaxLen(255).Comment("The person's name as the directory gives it; may be empty."),
		field.String("email").Default("").MaxLen(320).Comment("The email address; may be empty."),
		field.Enum("role").Values("ADMIN", "VIEWER", "NONE").Default("NONE").
			Annotations(entgql.Type("Role")).
			Comment("What the user may do on the dashboard."),
		field.String("password_hash").Optional().Sensitive().Annotations(entgql.Skip(entgql.SkipAll)),
		// The OpenID Connect identity the user signed in with: the provider's issuer and
		// its subject. A user is found by it before their email is tried.
		field.String("sso_issuer").Optional().Nillable().MaxLen(2048).Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("sso_subject").Optional().Nillable().MaxLen(255).Annotations(entgql.Skip(entgql.SkipAll)),
		// The alert choices are null until the user makes one, so that the default can
		// follow the role: admins get every alert, viewers none.
		alertField("alert_flagged_runs", "Whether the user is emailed about each flagged run; null means the role's default."),
		alertField("alert_failing", "Whether the user is emailed when a sync profile starts failing; null means the role's default."),
		alertField("alert_quiet", "Whether the user is emailed when a sync profile goes quiet; null means the role's default."),
		alertField("alert_digest", "Whether the user gets the daily digest; null means the role's default."),
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
		index.Fields("school_id", "sso_issuer", "sso_subject").Unique(),
	}
}

// Annotations of the User.
func (User) Annotations() []entschema.Annotation {
	return []entschema.Annotation{entgql.RelayConnection()}
}

func alertField(name, comment string) ent.Field {
	return field.Bool(name).Optional().Nillable().Annotations(entgql.Skip(entgql.SkipAll)).Comment(comment)
}
