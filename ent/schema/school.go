package schema

import (
	"context"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	"github.com/provreport/provreport/ent/intercept"
	"github.com/provreport/provreport/internal/tenant"
)

// School is the tenant: every other row belongs to exactly one school.
type School struct {
	ent.Schema
}

// Fields of the School.
func (School) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().Comment("The school's name."),
		field.String("slug").NotEmpty().Unique().Immutable().Comment("The short name that identifies the school at sign-in."),
		field.String("locale").Default("en-AU").MaxLen(35).
			Comment("The BCP 47 language tag, e.g. \"en-AU\" or \"de-DE\", whose conventions numbers are written in (thousands separators) on the dashboard and in emails."),
		field.String("timezone").Default("UTC").Comment("The IANA time zone name, e.g. \"Australia/Sydney\": dates are shown, bucketed and exported in it."),
		field.Bool("password_sign_in").Default(true).Annotations(entgql.Skip(entgql.SkipAll)).
			Comment("Whether the school's users may sign in with a password; false leaves only single sign-on"),
		// Bumped by database triggers on every write of what the report shows, so a
		// cached report response is never served after the data under it changed.
		field.Int64("data_version").Default(0).Annotations(entgql.Skip()).
			Comment("bumped whenever the school's events, users or sync profiles change"),
		// The thresholds of the run flags (package health), in percent of a profile's
		// baseline; GraphQL reads and changes them as SyncHealthSettings.
		percent("health_delete_percent", 10,
			"A run deleting more than this percentage of its profile's baseline is flagged MASS_DELETE"),
		percent("health_disable_percent", 10,
			"A run disabling more than this percentage of its profile's baseline is flagged MASS_DISABLE"),
		percent("health_update_percent", 75,
			"A run updating more than this percentage of its profile's baseline is flagged MASS_UPDATE"),
		percent("health_processed_drop_percent", 50,
			"A run processing this percentage fewer records than its profile's baseline is flagged PROCESSED_DROP"),
		// A profile that runs every few minutes is not quiet after three missed runs: a
		// restart of its agent does that; the silence must also last this long.
		field.Int("health_quiet_after_minimum").Range(60, 30*24*3600).Default(3600).Annotations(entgql.Skip(entgql.SkipAll)).
			Comment("The shortest silence, in seconds, after which a sync profile counts as quiet"),
	}
}

// percent is a threshold in percent, hidden from entgql (SyncHealthSettings shows it).
func percent(name string, def int, comment string) ent.Field {
	return field.Int(name).Range(0, 100).Default(def).Annotations(entgql.Skip(entgql.SkipAll)).Comment(comment)
}

// Mixin of the School.
func (School) Mixin() []ent.Mixin {
	return []ent.Mixin{mixin.CreateTime{}}
}

// Interceptors lets a caller see its own school only.
func (School) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{
		intercept.TraverseFunc(func(ctx context.Context, q intercept.Query) error {
			if tenant.IsSystem(ctx) {
				return nil
			}
			id, ok := tenant.SchoolID(ctx)
			if !ok {
				return tenant.ErrNoTenant
			}
			q.WhereP(sql.FieldEQ("id", id))
			return nil
		}),
	}
}

// Hooks keeps schools read-only to callers: schools are created and changed by the
// command line (a system context) only.
func (School) Hooks() []ent.Hook {
	return []ent.Hook{
		func(next ent.Mutator) ent.Mutator {
			return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
				if !tenant.IsSystem(ctx) {
					return nil, tenant.ErrNoTenant
				}
				return next.Mutate(ctx, m)
			})
		},
	}
}
