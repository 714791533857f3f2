-- Performance (issue 19). A flag run keeps, for each pupil it evaluated, a hash of every fact the
-- rules read about the pupil (rules.PupilHashes), and in flag_context the hash of what every pupil
-- shares (run date, rules configuration, calendar, providers, pme's build). A rerun with the same
-- context evaluates only the pupils whose facts hash changed, and leaves the other cases alone; with
-- the facts' version unchanged too (no file ingested, no reference data loaded, no row deleted
-- since), it reads no facts at all.
-- Anything that writes cases outside a flag run clears flag_context (see Store.SaveCases).
-- +goose Up
CREATE TABLE flag_pupil (
    pupil_id INTEGER PRIMARY KEY,
    facts    INTEGER NOT NULL
) STRICT;
CREATE TABLE flag_context (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    hash  INTEGER NOT NULL,
    facts INTEGER NOT NULL DEFAULT 0 -- Store.FactsVersion when the run ended
) STRICT;
-- +goose Down
DROP TABLE flag_context;
DROP TABLE flag_pupil;
