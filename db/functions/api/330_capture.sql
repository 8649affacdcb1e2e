-- Capturing errors over HTTP. Argument names are the spec's column names (they are the JSON
-- keys clients post). Fields that can be mistyped are text or jsonb here, so a wrong value is
-- answered by our validation (QV001 naming the field) rather than by a cast error.

CREATE FUNCTION api.capture_error(
  error_type text DEFAULT NULL, severity text DEFAULT NULL, message text DEFAULT NULL, stack_trace text DEFAULT NULL,
  component text DEFAULT NULL, file_path text DEFAULT NULL, line_number jsonb DEFAULT NULL,
  column_number jsonb DEFAULT NULL, url text DEFAULT NULL, user_agent text DEFAULT NULL, user_id text DEFAULT NULL,
  metadata jsonb DEFAULT NULL, request_id text DEFAULT NULL, session_id text DEFAULT NULL, event_id text DEFAULT NULL,
  "timestamp" jsonb DEFAULT NULL, fingerprint jsonb DEFAULT NULL, frames jsonb DEFAULT NULL,
  message_template text DEFAULT NULL
) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, public AS $$
DECLARE
  v_caller record;
  v_event jsonb;
  v_outcome record;
  v_result jsonb;
  v_error jsonb;
BEGIN
  -- (assignments, not SELECT … FROM: a call in an expression starts no query)
  v_caller := app.capture_caller();
  v_error := v_caller.problem;
  v_event := jsonb_build_object(
    'error_type', capture_error.error_type, 'severity', capture_error.severity, 'message', capture_error.message,
    'stack_trace', capture_error.stack_trace, 'component', capture_error.component,
    'file_path', capture_error.file_path, 'line_number', capture_error.line_number,
    'column_number', capture_error.column_number, 'url', capture_error.url,
    'user_agent', capture_error.user_agent, 'user_id', capture_error.user_id,
    'metadata', capture_error.metadata, 'request_id', capture_error.request_id,
    'session_id', capture_error.session_id, 'event_id', capture_error.event_id,
    'timestamp', capture_error."timestamp", 'fingerprint', capture_error.fingerprint,
    'frames', capture_error.frames, 'message_template', capture_error.message_template);
  IF v_error IS NULL AND NOT app.json_numbers_fit_double(v_event) THEN
    v_error := app.capture_number_out_of_range();
  END IF;
  IF v_error IS NULL THEN
    v_outcome := app.capture_one(v_caller.organization_id, v_caller.project_id, v_event);
    v_result := v_outcome.result;
    v_error := v_outcome.error;
  END IF;
  IF v_error ->> 'code' = 'QR001' THEN
    -- answered, not raised: the transaction must commit so the refusal stays counted
    PERFORM set_config('response.status', '429', true),
            set_config('response.headers', json_build_array(json_build_object('Retry-After', v_error ->> 'retry_after'))::text, true);
    RETURN v_error;
  END IF;
  IF v_error IS NOT NULL THEN
    PERFORM app.raise_http(v_error ->> 'code', v_error ->> 'message', v_error ->> 'details', v_error ->> 'hint');
  END IF;
  RETURN v_result;
EXCEPTION WHEN query_canceled THEN  -- the role's statement_timeout: 429, not PostgREST's 500
  PERFORM app.raise_statement_timeout();
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.capture_error(text, text, text, text, text, text, jsonb, jsonb, text, text, text, jsonb, text,
                                      text, text, jsonb, jsonb, jsonb, text) IS $$Capture one error

Post the spec's fields (error_type, severity, message, stack_trace, component, file_path, line_number,
column_number, url, user_agent, user_id, metadata, request_id, session_id) plus optional event_id (32 hex
or UUID; a repeated id is stored once), timestamp (RFC 3339 or Unix seconds), fingerprint (list of
strings, "{{ default }}" = the default grouping), frames (stack frames, oldest first) and
message_template (a logging template groups better than its formatted text). Anonymous callers send a
project key in the X-Pgwarden-Key header, as do system admins; staff and org owners capture for the
organization of their token. Returns the group: id, error_hash, occurrence_count, status, is_new,
is_regression, event_id. 400 for invalid fields (the field is named in details), 401/403 for a missing,
unknown or foreign key. Over the organization's per-minute limit the answer is 429 with Retry-After
and the error object {code: QR001, message, details, hint, retry_after} as body (the refusal is counted).
Fields over their size limit are cut, not refused (message 8192 characters, stack_trace 65,536,
metadata 16 KB, the newest 100 frames); the body may hold at most 1 MiB (413), and numbers beyond a
double's range are refused (400).$$;
GRANT EXECUTE ON FUNCTION api.capture_error(text, text, text, text, text, text, jsonb, jsonb, text, text, text, jsonb,
                                            text, text, text, jsonb, jsonb, jsonb, text)
  TO anon, staff, org_owner, system_admin;

CREATE FUNCTION api.capture_errors(events json) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, public AS $$
DECLARE
  v_caller record;
  v_events jsonb;
  v_problem jsonb;
  v_results jsonb;
  v_all_refused boolean;
  v_retry_after integer;
BEGIN
  v_caller := app.capture_caller();
  IF v_caller.problem IS NOT NULL THEN
    PERFORM app.raise_http(v_caller.problem ->> 'code', v_caller.problem ->> 'message', v_caller.problem ->> 'details',
                           v_caller.problem ->> 'hint');
  END IF;
  v_events := capture_errors.events::jsonb;
  IF NOT app.json_numbers_fit_double(v_events) THEN
    v_problem := app.capture_number_out_of_range();
    PERFORM app.raise_http(v_problem ->> 'code', v_problem ->> 'message', v_problem ->> 'details', v_problem ->> 'hint');
  END IF;
  SELECT jsonb_agg(jsonb_build_object('ordinal', b.ordinal, 'result', b.result, 'error', b.error) ORDER BY b.ordinal),
         bool_and(b.error ->> 'code' IS NOT DISTINCT FROM 'QR001'), max((b.error ->> 'retry_after')::integer)
    INTO v_results, v_all_refused, v_retry_after
    FROM app.capture_batch(v_caller.organization_id, v_caller.project_id, v_events) AS b;
  -- a batch refused as a whole by the rate limit is a 429, so clients back off (answered, not
  -- raised: the refusals stay counted)
  IF v_all_refused THEN
    PERFORM set_config('response.status', '429', true),
            set_config('response.headers', json_build_array(json_build_object('Retry-After', v_retry_after::text))::text, true);
  END IF;
  RETURN coalesce(v_results, '[]');
EXCEPTION WHEN query_canceled THEN  -- the role's statement_timeout: 429, not PostgREST's 500
  PERFORM app.raise_statement_timeout();
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.capture_errors(json) IS $$Capture a batch of errors

Post {"events": [...]} with up to 1000 events, each with capture_error's fields. Answers 200 with one
object per event, in order: {ordinal, result, error}; result as capture_error returns it, or error
{code, message, details, hint[, retry_after]} for an event that was refused (invalid, or over the rate
limit). A refused event does not affect the others and stores nothing. When every event was over the
rate limit the status is 429 with Retry-After (same body). The body may hold at most 20 MiB (413).$$;
GRANT EXECUTE ON FUNCTION api.capture_errors(json) TO anon, staff, org_owner, system_admin;
