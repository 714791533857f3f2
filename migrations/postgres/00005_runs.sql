-- The run ledger: one row per job run, skipped ones included, so the team can see what ran when
-- and a scheduler can catch up on a job whose last successful run is too old.
-- +goose Up
CREATE TABLE run (
    id          TEXT PRIMARY KEY,
    job         TEXT NOT NULL,
    planned     TIMESTAMPTZ NOT NULL,
    started     TIMESTAMPTZ NOT NULL,
    ended       TIMESTAMPTZ,
    outcome     TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    host        TEXT NOT NULL DEFAULT '',
    files       INTEGER NOT NULL DEFAULT 0,
    rows_stored INTEGER NOT NULL DEFAULT 0,
    cases       INTEGER NOT NULL DEFAULT 0,
    letters     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX run_job_started ON run (job, started);
-- +goose Down
DROP TABLE run;
