-- +goose Up
-- The report's summary reads per-quarter-hour sums instead of every event: one row per
-- school, UTC quarter hour, type, sync profile (0 for none), idleness and flaggedness.
-- A statement-level trigger keeps the sums equal to the events table, whoever writes it
-- (ingestion, retention, a profile or user deleted, raw SQL), so no writer has to
-- remember them. The idle expression is the activity rule exactly as report.IdleSQL
-- renders it; TestRollupMigrationsFollowTheRule holds the two together.
-- Writers wait while the sums are built, so none of their events is missed.
LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE;
CREATE TABLE "event_rollups" (
  "school_id" bigint NOT NULL,
  "date_finished" timestamptz NOT NULL,
  "type" character varying NOT NULL,
  "sync_profile_id" bigint NOT NULL,
  "idle" smallint NOT NULL,
  "flags" smallint NOT NULL,
  "events" bigint NOT NULL,
  "processed" numeric NOT NULL,
  "added" numeric NOT NULL,
  "updated" numeric NOT NULL,
  "deleted" numeric NOT NULL,
  "disabled" numeric NOT NULL,
  "errors" numeric NOT NULL,
  PRIMARY KEY ("school_id", "date_finished", "type", "sync_profile_id", "idle", "flags")
);
-- +goose StatementBegin
CREATE FUNCTION provreport_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  -- The statement's rows (%I: new_rows or old_rows) summed by key and added with sign $1.
  -- Keys are upserted in order, so concurrent writers lock them in one order.
  q CONSTANT text := $q$
    INSERT INTO event_rollups AS r
    SELECT school_id, to_timestamp(FLOOR(date_part('epoch', date_finished) / 900) * 900), type,
      COALESCE(sync_profile_id, 0),
      CASE WHEN (type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND processed > 0 AND added = 0 AND updated = 0 AND deleted = 0 AND disabled = 0 AND errors = 0 AND flags = 0) THEN 1 ELSE 0 END,
      CASE WHEN flags <> 0 THEN 1 ELSE 0 END,
      COUNT(*) * $1, SUM(processed) * $1, SUM(added) * $1, SUM(updated) * $1, SUM(deleted) * $1,
      SUM(disabled) * $1, SUM(errors) * $1
    FROM %I GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT ("school_id", "date_finished", "type", "sync_profile_id", "idle", "flags") DO UPDATE SET
      events = r.events + EXCLUDED.events, processed = r.processed + EXCLUDED.processed,
      added = r.added + EXCLUDED.added, updated = r.updated + EXCLUDED.updated,
      deleted = r.deleted + EXCLUDED.deleted, disabled = r.disabled + EXCLUDED.disabled,
      errors = r.errors + EXCLUDED.errors
  $q$;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    EXECUTE format(q, 'old_rows') USING -1;
    DELETE FROM event_rollups r
    USING (SELECT DISTINCT school_id, to_timestamp(FLOOR(date_part('epoch', date_finished) / 900) * 900) AS date_finished
           FROM old_rows) g
    WHERE r.school_id = g.school_id AND r.date_finished = g.date_finished AND r.events = 0;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    EXECUTE format(q, 'new_rows') USING 1;
  END IF;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
INSERT INTO event_rollups
SELECT school_id, to_timestamp(FLOOR(date_part('epoch', date_finished) / 900) * 900), type,
  COALESCE(sync_profile_id, 0),
  CASE WHEN (type IN ('ACCOUNT_SYNCHRONIZATION', 'ACCOUNT_PROVISIONING', 'USER_CSV_PROCESSED', 'GROUPS_CSV_PROCESSED') AND processed > 0 AND added = 0 AND updated = 0 AND deleted = 0 AND disabled = 0 AND errors = 0 AND flags = 0) THEN 1 ELSE 0 END,
  CASE WHEN flags <> 0 THEN 1 ELSE 0 END,
  COUNT(*), SUM(processed), SUM(added), SUM(updated), SUM(deleted), SUM(disabled), SUM(errors)
FROM events GROUP BY 1, 2, 3, 4, 5, 6;
CREATE TRIGGER events_rollup_insert AFTER INSERT ON events REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION provreport_rollup();
CREATE TRIGGER events_rollup_update AFTER UPDATE ON events REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION provreport_rollup();
CREATE TRIGGER events_rollup_delete AFTER DELETE ON events REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION provreport_rollup();

-- +goose Down
DROP TRIGGER events_rollup_insert ON events;
DROP TRIGGER events_rollup_update ON events;
DROP TRIGGER events_rollup_delete ON events;
DROP FUNCTION provreport_rollup();
DROP TABLE event_rollups;
