-- The AI analysis policy in SQL: new and regressed groups from the policy's severity up are queued
-- for the default provider (heuristic without a key), others only on request; a provider's job
-- carries the prompt and the response schema; a pending run is not queued twice; a cached answer
-- serves for the same error, release and regression unless fresh; the hourly budget, a missing key,
-- an invalid answer and a dead job each fail the run with its reason and a heuristic run stands in;
-- a provider's answer keeps only the related errors it was offered; old runs are purged.
BEGIN;
SELECT plan(48);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-0000000000a1', 'shop'), ('00000000-0000-0000-0000-0000000000b1', 'other');
SELECT app.rate_limit_set(o, 0)
  FROM unnest(ARRAY['00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000b1']::uuid[]) AS o;
UPDATE app.job_setting SET backoff_base_seconds = 10, backoff_cap_seconds = 1000;

CREATE FUNCTION pg_temp.capture(p_org uuid, p_severity text, p_name text, p_function text, p_release text DEFAULT NULL)
RETURNS uuid
LANGUAGE sql AS $$
  SELECT ((app.capture_one(p_org, NULL, jsonb_build_object(
    'error_type', 'javascript', 'severity', p_severity,
    'message', format('TypeError: Cannot read properties of undefined (reading ''%s'')', p_name),
    'stack_trace', format(E'TypeError: Cannot read properties of undefined (reading ''%s'')\n'
                          '    at %s (https://shop.test/static/cart.js:10:5)\n    at main (https://shop.test/static/main.js:1:1)',
                          p_name, p_function),
    'metadata', jsonb_strip_nulls(jsonb_build_object('release', p_release))))).result ->> 'id')::uuid
