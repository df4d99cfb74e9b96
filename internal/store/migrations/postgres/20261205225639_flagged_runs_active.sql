-- +goose Up
-- A run with flags is never idle: the activity rule's partial indexes take the flags
-- into their predicate, verbatim as report.NotIdle renders it, and carry the flags
-- along with the rule's other columns, as does the sync profiles' index.
DROP INDEX "event_active_sums";
DROP INDEX "event_active_type";
DROP INDEX "event_school_id_sync_profile_id_date_finished_id";
CREATE INDEX "event_active_sums" ON "events" ("school_id", "date_finished", "id") INCLUDE ("type", "processed", "added", "updated", "deleted", "disabled", "errors", "flags") WHERE NOT (type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND processed > 0 AND added = 0 AND updated = 0 AND deleted = 0 AND disabled = 0 AND errors = 0 AND flags = 0);
CREATE INDEX "event_active_type" ON "events" ("school_id", "type", "date_finished", "id") WHERE NOT (type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND processed > 0 AND added = 0 AND updated = 0 AND deleted = 0 AND disabled = 0 AND errors = 0 AND flags = 0);
CREATE INDEX "event_school_id_sync_profile_id_date_finished_id" ON "events" ("school_id", "sync_profile_id", "date_finished", "id") INCLUDE ("type", "processed", "added", "updated", "deleted", "disabled", "errors", "flags");

-- +goose Down
DROP INDEX "event_active_sums";
DROP INDEX "event_active_type";
DROP INDEX "event_school_id_sync_profile_id_date_finished_id";
CREATE INDEX "event_active_sums" ON "events" ("school_id", "date_finished", "id") INCLUDE ("type", "processed", "added", "updated", "deleted", "disabled", "errors") WHERE NOT (type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND processed > 0 AND added = 0 AND updated = 0 AND deleted = 0 AND disabled = 0 AND errors = 0);
CREATE INDEX "event_active_type" ON "events" ("school_id", "type", "date_finished", "id") WHERE NOT (type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND processed > 0 AND added = 0 AND updated = 0 AND deleted = 0 AND disabled = 0 AND errors = 0);
CREATE INDEX "event_school_id_sync_profile_id_date_finished_id" ON "events" ("school_id", "sync_profile_id", "date_finished", "id") INCLUDE ("type", "processed", "added", "updated", "deleted", "disabled", "errors");
