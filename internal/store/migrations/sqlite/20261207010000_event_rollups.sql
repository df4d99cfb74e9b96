-- +goose Up
-- The report's summary reads per-quarter-hour sums instead of every event: one row per
-- school, UTC quarter hour, type, sync profile (0 for none), idleness and flaggedness.
-- Triggers keep the sums equal to the events table, whoever writes it (ingestion,
-- retention, a profile or user deleted, raw SQL), so no writer has to remember them.
-- SQLite has row triggers only. The quarter hour is written as the driver writes times
-- (_time_format=sqlite in UTC), so the filter's bounds compare with it as with events.
-- The idle expression is the activity rule exactly as report.IdleSQL renders it;
-- TestRollupMigrationsFollowTheRule holds the two together.
CREATE TABLE `event_rollups` (
  `school_id` integer NOT NULL,
  `date_finished` datetime NOT NULL,
  `type` text NOT NULL,
  `sync_profile_id` integer NOT NULL,
  `idle` integer NOT NULL,
  `flags` integer NOT NULL,
  `events` integer NOT NULL,
  `processed` integer NOT NULL,
  `added` integer NOT NULL,
  `updated` integer NOT NULL,
  `deleted` integer NOT NULL,
  `disabled` integer NOT NULL,
  `errors` integer NOT NULL,
  PRIMARY KEY (`school_id`, `date_finished`, `type`, `sync_profile_id`, `idle`, `flags`)
) WITHOUT ROWID;
INSERT INTO `event_rollups`
SELECT school_id, strftime('%Y-%m-%d %H:%M:%S', (CAST(strftime('%s', date_finished) AS INTEGER) / 900) * 900, 'unixepoch') || '+00:00', type, COALESCE(sync_profile_id, 0),
  CASE WHEN (type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND processed > 0 AND added = 0 AND updated = 0 AND deleted = 0 AND disabled = 0 AND errors = 0 AND flags = 0) THEN 1 ELSE 0 END, CASE WHEN flags <> 0 THEN 1 ELSE 0 END,
  COUNT(*), SUM(processed), SUM(added), SUM(updated), SUM(deleted), SUM(disabled), SUM(errors)
