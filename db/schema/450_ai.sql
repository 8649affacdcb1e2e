-- AI analysis (spec "AI-Powered Analysis", DESIGN.md section 8): which provider analyses an error
-- group, within which budget, with which prompt; every analysis run; and the similarity index that
-- finds related errors. The heuristic provider's rules are in db/schema/455_ai_heuristic.sql.
-- Functions: db/functions/app/45x_ai_*.sql; the API: db/functions/api/450_ai.sql.

-- == Enums ==

CREATE TYPE app.ai_run_status AS ENUM (
  'pending',    -- queued: an ai.analyze job will answer (request, or a new or regressed group)
  'succeeded',  -- the provider's answer passed the response schema; stored on the group
  'failed'      -- the provider could not answer (outage, refusal, over budget, invalid output): reason says
                -- why, and a heuristic run (fallback_of = this run) took its place
);
COMMENT ON TYPE app.ai_run_status IS 'Life of one analysis run: pending -> succeeded | failed (then a heuristic fallback)';

-- == Settings and providers ==

CREATE TABLE app.ai_setting (
  id               boolean PRIMARY KEY DEFAULT true CONSTRAINT ai_setting_id_check CHECK (id),
  default_provider text CONSTRAINT ai_setting_default_provider_check
    CHECK (default_provider IN ('anthropic', 'openai', 'heuristic')),
  prompt_version   integer NOT NULL DEFAULT 1,
  related_limit    integer NOT NULL DEFAULT 5 CONSTRAINT ai_setting_related_limit_check CHECK (related_limit BETWEEN 0 AND 20),
  related_min_score real NOT NULL DEFAULT 0.5
    CONSTRAINT ai_setting_related_min_score_check CHECK (related_min_score BETWEEN 0.3 AND 1),
  prompt_text_chars integer NOT NULL DEFAULT 6000
    CONSTRAINT ai_setting_prompt_text_chars_check CHECK (prompt_text_chars BETWEEN 500 AND 60000),
  run_retention    interval NOT NULL DEFAULT '90 days' CONSTRAINT ai_setting_run_retention_check CHECK (run_retention >= interval '1 day'),
  request_wait_seconds real NOT NULL DEFAULT 20
    CONSTRAINT ai_setting_request_wait_seconds_check CHECK (request_wait_seconds BETWEEN 0 AND 60)
);
COMMENT ON TABLE app.ai_setting IS 'The one row of AI analysis policy';
COMMENT ON COLUMN app.ai_setting.default_provider IS
  'Provider of automatic and unspecified analyses (PGWARDEN_AI_PROVIDER); NULL: the first configured of anthropic, openai, else heuristic';
COMMENT ON COLUMN app.ai_setting.prompt_version IS 'The app.ai_prompt version new prompts are built from';
COMMENT ON COLUMN app.ai_setting.related_limit IS 'How many similar groups an analysis offers the model and lists in relatedErrors';
COMMENT ON COLUMN app.ai_setting.related_min_score IS
  'Trigram similarity from which a similar group counts as related in a heuristic analysis (api.related_errors lists from 0.3)';
COMMENT ON COLUMN app.ai_setting.prompt_text_chars IS 'Longest message or stack trace a prompt carries (the rest is cut)';
COMMENT ON COLUMN app.ai_setting.run_retention IS 'Analysis runs older than this are purged (the analysis on the group stays)';
COMMENT ON COLUMN app.ai_setting.request_wait_seconds IS
  'How long POST /functions/v1/ai-error-analysis waits for a provider''s answer before it answers 202 with a status URL';
INSERT INTO app.ai_setting DEFAULT VALUES;

CREATE TABLE app.ai_provider (
  provider          text PRIMARY KEY CONSTRAINT ai_provider_provider_check CHECK (provider IN ('anthropic', 'openai', 'heuristic')),
  configured        boolean NOT NULL DEFAULT false,
  model             text NOT NULL,
  calls_per_hour    integer CONSTRAINT ai_provider_calls_per_hour_check CHECK (calls_per_hour >= 0),
  tokens_per_hour   integer CONSTRAINT ai_provider_tokens_per_hour_check CHECK (tokens_per_hour >= 0),
  timeout_seconds   real NOT NULL DEFAULT 30 CONSTRAINT ai_provider_timeout_seconds_check CHECK (timeout_seconds BETWEEN 0.1 AND 600),
  max_output_tokens integer NOT NULL DEFAULT 1500
    CONSTRAINT ai_provider_max_output_tokens_check CHECK (max_output_tokens BETWEEN 100 AND 32000),
  max_attempts      integer NOT NULL DEFAULT 4 CONSTRAINT ai_provider_max_attempts_check CHECK (max_attempts BETWEEN 1 AND 20)
);
COMMENT ON TABLE app.ai_provider IS 'The analysis providers: model, whether the workers hold a key, hourly budget, call limits';
COMMENT ON COLUMN app.ai_provider.configured IS
  'The workers have a key for it (set at stack start from ANTHROPIC_API_KEY / OPENAI_API_KEY); unconfigured providers fall back to heuristic';
