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

// AnalyzeStaleNow is AnalyzeIfStale's check, run at once and waited for.
func (d *DB) AnalyzeStaleNow(ctx context.Context, tables ...string) error {
	return d.analyzeStale(ctx, tables)
}
