-- +goose Up
-- create "login_throttles" table
CREATE TABLE `login_throttles` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `key` text NOT NULL, `failures` integer NOT NULL DEFAULT (0), `window_start` datetime NOT NULL, `locked_until` datetime NULL);
-- set sequence for "login_throttles" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("login_throttles", 21474836480);
-- create index "login_throttles_key_key" to table: "login_throttles"
CREATE UNIQUE INDEX `login_throttles_key_key` ON `login_throttles` (`key`);
-- create "sessions" table
CREATE TABLE `sessions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `token_hash` text NOT NULL, `data` blob NOT NULL, `expiry` datetime NOT NULL);
-- set sequence for "sessions" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("sessions", 25769803776);
-- create index "sessions_token_hash_key" to table: "sessions"
CREATE UNIQUE INDEX `sessions_token_hash_key` ON `sessions` (`token_hash`);
-- create index "session_expiry" to table: "sessions"
CREATE INDEX `session_expiry` ON `sessions` (`expiry`);

-- +goose Down
-- reverse: create index "session_expiry" to table: "sessions"
DROP INDEX `session_expiry`;
-- reverse: create index "sessions_token_hash_key" to table: "sessions"
DROP INDEX `sessions_token_hash_key`;
-- reverse: set sequence for "sessions" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "sessions";
-- reverse: create "sessions" table
DROP TABLE `sessions`;
-- reverse: create index "login_throttles_key_key" to table: "login_throttles"
DROP INDEX `login_throttles_key_key`;
-- reverse: set sequence for "login_throttles" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "login_throttles";
-- reverse: create "login_throttles" table
DROP TABLE `login_throttles`;
