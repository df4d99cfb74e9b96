package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	entschema "entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/provreport/provreport/internal/eventtype"
)

// Change is what one run did to one account: added, updated, deleted, disabled it, or
// failed to, with the attributes it changed. An agent may send every change of a run
// or a sample of them; the event's counts stay the totals.
type Change struct {
	ent.Schema
}

// Fields of the Change.
func (Change) Fields() []ent.Field {
	return []ent.Field{
		field.Int("event_id").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("user_id").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("action").Values(eventtype.Actions()...).Immutable().
			Comment("What the run did to the account."),
		// The run's finish time, copied from the event so that a user's timeline is read
		// in order from one index without a join per change.
		field.Time("at").Immutable().
			Comment("When the run that made the change finished (the event's finishedAt)."),
		field.String("display_name").Optional().Nillable().MaxLen(255).Immutable().
			Annotations(entgql.Type("String")).
			Comment("The account's display name as the run reported it; null when it gave none."),
		field.String("email").Optional().Nillable().MaxLen(320).Immutable().
			Annotations(entgql.Type("String")).
			Comment("The account's email address as the run reported it; null when it gave none."),
		// Attributes live in the change's own row: a page of changes is then one index
		// range read with no second table to join, which keeps the run page's first page
		// fast at millions of changes.
		field.JSON("attributes", []eventtype.AttributeChange{}).Default([]eventtype.AttributeChange{}).Immutable().
			Annotations(entgql.Type("[AttributeChange!]")).
			Comment("The attributes the run changed, old and new values, in the order reported; empty when none were reported."),
		field.Text("message").Optional().Nillable().Immutable().
			Annotations(entgql.Type("String")).
			Comment("What the run said about the change, such as why it failed; null when nothing."),
	}
}

// Edges of the Change.
func (Change) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("event", Event.Type).Ref("changes").Field("event_id").Unique().Required().Immutable().
			Comment("The run that made the change."),
		edge.To("user", User.Type).Field("user_id").Unique().Required().Immutable().
			Comment("The account the run changed."),
	}
}

// Mixin of the Change.
func (Change) Mixin() []ent.Mixin {
	return []ent.Mixin{TenantMixin{}}
}

// Indexes of the Change. A run page reads one event's changes in input order, all of
// them or those of one action; a person page reads one user's changes newest first.
// The school leads neither key: the event and the user each belong to one school
// already, and the tenant predicate is then checked on the rows the range yields.
func (Change) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("event_id", "id"),
		index.Fields("event_id", "action", "id"),
		index.Fields("user_id", "at", "id"),
	}
}

// Annotations of the Change.
func (Change) Annotations() []entschema.Annotation {
	return []entschema.Annotation{
		entgql.RelayConnection(),
	}
}
