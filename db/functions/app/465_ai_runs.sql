-- The analysis policy (DESIGN.md section 8). An analysis run is started for a new or regressed
-- group (app.capture_job_policy, from the capture trigger) or on request (470_ai_requests.sql).
-- Which provider, whether a cached answer serves, whether the hourly budget allows a call, and what
-- is sent: decided here. A provider's call is an ai.analyze job carrying a self-contained payload
-- (workers/handlers/ai.py calls the provider and returns its answer); the job's row in
-- app.job_history records the result (db/triggers/450_ai.sql). A provider that is not configured,
-- over budget, down after its retries or answering invalid JSON twice fails its run with the
-- reason, and a heuristic run stands in (fallback_of), visible in the stored analysis. The
-- heuristic itself is SQL (db/functions/app/455_ai_heuristic.sql).
-- A capture pays for a run row and a job per new or regressed group, set-based, and nothing else:
-- the worker hands that job straight back, and only then is the heuristic computed, or the
-- provider's budget taken and its prompt built (then a second job makes the call). A request
-- decides at once. Every finished run NOTIFYs ai:analysis {id, error_id, status}.

-- == Providers and budgets ==

CREATE OR REPLACE FUNCTION app.ai_default_provider() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT coalesce(s.default_provider,
                  (SELECT p.provider FROM app.ai_provider p WHERE p.configured AND p.provider <> 'heuristic'
                    ORDER BY p.provider = 'openai', p.provider LIMIT 1),
                  'heuristic')
    FROM app.ai_setting s
$$;
COMMENT ON FUNCTION app.ai_default_provider() IS
  'The provider of automatic and unspecified analyses: ai_setting.default_provider, else the first configured of anthropic, openai, else heuristic';
GRANT EXECUTE ON FUNCTION app.ai_default_provider() TO staff, org_owner, system_admin;

-- One call of this hour's budget, counted when the analysis is queued; NULL when granted, else why
-- not. The row lock serializes concurrent takers of one provider for the rest of their transaction.
CREATE OR REPLACE FUNCTION app.ai_budget_take(p_provider text) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_provider app.ai_provider;
  v_usage app.ai_provider_usage;
  v_hour timestamptz := date_trunc('hour', now());
BEGIN
  SELECT * INTO v_provider FROM app.ai_provider p WHERE p.provider = p_provider;
  FOR v_try IN 1 .. 2 LOOP
    UPDATE app.ai_provider_usage u SET calls = u.calls + 1
     WHERE u.provider = p_provider AND u.hour = v_hour
       AND (v_provider.calls_per_hour IS NULL OR u.calls < v_provider.calls_per_hour)
       AND (v_provider.tokens_per_hour IS NULL OR u.input_tokens + u.output_tokens < v_provider.tokens_per_hour);
    IF FOUND THEN
      RETURN NULL;
    END IF;
    SELECT * INTO v_usage FROM app.ai_provider_usage u WHERE u.provider = p_provider AND u.hour = v_hour;
    EXIT WHEN FOUND;
    IF v_provider.calls_per_hour = 0 OR v_provider.tokens_per_hour = 0 THEN
      RETURN format('over budget: %s allows no calls', p_provider);
    END IF;
    INSERT INTO app.ai_provider_usage (provider, hour, calls) VALUES (p_provider, v_hour, 1) ON CONFLICT DO NOTHING;
    IF FOUND THEN
      RETURN NULL;
    END IF;  -- another transaction inserted it first: take from its row
  END LOOP;
  RETURN CASE WHEN v_usage.calls >= v_provider.calls_per_hour
              THEN format('over budget: %s of %s calls to %s this hour', v_usage.calls, v_provider.calls_per_hour, p_provider)
              ELSE format('over budget: %s of %s tokens of %s this hour', v_usage.input_tokens + v_usage.output_tokens,
                          v_provider.tokens_per_hour, p_provider) END;
END $$;
COMMENT ON FUNCTION app.ai_budget_take(text) IS
  'Take one call from a provider''s budget for this UTC hour: NULL when granted, else the reason (calls or tokens used up)';

