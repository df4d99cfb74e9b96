package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"
)

// SyncProfile is a source of provisioning runs: an LDAP sync profile, the User or Group
// CSV upload, or the provisioning scripts.
type SyncProfile struct {
	ent.Schema
}

// Fields of the SyncProfile.
func (SyncProfile) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(255).Comment("The name agents report the profile's runs under, unique in the school."),
		field.Enum("kind").Values("LDAP", "USER_CSV", "GROUP_CSV", "SCRIPT").Comment("What kind of source it is."),
		// Set by an admin for a profile whose runs follow a schedule the median gap would
		// misjudge, and for CSV uploads, which otherwise are never expected at all;
		// GraphQL shows it as SyncHealth.expectedEvery.
		field.Int("expected_every").Optional().Nillable().Positive().Annotations(entgql.Skip(entgql.SkipAll)).
			Comment("The seconds an admin expects between the profile's runs; null when none was set"),
	}
}

// Mixin of the SyncProfile.
func (SyncProfile) Mixin() []ent.Mixin {
	return []ent.Mixin{TenantMixin{}, mixin.CreateTime{}}
}

// Indexes of the SyncProfile.
func (SyncProfile) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("school_id", "name").Unique(),
	}
}
