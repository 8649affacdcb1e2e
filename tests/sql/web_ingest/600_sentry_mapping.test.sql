-- Sentry event → capture item: levels, error types, lenient shapes, messages, frames, context.
BEGIN;
SELECT plan(28);

SELECT is(app.sentry_severity('"fatal"'), 'critical', 'fatal is critical');
SELECT is(app.sentry_severity('"warn"'), 'warning', 'warn is warning');
SELECT is(app.sentry_severity('"log"'), 'info', 'log is info');
SELECT is(app.sentry_severity('40'), 'error', 'Python numeric 40 is error');
SELECT is(app.sentry_severity('10'), 'debug', 'Python numeric 10 is debug');
SELECT is(app.sentry_severity(NULL), 'error', 'no level is error');

SELECT is((app.sentry_event_to_capture('{"platform":"python","exception":{"values":[{"type":"KeyError","value":"x"}]}}') ->> 'error_type'),
          'runtime', 'KeyError is a runtime error');
SELECT is((app.sentry_event_to_capture('{"platform":"python","exception":{"values":[{"type":"UniqueViolation","module":"psycopg.errors"}]}}') ->> 'error_type'),
          'database', 'psycopg errors are database errors');
SELECT is((app.sentry_event_to_capture('{"platform":"javascript","exception":[{"type":"TypeError","value":"Failed to fetch"}]}') ->> 'error_type'),
          'network', 'a failed fetch (a TypeError) is a network error');
SELECT is((app.sentry_event_to_capture('{"platform":"python","exception":{"values":[{"type":"ConnectTimeout","module":"httpx"}]}}') ->> 'error_type'),
          'network', 'HTTP client timeouts are network errors');
SELECT is((app.sentry_event_to_capture('{"platform":"javascript","exception":{"values":[{"type":"Error","mechanism":{"handled":false}}]}}') ->> 'error_type'),
          'javascript', 'an unhandled browser Error is javascript');
SELECT is((app.sentry_event_to_capture('{"platform":"python","exception":{"values":[{"type":"BillingFailure","mechanism":{"handled":false}}]}}') ->> 'error_type'),
          'crash', 'an unhandled custom exception outside the browser is a crash');
SELECT is((app.sentry_event_to_capture('{"platform":"python","level":"fatal","message":"out of memory"}') ->> 'error_type'),
          'crash', 'fatal level is a crash');
SELECT is((app.sentry_event_to_capture('{"platform":"python","message":"hello"}') ->> 'error_type'), 'unknown', 'a plain message is unknown');

SELECT is(app.sentry_values('{"values":[1]}'), '[1]', 'Values<T> as {values}');
SELECT is(app.sentry_values('{"type":"E"}'), '[{"type":"E"}]', 'Values<T> as one object');

SELECT is(app.sentry_event_to_capture('{"logentry":{"message":"Could not connect to %s","formatted":"Could not connect to db-1","params":["db-1"]},"level":"error"}')
            ->> 'message_template', 'Could not connect to %s', 'a logging template is passed for grouping');
SELECT is(app.sentry_event_to_capture('{"message":"hi","exception":{"values":[{"mechanism":{"synthetic":true},"stacktrace":{"frames":[{"function":"f"}]}}]}}')
            - 'metadata' - 'stack_trace' - 'error_type' - 'severity',
          '{"message":"hi","exceptions":[{"synthetic":true}]}',
          'a synthetic exception (captureMessage with a stack) keeps the message and adds no frames (its type does not group)');

