-- Reference data loaded beside the returns (reference-data.md): the GIAS school directory, the
-- council's contact list, the social care plans, the approved AP providers and the school calendar.
-- Each kind is replaced whole by one load, in one transaction, so the tables carry no history;
-- reference_load records when each kind was last loaded, so that "not loaded" (validate nothing
-- against it, use the built-in calendar) differs from "loaded and empty".
-- position keeps each list in file order.
-- +goose Up
CREATE TABLE school (
    urn             TEXT PRIMARY KEY,
    laestab         TEXT NOT NULL DEFAULT '',
    name            TEXT NOT NULL,
    type            TEXT NOT NULL DEFAULT '',
    phase           TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT '',
    la_name         TEXT NOT NULL DEFAULT '',
    street          TEXT NOT NULL DEFAULT '',
    locality        TEXT NOT NULL DEFAULT '',
    address3        TEXT NOT NULL DEFAULT '',
    town            TEXT NOT NULL DEFAULT '',
    county          TEXT NOT NULL DEFAULT '',
    postcode        TEXT NOT NULL DEFAULT '',
    head_title      TEXT NOT NULL DEFAULT '',
    head_first_name TEXT NOT NULL DEFAULT '',
    head_last_name  TEXT NOT NULL DEFAULT '',
    head_job_title  TEXT NOT NULL DEFAULT ''
);
-- Not unique: GIAS can give a closed school and its successor the same LAESTAB.
CREATE INDEX school_laestab ON school (laestab);
CREATE TABLE school_contact (
    position               INTEGER PRIMARY KEY,
    laestab                TEXT NOT NULL DEFAULT '',
    urn                    TEXT NOT NULL DEFAULT '',
    head_email             TEXT NOT NULL DEFAULT '',
    chair                  TEXT NOT NULL DEFAULT '',
    chair_email            TEXT NOT NULL DEFAULT '',
    correspondence_address TEXT NOT NULL DEFAULT ''
);
CREATE TABLE social_care_plan (
    position            INTEGER PRIMARY KEY,
    child_id            TEXT NOT NULL,
    upn                 TEXT NOT NULL DEFAULT '',
    surname             TEXT NOT NULL,
    forename            TEXT NOT NULL,
    dob                 DATE,
    plan_type           TEXT NOT NULL CHECK (plan_type IN ('CP', 'CIN', 'LAC')),
    start_date          DATE NOT NULL,
    end_date            DATE,
    social_worker       TEXT NOT NULL DEFAULT '',
    social_worker_email TEXT NOT NULL DEFAULT '',
    team                TEXT NOT NULL DEFAULT ''
);
CREATE INDEX social_care_plan_upn ON social_care_plan (upn);
CREATE TABLE approved_provider (
    position       INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    urn            TEXT NOT NULL DEFAULT '',
    ukprn          TEXT NOT NULL DEFAULT '',
    registered     TEXT NOT NULL DEFAULT '' CHECK (registered IN ('Y', 'N', '')),
    approved_from  DATE,
    approved_until DATE
);
CREATE TABLE calendar_term (
    start_date DATE PRIMARY KEY,
    end_date   DATE NOT NULL,
    name       TEXT NOT NULL
);
CREATE TABLE calendar_closure (
    day    DATE PRIMARY KEY,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE TABLE reference_load (
    kind      TEXT PRIMARY KEY CHECK (kind IN ('schools', 'contacts', 'social-care', 'providers', 'calendar')),
    row_count INTEGER NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL
);
-- +goose Down
DROP TABLE reference_load;
DROP TABLE calendar_closure;
DROP TABLE calendar_term;
DROP TABLE approved_provider;
DROP TABLE social_care_plan;
DROP TABLE school_contact;
DROP TABLE school;
