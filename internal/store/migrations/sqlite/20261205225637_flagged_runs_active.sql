-- +goose Up
-- A run with flags is never idle: the activity rule's partial indexes take the flags
-- into their predicate (dropped and created in place; rebuilding the table would also
-- drop its triggers). SQLite's indexes include no columns, so the profile index stays.
DROP INDEX `event_active_sums`;
DROP INDEX `event_active_type`;
CREATE INDEX `event_active_sums` ON `events` (`school_id`, `date_finished`, `id`) WHERE NOT (type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND processed > 0 AND added = 0 AND updated = 0 AND deleted = 0 AND disabled = 0 AND errors = 0 AND flags = 0);
CREATE INDEX `event_active_type` ON `events` (`school_id`, `type`, `date_finished`, `id`) WHERE NOT (type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND processed > 0 AND added = 0 AND updated = 0 AND deleted = 0 AND disabled = 0 AND errors = 0 AND flags = 0);

-- +goose Down
DROP INDEX `event_active_sums`;
DROP INDEX `event_active_type`;
CREATE INDEX `event_active_sums` ON `events` (`school_id`, `date_finished`, `id`) WHERE NOT (type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND processed > 0 AND added = 0 AND updated = 0 AND deleted = 0 AND disabled = 0 AND errors = 0);
CREATE INDEX `event_active_type` ON `events` (`school_id`, `type`, `date_finished`, `id`) WHERE NOT (type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND processed > 0 AND added = 0 AND updated = 0 AND deleted = 0 AND disabled = 0 AND errors = 0);