$$;
-- claim every due ai.analyze job and complete it with this result (NULL: what the heuristic's handler answers)
CREATE FUNCTION pg_temp.work(p_result jsonb DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_job record;
  v_done integer := 0;
BEGIN
  FOR v_job IN SELECT * FROM app.job_claim('w', ARRAY['ai.analyze'], 100) LOOP
    PERFORM app.job_complete(v_job.id, 'w', coalesce(p_result, '{}') || jsonb_build_object(
      'analysis_id', v_job.payload ->> 'analysis_id', 'provider', v_job.payload ->> 'provider'));
    v_done := v_done + 1;
  END LOOP;
  RETURN v_done;
END $$;
CREATE FUNCTION pg_temp.runs(p_error uuid) RETURNS TABLE (trigger text, provider text, status text, fallback boolean)
LANGUAGE sql AS $$
  SELECT r.trigger, r.provider, r.status::text, r.fallback_of IS NOT NULL FROM app.ai_analysis_run r
   WHERE r.error_id = p_error ORDER BY r.created_at, r.provider <> 'heuristic', r.id
$$;

-- == Automatic analysis of new and regressed groups (no key: the heuristic) ==
SELECT is(app.ai_default_provider(), 'heuristic', 'without a key the default provider is the heuristic');
SELECT pg_temp.capture('00000000-0000-0000-0000-0000000000a1', 'critical', 'total', 'renderCart') AS cart \gset
SELECT results_eq(format('SELECT * FROM pg_temp.runs(%L)', :'cart'), $$VALUES ('new', 'heuristic', 'pending', false)$$,
  'a new critical group is queued for an analysis at capture');
SELECT is((SELECT j.payload - 'analysis_id' - 'error_id' - 'organization_id' - 'error_hash' FROM app.job j
            WHERE j.kind = 'ai.analyze'),
          '{"provider": "heuristic", "transition": "new"}'::jsonb,
          '... through an ai.analyze job (the capture pays for no analysis, the heuristic''s job carries no prompt)');
SELECT is((SELECT s.ai_analysis FROM app.system_errors s WHERE s.id = :'cart'), NULL, '... not analysed yet');
SELECT is(pg_temp.work(), 1, 'a worker hands the heuristic''s job back');
SELECT is((SELECT (s.ai_analysis ->> 'provider', s.ai_analysis ->> 'fixClass', s.ai_suggestion = s.ai_analysis ->> 'suggestedFix',
                   s.ai_analyzed_at IS NOT NULL)::text FROM app.system_errors s WHERE s.id = :'cart'),
          '(heuristic,null_check,t,t)', '... and the group holds the analysis, its suggestion and when');
SELECT is((SELECT r.status::text FROM app.ai_analysis_run r WHERE r.error_id = :'cart'), 'succeeded', '... its run succeeded');

SELECT pg_temp.capture('00000000-0000-0000-0000-0000000000a1', 'critical', 'total', 'renderCart');
SELECT is((SELECT count(*)::int FROM app.ai_analysis_run r WHERE r.error_id = :'cart'), 1,
  'another event of the group queues nothing');
CREATE TEMP TABLE batch AS SELECT (b.result ->> 'id')::uuid AS error_id
  FROM app.capture_batch('00000000-0000-0000-0000-0000000000a1', NULL,
         '[{"message": "Export failed", "severity": "error"}, {"message": "Import failed", "severity": "error"},
           {"message": "Sync failed", "severity": "critical"}, {"message": "Export failed", "severity": "error"}]') AS b;
SELECT is((SELECT count(DISTINCT r.id)::int || ' runs, ' || count(DISTINCT r.job_id) || ' jobs'
             FROM batch b JOIN app.ai_analysis_run r ON r.error_id = b.error_id),
          '3 runs, 3 jobs', 'a capture of several new groups queues one run and one job for each');
SELECT pg_temp.capture('00000000-0000-0000-0000-0000000000a1', 'warning', 'items', 'renderList') AS warned \gset
SELECT is_empty(format('SELECT * FROM pg_temp.runs(%L)', :'warned'), 'a new group below the policy''s severity (error) is not analysed');
SELECT app.error_status_change(:'cart', 'resolved');
SELECT pg_temp.capture('00000000-0000-0000-0000-0000000000a1', 'critical', 'total', 'renderCart');
SELECT results_eq(format('SELECT trigger, status FROM pg_temp.runs(%L) WHERE trigger = ''regression''', :'cart'),
  $$VALUES ('regression', 'pending')$$, 'a regression is analysed again');
SELECT pg_temp.work();

-- == The providers' settings from the environment ==
SELECT is(app.ai_configure('{"default_provider": null, "providers": {"anthropic": {"configured": true, "model": "claude-test"},
                                                                     "openai": {"configured": false, "model": null}}}')
            -> 'providers' -> 'anthropic', '{"configured": true, "model": "claude-test"}',
          'a key and PGWARDEN_ANTHROPIC_MODEL configure anthropic');
SELECT is(app.ai_default_provider(), 'anthropic', '... which is then the default');
SELECT throws_ok($$SELECT app.ai_configure('{"default_provider": "llama"}')$$, 'QV450', NULL,
  'an unknown PGWARDEN_AI_PROVIDER is refused');
SELECT is(app.ai_configure('{"default_provider": " Heuristic ", "providers": {"anthropic": {"configured": false}}}')
            ->> 'default_provider', 'heuristic',
  'PGWARDEN_AI_PROVIDER picks the default, whatever its case');
SELECT is((SELECT p.configured FROM app.ai_provider p WHERE p.provider = 'anthropic'), false,
  '... and a provider whose key is gone is not configured');
SELECT app.ai_configure('{"providers": {"anthropic": {"configured": true}}}');
UPDATE app.ai_setting SET default_provider = 'heuristic';

-- == A provider on request ==
SELECT pg_temp.capture('00000000-0000-0000-0000-0000000000a1', 'error', 'price', 'showPrice', 'shop@1.0') AS price \gset
SELECT pg_temp.capture('00000000-0000-0000-0000-0000000000a1', 'error', 'price', 'showPrices') AS similar \gset
SELECT pg_temp.capture('00000000-0000-0000-0000-0000000000b1', 'error', 'price', 'showPrice') AS foreign_error \gset
SELECT pg_temp.work();
SELECT app.ai_request(:'price', 'anthropic') AS asked \gset
SELECT is((:'asked'::jsonb ->> 'status', :'asked'::jsonb ->> 'done', :'asked'::jsonb ->> 'provider')::text,
  '(pending,false,anthropic)', 'a request for a configured provider is pending');
SELECT is((SELECT (j.payload ->> 'model', j.payload -> 'response_schema' = app.ai_response_schema(),
                   j.payload ->> 'prompt' LIKE '%ERROR DETAILS:%', j.payload -> 'candidates' ? :'similar',
                   j.payload -> 'candidates' ? :'foreign_error', j.max_attempts)::text
             FROM app.job j WHERE j.payload ->> 'analysis_id' = :'asked'::jsonb ->> 'id'),
          '(claude-test,t,t,t,f,4)',
          '... its job carries the model, the prompt, the response schema and the candidates of its organization only');
SELECT is((app.ai_request(:'price', 'anthropic') ->> 'id'), :'asked'::jsonb ->> 'id', 'a pending run is not queued twice');
SELECT is((SELECT u.calls FROM app.ai_provider_usage u WHERE u.provider = 'anthropic'), 1, '... and took one call of the budget');

SELECT pg_temp.work(jsonb_build_object('status', 'ok', 'model', 'claude-test-20260101', 'latency_ms', 812,
  'usage', jsonb_build_object('calls', 1, 'input_tokens', 900, 'output_tokens', 300),
  'analysis', jsonb_build_object('rootCause', 'The price is read before it loads.', 'impact', 'Checkout.',
    'suggestedFix', 'price?.amount', 'prevention', 'Types.', 'severity', 4,
    'relatedErrors', jsonb_build_array(:'similar', :'foreign_error', 'not-an-id'))));
SELECT is((SELECT (a ->> 'provider', a ->> 'model', a ->> 'promptVersion', a -> 'relatedErrors' = jsonb_build_array(:'similar'),
                   a -> 'usage', a ->> 'latencyMs')::text
             FROM app.system_errors s CROSS JOIN LATERAL (SELECT s.ai_analysis AS a) x WHERE s.id = :'price'),
          '(anthropic,claude-test-20260101,1,t,"{""inputTokens"": 900, ""outputTokens"": 300}",812)',
          'a provider''s answer is stored with model, prompt version, usage and latency, naming only related errors it was offered');
SELECT is((SELECT s.ai_suggestion FROM app.system_errors s WHERE s.id = :'price'), 'price?.amount', '... its fix is the suggestion');
SELECT is((SELECT u.input_tokens + u.output_tokens FROM app.ai_provider_usage u WHERE u.provider = 'anthropic'), 1200::bigint,
  '... and its tokens count against the hour''s budget');

-- == The cache ==
SELECT is(app.ai_request(:'price', 'anthropic') ->> 'id', :'asked'::jsonb ->> 'id',
  'the same error, provider and release is answered from cache');
SELECT isnt(app.ai_request(:'price', 'anthropic', true) ->> 'id', :'asked'::jsonb ->> 'id', '... unless asked fresh');
SELECT pg_temp.work(jsonb_build_object('status', 'ok', 'analysis', jsonb_build_object('rootCause', 'r', 'impact', 'i',
  'suggestedFix', 'f', 'prevention', 'p', 'severity', 2, 'relatedErrors', '[]'::jsonb)));
SELECT pg_temp.capture('00000000-0000-0000-0000-0000000000a1', 'error', 'price', 'showPrice', 'shop@1.1');
SELECT is(app.ai_request(:'price', 'anthropic') ->> 'status', 'pending', 'a new release is analysed again');
SELECT pg_temp.work(jsonb_build_object('status', 'ok', 'analysis', jsonb_build_object('rootCause', 'r', 'impact', 'i',
  'suggestedFix', 'f', 'prevention', 'p', 'severity', 2, 'relatedErrors', '[]'::jsonb)));
UPDATE app.ai_analysis_run SET created_at = now() - interval '1 minute' WHERE error_id = :'price';  -- (one transaction)
SELECT app.error_status_change(:'price', 'resolved');
SELECT pg_temp.capture('00000000-0000-0000-0000-0000000000a1', 'error', 'price', 'showPrice', 'shop@1.1');
SELECT pg_temp.work();
SELECT is(app.ai_request(:'price', 'anthropic') ->> 'status', 'pending', '... and so is a regression');

-- == Failures: the heuristic stands in, and says for whom ==
SELECT pg_temp.work(jsonb_build_object('status', 'invalid', 'reason', 'severity: 9 is greater than the maximum of 5',
                                       'usage', jsonb_build_object('calls', 2, 'input_tokens', 10, 'output_tokens', 10)));
SELECT is((SELECT (r.status, r.reason, r.attempts)::text FROM app.ai_analysis_run r
            WHERE r.error_id = :'price' AND r.provider = 'anthropic' ORDER BY r.created_at DESC, r.finished_at DESC LIMIT 1),
          '(failed,"invalid output: severity: 9 is greater than the maximum of 5",2)',
          'an answer that broke the schema twice fails the run with the reason');
SELECT is((SELECT s.ai_analysis -> 'fallback' ->> 'from' || ' / ' || (s.ai_analysis ->> 'provider') FROM app.system_errors s
            WHERE s.id = :'price'), 'anthropic / heuristic', '... and the stored analysis is the heuristic''s, naming the failed provider');
SELECT app.ai_request(:'similar', 'anthropic') AS down \gset
SELECT app.job_fail(j.id, 'w', 'anthropic: HTTP 529: overloaded', true, 7, '{"status": 529}')
  FROM app.job_claim('w', ARRAY['ai.analyze'], 1) AS j;
SELECT is((SELECT (j.state, j.run_at = now() + interval '7 seconds')::text FROM app.job j
            WHERE j.payload ->> 'analysis_id' = :'down'::jsonb ->> 'id'),
          '(queued,t)', 'a provider error is retried through the job table after its Retry-After');
UPDATE app.job SET run_at = now() WHERE kind = 'ai.analyze';
SELECT app.job_fail(j.id, 'w', 'anthropic: HTTP 401: invalid x-api-key', false) FROM app.job_claim('w', ARRAY['ai.analyze'], 1) AS j;
SELECT is((SELECT (a ->> 'status', a ->> 'reason', a ->> 'done', a -> 'analysis' ->> 'provider')::text
             FROM (SELECT app.ai_run_answer((:'down'::jsonb ->> 'id')::uuid) AS a) x),
          '(failed,"anthropic: HTTP 401: invalid x-api-key",true,heuristic)',
          'a dead job fails the run with its last error, and its answer is the heuristic''s');
SELECT is((SELECT r.status::text FROM app.ai_analysis_run r WHERE r.fallback_of = (:'down'::jsonb ->> 'id')::uuid), 'succeeded',
  '... computed at once (a request is not a capture)');

SELECT is(app.ai_request(:'similar', 'openai') -> 'analysis' -> 'fallback' ->> 'reason',
  'openai is not configured: the workers have no API key for it', 'a provider without a key falls back at once');
UPDATE app.ai_provider SET calls_per_hour = 1 WHERE provider = 'anthropic';
SELECT is(app.ai_request(:'similar', 'anthropic', true) ->> 'reason', 'over budget: 5 of 1 calls to anthropic this hour',
  'a spent hourly budget falls back at once, without a call');
UPDATE app.ai_provider SET calls_per_hour = NULL, tokens_per_hour = 1000 WHERE provider = 'anthropic';
SELECT is(app.ai_request(:'similar', 'anthropic', true) ->> 'reason', 'over budget: 1220 of 1000 tokens of anthropic this hour',
  '... and so does a spent token budget');
UPDATE app.ai_provider SET tokens_per_hour = 0 WHERE provider = 'heuristic';
SELECT is(app.ai_request(:'similar', 'heuristic') ->> 'status', 'succeeded', 'the heuristic has no budget to spend');

-- == A provider as the default: a capture builds no prompt and takes no budget ==
UPDATE app.ai_provider SET tokens_per_hour = NULL WHERE provider = 'anthropic';
UPDATE app.ai_setting SET default_provider = 'anthropic';
SELECT u.calls AS calls_before FROM app.ai_provider_usage u WHERE u.provider = 'anthropic' \gset
SELECT pg_temp.capture('00000000-0000-0000-0000-0000000000a1', 'critical', 'stock', 'showStock') AS stock \gset
SELECT is((SELECT (r.provider, r.status, r.prompt_version IS NULL, j.payload ? 'prompt')::text
             FROM app.ai_analysis_run r JOIN app.job j ON j.id = r.job_id WHERE r.error_id = :'stock'),
          '(anthropic,pending,t,f)', 'a new group is queued for the default provider without a prompt');
SELECT is((SELECT u.calls FROM app.ai_provider_usage u WHERE u.provider = 'anthropic'), :calls_before,
  '... and without taking from its budget: the capture''s transaction does neither');
SELECT pg_temp.work();
SELECT is((SELECT (r.prompt_version, j.payload ->> 'prompt' LIKE '%ERROR DETAILS:%', j.idempotency_key = 'ai:' || r.id || ':call')::text
             FROM app.ai_analysis_run r JOIN app.job j ON j.id = r.job_id WHERE r.error_id = :'stock'),
          '(1,t,t)', 'the worker hands it back: then its prompt is built and its call queued');
SELECT is((SELECT u.calls FROM app.ai_provider_usage u WHERE u.provider = 'anthropic'), :calls_before + 1,
  '... taking one call from the budget');
UPDATE app.ai_setting SET default_provider = 'heuristic';

-- == Refusals ==
SELECT throws_ok($$SELECT app.ai_request('00000000-0000-0000-0000-00000000dead', 'heuristic')$$, 'QN001', NULL,
  'an unknown error is not found');
SELECT throws_ok(format('SELECT app.ai_request(%L, %L)', :'price', 'llama'), 'QV450', NULL, 'an unknown provider is refused');
SELECT throws_ok($$SELECT app.ai_run_answer('00000000-0000-0000-0000-00000000dead')$$, 'QN450', NULL,
  'an unknown analysis is not found');
SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-0000000000b1"}';
SELECT throws_ok(format('SELECT app.ai_request(%L, %L)', :'price', 'heuristic'), 'QN001', NULL,
  'another organization''s error is not found');
SELECT is(app.ai_request(:'foreign_error', 'heuristic') ->> 'status', 'succeeded', '... its own is analysed');
RESET ROLE;

-- == Retention ==
UPDATE app.ai_analysis_run SET created_at = now() - interval '91 days' WHERE error_id = :'cart';
INSERT INTO app.ai_analysis_run (organization_id, error_id, error_hash, trigger, provider, created_at)
SELECT s.organization_id, s.id, s.error_hash, 'request', 'anthropic', now() - interval '91 days'
  FROM app.system_errors s WHERE s.id = :'cart';
SELECT is(app.ai_purge(), 2, 'runs past the retention are purged');
SELECT results_eq(format('SELECT status FROM pg_temp.runs(%L)', :'cart'), $$VALUES ('pending')$$, '... but not a pending one');
SELECT isnt((SELECT s.ai_analysis FROM app.system_errors s WHERE s.id = :'cart'), NULL, '... and the group keeps its analysis');

SELECT * FROM finish();
ROLLBACK;
