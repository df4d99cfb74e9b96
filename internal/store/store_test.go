package store_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"entgo.io/ent/dialect/sql/schema"

	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// TestMigrationsMatchSchema proves the versioned migrations build exactly the schema
// ent expects: after migrating, ent's auto-migration has nothing left to do.
func TestMigrationsMatchSchema(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		var buf bytes.Buffer
		if err := db.Client.Schema.WriteTo(context.Background(), &buf, schema.WithDropIndex(true), schema.WithDropColumn(true)); err != nil {
			t.Fatalf("diff schema: %v", err)
		}
		var pending []string
		for _, line := range strings.Split(buf.String(), "\n") {
			l := strings.TrimSpace(line)
			if l == "" || l == "BEGIN;" || l == "COMMIT;" || strings.HasPrefix(l, "--") {
				continue
			}
			pending = append(pending, l)
		}
		if len(pending) > 0 {
			t.Fatalf("migrations drift from the ent schema; ent would still run:\n%s", strings.Join(pending, "\n"))
		}
		n, err := db.Pending(context.Background())
		if err != nil || n != 0 {
			t.Fatalf("pending migrations after Migrate: %d, %v", n, err)
		}
		// Migrating again is a no-op.
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
	})
}

func TestOpenRejectsUnknownURL(t *testing.T) {
	t.Parallel()
	_, err := store.Open(context.Background(), "mysql://x")
	if err == nil || !strings.Contains(err.Error(), "sqlite:") {
		t.Fatalf("want a clear error, got %v", err)
	}
}
