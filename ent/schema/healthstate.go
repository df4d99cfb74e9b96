package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	entschema "entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// HealthState is the last health status the server noticed for one sync profile. Every
// replica recomputes statuses, but a change counts only for the replica whose
// conditional update moves the row from the status it read to the new one, so each
// change is announced and emailed once.
type HealthState struct {
	ent.Schema
}

// Fields of the HealthState.
func (HealthState) Fields() []ent.Field {
	return []ent.Field{
		field.Int("sync_profile_id").Unique().Immutable().Comment("The profile this is the status of."),
		field.String("status").Comment("The status last noticed (a SyncHealthStatus value)."),
		field.String("previous_status").Optional().Nillable().Comment("The status before it; null when the profile was first judged."),
		field.Time("changed_at").Comment("When the status last changed."),
		// Kept until the profile is HEALTHY again, so that a profile that fails, then
		// warns, then recovers still gets its recovery email.
		field.String("alerted_status").Optional().Nillable().
			Comment("The FAILING or QUIET status last alerted by email and not yet recovered from; null when none."),
	}
}

// Mixin of the HealthState.
func (HealthState) Mixin() []ent.Mixin {
	return []ent.Mixin{TenantMixin{}}
}

// Edges of the HealthState.
func (HealthState) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("sync_profile", SyncProfile.Type).Field("sync_profile_id").Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the HealthState.
func (HealthState) Indexes() []ent.Index {
	// The conditional insert of a profile's first status relies on this conflict.
	return []ent.Index{index.Fields("sync_profile_id").Unique()}
}

// Annotations of the HealthState.
func (HealthState) Annotations() []entschema.Annotation {
	return []entschema.Annotation{entgql.Skip(entgql.SkipAll)}
}
