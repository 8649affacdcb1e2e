-- Creating and changing alert rules, and their signing secrets. Invoker rights unless marked:
-- row-level security decides whose rules a caller may write (org owners their organization's,
-- system admins all). Validation happens in the table's trigger (db/triggers/700_alerts.sql),
-- whichever way a rule is written.

CREATE OR REPLACE FUNCTION app._alert_rule_integer(p_rule jsonb, p_field text) RETURNS integer
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF p_rule -> p_field IS NULL OR p_rule -> p_field = 'null' THEN
    RETURN NULL;
  END IF;
  IF jsonb_typeof(p_rule -> p_field) <> 'number' OR (p_rule ->> p_field)::numeric <> trunc((p_rule ->> p_field)::numeric) THEN
    RAISE EXCEPTION '% is not a whole number', p_field USING ERRCODE = 'QVA05',
      DETAIL = format('Field: %s.', p_field), HINT = 'Give seconds as a whole number.';
  END IF;
  RETURN (p_rule ->> p_field)::integer;
END $$;
COMMENT ON FUNCTION app._alert_rule_integer(jsonb, text) IS 'An integer field of a rule given as JSON (NULL when absent; QVA05 otherwise)';

CREATE OR REPLACE FUNCTION app._alert_rule_texts(p_rule jsonb, p_field text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF p_rule -> p_field IS NULL OR p_rule -> p_field = 'null' THEN
    RETURN NULL;
  END IF;
  IF jsonb_typeof(p_rule -> p_field) <> 'array'
     OR EXISTS (SELECT FROM jsonb_array_elements(p_rule -> p_field) e WHERE jsonb_typeof(e) <> 'string') THEN
    RAISE EXCEPTION '% is not a list of text', p_field USING ERRCODE = 'QVA04',
      DETAIL = format('Field: %s.', p_field), HINT = 'Give a JSON array of strings.';
  END IF;
  RETURN ARRAY(SELECT e FROM jsonb_array_elements_text(p_rule -> p_field) e);
END $$;
COMMENT ON FUNCTION app._alert_rule_texts(jsonb, text) IS 'A text-list field of a rule given as JSON (NULL when absent; QVA04 otherwise)';

-- Fields a client may set; the others are kept by pgwarden (QVA05 when a client sends one).
CREATE OR REPLACE FUNCTION app._alert_rule_check_fields(p_rule jsonb) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_field text;
BEGIN
  SELECT k INTO v_field FROM jsonb_object_keys(p_rule) k
   WHERE k NOT IN ('alert_type', 'channel', 'trigger_conditions', 'recipients', 'webhook_url', 'is_active',
                   'organization_id', 'name', 'webhook_format', 'pagerduty_routing_key', 'group_wait_seconds',
                   'group_interval_seconds', 'repeat_interval_seconds', 'send_resolved', 'muted_until')
     AND p_rule -> k <> 'null'
   ORDER BY k LIMIT 1;
  IF v_field IS NOT NULL THEN
    RAISE EXCEPTION '% cannot be set', v_field USING ERRCODE = 'QVA05', DETAIL = format('Field: %s.', v_field),
      HINT = CASE WHEN v_field = 'signing_secret' THEN 'Rotate it with /rpc/rotate_alert_secret.'
                  ELSE 'pgwarden maintains it; leave it out.' END;
  END IF;
END $$;
COMMENT ON FUNCTION app._alert_rule_check_fields(jsonb) IS 'QVA05 naming the first field of a rule a client may not set';

-- Creates a rule; a standard webhook rule gets its signing secret here, returned this once.
CREATE OR REPLACE FUNCTION app.alert_rule_create(p_rule jsonb) RETURNS TABLE (id uuid, signing_secret text)
LANGUAGE plpgsql AS $$
DECLARE
  v_type text := app._enum_value(p_rule ->> 'alert_type', enum_range(NULL::app.alert_type_enum)::text[], 'alert_type');
  v_channel text := app._enum_value(p_rule ->> 'channel', enum_range(NULL::app.alert_channel_enum)::text[], 'channel');
  v_format text := coalesce(p_rule ->> 'webhook_format', 'standard');
  v_secret text;
  v_id uuid;
BEGIN
  PERFORM app._alert_rule_check_fields(p_rule);
  IF v_type IS NULL OR v_channel IS NULL THEN
    RAISE EXCEPTION '% is missing', CASE WHEN v_type IS NULL THEN 'alert_type' ELSE 'channel' END USING ERRCODE = 'QV002',
      DETAIL = format('Field: %s.', CASE WHEN v_type IS NULL THEN 'alert_type' ELSE 'channel' END),
      HINT = 'A rule needs an alert_type and a channel.';
  END IF;
  IF v_channel = 'webhook' AND v_format = 'standard' THEN
    v_secret := app.alert_new_signing_secret();
  END IF;
  INSERT INTO app.error_alerts (alert_type, channel, trigger_conditions, recipients, webhook_url, is_active, created_by,
                                organization_id, name, webhook_format, pagerduty_routing_key, signing_secret,
                                group_wait_seconds, group_interval_seconds, repeat_interval_seconds, send_resolved,
                                muted_until)
  VALUES (v_type::app.alert_type_enum, v_channel::app.alert_channel_enum,
          coalesce(nullif(p_rule -> 'trigger_conditions', 'null'), '{}'),
          app._alert_rule_texts(p_rule, 'recipients'), p_rule ->> 'webhook_url',
          coalesce((p_rule ->> 'is_active')::boolean, true),
          (SELECT u.id FROM app.users u WHERE u.id = app.current_user_id()),
          coalesce((p_rule ->> 'organization_id')::uuid, app.current_org_id()),
          p_rule ->> 'name', v_format, p_rule ->> 'pagerduty_routing_key', v_secret,
          app._alert_rule_integer(p_rule, 'group_wait_seconds'),
          coalesce(app._alert_rule_integer(p_rule, 'group_interval_seconds'), 300),
          coalesce(app._alert_rule_integer(p_rule, 'repeat_interval_seconds'), 14400),
          coalesce((p_rule ->> 'send_resolved')::boolean, true),
          (p_rule ->> 'muted_until')::timestamptz)
  RETURNING app.error_alerts.id INTO v_id;
  RETURN QUERY SELECT v_id, v_secret;
END $$;
COMMENT ON FUNCTION app.alert_rule_create(jsonb) IS
  'Create an alert rule from its fields as JSON (organization: the caller''s unless given); returns its id and, for a standard webhook, its signing secret (shown once)';

-- Changes the fields present in p_changes, and only those: the statement names no other column,
-- so callers need no right to read the secret ones. A rule that becomes a standard webhook gets
-- a new signing secret, returned this once.
CREATE OR REPLACE FUNCTION app.alert_rule_update(p_id uuid, p_changes jsonb) RETURNS TABLE (id uuid, signing_secret text)
LANGUAGE plpgsql AS $$
DECLARE
  v_channel app.alert_channel_enum;
  v_format text;
  v_new_channel text;
  v_new_format text;
  v_secret text;
  v_changes jsonb := p_changes;
  v_sets text;
BEGIN
  PERFORM app._alert_rule_check_fields(p_changes);
  SELECT r.channel, r.webhook_format INTO v_channel, v_format FROM app.error_alerts r WHERE r.id = p_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'alert rule % not found', p_id USING ERRCODE = 'QNA01',
      DETAIL = 'Field: id.', HINT = 'List rules with pgwarden alerts list or GET /error_alerts.';
  END IF;
  v_new_channel := CASE WHEN p_changes ? 'channel'
                        THEN app._enum_value(p_changes ->> 'channel', enum_range(NULL::app.alert_channel_enum)::text[], 'channel')
                        ELSE v_channel::text END;
  v_new_format := CASE WHEN p_changes ? 'webhook_format' THEN coalesce(p_changes ->> 'webhook_format', 'standard')
                       ELSE v_format END;
  IF v_new_channel = 'webhook' AND v_new_format = 'standard' AND NOT (v_channel = 'webhook' AND v_format = 'standard') THEN
    v_secret := app.alert_new_signing_secret();
    v_changes := v_changes || jsonb_build_object('signing_secret', v_secret);
  END IF;
  IF v_new_format <> 'pagerduty' AND v_format = 'pagerduty' THEN
    v_changes := v_changes || '{"pagerduty_routing_key": null}';
  END IF;
  SELECT string_agg(format('%I = %s', k, CASE
           WHEN k = 'alert_type' THEN
             'app._enum_value($1 ->> ''alert_type'', enum_range(NULL::app.alert_type_enum)::text[], ''alert_type'')::app.alert_type_enum'
           WHEN k = 'channel' THEN
             'app._enum_value($1 ->> ''channel'', enum_range(NULL::app.alert_channel_enum)::text[], ''channel'')::app.alert_channel_enum'
           WHEN k = 'trigger_conditions' THEN 'coalesce(nullif($1 -> ''trigger_conditions'', ''null''), ''{}'')'
           WHEN k = 'recipients' THEN 'app._alert_rule_texts($1, ''recipients'')'
           WHEN k IN ('is_active', 'send_resolved') THEN format('coalesce(($1 ->> %L)::boolean, true)', k)
           WHEN k = 'organization_id' THEN '($1 ->> ''organization_id'')::uuid'
           WHEN k = 'group_wait_seconds' THEN 'app._alert_rule_integer($1, ''group_wait_seconds'')'
           WHEN k = 'group_interval_seconds' THEN 'coalesce(app._alert_rule_integer($1, ''group_interval_seconds''), 300)'
           WHEN k = 'repeat_interval_seconds' THEN 'coalesce(app._alert_rule_integer($1, ''repeat_interval_seconds''), 14400)'
           WHEN k = 'muted_until' THEN '($1 ->> ''muted_until'')::timestamptz'
           WHEN k = 'webhook_format' THEN 'coalesce($1 ->> ''webhook_format'', ''standard'')'
           ELSE format('$1 ->> %L', k) END), ', ' ORDER BY k)
    INTO v_sets FROM jsonb_object_keys(v_changes) k;
  IF v_sets IS NOT NULL THEN
    EXECUTE format('UPDATE app.error_alerts SET %s WHERE id = $2', v_sets) USING v_changes, p_id;
  END IF;
  RETURN QUERY SELECT p_id, v_secret;
END $$;
COMMENT ON FUNCTION app.alert_rule_update(uuid, jsonb) IS
  'Change the given fields of an alert rule (QNA01 if you cannot see it); returns a new signing secret when it became a standard webhook';

CREATE OR REPLACE FUNCTION app.alert_rule_rotate_secret(p_id uuid) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_secret text := app.alert_new_signing_secret();
BEGIN
  UPDATE app.error_alerts r SET signing_secret = v_secret
   WHERE r.id = p_id AND r.channel = 'webhook' AND r.webhook_format = 'standard';
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no standard webhook rule %', p_id USING ERRCODE = 'QNA01',
      DETAIL = 'Field: rule_id.', HINT = 'Only webhook rules in standard format you can see have a signing secret.';
  END IF;
  RETURN v_secret;
END $$;
COMMENT ON FUNCTION app.alert_rule_rotate_secret(uuid) IS 'Give a standard webhook rule a new signing secret and return it (shown once)';

-- For the operator's command line only (no API role may call it).
CREATE OR REPLACE FUNCTION app.alert_rule_secret(p_id uuid) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_secret text;
BEGIN
  SELECT r.signing_secret INTO v_secret FROM app.error_alerts r
   WHERE r.id = p_id AND r.channel = 'webhook' AND r.webhook_format = 'standard';
  IF v_secret IS NULL THEN
    RAISE EXCEPTION 'no standard webhook rule %', p_id USING ERRCODE = 'QNA01',
      DETAIL = 'Field: rule_id.', HINT = 'Only webhook rules in standard format have a signing secret.';
  END IF;
  RETURN v_secret;
END $$;
COMMENT ON FUNCTION app.alert_rule_secret(uuid) IS 'The signing secret of a standard webhook rule (pgwarden alerts secret; not granted to API roles)';
REVOKE EXECUTE ON FUNCTION app.alert_rule_secret(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION app.alert_rule_clear_broken(p_id uuid) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_count integer;
BEGIN
  UPDATE app.alert_destinations d SET broken_at = NULL, broken_reason = NULL
   WHERE d.rule_id = p_id AND d.broken_at IS NOT NULL;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END $$;
COMMENT ON FUNCTION app.alert_rule_clear_broken(uuid) IS 'Clear the broken mark of a rule''s destinations (operator); returns how many';
REVOKE EXECUTE ON FUNCTION app.alert_rule_clear_broken(uuid) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION app._alert_rule_integer(jsonb, text), app._alert_rule_texts(jsonb, text),
  app._alert_rule_check_fields(jsonb), app.alert_rule_create(jsonb), app.alert_rule_update(uuid, jsonb),
  app.alert_rule_rotate_secret(uuid)
  TO staff, org_owner, system_admin;
