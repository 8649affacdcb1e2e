-- What the web app reads and writes beyond the other features' views and functions: people,
-- errors awaiting acknowledgement, an error's page, a monitor's page and its writes, and the public
-- status page's history. The web app calls these as the signed-in person (RLS decides), and so
-- may anyone with a token through PostgREST; the CLI calls the same functions.

-- == People ==

-- ids as text, read by app.uuid_of: typed, PostgREST's cast would answer 22P02/22007 before the body runs
CREATE FUNCTION api.create_user(email text, role text, organization_id text DEFAULT NULL, password_hash text DEFAULT NULL,
                                name text DEFAULT NULL) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.user_create(create_user.email, create_user.role, app.uuid_of(create_user.organization_id, 'organization_id'), create_user.password_hash,
                         create_user.name);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.create_user(text, text, text, text, text) IS $$Create a person who may sign in to the web app (system admins)

role: system_admin (no organization), org_owner or staff (in organization_id). password_hash is an
argon2id PHC string (pgwarden user create makes one); without it the user cannot sign in yet.
Returns the user's id; 409 for an e-mail address already taken.

Parameters:
- email: sign-in e-mail address (text)
- role: staff, org_owner or system_admin (text)
- organization_id: the organization (UUID; required except for system admins)
- password_hash: an argon2id hash of the password (text; omitted = cannot sign in with a password)
- name: display name (text)

Errors: QV001 400 (organization_id not a UUID, named in details), QVW01 400 (e-mail, role, organization or hash invalid), QN001 404 (organization not found), 403 for a role other than system_admin (not granted).

Example: curl -X POST "$API/rpc/create_user" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"email": "ana@example.com", "role": "staff", "organization_id": "uuid"}'$$;
GRANT EXECUTE ON FUNCTION api.create_user(text, text, text, text, text) TO system_admin;
GRANT EXECUTE ON FUNCTION app.user_create(text, text, uuid, text, text) TO system_admin;

-- == Errors awaiting acknowledgement ==

-- Unacknowledged: new or recurring (nobody has moved it on since). Since when: its latest change
-- into that status, else its first event.
CREATE VIEW api.unacknowledged_errors WITH (security_invoker = true) AS
  SELECT s.id, s.organization_id, s.message, s.error_type, s.severity, s.status, s.occurrence_count, s.first_seen_at,
         s.last_seen_at, a.unacknowledged_since, t.response_target, now() - a.unacknowledged_since AS unacknowledged_for,
         now() - a.unacknowledged_since > t.response_target AS overdue
    FROM app.system_errors s
    LEFT JOIN app.severity_response_targets t ON t.severity = s.severity
   CROSS JOIN LATERAL (SELECT coalesce((SELECT max(h.changed_at) FROM app.error_status_history h
                                         WHERE h.error_id = s.id AND h.to_status = s.status),
                                       s.first_seen_at) AS unacknowledged_since) AS a
   WHERE s.status IN ('new', 'recurring');
COMMENT ON VIEW api.unacknowledged_errors IS $$New and regressed errors nobody has acknowledged yet, against the response targets

unacknowledged_since is when the error became new or recurring; response_target comes from the
spec's severity levels (critical 15 minutes, error 1 hour, warning 4 hours, info 24 hours; debug
none) and overdue says whether it has been waiting longer than that.$$;
GRANT SELECT ON api.unacknowledged_errors TO staff, org_owner, system_admin;

-- == Events per hour of error groups (the errors list's sparklines) ==

CREATE FUNCTION api.error_hourly_counts(organization_ids uuid[], error_hashes text[], hours integer DEFAULT 24)
RETURNS TABLE (organization_id uuid, error_hash text, bucket timestamptz, events bigint)
LANGUAGE sql STABLE AS $$
  SELECT c.* FROM app.error_hourly_counts(error_hourly_counts.organization_ids, error_hourly_counts.error_hashes,
                                          least(greatest(coalesce(error_hourly_counts.hours, 24), 1), 24 * 90)) AS c
$$;
COMMENT ON FUNCTION api.error_hourly_counts(uuid[], text[], integer) IS $$Events per hour of error groups

The groups named by organization_ids and error_hashes (pairs, as in /error_groups), per UTC hour over
the last hours hours (1 to 2160, default 24; the current hour so far included); hours without events
are left out. Exact and current: the hourly rollup, then the minute counts since its last fold. Groups
you cannot see count nothing.

Parameters:
- organization_ids: organizations of the groups (array of UUIDs, paired with error_hashes)
- error_hashes: the groups' error hashes (array of text)
- hours: hours back from now (integer, default 24, kept within 1 to 2160)

Errors: QA042 401 (no token), QR002 429 (timeout).

Example: curl -X POST "$API/rpc/error_hourly_counts" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"organization_ids": ["uuid"], "error_hashes": ["3f2a..."], "hours": 24}'$$;
GRANT EXECUTE ON FUNCTION api.error_hourly_counts(uuid[], text[], integer) TO staff, org_owner, system_admin;

