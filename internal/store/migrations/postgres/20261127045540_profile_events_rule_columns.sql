-- +goose NO TRANSACTION
-- +goose Up
-- The events-by-sync-profile index again, now keyed to the page order (id last) and
-- carrying the activity rule's columns (INCLUDE), so that a profile's page of active
-- events is picked by an index-only scan instead of a heap visit to every idle run.
-- Built CONCURRENTLY beside the old one, which is dropped after: the report keeps an
-- index throughout and ingestion is not blocked while a large table is indexed.
CREATE INDEX CONCURRENTLY IF NOT EXISTS "event_school_id_sync_profile_id_date_finished_id" ON "events" ("school_id", "sync_profile_id", "date_finished", "id") INCLUDE ("type", "processed", "added", "updated", "deleted", "disabled", "errors");
DROP INDEX CONCURRENTLY IF EXISTS "event_school_id_sync_profile_id_date_finished";

-- +goose Down
CREATE INDEX CONCURRENTLY IF NOT EXISTS "event_school_id_sync_profile_id_date_finished" ON "events" ("school_id", "sync_profile_id", "date_finished");
DROP INDEX CONCURRENTLY IF EXISTS "event_school_id_sync_profile_id_date_finished_id";
