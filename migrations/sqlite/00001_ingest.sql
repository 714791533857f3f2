-- Returns as received: files, sheets, pupils, the three kinds of record, and the issues found.
-- A file and everything from it are written in one transaction, so a crash leaves nothing half
-- stored; file.sha256 is unique so that a rerun recognises a file it has already taken. A pupil is
-- one child per UPN across schools and years; former_upn keeps the temporary UPNs since linked to a
-- permanent one. Snapshot records (timetable, placement) carry is_current/stale: a school's newest
-- sheet replaces its current list, except rows kept (stale) for pupils whose new row was rejected.
-- Suspensions are events, unique per (school, pupil, category, start date) and updated in place.
-- Records carry file_id, sheet_id and pupil_id, and pupils file_id, without foreign keys: only the
-- store writes them, in the file's own transaction; it never deletes a file, and deletes a pupil
-- only after moving the pupil's records to the pupil it was merged into. The per-row checks cost
-- PostgreSQL more than the rows themselves (a 1,000,000-row suspensions file ran at a third of the
-- speed with them).
-- +goose Up
CREATE TABLE file (
    id        INTEGER PRIMARY KEY,
    sha256    TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL,
    size      INTEGER NOT NULL DEFAULT 0,
    received  TEXT NOT NULL,
    dest_path TEXT NOT NULL DEFAULT '',
    status    TEXT NOT NULL CHECK (status IN ('ingesting', 'accepted', 'partial', 'rejected')),
    rows      INTEGER NOT NULL DEFAULT 0,
    accepted  INTEGER NOT NULL DEFAULT 0,
    rejected  INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE file_sheet (
    id          INTEGER PRIMARY KEY,
    file_id     INTEGER NOT NULL REFERENCES file (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    sheet       TEXT NOT NULL,
    return_type TEXT NOT NULL CHECK (return_type IN ('reduced-timetable', 'alternative-provision', 'suspensions')),
    school      TEXT NOT NULL DEFAULT '',
    schools     TEXT NOT NULL DEFAULT '',
    header_row  INTEGER NOT NULL DEFAULT 0,
    rows        INTEGER NOT NULL DEFAULT 0,
    accepted    INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0,
    skipped     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (file_id, position)
) STRICT;

CREATE TABLE issue (
    id       INTEGER PRIMARY KEY,
    file_id  INTEGER NOT NULL REFERENCES file (id) ON DELETE CASCADE,
    sheet    TEXT NOT NULL DEFAULT '',
    row_num  INTEGER NOT NULL DEFAULT 0,
    col      TEXT NOT NULL DEFAULT '',
    value    TEXT NOT NULL DEFAULT '',
    code     TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('error', 'warning')),
    message  TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX issue_file ON issue (file_id, id);

CREATE TABLE pupil (
    id       INTEGER PRIMARY KEY,
    upn      TEXT NOT NULL UNIQUE,
    is_temp  INTEGER NOT NULL DEFAULT 0 CHECK (is_temp IN (0, 1)),
    surname  TEXT NOT NULL,
    forename TEXT NOT NULL,
    name_key TEXT NOT NULL, -- lower-cased, trimmed "surname|forename", for matching by name and DOB
    dob      TEXT,
    gender   TEXT NOT NULL DEFAULT '',
    nc_year  TEXT NOT NULL DEFAULT '',
    sen      TEXT NOT NULL DEFAULT '',
    file_id  INTEGER NOT NULL, -- no foreign key: see above
    updated  TEXT NOT NULL
) STRICT;
-- Temporary UPNs are few: linking looks only among them.
CREATE INDEX pupil_temp ON pupil (name_key) WHERE is_temp;

CREATE TABLE former_upn (
    upn      TEXT PRIMARY KEY,
    pupil_id INTEGER NOT NULL REFERENCES pupil (id) ON DELETE CASCADE,
    linked   TEXT NOT NULL
) STRICT;
CREATE INDEX former_upn_pupil ON former_upn (pupil_id);

CREATE TABLE timetable (
    id                 INTEGER PRIMARY KEY,
    file_id            INTEGER NOT NULL,
    sheet_id           INTEGER NOT NULL,
    row_num            INTEGER NOT NULL,
    laestab            TEXT NOT NULL,
    pupil_id           INTEGER NOT NULL,
    received           TEXT NOT NULL,
    is_current         INTEGER NOT NULL DEFAULT 1 CHECK (is_current IN (0, 1)),
    stale              INTEGER NOT NULL DEFAULT 0 CHECK (stale IN (0, 1)),
    start_date         TEXT,
    planned_end_date   TEXT,
    actual_end_date    TEXT,
    hours_per_week     REAL NOT NULL DEFAULT 0,
    reason             TEXT NOT NULL DEFAULT '',
    parental_agreement TEXT NOT NULL DEFAULT '',
    review_date        TEXT
) STRICT;
CREATE INDEX timetable_current ON timetable (laestab, is_current);
CREATE INDEX timetable_pupil ON timetable (pupil_id);

CREATE TABLE placement (
    id                  INTEGER PRIMARY KEY,
    file_id             INTEGER NOT NULL,
    sheet_id            INTEGER NOT NULL,
    row_num             INTEGER NOT NULL,
    laestab             TEXT NOT NULL,
    pupil_id            INTEGER NOT NULL,
    received            TEXT NOT NULL,
    is_current          INTEGER NOT NULL DEFAULT 1 CHECK (is_current IN (0, 1)),
    stale               INTEGER NOT NULL DEFAULT 0 CHECK (stale IN (0, 1)),
    provider_name       TEXT NOT NULL DEFAULT '',
    provider_urn        TEXT NOT NULL DEFAULT '',
    provider_ukprn      TEXT NOT NULL DEFAULT '',
    provider_registered TEXT NOT NULL DEFAULT '',
    start_date          TEXT,
    end_date            TEXT,
    hours_at_provider   REAL NOT NULL DEFAULT 0,
    hours_at_school     REAL NOT NULL DEFAULT 0,
    reason              TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX placement_current ON placement (laestab, is_current);
CREATE INDEX placement_pupil ON placement (pupil_id);

CREATE TABLE suspension (
    id                  INTEGER PRIMARY KEY,
    file_id             INTEGER NOT NULL,
    sheet_id            INTEGER NOT NULL,
    row_num             INTEGER NOT NULL,
    laestab             TEXT NOT NULL,
    pupil_id            INTEGER NOT NULL,
    received            TEXT NOT NULL,
    category            TEXT NOT NULL,
    start_date          TEXT NOT NULL,
    sessions            INTEGER NOT NULL DEFAULT 0,
    reason              TEXT NOT NULL DEFAULT '',
    reason2             TEXT NOT NULL DEFAULT '',
    reason3             TEXT NOT NULL DEFAULT '',
    sixth_day_provision TEXT NOT NULL DEFAULT '',
    UNIQUE (pupil_id, start_date, category, laestab)
) STRICT;
-- +goose Down
DROP TABLE suspension;
DROP TABLE placement;
DROP TABLE timetable;
DROP TABLE former_upn;
DROP TABLE pupil;
DROP TABLE issue;
DROP TABLE file_sheet;
DROP TABLE file;
