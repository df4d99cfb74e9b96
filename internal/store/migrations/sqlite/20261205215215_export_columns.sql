-- +goose Up
-- add column "columns" to table: "exports"
ALTER TABLE `exports` ADD COLUMN `columns` json NULL;

-- +goose Down
-- reverse: add column "columns" to table: "exports"
ALTER TABLE `exports` DROP COLUMN `columns`;
