-- The payload a health.probe job carries: everything the handler needs, so it reads no database.

-- Replaces {setting} in the target's top-level strings; names the first unset setting instead.
CREATE OR REPLACE FUNCTION app._health_expand_target(p_target jsonb, OUT target jsonb, OUT missing_setting text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_key text;
  v_text text;
  v_ref text;
  v_value text;
BEGIN
  target := p_target;
  FOR v_key, v_text IN
    SELECT e.key, e.value #>> '{}' FROM jsonb_each(p_target) e
     WHERE jsonb_typeof(e.value) = 'string' AND e.value #>> '{}' ~ '\{[a-z_]+\}'
  LOOP
    FOR v_ref IN SELECT DISTINCT (regexp_matches(v_text, '\{([a-z_]+)\}', 'g'))[1] LOOP
      SELECT s.value #>> '{}' INTO v_value FROM app.health_settings s
       WHERE s.key = v_ref AND jsonb_typeof(s.value) = 'string';
      IF v_value IS NULL THEN
        missing_setting := v_ref;
        RETURN;
      END IF;
      v_text := replace(v_text, '{' || v_ref || '}', v_value);
    END LOOP;
    target := jsonb_set(target, ARRAY[v_key], to_jsonb(v_text));
  END LOOP;
END $$;
COMMENT ON FUNCTION app._health_expand_target(jsonb) IS 'Fill {setting} placeholders of a target from app.health_settings';

-- This database over its own socket as pgwarden_worker (local connections are trusted by the
-- embedded cluster); an external database sets database_probe_dsn instead.
CREATE OR REPLACE FUNCTION app._health_own_dsn() RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT format('host=%s port=%s dbname=%s user=pgwarden_worker',
                coalesce(nullif(btrim(split_part(current_setting('unix_socket_directories'), ',', 1)), ''), 'localhost'),
                current_setting('port'), current_database())
$$;
COMMENT ON FUNCTION app._health_own_dsn() IS 'libpq DSN of this database over its first socket directory, as pgwarden_worker';

-- The job payload of one probe: everything the handler needs, so it never reads the database.
-- problem is set (and payload NULL) when the target cannot be built, e.g. an unset setting.
CREATE OR REPLACE FUNCTION app.health_probe_payload(
  p_monitor_id bigint, p_scheduled_for timestamptz, p_expires_at timestamptz, p_run_id text DEFAULT NULL,
  OUT payload jsonb, OUT problem text
)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_monitor app.health_monitors;
  v_target jsonb;
  v_missing text;
BEGIN
  SELECT * INTO STRICT v_monitor FROM app.health_monitors m WHERE m.id = p_monitor_id;
  SELECT e.target, e.missing_setting INTO v_target, v_missing FROM app._health_expand_target(v_monitor.target) e;
  IF v_missing IS NOT NULL THEN
    problem := format('target names setting %s, which is not set', v_missing);
    RETURN;
  END IF;
  IF v_monitor.probe = 'database' AND NOT (v_target ? 'dsn' OR v_target ? 'dsn_env') THEN
    v_target := v_target || jsonb_build_object('dsn', coalesce(
      (SELECT s.value #>> '{}' FROM app.health_settings s
        WHERE s.key = 'database_probe_dsn' AND jsonb_typeof(s.value) = 'string'),
      app._health_own_dsn()));
  END IF;
  payload := jsonb_build_object(
    'monitor_id', v_monitor.id,
    'probe', v_monitor.probe,
    'target', v_target || jsonb_build_object('timeout_seconds', v_monitor.timeout_seconds),
    'scheduled_for', p_scheduled_for,
    'expires_at', p_expires_at,
    'run_id', p_run_id,
    -- the whole body only where a condition reads it; else enough for the excerpt of a failure
    'body_limit', CASE WHEN v_monitor.expected ?| ARRAY['body_contains', 'json_path'] THEN 65536 ELSE 500 END);
END $$;
COMMENT ON FUNCTION app.health_probe_payload(bigint, timestamptz, timestamptz, text)
  IS 'The health.probe job payload for a monitor (target expanded, timeout included), or why it cannot be built';
