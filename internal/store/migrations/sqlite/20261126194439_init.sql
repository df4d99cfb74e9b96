-- +goose Up
-- create "api_tokens" table
CREATE TABLE `api_tokens` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `create_time` datetime NOT NULL, `name` text NOT NULL, `token_hash` text NOT NULL, `scopes` json NOT NULL, `last_used_at` datetime NULL, `expires_at` datetime NULL, `revoked_at` datetime NULL, `school_id` integer NOT NULL, `created_by_id` integer NULL, CONSTRAINT `api_tokens_schools_school` FOREIGN KEY (`school_id`) REFERENCES `schools` (`id`) ON DELETE NO ACTION, CONSTRAINT `api_tokens_users_created_by` FOREIGN KEY (`created_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- create index "api_tokens_token_hash_key" to table: "api_tokens"
CREATE UNIQUE INDEX `api_tokens_token_hash_key` ON `api_tokens` (`token_hash`);
-- create "events" table
CREATE TABLE `events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `type` text NOT NULL, `date_started` datetime NOT NULL, `date_finished` datetime NOT NULL, `processed` integer NOT NULL DEFAULT (0), `added` integer NOT NULL DEFAULT (0), `updated` integer NOT NULL DEFAULT (0), `deleted` integer NOT NULL DEFAULT (0), `disabled` integer NOT NULL DEFAULT (0), `errors` integer NOT NULL DEFAULT (0), `details` text NOT NULL DEFAULT (''), `problems` json NOT NULL, `service` text NULL, `external_id` text NULL, `recorded_at` datetime NOT NULL, `school_id` integer NOT NULL, `user_id` integer NULL, `sync_profile_id` integer NULL, CONSTRAINT `events_schools_school` FOREIGN KEY (`school_id`) REFERENCES `schools` (`id`) ON DELETE NO ACTION, CONSTRAINT `events_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `events_sync_profiles_sync_profile` FOREIGN KEY (`sync_profile_id`) REFERENCES `sync_profiles` (`id`) ON DELETE SET NULL);
-- set sequence for "events" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("events", 4294967296);
-- create index "event_school_id_date_finished_id" to table: "events"
CREATE INDEX `event_school_id_date_finished_id` ON `events` (`school_id`, `date_finished`, `id`);
-- create index "event_school_id_user_id_date_finished" to table: "events"
CREATE INDEX `event_school_id_user_id_date_finished` ON `events` (`school_id`, `user_id`, `date_finished`);
-- create index "event_school_id_sync_profile_id_date_finished" to table: "events"
CREATE INDEX `event_school_id_sync_profile_id_date_finished` ON `events` (`school_id`, `sync_profile_id`, `date_finished`);
-- create index "event_school_id_type_date_finished" to table: "events"
CREATE INDEX `event_school_id_type_date_finished` ON `events` (`school_id`, `type`, `date_finished`);
-- create index "event_school_id_external_id" to table: "events"
CREATE UNIQUE INDEX `event_school_id_external_id` ON `events` (`school_id`, `external_id`);
-- create "schools" table
CREATE TABLE `schools` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `create_time` datetime NOT NULL, `name` text NOT NULL, `slug` text NOT NULL, `timezone` text NOT NULL DEFAULT ('UTC'));
-- set sequence for "schools" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("schools", 8589934592);
-- create index "schools_slug_key" to table: "schools"
CREATE UNIQUE INDEX `schools_slug_key` ON `schools` (`slug`);
-- create "sync_profiles" table
CREATE TABLE `sync_profiles` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `create_time` datetime NOT NULL, `name` text NOT NULL, `kind` text NOT NULL, `school_id` integer NOT NULL, CONSTRAINT `sync_profiles_schools_school` FOREIGN KEY (`school_id`) REFERENCES `schools` (`id`) ON DELETE NO ACTION);
-- set sequence for "sync_profiles" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("sync_profiles", 12884901888);
-- create index "syncprofile_school_id_name" to table: "sync_profiles"
CREATE UNIQUE INDEX `syncprofile_school_id_name` ON `sync_profiles` (`school_id`, `name`);
-- create "users" table
CREATE TABLE `users` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `create_time` datetime NOT NULL, `username` text NOT NULL, `display_name` text NOT NULL DEFAULT (''), `email` text NOT NULL DEFAULT (''), `role` text NOT NULL DEFAULT ('NONE'), `password_hash` text NULL, `school_id` integer NOT NULL, CONSTRAINT `users_schools_school` FOREIGN KEY (`school_id`) REFERENCES `schools` (`id`) ON DELETE NO ACTION);
-- set sequence for "users" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("users", 17179869184);
-- create index "user_school_id_username" to table: "users"
CREATE UNIQUE INDEX `user_school_id_username` ON `users` (`school_id`, `username`);

-- +goose Down
-- reverse: create index "user_school_id_username" to table: "users"
DROP INDEX `user_school_id_username`;
-- reverse: set sequence for "users" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "users";
-- reverse: create "users" table
DROP TABLE `users`;
-- reverse: create index "syncprofile_school_id_name" to table: "sync_profiles"
DROP INDEX `syncprofile_school_id_name`;
-- reverse: set sequence for "sync_profiles" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "sync_profiles";
-- reverse: create "sync_profiles" table
DROP TABLE `sync_profiles`;
-- reverse: create index "schools_slug_key" to table: "schools"
DROP INDEX `schools_slug_key`;
-- reverse: set sequence for "schools" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "schools";
-- reverse: create "schools" table
DROP TABLE `schools`;
-- reverse: create index "event_school_id_external_id" to table: "events"
DROP INDEX `event_school_id_external_id`;
-- reverse: create index "event_school_id_type_date_finished" to table: "events"
DROP INDEX `event_school_id_type_date_finished`;
-- reverse: create index "event_school_id_sync_profile_id_date_finished" to table: "events"
DROP INDEX `event_school_id_sync_profile_id_date_finished`;
-- reverse: create index "event_school_id_user_id_date_finished" to table: "events"
DROP INDEX `event_school_id_user_id_date_finished`;
-- reverse: create index "event_school_id_date_finished_id" to table: "events"
DROP INDEX `event_school_id_date_finished_id`;
-- reverse: set sequence for "events" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "events";
-- reverse: create "events" table
DROP TABLE `events`;
-- reverse: create index "api_tokens_token_hash_key" to table: "api_tokens"
DROP INDEX `api_tokens_token_hash_key`;
-- reverse: create "api_tokens" table
DROP TABLE `api_tokens`;
