CREATE VIEW api.system_errors WITH (security_invoker = true) AS
  SELECT * FROM app.system_errors;
COMMENT ON VIEW api.system_errors IS $$Error groups

One row per distinct error (organization + error_hash) with occurrence counts, status and AI
analysis. Org owners and staff see their organization's errors; system admins see all.
Lists at any size are read from an index led by the organization: order=last_seen_at.desc,id.desc
(newest), order=occurrence_count.desc,id.desc (most events) or order=first_seen_at.desc,id.desc, with
any of the status, severity and error_type filters. The next page starts after the last row
(keyset pagination, docs/cli-and-api.md), or use /rpc/list_errors.$$;
GRANT SELECT ON api.system_errors TO staff, org_owner, system_admin;

-- every column but the status token's hash (db/functions/api/800_reports.sql has the queue)
CREATE VIEW api.user_error_reports WITH (security_invoker = true) AS
  SELECT id, report_type, priority, reporter_type, reporter_id, reporter_email, reporter_name, organization_id,
         title, description, steps_to_reproduce, expected_behavior, actual_behavior, url, browser_info, screenshot_urls,
         linked_error_id, status, assigned_to, resolved_at, resolution_notes, created_at, updated_at,
         project_id, event_id, session_id, request_id, link_reason, duplicate_of
    FROM app.user_error_reports;
COMMENT ON VIEW api.user_error_reports IS 'Bug reports and feedback submitted by people, per organization';
GRANT SELECT ON api.user_error_reports TO staff, org_owner, system_admin;

-- (api.error_alerts, writable, is in 700_alerts.sql)

CREATE VIEW api.health_checks WITH (security_invoker = true) AS
  SELECT * FROM app.health_checks;
COMMENT ON VIEW api.health_checks IS 'Health probe results: your organization''s monitors (all of them for system admins)';
GRANT SELECT ON api.health_checks TO staff, org_owner, system_admin;

CREATE VIEW api.system_uptime WITH (security_invoker = true) AS
  SELECT * FROM app.system_uptime;
COMMENT ON VIEW api.system_uptime IS 'Service status intervals: your organization''s monitors (all of them for system admins)';
GRANT SELECT ON api.system_uptime TO staff, org_owner, system_admin;
