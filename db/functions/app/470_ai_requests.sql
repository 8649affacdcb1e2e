-- Asking for an analysis, retention and configuration of AI analysis; the policy and the runs are
-- db/functions/app/465_ai_runs.sql.

-- == Asking (callers' rights: row-level security decides which errors they may analyse) ==

CREATE OR REPLACE FUNCTION app.ai_run_answer(p_run_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_run app.ai_analysis_run;
  v_fallback app.ai_analysis_run;
BEGIN
  SELECT * INTO v_run FROM app.ai_analysis_run r WHERE r.id = p_run_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'analysis % not found', p_run_id USING ERRCODE = 'QN450',
      DETAIL = 'Field: id.', HINT = 'Use the id an analysis request answered with.';
  END IF;
  IF v_run.status = 'failed' THEN
    SELECT * INTO v_fallback FROM app.ai_analysis_run r WHERE r.fallback_of = v_run.id ORDER BY r.created_at DESC LIMIT 1;
  END IF;
  RETURN jsonb_build_object(
    'id', v_run.id, 'errorId', v_run.error_id, 'status', v_run.status, 'provider', v_run.provider, 'model', v_run.model,
    'reason', v_run.reason, 'fallbackId', v_fallback.id,
    'done', v_run.status = 'succeeded' OR coalesce(v_fallback.status = 'succeeded', false),
    'analysis', CASE WHEN v_run.status = 'succeeded' THEN v_run.analysis ELSE v_fallback.analysis END);
END $$;
COMMENT ON FUNCTION app.ai_run_answer(uuid) IS
  'Where an analysis run stands: {id, errorId, status, provider, model, reason, fallbackId, done, analysis}; analysis is the fallback''s for a failed run';

CREATE OR REPLACE FUNCTION app.ai_request(p_error_id uuid, p_provider text DEFAULT NULL, p_fresh boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_run app.ai_analysis_run;
BEGIN
  PERFORM app.ai_error_group(p_error_id);  -- as the caller: row-level security decides
  v_run := app.ai_start(p_error_id, p_provider, app.current_user_id(), p_fresh);
  RETURN app.ai_run_answer(v_run.id) || jsonb_build_object('reused', v_run.created_at < now());
END $$;
COMMENT ON FUNCTION app.ai_request(uuid, text, boolean) IS
  'Analyse an error the caller may see (QN001 otherwise) with a provider (NULL: the default); answers as app.ai_run_answer, reused: a pending or cached run';

-- == Retention (pg_cron) ==

CREATE OR REPLACE FUNCTION app.ai_purge() RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_deleted integer;
BEGIN
  DELETE FROM app.ai_analysis_run r
   WHERE r.created_at < now() - (SELECT s.run_retention FROM app.ai_setting s) AND r.status <> 'pending';
  GET DIAGNOSTICS v_deleted = ROW_COUNT;
  DELETE FROM app.ai_provider_usage u WHERE u.hour < now() - interval '30 days';
  RETURN v_deleted;
END $$;
COMMENT ON FUNCTION app.ai_purge() IS 'Delete analysis runs past ai_setting.run_retention and budget counters older than 30 days';

GRANT EXECUTE ON FUNCTION app.ai_request(uuid, text, boolean), app.ai_run_answer(uuid),
  app.ai_start(uuid, text, uuid, boolean), app.related_errors(uuid, integer, real)
  TO staff, org_owner, system_admin;

-- == Configuration from the environment (the stack at start: workers/stack/runtime.py) ==

-- {"default_provider": "anthropic" | "openai" | "heuristic" | null,
--  "providers": {"anthropic": {"configured": bool, "model": text | null}, "openai": {...}}};
-- a model left null keeps the one in app.ai_provider.
CREATE OR REPLACE FUNCTION app.ai_configure(p_settings jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_default text := lower(nullif(btrim(p_settings ->> 'default_provider'), ''));
BEGIN
  IF v_default IS NOT NULL AND NOT EXISTS (SELECT FROM app.ai_provider p WHERE p.provider = v_default) THEN
    RAISE EXCEPTION 'unknown AI provider %', v_default USING ERRCODE = 'QV450',
      DETAIL = 'Setting: PGWARDEN_AI_PROVIDER.', HINT = 'Use anthropic, openai or heuristic, or leave it unset.';
  END IF;
  UPDATE app.ai_setting SET default_provider = v_default;
  UPDATE app.ai_provider p
     SET configured = coalesce((c.value ->> 'configured')::boolean, false),
         model = coalesce(nullif(btrim(c.value ->> 'model'), ''), p.model)
    FROM jsonb_each(coalesce(p_settings -> 'providers', '{}')) AS c (provider, value)
   WHERE p.provider = c.provider AND p.provider <> 'heuristic';
  RETURN (SELECT jsonb_build_object('default_provider', app.ai_default_provider(),
                                    'providers', jsonb_object_agg(p.provider, jsonb_build_object('configured', p.configured,
                                                                                                  'model', p.model)))
            FROM app.ai_provider p);
END $$;
COMMENT ON FUNCTION app.ai_configure(jsonb) IS
  'Apply PGWARDEN_AI_PROVIDER, the providers'' keys being set and PGWARDEN_*_MODEL; returns the effective default and providers';
