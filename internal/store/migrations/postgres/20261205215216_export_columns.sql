-- +goose Up
-- modify "exports" table
ALTER TABLE "exports" ADD COLUMN "columns" jsonb NULL;

-- +goose Down
-- reverse: modify "exports" table
ALTER TABLE "exports" DROP COLUMN "columns";
