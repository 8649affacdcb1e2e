-- The operator's view of alerting (pgwarden alerts ...): rules with their destinations, muting,
-- deleting, and the delivery history with every attempt. Invoker rights: the command line
-- connects as the stack's superuser; an API role would see only what row-level security allows.

CREATE OR REPLACE FUNCTION app.alert_rule_list(p_organization_id uuid DEFAULT NULL)
RETURNS TABLE (id uuid, organization_id uuid, name text, alert_type app.alert_type_enum, channel text,
               destinations text, is_active boolean, muted_until timestamptz, trigger_count integer,
               last_triggered_at timestamptz, open_signals bigint)
LANGUAGE sql STABLE AS $$
  SELECT r.id, r.organization_id, r.name::text, r.alert_type, app.alert_delivery_channel(r.channel, r.webhook_format),
         (SELECT string_agg(d.label || CASE WHEN d.broken_at IS NOT NULL THEN ' [broken: ' || coalesce(d.broken_reason, '?') || ']'
                                            ELSE '' END, ', ' ORDER BY d.id)
            FROM app.alert_destinations d WHERE d.rule_id = r.id),
         r.is_active, CASE WHEN r.muted_until > now() THEN r.muted_until END, r.trigger_count, r.last_triggered_at,
         (SELECT count(*) FROM app.alert_signals s WHERE s.rule_id = r.id AND s.resolved_at IS NULL)
    FROM app.error_alerts r
   WHERE p_organization_id IS NULL OR r.organization_id = p_organization_id
   ORDER BY r.created_at, r.id
$$;
COMMENT ON FUNCTION app.alert_rule_list(uuid) IS 'Alert rules with their destinations (broken ones marked), state and firings';

-- p_until: a duration from now (30m, 2 hours, 1 day), a time (RFC 3339), or now / off to unmute.
CREATE OR REPLACE FUNCTION app.alert_rule_mute(p_rule_id uuid, p_until text) RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE
  v_until timestamptz;
BEGIN
  IF lower(btrim(coalesce(p_until, ''))) NOT IN ('now', 'off') THEN
    BEGIN
      v_until := now() + btrim(p_until)::interval;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR interval_field_overflow THEN
      BEGIN
        v_until := btrim(p_until)::timestamptz;
      EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
        RAISE EXCEPTION 'cannot read % as a time', p_until USING ERRCODE = 'QVA05', DETAIL = 'Field: muted_until.',
          HINT = 'Give a duration (30m, 2h, 1 day), a time (2026-12-01T08:00Z), or now to unmute.';
      END;
    END;
  END IF;
  PERFORM app.alert_rule_update(p_rule_id, jsonb_build_object('muted_until', v_until));
  RETURN CASE WHEN v_until > now() THEN v_until END;
END $$;
COMMENT ON FUNCTION app.alert_rule_mute(uuid, text) IS 'Snooze a rule until a time or for a duration (now/off unmutes); returns until when';

CREATE OR REPLACE FUNCTION app.alert_rule_delete(p_rule_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM app.error_alerts r WHERE r.id = p_rule_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'alert rule % not found', p_rule_id USING ERRCODE = 'QNA01',
      DETAIL = 'Field: rule_id.', HINT = 'List rules with pgwarden alerts list.';
  END IF;
END $$;
COMMENT ON FUNCTION app.alert_rule_delete(uuid) IS 'Delete an alert rule (its open incidents resolve silently; the history stays)';

-- Newest deliveries first, each with its attempts; p_failed: only those not delivered (failed,
-- retrying, suppressed).
CREATE OR REPLACE FUNCTION app.alert_delivery_history(p_rule_id uuid DEFAULT NULL, p_failed boolean DEFAULT false,
                                                      p_limit integer DEFAULT 50)
RETURNS TABLE (id uuid, created_at timestamptz, rule_id uuid, kind app.alert_notification_kind, title text, channel text,
               recipient text, status app.alert_delivery_status, attempts integer, last_status_code integer,
               last_error text, next_retry_at timestamptz, attempt_log jsonb)
LANGUAGE sql STABLE AS $$
  SELECT d.id, d.created_at, d.rule_id, n.kind, n.content ->> 'title', d.channel, d.recipient, d.status, d.attempts,
         d.last_status_code, d.last_error, d.next_retry_at,
         (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'attempt', a.attempt, 'outcome', a.outcome, 'status_code', a.status_code, 'latency_ms', a.latency_ms,
                   'error', a.provider_error, 'response', a.provider_response, 'broken', a.broken,
                   'next_retry_at', a.next_retry_at, 'at', a.attempted_at) ORDER BY a.attempt), '[]')
            FROM app.alert_delivery_attempts a WHERE a.delivery_id = d.id)
    FROM app.alert_deliveries d JOIN app.alert_notifications n ON n.id = d.notification_id
   WHERE (p_rule_id IS NULL OR d.rule_id = p_rule_id)
     AND (NOT coalesce(p_failed, false) OR d.status IN ('failed', 'retrying', 'suppressed'))
   ORDER BY d.created_at DESC, d.run_at DESC, d.id
   LIMIT greatest(coalesce(p_limit, 50), 1)
$$;
COMMENT ON FUNCTION app.alert_delivery_history(uuid, boolean, integer) IS
  'Alert history: deliveries newest first (optionally one rule''s, or only those not delivered), each with its attempts';

CREATE OR REPLACE FUNCTION app.alert_notification_deliveries(p_notification_id uuid)
RETURNS TABLE (id uuid, channel text, recipient text, status app.alert_delivery_status, run_at timestamptz, job_id bigint)
LANGUAGE sql STABLE AS $$
  SELECT d.id, d.channel, d.recipient, d.status, d.run_at, d.job_id FROM app.alert_deliveries d
   WHERE d.notification_id = p_notification_id ORDER BY d.run_at, d.id
$$;
COMMENT ON FUNCTION app.alert_notification_deliveries(uuid) IS 'The deliveries of one notification (e.g. a test), in send order';
