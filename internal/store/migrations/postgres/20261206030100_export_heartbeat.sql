-- +goose Up
-- modify "exports" table
ALTER TABLE "exports" ADD COLUMN "heartbeat_at" timestamptz NULL;

-- +goose Down
-- reverse: modify "exports" table
ALTER TABLE "exports" DROP COLUMN "heartbeat_at";
