-- 0018: AI analysis. Providers with hourly budgets, prompt templates, every analysis run, the
-- heuristic provider's rules and severity matrix, the related-errors similarity index (btree_gist for
-- its organization column), and pgwarden web answering as the caller's JWT role.

-- ---- as in db/schema/000_extensions.sql
-- (created as pg_trgm and pgcrypto were, before 0001 took EXECUTE on new functions from PUBLIC)
ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
CREATE EXTENSION IF NOT EXISTS btree_gist; -- related errors: one GiST index over (organization, trigrams)
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- ---- as in db/schema/450_ai.sql
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
-- group is created. GiST with the organization first (btree_gist) serves "nearest of the same
-- organization" as one ordered index scan; a 256-byte trigram signature keeps long documents
-- selective (the default 12 bytes made a far query read most of a 60,000-group organization).
CREATE TABLE app.error_similarity (
  error_id        uuid PRIMARY KEY REFERENCES app.system_errors (id) ON DELETE CASCADE,
  organization_id uuid NOT NULL,
  document        text NOT NULL
);
COMMENT ON TABLE app.error_similarity IS
  'What related errors are matched on: error type, normalized message and newest in-app frames of each group';
CREATE INDEX idx_error_similarity_document ON app.error_similarity
  USING gist (organization_id, document gist_trgm_ops (siglen = 256));

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
  USING (organization_id = app.current_org_id());
GRANT SELECT ON app.ai_analysis_run TO staff, org_owner, system_admin;

-- read through app.related_errors only (trigram operators are not leakproof, so under RLS they
-- could not use the index)
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

-- ---- as in db/schema/455_ai_heuristic.sql
-- The heuristic provider (offline, the default without an API key, the fallback when a provider is
-- down or over budget): rules as rows. A group's message is matched against the rules in position
-- order; the first that matches gives the root cause, the fix in the language of its frames and the
-- prevention. Rules keyed on the exception class a message starts with (TypeError: Cannot read…,
-- KeyError, NameError, JSON SyntaxError) come before keyword rules (429, database, auth, timeouts,
-- network, 5xx, 4xx), so KeyError: 'timeout' is a missing key, not a timeout; rules for a whole
-- error type come last. Severity comes from the matrix below. Functions: db/functions/app/455_ai_heuristic.sql.

-- == Rules ==

