-- Turning pgwarden's Q-class errors into HTTP answers. app functions only raise Q codes; api
-- functions catch the classes whose HTTP status is not 400 and hand them to raise_http, which
-- raises PostgREST's documented SQLSTATE 'PGRST' form (JSON message + status/headers detail).

CREATE OR REPLACE FUNCTION app.raise_http(
  p_sqlstate text, p_message text, p_detail text, p_hint text, p_retry_after_seconds integer DEFAULT NULL
) RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_status smallint;
BEGIN
  SELECT http_status INTO v_status FROM app.error_code WHERE code = p_sqlstate;
  IF v_status IS NULL OR v_status = 400 THEN
    -- PostgREST already answers 400 for these: re-raise unchanged
    RAISE EXCEPTION USING ERRCODE = p_sqlstate, MESSAGE = p_message,
      DETAIL = coalesce(p_detail, ''), HINT = coalesce(p_hint, '');
  END IF;
  RAISE SQLSTATE 'PGRST' USING
    MESSAGE = json_build_object('code', p_sqlstate, 'message', p_message,
                                'details', p_detail, 'hint', p_hint)::text,
    DETAIL = json_build_object(
      'status', v_status,
      'headers', CASE WHEN p_retry_after_seconds IS NULL THEN json_build_object()
                      ELSE json_build_object('Retry-After', p_retry_after_seconds::text) END)::text;
END $$;
COMMENT ON FUNCTION app.raise_http(text, text, text, text, integer)
  IS 'Raise a registered Q-code with its HTTP status for PostgREST (optionally with Retry-After)';
GRANT EXECUTE ON FUNCTION app.raise_http(text, text, text, text, integer)
  TO anon, staff, org_owner, system_admin;

-- For adapters that answer HTTP themselves (pgwarden web): the status of a code SQL raised.
CREATE OR REPLACE FUNCTION app.error_http_status(p_code text) RETURNS smallint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT coalesce((SELECT e.http_status FROM app.error_code e WHERE e.code = p_code), 400::smallint)
$$;
COMMENT ON FUNCTION app.error_http_status(text) IS 'The HTTP status a Q-code is registered with (400 when it is not)';
GRANT EXECUTE ON FUNCTION app.error_http_status(text) TO pgwarden_web;
