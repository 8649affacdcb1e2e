-- app.capture_batch: validation with field names, trimming, idempotency, grouping, nothing half-stored.
BEGIN;
SELECT plan(43);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B');
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000a', 0);

CREATE FUNCTION pg_temp.capture(p_events jsonb) RETURNS TABLE (ordinal integer, result jsonb, error jsonb)
LANGUAGE sql AS $$ SELECT * FROM app.capture_batch('00000000-0000-0000-0000-00000000000a', NULL, p_events) $$;
CREATE FUNCTION pg_temp.problem(p_event jsonb) RETURNS jsonb
LANGUAGE sql AS $$ SELECT c.error FROM pg_temp.capture(jsonb_build_array(p_event)) c $$;

-- == A valid event ==

CREATE TEMP TABLE first_capture AS
  SELECT * FROM pg_temp.capture('[{"error_type": "api", "severity": "critical",
    "message": "Payment provider timed out after 30s for order 12345", "component": "Checkout"}]');
SELECT is((SELECT error FROM first_capture), NULL, 'a valid event is accepted');
SELECT ok((SELECT result ?& ARRAY['id', 'error_hash', 'occurrence_count', 'status', 'is_new', 'is_regression', 'event_id']
             FROM first_capture), 'the result names the group, its hash, count, status, novelty and the event id');
SELECT is((SELECT (result ->> 'is_new')::boolean FROM first_capture), true, 'the first event of a group is new');
SELECT is((SELECT result ->> 'status' FROM first_capture), 'new', 'a new group has status new');
SELECT matches((SELECT result ->> 'error_hash' FROM first_capture), '^[0-9a-f]{64}$', 'error_hash is 64 hex digits');
SELECT matches((SELECT result ->> 'event_id' FROM first_capture), '^[0-9a-f]{32}$', 'event_id is 32 hex digits');

CREATE TEMP TABLE second_capture AS
  SELECT * FROM pg_temp.capture('[{"error_type": "api", "severity": "critical",
    "message": "Payment provider timed out after 45s for order 777"}]');
SELECT is((SELECT result ->> 'id' FROM second_capture), (SELECT result ->> 'id' FROM first_capture),
  'the same error with other numbers joins the same group');
SELECT is((SELECT (result ->> 'occurrence_count')::int FROM second_capture), 2, 'and counts it');
SELECT is((SELECT (result ->> 'is_new')::boolean FROM second_capture), false, 'a known group is not new');
SELECT is((SELECT count(*)::int FROM app.system_errors), 1, 'one group row for both events');
SELECT is((SELECT count(*)::int FROM app.error_events), 2, 'each occurrence is stored as an event');

SELECT isnt((SELECT result ->> 'id' FROM app.capture_batch('00000000-0000-0000-0000-00000000000b', NULL,
               '[{"error_type": "api", "severity": "critical", "message": "Payment provider timed out after 30s for order 12345"}]')),
            (SELECT result ->> 'id' FROM first_capture), 'another organization gets its own group for the same error');

-- == Validation: code and field ==

SELECT is(pg_temp.problem('{"error_type": "api"}') ->> 'code', 'QV002', 'a missing message is QV002');
SELECT is(pg_temp.problem('{"error_type": "api"}') ->> 'details', 'Field: message.', '... naming the field');
SELECT is(pg_temp.problem('{"message": "   "}') ->> 'code', 'QV002', 'a blank message counts as missing');
SELECT is(pg_temp.problem('{"message": {"text": "x"}}') ->> 'details', 'Field: message.', 'a message that is not a string is refused');
SELECT is(pg_temp.problem('{"message": "x", "error_type": "cosmic"}'),
  jsonb_build_object('code', 'QV001', 'message', 'unknown error_type', 'details', 'Field: error_type.',
                     'hint', 'Use one of: ' || array_to_string(enum_range(NULL::app.error_type_enum)::text[], ', ') || '.'),
  'an unknown error_type is QV001 naming the field and listing the values');
SELECT is(pg_temp.problem('{"message": "x", "severity": "loud"}') ->> 'details', 'Field: severity.', 'an unknown severity is refused');
SELECT is(pg_temp.problem('{"message": "x", "line_number": "12a"}') ->> 'details', 'Field: line_number.', 'a line number must be a whole number');
SELECT is(pg_temp.problem('{"message": "x", "column_number": -1}') ->> 'details', 'Field: column_number.', 'a column number must not be negative');
SELECT is(pg_temp.problem('{"message": "x", "metadata": [1]}') ->> 'details', 'Field: metadata.', 'metadata must be an object');
SELECT is(pg_temp.problem('{"message": "x", "fingerprint": "tenant"}') ->> 'details', 'Field: fingerprint.', 'a fingerprint must be a list');
SELECT is(pg_temp.problem('{"message": "x", "frames": [1, 2]}') ->> 'details', 'Field: frames.', 'frames must be objects');
SELECT is(pg_temp.problem('{"message": "x", "event_id": "abc-def"}') ->> 'details', 'Field: event_id.', 'an event id must be a UUID');
SELECT is(pg_temp.problem('{"message": "x", "timestamp": "2026-13-01T00:00:00Z"}') ->> 'details', 'Field: timestamp.',
  'an impossible date is refused, not an exception');
