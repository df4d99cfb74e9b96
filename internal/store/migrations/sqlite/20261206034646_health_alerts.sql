-- +goose Up
-- add column "alert_flagged_runs" to table: "users"
ALTER TABLE `users` ADD COLUMN `alert_flagged_runs` bool NULL;
-- add column "alert_failing" to table: "users"
ALTER TABLE `users` ADD COLUMN `alert_failing` bool NULL;
-- add column "alert_quiet" to table: "users"
ALTER TABLE `users` ADD COLUMN `alert_quiet` bool NULL;
-- add column "alert_digest" to table: "users"
ALTER TABLE `users` ADD COLUMN `alert_digest` bool NULL;
-- create "health_states" table
CREATE TABLE `health_states` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `status` text NOT NULL, `previous_status` text NULL, `changed_at` datetime NOT NULL, `alerted_status` text NULL, `school_id` integer NOT NULL, `sync_profile_id` integer NOT NULL, CONSTRAINT `health_states_schools_school` FOREIGN KEY (`school_id`) REFERENCES `schools` (`id`) ON DELETE NO ACTION, CONSTRAINT `health_states_sync_profiles_sync_profile` FOREIGN KEY (`sync_profile_id`) REFERENCES `sync_profiles` (`id`) ON DELETE CASCADE);
-- set sequence for "health_states" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("health_states", 38654705664);
-- create index "healthstate_sync_profile_id" to table: "health_states"
CREATE UNIQUE INDEX `healthstate_sync_profile_id` ON `health_states` (`sync_profile_id`);

-- +goose Down
-- reverse: create index "healthstate_sync_profile_id" to table: "health_states"
DROP INDEX `healthstate_sync_profile_id`;
-- reverse: set sequence for "health_states" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "health_states";
-- reverse: create "health_states" table
DROP TABLE `health_states`;
-- reverse: add column "alert_digest" to table: "users"
ALTER TABLE `users` DROP COLUMN `alert_digest`;
-- reverse: add column "alert_quiet" to table: "users"
ALTER TABLE `users` DROP COLUMN `alert_quiet`;
-- reverse: add column "alert_failing" to table: "users"
ALTER TABLE `users` DROP COLUMN `alert_failing`;
-- reverse: add column "alert_flagged_runs" to table: "users"
ALTER TABLE `users` DROP COLUMN `alert_flagged_runs`;
