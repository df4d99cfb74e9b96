-- +goose Up
-- add the export's heartbeat (in place: SQLite adds a nullable column without rebuilding
-- the table, which would also drop the table's triggers)
ALTER TABLE `exports` ADD COLUMN `heartbeat_at` datetime NULL;

-- +goose Down
ALTER TABLE `exports` DROP COLUMN `heartbeat_at`;
