-- +goose Up
-- The active-events index under its new name (PostgreSQL adds the summary's columns to
-- it; SQLite has no INCLUDE, so here it only replaces the old one).
CREATE INDEX `event_active_sums` ON `events` (`school_id`, `date_finished`, `id`) WHERE NOT (type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND processed > 0 AND added = 0 AND updated = 0 AND deleted = 0 AND disabled = 0 AND errors = 0);
DROP INDEX IF EXISTS `event_active_school_id_date_finished_id`;

-- +goose Down
CREATE INDEX `event_active_school_id_date_finished_id` ON `events` (`school_id`, `date_finished`, `id`) WHERE NOT (type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND processed > 0 AND added = 0 AND updated = 0 AND deleted = 0 AND disabled = 0 AND errors = 0);
DROP INDEX `event_active_sums`;