SELECT is(pg_temp.problem('{"message": "x", "url": 42}') ->> 'details', 'Field: url.', 'a url must be a string');
SELECT is(pg_temp.problem('"just text"') ->> 'details', 'Field: event.', 'an event must be an object');
SELECT is(pg_temp.problem('{"message": "x", "error_type": null, "severity": null, "line_number": null, "metadata": null,
                            "fingerprint": null, "frames": null, "event_id": null, "timestamp": null, "url": null}'), NULL,
  'null stands for absent in every optional field');

-- == A bad event in a batch leaves nothing of itself and does not stop the others ==

CREATE TEMP TABLE mixed AS SELECT * FROM pg_temp.capture('[
  {"message": "good one", "error_type": "database"},
  {"message": "bad one", "severity": "apocalyptic"},
  {"message": "good two", "error_type": "network", "timestamp": 1795874289.98}]');
SELECT results_eq('SELECT ordinal, result IS NOT NULL, error ->> ''code'' FROM mixed ORDER BY ordinal',
  $$VALUES (1, true, NULL::text), (2, false, 'QV001'), (3, true, NULL)$$, 'one row per event, in order, with result or error');
SELECT is((SELECT count(*)::int FROM app.error_events WHERE message = 'bad one'), 0, 'the bad event stored nothing');
SELECT is((SELECT count(*)::int FROM app.error_events WHERE message IN ('good one', 'good two')), 2, 'the good ones are stored');
SELECT is((SELECT occurred_at FROM app.error_events WHERE message = 'good two'), to_timestamp(1795874289.98),
  'Unix seconds are a valid timestamp');

-- == Defaults and trimming ==

SELECT is((SELECT error_type::text || '/' || severity::text FROM app.error_events WHERE message = 'good one' ), 'database/error',
  'severity defaults to error');
SELECT pg_temp.capture(jsonb_build_array(jsonb_build_object('message', 'huge ' || repeat('m', 9000),
  'stack_trace', repeat('s', 70000), 'url', 'https://x.test/' || repeat('u', 2100),
  'metadata', (SELECT jsonb_object_agg('key' || n, repeat('v', 100)) FROM generate_series(1, 300) AS n))));
SELECT ok((SELECT length(message) = 8192 AND message LIKE '%…[truncated]' FROM app.error_events WHERE message LIKE 'huge %'),
  'a message over 8 KB is cut to 8192 characters with a visible marker');
SELECT ok((SELECT length(stack_trace) = 65536 AND length(url) = 2000 FROM app.error_events WHERE message LIKE 'huge %'),
  'stack traces over 64 KB and URLs over 2000 characters are cut too');
SELECT ok((SELECT metadata ? '_truncated' AND octet_length(metadata::text) <= 16384 FROM app.error_events WHERE message LIKE 'huge %'),
  'metadata over 16 KB keeps what fits and says it was truncated');
SELECT is((SELECT error_type::text FROM app.error_events WHERE message LIKE 'huge %'), 'unknown', 'error_type defaults to unknown');

-- == Idempotency ==

SELECT pg_temp.capture('[{"message": "retried", "event_id": "0123456789abcdef0123456789abcdef"}]');
CREATE TEMP TABLE retry AS SELECT * FROM pg_temp.capture('[
  {"message": "retried", "event_id": "01234567-89ab-cdef-0123-456789abcdef"},
  {"message": "fresh twin", "event_id": "11111111111111111111111111111111"},
  {"message": "fresh twin", "event_id": "11111111111111111111111111111111"}]');
SELECT is((SELECT count(*)::int FROM app.error_events WHERE message = 'retried'), 1,
  'an event id seen before (hex or UUID form) is stored once');
SELECT is((SELECT result ->> 'id' FROM retry WHERE ordinal = 1),
          (SELECT id::text FROM app.system_errors WHERE message = 'retried'), '... and reports the existing group');
SELECT is((SELECT count(*)::int FROM app.error_events WHERE message = 'fresh twin'), 1, 'an id repeated inside one batch is stored once');

-- == Scrubbed before anything is stored ==

SELECT count(*) FROM pg_temp.capture('[{"message": "login failed with Authorization: Bearer abc123secretvalue",
  "url": "https://shop.test/login?password=hunter2&next=/cart",
  "stack_trace": "Error: login failed\n    at login (https://shop.test/app.js:1:1)",
  "metadata": {"password": "hunter2", "nested": {"api_key": "sk_live_hunter2"}}}]');
SELECT is_empty($$SELECT 1 FROM app.error_events e WHERE e::text ~ '(hunter2|abc123secretvalue)'
                  UNION ALL SELECT 1 FROM app.system_errors s WHERE s::text ~ '(hunter2|abc123secretvalue)'$$,
  'nothing of a secret in message, URL or metadata reaches the events or the group');

-- == Whole-call problems ==

SELECT throws_ok($$SELECT * FROM app.capture_batch('00000000-0000-0000-0000-00000000000a', NULL, '{"message": "x"}')$$,
  'QV001', NULL, 'events must be an array');
SELECT throws_ok($$SELECT * FROM app.capture_batch('00000000-0000-0000-0000-0000000000ff', NULL, '[]')$$,
  'QN001', NULL, 'an unknown organization is QN001');

SELECT * FROM finish();
ROLLBACK;