COMMENT ON COLUMN app.ai_provider.model IS 'Model asked (PGWARDEN_ANTHROPIC_MODEL, PGWARDEN_OPENAI_MODEL); heuristic: the rule set''s name';
COMMENT ON COLUMN app.ai_provider.calls_per_hour IS 'Analyses sent per UTC hour, counted when queued; NULL: no limit. Over it: heuristic fallback';
COMMENT ON COLUMN app.ai_provider.tokens_per_hour IS 'Input + output tokens per UTC hour, counted when answered; NULL: no limit';
COMMENT ON COLUMN app.ai_provider.timeout_seconds IS 'How long one call may take before it counts as failed (and is retried)';
COMMENT ON COLUMN app.ai_provider.max_attempts IS 'Attempts of one analysis job (429, 5xx, timeouts are retried with backoff or Retry-After)';
INSERT INTO app.ai_provider (provider, configured, model, calls_per_hour, tokens_per_hour) VALUES
  ('anthropic', false, 'claude-sonnet-5-5', 100, 300000),
  ('openai', false, 'gpt-5.5', 100, 300000),
  ('heuristic', true, 'rules-v1', NULL, NULL);

CREATE TABLE app.ai_provider_usage (
  provider      text NOT NULL,
  hour          timestamptz NOT NULL,
  calls         integer NOT NULL DEFAULT 0,
  input_tokens  bigint NOT NULL DEFAULT 0,
  output_tokens bigint NOT NULL DEFAULT 0,
  CONSTRAINT ai_provider_usage_pkey PRIMARY KEY (provider, hour)
);
COMMENT ON TABLE app.ai_provider_usage IS 'Analyses queued and tokens used per provider and UTC hour (the budget''s counters)';

