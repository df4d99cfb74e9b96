package schema

import (
	"encoding/json"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	entschema "entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Export is one "Download Provisioning Report" request: a CSV of the events a filter
// matched when it was requested, built by a background job, announced by email and
// downloaded from the dashboard until it expires.
type Export struct {
	ent.Schema
}

// Fields of the Export.
func (Export) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("status").Values("QUEUED", "RUNNING", "READY", "FAILED", "EXPIRED").Default("QUEUED").
			Comment("Where the export is in its life."),
		field.JSON("filter", json.RawMessage{}).
			Comment("the report.Filter as requested").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Strings("columns").Optional().
			Comment("the optional CSV columns after details (USERNAME, SERVICE, PROBLEMS), in file order; empty for the eleven alone").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int64("max_event_id").
			Comment("the newest event ID when requested: later events are not exported").
			Annotations(entgql.Skip(entgql.SkipAll)),
		// A plain column rather than an edge: the export's file outlives the event when
		// retention deletes it, and its page still says which run it was of.
		field.Int("event_id").Optional().Nillable().Immutable().Annotations(entgql.Skip(entgql.SkipAll)).
			Comment("the run whose changes the file holds; null for a report export"),
		field.Int("requested_by_id").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("token_id").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("email").Default("").Comment("Where the link is emailed; empty when nobody can be told, as for an API token."),
		field.Time("requested_at").Default(time.Now).Immutable().Annotations(entgql.OrderField("REQUESTED_AT")).
			Comment("When the export was requested."),
		field.Time("started_at").Optional().Nillable().Comment("When a worker last started building the file; null while QUEUED."),
		field.Time("finished_at").Optional().Nillable().Comment("When the file was ready or building it failed; null until then."),
		field.Time("expires_at").Optional().Nillable().Comment("When the file stops being downloadable; null until it is READY."),
		field.Int("row_count").Optional().Nillable().Comment("Events in the file, once it is READY."),
		field.Int64("byte_size").Optional().Nillable().Comment("Size of the file in bytes, once it is READY."),
		field.Text("error").Optional().Nillable().Comment("Why building the file failed, while FAILED."),
		field.Int("attempts").Default(0).Comment("How many times a worker has started building the file."),
		field.String("blob_key").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("email_sent_at").Optional().Nillable().Comment("When the email with the link was sent; null until then."),
		field.Text("email_error").Optional().Nillable().Comment("Why the email could not be sent, if it could not."),
	}
}

// Edges of the Export.
func (Export) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("requested_by", User.Type).Field("requested_by_id").Unique().
			Comment("The dashboard user who asked for it; null when an API token did."),
	}
}

// Mixin of the Export.
func (Export) Mixin() []ent.Mixin {
	return []ent.Mixin{TenantMixin{}}
}

// Indexes of the Export.
func (Export) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("school_id", "requested_by_id", "requested_at"),
		index.Fields("status", "expires_at"),
	}
}

// Annotations of the Export.
func (Export) Annotations() []entschema.Annotation {
	return []entschema.Annotation{entgql.RelayConnection()}
}
