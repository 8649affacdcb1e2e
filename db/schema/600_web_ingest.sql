-- pgwarden web: what the Sentry-compatible ingest and the error webhook keep besides error groups:
-- per-project webhook secrets, the error-type rules for Sentry events,
-- and counters for the items that are not errors (client-side drops, sessions, check-ins, dropped items).

-- == Error codes ==

INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QN601', 404, 'ingest project not found'),
  ('QA601', 403, 'ingest key does not belong to the project'),
  ('QA602', 403, 'webhook secret or signature not accepted'),
  ('QV601', 400, 'webhook payload has no error to ingest');

-- == Sentry error-type rules ==

-- The first matching rule (lowest priority number) gives a Sentry event its spec error_type. A NULL
-- pattern matches anything; patterns are case-insensitive regular expressions over the event's
-- level, platform and its main exception (the last one in exception.values). Edit rows to re-classify.
CREATE TABLE app.sentry_error_type_rules (
  priority integer PRIMARY KEY,
  error_type app.error_type_enum NOT NULL,
  level_pattern text,
  platform_pattern text,
  type_pattern text,
  module_pattern text,
  value_pattern text,
  unhandled boolean,          -- NULL: either; true: only exceptions with mechanism.handled = false
  description text NOT NULL
);
COMMENT ON TABLE app.sentry_error_type_rules IS 'How a Sentry event gets its error_type: first matching rule by priority; NULL patterns match anything';
ALTER TABLE app.sentry_error_type_rules ENABLE ROW LEVEL SECURITY;
CREATE POLICY sentry_error_type_rules_system_admin ON app.sentry_error_type_rules TO system_admin
  USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON app.sentry_error_type_rules TO system_admin;

INSERT INTO app.sentry_error_type_rules
  (priority, error_type, level_pattern, platform_pattern, type_pattern, module_pattern, value_pattern, unhandled, description)
VALUES
  (10, 'crash', '^fatal$', NULL, NULL, NULL, NULL, NULL, 'fatal level: the process or page died'),
  (20, 'database', NULL, NULL,
   '(psycopg|^(Operational|Integrity|Programming|Database|Interface|Data)Error$|PostgresError|SQLAlchemyError|Sequelize\w*Error|QueryFailedError|Prisma\w*Error|Mongo\w*Error|RedisError|DeadlockDetected|UniqueViolation|ForeignKeyViolation)',
   NULL, NULL, NULL, 'database driver and ORM errors'),
  (21, 'database', NULL, NULL, NULL,
   '^(psycopg|psycopg2|asyncpg|sqlalchemy|django\.db|pymysql|MySQLdb|sqlite3|redis|pymongo|peewee)(\.|$)', NULL, NULL,
   'exceptions raised from database client modules'),
  (30, 'network', NULL, NULL,
   '^(ConnectionError|ConnectError|ConnectTimeout|ReadTimeout|WriteTimeout|PoolTimeout|Timeout|TimeoutException|HTTPError|HTTPStatusError|RequestError|RequestException|URLError|RemoteDisconnected|NetworkError|AbortError|FetchError|AxiosError|ClientConnectorError|ClientResponseError|ServerDisconnectedError|ConnectionRefusedError|ConnectionResetError|SSLError|ProxyError|ChunkedEncodingError)$',
   NULL, NULL, NULL, 'HTTP client and connection errors'),
  (31, 'network', NULL, NULL, NULL, '^(requests|httpx|httpcore|urllib3|urllib|aiohttp|http\.client)(\.|$)', NULL, NULL,
   'exceptions raised from HTTP client modules'),
  (32, 'network', NULL, NULL, NULL, NULL,
   '^(Failed to fetch|NetworkError when attempting to fetch resource|Load failed|Network request failed|The network connection was lost)',
   NULL, 'the browsers'' messages for a failed fetch (a TypeError)'),
  (40, 'stripe', NULL, NULL, '^(Stripe\w*|CardError|SignatureVerificationError)$', '^stripe(\.|$)', NULL, NULL,
   'Stripe SDK errors (type and module must both match)'),
  (41, 'stripe', NULL, NULL, 'Stripe', NULL, NULL, NULL, 'errors naming Stripe'),
  (50, 'auth', NULL, NULL,
   '(Authentication|Authorization|Unauthori[sz]ed|Forbidden|PermissionDenied|NotAuthenticated|InvalidToken|ExpiredSignature|InvalidSignature|JWT\w*Error|AuthError|AuthApiError)',
   NULL, NULL, NULL, 'authentication and authorization failures'),
  (60, 'validation', NULL, NULL, '(Validation|ZodError|SchemaError|ValidationException|InvalidInput)', NULL, NULL, NULL,
   'data validation errors'),
  (70, 'runtime', NULL, NULL,
   '^(TypeError|ReferenceError|RangeError|SyntaxError|EvalError|URIError|InternalError|AttributeError|KeyError|IndexError|NameError|UnboundLocalError|ZeroDivisionError|ValueError|AssertionError|RuntimeError|RecursionError|NotImplementedError|ArithmeticError|LookupError|OverflowError|ImportError|ModuleNotFoundError|MemoryError|SystemError|StopIteration|UnicodeDecodeError|UnicodeEncodeError|NullPointerException|IllegalArgumentException|IllegalStateException|ClassCastException|NoMethodError|ArgumentError)$',
   NULL, NULL, NULL, 'language runtime errors (TypeError, ReferenceError, AttributeError, KeyError ...)'),
  (80, 'crash', NULL, '^(?!javascript$)', NULL, NULL, NULL, true,
   'unhandled exception outside the browser (excepthook, process crash)'),
  (90, 'javascript', NULL, '^javascript$', NULL, NULL, NULL, NULL, 'anything else from browser JavaScript'),
  (1000, 'unknown', NULL, NULL, NULL, NULL, NULL, NULL, 'everything else');