CREATE TABLE app.ai_heuristic_rule (
  id             integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  position       integer NOT NULL CONSTRAINT ai_heuristic_rule_position_key UNIQUE,
  fix_class      text NOT NULL CONSTRAINT ai_heuristic_rule_fix_class_check CHECK (fix_class ~ '^[a-z][a-z_]*$'),
  error_types    app.error_type_enum[],
  pattern        text NOT NULL,
  name_pattern   text,
  name_default   text NOT NULL DEFAULT 'the value',
  auto_fix       text NOT NULL CONSTRAINT ai_heuristic_rule_auto_fix_check CHECK (auto_fix IN ('automatic', 'suggested', 'manual')),
  severity_bump  integer NOT NULL DEFAULT 0 CONSTRAINT ai_heuristic_rule_severity_bump_check CHECK (severity_bump BETWEEN -2 AND 2),
  root_cause     text NOT NULL,
  fix_python     text NOT NULL,
  fix_javascript text NOT NULL,
  fix_other      text NOT NULL,
  prevention     text NOT NULL,
  enabled        boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE app.ai_heuristic_rule IS
  'Rules of the heuristic provider: the first enabled rule (by position) whose error_types and pattern match wins';
COMMENT ON COLUMN app.ai_heuristic_rule.fix_class IS 'The class of fix (null_check, missing_import, retry_with_backoff, …)';
COMMENT ON COLUMN app.ai_heuristic_rule.error_types IS 'The error types it applies to; NULL: any';
COMMENT ON COLUMN app.ai_heuristic_rule.pattern IS 'Regular expression matched case-insensitively against the group''s message';
COMMENT ON COLUMN app.ai_heuristic_rule.name_pattern IS
  'Regular expression whose first matching capture group is {name} in the texts (the property, module, key, URL)';
COMMENT ON COLUMN app.ai_heuristic_rule.name_default IS '{name} when name_pattern finds nothing';
COMMENT ON COLUMN app.ai_heuristic_rule.auto_fix IS
  'The spec''s auto-fix column: automatic (a mechanical change: null check, import), suggested (retry logic, guards), manual (review)';
COMMENT ON COLUMN app.ai_heuristic_rule.severity_bump IS 'Added to the matrix''s severity (auth and database failures stop users)';
COMMENT ON COLUMN app.ai_heuristic_rule.fix_python IS 'The fix when the frames are Python; {name} and {location} are filled in';
COMMENT ON COLUMN app.ai_heuristic_rule.fix_javascript IS 'The fix when the frames are JavaScript or TypeScript (browser or Node)';
COMMENT ON COLUMN app.ai_heuristic_rule.fix_other IS 'The fix for any other or unknown language';

INSERT INTO app.ai_heuristic_rule (position, fix_class, error_types, pattern, name_pattern, name_default, auto_fix,
                                   severity_bump, root_cause, fix_python, fix_javascript, fix_other, prevention) VALUES
(50, 'rate_limit_backoff', NULL,
 $re$\m429\M|too many requests|rate[ _-]?limit|quota|resource_exhausted|throttl$re$,
 $re$(?:to|from|for) (https?://[^\s'"]+|/[A-Za-z0-9_./-]+)$re$, 'the service', 'suggested', 0,
 'A call to {name} was refused because its rate limit or quota was used up (HTTP 429).',
 'Back off and retry: honour the Retry-After header, retry with exponential backoff and jitter (tenacity''s wait_random_exponential), cap the attempts, and queue or batch the calls so a burst cannot exceed the quota.',
 'Back off and retry: read the Retry-After header, retry with exponential backoff and jitter (p-retry), cap the attempts, and debounce or batch the calls that cause the burst.',
 'Back off and retry: honour Retry-After, retry with exponential backoff and jitter, cap the attempts, and spread bursts through a queue.',
 'Track usage against the quota, put a client-side rate limiter in front of the calls and alert before the quota runs out.'),
(60, 'database_review', NULL,
 $re$duplicate key|violates (?:unique|foreign key|not-null|check|exclusion) constraint|deadlock detected|relation "[^"]+" does not exist|column "[^"]+" (?:of relation "[^"]+" )?does not exist|could not serialize access|statement timeout|too many (?:clients|connections)|remaining connection slots|could not connect to server|connection to server .{0,80} failed|server closed the connection unexpectedly|psycopg|sqlalchemy|IntegrityError|OperationalError|ProgrammingError|Sequelize[A-Za-z]*Error|PrismaClient|QueryFailedError|\mER_[A-Z_]+|SQLSTATE|\mpq: |\mPG::|ECONNREFUSED[^\n]{0,40}:(?:5432|3306|27017|6379)\M|permission denied for (?:table|relation|schema|sequence|function)$re$,
 $re$(?:relation|column|constraint|table) "([^"]+)"$re$, 'the statement', 'manual', 1,
 'A database operation failed ({name}): a constraint, a missing table or column, a lock conflict or the connection.',
 'Manual review. Check the failing statement and its parameters against the database log of the same moment; a missing migration on this environment (missing table or column); constraint violations from concurrent writes (INSERT … ON CONFLICT, or retry the transaction on a serialization failure or deadlock, after session.rollback()); the pool size against max_connections; and slow queries hitting the statement timeout (EXPLAIN ANALYZE).',
 'Manual review. Check the failing statement and its parameters against the database log of the same moment; a missing migration on this environment (missing table or column); constraint violations from concurrent writes (upsert, or retry the transaction on a serialization failure or deadlock); the pool size against max_connections; and slow queries hitting the statement timeout (EXPLAIN ANALYZE).',
 'Manual review. Check the failing statement against the database log, pending migrations, concurrent writes (upsert or retry on serialization failure or deadlock), connection limits and slow queries.',
 'Apply migrations in the deploy before the new code runs, test concurrent writes, and alert on pool saturation and slow queries.'),
