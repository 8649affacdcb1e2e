-- Grouping rules version 2 on events shaped as the SDKs send them (sentry-sdk, @sentry/node,
-- @sentry/browser; bench/grouping_corpus has the real ones): chained exceptions, one message from
-- several code paths, one browser error across Chrome, Safari and Firefox, network failure wordings.
BEGIN;
SELECT plan(23);

INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'Shop');
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000a', 0);
INSERT INTO app.projects (organization_id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'shop');

-- The group a Sentry event joins, captured the way pgwarden web captures it
CREATE FUNCTION pg_temp.group_of(p_event jsonb) RETURNS text
LANGUAGE sql AS $$
  SELECT c.result ->> 'id'
    FROM app.capture_batch('00000000-0000-0000-0000-00000000000a', (SELECT p.id FROM app.projects p WHERE p.name = 'shop'),
                           app.sentry_events_to_captures(jsonb_build_array(jsonb_build_object('payload', p_event)))) c
$$;

-- sentry-sdk: SyncError raised from a cause (raise … from …); frames oldest first, the app's marked in_app
CREATE FUNCTION pg_temp.python_sync_error(p_batch integer, p_cause jsonb, p_line integer DEFAULT 27) RETURNS jsonb
LANGUAGE sql AS $$
  SELECT jsonb_build_object('platform', 'python', 'level', 'error', 'exception', jsonb_build_object('values', jsonb_build_array(
    p_cause,
    jsonb_build_object('type', 'SyncError', 'module', 'shop.errors', 'value', 'order sync failed for batch ' || p_batch,
      'mechanism', jsonb_build_object('type', 'generic', 'handled', true),
      'stacktrace', jsonb_build_object('frames', jsonb_build_array(
        jsonb_build_object('filename', 'worker.py', 'abs_path', '/srv/shop/worker.py', 'module', 'worker', 'function', 'run', 'lineno', 12, 'in_app', true),
        jsonb_build_object('filename', 'shop/sync.py', 'abs_path', '/srv/shop/shop/sync.py', 'module', 'shop.sync',
                           'function', 'sync_orders', 'lineno', p_line, 'in_app', true)))))))
$$;
CREATE TEMP TABLE python_causes (name text, cause jsonb);
INSERT INTO python_causes VALUES
  ('json', '{"type": "JSONDecodeError", "module": "json.decoder", "value": "Expecting value: line 1 column 1 (char 0)",
    "stacktrace": {"frames": [
      {"filename": "shop/sync.py", "abs_path": "/srv/shop/shop/sync.py", "module": "shop.sync", "function": "sync_orders", "lineno": 25, "in_app": true},
      {"filename": "shop/sync.py", "abs_path": "/srv/shop/shop/sync.py", "module": "shop.sync", "function": "fetch_orders", "lineno": 9, "in_app": true},
      {"filename": "json/decoder.py", "abs_path": "/usr/lib/python3.11/json/decoder.py", "module": "json.decoder", "function": "raw_decode", "lineno": 355}]}}'),
  ('json other value', '{"type": "JSONDecodeError", "module": "json.decoder", "value": "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
    "stacktrace": {"frames": [
      {"filename": "shop/sync.py", "abs_path": "/srv/shop/shop/sync.py", "module": "shop.sync", "function": "sync_orders", "lineno": 31, "in_app": true},
      {"filename": "shop/sync.py", "abs_path": "/srv/shop/shop/sync.py", "module": "shop.sync", "function": "fetch_orders", "lineno": 15, "in_app": true},
      {"filename": "json/decoder.py", "abs_path": "/usr/lib/python3.11/json/decoder.py", "module": "json.decoder", "function": "raw_decode", "lineno": 355}]}}'),
  ('connection', '{"type": "ConnectError", "module": "httpx", "value": "[Errno 111] Connection refused",
    "stacktrace": {"frames": [
      {"filename": "shop/sync.py", "abs_path": "/srv/shop/shop/sync.py", "module": "shop.sync", "function": "sync_orders", "lineno": 25, "in_app": true},
      {"filename": "shop/sync.py", "abs_path": "/srv/shop/shop/sync.py", "module": "shop.sync", "function": "fetch_remote_orders", "lineno": 13, "in_app": true},
      {"filename": "httpx/_api.py", "abs_path": "/srv/shop/.venv/lib/python3.11/site-packages/httpx/_api.py", "module": "httpx._api", "function": "get", "lineno": 195, "in_app": false}]}}'),
  ('no stack', '{"type": "ValueError", "value": "price 12,50 is not a number"}'),
  ('no stack other number', '{"type": "ValueError", "value": "price 7,10 is not a number"}'),
  ('no stack other value', '{"type": "ValueError", "value": "currency missing"}');

