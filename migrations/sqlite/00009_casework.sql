-- Casework (casework.md): what the practitioner decides about a case and what comes back. Every
-- table is append-only (triggers refuse UPDATE and DELETE): a later record supersedes an earlier
-- one, nothing is edited in place, and each row says who and when. Free text (action and note
-- text, reasons, reply notes) lives only here, never in the audit log or the logs.
-- agenda and decision_applied make `pme load decisions` idempotent: the same file twice changes
-- nothing. No foreign keys to cases or letters beyond the ids: the records outlive what raised them.
-- +goose Up
CREATE TABLE case_action (
    id           TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL,
    text         TEXT NOT NULL,
    owner        TEXT NOT NULL,
    due          TEXT,
    meeting      TEXT NOT NULL DEFAULT '' CHECK (meeting IN ('', 'coos', 'vcec')),
    meeting_date TEXT,
    facts_of     TEXT,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;
CREATE INDEX case_action_case ON case_action (case_id);
CREATE TABLE case_action_event (
    id         INTEGER PRIMARY KEY,
    action_id  TEXT NOT NULL REFERENCES case_action (id),
    status     TEXT NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX case_action_event_action ON case_action_event (action_id, id);
CREATE TABLE case_note (
    id         INTEGER PRIMARY KEY,
    case_id    TEXT NOT NULL,
    text       TEXT NOT NULL,
    facts_of   TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX case_note_case ON case_note (case_id, id);
CREATE TABLE case_handling (
    id         INTEGER PRIMARY KEY,
    case_id    TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('unreviewed', 'in-hand', 'escalated', 'no-further-action')),
    review     TEXT,
    reason     TEXT NOT NULL DEFAULT '',
    day        TEXT NOT NULL,
    source     TEXT NOT NULL DEFAULT '',
    facts_of   TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX case_handling_case ON case_handling (case_id, id);
CREATE TABLE case_owner (
    id         INTEGER PRIMARY KEY,
    case_id    TEXT NOT NULL,
    owner      TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX case_owner_case ON case_owner (case_id, id);
CREATE TABLE letter_reply (
    id         INTEGER PRIMARY KEY,
    letter_id  TEXT NOT NULL REFERENCES letter (id),
    received   TEXT NOT NULL,
    assurance  TEXT NOT NULL CHECK (assurance IN ('adequate', 'partial', 'inadequate')),
    note       TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX letter_reply_letter ON letter_reply (letter_id, id);
-- One reminder per letter: the primary key refuses a second.
CREATE TABLE letter_reminder (
    letter_id     TEXT PRIMARY KEY REFERENCES letter (id),
    reminder_date TEXT NOT NULL,
    file          TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL
) STRICT;
CREATE TABLE agenda (
    id           TEXT PRIMARY KEY,
    meeting      TEXT NOT NULL CHECK (meeting IN ('coos', 'vcec')),
    meeting_date TEXT NOT NULL,
    facts_as_of  TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;
-- A decision row applied from an agenda, by the hash of what it decided: loading the same file
-- again finds every row here and changes nothing.
CREATE TABLE decision_applied (
    agenda_id  TEXT NOT NULL REFERENCES agenda (id),
    row_key    TEXT NOT NULL,
    row_num    INTEGER NOT NULL,
    case_id    TEXT NOT NULL,
    decision   TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (agenda_id, row_key)
) STRICT;
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    person    TEXT NOT NULL,
    action    TEXT NOT NULL,
    case_id   TEXT NOT NULL DEFAULT '',
    letter_id TEXT NOT NULL DEFAULT '',
    upn       TEXT NOT NULL DEFAULT '',
    detail    TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_log_case ON audit_log (case_id);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TRIGGER case_action_append_only_u BEFORE UPDATE ON case_action BEGIN SELECT RAISE(ABORT, 'case_action is append-only'); END;
CREATE TRIGGER case_action_append_only_d BEFORE DELETE ON case_action BEGIN SELECT RAISE(ABORT, 'case_action is append-only'); END;
CREATE TRIGGER case_action_event_append_only_u BEFORE UPDATE ON case_action_event BEGIN SELECT RAISE(ABORT, 'case_action_event is append-only'); END;
CREATE TRIGGER case_action_event_append_only_d BEFORE DELETE ON case_action_event BEGIN SELECT RAISE(ABORT, 'case_action_event is append-only'); END;
CREATE TRIGGER case_note_append_only_u BEFORE UPDATE ON case_note BEGIN SELECT RAISE(ABORT, 'case_note is append-only'); END;
CREATE TRIGGER case_note_append_only_d BEFORE DELETE ON case_note BEGIN SELECT RAISE(ABORT, 'case_note is append-only'); END;
CREATE TRIGGER case_handling_append_only_u BEFORE UPDATE ON case_handling BEGIN SELECT RAISE(ABORT, 'case_handling is append-only'); END;
CREATE TRIGGER case_handling_append_only_d BEFORE DELETE ON case_handling BEGIN SELECT RAISE(ABORT, 'case_handling is append-only'); END;
CREATE TRIGGER case_owner_append_only_u BEFORE UPDATE ON case_owner BEGIN SELECT RAISE(ABORT, 'case_owner is append-only'); END;
CREATE TRIGGER case_owner_append_only_d BEFORE DELETE ON case_owner BEGIN SELECT RAISE(ABORT, 'case_owner is append-only'); END;
CREATE TRIGGER letter_reply_append_only_u BEFORE UPDATE ON letter_reply BEGIN SELECT RAISE(ABORT, 'letter_reply is append-only'); END;
CREATE TRIGGER letter_reply_append_only_d BEFORE DELETE ON letter_reply BEGIN SELECT RAISE(ABORT, 'letter_reply is append-only'); END;
CREATE TRIGGER letter_reminder_append_only_u BEFORE UPDATE ON letter_reminder BEGIN SELECT RAISE(ABORT, 'letter_reminder is append-only'); END;
CREATE TRIGGER letter_reminder_append_only_d BEFORE DELETE ON letter_reminder BEGIN SELECT RAISE(ABORT, 'letter_reminder is append-only'); END;
CREATE TRIGGER agenda_append_only_u BEFORE UPDATE ON agenda BEGIN SELECT RAISE(ABORT, 'agenda is append-only'); END;
CREATE TRIGGER agenda_append_only_d BEFORE DELETE ON agenda BEGIN SELECT RAISE(ABORT, 'agenda is append-only'); END;
CREATE TRIGGER decision_applied_append_only_u BEFORE UPDATE ON decision_applied BEGIN SELECT RAISE(ABORT, 'decision_applied is append-only'); END;
CREATE TRIGGER decision_applied_append_only_d BEFORE DELETE ON decision_applied BEGIN SELECT RAISE(ABORT, 'decision_applied is append-only'); END;
CREATE TRIGGER audit_log_append_only_u BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_append_only_d BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
-- +goose Down
DROP TABLE audit_log;
DROP TABLE decision_applied;
DROP TABLE agenda;
DROP TABLE letter_reminder;
DROP TABLE letter_reply;
DROP TABLE case_owner;
DROP TABLE case_handling;
DROP TABLE case_note;
DROP TABLE case_action_event;
DROP TABLE case_action;
