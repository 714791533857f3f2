-- The letter ledger: every assurance letter made, with the episode it is about (one letter per
-- provision episode, so a rerun sends nothing new), why it was made, the template and font it was
-- printed with, a snapshot of everything it printed and the PDF's SHA-256: enough to print it again
-- byte for byte (`pme letters --reprint`). Templates are kept once per version, by hash.
-- No foreign key to pupils or cases: a letter sent stays on record whatever is loaded later.
-- The snapshot is TEXT, not JSONB: JSONB reorders keys, and a reprint wants what was recorded.
-- +goose Up
CREATE TABLE letter_template (
    hash TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE letter (
    id             TEXT PRIMARY KEY,
    episode_key    TEXT NOT NULL UNIQUE,
    upn            TEXT NOT NULL,
    laestab        TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('reduced-timetable', 'alternative-provision')),
    letter_date    DATE NOT NULL,
    trigger_reason TEXT NOT NULL DEFAULT '',
    template_hash  TEXT NOT NULL REFERENCES letter_template (hash),
    font_hash      TEXT NOT NULL,
    episode        TEXT NOT NULL,
    snapshot       TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    file           TEXT NOT NULL,
    created        TIMESTAMPTZ NOT NULL
);
CREATE INDEX letter_day ON letter (letter_date);
CREATE INDEX letter_pupil ON letter (upn, laestab);
-- +goose Down
DROP TABLE letter;
DROP TABLE letter_template;
