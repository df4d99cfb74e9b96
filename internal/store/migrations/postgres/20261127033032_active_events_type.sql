-- +goose NO TRANSACTION
-- +goose Up
-- The active events by type, for a type filter over a range under the default activity
-- rule: the page's IDs then come from this index alone. Built CONCURRENTLY so that a live
-- system keeps ingesting while a large table is indexed. The WHERE clause is verbatim as
-- report.NotIdle renders it.
CREATE INDEX CONCURRENTLY IF NOT EXISTS "event_active_type" ON "events" ("school_id", "type", "date_finished", "id") WHERE NOT (type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND processed > 0 AND added = 0 AND updated = 0 AND deleted = 0 AND disabled = 0 AND errors = 0);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS "event_active_type";
