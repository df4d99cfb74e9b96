// Package tenant carries the caller's school through a context. Every tenant-scoped
// ent query and mutation reads it (see ent/schema's TenantMixin), so scoping to one
// school happens in one place instead of resolver by resolver.
package tenant

import (
	"context"
	"errors"
)

// ErrNoTenant is returned by tenant-scoped ent operations run on a context that names no
// school and is not explicitly privileged. It is a programming error, never user input.
var ErrNoTenant = errors.New("tenant: no school in context")

type schoolKey struct{}
type systemKey struct{}

// WithSchool returns a context scoped to the school with the given ID.
func WithSchool(ctx context.Context, schoolID int) context.Context {
	return context.WithValue(ctx, schoolKey{}, schoolID)
}

// SchoolID returns the school the context is scoped to.
func SchoolID(ctx context.Context) (int, bool) {
	id, ok := ctx.Value(schoolKey{}).(int)
	return id, ok
}

// System returns a context that may read and write every school: for migrations, the
// demo seeder, command-line administration, background jobs that then re-scope, and
// sign-in (which must find a school before it knows the caller). Never derive one from
// a request.
func System(ctx context.Context) context.Context {
	return context.WithValue(ctx, systemKey{}, true)
}

// Unscoped returns a system context that no longer carries ctx's school, for the rare
// write a school's request makes outside the school-scoped tables (bumping its own
// school's data version). Keep its use to such narrow, explicit statements.
func Unscoped(ctx context.Context) context.Context {
	return System(context.WithValue(ctx, schoolKey{}, nil))
}

// IsSystem reports whether ctx was made by System and names no school. A school scope
// wins over a system scope so that a job can narrow itself.
func IsSystem(ctx context.Context) bool {
	if _, ok := SchoolID(ctx); ok {
		return false
	}
	v, _ := ctx.Value(systemKey{}).(bool)
	return v
}