SELECT is(app.sentry_event_to_capture($$
  {"event_id":"AAAAAAAA-AAAA-AAAA-AAAA-AAAAAAAAAAAA","exception":{"values":[{"type":"ValueError","value":"bad",
   "stacktrace":{"frames":[{"filename":"app.py","function":"main","lineno":3,"in_app":true},
                           {"filename":"lib.py","function":"parse","lineno":"x","in_app":false}]}}]},
   "request":{"url":"https://x.test/a","headers":[["user-agent","UA/1"]]},"tags":{"component":"billing"}}$$)
   - 'metadata' - 'stack_trace' - 'frames' - 'error_type' - 'severity',
  '{"event_id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","message":"ValueError: bad","file_path":"app.py","line_number":3,
    "component":"billing","url":"https://x.test/a","user_agent":"UA/1","exceptions":[{"type":"ValueError"}]}',
  'the newest in-app frame locates the error; headers as pairs; a dashed event id is normalised; a bad lineno is dropped');

SELECT is(app.sentry_event_to_capture('{"event_id":"not hex"}', 'B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0') ->> 'event_id',
          'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0', 'the envelope header''s event id wins');
SELECT is(app.sentry_event_to_capture('{}') ->> 'message', '<unlabeled event>', 'an empty event still has a message');
SELECT is(app.json_timestamp('"2026-02-30T10:00:00Z"'), NULL, 'an impossible date is unusable, not an error');
SET LOCAL timezone = 'America/New_York';
SELECT is(app.json_timestamp('"2026-11-28T13:57:14"'), '2026-11-28 13:57:14+00'::timestamptz,
          'a timestamp without offset is UTC, whatever the session''s time zone');
RESET timezone;
SELECT is(app.json_timestamp('"1795874289.5"'), to_timestamp(1795874289.5), 'Unix seconds may come as a numeric string');
SELECT is(app.json_timestamp('"2026-11-28t08:27-0530"'), '2026-11-28 13:57:00+00'::timestamptz,
          'seconds are optional, t and offsets without a colon are read');
SELECT is(app.json_timestamp('"2026-11-28T24:00:00Z"'), NULL, 'an hour past 23 is unusable');

-- A chain's causes keep, of each frame, what grouping reads, whichever way the frames arrive: as the
-- mapping passes them (its usual keys kept as they are) or as Sentry sends them (rebuilt)
CREATE TEMP TABLE sentry_chain AS SELECT '[
  {"type": "ConnectionError", "value": "refused", "mechanism": {"type": "chained"},
   "stacktrace": {"frames": [
     {"filename": "shop/sync.py", "abs_path": "/srv/shop/sync.py", "module": "shop.sync", "function": "fetch", "lineno": 9,
      "colno": null, "in_app": true, "context_line": "    return get(url)", "pre_context": ["a"], "post_context": ["b"],
      "vars": {"token": "sk_live_abcdefghijklmnop1234"}},
     {"filename": "shop/jobs.py", "lineno": 3, "in_app": true, "context_line": "run()", "platform": "python"},
     {"filename": "<frozen runpy>", "function": "_run_code", "lineno": 88, "data": {"x": 1}}]}},
  {"type": "SyncError", "value": "order sync failed", "stacktrace": {"frames": [{"filename": "shop/sync.py", "function": "sync_orders", "lineno": 30}]}}
]'::jsonb AS chain;
SELECT is(app._capture_trim_exceptions(app.sentry_event_to_capture(jsonb_build_object('exception', jsonb_build_object('values', c.chain))) -> 'exceptions'),
          app._capture_trim_exceptions(c.chain),
          'a chain''s causes are kept alike from the mapping''s frames and from Sentry''s')
  FROM sentry_chain c;
SELECT is(app._capture_trim_exceptions(c.chain) -> 0 -> 'frames',
          '[{"filename": "shop/sync.py", "abs_path": "/srv/shop/sync.py", "module": "shop.sync", "function": "fetch", "lineno": 9, "in_app": true},
            {"filename": "shop/jobs.py", "lineno": 3, "in_app": true, "context_line": "run()"},
            {"filename": "<frozen runpy>", "function": "_run_code", "lineno": 88}]'::jsonb,
          'a cause''s frames lose variables, source context, nulls and unknown keys; the source line only where grouping reads it')
  FROM sentry_chain c;

SELECT * FROM finish();
ROLLBACK;
