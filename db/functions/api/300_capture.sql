-- Capturing errors over HTTP. Each function takes the request body as its one unnamed json
-- argument (PostgREST passes it as sent): named arguments would go through json_to_record, which
-- decodes every string and refuses \u0000 before our code runs. Here one app.json_repair replaces
-- it first (U+FFFD, counted, and marked in the event's metadata._repaired); the body's keys are the
-- spec's column names, and a wrong type is answered by our validation (QV001 naming the field).
-- (A lone surrogate escape never gets here: PostgREST's own JSON parser refuses it, 400 PGRST102.)

CREATE FUNCTION api.capture_error(json) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, public AS $$
DECLARE
  v_caller record;
  v_repair record;
  v_event jsonb;
  v_outcome record;
  v_result jsonb;
  v_error jsonb;
BEGIN
  -- (assignments, not SELECT … FROM: a call in an expression starts no query)
  v_caller := app.capture_caller();
  v_error := v_caller.problem;
  IF v_error IS NULL THEN
    v_repair := app.json_repair($1::text);
    v_event := v_repair.document;
    IF NOT app.json_numbers_fit_double(v_event) THEN
      v_error := app.capture_number_out_of_range();
    END IF;
  END IF;
  IF v_error IS NULL THEN
    IF v_repair.unstorable > 0 THEN
      v_event := app.capture_mark_repaired(v_event, app.repair_marker(v_repair.unstorable, 0));
      PERFORM app.ingest_repairs_record(jsonb_build_array(jsonb_build_object(
        'organization_id', v_caller.organization_id, 'source', 'capture_error',
        'repairs', app.repair_marker(v_repair.unstorable, 0))));
    END IF;
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
COMMENT ON FUNCTION api.capture_error(json) IS $$Capture one error

Post the spec's fields (error_type, severity, message, stack_trace, component, file_path, line_number,
column_number, url, user_agent, user_id, metadata, request_id, session_id) plus optional event_id (32 hex
or UUID; a repeated id is stored once), timestamp (RFC 3339 or Unix seconds), fingerprint (list of
strings, "{{ default }}" = the default grouping), frames (stack frames, oldest first), exceptions (a chain
of exceptions as Sentry sends them, oldest cause first, the raised one last: {type, value, module,
stacktrace: {frames}}; every exception then counts in grouping) and message_template (a logging template
groups better than its formatted text). A project's fingerprint rules apply. Anonymous callers send a
project key in the X-Pgwarden-Key header, as do system admins; staff and org owners capture for the
organization of their token. Returns the group: id, error_hash, occurrence_count, status, is_new,
is_regression, event_id. 400 for invalid fields (the field is named in details), 401/403 for a
missing, unknown or foreign key. A \u0000, which PostgreSQL text cannot hold, is stored as U+FFFD and
the event says so in metadata._repaired (a lone UTF-16 surrogate escape is refused by PostgREST's JSON
parser: 400 PGRST102). Over the organization's per-minute limit the answer is 429 with Retry-After
and the error object {code: QR001, message, details, hint, retry_after} as body (the refusal is counted).
Fields over their size limit are cut, not refused (message 8192 characters, stack_trace 65,536,
metadata 16 KB, the newest 100 frames, the newest 10 exceptions); the body may hold at most 1 MiB (413), and
numbers beyond a double's range are refused (400).

Errors: QV001 400 (a field invalid or unknown, named in details; the hint lists the accepted fields), QV002 400 (a required field missing), QV003 413 (body too large), QAI01 401 (project key missing or unknown), QAI02 403 (key or token not for that organization), QR001 429 (rate limited, Retry-After), QR002 429 (timeout).

Example: curl -X POST "$API/rpc/capture_error" -H "X-Pgwarden-Key: $KEY" -H "Content-Type: application/json" -d '{"error_type": "runtime", "severity": "error", "message": "x is undefined"}'$$;
GRANT EXECUTE ON FUNCTION api.capture_error(json) TO anon, staff, org_owner, system_admin;

CREATE FUNCTION api.capture_errors(json) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, public AS $$
DECLARE
  v_caller record;
  v_repair record;
  v_events jsonb;
  v_problem jsonb;
  v_sent_events json;
  v_repaired jsonb;
  v_results jsonb;
  v_all_refused boolean;
  v_retry_after integer;
BEGIN
  v_caller := app.capture_caller();
  IF v_caller.problem IS NOT NULL THEN
    PERFORM app.raise_http(v_caller.problem ->> 'code', v_caller.problem ->> 'message', v_caller.problem ->> 'details',
                           v_caller.problem ->> 'hint');
  END IF;
  v_repair := app.json_repair($1::text);
  -- {"events": [...]} as documented; a bare array is taken as the events too
  v_events := CASE WHEN jsonb_typeof(v_repair.document) = 'array' THEN v_repair.document ELSE v_repair.document -> 'events' END;
  IF jsonb_typeof(v_repair.document) = 'object' AND v_repair.document - 'events' <> '{}'::jsonb THEN
    PERFORM app.raise_http('QV001', format('unknown field %s', jsonb_path_query_first(v_repair.document - 'events', '$.keyvalue().key')),
      format('Field: %s.', jsonb_path_query_first(v_repair.document - 'events', '$.keyvalue().key') #>> '{}'),
      'Send {"events": [...]}: the body holds only events; each event holds capture_error''s fields.');
  END IF;
  IF NOT app.json_numbers_fit_double(v_events) THEN
    v_problem := app.capture_number_out_of_range();
    PERFORM app.raise_http(v_problem ->> 'code', v_problem ->> 'message', v_problem ->> 'details', v_problem ->> 'hint');
  END IF;
  IF v_repair.unstorable > 0 THEN
    -- again event by event, so each stored event is marked with its own repairs: the events as
    -- sent, cut out of the body's text (json -> 'events' would decode, and fail, like jsonb)
    v_sent_events := CASE WHEN json_typeof($1) = 'array' THEN $1
                          ELSE substring($1::text FROM '^\s*\{\s*"events"\s*:\s*(\[.*\])\s*\}\s*$')::json END;
    IF v_sent_events IS NULL THEN  -- (other keys around the events: counted for the body as a whole)
      v_repaired := jsonb_build_array(jsonb_build_object('organization_id', v_caller.organization_id,
                      'source', 'capture_errors', 'repairs', app.repair_marker(v_repair.unstorable, 0)));
    ELSE
      SELECT jsonb_agg(app.capture_mark_repaired(e.document, app.repair_marker(e.unstorable, 0)) ORDER BY e.ordinal),
             jsonb_agg(jsonb_build_object('organization_id', v_caller.organization_id, 'source', 'capture_errors',
                                          'repairs', app.repair_marker(e.unstorable, 0))) FILTER (WHERE e.unstorable > 0)
        INTO v_events, v_repaired
        FROM app.json_repair_elements(v_sent_events) AS e;
    END IF;
    PERFORM app.ingest_repairs_record(v_repaired);
  END IF;
  SELECT jsonb_agg(jsonb_build_object('ordinal', b.ordinal, 'result', b.result, 'error', b.error) ORDER BY b.ordinal),
         bool_and(b.error ->> 'code' IS NOT DISTINCT FROM 'QR001'), max((b.error ->> 'retry_after')::integer)
    INTO v_results, v_all_refused, v_retry_after
    FROM app.capture_batch(v_caller.organization_id, v_caller.project_id, coalesce(v_events, 'null')) AS b;
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
rate limit the status is 429 with Retry-After (same body). A \u0000 is stored as U+FFFD, marked in
the event's metadata._repaired. The body may hold at most 20 MiB (413).

Errors: QV001 400 (the body is not {"events": [...]} of at most 1000, or holds another key, named in details), QV003 413 (body too large), QR001 429
(every event over the rate limit, Retry-After), QR002 429 (timeout); per event, in its error object: QV001 or
QV002 (a field invalid, unknown or missing), QAI01 401 / QAI02 403 (key missing, unknown or foreign), QR001.

Example: curl -X POST "$API/rpc/capture_errors" -H "X-Pgwarden-Key: $KEY" -H "Content-Type: application/json" -d '{"events": [{"error_type": "runtime", "message": "x is undefined"}]}'$$;
GRANT EXECUTE ON FUNCTION api.capture_errors(json) TO anon, staff, org_owner, system_admin;
