package schema

import (
	"context"
	"fmt"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	"github.com/provreport/provreport/ent/intercept"
	"github.com/provreport/provreport/internal/tenant"
)

// TenantMixin makes a type belong to exactly one school and is the single place where
// reads and writes are scoped to the caller's school: every query gets a school_id
// predicate, every create is stamped with the caller's school, and every update or
// delete is narrowed to it. A row of another school is therefore simply not found.
type TenantMixin struct {
	mixin.Schema
}

// Fields adds the owning school's ID.
func (TenantMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Int("school_id").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges adds the edge to the owning school; it is not exposed over GraphQL because a
// caller only ever sees its own school.
func (TenantMixin) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("school", School.Type).Field("school_id").Unique().Required().Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Interceptors scopes every query, including node lookups and edge loads, to the school.
func (TenantMixin) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{
		intercept.TraverseFunc(func(ctx context.Context, q intercept.Query) error {
			if tenant.IsSystem(ctx) {
				return nil
			}
			id, ok := tenant.SchoolID(ctx)
			if !ok {
				return tenant.ErrNoTenant
			}
			q.WhereP(sql.FieldEQ("school_id", id))
			return nil
		}),
	}
}

// Hooks stamps creates with the caller's school and narrows updates and deletes to it.
func (TenantMixin) Hooks() []ent.Hook {
	return []ent.Hook{
		func(next ent.Mutator) ent.Mutator {
			return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
				if tenant.IsSystem(ctx) {
					return next.Mutate(ctx, m)
				}
				id, ok := tenant.SchoolID(ctx)
				if !ok {
					return nil, tenant.ErrNoTenant
				}
				switch {
				case m.Op().Is(ent.OpCreate):
					sm, ok := m.(interface {
						SchoolID() (int, bool)
						SetSchoolID(int)
					})
					if !ok {
						return nil, fmt.Errorf("tenant: %T cannot be scoped", m)
					}
					if got, set := sm.SchoolID(); set && got != id {
						return nil, fmt.Errorf("tenant: create for school %d from school %d: %w", got, id, tenant.ErrNoTenant)
					}
					sm.SetSchoolID(id)
				default:
					wm, ok := m.(interface{ WhereP(...func(*sql.Selector)) })
					if !ok {
						return nil, fmt.Errorf("tenant: %T cannot be scoped", m)
					}
					wm.WhereP(sql.FieldEQ("school_id", id))
				}
				return next.Mutate(ctx, m)
			})
		},
	}
}
