-- The web application (web.md): the people who may sign in, their sessions (stored as token hashes,
-- so a copy of the database signs nobody in) and every sign-in attempt (lock-out, per-address
-- throttling and the admin's audit of sign-ins).
-- +goose Up
CREATE TABLE app_user (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created       TEXT NOT NULL,
    failures      INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT
) STRICT;
CREATE TABLE web_session (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES app_user (id),
    created    TEXT NOT NULL,
    last_seen  TEXT NOT NULL
) STRICT;
CREATE INDEX web_session_user ON web_session (user_id);
CREATE TABLE sign_in_attempt (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    email   TEXT NOT NULL,
    user_id INTEGER,
    address TEXT NOT NULL,
    ok      INTEGER NOT NULL,
    reason  TEXT NOT NULL
) STRICT;
CREATE INDEX sign_in_attempt_address ON sign_in_attempt (address, at);
-- One row per form sent: a form carries a one-time token, so that a double click or a resent
-- page does the action once.
CREATE TABLE web_form (
    token   TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL,
    used_at TEXT NOT NULL
) STRICT;
-- +goose Down
DROP TABLE web_form;
DROP TABLE sign_in_attempt;
DROP TABLE web_session;
DROP TABLE app_user;