CREATE TEMP TABLE python_groups AS
  SELECT c.name, pg_temp.group_of(pg_temp.python_sync_error(17 + row_number() OVER ()::integer, c.cause)) AS group_id
    FROM python_causes c;

-- == Chained exceptions: every exception of the chain counts ==

SELECT isnt((SELECT group_id FROM python_groups WHERE name = 'json'), (SELECT group_id FROM python_groups WHERE name = 'connection'),
  'Python raise … from: one outer SyncError from a JSON error and from a connection error are two groups');
SELECT is((SELECT group_id FROM python_groups WHERE name = 'json'), (SELECT group_id FROM python_groups WHERE name = 'json other value'),
  'a cause with in-app frames groups by its type and frames: its value and line numbers do not count');
SELECT is(pg_temp.group_of(pg_temp.python_sync_error(99, (SELECT cause FROM python_causes WHERE name = 'json'), 44)),
          (SELECT group_id FROM python_groups WHERE name = 'json'),
  'the outer exception''s value and line numbers do not count either');
SELECT is((SELECT group_id FROM python_groups WHERE name = 'no stack'), (SELECT group_id FROM python_groups WHERE name = 'no stack other number'),
  'a cause without frames groups by its value, parameterized');
SELECT isnt((SELECT group_id FROM python_groups WHERE name = 'no stack'), (SELECT group_id FROM python_groups WHERE name = 'no stack other value'),
  'a cause without frames and another value is another group');
SELECT isnt(pg_temp.group_of(jsonb_set(pg_temp.python_sync_error(5, '{}'), '{exception,values}',
                                       (pg_temp.python_sync_error(5, '{}') #> '{exception,values}') - 0)),
            (SELECT group_id FROM python_groups WHERE name = 'json'),
  'the outer exception alone is a group of its own');

-- @sentry/node: new Error(message, { cause }); a fetch that failed is a TypeError caused by the socket error
CREATE FUNCTION pg_temp.node_sync_error(p_batch integer, p_causes jsonb) RETURNS jsonb
LANGUAGE sql AS $$
  SELECT jsonb_build_object('platform', 'node', 'exception', jsonb_build_object('values', p_causes || jsonb_build_array(
    jsonb_build_object('type', 'Error', 'value', 'Order sync failed for batch ' || p_batch,
      'mechanism', jsonb_build_object('type', 'generic', 'handled', true),
      'stacktrace', jsonb_build_object('frames', jsonb_build_array(
        jsonb_build_object('filename', '/srv/shop/app/worker.js', 'module', 'worker', 'function', 'Timeout._onTimeout', 'lineno', 4, 'colno', 7, 'in_app', true),
        jsonb_build_object('filename', '/srv/shop/app/orders.js', 'module', 'orders', 'function', 'Object.syncOrders', 'lineno', 15, 'colno', 11, 'in_app', true)))))))
$$;
CREATE TEMP TABLE node_causes (name text, causes jsonb);
INSERT INTO node_causes VALUES
  ('json', '[{"type": "SyntaxError", "value": "Unexpected end of JSON input", "stacktrace": {"frames": [
     {"filename": "/srv/shop/app/orders.js", "module": "orders", "function": "loadBatch", "lineno": 8, "colno": 33, "in_app": true},
     {"filename": "/srv/shop/app/orders.js", "module": "orders", "function": "parseOrders", "lineno": 3, "colno": 42, "in_app": true},
     {"filename": "<anonymous>", "module": "<anonymous>", "function": "JSON.parse", "in_app": false}]}}]'),
  ('json other value', '[{"type": "SyntaxError", "value": "Expected property name or ''}'' in JSON at position 1", "stacktrace": {"frames": [
     {"filename": "/srv/shop/app/orders.js", "module": "orders", "function": "loadBatch", "lineno": 8, "colno": 33, "in_app": true},
     {"filename": "/srv/shop/app/orders.js", "module": "orders", "function": "parseOrders", "lineno": 3, "colno": 42, "in_app": true},
     {"filename": "<anonymous>", "module": "<anonymous>", "function": "JSON.parse", "in_app": false}]}}]'),
  ('fetch', '[{"type": "Error", "value": "connect ECONNREFUSED 127.0.0.1:5432", "stacktrace": {"frames": [
     {"filename": "node:net", "module": "net", "function": "TCPConnectWrap.afterConnect [as oncomplete]", "lineno": 1607, "colno": 16, "in_app": false}]}},
    {"type": "TypeError", "value": "fetch failed", "stacktrace": {"frames": [
     {"filename": "/srv/shop/app/orders.js", "module": "orders", "function": "fetchRemote", "lineno": 4, "colno": 38, "in_app": true},
     {"filename": "node:internal/deps/undici/undici", "module": "undici", "function": "fetch", "lineno": 13502, "colno": 13, "in_app": false}]}}]');
