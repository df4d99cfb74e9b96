-- +goose Up
-- add "data_version" to "schools" (in place: SQLite adds a NOT NULL column with a
-- constant default without rebuilding the table)
ALTER TABLE `schools` ADD COLUMN `data_version` integer NOT NULL DEFAULT (0);

-- +goose Down
ALTER TABLE `schools` DROP COLUMN `data_version`;
