-- Who has returned (compliance.md). A file counts for the period of the run date (--today) of the
-- ingest that took it, which file.received (the clock) is not: file.run_date keeps it (NULL for
-- files taken before this migration: their received day stands in). The school directory gains
-- the GIAS columns that decide who is expected to return: the type group and the open and close
-- dates. chase_draft is the ledger of chase e-mails drafted, one per school and period, so that a
-- rerun drafts nothing new; append-only.
-- +goose Up
ALTER TABLE file ADD COLUMN run_date DATE;
ALTER TABLE school ADD COLUMN type_group TEXT NOT NULL DEFAULT '';
ALTER TABLE school ADD COLUMN open_date DATE;
ALTER TABLE school ADD COLUMN close_date DATE;
CREATE TABLE chase_draft (
    laestab   TEXT NOT NULL,
    period    TEXT NOT NULL,
    drafted   DATE NOT NULL,
    recipient TEXT NOT NULL,
    types     TEXT NOT NULL,
    file      TEXT NOT NULL,
    PRIMARY KEY (laestab, period)
);
-- +goose Down
DROP TABLE chase_draft;
ALTER TABLE school DROP COLUMN close_date;
ALTER TABLE school DROP COLUMN open_date;
ALTER TABLE school DROP COLUMN type_group;
ALTER TABLE file DROP COLUMN run_date;
