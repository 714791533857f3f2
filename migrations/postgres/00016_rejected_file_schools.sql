-- Who has returned (compliance.md): a file refused as a whole counts as rejected-only for the school
-- its name's LAESTAB prefix gives and for the schools its readable rows name (a trust's file for
-- several schools, or one named without the prefix). Nothing from a refused file is stored, so the
-- LAESTABs its rows named before it was refused are kept on the file's row, comma-separated
-- ('' when none, as for every file refused before this migration).
-- +goose Up
ALTER TABLE file ADD COLUMN named_schools TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE file DROP COLUMN named_schools;
