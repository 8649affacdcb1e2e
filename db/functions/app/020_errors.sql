-- The one error shape that leaves pgwarden: a problem {code, message, details, hint} with the
-- HTTP status its Q-code is registered with (app.error_code) and, for a refusal that says when to
-- try again, retry_after (seconds). app functions raise Q codes or answer problems built here;
-- api functions hand every Q code they meet to raise_http, which raises PostgREST's
-- documented SQLSTATE 'PGRST' form (JSON message + status/headers detail); pgwarden web answers
-- problems with their http_status (workers/web/errors.py).

-- The status a code is registered with; 400 for a code the registry does not hold (a test keeps
-- every code of db/ and workers/ registered: tests/py/test_error_registry.py).
CREATE OR REPLACE FUNCTION app.error_http_status(p_code text) RETURNS smallint
LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT e.http_status FROM app.error_code e WHERE e.code = p_code), 400::smallint)
$$;
COMMENT ON FUNCTION app.error_http_status(text) IS 'The HTTP status a Q-code is registered with (400 when it is not)';
GRANT EXECUTE ON FUNCTION app.error_http_status(text)
  TO anon, staff, org_owner, system_admin, pgwarden_web, pgwarden_worker;

-- The one wait for refusals that cannot compute their own: a statement cut by its role's
-- statement_timeout (QR002) and, in pgwarden web, a database that does not answer (QR003).
-- pgwarden web must answer with it when the database cannot be asked, so workers/web/errors.py
-- holds the same value (RETRY_AFTER_SECONDS; tests/py/test_error_shape.py compares them).
CREATE OR REPLACE FUNCTION app.retry_after_seconds() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 5 $$;
COMMENT ON FUNCTION app.retry_after_seconds() IS
  'Retry-After (seconds) of a refusal that does not compute its own wait: statement timeout, database unavailable';
GRANT EXECUTE ON FUNCTION app.retry_after_seconds()
  TO anon, staff, org_owner, system_admin, pgwarden_web, pgwarden_worker;

-- (pgwarden web's ingest outcomes built it before app.problem; replaced by it)
DROP FUNCTION IF EXISTS app.web_error(text, text, text, text, jsonb);
-- Every 429 (and the 503) says when to try again: its own wait, else app.retry_after_seconds().
-- Those are the QR codes (tests/py/test_error_registry.py keeps it so), known without a lookup.
CREATE OR REPLACE FUNCTION app.problem(p_code text, p_message text, p_details text, p_hint text,
                                       p_retry_after integer DEFAULT NULL) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object(
    'code', p_code, 'message', p_message, 'details', p_details, 'hint', p_hint,
    'retry_after', coalesce(p_retry_after, CASE WHEN starts_with(p_code, 'QR') THEN app.retry_after_seconds() END),
    'http_status', app.error_http_status(p_code)))
$$;
COMMENT ON FUNCTION app.problem(text, text, text, text, integer) IS
  'A problem: {code, message, details, hint, http_status (the code''s, from app.error_code)[, retry_after: always for a 429]}';
GRANT EXECUTE ON FUNCTION app.problem(text, text, text, text, integer)
  TO anon, staff, org_owner, system_admin, pgwarden_web, pgwarden_worker;

-- Raise a problem for PostgREST: its JSON {code, message, details, hint} with its status, and
-- Retry-After for one with retry_after, plus p_headers (e.g. Allow for a 405). A 400 is re-raised
-- with its own SQLSTATE: PostgREST answers 400 for those already.
CREATE OR REPLACE FUNCTION app.raise_problem(p_problem jsonb, p_headers jsonb DEFAULT NULL) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF (p_problem ->> 'http_status')::integer = 400 THEN
    RAISE EXCEPTION USING ERRCODE = p_problem ->> 'code', MESSAGE = p_problem ->> 'message',
      DETAIL = coalesce(p_problem ->> 'details', ''), HINT = coalesce(p_problem ->> 'hint', '');
  END IF;
  RAISE SQLSTATE 'PGRST' USING
    MESSAGE = json_build_object('code', p_problem ->> 'code', 'message', p_problem ->> 'message',
                                'details', p_problem ->> 'details', 'hint', p_problem ->> 'hint')::text,
    DETAIL = json_build_object(
      'status', (p_problem ->> 'http_status')::integer,
      'headers', coalesce(p_headers, '{}')
                 || CASE WHEN p_problem ? 'retry_after'
                         THEN jsonb_build_object('Retry-After', p_problem ->> 'retry_after') ELSE '{}' END)::text;
END $$;
COMMENT ON FUNCTION app.raise_problem(jsonb, jsonb)
  IS 'Raise an app.problem with its HTTP status for PostgREST (Retry-After from retry_after, plus any headers)';
GRANT EXECUTE ON FUNCTION app.raise_problem(jsonb, jsonb) TO anon, staff, org_owner, system_admin;

-- The api functions' one handler (a PL/pgSQL handler cannot live in another function, and only GET
-- STACKED DIAGNOSTICS inside it reads an error's detail and hint), so every Q code an api function
-- meets leaves with the status the registry gives it (tests/py/test_error_shape.py keeps it one):
--   EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
--     GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
--       v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
--     PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
CREATE OR REPLACE FUNCTION app.raise_http(
  p_sqlstate text, p_message text, p_detail text, p_hint text, p_retry_after_seconds integer DEFAULT NULL
) RETURNS void
LANGUAGE sql STABLE AS $$
  SELECT app.raise_problem(app.problem(p_sqlstate, p_message, p_detail, p_hint, p_retry_after_seconds))
$$;
COMMENT ON FUNCTION app.raise_http(text, text, text, text, integer)
  IS 'Raise a registered Q-code with its HTTP status for PostgREST (optionally with Retry-After)';
GRANT EXECUTE ON FUNCTION app.raise_http(text, text, text, text, integer)
  TO anon, staff, org_owner, system_admin;
