package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// migratedUpTo opens a new database of kind with the migrations up to and including
// version applied, as an older release left it, and returns it with a function that
// runs an INSERT … RETURNING id written with ? placeholders (rebound for PostgreSQL)
// and returns the new row's ID.
func migratedUpTo(t *testing.T, kind string, version int64) (*store.DB, func(q string, args ...any) int64) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.URL(t, kind))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.MigrateUpTo(ctx, version))
	insert := func(q string, args ...any) int64 {
		t.Helper()
		if db.Dialect == dialect.Postgres {
			for i := 1; strings.Contains(q, "?"); i++ {
				q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
			}
		}
		var id int64
		require.NoError(t, db.SQL.QueryRowContext(ctx, q+" RETURNING id", args...).Scan(&id))
		return id
	}
	return db, insert
}
