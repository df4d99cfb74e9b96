-- +goose Up
-- A school's report data version moves with every write of the tables the report reads
-- (events, users, sync_profiles), whoever writes them: the report cache is keyed by it,
-- so it must never be left to each writer to remember. Statement-level triggers bump each
-- school the statement touched once, however many rows it wrote.
-- +goose StatementBegin
CREATE FUNCTION provreport_data_version_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE schools SET data_version = data_version + 1 WHERE id IN (SELECT DISTINCT school_id FROM new_rows);
  RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION provreport_data_version_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE schools SET data_version = data_version + 1 WHERE id IN (SELECT DISTINCT school_id FROM old_rows);
  RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION provreport_data_version_both() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE schools SET data_version = data_version + 1
  WHERE id IN (SELECT school_id FROM new_rows UNION SELECT school_id FROM old_rows);
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER events_data_version_insert AFTER INSERT ON events REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION provreport_data_version_new();
CREATE TRIGGER events_data_version_update AFTER UPDATE ON events REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION provreport_data_version_both();
CREATE TRIGGER events_data_version_delete AFTER DELETE ON events REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION provreport_data_version_old();
CREATE TRIGGER users_data_version_insert AFTER INSERT ON users REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION provreport_data_version_new();
CREATE TRIGGER users_data_version_update AFTER UPDATE ON users REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION provreport_data_version_both();
CREATE TRIGGER users_data_version_delete AFTER DELETE ON users REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION provreport_data_version_old();
CREATE TRIGGER sync_profiles_data_version_insert AFTER INSERT ON sync_profiles REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION provreport_data_version_new();
CREATE TRIGGER sync_profiles_data_version_update AFTER UPDATE ON sync_profiles REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION provreport_data_version_both();
CREATE TRIGGER sync_profiles_data_version_delete AFTER DELETE ON sync_profiles REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION provreport_data_version_old();

-- +goose Down
DROP TRIGGER events_data_version_insert ON events;
DROP TRIGGER events_data_version_update ON events;
DROP TRIGGER events_data_version_delete ON events;
DROP TRIGGER users_data_version_insert ON users;
DROP TRIGGER users_data_version_update ON users;
DROP TRIGGER users_data_version_delete ON users;
DROP TRIGGER sync_profiles_data_version_insert ON sync_profiles;
DROP TRIGGER sync_profiles_data_version_update ON sync_profiles;
DROP TRIGGER sync_profiles_data_version_delete ON sync_profiles;
DROP FUNCTION provreport_data_version_new();
DROP FUNCTION provreport_data_version_old();
DROP FUNCTION provreport_data_version_both();