FROM `events` GROUP BY 1, 2, 3, 4, 5, 6;
-- +goose StatementBegin
CREATE TRIGGER events_rollup_insert AFTER INSERT ON `events` BEGIN
  INSERT INTO `event_rollups` VALUES (NEW.school_id, strftime('%Y-%m-%d %H:%M:%S', (CAST(strftime('%s', NEW.date_finished) AS INTEGER) / 900) * 900, 'unixepoch') || '+00:00', NEW.type, COALESCE(NEW.sync_profile_id, 0),
    CASE WHEN (NEW.type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND NEW.processed > 0 AND NEW.added = 0 AND NEW.updated = 0 AND NEW.deleted = 0 AND NEW.disabled = 0 AND NEW.errors = 0 AND NEW.flags = 0) THEN 1 ELSE 0 END, CASE WHEN NEW.flags <> 0 THEN 1 ELSE 0 END,
    1, NEW.processed, NEW.added, NEW.updated, NEW.deleted, NEW.disabled, NEW.errors)
  ON CONFLICT (`school_id`, `date_finished`, `type`, `sync_profile_id`, `idle`, `flags`) DO UPDATE SET
    `events` = `events` + excluded.`events`, `processed` = `processed` + excluded.`processed`,
    `added` = `added` + excluded.`added`, `updated` = `updated` + excluded.`updated`,
    `deleted` = `deleted` + excluded.`deleted`, `disabled` = `disabled` + excluded.`disabled`,
    `errors` = `errors` + excluded.`errors`;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER events_rollup_update AFTER UPDATE ON `events` BEGIN
  INSERT INTO `event_rollups` VALUES (OLD.school_id, strftime('%Y-%m-%d %H:%M:%S', (CAST(strftime('%s', OLD.date_finished) AS INTEGER) / 900) * 900, 'unixepoch') || '+00:00', OLD.type, COALESCE(OLD.sync_profile_id, 0),
    CASE WHEN (OLD.type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND OLD.processed > 0 AND OLD.added = 0 AND OLD.updated = 0 AND OLD.deleted = 0 AND OLD.disabled = 0 AND OLD.errors = 0 AND OLD.flags = 0) THEN 1 ELSE 0 END, CASE WHEN OLD.flags <> 0 THEN 1 ELSE 0 END,
    -1, -OLD.processed, -OLD.added, -OLD.updated, -OLD.deleted, -OLD.disabled, -OLD.errors)
  ON CONFLICT (`school_id`, `date_finished`, `type`, `sync_profile_id`, `idle`, `flags`) DO UPDATE SET
    `events` = `events` + excluded.`events`, `processed` = `processed` + excluded.`processed`,
    `added` = `added` + excluded.`added`, `updated` = `updated` + excluded.`updated`,
    `deleted` = `deleted` + excluded.`deleted`, `disabled` = `disabled` + excluded.`disabled`,
    `errors` = `errors` + excluded.`errors`;
  DELETE FROM `event_rollups` WHERE `school_id` = OLD.school_id AND `date_finished` = strftime('%Y-%m-%d %H:%M:%S', (CAST(strftime('%s', OLD.date_finished) AS INTEGER) / 900) * 900, 'unixepoch') || '+00:00' AND `events` = 0;
  INSERT INTO `event_rollups` VALUES (NEW.school_id, strftime('%Y-%m-%d %H:%M:%S', (CAST(strftime('%s', NEW.date_finished) AS INTEGER) / 900) * 900, 'unixepoch') || '+00:00', NEW.type, COALESCE(NEW.sync_profile_id, 0),
    CASE WHEN (NEW.type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND NEW.processed > 0 AND NEW.added = 0 AND NEW.updated = 0 AND NEW.deleted = 0 AND NEW.disabled = 0 AND NEW.errors = 0 AND NEW.flags = 0) THEN 1 ELSE 0 END, CASE WHEN NEW.flags <> 0 THEN 1 ELSE 0 END,
    1, NEW.processed, NEW.added, NEW.updated, NEW.deleted, NEW.disabled, NEW.errors)
  ON CONFLICT (`school_id`, `date_finished`, `type`, `sync_profile_id`, `idle`, `flags`) DO UPDATE SET
    `events` = `events` + excluded.`events`, `processed` = `processed` + excluded.`processed`,
    `added` = `added` + excluded.`added`, `updated` = `updated` + excluded.`updated`,
    `deleted` = `deleted` + excluded.`deleted`, `disabled` = `disabled` + excluded.`disabled`,
    `errors` = `errors` + excluded.`errors`;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER events_rollup_delete AFTER DELETE ON `events` BEGIN
  INSERT INTO `event_rollups` VALUES (OLD.school_id, strftime('%Y-%m-%d %H:%M:%S', (CAST(strftime('%s', OLD.date_finished) AS INTEGER) / 900) * 900, 'unixepoch') || '+00:00', OLD.type, COALESCE(OLD.sync_profile_id, 0),
    CASE WHEN (OLD.type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND OLD.processed > 0 AND OLD.added = 0 AND OLD.updated = 0 AND OLD.deleted = 0 AND OLD.disabled = 0 AND OLD.errors = 0 AND OLD.flags = 0) THEN 1 ELSE 0 END, CASE WHEN OLD.flags <> 0 THEN 1 ELSE 0 END,
    -1, -OLD.processed, -OLD.added, -OLD.updated, -OLD.deleted, -OLD.disabled, -OLD.errors)
  ON CONFLICT (`school_id`, `date_finished`, `type`, `sync_profile_id`, `idle`, `flags`) DO UPDATE SET
    `events` = `events` + excluded.`events`, `processed` = `processed` + excluded.`processed`,
    `added` = `added` + excluded.`added`, `updated` = `updated` + excluded.`updated`,
    `deleted` = `deleted` + excluded.`deleted`, `disabled` = `disabled` + excluded.`disabled`,
    `errors` = `errors` + excluded.`errors`;
  DELETE FROM `event_rollups` WHERE `school_id` = OLD.school_id AND `date_finished` = strftime('%Y-%m-%d %H:%M:%S', (CAST(strftime('%s', OLD.date_finished) AS INTEGER) / 900) * 900, 'unixepoch') || '+00:00' AND `events` = 0;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER events_rollup_insert;
DROP TRIGGER events_rollup_update;
DROP TRIGGER events_rollup_delete;
DROP TABLE `event_rollups`;