CREATE OR REPLACE FUNCTION app.ai_budget_add_tokens(p_provider text, p_input integer, p_output integer) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  INSERT INTO app.ai_provider_usage AS u (provider, hour, input_tokens, output_tokens)
  VALUES (p_provider, date_trunc('hour', now()), coalesce(p_input, 0), coalesce(p_output, 0))
  ON CONFLICT (provider, hour) DO UPDATE
    SET input_tokens = u.input_tokens + excluded.input_tokens, output_tokens = u.output_tokens + excluded.output_tokens
$$;
COMMENT ON FUNCTION app.ai_budget_add_tokens(text, integer, integer) IS 'Count the tokens an answer used against this hour''s budget';

-- == Finishing runs ==

CREATE OR REPLACE FUNCTION app._ai_notify(p_run app.ai_analysis_run) RETURNS void
LANGUAGE sql VOLATILE AS $$
  SELECT pg_notify('ai:analysis', json_build_object('id', p_run.id, 'error_id', p_run.error_id, 'status', p_run.status)::text)
$$;
COMMENT ON FUNCTION app._ai_notify(app.ai_analysis_run) IS 'NOTIFY ai:analysis that a run changed (waiters re-read it)';

-- The group shows its newest finished analysis (an older run finishing late does not replace it).
CREATE OR REPLACE FUNCTION app._ai_store(p_run app.ai_analysis_run) RETURNS void
LANGUAGE sql VOLATILE AS $$
  UPDATE app.system_errors s
     SET ai_analysis = p_run.analysis, ai_suggestion = p_run.analysis ->> 'suggestedFix', ai_analyzed_at = p_run.finished_at
   WHERE s.id = p_run.error_id AND (s.ai_analyzed_at IS NULL OR s.ai_analyzed_at <= p_run.finished_at)
$$;
COMMENT ON FUNCTION app._ai_store(app.ai_analysis_run) IS 'Put a finished run''s analysis on its group (ai_analysis, ai_suggestion, ai_analyzed_at)';

CREATE OR REPLACE FUNCTION app._ai_succeed(p_run_id uuid, p_analysis jsonb) RETURNS app.ai_analysis_run
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_run app.ai_analysis_run;
BEGIN
  UPDATE app.ai_analysis_run r
     SET status = 'succeeded', finished_at = clock_timestamp(),
         analysis = p_analysis || jsonb_build_object('provider', r.provider, 'model', r.model, 'promptVersion', r.prompt_version,
                                                     'analysisId', r.id, 'analyzedAt', clock_timestamp())
   WHERE r.id = p_run_id
  RETURNING * INTO v_run;
  PERFORM app._ai_store(v_run), app._ai_notify(v_run);
  RETURN v_run;
END $$;
COMMENT ON FUNCTION app._ai_succeed(uuid, jsonb) IS 'Finish a run with its analysis (plus provider, model, prompt version, id, time) and store it on the group';

