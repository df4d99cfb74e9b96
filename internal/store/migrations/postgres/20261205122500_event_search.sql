-- +goose NO TRANSACTION
-- +goose Up
-- The report's details search (ReportFilter.search) as trigram indexes: ILIKE '%text%' on
-- the details, and on the problems' messages as one JSON text (report.searchPredicate writes
-- the same expression), so a search over a year of a large school reads the index instead
-- of every row. pg_trgm ships with PostgreSQL and is a trusted extension, so the database
-- owner may create it; it lives in public so that every schema of the database can use it.
-- Built CONCURRENTLY: ingestion is not blocked while a large table is indexed.
-- +goose StatementBegin
DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
EXCEPTION
  -- Two schemas of one database migrating at once may both try to create it.
  WHEN unique_violation OR duplicate_object THEN NULL;
END
$$;
-- +goose StatementEnd
CREATE INDEX CONCURRENTLY IF NOT EXISTS "event_search_details" ON "events" USING gin ("details" public.gin_trgm_ops);
CREATE INDEX CONCURRENTLY IF NOT EXISTS "event_search_problems" ON "events" USING gin ((jsonb_path_query_array("problems", '$[*].message')::text) public.gin_trgm_ops);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS "event_search_problems";
DROP INDEX CONCURRENTLY IF EXISTS "event_search_details";
