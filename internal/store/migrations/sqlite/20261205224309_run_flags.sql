-- +goose Up
-- add the run flags to "events" and the flags' thresholds to "schools" (in place:
-- SQLite adds a NOT NULL column with a constant default without rebuilding the table,
-- which would also drop the tables' triggers)
ALTER TABLE `events` ADD COLUMN `flags` integer NOT NULL DEFAULT (0);
ALTER TABLE `schools` ADD COLUMN `health_delete_percent` integer NOT NULL DEFAULT (10);
ALTER TABLE `schools` ADD COLUMN `health_disable_percent` integer NOT NULL DEFAULT (10);
ALTER TABLE `schools` ADD COLUMN `health_update_percent` integer NOT NULL DEFAULT (75);
ALTER TABLE `schools` ADD COLUMN `health_processed_drop_percent` integer NOT NULL DEFAULT (50);

-- +goose Down
ALTER TABLE `schools` DROP COLUMN `health_processed_drop_percent`;
ALTER TABLE `schools` DROP COLUMN `health_update_percent`;
ALTER TABLE `schools` DROP COLUMN `health_disable_percent`;
ALTER TABLE `schools` DROP COLUMN `health_delete_percent`;
ALTER TABLE `events` DROP COLUMN `flags`;
