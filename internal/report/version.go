package report

import (
	"context"
	"fmt"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/school"
	"github.com/provreport/provreport/internal/tenant"
)

// A school's data version moves with every write of its events, users or sync profiles:
// triggers in the database bump it (internal/store/migrations, data_version_triggers),
// so that no writer, however it writes, can forget to. A report response cached under an
// older version is never served again.

// DataVersion returns a school's data version.
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
