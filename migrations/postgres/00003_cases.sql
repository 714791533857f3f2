-- Cases: one per pupil, the findings behind it, and every status change with its date, so that the
-- report can say what is new or closed since the last report and a rerun can tell what it already
-- did. flag_run and report record the days the rules ran and the reports were written.
-- No foreign key to pupil: a case and its history outlive the snapshots that raised it.
-- +goose Up
CREATE TABLE cases (
    id            TEXT PRIMARY KEY,
    pupil_id      BIGINT NOT NULL UNIQUE,
    upn           TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL CHECK (status IN ('new', 'open', 'changed', 'closed')),
    severity      TEXT NOT NULL DEFAULT '',
    laestab       TEXT NOT NULL DEFAULT '',
    plan          TEXT NOT NULL DEFAULT '',
    letter_due    BOOLEAN NOT NULL DEFAULT FALSE,
    vulnerable    TEXT NOT NULL DEFAULT '',
    fingerprint   TEXT NOT NULL DEFAULT '',
    first_flagged DATE NOT NULL,
    last_changed  DATE NOT NULL,
    closed_on     DATE,
    close_reason  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX cases_status ON cases (status);
CREATE TABLE case_finding (
    case_id     TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    rule        TEXT NOT NULL,
    severity    TEXT NOT NULL,
    explanation TEXT NOT NULL,
    laestab     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (case_id, position)
);
CREATE TABLE case_event (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    day     DATE NOT NULL,
    status  TEXT NOT NULL,
    note    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_event_case ON case_event (case_id, id);
CREATE INDEX case_event_day ON case_event (day);
CREATE TABLE flag_run (
    day   DATE PRIMARY KEY,
    cases INTEGER NOT NULL
);
CREATE TABLE report (
    day   DATE PRIMARY KEY,
    files TEXT NOT NULL DEFAULT ''
);
-- +goose Down
DROP TABLE report;
DROP TABLE flag_run;
DROP TABLE case_event;
DROP TABLE case_finding;
DROP TABLE cases;
