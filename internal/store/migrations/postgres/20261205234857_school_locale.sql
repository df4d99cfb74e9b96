-- +goose Up
-- modify "schools" table
ALTER TABLE "schools" ADD COLUMN "locale" character varying NOT NULL DEFAULT 'en-AU';

-- +goose Down
-- reverse: modify "schools" table
ALTER TABLE "schools" DROP COLUMN "locale";
