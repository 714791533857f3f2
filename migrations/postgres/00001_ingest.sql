-- Returns as received: files, sheets, pupils, the three kinds of record, and the issues found.
-- +goose Up
SELECT 1;
-- +goose Down
SELECT 1;
