-- What one PostgREST request may cost: its body size (db-pre-request), its time (role settings),
-- and a statement cut by its timeout answered as 429, not PostgREST's 500.
BEGIN;
SELECT plan(13);

-- The error a PGRST raise carries: {code, status, retry_after} (PostgREST's documented form).
CREATE FUNCTION pg_temp.answer(p_sql text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_message text;
  v_detail text;
BEGIN
  EXECUTE p_sql;
  RETURN NULL;
EXCEPTION WHEN SQLSTATE 'PGRST' THEN
  GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
  RETURN jsonb_build_object('code', v_message::jsonb ->> 'code', 'status', (v_detail::jsonb ->> 'status')::int,
                            'retry_after', v_detail::jsonb #>> '{headers,Retry-After}');
END $$;

CREATE FUNCTION pg_temp.pre_request(p_path text, p_headers jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('request.path', p_path, true), set_config('request.headers', p_headers::text, true);
  RETURN pg_temp.answer('SELECT app.request_guard()');
END $$;

-- == body size ==

SELECT is(pg_temp.pre_request('/rpc/capture_error', '{"content-length": "1048576"}'), NULL, 'a 1 MiB capture passes');
SELECT is(pg_temp.pre_request('/rpc/capture_error', '{"content-length": "5242880"}'),
          '{"code": "QV003", "status": 413, "retry_after": null}', 'a 5 MB capture is refused before it is parsed: 413');
SELECT is(pg_temp.pre_request('/rpc/capture_errors', '{"content-length": "20971520"}'), NULL, 'a batch may hold 20 MiB');
SELECT is(pg_temp.pre_request('/rpc/capture_errors', '{"content-length": "20971521"}') ->> 'code', 'QV003', 'not more');
SELECT is(pg_temp.pre_request('/error_groups', '{"content-length": "99999999999999999999"}') ->> 'code', 'QV003',
  'a length too long to be a number is too large too');
SELECT is(pg_temp.pre_request('/rpc/capture_error', '{"transfer-encoding": "chunked"}'),
          '{"code": "QV004", "status": 411, "retry_after": null}', 'a chunked body, whose size is unknown, is refused: 411');
SELECT is(pg_temp.pre_request('/error_groups', '{"accept": "*/*"}'), NULL, 'a request without a body passes');

-- == time ==

SELECT results_eq($$SELECT r.rolname::text COLLATE "default", s.setting COLLATE "default" FROM pg_roles r, unnest(r.rolconfig) AS s (setting)
                     WHERE r.rolname IN ('anon', 'staff', 'org_owner', 'system_admin', 'pgwarden_web')
                       AND s.setting LIKE 'statement_timeout=%' ORDER BY 1$$,
  $$VALUES ('anon', 'statement_timeout=5s'), ('org_owner', 'statement_timeout=15s'),
           ('pgwarden_web', 'statement_timeout=5s'), ('staff', 'statement_timeout=15s'),
           ('system_admin', 'statement_timeout=30s')$$,
  'every API role and the web login have a statement timeout');
SELECT is((SELECT count(*)::int FROM pg_roles r, unnest(r.rolconfig) AS s (setting)
            WHERE r.rolname IN ('anon', 'staff', 'org_owner', 'system_admin', 'pgwarden_web')
              AND s.setting = 'idle_in_transaction_session_timeout=10s'), 5,
  'and none may sit idle in a transaction for more than 10 s');
SELECT is((SELECT rolconfig FROM pg_roles WHERE rolname = 'pgwarden_worker'), NULL, 'the worker has no limit');

SELECT is(pg_temp.answer('SELECT app.raise_statement_timeout()'),
          '{"code": "QR002", "status": 429, "retry_after": "5"}', 'a statement timeout answers 429 with Retry-After');

INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'Org A');
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000a', 0);
INSERT INTO app.projects (organization_id, name, public_key)
  VALUES ('00000000-0000-0000-0000-00000000000a', 'shop', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
SELECT set_config('request.headers', '{"x-pgwarden-key": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}', true);
-- a batch that takes far longer than its (here short) time: 300 different 14 KB stack traces to
-- scrub and parse, built in milliseconds before the timeout's clock matters
CREATE TEMP TABLE slow_batch AS
  SELECT json_agg(json_build_object('message', 'slow ' || g, 'stack_trace',
                                    'Error' || repeat(E'\n    at f' || g || ' (https://x.test/a.js:1:2)', 400))) AS events
    FROM generate_series(1, 300) AS g;
SET LOCAL statement_timeout = '500ms';
SELECT is(pg_temp.answer('SELECT api.capture_errors((SELECT events FROM slow_batch))') ->> 'code', 'QR002',
  'a batch cut by the timeout answers QR002, not PostgREST''s 500 for 57014');
RESET statement_timeout;
SELECT is((SELECT count(*)::int FROM app.error_events), 0, 'and nothing of it is stored');

SELECT * FROM finish();
ROLLBACK;