(70, 'auth_review', NULL,
 $re$\m40[13]\M|unauthori[sz]ed|forbidden|jwt (?:expired|malformed)|invalid (?:token|jwt|signature|credentials|api[ _-]?key)|token (?:has )?expired|signature has expired|ExpiredSignature|not authenticated|authentication (?:failed|required)|permission denied|access denied|invalid login|AuthenticationError|PermissionError|NotAuthorized|session expired$re$,
 $re$(?:to|from|for) (https?://[^\s'"]+|/[A-Za-z0-9_./-]+)$re$, 'the request', 'manual', 1,
 'The request to {name} was not authenticated or not allowed (an expired or invalid token or session, or missing permissions).',
 'Manual review. Check whether the token or session expired (refresh it before it does; on 401 send the user to sign in again), clock skew between servers (JWT exp and nbf), the credentials this environment is configured with (a rotated key, the wrong environment variable), and the permissions of the user''s role for this action (a 403 is a decision: do not retry it).',
 'Manual review. Check whether the token or session expired (refresh it before it does; on 401 send the user to sign in again), clock skew (JWT exp and nbf), the credentials this environment is configured with (a rotated key, the wrong environment variable), and the permissions of the user''s role for this action (a 403 is a decision: do not retry it).',
 'Manual review. Check token and session expiry, clock skew, the configured credentials and the user''s permissions for this action.',
 'Refresh tokens ahead of expiry, test role permissions for every action, and alert on a rise of 401/403 after a deploy or key rotation.'),
(80, 'retry_with_backoff', NULL,
 $re$timeout|timed out|ETIMEDOUT|ESOCKETTIMEDOUT|deadline exceeded|\m504\M|gateway time-?out|AbortError|operation was aborted$re$,
 $re$(?:to|for|fetching|from|calling|request) (https?://[^\s'"]+|/[A-Za-z0-9_./-]+)$re$, 'an upstream service', 'suggested', 0,
 'A call to {name} did not answer in time (a slow or unreachable service).',
 'Set an explicit timeout on the call (requests.get(url, timeout=(3, 10)), httpx.Client(timeout=10)) and retry idempotent calls with exponential backoff and jitter (tenacity), a few attempts at most; show a retryable state to the user.',
 'Give the call a deadline (fetch(url, { signal: AbortSignal.timeout(10000) }), axios timeout) and retry idempotent requests with exponential backoff and jitter, a few attempts at most; show a retryable state to the user.',
 'Set an explicit timeout and retry idempotent calls with exponential backoff and jitter, a few attempts at most.',
 'Alert on the latency of the upstream service, keep timeouts shorter than the caller''s, and use a circuit breaker so a slow dependency cannot pile up requests.'),
(85, 'retry_with_backoff', NULL,
 $re$failed to fetch|networkerror|network request failed|network error|ECONNRESET|ECONNREFUSED|socket hang up|EAI_AGAIN|ENOTFOUND|connection reset|ConnectionError|ConnectionRefusedError|Load failed$re$,
 $re$(?:to|for|fetching|from|connect) (https?://[^\s'"]+|/[A-Za-z0-9_./-]+|[A-Za-z0-9.-]+:[0-9]+)$re$, 'an upstream service', 'suggested', 0,
 'The connection to {name} failed before an answer arrived (network, DNS or the service being down).',
 'Retry idempotent calls with exponential backoff and jitter (tenacity, or urllib3 Retry on the session) and an explicit timeout; treat the service as unavailable after a few attempts and tell the user.',
 'Retry idempotent requests with exponential backoff and jitter and a deadline (AbortSignal.timeout); after a few attempts treat the service as unavailable and show an offline state.',
 'Retry idempotent calls with exponential backoff and jitter and a timeout; after a few attempts treat the service as unavailable.',
 'Monitor the dependency''s health, and fail fast with a circuit breaker while it is down.'),
(40, 'json_parse_guard', NULL,
 $re$in JSON at position|JSON\.parse|JSONDecodeError|Unexpected end of JSON input|is not valid JSON|Expecting value: line|Unexpected token .{1,20} in JSON|invalid json|json: cannot unmarshal|Unexpected non-whitespace character after JSON|Extra data: line|Unterminated string starting at$re$,
 $re$(?:from|parsing|fetching) (https?://[^\s'"]+|/[A-Za-z0-9_./-]+)$re$, 'the response', 'suggested', 0,
 'Text from {name} was parsed as JSON but was not JSON (usually an HTML error page, an empty body or a cut-off answer).',
 'Check the response before decoding it: response.ok and a JSON Content-Type, then response.json(); catch json.JSONDecodeError and log the status and the first characters of the body.',
 'Check response.ok and the Content-Type before response.json(); wrap JSON.parse in try/catch and report the status and the first characters of the text (a leading < is an HTML error page).',
 'Check the status and Content-Type before parsing, and handle a parse error by reporting the start of the body.',
 'Make the server answer errors as JSON too, and test the client against error pages and empty bodies.'),
(30, 'missing_import', NULL,
 $re$NameError|ReferenceError|is not defined|ModuleNotFoundError|ImportError|No module named|Cannot find module|Module not found|Can't resolve|cannot import name$re$,
 $re$name '([^']+)' is not defined|No module named '([^']+)'|cannot import name '([^']+)'|Cannot find module '([^']+)'|Can't resolve '([^']+)'|([A-Za-z_$][A-Za-z0-9_$]*) is not defined$re$,
 'the name', 'automatic', 0,
 '{name} is used but was not imported, or its package is not installed where this runs.',
 'Import it where it is used (from <module> import {name}, or import {name}), and add the package to the requirements if it is a module that is not installed here.',
 'Import it where it is used (import { {name} } from ''<module>'', or const {name} = require(''<module>'') in Node), and add the package to package.json if it is missing.',
 'Import or declare {name} where it is used, and install the package it comes from.',
 'Run a linter in CI (ruff F821/F401, ESLint no-undef and import/no-unresolved) and install dependencies from the lock file in every environment.'),
(10, 'null_check', NULL,
 $re$Cannot read propert|Cannot set propert|of undefined|of null|\mis (?:undefined|null)\M|NoneType|undefined is not an object|null is not an object|Cannot destructure|can't access property|null pointer|NullPointerException|nil pointer dereference$re$,
 $re$reading '([^']+)'|setting '([^']+)'|evaluating '([^']+)'|has no attribute '([^']+)'|can't access property "([^"]+)"|property '([^']+)'|([A-Za-z_$][A-Za-z0-9_$.]*) is (?:undefined|null)$re$,
 'the property', 'automatic', 0,
 'The code used {name} on a value that was null or undefined (None in Python).',
 'Check for None before using the value (if value is not None: … or getattr(value, "{name}", None)), and handle the case where it is missing explicitly (a record not found, an optional argument).',
 'Use optional chaining with a fallback where the value may be missing (value?.{name} ?? fallback), or return early when it is null or undefined; find why it is missing here (data not loaded yet, an optional field).',
 'Add a null check before using {name} and handle the missing case explicitly.',
 'Type the value as optional so the checker forces the check (TypeScript strictNullChecks, mypy Optional), and validate data where it enters the application.'),
(20, 'key_check', NULL,
 $re$\mKeyError\M|\mIndexError\M|index out of range|key not found|no such key|KeyNotFound$re$,
 $re$KeyError: '([^']+)'|KeyError: "([^"]+)"|KeyError: ([^\s]+)$re$, 'the key', 'suggested', 0,
 'The code read the key {name}, which the mapping (or the list index) does not have.',
 'Read the key defensively: data.get("{name}") with a default, or check "{name}" in data first (and the length before indexing a list); if the key must be there, validate the input where it arrives and say which key is missing.',
 'Check the key first (''{name}'' in obj, or obj.{name} !== undefined) or give a default (obj.{name} ?? fallback); for arrays check the index against the length.',
 'Check that the key {name} exists (or give a default) before reading it.',
 'Validate input shapes at the boundary (pydantic, zod) so a missing key is reported where the data arrives.'),
(90, 'http_server_retry', NULL,
 $re$(?:status(?: code)?|HTTP(?:/[0-9.]+)?|returned|responded with|response code|error)[ :=]*5[0-9]{2}\M|\m5[0-9]{2} (?:Internal Server Error|Bad Gateway|Service Unavailable)|Internal Server Error|Bad Gateway|Service Unavailable$re$,
 $re$(?:to|from|for|fetching|request) (https?://[^\s'"]+|/[A-Za-z0-9_./-]+)$re$, 'the server', 'suggested', 0,
 '{name} answered with a server error (5xx): the fault is on the server side.',
 'Retry idempotent requests with exponential backoff (a few attempts), and look at the server''s own log for the same time: the 5xx has its cause there.',
 'Retry idempotent requests with exponential backoff (a few attempts), show a retryable error to the user, and look at the server''s log for the same time: the 5xx has its cause there.',
 'Retry idempotent requests with backoff and look at the server''s log for the cause.',
 'Monitor the server''s error rate and alert on it; put a circuit breaker in front of flaky dependencies.'),
(100, 'http_client_request', NULL,
 $re$(?:status(?: code)?|HTTP(?:/[0-9.]+)?|returned|responded with|response code|error)[ :=]*4[0-9]{2}\M|\m4[0-9]{2} (?:Bad Request|Not Found|Method Not Allowed|Conflict|Gone|Payload Too Large|Unprocessable Entity)|Not Found|Bad Request|Unprocessable Entity$re$,
 $re$(?:to|from|for|fetching|request) (https?://[^\s'"]+|/[A-Za-z0-9_./-]+)$re$, 'the server', 'suggested', 0,
 '{name} refused the request as sent (4xx): a wrong URL or method, or a body it does not accept. Sending it again will fail again.',
 'Check the request sent to {name}: URL and method, required fields and their format; validate the input before sending, and turn 404, 409 and 422 into messages the user can act on.',
 'Check the request sent to {name}: URL and method, required fields and their format; validate the input before sending, and turn 404, 409 and 422 into messages the user can act on (check response.ok before using the body).',
 'Check the URL, method and body sent to {name}; validate the input before sending.',
 'Share the API''s schema with the client (OpenAPI types) and test the client against it.'),
(200, 'database_review', '{database}', '.', NULL, 'the statement', 'manual', 1,
 'A database operation failed.',
 'Manual review. Check the failing statement and its parameters against the database log of the same moment; pending migrations; constraint violations from concurrent writes (retry the transaction on a serialization failure or deadlock, after session.rollback()); the pool size against max_connections; and slow queries (EXPLAIN ANALYZE).',
 'Manual review. Check the failing statement and its parameters against the database log of the same moment; pending migrations; constraint violations from concurrent writes (upsert, or retry the transaction on a serialization failure or deadlock); the pool size against max_connections; and slow queries (EXPLAIN ANALYZE).',
 'Manual review. Check the failing statement against the database log, pending migrations, concurrent writes, connection limits and slow queries.',
 'Apply migrations before the new code runs, test concurrent writes, and alert on pool saturation and slow queries.'),
(210, 'auth_review', '{auth}', '.', NULL, 'the request', 'manual', 1,
 'An authentication or authorization step failed.',
 'Manual review. Check token and session expiry, clock skew between servers, the credentials this environment is configured with, and the permissions of the user''s role for this action.',
 'Manual review. Check token and session expiry, clock skew between servers, the credentials this environment is configured with, and the permissions of the user''s role for this action.',
 'Manual review. Check token and session expiry, clock skew, the configured credentials and the user''s permissions.',
 'Refresh tokens ahead of expiry, test role permissions for every action, and alert on a rise of 401/403.'),
(220, 'retry_with_backoff', '{network}', '.', NULL, 'an upstream service', 'suggested', 0,
 'A network call failed.',
 'Retry idempotent calls with exponential backoff and jitter and an explicit timeout; treat the service as unavailable after a few attempts.',
 'Retry idempotent requests with exponential backoff and jitter and a deadline (AbortSignal.timeout); after a few attempts show an offline state.',
 'Retry idempotent calls with exponential backoff and jitter and a timeout.',
 'Monitor the dependency''s health and fail fast with a circuit breaker while it is down.'),
(1000, 'manual_review', NULL, '.', NULL, 'the code', 'manual', 0,
 'No rule recognises this error; the stack trace points at {location}.',
 'Manual review: reproduce it with the stack trace and the request that triggered it, write a test that fails the same way, then fix the code at the newest in-app frame ({location}).',
 'Manual review: reproduce it with the stack trace and the request that triggered it, write a test that fails the same way, then fix the code at the newest in-app frame ({location}).',
 'Manual review: reproduce it with the stack trace, write a failing test, then fix the code at {location}.',
 'Add a test for this case and an assertion or log line that would have explained it.');

-- == Severity matrix ==

-- Reach: how many distinct users an error has hit (bands by their lower bound); a rising trend
-- counts one band up. Severity (1-5) = matrix[group severity][reach] + the rule's bump, in 1..5.
CREATE TABLE app.ai_reach_band (
  reach     text PRIMARY KEY,
  min_users integer NOT NULL CONSTRAINT ai_reach_band_min_users_key UNIQUE,
  position  integer NOT NULL CONSTRAINT ai_reach_band_position_key UNIQUE
);
COMMENT ON TABLE app.ai_reach_band IS 'Bands of distinct users affected, by their lower bound (position: 1 = smallest reach)';
INSERT INTO app.ai_reach_band (reach, min_users, position) VALUES
  ('single', 0, 1), ('few', 2, 2), ('many', 10, 3), ('widespread', 100, 4);

CREATE TABLE app.ai_severity_matrix (
  severity app.severity_enum NOT NULL,
  reach    text NOT NULL REFERENCES app.ai_reach_band (reach),
  score    integer NOT NULL CONSTRAINT ai_severity_matrix_score_check CHECK (score BETWEEN 1 AND 5),
  CONSTRAINT ai_severity_matrix_pkey PRIMARY KEY (severity, reach)
);
COMMENT ON TABLE app.ai_severity_matrix IS
  'The heuristic''s severity 1-5 by the group''s severity and its reach:
             single  few  many  widespread
  debug        1      1    1     2
  info         1      1    2     2
  warning      1      2    3     3
  error        2      3    4     4
  critical     3      4    5     5
then + the matching rule''s severity_bump (auth, database: +1), kept within 1..5';
INSERT INTO app.ai_severity_matrix (severity, reach, score)
SELECT s.severity::app.severity_enum, r.reach, s.scores[r.position]
  FROM (VALUES ('debug', ARRAY[1, 1, 1, 2]), ('info', ARRAY[1, 1, 2, 2]), ('warning', ARRAY[1, 2, 3, 3]),
               ('error', ARRAY[2, 3, 4, 4]), ('critical', ARRAY[3, 4, 5, 5])) AS s (severity, scores)
 CROSS JOIN app.ai_reach_band r;

ALTER TABLE app.ai_heuristic_rule ENABLE ROW LEVEL SECURITY;
CREATE POLICY ai_heuristic_rule_system_admin ON app.ai_heuristic_rule TO system_admin USING (true) WITH CHECK (true);
ALTER TABLE app.ai_reach_band ENABLE ROW LEVEL SECURITY;
CREATE POLICY ai_reach_band_system_admin ON app.ai_reach_band TO system_admin USING (true) WITH CHECK (true);
ALTER TABLE app.ai_severity_matrix ENABLE ROW LEVEL SECURITY;
CREATE POLICY ai_severity_matrix_system_admin ON app.ai_severity_matrix TO system_admin USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON app.ai_heuristic_rule, app.ai_reach_band, app.ai_severity_matrix TO system_admin;
