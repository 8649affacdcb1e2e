-- JSON PostgreSQL cannot store verbatim (\u0000, lone UTF-16 surrogates) is made storable, and counted.
BEGIN;
SELECT plan(17);

SELECT is(app.json_repair('{"a": "x\u0000y"}'), ROW('{"a": "x\ufffdy"}'::jsonb, 1), 'a \u0000 becomes U+FFFD and is counted');
SELECT is(app.json_repair('{"a\u0000": 1}'), ROW('{"a\ufffd": 1}'::jsonb, 1), 'in a key too');
SELECT is(app.json_repair('{"a": "x\\u0000y"}'), ROW('{"a": "x\\u0000y"}'::jsonb, 0),
  'an escaped backslash before u0000 is text, not an escape');
SELECT is(app.json_repair('{"a": "x\\\u0000y"}'), ROW('{"a": "x\\\ufffdy"}'::jsonb, 1),
  'after an escaped backslash, \u0000 is an escape again');
SELECT is(app.json_repair('{"a": "\u0000\u0000\u0000"}'), ROW('{"a": "\ufffd\ufffd\ufffd"}'::jsonb, 3), 'one after another');
SELECT is(app.json_repair('["\ud800 \udc00 \uDBFF"]'), ROW('["\ufffd \ufffd \ufffd"]'::jsonb, 3),
  'lone high and low surrogates, either case, become U+FFFD');
SELECT is(app.json_repair('["\ud83d\ude00 \uD800\uDC00"]'), ROW('["😀 𐀀"]'::jsonb, 0), 'surrogate pairs stay characters');
SELECT is(app.json_repair('["\ud800\ud800\udc00", "\udc00\ud800"]'), ROW('["\ufffd𐀀", "\ufffd\ufffd"]'::jsonb, 3),
  'a high surrogate before a pair, and a pair in the wrong order');
SELECT is(app.json_repair('["\\ud800\udc00"]'), ROW('["\\ud800\ufffd"]'::jsonb, 1),
  'text that only looks like a high surrogate does not pair with a low one');
SELECT is(app.json_repair('{"plain": "text", "n": 1.5e3}'), ROW('{"plain": "text", "n": 1.5e3}'::jsonb, 0),
  'clean JSON is cast as it is');
SELECT throws_ok($$SELECT app.json_repair('{"a": ')$$, '22P02', NULL, 'text that is not JSON is still refused by the cast');
SELECT throws_ok($$SELECT app.json_repair('["' || chr(1) || '\u0000"]')$$, '22P02', NULL,
  'raw control characters (not JSON) are not taken for the markers the repair uses');

SELECT is(app.json_clean('{"m": "\u0000"}'::json), '{"m": "\ufffd"}'::jsonb, 'json_clean: the document alone');
SELECT is(array_agg(ROW(e.ordinal, e.document, e.unstorable) ORDER BY e.ordinal)::text,
          ARRAY[ROW(1::bigint, '{"m": "ok"}'::jsonb, 0), ROW(2::bigint, '{"m": "\ufffd"}'::jsonb, 1)]::text,
          'json_repair_elements: each element with its own count')
  FROM app.json_repair_elements('[{"m": "ok"}, {"m": "\u0000"}]'::json) e;

SELECT is(app.repair_marker(2, 0), '{"unstorable_characters": 2}'::jsonb, 'the marker names only what happened');
SELECT is(app.repair_marker(0, 0), NULL, 'no marker when nothing was repaired');

INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-0000000000a1', 'A');
SELECT app.ingest_repairs_record(
  '[{"organization_id": "00000000-0000-0000-0000-0000000000a1", "source": "sentry", "repairs": {"unstorable_characters": 2}},
    {"organization_id": "00000000-0000-0000-0000-0000000000a1", "source": "sentry", "repairs": {"unstorable_characters": 1, "non_finite_numbers": 4}}]');
SELECT results_eq($$SELECT repair, items, occurrences FROM app.ingest_repairs ORDER BY repair$$,
  $$VALUES ('non_finite_numbers', 1::bigint, 4::bigint), ('unstorable_characters', 2::bigint, 3::bigint)$$,
  'repairs are counted per organization, hour, source and kind: items and occurrences');

SELECT * FROM finish();
ROLLBACK;
