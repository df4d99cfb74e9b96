-- +goose Up
-- add the school's locale (in place: SQLite adds a column with a constant default without
-- rebuilding the table, which would also drop the table's triggers)
ALTER TABLE `schools` ADD COLUMN `locale` text NOT NULL DEFAULT ('en-AU');

-- +goose Down
ALTER TABLE `schools` DROP COLUMN `locale`;