SELECT isnt(pg_temp.group_of(pg_temp.node_sync_error(17, (SELECT causes FROM node_causes WHERE name = 'json'))),
            pg_temp.group_of(pg_temp.node_sync_error(18, (SELECT causes FROM node_causes WHERE name = 'fetch'))),
  'Node cause: one Error from a JSON.parse failure and from a failed fetch are two groups');
SELECT is(pg_temp.group_of(pg_temp.node_sync_error(17, (SELECT causes FROM node_causes WHERE name = 'json'))),
          pg_temp.group_of(pg_temp.node_sync_error(231, (SELECT causes FROM node_causes WHERE name = 'json other value'))),
  'Node cause: the same cause with another message and batch is the same group');

-- == One message, several code paths: with in-app frames the message does not count ==

CREATE FUNCTION pg_temp.python_validation(p_function text, p_line integer) RETURNS jsonb
LANGUAGE sql AS $$
  SELECT jsonb_build_object('platform', 'python', 'exception', jsonb_build_object('values', jsonb_build_array(
    jsonb_build_object('type', 'ValidationError', 'module', 'shop.errors', 'value', '[''invalid order'']',
      'stacktrace', jsonb_build_object('frames', jsonb_build_array(
        jsonb_build_object('filename', 'runner.py', 'abs_path', '/opt/runner/runner.py', 'module', 'runner', 'function', 'main', 'lineno', p_line),
        jsonb_build_object('filename', 'shop/validation.py', 'abs_path', '/srv/shop/shop/validation.py', 'module', 'shop.validation',
                           'function', 'checkout', 'lineno', 30 + p_line, 'in_app', true),
        jsonb_build_object('filename', 'shop/validation.py', 'abs_path', '/srv/shop/shop/validation.py', 'module', 'shop.validation',
                           'function', p_function, 'lineno', 5 + p_line, 'in_app', true)))))))
$$;
SELECT isnt(pg_temp.group_of(pg_temp.python_validation('validate_cart', 1)), pg_temp.group_of(pg_temp.python_validation('validate_address', 1)),
  'ValidationError: [''invalid order''] raised by two in-app functions is two groups');
SELECT is(pg_temp.group_of(pg_temp.python_validation('validate_cart', 1)), pg_temp.group_of(pg_temp.python_validation('validate_cart', 9)),
  'the same function in another release (other line numbers, and a caller outside the app at another line) is one group');
