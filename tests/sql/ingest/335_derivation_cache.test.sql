-- The derivation cache: captures read what an earlier capture derived from the same stack trace
-- or user agent, never a result other rules would not give, and the cache stays bounded.
BEGIN;
SELECT plan(23);

INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'Org A');
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000a', 0);

CREATE FUNCTION pg_temp.capture(p_events jsonb) RETURNS TABLE (ordinal integer, result jsonb, error jsonb)
LANGUAGE sql AS $$ SELECT * FROM app.capture_batch('00000000-0000-0000-0000-00000000000a', NULL, p_events) $$;
-- the stored event of a capture
CREATE FUNCTION pg_temp.stored(p_event jsonb) RETURNS app.error_events
LANGUAGE plpgsql AS $$
DECLARE
  v_event_id uuid := (SELECT (c.result ->> 'event_id')::uuid FROM pg_temp.capture(jsonb_build_array(p_event)) c);
  v_event app.error_events;
BEGIN
  SELECT * INTO v_event FROM app.error_events e WHERE e.event_id = v_event_id;
  RETURN v_event;
END $$;
CREATE FUNCTION pg_temp.entries(p_kind text) RETURNS integer
LANGUAGE sql AS $$ SELECT count(*)::integer FROM app.derivation_cache c WHERE c.kind = p_kind $$;

CREATE TEMP TABLE sample AS SELECT
  E'TypeError: Cannot read properties of undefined (reading ''total'')\n'
  || E'    at renderCart (https://shop.test/assets/app.3f9a1c.js:10:5)\n'
  || E'    at checkout (https://shop.test/assets/app.3f9a1c.js:42:9)\n'
  || E'    at fetch (https://shop.test/node_modules/lib/http.js:7:3)' AS stack_trace,
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' AS user_agent;
CREATE FUNCTION pg_temp.event(p_message text) RETURNS jsonb
LANGUAGE sql AS $$
  SELECT jsonb_build_object('error_type', 'javascript', 'message', p_message, 'stack_trace', s.stack_trace,
                            'user_agent', s.user_agent) FROM sample s
$$;

-- == The first capture stores, the next reads, and the results are the same as uncached ==

CREATE TEMP TABLE first_event AS SELECT * FROM pg_temp.stored(pg_temp.event('TypeError: order 1'));
SELECT is(pg_temp.entries('stack_trace'), 1, 'a capture stores what it derived from its stack trace');
SELECT is(pg_temp.entries('user_agent'), 1, '... and from its user agent');
CREATE TEMP TABLE second_event AS SELECT * FROM pg_temp.stored(pg_temp.event('TypeError: order 2'));
SELECT is(pg_temp.entries('stack_trace') + pg_temp.entries('user_agent'), 2, 'the same inputs again add no entry');
SELECT is((SELECT row(error_hash, stack_trace, browser, os, device_type)::text FROM second_event),
          (SELECT row(error_hash, stack_trace, browser, os, device_type)::text FROM first_event),
          'an event derived from the cache equals the one derived without it');
SELECT is((SELECT error_hash::text FROM second_event),
          (SELECT app.error_fingerprint('javascript', 'TypeError: order 2', app.parse_stack_trace(s.stack_trace)) FROM sample s),
          'the cached grouping is app.error_fingerprint of the parsed stack');
SELECT is((SELECT row(browser, os, device_type)::text FROM second_event),
          (SELECT row(p.browser, p.os, p.device_type)::text FROM sample s CROSS JOIN LATERAL app.parse_user_agent(s.user_agent) p),
          'the cached enrichment is app.parse_user_agent');
SELECT is((SELECT e.result -> 'frames' FROM app.derivation_cache e WHERE e.kind = 'stack_trace'),
          (SELECT app.parse_stack_trace(s.stack_trace) FROM sample s), 'a stack entry holds the parsed frames');

-- == The cache is really read: a doctored entry shows through, until a rule changes ==

UPDATE app.derivation_cache SET result = jsonb_set(result, '{browser}', '"Doctored 1"') WHERE kind = 'user_agent';
SELECT is((SELECT browser::text FROM pg_temp.stored(pg_temp.event('TypeError: order 3'))), 'Doctored 1',
          'captures read the cached result (this one doctored by the test)');
INSERT INTO app.user_agent_rule (kind, priority, needle, pattern, name, version_group)
VALUES ('browser', 50, 'chrome/', 'Chrome/([0-9]+)', 'Shiny', 1);
SELECT is((SELECT browser::text FROM pg_temp.stored(pg_temp.event('TypeError: order 4'))), 'Shiny 131',
          'a user-agent rule change starts a new generation: the rule applies to an agent seen before');

UPDATE app.derivation_cache SET result = jsonb_set(result, '{scrubbed}', '"doctored"')
 WHERE kind = 'stack_trace' AND generation = app.derivation_cache_generation();
SELECT is((SELECT stack_trace FROM pg_temp.stored(pg_temp.event('TypeError: order 5'))), 'doctored',
          'the scrubbed stack trace comes from the cache too');