-- == Filters of the errors list that events hold ==

-- Project, environment and release are properties of events, not of groups: a group matches when
-- one of its events does. Read from where each group was seen (app.error_group_releases, one row
-- per group and combination), not from the events. A set of groups for the list to semi-join
-- ((organization_id, error_hash) IN ...): SQL, so it is inlined.
CREATE FUNCTION api.error_groups_seen_in(project_id bigint DEFAULT NULL, environment text DEFAULT NULL,
                                         release text DEFAULT NULL)
RETURNS TABLE (organization_id uuid, error_hash varchar)
LANGUAGE sql STABLE AS $$
  SELECT g.organization_id, g.error_hash FROM app.error_group_releases g
   WHERE (error_groups_seen_in.project_id IS NULL OR g.project_id = error_groups_seen_in.project_id)
     AND (error_groups_seen_in.environment IS NULL OR g.environment = error_groups_seen_in.environment)
     AND (error_groups_seen_in.release IS NULL OR g.release = error_groups_seen_in.release)
$$;
COMMENT ON FUNCTION api.error_groups_seen_in(bigint, text, text) IS $$Error groups with an event of a project, environment and release

(organization_id, error_hash) of each group with a matching event (a group once per matching
combination: use it as a set). Each filter left NULL matches any; all given filters hold for the
same event. Groups you cannot see are not listed.

Parameters:
- project_id: only this project (integer)
- environment: only this environment, e.g. production (text)
- release: only this release (text)

Errors: QA042 401 (no token).

Example: curl -X POST "$API/rpc/error_groups_seen_in" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"environment": "production", "release": "1.4.2"}'$$;
GRANT EXECUTE ON FUNCTION api.error_groups_seen_in(bigint, text, text) TO staff, org_owner, system_admin;

-- == An error's page ==

-- error_id as text, read by app.uuid_of: typed uuid, PostgREST's cast would answer 22P02 first
CREATE FUNCTION api.get_error_detail(error_id text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.error_detail_page(app.uuid_of(get_error_detail.error_id, 'error_id'));
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.get_error_detail(text) IS $$One error group with everything its page shows

The group's columns plus users_affected, events_last_24h, status_history, assignee ({id, email,
name} of assigned_to), assignment_history (from, to, changed_by as e-mail addresses), frames (the latest
event's stack, oldest first, each with in_app), series (events per hour over 7 days), breakdowns
(top 5 browsers, operating systems, devices, URLs, releases and environments among the latest
2000 events) and events (the latest 10, with their scrubbed metadata). 404 for an error you
cannot see.

Parameters:
- error_id: the error group (UUID)

Errors: QV001 400 (error_id is not a UUID), QN001 404 (error not found or not yours).

Example: curl -X POST "$API/rpc/get_error_detail" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"error_id": "uuid"}'$$;
GRANT EXECUTE ON FUNCTION api.get_error_detail(text) TO staff, org_owner, system_admin;

-- == A monitor's page and its writes ==

CREATE FUNCTION api.get_health_monitor(monitor_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.health_monitor_page(get_health_monitor.monitor_id);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.get_health_monitor(bigint) IS $$One health monitor with everything its page shows

{monitor (its settings; the target only for system admins), summary (as in get_health_summary),
uptime {24h, 7d, 30d, 90d}, checks (the last 24 hours: checked_at, status, response_time_ms),
days (90 UTC days: uptime and seconds per status), incidents (the latest 20 intervals not
operational), maintenance (windows of the last 90 days and planned)}. 404 for a monitor you cannot see.

Parameters:
- monitor_id: the monitor (integer)

Errors: QN501 404 (monitor not found or not visible to you).

Example: curl -X POST "$API/rpc/get_health_monitor" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"monitor_id": 1}'$$;
GRANT EXECUTE ON FUNCTION api.get_health_monitor(bigint) TO staff, org_owner, system_admin;

CREATE FUNCTION api.create_health_monitor(spec jsonb) RETURNS bigint
LANGUAGE sql AS $$ SELECT app.health_monitor_add(create_health_monitor.spec) $$;
COMMENT ON FUNCTION api.create_health_monitor(jsonb) IS $$Create a health monitor (system admins)

spec: service_name and check_type (api, webhook, database, stripe, embed, email, sms, external)
are required; probe, display_name, endpoint, target (e.g. {"url": ...}), expected (status_codes,
body_contains, json_path + json_equals, max_response_time_ms, min_tls_days, max_age_seconds),
interval_seconds, timeout_seconds, failure_threshold, success_threshold, outage_status, enabled,
is_public and organization_id are optional. Returns its id; 400 for invalid settings, 409 for a
service name taken.

Parameters:
- spec: the monitor as one JSON object with the keys above (jsonb); times in seconds (interval_seconds, timeout_seconds)

Errors: QV002 400 (service_name or check_type missing), QV501 400 (a setting invalid or the service name taken, named in details), 403 for a role other than system_admin (not granted).

