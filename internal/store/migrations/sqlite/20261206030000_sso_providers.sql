-- +goose Up
-- create "sso_providers" table
CREATE TABLE `sso_providers` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `create_time` datetime NOT NULL, `name` text NOT NULL, `issuer` text NOT NULL, `client_id` text NOT NULL, `client_secret_sealed` text NOT NULL DEFAULT (''), `allowed_domains` json NULL, `admin_group` text NOT NULL DEFAULT (''), `viewer_group` text NOT NULL DEFAULT (''), `default_role` text NOT NULL DEFAULT ('NONE'), `school_id` integer NOT NULL, CONSTRAINT `sso_providers_schools_school` FOREIGN KEY (`school_id`) REFERENCES `schools` (`id`) ON DELETE NO ACTION);
-- set sequence for "sso_providers" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("sso_providers", 34359738368);
-- create index "ssoprovider_school_id_name" to table: "sso_providers"
CREATE UNIQUE INDEX `ssoprovider_school_id_name` ON `sso_providers` (`school_id`, `name`);
-- add the school's password switch and the users' single sign-on identity in place:
-- SQLite adds a column without rebuilding the table, which would also drop its triggers
ALTER TABLE `schools` ADD COLUMN `password_sign_in` bool NOT NULL DEFAULT (true);
ALTER TABLE `users` ADD COLUMN `sso_issuer` text NULL;
ALTER TABLE `users` ADD COLUMN `sso_subject` text NULL;
-- create index "user_school_id_sso_issuer_sso_subject" to table: "users"
CREATE UNIQUE INDEX `user_school_id_sso_issuer_sso_subject` ON `users` (`school_id`, `sso_issuer`, `sso_subject`);

-- +goose Down
DROP INDEX `user_school_id_sso_issuer_sso_subject`;
ALTER TABLE `users` DROP COLUMN `sso_subject`;
ALTER TABLE `users` DROP COLUMN `sso_issuer`;
ALTER TABLE `schools` DROP COLUMN `password_sign_in`;
DROP TABLE `sso_providers`;