-- What every ai.analyze job carries; the job that calls a provider adds the prompt and its limits
-- (app._ai_call).
CREATE OR REPLACE FUNCTION app._ai_job_payload(p_run_id uuid, p_error_id uuid, p_organization_id uuid, p_error_hash text,
                                               p_trigger text, p_provider text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('analysis_id', p_run_id, 'error_id', p_error_id, 'organization_id', p_organization_id,
                            'error_hash', p_error_hash, 'transition', p_trigger, 'provider', p_provider)
$$;
COMMENT ON FUNCTION app._ai_job_payload(uuid, uuid, uuid, text, text, text) IS
  'The part of an ai.analyze payload every job has: run, error, organization, error_hash, transition (the trigger), provider';

-- The release of a group's newest event: a provider's answer is cached per release.
CREATE OR REPLACE FUNCTION app._ai_release(p_organization_id uuid, p_error_hash text) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT e.release FROM app.error_events e
   WHERE e.organization_id = p_organization_id AND e.error_hash = p_error_hash
   ORDER BY e.received_at DESC LIMIT 1
$$;
COMMENT ON FUNCTION app._ai_release(uuid, text) IS 'The release of an error group''s newest event (NULL when it names none)';

-- A heuristic run, computed now; p_fallback_of names the failed run it stands in for, whose
-- provider and reason the analysis then shows.
CREATE OR REPLACE FUNCTION app._ai_heuristic_run(p_group app.system_errors, p_trigger text, p_requested_by uuid,
                                                 p_release text, p_fallback_of uuid)
RETURNS app.ai_analysis_run
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_run app.ai_analysis_run;
BEGIN
  INSERT INTO app.ai_analysis_run (organization_id, error_id, error_hash, trigger, provider, model, requested_by, release,
                                   fallback_of)
  SELECT p_group.organization_id, p_group.id, p_group.error_hash, p_trigger, 'heuristic', p.model, p_requested_by,
         p_release, p_fallback_of
    FROM app.ai_provider p WHERE p.provider = 'heuristic'
  RETURNING * INTO v_run;
  RETURN app._ai_heuristic_finish(v_run.id);
END $$;
COMMENT ON FUNCTION app._ai_heuristic_run(app.system_errors, text, uuid, text, uuid) IS
  'A heuristic run of a group, computed now (a request, or the fallback of a failed run)';

CREATE OR REPLACE FUNCTION app._ai_heuristic_finish(p_run_id uuid) RETURNS app.ai_analysis_run
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_run app.ai_analysis_run;
  v_failed app.ai_analysis_run;
BEGIN
  SELECT * INTO v_run FROM app.ai_analysis_run r WHERE r.id = p_run_id;
  SELECT * INTO v_failed FROM app.ai_analysis_run r WHERE r.id = v_run.fallback_of;
  UPDATE app.ai_analysis_run r SET attempts = 1 WHERE r.id = p_run_id;
  RETURN app._ai_succeed(p_run_id, app.ai_heuristic_analysis(v_run.error_id)
    || CASE WHEN v_failed.id IS NULL THEN '{}'::jsonb
            ELSE jsonb_build_object('fallback', jsonb_build_object('from', v_failed.provider, 'model', v_failed.model,
                                                                   'reason', v_failed.reason, 'failedAnalysisId', v_failed.id))
       END);
END $$;
COMMENT ON FUNCTION app._ai_heuristic_finish(uuid) IS 'Compute a heuristic run''s analysis (naming the provider it stands in for) and finish it';

-- A provider run that cannot answer: failed with its reason, and a heuristic run in its place.
CREATE OR REPLACE FUNCTION app._ai_fail(p_run_id uuid, p_reason text) RETURNS app.ai_analysis_run
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_run app.ai_analysis_run;
  v_group app.system_errors;
BEGIN
  UPDATE app.ai_analysis_run r SET status = 'failed', reason = left(p_reason, 2000), finished_at = clock_timestamp()
   WHERE r.id = p_run_id
  RETURNING * INTO v_run;
  SELECT * INTO v_group FROM app.system_errors s WHERE s.id = v_run.error_id;
  PERFORM app._ai_heuristic_run(v_group, 'fallback', v_run.requested_by, v_run.release, v_run.id);
  PERFORM app._ai_notify(v_run);
  RETURN v_run;
END $$;
COMMENT ON FUNCTION app._ai_fail(uuid, text) IS 'Fail a provider run with its reason and compute the heuristic run that stands in for it';

-- A pending provider run goes to its provider: unless it has no key or its hourly budget is spent
-- (then it fails at once, with the heuristic in its place), a job carrying the prompt calls it.
CREATE OR REPLACE FUNCTION app._ai_call(p_run app.ai_analysis_run) RETURNS app.ai_analysis_run
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_config app.ai_provider;
  v_reason text;
  v_prompt jsonb;
  v_run app.ai_analysis_run;
BEGIN
  SELECT * INTO v_config FROM app.ai_provider p WHERE p.provider = p_run.provider;
  v_reason := CASE WHEN NOT v_config.configured
                   THEN format('%s is not configured: the workers have no API key for it', p_run.provider)
                   ELSE app.ai_budget_take(p_run.provider) END;
  IF v_reason IS NOT NULL THEN
    RETURN app._ai_fail(p_run.id, v_reason);
  END IF;
  v_prompt := app.ai_prompt(p_run.error_id);
  UPDATE app.ai_analysis_run r
     SET prompt_version = (v_prompt ->> 'prompt_version')::integer,
         job_id = app.job_enqueue('ai.analyze',
                    app._ai_job_payload(r.id, r.error_id, r.organization_id, r.error_hash, r.trigger, r.provider)
                    || jsonb_build_object(
                      'model', v_config.model, 'prompt_version', v_prompt -> 'prompt_version', 'system', v_prompt -> 'system',
                      'prompt', v_prompt -> 'prompt', 'candidates', v_prompt -> 'candidates',
                      'response_schema', app.ai_response_schema(), 'max_output_tokens', v_config.max_output_tokens,
                      'timeout_seconds', v_config.timeout_seconds),
                    'ai:' || r.id || ':call', NULL, 0, v_config.max_attempts)
   WHERE r.id = p_run.id
  RETURNING * INTO v_run;
  RETURN v_run;
END $$;
COMMENT ON FUNCTION app._ai_call(app.ai_analysis_run) IS
  'Send a pending provider run to its provider (a job with the prompt), or fail it with a heuristic fallback when it has no key or no budget left';

-- == Starting runs ==

-- From a capture: for each {id, transition}, a pending run of the default provider and a job that
-- brings it back to SQL outside the capture's transaction (app.ai_record_job). A new group has no
-- answer to reuse and a regressed one must not reuse one: no cache here.
CREATE OR REPLACE FUNCTION app._ai_queue(p_groups jsonb) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_config app.ai_provider;
BEGIN
  SELECT * INTO v_config FROM app.ai_provider p WHERE p.provider = app.ai_default_provider();
  INSERT INTO app.ai_analysis_run (id, organization_id, error_id, error_hash, trigger, provider, model, release, job_id)
  SELECT g.run_id, s.organization_id, s.id, s.error_hash, g.transition, v_config.provider, v_config.model,
         app._ai_release(s.organization_id, s.error_hash),
         app.job_enqueue('ai.analyze', app._ai_job_payload(g.run_id, s.id, s.organization_id, s.error_hash, g.transition,
                                                           v_config.provider),
                         'ai:' || g.run_id, NULL, 0, v_config.max_attempts)
    FROM (SELECT gen_random_uuid() AS run_id, x.id, x.transition  -- (a volatile select list: one id per group)
            FROM jsonb_to_recordset(p_groups) AS x (id uuid, transition text)) AS g
    JOIN app.system_errors s ON s.id = g.id
   ORDER BY s.id;
END $$;
COMMENT ON FUNCTION app._ai_queue(jsonb) IS
  'Queue an analysis by the default provider for each {id, transition} (new or regression) of a capture: a run and its job';

-- A request: the heuristic at once; a provider's pending run, or its cached answer, or a new run
-- sent to it (app._ai_call).
CREATE OR REPLACE FUNCTION app.ai_start(p_error_id uuid, p_provider text DEFAULT NULL, p_requested_by uuid DEFAULT NULL,
                                        p_fresh boolean DEFAULT false)
RETURNS app.ai_analysis_run
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_provider text := lower(btrim(coalesce(nullif(btrim(p_provider), ''), app.ai_default_provider())));
  v_config app.ai_provider;
  v_group app.system_errors;
  v_release text;
  v_run app.ai_analysis_run;
BEGIN
  SELECT * INTO v_config FROM app.ai_provider p WHERE p.provider = v_provider;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown AI provider %', p_provider USING ERRCODE = 'QV450',
      DETAIL = 'Field: provider.', HINT = 'Use anthropic, openai or heuristic, or leave it out for the default.';
  END IF;
  v_group := app.ai_error_group(p_error_id);
  v_release := app._ai_release(v_group.organization_id, v_group.error_hash);

  IF v_provider = 'heuristic' THEN  -- free and always fresh: no cache
    RETURN app._ai_heuristic_run(v_group, 'request', p_requested_by, v_release, NULL);
  END IF;
  -- one run at a time per group and provider
  SELECT * INTO v_run FROM app.ai_analysis_run r
   WHERE r.error_id = p_error_id AND r.provider = v_provider AND r.status = 'pending'
   ORDER BY r.created_at DESC LIMIT 1;
  IF FOUND THEN
    RETURN v_run;
  END IF;
  -- the cache: this error (organization, error_hash) answered by this provider for the same release
  -- since its last regression
  IF NOT coalesce(p_fresh, false) THEN
    SELECT * INTO v_run FROM app.ai_analysis_run r
     WHERE r.organization_id = v_group.organization_id AND r.error_hash = v_group.error_hash
       AND r.provider = v_provider AND r.status = 'succeeded' AND r.release IS NOT DISTINCT FROM v_release
       AND r.created_at >= coalesce((SELECT max(h.changed_at) FROM app.error_status_history h
                                      WHERE h.error_id = p_error_id AND h.to_status = 'recurring'), '-infinity')
     ORDER BY r.created_at DESC LIMIT 1;
    IF FOUND THEN
      PERFORM app._ai_store(v_run);
      RETURN v_run;
    END IF;
  END IF;

  INSERT INTO app.ai_analysis_run (organization_id, error_id, error_hash, trigger, provider, model, requested_by, release)
  VALUES (v_group.organization_id, v_group.id, v_group.error_hash, 'request', v_provider, v_config.model, p_requested_by,
          v_release)
  RETURNING * INTO v_run;
  RETURN app._ai_call(v_run);
END $$;
COMMENT ON FUNCTION app.ai_start(uuid, text, uuid, boolean) IS
'Start an analysis of an error group on request by a provider (NULL: the default). Reuses a pending run, or a cached
answer of the same provider for the same error, release and regression unless p_fresh. Unconfigured or over-budget
providers fail at once with a heuristic run in their place.';

-- From the capture trigger: new and regressed groups the policy (app.capture_job_policy) asks for.
CREATE OR REPLACE FUNCTION app.ai_on_error_groups(p_outcomes jsonb) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_groups jsonb;
BEGIN
  SELECT jsonb_agg(jsonb_build_object('id', o.id, 'transition', t.transition) ORDER BY o.organization_id, o.error_hash)
    INTO v_groups
    FROM jsonb_to_recordset(p_outcomes) AS o (id uuid, organization_id uuid, error_hash text, status text,
                                              severity app.severity_enum, is_new boolean, is_regression boolean)
   CROSS JOIN LATERAL (SELECT CASE WHEN o.is_new THEN 'new' WHEN o.is_regression THEN 'regression' END AS transition) AS t
    JOIN app.capture_job_policy p ON p.job_kind = 'ai.analyze' AND p.enabled AND p.transition = t.transition
                                 AND o.severity >= p.min_severity
   WHERE o.status IS DISTINCT FROM 'ignored';
  IF v_groups IS NOT NULL THEN
    PERFORM app._ai_on_error_groups(v_groups);
  END IF;
END $$;
COMMENT ON FUNCTION app.ai_on_error_groups(jsonb) IS
  'Queue the analyses app.capture_job_policy asks for among a capture''s outcomes (new and regressed groups); never fails the capture';
GRANT EXECUTE ON FUNCTION app.ai_on_error_groups(jsonb) TO anon, staff, org_owner, system_admin, pgwarden_web;

-- (its own function: the exception block costs a subtransaction, paid only when there is work)
CREATE OR REPLACE FUNCTION app._ai_on_error_groups(p_groups jsonb) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM app._ai_queue(p_groups);
EXCEPTION WHEN OTHERS THEN
  -- analysis must never cost a capture (the code, not the message: it may quote the data)
  RAISE WARNING 'AI analysis could not be queued (SQLSTATE %)', SQLSTATE;
END $$;
COMMENT ON FUNCTION app._ai_on_error_groups(jsonb) IS 'Queue an analysis for each {id, transition}; a failure is a warning';

-- == Recording a job's outcome (trigger on app.job_history) ==

CREATE OR REPLACE FUNCTION app.ai_record_job(p_job app.job_history) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_run app.ai_analysis_run;
  v_usage jsonb;
  v_answer jsonb;
BEGIN
  IF NOT p_job.payload ? 'analysis_id' THEN
    -- queued before analyses had runs ({error_id, transition, …}): queue its analysis now
    PERFORM app._ai_queue(jsonb_build_array(jsonb_build_object(
      'id', s.id, 'transition', CASE WHEN p_job.payload ->> 'transition' = 'regression' THEN 'regression' ELSE 'new' END)))
       FROM app.system_errors s WHERE s.id = (p_job.payload ->> 'error_id')::uuid;
    RETURN;
  END IF;
  SELECT * INTO v_run FROM app.ai_analysis_run r WHERE r.id = (p_job.payload ->> 'analysis_id')::uuid FOR UPDATE;
  IF NOT FOUND OR v_run.status <> 'pending' THEN
    RETURN;  -- purged, or finished already
  END IF;
  IF v_run.provider = 'heuristic' THEN  -- the handler only handed it back: SQL does the work
    PERFORM app._ai_heuristic_finish(v_run.id);
    RETURN;
  END IF;
  IF NOT p_job.payload ? 'prompt' THEN  -- a capture's run, handed back: now its budget, prompt and call
    IF p_job.state = 'succeeded' THEN
      PERFORM app._ai_call(v_run);
    ELSE
      PERFORM app._ai_fail(v_run.id, coalesce(p_job.last_error, 'the job died'));
    END IF;
    RETURN;
  END IF;

  -- tokens of every call, those of failed attempts included (their details carry them)
  SELECT jsonb_build_object('input', coalesce(sum((u.usage ->> 'input_tokens')::integer), 0),
                            'output', coalesce(sum((u.usage ->> 'output_tokens')::integer), 0),
                            'calls', coalesce(sum(coalesce((u.usage ->> 'calls')::integer, 1)), 0))
    INTO v_usage
    FROM (SELECT f -> 'details' -> 'usage' AS usage FROM jsonb_array_elements(p_job.failures) AS f
          UNION ALL
          SELECT p_job.result -> 'usage' WHERE p_job.state = 'succeeded') AS u;
  PERFORM app.ai_budget_add_tokens(v_run.provider, (v_usage ->> 'input')::integer, (v_usage ->> 'output')::integer);
  UPDATE app.ai_analysis_run r
     SET attempts = greatest((v_usage ->> 'calls')::integer, p_job.attempts),
         input_tokens = (v_usage ->> 'input')::integer, output_tokens = (v_usage ->> 'output')::integer,
         latency_ms = (p_job.result ->> 'latency_ms')::integer,
         model = coalesce(p_job.result ->> 'model', r.model)
   WHERE r.id = v_run.id;

  IF p_job.state = 'succeeded' AND p_job.result ->> 'status' = 'ok' THEN
    v_answer := p_job.result -> 'analysis';
    PERFORM app._ai_succeed(v_run.id, v_answer || jsonb_build_object(
      -- only ids the prompt offered: a model cannot know others, and must not name another tenant's
      'relatedErrors', coalesce((SELECT jsonb_agg(DISTINCT r.id) FROM jsonb_array_elements_text(v_answer -> 'relatedErrors') AS r (id)
                                  WHERE p_job.payload -> 'candidates' ? r.id), '[]'),
      'usage', jsonb_build_object('inputTokens', (v_usage ->> 'input')::integer, 'outputTokens', (v_usage ->> 'output')::integer),
      'latencyMs', (p_job.result ->> 'latency_ms')::integer));
  ELSE
    PERFORM app._ai_fail(v_run.id, CASE WHEN p_job.state = 'succeeded'
                                        THEN 'invalid output: ' || coalesce(p_job.result ->> 'reason', 'no reason given')
                                        ELSE coalesce(p_job.last_error, 'the job died') END);
  END IF;
END $$;
COMMENT ON FUNCTION app.ai_record_job(app.job_history) IS
'Record a finished ai.analyze job: heuristic runs are computed; a capture''s provider run is sent to its provider
(app._ai_call); a provider''s valid answer is stored (relatedErrors kept to the offered candidates, tokens counted);
an invalid answer or a dead job fails the run with a heuristic fallback';
