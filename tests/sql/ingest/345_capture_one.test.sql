-- app.capture_one (the single capture): it stores and answers exactly what app.capture_batch
-- does for the same event, and hands every event it does not take itself to app.capture_batch.
BEGIN;
SELECT plan(16);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'one at a time'), ('00000000-0000-0000-0000-00000000000b', 'in batches'),
  ('00000000-0000-0000-0000-00000000000c', 'limited');
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000a', 0);
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000b', 0);
-- one personal-data hash key for both: user ids are hashed alike (db/schema/315_personal_data.sql)
UPDATE app.personal_data_policy SET hash_key = '\x01' WHERE organization_id IN ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000b');
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000c', 1);

-- plainly valid events with what every step works on: secrets in the message, URL, metadata and
-- stack trace, a stack to group by, a user agent to parse, oversized fields, and one event twice
CREATE TEMP TABLE sample (n integer, event jsonb);
INSERT INTO sample VALUES
  (1, jsonb_build_object('error_type', 'javascript', 'severity', 'error',
        'message', 'TypeError: Cannot read properties of undefined (reading total) for order 17 password=hunter2',
        'stack_trace', E'TypeError: Cannot read properties of undefined\n    at renderCart (https://shop.test/app.js:10:5)\n'
                       || E'    at checkout (https://shop.test/app.js:42:9) token=abc123',
        'url', 'https://shop.test/checkout?order=17&token=secret17',
        'user_agent', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) '
                      || 'Version/17.1 Mobile/15E148 Safari/604.1',
        'metadata', jsonb_build_object('cart_items', 3, 'password', 'never-stored', 'card', '4111 1111 1111 1111'),
        'component', 'Checkout', 'user_id', 'u-17', 'session_id', 's-17', 'request_id', 'r-17')),
  (2, jsonb_build_object('error_type', 'API', 'message', 'Payment provider timed out after 30s for order 12345',
        'component', repeat('c', 300), 'url', 'https://shop.test/' || repeat('p', 2100))),
  (3, jsonb_build_object('message', repeat('Disk full on volume 7. ', 400), 'metadata', jsonb_build_object('big', repeat('x', 17000)))),
  (4, jsonb_build_object('error_type', 'API', 'message', 'Payment provider timed out after 45s for order 777'));

CREATE TEMP TABLE one_at_a_time AS
  SELECT s.n, o.result, o.error FROM sample s
  CROSS JOIN LATERAL app.capture_one('00000000-0000-0000-0000-00000000000a', NULL, s.event) AS o ORDER BY s.n;
CREATE TEMP TABLE in_batches AS
  SELECT s.n, b.result, b.error FROM sample s
  CROSS JOIN LATERAL app.capture_batch('00000000-0000-0000-0000-00000000000b', NULL, jsonb_build_array(s.event)) AS b
  ORDER BY s.n;

SELECT is((SELECT count(*)::integer FROM one_at_a_time WHERE error IS NULL AND result IS NOT NULL), 4,
          'every plainly valid event is accepted one at a time');
SELECT results_eq(
  $$SELECT n, result - 'id' - 'event_id' FROM one_at_a_time ORDER BY n$$,
  $$SELECT n, result - 'id' - 'event_id' FROM in_batches ORDER BY n$$,
  'the answers are those of app.capture_batch: hash, count, status, novelty');
SELECT results_eq(
  $$SELECT error_hash, error_type, severity, message, message_template, stack_trace, frames, fingerprint, component,
           file_path, line_number, column_number, url, user_agent, browser, os, device_type, user_id, metadata,
           request_id, session_id
      FROM app.error_events WHERE organization_id = '00000000-0000-0000-0000-00000000000a' ORDER BY error_hash, message$$,
  $$SELECT error_hash, error_type, severity, message, message_template, stack_trace, frames, fingerprint, component,
           file_path, line_number, column_number, url, user_agent, browser, os, device_type, user_id, metadata,
           request_id, session_id
      FROM app.error_events WHERE organization_id = '00000000-0000-0000-0000-00000000000b' ORDER BY error_hash, message$$,
  'the stored events are those of app.capture_batch, field by field');
