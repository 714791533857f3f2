-- A pupil's updated was always the received time of the file that last wrote the pupil, which
-- pupil.file_id already names (files are never deleted): file.received gives it. PostgreSQL's
-- 00008 drops it to save parsing it for every new pupil; SQLite drops it too, so that the two
-- schemas stay the same.
-- +goose Up
ALTER TABLE pupil DROP COLUMN updated;
-- +goose Down
ALTER TABLE pupil ADD COLUMN updated TEXT NOT NULL DEFAULT '';
UPDATE pupil SET updated = COALESCE((SELECT f.received FROM file f WHERE f.id = pupil.file_id), '');
