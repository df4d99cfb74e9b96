-- +goose Up
-- create index "event_active_school_id_date_finished_id" to table: "events" (the WHERE clause verbatim as report.NotIdle renders it, so that the planner matches it to the report's queries)
CREATE INDEX "event_active_school_id_date_finished_id" ON "events" ("school_id", "date_finished", "id") WHERE NOT (type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND processed > 0 AND added = 0 AND updated = 0 AND deleted = 0 AND disabled = 0 AND errors = 0);

-- +goose Down
-- reverse: create index "event_active_school_id_date_finished_id" to table: "events"
DROP INDEX "event_active_school_id_date_finished_id";