SELECT results_eq(
  $$SELECT error_hash, occurrence_count, status, severity, message, browser, os, device_type
      FROM app.system_errors WHERE organization_id = '00000000-0000-0000-0000-00000000000a' ORDER BY error_hash$$,
  $$SELECT error_hash, occurrence_count, status, severity, message, browser, os, device_type
      FROM app.system_errors WHERE organization_id = '00000000-0000-0000-0000-00000000000b' ORDER BY error_hash$$,
  'and so are the groups');
SELECT is((SELECT count(*)::integer FROM app.error_events
            WHERE organization_id = '00000000-0000-0000-0000-00000000000a'
              AND (message || url || metadata::text || stack_trace) ~ '(hunter2|secret17|never-stored|4111|abc123)'), 0,
          'no secret of the events is stored');
SELECT is((SELECT (result ->> 'occurrence_count')::integer FROM one_at_a_time WHERE n = 4), 2,
          'the same error with other numbers joins its group');
SELECT matches((SELECT result ->> 'event_id' FROM one_at_a_time WHERE n = 1), '^[0-9a-f]{32}$',
               'the answer names the stored event');

-- == What app.capture_batch takes over ==

CREATE TEMP TABLE retried AS
  SELECT o.result, o.error FROM generate_series(1, 2) AS g
  CROSS JOIN LATERAL app.capture_one('00000000-0000-0000-0000-00000000000a', NULL,
    jsonb_build_object('message', 'Retried upload, attempt ' || g, 'event_id', '9f1b7c2ad0e84f3b8a6e5d4c3b2a1f00')) AS o;
SELECT is((SELECT count(*)::integer FROM app.error_events WHERE event_id = '9f1b7c2a-d0e8-4f3b-8a6e-5d4c3b2a1f00'), 1,
          'an event with its own event_id is stored once however often it is sent');
SELECT is((SELECT count(DISTINCT result ->> 'id')::integer FROM retried WHERE error IS NULL), 1,
          'and both answers name its group');

SELECT is((app.capture_one('00000000-0000-0000-0000-00000000000a', NULL, '{"message": "x", "severity": "loud"}')).error ->> 'code',
          'QV001', 'an invalid event is refused with its code');
SELECT is((app.capture_one('00000000-0000-0000-0000-00000000000a', NULL, '{"message": "  "}')).error ->> 'details',
          'Field: message.', 'naming the field');
SELECT is((SELECT count(*)::integer FROM app.error_events WHERE message IN ('x', '  ')), 0, 'and nothing of it is stored');

SELECT throws_ok($$SELECT app.capture_one('00000000-0000-0000-0000-0000000000ff', NULL, '{"message": "x"}')$$,
                 'QN001', NULL, 'an unknown organization is QN001');

-- == The rate limit ==

CREATE TEMP TABLE limited AS
  SELECT g AS n, o.result, o.error FROM generate_series(1, 3) AS g
  CROSS JOIN LATERAL app.capture_one('00000000-0000-0000-0000-00000000000c', NULL,
                                     jsonb_build_object('message', 'Queue is full, attempt ' || g)) AS o;
SELECT is((SELECT count(*)::integer FROM limited WHERE result IS NOT NULL), 1, 'within the limit an event is stored');
SELECT results_eq($$SELECT error ->> 'code', (error ->> 'retry_after')::integer BETWEEN 1 AND 60 FROM limited WHERE n > 1$$,
                  $$VALUES ('QR001', true), ('QR001', true)$$, 'past it each event is QR001 with a retry_after');
SELECT results_eq($$SELECT accepted, refused FROM app.rate_limit_usage
                     WHERE organization_id = '00000000-0000-0000-0000-00000000000c'$$,
                  $$VALUES (1, 2)$$, 'and every refusal is counted');

SELECT * FROM finish();
ROLLBACK;
