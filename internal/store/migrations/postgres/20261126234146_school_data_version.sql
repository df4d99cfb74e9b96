-- +goose Up
-- modify "schools" table
ALTER TABLE "schools" ADD COLUMN "data_version" bigint NOT NULL DEFAULT 0;

-- +goose Down
-- reverse: modify "schools" table
ALTER TABLE "schools" DROP COLUMN "data_version";
