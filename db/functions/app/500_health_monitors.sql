-- Health monitors: settings, validation, creation and listing (the probe payload is in 540).

-- == Settings ==

-- Numbers only: anyone evaluating uptime may read the tunables, never the URLs or a DSN.
CREATE OR REPLACE FUNCTION app.health_setting_number(p_key text) RETURNS numeric
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT CASE WHEN jsonb_typeof(s.value) = 'number' THEN (s.value #>> '{}')::numeric END
    FROM app.health_settings s WHERE s.key = p_key
$$;
COMMENT ON FUNCTION app.health_setting_number(text) IS 'A numeric health setting (NULL when unset or not a number)';
GRANT EXECUTE ON FUNCTION app.health_setting_number(text) TO staff, org_owner, system_admin;

CREATE OR REPLACE FUNCTION app.health_setting_set(p_key text, p_value jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE app.health_settings SET value = coalesce(p_value, 'null') WHERE key = p_key;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown health setting %', p_key USING ERRCODE = 'QV501',
      DETAIL = format('%s is not a row of app.health_settings.', p_key),
      HINT = 'List them with SELECT key FROM app.health_settings.';
  END IF;
END $$;
COMMENT ON FUNCTION app.health_setting_set(text, jsonb) IS 'Change one health setting (QV501 for an unknown key)';

-- The stack calls this at start so the seeded API and edge-function monitors probe the right ports.
CREATE OR REPLACE FUNCTION app.health_configure_stack(p_api_url text, p_web_url text) RETURNS void
LANGUAGE sql AS $$
  SELECT app.health_setting_set('api_url', to_jsonb(rtrim(p_api_url, '/')));
  SELECT app.health_setting_set('web_url', to_jsonb(rtrim(p_web_url, '/')));
$$;
COMMENT ON FUNCTION app.health_configure_stack(text, text) IS 'Record the stack''s PostgREST and web base URLs ({api_url}, {web_url} in monitor targets)';

-- == Lookup ==

CREATE OR REPLACE FUNCTION app.health_monitor_id(p_service_name text, p_organization_id uuid DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_id bigint;
BEGIN
  SELECT m.id INTO v_id FROM app.health_monitors m
   WHERE m.service_name = p_service_name AND m.organization_id IS NOT DISTINCT FROM p_organization_id;
  IF v_id IS NULL THEN
    RAISE EXCEPTION 'health monitor % not found', p_service_name USING ERRCODE = 'QN501',
      DETAIL = format('No monitor named %s in %s.', p_service_name,
                      coalesce('organization ' || p_organization_id::text, 'the platform-wide monitors')),
      HINT = 'List monitors with pgwarden health list.';
  END IF;
  RETURN v_id;
END $$;
COMMENT ON FUNCTION app.health_monitor_id(text, uuid) IS 'The monitor of a service (platform-wide when the organization is NULL); QN501 when none';

-- == Validation ==

CREATE OR REPLACE FUNCTION app._health_invalid(p_message text, p_detail text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%', p_message USING ERRCODE = 'QV501', DETAIL = p_detail,
    HINT = 'See COMMENT ON TABLE app.health_monitors for targets and conditions.';
END $$;
COMMENT ON FUNCTION app._health_invalid(text, text) IS 'Raise QV501 (invalid monitor settings) with a detail';

-- Conditions are judged in SQL, so they are checked here once, not at every probe.
CREATE OR REPLACE FUNCTION app.health_validate_monitor(p_probe app.health_probe_kind, p_target jsonb, p_expected jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_unknown text;
  v_code jsonb;
BEGIN
  IF jsonb_typeof(p_target) <> 'object' OR jsonb_typeof(p_expected) <> 'object' THEN
    PERFORM app._health_invalid('target and expected must be JSON objects',
      format('Field: %s.', CASE WHEN jsonb_typeof(p_target) <> 'object' THEN 'target' ELSE 'expected' END));
  END IF;
  SELECT string_agg(k, ', ') INTO v_unknown FROM jsonb_object_keys(p_expected) k
   WHERE k NOT IN ('status_codes', 'body_contains', 'json_path', 'json_equals', 'max_response_time_ms',
                   'min_tls_days', 'max_age_seconds', 'grace_seconds', 'baseline');
  IF v_unknown IS NOT NULL THEN
    PERFORM app._health_invalid('unknown expected condition', format('Unknown keys: %s.', v_unknown));
  END IF;
  IF p_expected ? 'status_codes' THEN
    IF jsonb_typeof(p_expected -> 'status_codes') <> 'array' THEN
      PERFORM app._health_invalid('status_codes is not an array', 'Use e.g. [200, "300-399"].');
    END IF;
    FOR v_code IN SELECT jsonb_array_elements(p_expected -> 'status_codes') LOOP
      IF NOT (jsonb_typeof(v_code) = 'number' OR (v_code #>> '{}') ~ '^\d{3}-\d{3}$') THEN
        PERFORM app._health_invalid('invalid status code', format('%s is neither a number nor a range like "200-299".', v_code));
      END IF;
    END LOOP;
  END IF;
  IF (p_expected ? 'json_path') <> (p_expected ? 'json_equals') THEN
    PERFORM app._health_invalid('json_path needs json_equals', 'Give both: the path and the value it must equal.');
  END IF;
  IF p_expected ? 'json_path' THEN
    BEGIN
      PERFORM (p_expected ->> 'json_path')::jsonpath;
    EXCEPTION WHEN syntax_error OR invalid_parameter_value THEN
      PERFORM app._health_invalid('invalid json_path', format('%s is not an SQL/JSON path.', p_expected ->> 'json_path'));
    END;
  END IF;
  SELECT string_agg(k, ', ') INTO v_unknown FROM jsonb_object_keys(p_expected) k
   WHERE k IN ('max_response_time_ms', 'min_tls_days', 'max_age_seconds', 'grace_seconds')
     AND jsonb_typeof(p_expected -> k) <> 'number';
  IF v_unknown IS NOT NULL THEN
    PERFORM app._health_invalid('threshold is not a number', format('Not numbers: %s.', v_unknown));
  END IF;
  IF p_expected ? 'baseline' AND jsonb_typeof(p_expected -> 'baseline') <> 'boolean' THEN
    PERFORM app._health_invalid('baseline is not true or false', 'expected.baseline: false judges a push monitor by max_age_seconds alone.');
  END IF;

  IF p_probe IN ('http', 'sms') AND coalesce(p_target ->> 'url', '') = '' THEN
    PERFORM app._health_invalid('target needs a url', format('A %s probe requests target.url.', p_probe));
  -- an http(s) URL, or one starting with a {placeholder} the worker fills in ({api_url}, {embed_widget_url} ...)
  ELSIF p_probe IN ('http', 'sms') AND p_target ->> 'url' !~* '^(https?://[^\s/?#]+|\{[a-z_]+\})\S*$' THEN
    PERFORM app._health_invalid('target url is not an http(s) URL',
      format('Field: target.url (--url): %s. Give http:// or https://, a host, then the path, e.g. https://shop.example.com/health.',
             p_target ->> 'url'));
  ELSIF p_probe = 'smtp' AND coalesce(p_target ->> 'host', '') = '' THEN
    PERFORM app._health_invalid('target needs a host', 'An smtp probe connects to target.host (and target.port).');
  ELSIF p_probe = 'stripe' AND NOT (p_target ? 'api_key' OR p_target ? 'api_key_env') THEN
    PERFORM app._health_invalid('target needs an api key', 'Give target.api_key_env: the worker environment variable holding the key.');
  ELSIF p_probe = 'stripe' AND coalesce(p_target ->> 'check', 'payment_intents') NOT IN ('payment_intents', 'balance') THEN
    PERFORM app._health_invalid('unknown stripe check', 'target.check is payment_intents (the spec''s) or balance.');
  END IF;
END $$;
COMMENT ON FUNCTION app.health_validate_monitor(app.health_probe_kind, jsonb, jsonb)
  IS 'QV501 unless the target suits the probe and every expected condition is known and well-formed';

-- == Creation and changes ==

CREATE OR REPLACE FUNCTION app.health_default_probe(p_check_type app.health_check_type_enum)
RETURNS app.health_probe_kind
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE p_check_type
    WHEN 'database' THEN 'database' WHEN 'stripe' THEN 'stripe' WHEN 'email' THEN 'smtp'
    WHEN 'sms' THEN 'sms' WHEN 'webhook' THEN 'heartbeat' ELSE 'http' END::app.health_probe_kind
$$;
COMMENT ON FUNCTION app.health_default_probe(app.health_check_type_enum) IS 'The probe a check type uses unless told otherwise';

-- p_spec keys: service_name, check_type (required); probe, display_name, endpoint, target, expected,
-- interval_seconds, timeout_seconds, failure_threshold, success_threshold, outage_status, enabled,
-- is_public, organization_id.
-- Monitor writes run as their owner (SECURITY DEFINER): a monitor's state, checks and uptime
-- intervals are bookkeeping no person writes directly. Only system admins (api.*_health_monitor*)
-- and the operator's CLI call them: a target may name the workers' secrets and internal addresses.
CREATE OR REPLACE FUNCTION app.health_monitor_add(p_spec jsonb) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_row app.health_monitors;
  v_unknown text;
  v_constraint text;
BEGIN
  IF jsonb_typeof(p_spec) IS DISTINCT FROM 'object' THEN
    PERFORM app._health_invalid('monitor spec is not a JSON object', 'Field: spec. Send the monitor''s fields as one JSON object.');
  END IF;
  SELECT string_agg(k, ', ') INTO v_unknown FROM jsonb_object_keys(p_spec) k
   WHERE k NOT IN ('service_name', 'check_type', 'probe', 'display_name', 'endpoint', 'target', 'expected',
                   'interval_seconds', 'timeout_seconds', 'failure_threshold', 'success_threshold',
                   'outage_status', 'enabled', 'is_public', 'organization_id');
  IF v_unknown IS NOT NULL THEN
    PERFORM app._health_invalid('unknown monitor field', format('Unknown keys: %s.', v_unknown));
  END IF;
  IF coalesce(p_spec ->> 'service_name', '') = '' OR p_spec ->> 'check_type' IS NULL THEN
    RAISE EXCEPTION 'service_name and check_type are required' USING ERRCODE = 'QV002',
      DETAIL = 'A monitor needs a service name and one of the spec''s check types.',
      HINT = 'check_type: api, webhook, database, stripe, embed, email, sms or external.';
  END IF;
  BEGIN
    v_row := jsonb_populate_record(NULL::app.health_monitors, p_spec);
  EXCEPTION WHEN data_exception THEN
    PERFORM app._health_invalid('invalid monitor field', SQLERRM);
  END;
  v_row.probe := coalesce(v_row.probe, app.health_default_probe(v_row.check_type));
  v_row.target := coalesce(v_row.target, '{}');
  v_row.expected := coalesce(v_row.expected, '{}');
  PERFORM app.health_validate_monitor(v_row.probe, v_row.target, v_row.expected);
  BEGIN
    INSERT INTO app.health_monitors AS m
      (organization_id, service_name, display_name, check_type, probe, endpoint, target, interval_seconds,
       timeout_seconds, failure_threshold, success_threshold, expected, outage_status, enabled, is_public,
       heartbeat_token)
    VALUES
      (v_row.organization_id, v_row.service_name, coalesce(v_row.display_name, v_row.service_name),
       v_row.check_type, v_row.probe,
       coalesce(v_row.endpoint, v_row.target ->> 'url', v_row.target ->> 'host', v_row.target ->> 'query',
                v_row.target ->> 'check'),
       v_row.target, coalesce(v_row.interval_seconds, 300), coalesce(v_row.timeout_seconds, 10),
       coalesce(v_row.failure_threshold, 3), coalesce(v_row.success_threshold, 2), v_row.expected,
       coalesce(v_row.outage_status, 'major_outage'), coalesce(v_row.enabled, true), coalesce(v_row.is_public, true),
       CASE WHEN v_row.probe = 'heartbeat' THEN encode(gen_random_bytes(16), 'hex') END)
    RETURNING m.id INTO v_row.id;
  EXCEPTION WHEN check_violation OR foreign_key_violation THEN
    GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
    PERFORM app._health_invalid('invalid monitor field', format('Violates %s.', v_constraint));
  WHEN unique_violation THEN
    RAISE EXCEPTION 'a monitor named % exists', quote_literal(v_row.service_name) USING ERRCODE = 'QV501',
      DETAIL = format('Field: service_name. Service names are unique %s.',
                      CASE WHEN v_row.organization_id IS NULL THEN 'platform-wide' ELSE 'in an organization' END),
      HINT = 'Choose another name, or change the existing monitor (pgwarden health edit).';
  END;
  RETURN v_row.id;
END $$;
COMMENT ON FUNCTION app.health_monitor_add(jsonb) IS 'Create a monitor from a JSON spec (validated; QV501/QV002, 23505 for a taken service name)';

-- Disabling ends the monitor's open uptime interval (it is no longer observed); enabling
-- schedules it afresh from the next slot.
CREATE OR REPLACE FUNCTION app.health_monitor_set_enabled(p_monitor_id bigint, p_enabled boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_was boolean;
BEGIN
  SELECT m.enabled INTO v_was FROM app.health_monitors m WHERE m.id = p_monitor_id FOR UPDATE;
  IF v_was IS NULL THEN
    RAISE EXCEPTION 'health monitor % not found', p_monitor_id USING ERRCODE = 'QN501',
      DETAIL = 'No monitor has this id.', HINT = 'List monitors with pgwarden health list.';
  END IF;
  IF v_was = p_enabled THEN
    RETURN;
  END IF;
  UPDATE app.health_monitors SET enabled = p_enabled WHERE id = p_monitor_id;
  IF p_enabled THEN
    UPDATE app.health_monitor_state SET next_slot_at = NULL, pending_slot_at = NULL WHERE monitor_id = p_monitor_id;
  ELSE
    PERFORM app._health_set_status(p_monitor_id, 'unknown', now());
    UPDATE app.health_monitor_state
       SET recent_statuses = '{}', recent_checked_at = '{}', pending_slot_at = NULL
     WHERE monitor_id = p_monitor_id;
  END IF;
END $$;
COMMENT ON FUNCTION app.health_monitor_set_enabled(bigint, boolean) IS 'Enable or disable a monitor; disabling closes its open uptime interval';

-- p_changes: any of display_name, endpoint, target, expected, interval_seconds, timeout_seconds,
-- failure_threshold, success_threshold, outage_status, is_public (what a monitor is stays: its
-- service name, check type, probe and organization; enabled has its own function).
CREATE OR REPLACE FUNCTION app.health_monitor_update(p_monitor_id bigint, p_changes jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_old app.health_monitors;
  v_new app.health_monitors;
  v_unknown text;
  v_constraint text;
BEGIN
  IF jsonb_typeof(coalesce(p_changes, '{}')) <> 'object' THEN
    PERFORM app._health_invalid('monitor changes are not a JSON object', 'Field: changes. Send the fields to change as one JSON object.');
  END IF;
  SELECT string_agg(k, ', ') INTO v_unknown FROM jsonb_object_keys(coalesce(p_changes, '{}')) k
   WHERE k NOT IN ('display_name', 'endpoint', 'target', 'expected', 'interval_seconds', 'timeout_seconds',
                   'failure_threshold', 'success_threshold', 'outage_status', 'is_public');
  IF v_unknown IS NOT NULL THEN
    PERFORM app._health_invalid('monitor field cannot be changed', format('Unknown or fixed keys: %s.', v_unknown));
  END IF;
  SELECT * INTO v_old FROM app.health_monitors m WHERE m.id = p_monitor_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'health monitor % not found', p_monitor_id USING ERRCODE = 'QN501',
      DETAIL = 'No monitor has this id.', HINT = 'List monitors with pgwarden health list.';
  END IF;
  BEGIN
    v_new := jsonb_populate_record(v_old, p_changes);
  EXCEPTION WHEN data_exception THEN
    PERFORM app._health_invalid('invalid monitor field', SQLERRM);
  END;
  PERFORM app.health_validate_monitor(v_new.probe, coalesce(v_new.target, '{}'), coalesce(v_new.expected, '{}'));
  BEGIN
    UPDATE app.health_monitors m
       SET display_name = coalesce(nullif(btrim(v_new.display_name), ''), m.service_name), endpoint = v_new.endpoint,
           target = coalesce(v_new.target, '{}'), expected = coalesce(v_new.expected, '{}'),
           interval_seconds = v_new.interval_seconds, timeout_seconds = v_new.timeout_seconds,
           failure_threshold = v_new.failure_threshold, success_threshold = v_new.success_threshold,
           outage_status = v_new.outage_status, is_public = v_new.is_public
     WHERE m.id = p_monitor_id;
  EXCEPTION WHEN check_violation OR not_null_violation THEN
    GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
    PERFORM app._health_invalid('invalid monitor field', format('Violates %s.', coalesce(v_constraint, 'a NOT NULL column')));
  END;
  IF v_new.interval_seconds IS DISTINCT FROM v_old.interval_seconds THEN
    -- the next probe is planned afresh on the new interval
    UPDATE app.health_monitor_state s SET next_slot_at = NULL WHERE s.monitor_id = p_monitor_id;
  END IF;
END $$;
COMMENT ON FUNCTION app.health_monitor_update(bigint, jsonb) IS 'Change a monitor''s settings (validated like a new one; QV501, QN501)';

-- Its checks, uptime intervals and maintenance windows go with it.
CREATE OR REPLACE FUNCTION app.health_monitor_delete(p_monitor_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  DELETE FROM app.health_monitors m WHERE m.id = p_monitor_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'health monitor % not found', p_monitor_id USING ERRCODE = 'QN501',
      DETAIL = 'No monitor has this id.', HINT = 'List monitors with pgwarden health list.';
  END IF;
END $$;
COMMENT ON FUNCTION app.health_monitor_delete(bigint) IS 'Delete a monitor with its history (QN501 when none)';

GRANT EXECUTE ON FUNCTION app.health_monitor_add(jsonb), app.health_monitor_update(bigint, jsonb),
  app.health_monitor_set_enabled(bigint, boolean), app.health_monitor_delete(bigint) TO system_admin;

CREATE OR REPLACE FUNCTION app.health_maintenance_add(
  p_monitor_id bigint, p_from timestamptz, p_until timestamptz, p_reason text DEFAULT NULL,
  p_created_by uuid DEFAULT NULL
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_id bigint;
BEGIN
  IF p_from IS NULL OR p_until IS NULL OR p_until <= p_from THEN
    RAISE EXCEPTION 'maintenance window must end after it starts' USING ERRCODE = 'QV501',
      DETAIL = format('From %s until %s.', p_from, p_until), HINT = 'Give --from before --until.';
  END IF;
  PERFORM FROM app.health_monitors m WHERE m.id = p_monitor_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'health monitor % not found', p_monitor_id USING ERRCODE = 'QN501',
      DETAIL = 'No monitor has this id.', HINT = 'List monitors with pgwarden health list.';
  END IF;
  INSERT INTO app.health_maintenance_windows (monitor_id, during, reason, created_by)
  VALUES (p_monitor_id, tstzrange(p_from, p_until), p_reason, p_created_by)
  RETURNING id INTO v_id;
  RETURN v_id;
END $$;
COMMENT ON FUNCTION app.health_maintenance_add(bigint, timestamptz, timestamptz, text, uuid)
  IS 'Plan maintenance for a monitor: probes keep running, the window is excluded from uptime';
GRANT EXECUTE ON FUNCTION app.health_maintenance_add(bigint, timestamptz, timestamptz, text, uuid) TO system_admin;

-- A window changed: NULL keeps a value (an empty reason clears it); it must still end after it starts.
CREATE OR REPLACE FUNCTION app.health_maintenance_edit(p_window_id bigint, p_from timestamptz, p_until timestamptz,
                                                       p_reason text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_during tstzrange;
BEGIN
  SELECT w.during INTO v_during FROM app.health_maintenance_windows w WHERE w.id = p_window_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'maintenance window % not found', p_window_id USING ERRCODE = 'QN503',
      DETAIL = 'No maintenance window has this id.', HINT = 'List them with pgwarden maintenance list.';
  END IF;
  IF coalesce(p_until, upper(v_during)) <= coalesce(p_from, lower(v_during)) THEN
    RAISE EXCEPTION 'maintenance window must end after it starts' USING ERRCODE = 'QV501',
      DETAIL = format('From %s until %s.', coalesce(p_from, lower(v_during)), coalesce(p_until, upper(v_during))),
      HINT = 'Give --from before --until.';
  END IF;
  UPDATE app.health_maintenance_windows w
     SET during = tstzrange(coalesce(p_from, lower(v_during)), coalesce(p_until, upper(v_during))),
         reason = CASE WHEN p_reason IS NULL THEN w.reason ELSE nullif(btrim(p_reason), '') END
   WHERE w.id = p_window_id;
END $$;
COMMENT ON FUNCTION app.health_maintenance_edit(bigint, timestamptz, timestamptz, text)
  IS 'Change a maintenance window (NULL keeps a value, an empty reason clears it); QN503 when none';

CREATE OR REPLACE FUNCTION app.health_maintenance_delete(p_window_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  DELETE FROM app.health_maintenance_windows w WHERE w.id = p_window_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'maintenance window % not found', p_window_id USING ERRCODE = 'QN503',
      DETAIL = 'No maintenance window has this id.', HINT = 'List them with pgwarden maintenance list.';
  END IF;
END $$;
COMMENT ON FUNCTION app.health_maintenance_delete(bigint) IS 'Delete a maintenance window; QN503 when none';
GRANT EXECUTE ON FUNCTION app.health_maintenance_edit(bigint, timestamptz, timestamptz, text),
  app.health_maintenance_delete(bigint) TO system_admin;

-- == Listing (pgwarden health list) ==

CREATE OR REPLACE FUNCTION app.health_monitor_list()
RETURNS TABLE (
  id bigint, organization_id uuid, service_name text, display_name text, check_type app.health_check_type_enum,
  probe app.health_probe_kind, endpoint text, interval_seconds integer, timeout_seconds numeric, enabled boolean,
  status app.health_status_enum, last_status app.health_status_enum, last_checked_at timestamptz,
  last_response_time_ms integer, heartbeat_token text
)
LANGUAGE sql STABLE AS $$
  SELECT m.id, m.organization_id, m.service_name, m.display_name, m.check_type, m.probe, m.endpoint,
         m.interval_seconds, m.timeout_seconds, m.enabled, s.status, s.last_status, s.last_checked_at,
         s.last_response_time_ms, m.heartbeat_token
    FROM app.health_monitors m LEFT JOIN app.health_monitor_state s ON s.monitor_id = m.id
   ORDER BY m.organization_id NULLS FIRST, m.id
$$;
COMMENT ON FUNCTION app.health_monitor_list() IS 'Monitors with their state and heartbeat tokens, for the operator''s CLI';
