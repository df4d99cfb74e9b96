-- +goose Up
-- modify "events" table
ALTER TABLE "events" ADD COLUMN "flags" bigint NOT NULL DEFAULT 0;
-- modify "schools" table
ALTER TABLE "schools" ADD COLUMN "health_delete_percent" bigint NOT NULL DEFAULT 10, ADD COLUMN "health_disable_percent" bigint NOT NULL DEFAULT 10, ADD COLUMN "health_update_percent" bigint NOT NULL DEFAULT 75, ADD COLUMN "health_processed_drop_percent" bigint NOT NULL DEFAULT 50;

-- +goose Down
-- reverse: modify "schools" table
ALTER TABLE "schools" DROP COLUMN "health_processed_drop_percent", DROP COLUMN "health_update_percent", DROP COLUMN "health_disable_percent", DROP COLUMN "health_delete_percent";
-- reverse: modify "events" table
ALTER TABLE "events" DROP COLUMN "flags";
