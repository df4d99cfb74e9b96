-- +goose NO TRANSACTION
-- +goose Up
-- The active-events index again, now carrying the summary's columns (INCLUDE) so that a
-- year's eventSummary is an index-only scan. Built CONCURRENTLY beside the old one, which
-- is dropped after: the report keeps an index throughout and ingestion is not blocked
-- while a large table is indexed. The WHERE clause is verbatim as report.NotIdle renders it.
CREATE INDEX CONCURRENTLY IF NOT EXISTS "event_active_sums" ON "events" ("school_id", "date_finished", "id") INCLUDE ("type", "processed", "added", "updated", "deleted", "disabled", "errors") WHERE NOT (type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND processed > 0 AND added = 0 AND updated = 0 AND deleted = 0 AND disabled = 0 AND errors = 0);
DROP INDEX CONCURRENTLY IF EXISTS "event_active_school_id_date_finished_id";

-- +goose Down
CREATE INDEX CONCURRENTLY IF NOT EXISTS "event_active_school_id_date_finished_id" ON "events" ("school_id", "date_finished", "id") WHERE NOT (type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND processed > 0 AND added = 0 AND updated = 0 AND deleted = 0 AND disabled = 0 AND errors = 0);
DROP INDEX CONCURRENTLY IF EXISTS "event_active_sums";
