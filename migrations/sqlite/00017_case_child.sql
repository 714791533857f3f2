-- The Case page names the social worker of the child's open plan (web.md), matched as the rules
-- match, over only the plans that could bear on one child: those of the social care children with
-- a plan carrying the child's UPN or date of birth (Store.PlanCandidates). No index on pupil (dob):
-- it would slow every ingest for one lookup a page, which a scan of pupil does in milliseconds.
-- +goose Up
CREATE INDEX social_care_plan_dob ON social_care_plan (dob);
CREATE INDEX social_care_plan_child ON social_care_plan (child_id);
-- +goose Down
DROP INDEX social_care_plan_child;
DROP INDEX social_care_plan_dob;
