-- Bounded work per event: every field is cut before anything parses, scrubs or fingerprints it,
-- whatever its size, and a number PostgreSQL would print in full cannot enter through PostgREST.
BEGIN;
SELECT plan(17);

INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'Org A');
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000a', 0);

-- a 5 MB V8 stack trace, newest frame first, and other oversized fields
CREATE TEMP TABLE hostile AS SELECT jsonb_build_object(
  'message', 'TypeError: boom ' || repeat('m', 5000000),
  'message_template', repeat('t', 5000000),
  'url', 'https://shop.test/' || repeat('u', 5000000),
  'stack_trace', 'TypeError: boom' || repeat(E'\n    at render (https://shop.test/app.js:10:5)', 110000),
  'metadata', (SELECT jsonb_object_agg('key' || n, repeat('v', 100)) FROM generate_series(1, 50000) AS n),
  'frames', (SELECT jsonb_agg(jsonb_build_object('filename', 'app.js', 'function', 'f' || n, 'lineno', n))
               FROM generate_series(1, 5000) AS n)) AS event;

CREATE TEMP TABLE parsed AS SELECT (app.capture_item_of(h.event, 1, NULL)).* FROM hostile h;
SELECT cmp_ok((SELECT length(stack_trace) FROM parsed), '<=', 2 * app.capture_limit('stack_trace'),
  'a stack trace reaches the scrubber and the parser cut to twice its limit');
SELECT cmp_ok((SELECT length(message) FROM parsed), '<=', 2 * app.capture_limit('message'), 'so does the message');
SELECT cmp_ok((SELECT length(message_template) FROM parsed), '<=', 2 * app.capture_limit('message_template'),
  'and the message template');
SELECT cmp_ok((SELECT length(url) FROM parsed), '<=', 2 * app.capture_limit('url'), 'and the URL');
SELECT ok((SELECT octet_length(metadata::text) <= app.capture_limit('metadata') AND metadata ? '_truncated' FROM parsed),
  'metadata over its limit is cut (with its marker) before it is scrubbed');
SELECT is((SELECT jsonb_array_length(frames) FROM parsed), app.capture_limit('frames'),
  'of thousands of client frames only the newest 100 reach the scrubber and the grouping');
SELECT is((SELECT frames -> -1 ->> 'function' FROM parsed), 'f5000', 'the newest frame is kept');

SELECT ok((SELECT (c.result ->> 'id') IS NOT NULL
             FROM app.capture_batch('00000000-0000-0000-0000-00000000000a', NULL, (SELECT jsonb_build_array(event) FROM hostile)) c),
  'the hostile event is stored');
SELECT ok((SELECT length(stack_trace) = app.capture_limit('stack_trace') AND length(message) = app.capture_limit('message')
                  AND length(url) = app.capture_limit('url') AND stack_trace LIKE '%…[truncated]'
             FROM app.error_events),
  'what is stored is cut to each limit, with the visible marker');

-- == frames over their byte limit keep the newest that fit ==

CREATE TEMP TABLE kilobyte_frames AS SELECT app._capture_trim_frames(
  (SELECT jsonb_agg(jsonb_build_object('function', 'f' || n, 'vars', jsonb_build_object('blob', repeat('x', 1000))))
     FROM generate_series(1, 100) AS n)) AS frames;
SELECT ok((SELECT octet_length(frames::text) <= app.capture_limit('frames_bytes')
                  AND octet_length(frames::text) > app.capture_limit('frames_bytes') - 1100 FROM kilobyte_frames),
  'frames of 1 KB each: as many as fit in 64 KB are kept');
SELECT is((SELECT frames -> -1 ->> 'function' FROM kilobyte_frames), 'f100', 'the newest of them');
SELECT is(app._capture_trim_frames(jsonb_build_array(jsonb_build_object('function', repeat('f', 70000)))), NULL,
  'a single frame over the limit leaves none (the stack trace text still groups)');

-- == the linear stack parser on a large trace ==

SELECT is(jsonb_array_length(app.parse_stack_trace('Error' || repeat(E'\n    at f (https://x.test/a.js:1:2)', 20000))), 20000,
  'a 20,000-frame trace parses completely');

-- == numbers that would print in full ==

SELECT ok(app.json_numbers_fit_double('{"a": [1, -2.5, 1e308, -1.7e308, 5e-324, 0, "1e999"]}'),
  'numbers a double holds (and strings) pass');
SELECT ok(NOT app.json_numbers_fit_double('{"a": {"b": [1e131071]}}'), 'a number beyond a double is found at any depth');
SELECT ok(NOT app.json_numbers_fit_double('[1e-400]'), 'so is one nearer zero than any double');
SELECT is(octet_length(('[1e131071]'::jsonb)::text), 131074, '(why: PostgreSQL prints 1e131071 as 131,072 digits)');

SELECT * FROM finish();
ROLLBACK;
