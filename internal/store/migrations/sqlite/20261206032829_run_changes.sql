-- +goose Up
-- the changes each run made to accounts, and the counts the run page needs (in place:
-- SQLite adds a NOT NULL column with a constant default without rebuilding the table,
-- which would also drop the tables' triggers)
ALTER TABLE `events` ADD COLUMN `changes_recorded` integer NOT NULL DEFAULT (0);
ALTER TABLE `events` ADD COLUMN `change_rows` integer NOT NULL DEFAULT (0);
ALTER TABLE `exports` ADD COLUMN `event_id` integer NULL;
CREATE TABLE `changes` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `action` text NOT NULL, `at` datetime NOT NULL, `display_name` text NULL, `email` text NULL, `attributes` json NOT NULL, `message` text NULL, `school_id` integer NOT NULL, `user_id` integer NOT NULL, `event_id` integer NOT NULL, CONSTRAINT `changes_schools_school` FOREIGN KEY (`school_id`) REFERENCES `schools` (`id`) ON DELETE NO ACTION, CONSTRAINT `changes_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `changes_events_changes` FOREIGN KEY (`event_id`) REFERENCES `events` (`id`) ON DELETE CASCADE);
INSERT INTO sqlite_sequence (name, seq) VALUES ("changes", 34359738368);
CREATE INDEX `change_event_id_id` ON `changes` (`event_id`, `id`);
CREATE INDEX `change_event_id_action_id` ON `changes` (`event_id`, `action`, `id`);
CREATE INDEX `change_user_id_at_id` ON `changes` (`user_id`, `at`, `id`);

-- +goose Down
DROP INDEX `change_user_id_at_id`;
DROP INDEX `change_event_id_action_id`;
DROP INDEX `change_event_id_id`;
DELETE FROM sqlite_sequence WHERE name = "changes";
DROP TABLE `changes`;
ALTER TABLE `exports` DROP COLUMN `event_id`;
ALTER TABLE `events` DROP COLUMN `change_rows`;
ALTER TABLE `events` DROP COLUMN `changes_recorded`;
