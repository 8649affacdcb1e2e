-- 0029: the errors list in every group and by assignee: the most-users list goes on with the
-- groups without users, newest id first, and a person's groups are read from their own index,
-- both led by organization_id like the other list indexes.

-- ---- as in db/schema/365_error_lists.sql
CREATE INDEX idx_errors_org_id ON app.system_errors (organization_id, id DESC);
CREATE INDEX idx_errors_org_assignee ON app.system_errors (organization_id, assigned_to, last_seen_band DESC)
  WHERE assigned_to IS NOT NULL;
