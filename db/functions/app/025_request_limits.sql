-- Bounds on what one request may cost, for requests PostgREST serves (DESIGN.md section 12). The
-- per-field limits of a capture are app.capture_limit (300_capture.sql); the role timeouts are
-- role settings (db/schema/010_roles_schemas.sql): PostgREST 12 applies the impersonated role's
-- statement_timeout to each request's transaction.

-- == Body size ==

-- PostgREST 12 has no body-size setting (its maintainers point to a proxy's client_max_body_size,
-- PostgREST/postgrest#1757). Its pre-request hook (app.request_guard, 040_request_guard.sql) runs
-- this in each request's transaction before the main statement, so a body can be refused by its
-- declared size before PostgreSQL parses any of it. A capture is at most 1 MiB (Sentry's limit for one event);
-- a batch of up to 1000 at most 20 MiB (the limit of pgwarden web's envelopes); a user's report 64 KB
-- (its fields' limits add up to less: app.report_limit).
CREATE OR REPLACE FUNCTION app.request_body_limit(p_path text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE p_path WHEN '/rpc/capture_errors' THEN 20 * 1048576 WHEN '/rpc/submit_report' THEN 65536 ELSE 1048576 END
$$;
COMMENT ON FUNCTION app.request_body_limit(text) IS
  'The largest request body PostgREST passes on for a path, in bytes: 20 MiB for /rpc/capture_errors, 64 KB for /rpc/submit_report, else 1 MiB';
GRANT EXECUTE ON FUNCTION app.request_body_limit(text) TO anon, staff, org_owner, system_admin;

-- A body without Content-Length (Transfer-Encoding: chunked) has no size to check before it is
-- parsed, so it is refused with 411: every HTTP client sends Content-Length for a body it holds.
-- (PostgREST itself has read such a body whole by now; only a proxy in front can bound that.)
DROP FUNCTION IF EXISTS app.http_pre_request();  -- (PostgREST called it directly; now app.request_guard does)
CREATE OR REPLACE FUNCTION app.request_body_check() RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_headers jsonb := nullif(current_setting('request.headers', true), '')::jsonb;
  v_length text := v_headers ->> 'content-length';
  v_limit integer;
BEGIN
  IF v_length IS NULL THEN
    IF v_headers ? 'transfer-encoding' THEN
      PERFORM app.raise_http('QV004', 'length required', 'The body came without Content-Length (chunked).',
                             'Send the body with a Content-Length header.');
    END IF;
    RETURN;
  END IF;
  v_limit := app.request_body_limit(current_setting('request.path', true));
  IF v_length !~ '^\s*[0-9]{1,15}\s*$' OR v_length::bigint > v_limit THEN
    PERFORM app.raise_http('QV003', 'request body too large',
                           format('Content-Length %s; at most %s bytes here.', left(v_length, 20), v_limit),
                           'Send smaller requests (fields over their limit are cut anyway; split large batches).');
  END IF;
END $$;
COMMENT ON FUNCTION app.request_body_check() IS
  'Part of PostgREST''s pre-request hook: refuse a body over app.request_body_limit (413, QV003) or without Content-Length (411, QV004)';
GRANT EXECUTE ON FUNCTION app.request_body_check() TO anon, staff, org_owner, system_admin;

-- == Statement timeout ==

-- A statement cut by the role's statement_timeout fails with 57014 (query_canceled), which
-- PostgREST answers with 500; and a 503 would make PostgREST 12 reconnect and reload its schema
-- cache. The api functions that can run long catch it and answer this instead: 429 with
-- Retry-After, as for any exhausted budget.
CREATE OR REPLACE FUNCTION app.raise_statement_timeout() RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
  PERFORM app.raise_http('QR002', 'statement timeout',
                         format('The request ran past the %s its role may take.', current_setting('statement_timeout')),
                         'Retry later; if it keeps happening, ask for less at once (a smaller batch or time range).',
                         app.retry_after_seconds());
END $$;
COMMENT ON FUNCTION app.raise_statement_timeout() IS
  'Answer a statement cut by statement_timeout: QR002, 429 with Retry-After (PostgREST would say 500)';
GRANT EXECUTE ON FUNCTION app.raise_statement_timeout() TO anon, staff, org_owner, system_admin;