Example: curl -X POST "$API/rpc/create_health_monitor" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"spec": {"service_name": "site", "check_type": "external", "target": {"url": "https://example.com"}, "interval_seconds": 60}}'$$;
GRANT EXECUTE ON FUNCTION api.create_health_monitor(jsonb) TO system_admin;

CREATE FUNCTION api.update_health_monitor(monitor_id bigint, changes jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  PERFORM app.health_monitor_update(update_health_monitor.monitor_id, update_health_monitor.changes);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
END $$;
COMMENT ON FUNCTION api.update_health_monitor(bigint, jsonb) IS $$Change a health monitor's settings (system admins)

changes: any of display_name, endpoint, target, expected, interval_seconds, timeout_seconds,
failure_threshold, success_threshold, outage_status, is_public. Validated as a new monitor is.

Parameters:
- monitor_id: the monitor (integer)
- changes: the settings to change, same keys as create_health_monitor's spec (jsonb)

Errors: QV501 400 (a setting invalid), QN501 404 (monitor not found).

Example: curl -X POST "$API/rpc/update_health_monitor" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"monitor_id": 1, "changes": {"interval_seconds": 300}}'$$;
GRANT EXECUTE ON FUNCTION api.update_health_monitor(bigint, jsonb) TO system_admin;

CREATE FUNCTION api.set_health_monitor_enabled(monitor_id bigint, enabled boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  PERFORM app.health_monitor_set_enabled(set_health_monitor_enabled.monitor_id, set_health_monitor_enabled.enabled);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
END $$;
COMMENT ON FUNCTION api.set_health_monitor_enabled(bigint, boolean) IS $$Pause (false) or resume (true) a health monitor (system admins)

A paused monitor is not probed and its time counts as unknown, neither up nor down.

Parameters:
- monitor_id: the monitor (integer)
- enabled: false to pause, true to resume (boolean)

Errors: QN501 404 (monitor not found).

Example: curl -X POST "$API/rpc/set_health_monitor_enabled" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"monitor_id": 1, "enabled": false}'$$;
GRANT EXECUTE ON FUNCTION api.set_health_monitor_enabled(bigint, boolean) TO system_admin;

CREATE FUNCTION api.delete_health_monitor(monitor_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  PERFORM app.health_monitor_delete(delete_health_monitor.monitor_id);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
END $$;
COMMENT ON FUNCTION api.delete_health_monitor(bigint) IS $$Delete a health monitor with its checks, uptime and maintenance (system admins)

Parameters:
- monitor_id: the monitor (integer)

Errors: QN501 404 (monitor not found).

Example: curl -X POST "$API/rpc/delete_health_monitor" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"monitor_id": 1}'$$;
GRANT EXECUTE ON FUNCTION api.delete_health_monitor(bigint) TO system_admin;

-- times as text, read by app.moment: typed, PostgREST's cast would answer 22P02/22007 before the body runs
CREATE FUNCTION api.add_maintenance_window(monitor_id bigint, starts_at text, ends_at text,
                                           reason text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.health_maintenance_add(add_maintenance_window.monitor_id, app.moment(add_maintenance_window.starts_at, 'starts_at'),
                                    app.moment(add_maintenance_window.ends_at, 'ends_at'), nullif(btrim(add_maintenance_window.reason), ''),
                                    app.current_user_id());
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.add_maintenance_window(bigint, text, text, text) IS $$Plan maintenance for a monitor (system admins)

Probes keep running; the window counts neither as up nor as down. Public monitors show it, and
its reason, on the status page. Returns the window's id.

Parameters:
- monitor_id: the monitor (integer)
- starts_at: start (timestamptz, ISO 8601)
- ends_at: end, after starts_at (timestamptz, ISO 8601)
- reason: shown on the status page (text)

Errors: QV001 400 (starts_at or ends_at not a time, named in details), QV501 400 (ends before it starts), QN501 404 (monitor not found).

Example: curl -X POST "$API/rpc/add_maintenance_window" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"monitor_id": 1, "starts_at": "2026-12-07T02:00:00Z", "ends_at": "2026-12-07T03:00:00Z", "reason": "upgrade"}'$$;
GRANT EXECUTE ON FUNCTION api.add_maintenance_window(bigint, text, text, text) TO system_admin;

-- == The public status page's history ==

CREATE FUNCTION api.get_status_history() RETURNS jsonb
LANGUAGE sql STABLE AS $$ SELECT app.health_status_history(now()) $$;
COMMENT ON FUNCTION api.get_status_history() IS $$Maintenance and incident history of the public status page (no login needed)

{generated_at, maintenance: [{service, name, starts_at, ends_at, reason, active}] in progress or
planned, incidents: [{service, name, status, started_at, ended_at, duration_seconds}] of the last
90 days, newest first}, for the components get_status_page shows.

Errors: none specific (public; QR002 429 on timeout).

Example: curl -X POST "$API/rpc/get_status_history" -H "Content-Type: application/json" -d '{}'$$;
GRANT EXECUTE ON FUNCTION api.get_status_history() TO anon, staff, org_owner, system_admin;
