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