INSERT INTO app.scrub_rule (kind, pattern, replacement, description) VALUES ('value', 'shop\.test', 'shop.example', 'hosts');
SELECT is((SELECT stack_trace FROM pg_temp.stored(pg_temp.event('TypeError: order 6'))),
          (SELECT replace(s.stack_trace, 'shop.test', 'shop.example') FROM sample s),
          'a scrub rule change applies to a stack trace seen before');

SELECT is(app.derivation_cache_generation() - (SELECT min(generation) FROM app.derivation_cache), 2,
          'each rule change started a generation');
SELECT is(app.derivation_cache_invalidate() - (SELECT max(generation) FROM app.derivation_cache), 1,
          'a deploy (or an admin) starts the next one too');

-- == Nothing unscrubbed is kept ==

SELECT pg_temp.stored(jsonb_build_object('message', 'login failed',
  'stack_trace', E'Error: login failed with password=hunter2\n    at login (https://shop.test/app.js:1:1)'));
SELECT is_empty($$SELECT 1 FROM app.derivation_cache c WHERE c::text ~ 'hunter2'$$,
                'the cache keeps a digest of the raw input and the scrubbed result, never the secret');

-- == Grouping in the batch equals app.error_fingerprint, whatever decides it ==

CREATE TEMP TABLE grouping_capture AS SELECT * FROM pg_temp.capture($$[
  {"message": "Payment timed out after 30s", "error_type": "api"},
  {"message": "Payment timed out after 45s", "error_type": "api", "message_template": "Payment timed out after %s"},
  {"message": "ValueError: bad", "error_type": "runtime", "frames": [{"filename": "/srv/app/x.py", "function": "f"}]},
  {"message": "boom", "error_type": "runtime", "fingerprint": ["{{ default }}", "tenant-7"],
   "stack_trace": "Error: boom\n    at f (/srv/app/y.js:1:1)"},
  {"message": "Uncaught TypeError: x", "error_type": "javascript",
   "stack_trace": "f@https://shop.test/a.js:1:1\ng@https://shop.test/b.js:2:2"}]$$);
CREATE TEMP TABLE grouped AS SELECT c.ordinal, e.* FROM grouping_capture c
  JOIN app.error_events e ON e.event_id = (c.result ->> 'event_id')::uuid;
SELECT results_eq(
  $$SELECT ordinal, error_hash::text FROM grouped ORDER BY ordinal$$,
  $$SELECT ordinal, app.error_fingerprint(error_type, message, coalesce(frames, app.parse_stack_trace(stack_trace)), fingerprint,
                                          message_template) FROM grouped ORDER BY ordinal$$,
  'messages, templates, client frames, client fingerprints and parsed stacks group as app.error_fingerprint says');

-- == Bounds ==

UPDATE app.derivation_cache_state SET max_entries = 0;
SELECT pg_temp.stored(jsonb_build_object('message', 'x', 'stack_trace', E'Error: x\n    at never (https://shop.test/n.js:1:1)'));
SELECT is_empty($$SELECT 1 FROM app.derivation_cache c WHERE c.result ->> 'frame_components' ~ 'never'$$,
                'a full cache (max_entries reached) admits no new entry');
UPDATE app.derivation_cache_state SET max_entries = 50000;
SELECT pg_temp.stored(jsonb_build_object('message', 'x', 'stack_trace', E'Error: x\n    at huge (https://shop.test/h.js:1:1)\n'
                                                                          || repeat('  context line\n', 3000)));
SELECT is_empty($$SELECT 1 FROM app.derivation_cache c WHERE c.result ->> 'frame_components' ~ 'huge'$$,
                'inputs over 32 KB are derived but not kept');

SELECT cmp_ok((SELECT count(*)::integer FROM app.derivation_cache WHERE generation <> app.derivation_cache_generation()), '>', 0,
              'entries of old generations remain until pruned');
SELECT pg_temp.stored(pg_temp.event('TypeError: order 7'));
UPDATE app.derivation_cache SET used_on = current_date - 30 WHERE kind = 'user_agent';
CREATE TEMP TABLE fresh AS SELECT input_digest FROM app.derivation_cache
  WHERE generation = app.derivation_cache_generation() AND kind = 'stack_trace';
SELECT cmp_ok(app.derivation_cache_prune(), '>', 0, 'the prune job deletes');
SELECT is((SELECT count(*)::integer FROM app.derivation_cache
            WHERE generation <> app.derivation_cache_generation() OR used_on < current_date - 2), 0,
          '... old generations and entries unused for keep_days');
SELECT set_eq('SELECT input_digest FROM app.derivation_cache', 'SELECT input_digest FROM fresh', '... and keeps the rest');

INSERT INTO app.derivation_cache (input_digest, kind, generation, result, used_on)
SELECT sha256(n::text::bytea), 'user_agent', app.derivation_cache_generation(), '{}', current_date - (n % 2)
  FROM generate_series(1, 99) AS n;
UPDATE app.derivation_cache_state SET max_entries = 80;
SELECT app.derivation_cache_prune();
SELECT is((SELECT count(*)::integer FROM app.derivation_cache), 40, 'over 90% of max_entries it trims to half');
SELECT is((SELECT count(*)::integer FROM app.derivation_cache WHERE used_on < current_date), 0,
          '... the least recently used first');

SELECT * FROM finish();
ROLLBACK;
