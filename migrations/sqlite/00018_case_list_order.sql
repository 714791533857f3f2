-- The web's case list pages through the open cases in their default order, worst first
-- (store.severityRank, then id): without an index on that order every page sorted all the open
-- cases (a third of the CPU of 20 clients over 10,000 cases on SQLite). The expression must stay
-- the same as severityRank's for the planners to use it.
-- +goose Up
CREATE INDEX cases_open_rank ON cases ((CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END), id) WHERE status <> 'closed';
-- +goose Down
DROP INDEX cases_open_rank;