-- == Webhook secrets ==

CREATE TABLE app.project_webhook_secrets (
  project_id bigint PRIMARY KEY REFERENCES app.projects (id) ON DELETE CASCADE,
  organization_id uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  -- kept in clear: a Vercel log drain signs its body with it (HMAC), so it must be known to verify
  secret text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT project_webhook_secrets_secret_key UNIQUE (secret),
  CONSTRAINT project_webhook_secrets_secret_check CHECK (length(secret) >= 32)
);
COMMENT ON TABLE app.project_webhook_secrets IS 'The shared secret that authenticates POST /functions/v1/error-webhook for a project';
ALTER TABLE app.project_webhook_secrets ENABLE ROW LEVEL SECURITY;
CREATE POLICY project_webhook_secrets_system_admin ON app.project_webhook_secrets TO system_admin
  USING (true) WITH CHECK (true);

-- == Counters for items that are not errors ==

CREATE TABLE app.client_discards (
  organization_id uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  project_id bigint NOT NULL REFERENCES app.projects (id) ON DELETE CASCADE,
  hour timestamptz NOT NULL,                  -- when the SDK reported it, truncated to the hour
  reason text NOT NULL,                       -- ratelimit_backoff, network_error, sample_rate, before_send ...
  category text NOT NULL,                     -- error, transaction, session, attachment ...
  quantity bigint NOT NULL DEFAULT 0,
  CONSTRAINT client_discards_pkey PRIMARY KEY (project_id, hour, reason, category)
);
COMMENT ON TABLE app.client_discards IS 'Events the SDKs dropped before sending, from their client_report items, per project and hour';

CREATE TABLE app.dropped_items (
  organization_id uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  project_id bigint NOT NULL REFERENCES app.projects (id) ON DELETE CASCADE,
  hour timestamptz NOT NULL,                  -- when it was received, truncated to the hour
  item_type text NOT NULL,                    -- transaction, attachment, span, profile, replay_event ...
  quantity bigint NOT NULL DEFAULT 0,
  CONSTRAINT dropped_items_pkey PRIMARY KEY (project_id, hour, item_type)
);
COMMENT ON TABLE app.dropped_items IS 'Envelope items pgwarden accepts but does not keep (transactions, attachments, ...), per project and hour';

CREATE TABLE app.client_sessions (
  project_id bigint NOT NULL REFERENCES app.projects (id) ON DELETE CASCADE,
  sid text NOT NULL,
  organization_id uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  release text NOT NULL,
  environment text NOT NULL DEFAULT 'production',
  distinct_id text,
  started_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  status text NOT NULL,                       -- the latest update's: ok, exited, errored, unhandled, crashed, abnormal
  errors integer NOT NULL DEFAULT 0,
  CONSTRAINT client_sessions_pkey PRIMARY KEY (project_id, sid),
  CONSTRAINT client_sessions_status_check CHECK (status IN ('ok', 'exited', 'errored', 'unhandled', 'crashed', 'abnormal'))
);
COMMENT ON TABLE app.client_sessions IS 'One row per SDK session (session items), holding its latest status; release health reads it';
CREATE INDEX idx_client_sessions_release ON app.client_sessions (project_id, release, environment);

