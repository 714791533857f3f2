-- The web application (web.md): the people who may sign in, their sessions (stored as token hashes,
-- so a copy of the database signs nobody in) and every sign-in attempt (lock-out, per-address
-- throttling and the admin's audit of sign-ins). Sessions live here, not in memory, so that
-- several `pme serve` replicas can stand behind one load balancer.
-- +goose Up
CREATE TABLE app_user (
    id            BIGSERIAL PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created       TIMESTAMPTZ NOT NULL,
    failures      INTEGER NOT NULL DEFAULT 0,
    locked_until  TIMESTAMPTZ
);
CREATE TABLE web_session (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES app_user (id),
    created    TIMESTAMPTZ NOT NULL,
    last_seen  TIMESTAMPTZ NOT NULL
);
CREATE INDEX web_session_user ON web_session (user_id);
CREATE TABLE sign_in_attempt (
    id      BIGSERIAL PRIMARY KEY,
    at      TIMESTAMPTZ NOT NULL,
    email   TEXT NOT NULL,
    user_id BIGINT,
    address TEXT NOT NULL,
    ok      BOOLEAN NOT NULL,
    reason  TEXT NOT NULL
);
CREATE INDEX sign_in_attempt_address ON sign_in_attempt (address, at);
-- One row per form sent: a form carries a one-time token, so that a double click or a resent
-- page does the action once.
CREATE TABLE web_form (
    token   TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    used_at TIMESTAMPTZ NOT NULL
);
-- +goose Down
DROP TABLE web_form;
DROP TABLE sign_in_attempt;
DROP TABLE web_session;
DROP TABLE app_user;
