-- Where each audited write came from (issue 8: "who, when, what, from where"): the
-- client's address for API calls, 'cli:<OS user>' for the command line. Rows written
-- before this migration have ''.
ALTER TABLE audit_log ADD COLUMN source text NOT NULL DEFAULT '';

-- GET /api/v1/audit pages newest first by id, optionally for one actor, action or town.
CREATE INDEX audit_log_actor_id ON audit_log (actor, id);
CREATE INDEX audit_log_action_id ON audit_log (action, id);
CREATE INDEX audit_log_town_id ON audit_log (town, id);
CREATE INDEX audit_log_at ON audit_log (at);
