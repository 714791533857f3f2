-- PostgreSQL's 00006 hands out row ids in blocks per connection; SQLite numbers rows itself, and
-- needs nothing. This keeps the two folders' versions in step.
-- +goose Up
SELECT 1;
-- +goose Down
SELECT 1;