SELECT is(pg_temp.group_of(pg_temp.python_validation('validate_cart', 1) #- '{exception,values,0,stacktrace,frames,0}'),
          pg_temp.group_of(pg_temp.python_validation('validate_cart', 1)),
  'a frame the SDK did not mark in_app, in a stack where it marked others, is not in app');

-- == One browser error: Chrome, Safari and Firefox (frames as @sentry/browser parses each engine''s stack) ==

CREATE FUNCTION pg_temp.browser_error(p_message text, p_frames jsonb) RETURNS jsonb
LANGUAGE sql AS $$
  SELECT jsonb_build_object('platform', 'javascript', 'exception', jsonb_build_object('values', jsonb_build_array(
    jsonb_build_object('type', 'TypeError', 'value', p_message, 'mechanism', '{"type": "onerror", "handled": false}'::jsonb,
                       'stacktrace', jsonb_build_object('frames', p_frames)))))
$$;
CREATE TEMP TABLE browser_groups AS SELECT e.engine, pg_temp.group_of(pg_temp.browser_error(e.message, e.frames)) AS group_id
  FROM (VALUES
    ('chrome', 'Cannot read properties of undefined (reading ''coupon'')', '[
      {"filename": "https://shop.example.com/assets/index-3f9a1c2b.js", "function": "?", "in_app": true, "lineno": 2, "colno": 9120},
      {"filename": "https://shop.example.com/assets/index-3f9a1c2b.js", "function": "Object.Bt [as onClick]", "in_app": true, "lineno": 2, "colno": 13980},
      {"filename": "<anonymous>", "function": "Array.forEach", "in_app": true},
      {"filename": "https://shop.example.com/assets/index-3f9a1c2b.js", "function": "HTMLButtonElement.onPay", "in_app": true, "lineno": 2, "colno": 14503}]'::jsonb),
    ('safari', 'undefined is not an object (evaluating ''t.coupon'')', '[
      {"filename": "https://shop.example.com/assets/index-8d41e07a.js", "function": "?", "in_app": true, "lineno": 2, "colno": 9259},
      {"filename": "https://shop.example.com/assets/index-8d41e07a.js", "function": "Bt", "in_app": true, "lineno": 2, "colno": 14119},
      {"filename": "[native code]", "function": "forEach", "in_app": true},
      {"filename": "https://shop.example.com/assets/index-8d41e07a.js", "function": "onPay", "in_app": true, "lineno": 2, "colno": 14642}]'),
    ('firefox', 'can''t access property "coupon", t is undefined', '[
      {"filename": "https://shop.example.com/assets/index-3f9a1c2b.js", "function": "setup/<", "in_app": true, "lineno": 2, "colno": 9126},
      {"filename": "https://shop.example.com/assets/index-3f9a1c2b.js", "function": "Bt", "in_app": true, "lineno": 2, "colno": 13986},
      {"filename": "https://shop.example.com/assets/index-3f9a1c2b.js", "function": "onPay", "in_app": true, "lineno": 2, "colno": 14509}]'),
    ('chrome, other call site', 'Cannot read properties of undefined (reading ''coupon'')', '[
      {"filename": "https://shop.example.com/assets/index-3f9a1c2b.js", "function": "Object.renderSummary", "in_app": true, "lineno": 2, "colno": 20117}]')
  ) AS e (engine, message, frames);
SELECT is((SELECT group_id FROM browser_groups WHERE engine = 'safari'), (SELECT group_id FROM browser_groups WHERE engine = 'chrome'),
  'Safari and Chrome: one group despite method prefixes, [as alias], native frames, bundle hashes and columns');
SELECT is((SELECT group_id FROM browser_groups WHERE engine = 'firefox'), (SELECT group_id FROM browser_groups WHERE engine = 'chrome'),
  'Firefox and Chrome: one group (Firefox''s closure name and missing built-in frame do not count)');
SELECT isnt((SELECT group_id FROM browser_groups WHERE engine = 'chrome, other call site'), (SELECT group_id FROM browser_groups WHERE engine = 'chrome'),
  'the same error at another call site is another group');

-- == Without frames: the engines' wordings read alike ==

SELECT is(pg_temp.group_of(pg_temp.browser_error('Load failed', '[]')), pg_temp.group_of(pg_temp.browser_error('Failed to fetch', '[]')),
  'Safari''s Load failed is Chromium''s Failed to fetch');
SELECT is(pg_temp.group_of(pg_temp.browser_error('NetworkError when attempting to fetch resource.', '[]')),
          pg_temp.group_of(pg_temp.browser_error('Failed to fetch', '[]')),
  'Firefox''s NetworkError when attempting to fetch resource. is Failed to fetch');
SELECT isnt(pg_temp.group_of(pg_temp.browser_error('Cannot read properties of undefined (reading ''price'')', '[]')),
            pg_temp.group_of(pg_temp.browser_error('Failed to fetch', '[]')),
  'another failure is another group');
SELECT is(pg_temp.group_of(pg_temp.browser_error('undefined is not an object (evaluating ''n.price'')', '[]')),
          pg_temp.group_of(pg_temp.browser_error('Cannot read properties of undefined (reading ''price'')', '[]')),
  'Safari''s undefined is not an object is Chrome''s Cannot read properties of undefined');

SELECT results_eq($$SELECT app.grouping_engine_wording(m) FROM (VALUES
      (1, 'TypeError: Failed to fetch (api.example.com)'), (2, 'TypeError: The network connection was lost.'),
      (3, 'Uncaught TypeError: Cannot read property ''total'' of null'), (4, 'TypeError: null is not an object (evaluating ''e.cart.items'')'),
      (5, 'TypeError: can''t access property "items", e is null'), (6, 'TypeError: t.track is not a function. (In ''t.track("x")'', ''t.track'' is undefined)'),
      (7, 'ReferenceError: Can''t find variable: gtag'), (8, 'SyntaxError: JSON Parse error: Unrecognized token ''<'''),
      (9, 'SyntaxError: JSON.parse: unexpected end of data at line 1 column 1 of the JSON data'),
      (10, 'SyntaxError: Unexpected token ''<'', "<!DOCTYPE "... is not valid JSON'), (11, 'Payment failed: card declined')
    ) AS t (n, m) ORDER BY n$$,
  $$VALUES ('TypeError: Failed to fetch'), ('TypeError: Failed to fetch'),
           ('Uncaught TypeError: Cannot read properties of null (reading ''total'')'),
           ('TypeError: Cannot read properties of null (reading ''items'')'), ('TypeError: Cannot read properties of null (reading ''items'')'),
           ('TypeError: t.track is not a function'), ('ReferenceError: gtag is not defined'), ('SyntaxError: Unexpected token in JSON'),
           ('SyntaxError: Unexpected end of JSON input'), ('SyntaxError: Unexpected token in JSON'), ('Payment failed: card declined')$$,
  'each engine wording reads as V8''s; an exception class in front stays; other messages are left alone');

-- == The spec's capture API takes a chain too ==

CREATE FUNCTION pg_temp.spec_capture(p_cause text) RETURNS jsonb
LANGUAGE sql AS $$
  SELECT coalesce(c.result, c.error) FROM app.capture_batch('00000000-0000-0000-0000-00000000000a', NULL, jsonb_build_array(
    jsonb_build_object('error_type', 'api', 'message', 'SyncError: sync failed',
      'frames', '[{"filename": "/srv/app/sync.py", "function": "sync", "in_app": true}]'::jsonb,
      'exceptions', jsonb_build_array(jsonb_build_object('type', p_cause, 'value', 'boom', 'stacktrace',
                                                         '{"frames": [{"filename": "/srv/app/db.py", "function": "query", "in_app": true}]}'::jsonb),
                                      jsonb_build_object('type', 'SyncError'))))) c
$$;
SELECT isnt(pg_temp.spec_capture('ConnectionError') ->> 'id', pg_temp.spec_capture('KeyError') ->> 'id',
  'capture_error with exceptions: the same raised error from two causes is two groups');
SELECT is((SELECT c.error ->> 'code' FROM app.capture_batch('00000000-0000-0000-0000-00000000000a', NULL,
             '[{"message": "x", "exceptions": ["not an object"]}]') c), 'QV001',
  'exceptions that are not objects are refused (QV001)');

-- == Every group records the rules that made it ==

SELECT is((SELECT DISTINCT grouping_version FROM app.system_errors), app.grouping_version(),
  'every new group records the current grouping rules version');
SELECT ok((SELECT bool_and(e.exceptions IS NOT NULL) FROM app.error_events e WHERE e.message LIKE 'SyncError%'),
  'events keep their exception chain');

SELECT * FROM finish();
ROLLBACK;
