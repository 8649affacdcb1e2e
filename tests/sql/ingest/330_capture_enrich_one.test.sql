-- A batch of one event is enriched by app.capture_enrich_one (and app.personal_data_enrich_one),
-- a larger batch by app.capture_enrich's query: the same events captured one per batch and all in
-- one batch store the same rows and get the same answers.
BEGIN;
SELECT plan(5);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'one per batch'), ('00000000-0000-0000-0000-00000000000b', 'all in one batch');
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000a', 0);
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000b', 0);
-- one personal-data policy for both, which hashes user ids and drops e-mail addresses
UPDATE app.personal_data_policy SET hash_key = '\x01'
 WHERE organization_id IN ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000b');
SELECT app.personal_data_policy_set(o.id, 'drop', 'keep', 'hash')
  FROM (VALUES ('00000000-0000-0000-0000-00000000000a'::uuid), ('00000000-0000-0000-0000-00000000000b')) AS o (id);

-- what every step of enrichment works on, one group each: secrets in every text, a stack trace,
-- client frames, an exception chain, a fingerprint, a user agent, personal data, oversized fields
CREATE TEMP TABLE sample (n integer, event jsonb);
INSERT INTO sample VALUES
  (1, jsonb_build_object('error_type', 'javascript', 'severity', 'error',
        'message', 'TypeError: Cannot read properties of undefined (reading total) password=hunter2',
        'stack_trace', E'TypeError: Cannot read properties of undefined\n    at renderCart (https://shop.test/app.js:10:5)\n'
                       || E'    at checkout (https://shop.test/app.js:42:9) token=abc123',
        'url', 'https://shop.test/checkout?order=17&token=secret17',
        'user_agent', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) '
                      || 'Version/17.1 Mobile/15E148 Safari/604.1',
        'metadata', jsonb_build_object('cart_items', 3, 'password', 'never-stored', 'card', '4111 1111 1111 1111'),
        'component', 'Checkout', 'user_id', 'u-17', 'session_id', 's-17', 'request_id', 'r-17')),
  (2, jsonb_build_object('error_type', 'API', 'message', 'Payment provider timed out for ann@example.com',
        'component', repeat('c', 300), 'url', 'https://shop.test/' || repeat('p', 2100))),
  (3, jsonb_build_object('message', repeat('Disk full on volume 7. ', 400), 'metadata', jsonb_build_object('big', repeat('x', 17000)))),
  (4, jsonb_build_object('message', 'KeyError: basket', 'fingerprint', jsonb_build_array('basket', '{{ default }}'),
        'frames', jsonb_build_array(jsonb_build_object('filename', 'shop/cart.py', 'function', 'total', 'lineno', 12,
                                                       'in_app', true, 'vars', jsonb_build_object('api_key', 'sk_live_123'))),
        'user_id', 'bob@example.com')),
  (5, jsonb_build_object('message', 'RuntimeError: retry failed', 'user_agent', 'curl/8.4.0',
        'exceptions', jsonb_build_array(
          jsonb_build_object('type', 'ConnectionError', 'value', 'refused by 10.0.0.7',
                             'frames', jsonb_build_array(jsonb_build_object('filename', 'net.py', 'function', 'dial', 'lineno', 3))),
          jsonb_build_object('type', 'RuntimeError', 'value', 'retry failed'))));

CREATE TEMP TABLE one_per_batch AS
  SELECT s.n, b.result, b.error FROM sample s
  CROSS JOIN LATERAL app.capture_batch('00000000-0000-0000-0000-00000000000a', NULL, jsonb_build_array(s.event)) AS b;
CREATE TEMP TABLE all_in_one AS
  SELECT b.ordinal AS n, b.result, b.error
    FROM app.capture_batch('00000000-0000-0000-0000-00000000000b', NULL,
                           (SELECT jsonb_agg(s.event ORDER BY s.n) FROM sample s)) AS b;

SELECT is((SELECT count(*)::integer FROM one_per_batch WHERE error IS NULL AND result IS NOT NULL), 5,
          'every event is accepted one per batch');
SELECT is((SELECT count(DISTINCT result ->> 'error_hash')::integer FROM all_in_one), 5, 'each in a group of its own');
SELECT results_eq(
  $$SELECT n, result - 'id' - 'event_id', error FROM one_per_batch ORDER BY n$$,
  $$SELECT n, result - 'id' - 'event_id', error FROM all_in_one ORDER BY n$$,
  'the answers are the same: hash, count, status, novelty');
SELECT results_eq(
  $$SELECT error_hash, error_type, severity, message, message_template, stack_trace, frames, fingerprint, component,
           file_path, line_number, column_number, url, user_agent, browser, os, device_type, user_id, metadata,
           request_id, session_id, exceptions
      FROM app.error_events WHERE organization_id = '00000000-0000-0000-0000-00000000000a' ORDER BY error_hash$$,
  $$SELECT error_hash, error_type, severity, message, message_template, stack_trace, frames, fingerprint, component,
           file_path, line_number, column_number, url, user_agent, browser, os, device_type, user_id, metadata,
           request_id, session_id, exceptions
      FROM app.error_events WHERE organization_id = '00000000-0000-0000-0000-00000000000b' ORDER BY error_hash$$,
  'the stored events are the same, field by field');
SELECT results_eq(
  $$SELECT error_hash, occurrence_count, status, severity, message, stack_trace, url, user_agent, browser, os,
           device_type, metadata
      FROM app.system_errors WHERE organization_id = '00000000-0000-0000-0000-00000000000a' ORDER BY error_hash$$,
  $$SELECT error_hash, occurrence_count, status, severity, message, stack_trace, url, user_agent, browser, os,
           device_type, metadata
      FROM app.system_errors WHERE organization_id = '00000000-0000-0000-0000-00000000000b' ORDER BY error_hash$$,
  'and so are the groups');

SELECT * FROM finish();
ROLLBACK;
