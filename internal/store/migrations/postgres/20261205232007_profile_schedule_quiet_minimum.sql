-- +goose Up
-- modify "schools" table
ALTER TABLE "schools" ADD COLUMN "health_quiet_after_minimum" bigint NOT NULL DEFAULT 3600;
-- modify "sync_profiles" table
ALTER TABLE "sync_profiles" ADD COLUMN "expected_every" bigint NULL;

-- +goose Down
-- reverse: modify "sync_profiles" table
ALTER TABLE "sync_profiles" DROP COLUMN "expected_every";
-- reverse: modify "schools" table
ALTER TABLE "schools" DROP COLUMN "health_quiet_after_minimum";
