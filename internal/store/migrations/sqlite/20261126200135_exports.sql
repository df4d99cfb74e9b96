-- +goose Up
-- create "exports" table
CREATE TABLE `exports` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `status` text NOT NULL DEFAULT ('QUEUED'), `filter` json NOT NULL, `max_event_id` integer NOT NULL, `token_id` integer NULL, `email` text NOT NULL DEFAULT (''), `requested_at` datetime NOT NULL, `started_at` datetime NULL, `finished_at` datetime NULL, `expires_at` datetime NULL, `row_count` integer NULL, `byte_size` integer NULL, `error` text NULL, `attempts` integer NOT NULL DEFAULT (0), `blob_key` text NULL, `email_sent_at` datetime NULL, `email_error` text NULL, `school_id` integer NOT NULL, `requested_by_id` integer NULL, CONSTRAINT `exports_schools_school` FOREIGN KEY (`school_id`) REFERENCES `schools` (`id`) ON DELETE NO ACTION, CONSTRAINT `exports_users_requested_by` FOREIGN KEY (`requested_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- set sequence for "exports" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("exports", 30064771072);
-- create index "export_school_id_requested_by_id_requested_at" to table: "exports"
CREATE INDEX `export_school_id_requested_by_id_requested_at` ON `exports` (`school_id`, `requested_by_id`, `requested_at`);
-- create index "export_status_expires_at" to table: "exports"
CREATE INDEX `export_status_expires_at` ON `exports` (`status`, `expires_at`);

-- +goose Down
-- reverse: create index "export_status_expires_at" to table: "exports"
DROP INDEX `export_status_expires_at`;
-- reverse: create index "export_school_id_requested_by_id_requested_at" to table: "exports"
DROP INDEX `export_school_id_requested_by_id_requested_at`;
-- reverse: set sequence for "exports" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "exports";
-- reverse: create "exports" table
DROP TABLE `exports`;
