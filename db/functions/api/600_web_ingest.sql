-- What pgwarden web counts besides errors: SDK-side drops, dropped items, release health, cron
-- check-ins; and the webhook secret of a project.

-- == Views ==

CREATE VIEW api.client_discards WITH (security_invoker = true) AS
  SELECT organization_id, project_id, hour, reason, category, quantity FROM app.client_discards;
COMMENT ON VIEW api.client_discards IS $$Events your SDKs dropped before sending

From the SDKs' client reports, per project, hour, reason (ratelimit_backoff, network_error,
sample_rate, before_send, queue_overflow ...) and data category (error, session, transaction ...).$$;
GRANT SELECT ON api.client_discards TO staff, org_owner, system_admin;

CREATE VIEW api.dropped_items WITH (security_invoker = true) AS
  SELECT organization_id, project_id, hour, item_type, quantity FROM app.dropped_items;
COMMENT ON VIEW api.dropped_items IS $$Envelope items accepted but not kept

Transactions, attachments, spans, replays, profiles and other Sentry item types pgwarden does not
store, counted per project, hour and type.$$;
GRANT SELECT ON api.dropped_items TO staff, org_owner, system_admin;

CREATE VIEW api.release_health WITH (security_invoker = true) AS
  WITH counts AS (
    SELECT organization_id, project_id, release, environment, count(*) AS sessions,
           count(*) FILTER (WHERE status = 'crashed') AS crashed,
           count(*) FILTER (WHERE status = 'abnormal') AS abnormal,
           count(*) FILTER (WHERE status NOT IN ('crashed', 'abnormal') AND (errors > 0 OR status IN ('errored', 'unhandled'))) AS errored,
           max(updated_at) AS last_seen_at
      FROM app.client_sessions
     GROUP BY organization_id, project_id, release, environment
    UNION ALL
    SELECT organization_id, project_id, release, environment, sum(exited + errored + abnormal + crashed),
           sum(crashed), sum(abnormal), sum(errored), max(hour)
      FROM app.client_session_aggregates
     GROUP BY organization_id, project_id, release, environment
  )
  SELECT organization_id, project_id, release, environment,
         sum(sessions)::bigint AS sessions, sum(errored)::bigint AS errored, sum(abnormal)::bigint AS abnormal,
         sum(crashed)::bigint AS crashed,
         round(100 * (1 - sum(crashed) / nullif(sum(sessions), 0)), 2) AS crash_free_percent,
         max(last_seen_at) AS last_seen_at
    FROM counts
   GROUP BY organization_id, project_id, release, environment;
COMMENT ON VIEW api.release_health IS $$Sessions and crash-free rate per release

From the SDKs' session and sessions items: sessions, errored (had errors, did not crash),
abnormal, crashed, and crash_free_percent = 100 * (1 - crashed / sessions).$$;
GRANT SELECT ON api.release_health TO staff, org_owner, system_admin;

CREATE VIEW api.cron_check_ins WITH (security_invoker = true) AS
  SELECT organization_id, project_id, monitor_slug, check_in_id, status, duration_seconds, environment, release,
         monitor_config, started_at, updated_at
    FROM app.cron_check_ins;
COMMENT ON VIEW api.cron_check_ins IS $$Cron monitor check-ins

Heartbeats sent by the SDKs' cron monitoring (sentry_sdk.crons): one row per check-in id with its
latest status (in_progress, ok, error) and duration.$$;
GRANT SELECT ON api.cron_check_ins TO staff, org_owner, system_admin;

-- == Functions ==

CREATE FUNCTION api.create_webhook_secret(project_id bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  -- row-level security hides other organizations' projects: they read as not found
  IF NOT EXISTS (SELECT FROM app.projects p WHERE p.id = create_webhook_secret.project_id) THEN
    RAISE EXCEPTION 'project % not found', create_webhook_secret.project_id USING ERRCODE = 'QN601',
      DETAIL = 'Field: project_id.', HINT = 'Use the id of a project of your organization.';
  END IF;
  RETURN app.webhook_secret_rotate(create_webhook_secret.project_id);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.create_webhook_secret(bigint) IS $$Create or replace a project's error-webhook secret

Returns the secret once. Senders authenticate POST /functions/v1/error-webhook with it
(Authorization: Bearer <secret>); Vercel log drains sign their bodies with it.

Parameters:
- project_id: the project (integer)

Errors: QN601 404 (project not found or not yours).

Example: curl -X POST "$API/rpc/create_webhook_secret" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"project_id": 1}'$$;
GRANT EXECUTE ON FUNCTION api.create_webhook_secret(bigint) TO org_owner, system_admin;
