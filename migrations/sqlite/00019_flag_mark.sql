-- Performance (issue 19). Where the facts stood when the last flag run read them (Store.FactsMark):
-- the highest file id it saw and how many files it saw, how many former UPNs, how many pupils and
-- the highest pupil id, and a hash of what
-- the pupils share besides the run's context (school names, reduced-timetable returns, social care
-- matches, attendance). A rerun in the same context then reads the facts only of the pupils that a
-- file since has touched (FlagRun.ChangedSince), instead of every pupil's to compare their hashes.
-- mark_file is NULL when no run has stored a mark.
-- +goose Up
ALTER TABLE flag_context ADD COLUMN mark_file INTEGER;
ALTER TABLE flag_context ADD COLUMN mark_files INTEGER NOT NULL DEFAULT 0;
ALTER TABLE flag_context ADD COLUMN mark_former INTEGER NOT NULL DEFAULT 0;
ALTER TABLE flag_context ADD COLUMN mark_shared INTEGER NOT NULL DEFAULT 0;
ALTER TABLE flag_context ADD COLUMN mark_pupils INTEGER NOT NULL DEFAULT 0;
ALTER TABLE flag_context ADD COLUMN mark_last_pupil INTEGER NOT NULL DEFAULT 0;
-- +goose Down
ALTER TABLE flag_context DROP COLUMN mark_last_pupil;
ALTER TABLE flag_context DROP COLUMN mark_pupils;
ALTER TABLE flag_context DROP COLUMN mark_shared;
ALTER TABLE flag_context DROP COLUMN mark_former;
ALTER TABLE flag_context DROP COLUMN mark_files;
ALTER TABLE flag_context DROP COLUMN mark_file;