CREATE TABLE app.ai_prompt (
  version       integer PRIMARY KEY,
  system_text   text NOT NULL,
  user_template text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE app.ai_prompt IS
  'Prompt templates by version: the spec''s template; placeholders {error_type} {message} {stack_trace} {component}
{file_path} {line_number} {url} {browser} {user_role} {org_name} {occurrences} {users} {first_seen} {trend} {similar_errors}';
INSERT INTO app.ai_prompt (version, system_text, user_template) VALUES (1,
'You analyze production errors for the engineers who run the application. Answer with one JSON object and nothing else.',
'You are an expert software engineer analyzing a production error.

ERROR DETAILS:
- Type: {error_type}
- Message: {message}
- Stack Trace: {stack_trace}
- Component: {component}
- File: {file_path}:{line_number}

CONTEXT:
- URL: {url}
- Browser: {browser}
- User Role: {user_role}
- Organization: {org_name}

Please provide:
1. ROOT CAUSE: What likely caused this error
2. IMPACT: How many users might be affected
3. FIX: Suggested code fix (if applicable)
4. PREVENTION: How to prevent this in the future
5. SEVERITY: Rate 1-5 (5 = critical)

Format as JSON.

OCCURRENCES: {occurrences} events from {users} distinct users since {first_seen}; trend: {trend}.

SIMILAR ERRORS (same application; ids you may list in relatedErrors):
{similar_errors}

Answer with one JSON object with exactly these keys: "rootCause" (string), "impact" (string), "suggestedFix" (string),
"prevention" (string), "severity" (integer from 1 to 5, 5 = critical) and "relatedErrors" (array of the ids of the
similar errors above that share this error''s cause, [] when none does).');

-- == Runs ==

CREATE TABLE app.ai_analysis_run (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL,
  error_id        uuid NOT NULL REFERENCES app.system_errors (id) ON DELETE CASCADE,
  error_hash      varchar(64) NOT NULL,
  trigger         text NOT NULL CONSTRAINT ai_analysis_run_trigger_check CHECK (trigger IN ('new', 'regression', 'request', 'fallback')),
  provider        text NOT NULL,
  model           text,
  prompt_version  integer,
  status          app.ai_run_status NOT NULL DEFAULT 'pending',
  analysis        jsonb,
  reason          text,
  release         text,
  job_id          bigint,
  attempts        integer NOT NULL DEFAULT 0,
  input_tokens    integer,
  output_tokens   integer,
  latency_ms      integer,
  requested_by    uuid,
  fallback_of     uuid REFERENCES app.ai_analysis_run (id) ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz
);
COMMENT ON TABLE app.ai_analysis_run IS
  'Every analysis of an error group by one provider: queued, answered (the analysis) or failed (the reason)';
COMMENT ON COLUMN app.ai_analysis_run.trigger IS
  'new / regression: queued by capture (app.capture_job_policy); request: someone asked; fallback: replaces a failed run';
COMMENT ON COLUMN app.ai_analysis_run.analysis IS 'The stored analysis (spec shape plus provider, model, usage); NULL while pending or failed';
COMMENT ON COLUMN app.ai_analysis_run.reason IS 'Why a run failed (provider error, over budget, not configured, invalid output)';
COMMENT ON COLUMN app.ai_analysis_run.release IS 'The release of the group''s newest event when queued: a new release is not served from cache';
COMMENT ON COLUMN app.ai_analysis_run.attempts IS 'Provider calls made (a retried job and a retried invalid answer each count)';
COMMENT ON COLUMN app.ai_analysis_run.fallback_of IS 'The failed run this heuristic run stands in for';
CREATE INDEX idx_ai_analysis_run_error ON app.ai_analysis_run (error_id, created_at DESC);
CREATE INDEX idx_ai_analysis_run_created ON app.ai_analysis_run (created_at);

-- == Similarity (related errors) ==

-- One short document per group (type, normalized message, newest in-app frames), written when the
-- group is created. app.related_errors scores (pg_trgm similarity) the groups whose document sorts
-- next to an error's own, as written (same message first) and reversed (same frames first): two
-- btree indexes, a bounded number of candidates at any size (a nearest-first GiST trigram scan read
-- 40% of an organization of 20,000 near-duplicate groups per query). "C" order: bytes, no locale.
CREATE TABLE app.error_similarity (
  error_id        uuid PRIMARY KEY REFERENCES app.system_errors (id) ON DELETE CASCADE,
  organization_id uuid NOT NULL,
  document        text NOT NULL
);
COMMENT ON TABLE app.error_similarity IS
  'What related errors are matched on: error type, normalized message and newest in-app frames of each group';
CREATE INDEX idx_error_similarity_document ON app.error_similarity (organization_id, document COLLATE "C");
CREATE INDEX idx_error_similarity_document_reversed ON app.error_similarity (organization_id, reverse(document) COLLATE "C");

-- == Row-level security and privileges ==

ALTER TABLE app.ai_setting ENABLE ROW LEVEL SECURITY;
CREATE POLICY ai_setting_system_admin ON app.ai_setting TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY ai_setting_read ON app.ai_setting FOR SELECT TO staff, org_owner USING (true);
GRANT SELECT ON app.ai_setting TO staff, org_owner, system_admin;
GRANT UPDATE ON app.ai_setting TO system_admin;

ALTER TABLE app.ai_provider ENABLE ROW LEVEL SECURITY;
CREATE POLICY ai_provider_system_admin ON app.ai_provider TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY ai_provider_read ON app.ai_provider FOR SELECT TO staff, org_owner USING (true);
GRANT SELECT ON app.ai_provider TO staff, org_owner, system_admin;
GRANT UPDATE (model, calls_per_hour, tokens_per_hour, timeout_seconds, max_output_tokens, max_attempts)
  ON app.ai_provider TO system_admin;

ALTER TABLE app.ai_provider_usage ENABLE ROW LEVEL SECURITY;
CREATE POLICY ai_provider_usage_read ON app.ai_provider_usage FOR SELECT TO staff, org_owner, system_admin USING (true);
GRANT SELECT ON app.ai_provider_usage TO staff, org_owner, system_admin;

ALTER TABLE app.ai_prompt ENABLE ROW LEVEL SECURITY;
CREATE POLICY ai_prompt_system_admin ON app.ai_prompt TO system_admin USING (true) WITH CHECK (true);
GRANT SELECT, INSERT ON app.ai_prompt TO system_admin;

ALTER TABLE app.ai_analysis_run ENABLE ROW LEVEL SECURITY;
CREATE POLICY ai_analysis_run_system_admin ON app.ai_analysis_run FOR SELECT TO system_admin USING (true);
CREATE POLICY ai_analysis_run_own_org ON app.ai_analysis_run FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.ai_analysis_run TO staff, org_owner, system_admin;

-- read through app.related_errors only
ALTER TABLE app.error_similarity ENABLE ROW LEVEL SECURITY;

-- == pgwarden web answers /functions/v1/ai-error-analysis as the caller's JWT role ==

-- Per request it switches to the role of the verified token (SET LOCAL ROLE, as PostgREST does
-- from authenticator), so row-level security decides which errors a caller may analyse.
-- NOINHERIT keeps those roles' rights out of its own login.
ALTER ROLE pgwarden_web NOINHERIT;
GRANT anon, staff, org_owner, system_admin TO pgwarden_web;

-- == Error codes ==

INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QV450', 400, 'unknown AI provider'),
  ('QN450', 404, 'AI analysis run not found'),
  ('QV451', 400, 'ai-error-analysis request body not accepted'),
  ('QA451', 401, 'ai-error-analysis: missing, malformed or expired token'),
  ('QA452', 403, 'ai-error-analysis: the token''s role may not analyse errors');
