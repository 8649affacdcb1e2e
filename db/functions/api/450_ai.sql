-- AI analysis over PostgREST: ask for an analysis, read a group's analysis and its runs, the
-- providers with their budgets, and related errors. Org owners and staff reach their organization's
-- errors only (row-level security); system admins all. pgwarden web answers the spec's
-- POST /functions/v1/ai-error-analysis from the same functions (workers/web/routes_ai.py).

CREATE VIEW api.error_analyses WITH (security_invoker = true) AS
  SELECT s.id AS error_id, s.organization_id, s.ai_analysis AS analysis, s.ai_suggestion, s.ai_analyzed_at,
         s.ai_analysis ->> 'provider' AS provider, s.ai_analysis ->> 'model' AS model,
         (SELECT r.id FROM app.ai_analysis_run r
           WHERE r.error_id = s.id AND r.status = 'pending' ORDER BY r.created_at DESC LIMIT 1) AS pending_run_id
    FROM app.system_errors s;
COMMENT ON VIEW api.error_analyses IS $$The current AI analysis of each error group

analysis is the spec's response object (rootCause, impact, suggestedFix, prevention, severity 1-5,
relatedErrors) plus provider, model, promptVersion, analysisId, analyzedAt, usage and latencyMs for a
provider's answer, fixClass, autoFix and language for the heuristic's, and fallback {from, model, reason,
failedAnalysisId} when the heuristic stood in for a provider that failed. pending_run_id names a run
still waiting for its answer. Filter with error_id=eq.<id>.$$;
GRANT SELECT ON api.error_analyses TO staff, org_owner, system_admin;

CREATE VIEW api.ai_analysis_runs WITH (security_invoker = true) AS
  SELECT r.id, r.error_id, r.organization_id, r.trigger, r.provider, r.model, r.prompt_version, r.status, r.analysis,
         r.reason, r.release, r.attempts, r.input_tokens, r.output_tokens, r.latency_ms, r.requested_by, r.fallback_of,
         r.created_at, r.finished_at
    FROM app.ai_analysis_run r;
COMMENT ON VIEW api.ai_analysis_runs IS $$Every analysis run: queued, answered or failed

trigger: new or regression (queued by capture), request, or fallback (a heuristic run standing in
for the failed run fallback_of). status pending, succeeded or failed (reason says why: provider error,
over budget, not configured, invalid output). Filter with error_id=eq.<id>&order=created_at.desc.$$;
GRANT SELECT ON api.ai_analysis_runs TO staff, org_owner, system_admin;

CREATE VIEW api.ai_providers WITH (security_invoker = true) AS
  SELECT p.provider, p.configured, p.model, p.provider = app.ai_default_provider() AS is_default,
         p.calls_per_hour, p.tokens_per_hour, coalesce(u.calls, 0) AS calls_this_hour,
         coalesce(u.input_tokens + u.output_tokens, 0) AS tokens_this_hour
    FROM app.ai_provider p
    LEFT JOIN app.ai_provider_usage u ON u.provider = p.provider AND u.hour = date_trunc('hour', now());
COMMENT ON VIEW api.ai_providers IS $$The analysis providers: anthropic, openai, heuristic

configured: the workers hold an API key for it (an unconfigured provider's requests fall back to the
heuristic); is_default: the provider of automatic and unspecified analyses; the hourly budget (NULL: no
limit) and what this UTC hour has used of it.$$;
GRANT SELECT ON api.ai_providers TO staff, org_owner, system_admin;

-- ids as text, read by app.uuid_of: typed uuid, PostgREST's cast would answer 22P02 before the body runs
CREATE FUNCTION api.request_ai_analysis(error_id text, provider text DEFAULT NULL, fresh boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.ai_request(app.uuid_of(request_ai_analysis.error_id, 'error_id'), request_ai_analysis.provider, request_ai_analysis.fresh);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
END $$;
COMMENT ON FUNCTION api.request_ai_analysis(text, text, boolean) IS $$Analyse an error with an AI provider

provider: anthropic, openai or heuristic (default: the configured default, see /ai_providers). Answers
{id, errorId, status, provider, model, reason, fallbackId, done, analysis, reused}: a heuristic analysis
is done at once; a provider's is pending until its worker answers (read /ai_analysis_runs?id=eq.<id> or
/error_analyses?error_id=eq.<errorId>). An analysis by the same provider for the same error, release and
regression is served from cache (reused) unless fresh is true; a pending one is not queued twice. A
provider that is not configured, over its hourly budget, down, or answering invalid JSON fails with its
reason and the heuristic stands in (analysis.fallback). 404 for an error you cannot see.

Parameters:
- error_id: the error group to analyse (UUID)
- provider: AI provider name (text; omitted = the configured default)
- fresh: true to analyse again even when a recent analysis exists (boolean, default false)

Errors: QV001 400 (error_id is not a UUID, named in details), QV450 400 (unknown provider), QN001 404 (error not found).

Example: curl -X POST "$API/rpc/request_ai_analysis" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"error_id": "uuid", "fresh": true}'$$;
GRANT EXECUTE ON FUNCTION api.request_ai_analysis(text, text, boolean) TO staff, org_owner, system_admin;

-- ids as text, read by app.uuid_of: typed uuid, PostgREST's cast would answer 22P02 before the body runs
CREATE FUNCTION api.related_errors(error_id text, max_results integer DEFAULT 5)
RETURNS TABLE (id uuid, score real, error_type app.error_type_enum, severity app.severity_enum,
               status app.error_status_enum, message text, occurrence_count integer, last_seen_at timestamptz)
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM app.system_errors s WHERE s.id = app.uuid_of(related_errors.error_id, 'error_id')) THEN
    PERFORM app.raise_http('QN001', format('error %s not found', app.uuid_of(related_errors.error_id, 'error_id')), 'Field: error_id.',
                           'Use the id of an error of your organization.');
  END IF;
  RETURN QUERY
  SELECT s.id, r.score, s.error_type, s.severity, s.status, s.message, s.occurrence_count, s.last_seen_at
    FROM app.related_errors(app.uuid_of(related_errors.error_id, 'error_id'), least(greatest(coalesce(related_errors.max_results, 5), 1), 50)) AS r
    JOIN app.system_errors s ON s.id = r.id
   ORDER BY r.score DESC, s.id;
EXCEPTION WHEN query_canceled THEN
  PERFORM app.raise_statement_timeout();
END $$;
COMMENT ON FUNCTION api.related_errors(text, integer) IS $$Errors similar to one error, most similar first

Groups of the same organization whose error type, normalized message and newest in-app frames are
alike (pg_trgm similarity, score 0.3 to 1); at most max_results (50). 404 for an error you cannot see.

Parameters:
- error_id: the error group to compare with (UUID)
- max_results: how many at most (integer, default 5, kept within 1 to 50)

Errors: QV001 400 (error_id is not a UUID, named in details), QN001 404 (error not found or not yours), QR002 429 (timeout).

Example: curl -X POST "$API/rpc/related_errors" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"error_id": "uuid", "max_results": 5}'$$;
GRANT EXECUTE ON FUNCTION api.related_errors(text, integer) TO staff, org_owner, system_admin;
