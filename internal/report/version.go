package report

import (
	"context"
	"fmt"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/school"
	"github.com/provreport/provreport/internal/tenant"
)

// Changed records that a school's report data (its events, users or sync profiles)
// changed, by bumping the school's data version: a report response cached under an older
// version is never served again. Call it with the client that made the change (inside
// its transaction, or after it committed), never before the change.
func Changed(ctx context.Context, c *ent.Client, schoolID int) error {
	// The school row is the command line's to change; the version is the one column a
	// school's own writes may move.
	err := c.School.Update().Where(school.ID(schoolID)).AddDataVersion(1).Exec(tenant.Unscoped(ctx))
	if err != nil {
		return fmt.Errorf("school %d: bump data version: %w", schoolID, err)
	}
	return nil
}

// ChangedAll bumps every school's data version, for writes that span schools (retention).
func ChangedAll(ctx context.Context, c *ent.Client) error {
	if err := c.School.Update().AddDataVersion(1).Exec(tenant.Unscoped(ctx)); err != nil {
		return fmt.Errorf("bump data versions: %w", err)
	}
	return nil
}

// DataVersion returns a school's data version (see Changed).
func DataVersion(ctx context.Context, c *ent.Client, schoolID int) (int64, error) {
	var v []int64
	err := c.School.Query().Where(school.ID(schoolID)).Select(school.FieldDataVersion).Scan(tenant.Unscoped(ctx), &v)
	if err != nil {
		return 0, fmt.Errorf("school %d: data version: %w", schoolID, err)
	}
	if len(v) == 0 {
		return 0, fmt.Errorf("school %d: data version: no such school", schoolID)
	}
	return v[0], nil
}
