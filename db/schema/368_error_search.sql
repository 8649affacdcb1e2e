-- Message search: each group's message (it never changes after the group is created) and its
-- trigram index, in a table of their own. On app.system_errors that index was written again by
-- every event of a known group: the list indexes hold last_seen_at (365_error_lists.sql), so no
-- update of a group is HOT, and the message's trigram entries were about half of an event's cost.
-- Written once per group: app.error_messages_add (capture's fold, unmerge).
CREATE TABLE app.error_messages (
  error_id        uuid PRIMARY KEY REFERENCES app.system_errors (id) ON DELETE CASCADE,
  organization_id uuid NOT NULL,
  message         text NOT NULL
);
COMMENT ON TABLE app.error_messages IS
  'The message of each error group, for text search (ILIKE ''%…%'' and pg_trgm similarity): written once, never updated';
CREATE INDEX idx_error_messages_trgm ON app.error_messages USING gin (message gin_trgm_ops);

ALTER TABLE app.error_messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_messages_system_admin ON app.error_messages FOR SELECT TO system_admin USING (true);
CREATE POLICY error_messages_own_org ON app.error_messages FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.error_messages TO staff, org_owner, system_admin;
