package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	entschema "entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/provreport/provreport/internal/eventtype"
)

// Event is one provisioning run (an LDAP sync, a CSV upload, a provisioning script) or
// one login, as reported by a provisioning agent.
type Event struct {
	ent.Schema
}

// Fields of the Event.
func (Event) Fields() []ent.Field {
	counts := func(name, what string) ent.Field {
		return field.Int(name).NonNegative().Default(0).Comment(what)
	}
	return []ent.Field{
		field.Enum("type").Values(eventtype.Values()...).Comment("What happened."),
		field.Time("date_started").Comment("When the run or login started."),
		field.Time("date_finished").Annotations(entgql.OrderField("DATE_FINISHED")).
			Comment("When the run or login finished."),
		counts("processed", "Records the run processed; 0 for a login."),
		counts("added", "Records the run added."),
		counts("updated", "Records the run updated."),
		counts("deleted", "Records the run deleted."),
		counts("disabled", "Records the run disabled."),
		counts("errors", "Records that failed."),
		field.Text("details").Default("").Comment("Free text the agent reported, such as a sync log; empty when none."),
		field.JSON("problems", []eventtype.Problem{}).Default([]eventtype.Problem{}).
			Annotations(entgql.Type("[Problem!]")).
			Comment("The rows of a CSV upload that had problems; empty for other events."),
		field.String("service").Optional().Nillable().MaxLen(255).
			Comment("The service logged into, for AUTHORISATION events; null otherwise."),
		field.Int("user_id").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("sync_profile_id").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("external_id").Optional().Nillable().MaxLen(255).
			Annotations(entgql.Type("String")).
			Comment("The agent's idempotency key for the event, or null when it gave none."),
		field.Time("recorded_at").Default(time.Now).Immutable().
			Comment("When this server recorded the event."),
		// A bitmask of health.Flags, decided when the event is recorded against the runs
		// of its profile before it; GraphQL shows it as a list of RunFlag values.
		field.Int("flags").NonNegative().Default(0).Annotations(entgql.Skip(entgql.SkipAll)).
			Comment("What went wrong with the run, as a bitmask of health.Flags; 0 when nothing did"),
		field.Int("changes_recorded").NonNegative().Default(0).Annotations(entgql.Skip(entgql.SkipAll)).
			Comment("How many changes the agent sent with the event"),
		field.Int("change_rows").NonNegative().Default(0).Annotations(entgql.Skip(entgql.SkipAll)).
			Comment("How many rows the event's changes CSV has: one per attribute change, one for a change without attributes"),
	}
}

// Edges of the Event.
func (Event) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("user", User.Type).Field("user_id").Unique().
			Comment("The user the event is about, such as the account of a login; null when it is about no single user."),
		edge.To("sync_profile", SyncProfile.Type).Field("sync_profile_id").Unique().
			Comment("The sync profile, CSV upload or script that ran; null when none did, as for a login."),
		// The database deletes a run's changes with it, so that retention and any other
		// delete of events cannot leave changes behind without knowing of them.
		edge.To("changes", Change.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.Skip(entgql.SkipAll)),
	}
}

// Mixin of the Event.
func (Event) Mixin() []ent.Mixin {
	return []ent.Mixin{TenantMixin{}}
}

// activeEvents is the activity rule's SQL text (report.ActiveIndexPredicate), written
// out because the schema cannot import package report; TestActiveIndexMatchesRule
// fails when the two differ.
const activeEvents = "NOT (type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED')" +
	" AND processed > 0 AND added = 0 AND updated = 0 AND deleted = 0 AND disabled = 0 AND errors = 0 AND flags = 0)"

// Indexes of the Event. Every report query is for one school over a time range, so the
// school leads and the finish time follows; id breaks ties the same way cursors do.
//
// The default report hides idle events, which are most sync runs, so its first page,
// deep pages and total count are served by a partial index of the active events alone.
// Its WHERE clause is the activity rule's literal SQL text (report.NotIdle renders the
// same text into every default query): PostgreSQL then proves the query's predicate
// implies the index's, also in a cached generic plan, and never visits idle rows.
func (Event) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("school_id", "date_finished", "id"),
		index.Fields("school_id", "date_finished", "id").
			StorageKey("event_active_sums").
			Annotations(
				entsql.IndexWhere(activeEvents),
				// The summary's sums, so that a year's chart is an index-only scan on
				// PostgreSQL instead of a heap visit per event (SQLite has no INCLUDE).
				entsql.IncludeColumns("type", "processed", "added", "updated", "deleted", "disabled", "errors", "flags"),
			),
		// A type filter over a range with the default activity rule: the active events of
		// the school's types, in key order, so that the page's IDs come from this index
		// alone (report.IDsFirst reads them first) instead of a visit to every
		// candidate row to test its type.
		index.Fields("school_id", "type", "date_finished", "id").
			StorageKey("event_active_type").
			Annotations(entsql.IndexWhere(activeEvents)),
		index.Fields("school_id", "user_id", "date_finished"),
		// A sync profile's events: most LDAP runs are idle, so the default report skips
		// most entries. With the activity rule's columns carried along, the page's IDs
		// come from this index alone (report.IDsFirst reads them first) instead of a
		// visit to every idle run's row to find that it is idle.
		index.Fields("school_id", "sync_profile_id", "date_finished", "id").
			Annotations(entsql.IncludeColumns("type", "processed", "added", "updated", "deleted", "disabled", "errors", "flags")),
		index.Fields("school_id", "type", "date_finished"),
		index.Fields("school_id", "external_id").Unique(),
	}
}

// Annotations of the Event.
func (Event) Annotations() []entschema.Annotation {
	return []entschema.Annotation{entgql.RelayConnection()}
}