CREATE TABLE app.client_session_aggregates (
  organization_id uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  project_id bigint NOT NULL REFERENCES app.projects (id) ON DELETE CASCADE,
  release text NOT NULL,
  environment text NOT NULL DEFAULT 'production',
  hour timestamptz NOT NULL,                  -- the sessions' start, truncated to the hour
  exited bigint NOT NULL DEFAULT 0,           -- ended healthy
  errored bigint NOT NULL DEFAULT 0,          -- had handled errors
  abnormal bigint NOT NULL DEFAULT 0,
  crashed bigint NOT NULL DEFAULT 0,
  CONSTRAINT client_session_aggregates_pkey PRIMARY KEY (project_id, release, environment, hour)
);
COMMENT ON TABLE app.client_session_aggregates IS 'Pre-aggregated session counts (sessions items, e.g. Python server mode) per release and hour';

CREATE TABLE app.cron_check_ins (
  project_id bigint NOT NULL REFERENCES app.projects (id) ON DELETE CASCADE,
  check_in_id text NOT NULL,
  organization_id uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  monitor_slug text NOT NULL,
  status text NOT NULL,                       -- in_progress, then ok or error (the same check_in_id)
  duration_seconds double precision,
  environment text,
  release text,
  monitor_config jsonb,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT cron_check_ins_pkey PRIMARY KEY (project_id, check_in_id),
  CONSTRAINT cron_check_ins_status_check CHECK (status IN ('in_progress', 'ok', 'error'))
);
COMMENT ON TABLE app.cron_check_ins IS 'Heartbeats of scheduled jobs sent as Sentry check_in items (cron monitors)';
CREATE INDEX idx_cron_check_ins_monitor ON app.cron_check_ins (project_id, monitor_slug, updated_at DESC);

-- (feedback waiting for its event: idx_reports_awaiting_link, db/schema/800_reports.sql)

-- == One batch as it moves through app.web_ingest ==

-- Each request and each item of a batch is read out of its JSON once (app.web_batch_of); every
-- later step reads these typed values, as app.capture_batch reads app.capture_item.
CREATE TYPE app.web_request AS (
  ordinal         integer,  -- position in the batch, from 1
  organization_id uuid,     -- the project's organization (NULL when the key is not accepted)
  project_id      bigint,
  error           jsonb,    -- the problem (QA601) when the key is not accepted; NULL when it may write
  event_id        text,     -- the envelope header's event id, in its normal form (app.event_id_text)
  repairs         jsonb,    -- what app.web_requests_clean repaired in it, or NULL
  refused         text      -- why pgwarden web refused it before parsing ('too_large'), or NULL
);
COMMENT ON TYPE app.web_request IS 'One HTTP request of a pgwarden web ingest batch, its key checked';

CREATE TYPE app.web_item AS (
  request         integer,  -- the ordinal of its app.web_request
  item            integer,  -- position in the request, from 1
  organization_id uuid,
  project_id      bigint,
  event_id        text,     -- the request's header event id
  type            text,     -- the envelope item type: event, feedback, session, attachment, ...
  payload         jsonb,    -- the parsed item when it is a JSON object, else NULL
  screenshot      jsonb,    -- an image attachment pgwarden web checked: {media_type, width, height, base64}
  base_url        text,     -- where the request's screenshots are served
  repairs         jsonb     -- the request's repairs (an event keeps them as metadata._repaired)
);
COMMENT ON TYPE app.web_item IS 'One envelope item of an accepted request of a pgwarden web ingest batch';

CREATE TYPE app.web_captured AS (
  request         integer,  -- the ordinal of its app.web_request
  organization_id uuid,
  event_id        text,     -- 32 hex digits
  group_id        uuid,     -- the system_errors row it was counted in; NULL when refused
  error           jsonb     -- the problem with its http_status (app.problem) when refused
);
COMMENT ON TYPE app.web_captured IS 'What app.capture_batch made of one event item of a pgwarden web ingest batch';

-- == Row-level security ==

ALTER TABLE app.client_discards ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_discards_system_admin ON app.client_discards TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY client_discards_own_org ON app.client_discards FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));

ALTER TABLE app.dropped_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY dropped_items_system_admin ON app.dropped_items TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY dropped_items_own_org ON app.dropped_items FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));

ALTER TABLE app.client_sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_sessions_system_admin ON app.client_sessions TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY client_sessions_own_org ON app.client_sessions FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));

ALTER TABLE app.client_session_aggregates ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_session_aggregates_system_admin ON app.client_session_aggregates TO system_admin
  USING (true) WITH CHECK (true);
CREATE POLICY client_session_aggregates_own_org ON app.client_session_aggregates FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));

ALTER TABLE app.cron_check_ins ENABLE ROW LEVEL SECURITY;
CREATE POLICY cron_check_ins_system_admin ON app.cron_check_ins TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY cron_check_ins_own_org ON app.cron_check_ins FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));

GRANT SELECT ON app.client_discards, app.dropped_items, app.client_sessions, app.client_session_aggregates,
  app.cron_check_ins TO staff, org_owner, system_admin;
