-- +goose Up
-- add a sync profile's expected interval and the school's shortest quiet silence (in
-- place: SQLite adds a column with a constant default without rebuilding the table,
-- which would also drop the tables' triggers)
ALTER TABLE `schools` ADD COLUMN `health_quiet_after_minimum` integer NOT NULL DEFAULT (3600);
ALTER TABLE `sync_profiles` ADD COLUMN `expected_every` integer NULL;

-- +goose Down
ALTER TABLE `sync_profiles` DROP COLUMN `expected_every`;
ALTER TABLE `schools` DROP COLUMN `health_quiet_after_minimum`;
