-- Attendance registers (attendance.md): kept lean, what the attendance rules need and no more.
-- att_mark holds a pupil's two session marks at a school on a school day, one row a day (a county
-- of 120,000 pupils makes about 22 million a year): marks are events keyed by (pupil, school, day)
-- and a re-sent mark replaces the one held, session by session. att_summary holds session counts
-- by code over a period; a later summary for the same pupil, school and period replaces it.
-- att_sheet records an attendance extract's sheets beside file_sheet (whose return types are the
-- three returns), so that an extract is a file like any other: one transaction, recognised by its
-- hash on a rerun. LAESTAB is an integer here (seven digits, never a leading zero) to keep the
-- rows narrow. No foreign keys, as for the returns' records (00001): only the store writes them.
-- +goose Up
CREATE TABLE att_mark (
    pupil_id BIGINT NOT NULL,
    laestab  INTEGER NOT NULL,
    day      DATE NOT NULL,
    am       TEXT COLLATE "C" NOT NULL DEFAULT '',
    pm       TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (pupil_id, laestab, day)
);

CREATE TABLE att_summary (
    pupil_id  BIGINT NOT NULL,
    laestab   INTEGER NOT NULL,
    from_date DATE NOT NULL,
    to_date   DATE NOT NULL,
    possible  INTEGER NOT NULL,
    counts    TEXT NOT NULL DEFAULT '', -- "C2=4 E=2 /=30": code=sessions, space-separated
    file_id   BIGINT NOT NULL,
    PRIMARY KEY (pupil_id, laestab, from_date, to_date)
);

CREATE TABLE att_sheet (
    file_id     BIGINT NOT NULL REFERENCES file (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    sheet       TEXT NOT NULL,
    shape       TEXT NOT NULL CHECK (shape IN ('attendance-marks', 'attendance-marks-wide', 'attendance-summary')),
    school      TEXT NOT NULL DEFAULT '',
    schools     TEXT NOT NULL DEFAULT '',
    header_row  INTEGER NOT NULL DEFAULT 0,
    rows        INTEGER NOT NULL DEFAULT 0,
    accepted    INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0,
    skipped     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (file_id, position)
);
-- +goose Down
DROP TABLE att_sheet;
DROP TABLE att_summary;
DROP TABLE att_mark;
