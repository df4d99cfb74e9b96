-- +goose Up
-- The events-by-sync-profile index keyed to the page order (SQLite has no INCLUDE; the
-- PostgreSQL migration also carries the activity rule's columns).
CREATE INDEX `event_school_id_sync_profile_id_date_finished_id` ON `events` (`school_id`, `sync_profile_id`, `date_finished`, `id`);
DROP INDEX `event_school_id_sync_profile_id_date_finished`;

-- +goose Down
CREATE INDEX `event_school_id_sync_profile_id_date_finished` ON `events` (`school_id`, `sync_profile_id`, `date_finished`);
DROP INDEX `event_school_id_sync_profile_id_date_finished_id`;
