-- +goose Up
-- The active events by type, for a type filter over a range under the default activity
-- rule (see the PostgreSQL migration of the same name).
CREATE INDEX `event_active_type` ON `events` (`school_id`, `type`, `date_finished`, `id`) WHERE NOT (type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND processed > 0 AND added = 0 AND updated = 0 AND deleted = 0 AND disabled = 0 AND errors = 0);

-- +goose Down
DROP INDEX `event_active_type`;
