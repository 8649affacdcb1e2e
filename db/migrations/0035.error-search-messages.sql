-- 0035: message search moves to a table of its own, written once per group (app.error_messages),
-- and the trigram index of app.system_errors goes: since the list indexes of 0030 hold
-- last_seen_at, every event's update of its group wrote that GIN index again (about half of an
-- event's cost).

-- ---- as in db/schema/368_error_search.sql
CREATE TABLE app.error_messages (
  error_id        uuid PRIMARY KEY REFERENCES app.system_errors (id) ON DELETE CASCADE,
  organization_id uuid NOT NULL,
  message         text NOT NULL
);
COMMENT ON TABLE app.error_messages IS
  'The message of each error group, for text search (ILIKE ''%…%'' and pg_trgm similarity): written once, never updated';
INSERT INTO app.error_messages (error_id, organization_id, message)
SELECT s.id, s.organization_id, s.message FROM app.system_errors s ORDER BY s.id;
CREATE INDEX idx_error_messages_trgm ON app.error_messages USING gin (message gin_trgm_ops);

ALTER TABLE app.error_messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_messages_system_admin ON app.error_messages FOR SELECT TO system_admin USING (true);
CREATE POLICY error_messages_own_org ON app.error_messages FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.error_messages TO staff, org_owner, system_admin;

-- ---- as in db/schema/330_capture.sql
DROP INDEX app.idx_errors_message_trgm;
