-- +goose Up
-- A school's report data version moves with every write of the tables the report reads
-- (events, users, sync_profiles), whoever writes them: the report cache is keyed by it,
-- so it must never be left to each writer to remember. SQLite has row triggers only.
-- +goose StatementBegin
CREATE TRIGGER events_data_version_insert AFTER INSERT ON `events` BEGIN
  UPDATE `schools` SET `data_version` = `data_version` + 1 WHERE `id` = NEW.`school_id`;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER events_data_version_update AFTER UPDATE ON `events` BEGIN
  UPDATE `schools` SET `data_version` = `data_version` + 1 WHERE `id` IN (OLD.`school_id`, NEW.`school_id`);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER events_data_version_delete AFTER DELETE ON `events` BEGIN
  UPDATE `schools` SET `data_version` = `data_version` + 1 WHERE `id` = OLD.`school_id`;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_data_version_insert AFTER INSERT ON `users` BEGIN
  UPDATE `schools` SET `data_version` = `data_version` + 1 WHERE `id` = NEW.`school_id`;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_data_version_update AFTER UPDATE ON `users` BEGIN
  UPDATE `schools` SET `data_version` = `data_version` + 1 WHERE `id` IN (OLD.`school_id`, NEW.`school_id`);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_data_version_delete AFTER DELETE ON `users` BEGIN
  UPDATE `schools` SET `data_version` = `data_version` + 1 WHERE `id` = OLD.`school_id`;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER sync_profiles_data_version_insert AFTER INSERT ON `sync_profiles` BEGIN
  UPDATE `schools` SET `data_version` = `data_version` + 1 WHERE `id` = NEW.`school_id`;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER sync_profiles_data_version_update AFTER UPDATE ON `sync_profiles` BEGIN
  UPDATE `schools` SET `data_version` = `data_version` + 1 WHERE `id` IN (OLD.`school_id`, NEW.`school_id`);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER sync_profiles_data_version_delete AFTER DELETE ON `sync_profiles` BEGIN
  UPDATE `schools` SET `data_version` = `data_version` + 1 WHERE `id` = OLD.`school_id`;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER events_data_version_insert;
DROP TRIGGER events_data_version_update;
DROP TRIGGER events_data_version_delete;
DROP TRIGGER users_data_version_insert;
DROP TRIGGER users_data_version_update;
DROP TRIGGER users_data_version_delete;
DROP TRIGGER sync_profiles_data_version_insert;
DROP TRIGGER sync_profiles_data_version_update;
DROP TRIGGER sync_profiles_data_version_delete;
