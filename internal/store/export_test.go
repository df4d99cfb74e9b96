package store

import "context"

// MigrateUpTo applies the migrations up to and including version, so that a test can
// store rows as an older release did before migrating the rest.
func (d *DB) MigrateUpTo(ctx context.Context, version int64) error {
	p, err := d.migrator()
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}
