-- Alert rules: settings, validation of trigger_conditions and destinations, labels that hide
-- secrets, and the destinations a rule sends to (tables in db/schema/700_alerts.sql; creating
-- and changing rules is in 705_alerts_rule_writes.sql).

-- == Settings ==

CREATE OR REPLACE FUNCTION app.alert_setting(p_key text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT s.value FROM app.alert_settings s WHERE s.key = p_key
$$;
COMMENT ON FUNCTION app.alert_setting(text) IS 'One alerting setting (app.alert_settings), NULL when unset';

CREATE OR REPLACE FUNCTION app.alert_setting_set(p_key text, p_value jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE app.alert_settings SET value = coalesce(p_value, 'null') WHERE key = p_key;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown alert setting %', p_key USING ERRCODE = 'QVA05',
      DETAIL = format('%s is not a row of app.alert_settings.', p_key),
      HINT = 'List them with SELECT key FROM app.alert_settings.';
  END IF;
END $$;
COMMENT ON FUNCTION app.alert_setting_set(text, jsonb) IS 'Change one alerting setting (QVA05 for an unknown key)';

-- == Small shared rules ==

-- Standard Webhooks: "whsec_" + base64 of 24 to 64 random bytes; we take 32.
CREATE OR REPLACE FUNCTION app.alert_new_signing_secret() RETURNS text
LANGUAGE sql VOLATILE AS $$ SELECT 'whsec_' || encode(gen_random_bytes(32), 'base64') $$;
COMMENT ON FUNCTION app.alert_new_signing_secret() IS 'A fresh Standard Webhooks signing secret (whsec_ + base64 of 32 random bytes)';

-- What a notification is delivered through: PagerDuty and Apprise are flavours of the webhook channel.
CREATE OR REPLACE FUNCTION app.alert_delivery_channel(p_channel app.alert_channel_enum, p_format text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_channel = 'webhook' AND p_format IN ('pagerduty', 'apprise') THEN p_format ELSE p_channel::text END
$$;
COMMENT ON FUNCTION app.alert_delivery_channel(app.alert_channel_enum, text) IS
  'The delivery channel of a rule: email, slack, webhook, pagerduty, apprise or in_app';

-- Labels keep what identifies an address and cut what grants access: a Slack or Apprise URL's
-- path and a query string are tokens, a routing key is a secret.
CREATE OR REPLACE FUNCTION app.alert_address_label(p_delivery_channel text, p_address text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN p_address IS NULL THEN NULL
    WHEN p_delivery_channel = 'pagerduty' THEN 'PagerDuty key …' || right(p_address, 4)
    WHEN p_delivery_channel IN ('slack', 'apprise') THEN substring(p_address FROM '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*') || '/…'
    WHEN p_delivery_channel = 'webhook' THEN
      split_part(p_address, '?', 1) || CASE WHEN strpos(p_address, '?') > 0 THEN '?…' ELSE '' END
    ELSE p_address END
$$;
COMMENT ON FUNCTION app.alert_address_label(text, text) IS
  'An address as people may see it: Slack and Apprise URLs cut after the host, query strings and routing keys hidden';

-- The webhook_url of a rule as the API shows it (a PagerDuty rule's URL is an endpoint, no secret).
CREATE OR REPLACE FUNCTION app.alert_rule_url_label(p_channel app.alert_channel_enum, p_format text, p_url text)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT app.alert_address_label(CASE WHEN p_format = 'pagerduty' THEN 'webhook'
                                      ELSE app.alert_delivery_channel(p_channel, p_format) END, p_url)
$$;
COMMENT ON FUNCTION app.alert_rule_url_label(app.alert_channel_enum, text, text) IS 'A rule''s webhook_url with its secret parts cut';

-- == trigger_conditions ==

-- The problem with one condition value under its key's rules, or NULL.
CREATE OR REPLACE FUNCTION app._alert_condition_problem(p_spec app.alert_condition_keys, p_value jsonb) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_allowed text[] := coalesce(p_spec.allowed, (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
                                                   FROM pg_enum e WHERE e.enumtypid = p_spec.enum_type));
  v_elements jsonb;
  v_element jsonb;
BEGIN
  IF p_spec.value_type = 'boolean' THEN
    RETURN CASE WHEN jsonb_typeof(p_value) <> 'boolean' THEN 'expected true or false' END;
  END IF;
  IF p_spec.value_type IN ('integer', 'number') THEN
    IF jsonb_typeof(p_value) <> 'number' OR (p_spec.value_type = 'integer' AND p_value::numeric <> trunc(p_value::numeric)) THEN
      RETURN 'expected ' || CASE p_spec.value_type WHEN 'integer' THEN 'a whole number' ELSE 'a number' END;
    END IF;
    IF p_value::numeric < p_spec.min_value OR p_value::numeric > p_spec.max_value THEN
      RETURN format('expected %s to %s', coalesce(p_spec.min_value::text, '-'), coalesce(p_spec.max_value::text, '-'));
    END IF;
    RETURN NULL;
  END IF;
  IF p_spec.value_type IN ('text_array', 'integer_array') THEN
    IF jsonb_typeof(p_value) <> 'array' OR jsonb_array_length(p_value) = 0 THEN
      RETURN 'expected a non-empty list (leave the key out for all)';
    END IF;
    v_elements := p_value;
  ELSE
    v_elements := jsonb_build_array(p_value);
  END IF;
  FOR v_element IN SELECT e.value FROM jsonb_array_elements(v_elements) e LOOP
    IF p_spec.value_type = 'integer_array' THEN
      IF jsonb_typeof(v_element) <> 'number' OR v_element::numeric <> trunc(v_element::numeric)
         OR v_element::numeric < coalesce(p_spec.min_value, v_element::numeric) THEN
        RETURN 'expected a list of ids';
      END IF;
    ELSIF jsonb_typeof(v_element) <> 'string' THEN
      RETURN 'expected ' || CASE WHEN p_spec.value_type = 'text' THEN 'text' ELSE 'a list of text' END;
    ELSIF v_allowed IS NOT NULL AND NOT (v_element #>> '{}') = ANY (v_allowed) THEN
      RETURN format('%s is not one of %s', v_element #>> '{}', array_to_string(v_allowed, ', '));
    ELSIF p_spec.pattern IS NOT NULL AND (v_element #>> '{}') !~ p_spec.pattern THEN
      RETURN format('%s is not a service name', v_element #>> '{}');
    END IF;
  END LOOP;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app._alert_condition_problem(app.alert_condition_keys, jsonb) IS
  'What is wrong with one trigger_conditions value under its key''s type, labels, pattern and range (NULL: nothing)';

CREATE OR REPLACE FUNCTION app.alert_conditions_validate(p_alert_type app.alert_type_enum, p_conditions jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_key text;
  v_value jsonb;
  v_spec app.alert_condition_keys;
  v_problem text;
BEGIN
  IF jsonb_typeof(p_conditions) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION 'trigger_conditions is not a JSON object' USING ERRCODE = 'QVA02',
      DETAIL = 'Field: trigger_conditions.', HINT = 'Send an object, e.g. {} for the defaults.';
  END IF;
  FOR v_key, v_value IN SELECT c.key, c.value FROM jsonb_each(p_conditions) c ORDER BY c.key LOOP
    SELECT * INTO v_spec FROM app.alert_condition_keys k WHERE k.alert_type = p_alert_type AND k.key = v_key;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'unknown trigger condition % for % rules', v_key, p_alert_type USING ERRCODE = 'QVA01',
        DETAIL = format('Field: trigger_conditions.%s.', v_key),
        HINT = format('%s rules take: %s.', p_alert_type,
                      (SELECT string_agg(k.key, ', ' ORDER BY k.key) FROM app.alert_condition_keys k
                        WHERE k.alert_type = p_alert_type));
    END IF;
    v_problem := app._alert_condition_problem(v_spec, v_value);
    IF v_problem IS NOT NULL THEN
      RAISE EXCEPTION 'invalid trigger condition %', v_key USING ERRCODE = 'QVA02',
        DETAIL = format('Field: trigger_conditions.%s: %s.', v_key, v_problem),
        HINT = format('%s: %s.', v_key, v_spec.description);
    END IF;
  END LOOP;
  IF p_alert_type = 'error_spike' AND NOT p_conditions ?| ARRAY['threshold', 'baseline_factor'] THEN
    RAISE EXCEPTION 'an error_spike rule needs threshold or baseline_factor' USING ERRCODE = 'QVA03',
      DETAIL = 'Field: trigger_conditions.threshold.',
      HINT = 'Give {"threshold": N, "window_minutes": M}, or {"baseline_factor": F}, or both.';
  END IF;
  RETURN p_conditions;
END $$;
COMMENT ON FUNCTION app.alert_conditions_validate(app.alert_type_enum, jsonb) IS
  'trigger_conditions checked against app.alert_condition_keys: QVA01 unknown key, QVA02 wrong value, QVA03 missing (details name the key)';

-- == Destinations ==

CREATE OR REPLACE FUNCTION app.alert_destination_validate(
  p_channel app.alert_channel_enum, p_format text, p_recipients text[], p_webhook_url text, p_routing_key text
) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_kind text := app.alert_delivery_channel(p_channel, p_format);
  v_field text;
  v_hint text;
BEGIN
  IF p_channel <> 'webhook' AND p_format <> 'standard' THEN
    RAISE EXCEPTION 'webhook_format % needs channel webhook', p_format USING ERRCODE = 'QVA05',
      DETAIL = 'Field: webhook_format.', HINT = 'PagerDuty and Apprise are flavours of the webhook channel.';
  END IF;
  IF v_kind = 'email' AND (cardinality(p_recipients) IS NOT DISTINCT FROM 0 OR NOT coalesce(
       (SELECT bool_and(r ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$') FROM unnest(p_recipients) r), false)) THEN
    v_field := 'recipients'; v_hint := 'Give one or more e-mail addresses.';
  ELSIF v_kind = 'in_app' AND NOT coalesce(
       (SELECT bool_and(r IN ('system_admin', 'org_owner', 'staff')
                        OR r ~ '^[^@[:space:]]+@[^@[:space:]]+$'
                        OR r ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
          FROM unnest(p_recipients) r), true) THEN
    v_field := 'recipients'; v_hint := 'Name roles (system_admin, org_owner, staff), users'' e-mail addresses or ids; none = the rule''s owners.';
  ELSIF v_kind IN ('email', 'in_app') AND p_webhook_url IS NOT NULL THEN
    v_field := 'webhook_url'; v_hint := 'This channel takes recipients, not a URL.';
  ELSIF v_kind IN ('slack', 'webhook') AND coalesce(p_webhook_url !~ '^https?://[^/?#[:space:]]+[^[:space:]]*$', true) THEN
    v_field := 'webhook_url'; v_hint := 'Give the http(s) URL to post to.';
  ELSIF v_kind = 'pagerduty' AND p_webhook_url !~ '^https?://[^/?#[:space:]]+[^[:space:]]*$' THEN
    v_field := 'webhook_url'; v_hint := 'Leave it out (the pagerduty_events_url setting applies) or give an http(s) URL.';
  ELSIF v_kind = 'apprise' AND coalesce(p_webhook_url !~ '^[A-Za-z][A-Za-z0-9+.-]*://[^[:space:]]+$', true) THEN
    v_field := 'webhook_url'; v_hint := 'Give an Apprise URL, e.g. discord://webhook_id/webhook_token.';
  ELSIF v_kind = 'pagerduty' AND coalesce(btrim(p_routing_key) = '' OR length(p_routing_key) > 100, true) THEN
    v_field := 'pagerduty_routing_key'; v_hint := 'Give the PagerDuty integration (routing) key.';
  ELSIF v_kind <> 'pagerduty' AND p_routing_key IS NOT NULL THEN
    v_field := 'pagerduty_routing_key'; v_hint := 'Only webhook rules in pagerduty format take a routing key.';
  ELSIF v_kind IN ('slack', 'webhook', 'pagerduty', 'apprise') AND cardinality(p_recipients) > 0 THEN
    v_field := 'recipients'; v_hint := 'This channel sends to its URL; recipients are for email and in_app.';
  END IF;
  IF v_field IS NOT NULL THEN
    -- (the value itself is not repeated: it may be a secret)
    RAISE EXCEPTION 'invalid % for a % rule', v_field, v_kind USING ERRCODE = 'QVA04',
      DETAIL = format('Field: %s.', v_field), HINT = v_hint;
  END IF;
END $$;
COMMENT ON FUNCTION app.alert_destination_validate(app.alert_channel_enum, text, text[], text, text) IS
  'A rule''s recipients, webhook_url and routing key fit its channel and format (QVA04 naming the field, QVA05 for the format)';

-- The addresses a rule sends to: (delivery channel, address, label) per destination.
CREATE OR REPLACE FUNCTION app.alert_rule_addresses(
  p_channel app.alert_channel_enum, p_format text, p_recipients text[], p_webhook_url text, p_routing_key text,
  p_organization_id uuid
) RETURNS TABLE (channel text, address text, label text)
LANGUAGE sql IMMUTABLE AS $$
  WITH address AS (
    SELECT app.alert_delivery_channel(p_channel, p_format) AS channel, a.address
      FROM unnest(CASE
             WHEN p_channel = 'email' THEN ARRAY(SELECT DISTINCT lower(btrim(r)) FROM unnest(p_recipients) r)
             WHEN p_channel = 'in_app' AND cardinality(p_recipients) > 0 THEN ARRAY(SELECT DISTINCT btrim(r) FROM unnest(p_recipients) r)
             WHEN p_channel = 'in_app' THEN ARRAY[CASE WHEN p_organization_id IS NULL THEN 'system_admin' ELSE 'org_owner' END]
             WHEN p_format = 'pagerduty' THEN ARRAY[btrim(p_routing_key)]
             ELSE ARRAY[btrim(p_webhook_url)] END) AS a (address)
     WHERE a.address IS NOT NULL)
  SELECT a.channel, a.address, app.alert_address_label(a.channel, a.address) FROM address a
$$;
COMMENT ON FUNCTION app.alert_rule_addresses(app.alert_channel_enum, text, text[], text, text, uuid) IS
  'The destinations of a rule''s settings: one per e-mail recipient or in-app audience, else its URL or routing key';

-- Keeps app.alert_destinations in step with a rule: new addresses are added (not broken),
-- addresses the rule no longer names are removed (called by the rule's definer trigger:
-- destinations hold secrets no API role may write).
CREATE OR REPLACE FUNCTION app.alert_destinations_sync(p_rule_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_rule app.error_alerts;
BEGIN
  SELECT * INTO v_rule FROM app.error_alerts r WHERE r.id = p_rule_id;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  WITH wanted AS (
    SELECT a.channel, a.address, a.label, encode(sha256(convert_to(a.channel || ':' || a.address, 'UTF8')), 'hex') AS address_hash
      FROM app.alert_rule_addresses(v_rule.channel, v_rule.webhook_format, v_rule.recipients, v_rule.webhook_url,
                                    v_rule.pagerduty_routing_key, v_rule.organization_id) a
  ), gone AS (
    DELETE FROM app.alert_destinations d
     WHERE d.rule_id = p_rule_id AND d.address_hash NOT IN (SELECT w.address_hash FROM wanted w)
  )
  INSERT INTO app.alert_destinations AS d (rule_id, organization_id, channel, address, address_hash, label)
  SELECT p_rule_id, v_rule.organization_id, w.channel, w.address, w.address_hash, w.label FROM wanted w
  ON CONFLICT (rule_id, address_hash) DO UPDATE SET organization_id = excluded.organization_id;
END $$;
COMMENT ON FUNCTION app.alert_destinations_sync(uuid) IS 'Make a rule''s destinations match its recipients, URL or routing key';

GRANT EXECUTE ON FUNCTION app.alert_new_signing_secret(),
  app.alert_delivery_channel(app.alert_channel_enum, text), app.alert_address_label(text, text),
  app.alert_rule_url_label(app.alert_channel_enum, text, text),
  app._alert_condition_problem(app.alert_condition_keys, jsonb), app.alert_conditions_validate(app.alert_type_enum, jsonb),
  app.alert_destination_validate(app.alert_channel_enum, text, text[], text, text)
  TO staff, org_owner, system_admin;
