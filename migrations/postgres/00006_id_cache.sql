-- The ids of new events and pupils are handed out a thousand at a time to each connection, instead
-- of one at a time from the shared sequence: a 1,000,000-row suspensions file took an id from the
-- sequence for each of its rows and each of its 333,000 pupils, half a second of the server's
-- time. Ids stay unique and, within a connection, increasing; ids a connection took but did not
-- use are skipped, as after a rollback. They are handles: events are keyed and ordered by school,
-- pupil, category and start date, and pupils are only taken in ranges of ids.
-- +goose Up
ALTER TABLE suspension ALTER COLUMN id SET CACHE 1000;
ALTER TABLE pupil ALTER COLUMN id SET CACHE 1000;
-- +goose Down
ALTER TABLE pupil ALTER COLUMN id SET CACHE 1;
ALTER TABLE suspension ALTER COLUMN id SET CACHE 1;
