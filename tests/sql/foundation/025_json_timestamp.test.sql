-- app.json_timestamp is the one reader of client timestamps. Every format pgwarden accepted before
-- (from the capture API, or normalised by pgwarden web, which now passes the SDK's value through)
-- names the same moment; whatever names none is NULL, never an error: a capture refuses it with
-- QV001, the Sentry endpoint stores the event at its receipt, as Relay does.
BEGIN;
SELECT plan(12);

SET LOCAL timezone = 'America/New_York';  -- a value without offset is UTC whatever the session's zone

SELECT is(array_agg(v.value ORDER BY v.value) FILTER (WHERE app.json_timestamp(v.value::jsonb) IS DISTINCT FROM v.moment), NULL,
          'RFC 3339 with Z, z, offsets with or without colon, t or space, seconds optional, no offset = UTC')
  FROM (VALUES ('"2026-11-28T13:57:14Z"', '2026-11-28 13:57:14+00'::timestamptz),
               ('"2026-11-28T13:57:14z"', '2026-11-28 13:57:14+00'), ('"2026-11-28t13:57:14Z"', '2026-11-28 13:57:14+00'),
               ('"2026-11-28 13:57:14Z"', '2026-11-28 13:57:14+00'), ('"2026-11-28T13:57:14+00:00"', '2026-11-28 13:57:14+00'),
               ('"2026-11-28T15:57:14+02:00"', '2026-11-28 13:57:14+00'), ('"2026-11-28T08:27:14-0530"', '2026-11-28 13:57:14+00'),
               ('"2026-11-28T15:57:14+02"', '2026-11-28 13:57:14+00'), ('"2026-11-28T13:57Z"', '2026-11-28 13:57:00+00'),
               ('"2026-11-28T13:57:14"', '2026-11-28 13:57:14+00'), ('" 2026-11-28T13:57:14Z\n"', '2026-11-28 13:57:14+00'))
       AS v (value, moment);

SELECT is(array_agg(v.value ORDER BY v.value) FILTER (WHERE app.json_timestamp(v.value::jsonb) IS DISTINCT FROM v.moment), NULL,
          'offsets past PostgreSQL''s own 15 hours, up to RFC 3339''s 23:59, name their moment too')
  FROM (VALUES ('"2026-11-29T09:57:14+20:00"', '2026-11-28 13:57:14+00'::timestamptz),
               ('"2026-11-29T13:56:14+23:59"', '2026-11-28 13:57:14+00'), ('"2026-11-28T00:00:00-16:00"', '2026-11-28 16:00:00+00'),
               ('"2026-11-28T05:57:14.5-0800"', '2026-11-28 13:57:14.5+00'), ('"2026-11-28T13:57:14-00:00"', '2026-11-28 13:57:14+00'))
       AS v (value, moment);

SELECT is(array_agg(v.value ORDER BY v.value) FILTER (WHERE app.json_timestamp(v.value::jsonb) IS DISTINCT FROM v.moment), NULL,
          'fractional seconds of any precision keep microseconds, cut rather than rounded')
  FROM (VALUES ('"2026-11-28T13:57:14.5Z"', '2026-11-28 13:57:14.5+00'::timestamptz),
               ('"2026-11-28T13:57:14.594Z"', '2026-11-28 13:57:14.594+00'),
               ('"2026-11-28T13:57:14.594176Z"', '2026-11-28 13:57:14.594176+00'),
               ('"2026-11-28T13:57:14.594176999Z"', '2026-11-28 13:57:14.594176+00'),
               ('"2026-11-28T15:57:14.25+02:00"', '2026-11-28 13:57:14.25+00'))
       AS v (value, moment);

SELECT is(app.json_timestamp(('"2026-11-28T13:57:14.' || repeat('9', 5000) || 'Z"')::jsonb),
          '2026-11-28 13:57:14.999999+00'::timestamptz, 'a fraction of 5,000 digits is read, not an error');

SELECT is(array_agg(v.value ORDER BY v.value) FILTER (WHERE app.json_timestamp(v.value::jsonb) IS DISTINCT FROM v.moment), NULL,
          'Unix seconds: integer and float numbers (the browser SDK), numeric strings, signs and exponents')
  FROM (VALUES ('1795874289', '2026-11-28 13:58:09+00'::timestamptz), ('1795874289.98', '2026-11-28 13:58:09.98+00'),
               ('1795874289.5', to_timestamp(1795874289.5)), ('1.795874289e9', '2026-11-28 13:58:09+00'),
               ('"1795874289"', '2026-11-28 13:58:09+00'), ('" 1795874289.0 "', '2026-11-28 13:58:09+00'),
               ('"1795874289.98"', '2026-11-28 13:58:09.98+00'), ('"1.795874289e9"', '2026-11-28 13:58:09+00'),
               ('"+1795874289"', '2026-11-28 13:58:09+00'), ('"-1"', '1969-12-31 23:59:59+00'), ('".5"', '1970-01-01 00:00:00.5+00'),
               ('0', '1970-01-01 00:00:00+00'), ('-62135596800', '0001-01-01 00:00:00+00'))
       AS v (value, moment);

SELECT is(array_agg(v.value ORDER BY v.value) FILTER (WHERE app.json_timestamp(v.value::jsonb) IS NOT NULL), NULL,
          'what names no moment is NULL: other types, words, dates alone, impossible dates and hours, far years')
  FROM (VALUES ('null'), ('true'), ('[1795874289]'), ('{"seconds": 1795874289}'), ('""'), ('"yesterday"'),
               ('"nan"'), ('"NaN"'), ('"inf"'), ('"Infinity"'), ('"1_000"'), ('"0x10"'), ('"2026-11-28"'),
               ('"2026-13-01T00:00:00Z"'), ('"2026-02-30T10:00:00Z"'), ('"2026-11-28T24:00:00Z"'),
               ('"2026-11-28T25:00:00Z"'), ('"2026-11-28T13:60:00Z"'), ('"2026-11-28T13:57:14+24:00"'),
               ('"0000-01-01T00:00:00Z"'), ('"2026-11-28T13:57:14 UTC"'), ('1e20'), ('-1e20'), ('"1e20"'),
               ('253402300800'), ('-62135596801'), ('"1e999"'), ('"1e131072"'), ('1e131071')) AS v (value);

SELECT is(app.json_timestamp(('"' || repeat('1', 5000) || '"')::jsonb), NULL, 'a numeric string of 5,000 digits is NULL, not an error');
SELECT is(app.json_timestamp('1e-400'), '1970-01-01 00:00:00+00'::timestamptz,
          'a number too small for a double is 0 seconds, not an error');

RESET timezone;

-- through the capture API: a timestamp that names no moment is refused, as before
INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'Shop');
INSERT INTO app.projects (organization_id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'shop');
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000a', 0);
SELECT is((SELECT array_agg(c.error ->> 'code' ORDER BY c.ordinal)
             FROM app.capture_batch('00000000-0000-0000-0000-00000000000a', NULL,
                    '[{"message": "a", "timestamp": "yesterday"}, {"message": "b", "timestamp": 1795874289.98},
                      {"message": "c", "timestamp": "2026-11-28T13:57:14.5+02:00"}]') c),
          ARRAY['QV001', NULL, NULL], 'a capture with an unreadable timestamp is refused with QV001; both formats are taken');

-- through pgwarden web's entry point: the SDK's value as sent
SELECT is((SELECT array_agg(w.outcome ORDER BY w.request_ordinal)
             FROM app.web_ingest((SELECT jsonb_agg(jsonb_build_object('project_id', p.id, 'public_key', p.public_key,
                                    'items', jsonb_build_array(jsonb_build_object('type', 'event', 'payload', e.event))) ORDER BY e.n)
                                    FROM app.projects p JOIN app.organizations o ON o.id = p.organization_id AND o.name = 'Shop',
                                         (VALUES (1, '{"event_id": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1", "message": "browser", "timestamp": 1795874289.98}'::jsonb),
                                                 (2, '{"event_id": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2", "message": "python", "timestamp": "2026-11-28T13:57:14.594176Z"}'),
                                                 (3, '{"event_id": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3", "message": "broken", "timestamp": "yesterday"}'))
                                         AS e (n, event))) w),
          ARRAY['{"id": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1"}', '{"id": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2"}',
                '{"id": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3"}']::jsonb[],
          'Sentry events are accepted with float seconds, an RFC 3339 string, or a timestamp that names no moment');
SELECT is((SELECT array_agg(e.occurred_at ORDER BY e.message) FROM app.error_events e WHERE e.message IN ('browser', 'python')),
          ARRAY['2026-11-28 13:58:09.98+00', '2026-11-28 13:57:14.594176+00']::timestamptz[],
          'and stored at the moment the SDK named');
SELECT is((SELECT e.occurred_at FROM app.error_events e WHERE e.message = 'broken'), now(),
          'the one whose timestamp names no moment at its receipt');

SELECT * FROM finish();
ROLLBACK;
