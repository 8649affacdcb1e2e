-- Fingerprint rules: Sentry's syntax (a subset) parsed into rows, applied at capture before hashing.
BEGIN;
SELECT plan(28);

INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'Shop');
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000a', 0);
INSERT INTO app.projects (organization_id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'shop'), ('00000000-0000-0000-0000-00000000000a', 'admin');
CREATE FUNCTION pg_temp.project(p_name text) RETURNS bigint LANGUAGE sql AS $$ SELECT p.id FROM app.projects p WHERE p.name = p_name $$;
CREATE FUNCTION pg_temp.capture(p_event jsonb, p_project text DEFAULT 'shop') RETURNS jsonb
LANGUAGE sql AS $$
  SELECT c.result FROM app.capture_batch('00000000-0000-0000-0000-00000000000a', pg_temp.project(p_project), jsonb_build_array(p_event)) c
$$;

-- == Parsing ==

SELECT is(app.fingerprint_rule_parse('error.type:ConnectionError !stack.module:"tests.*" -> {{ default }}, database'),
  '{"matchers": [{"glob": "ConnectionError", "field": "error.type", "regex": "^ConnectionError$", "negated": false},
                 {"glob": "tests.*", "field": "stack.module", "regex": "^tests\\..*$", "negated": true}],
    "fingerprint": ["{{ default }}", "database"]}',
  'a rule: matchers (negated with !, quoted globs) and values');
SELECT is(app.fingerprint_rule_parse('path:**/vendor/*.js message:"a \"b\"" -> x') -> 'matchers',
  '[{"glob": "**/vendor/*.js", "field": "stack.abs_path", "regex": "^.*/vendor/[^/\\\\]*\\.js$", "negated": false},
    {"glob": "a \"b\"", "field": "message", "regex": "^a \"b\"$", "negated": false}]',
  'short names; in paths * stays in a segment and ** crosses them; \" is a quote');
SELECT throws_ok($$SELECT app.fingerprint_rule_parse('error.type:Foo')$$, 'QVG01', NULL, 'a rule without -> is not understood');
SELECT throws_ok($$SELECT app.fingerprint_rule_parse('colour:red -> x')$$, 'QVG01', NULL, 'an unknown matcher is not understood');
SELECT throws_ok($$SELECT app.fingerprint_rule_parse('type:Foo -> {{ weather }}')$$, 'QVG01', NULL, 'an unknown variable is not understood');
SELECT throws_ok($$SELECT app.fingerprint_rule_parse('message:"open -> x')$$, 'QVG01', NULL, 'an open quote is not understood');
-- a word without a colon is no matcher, negated or not, and says so (not a PostgreSQL error)
SELECT throws_ok($$SELECT app.fingerprint_rule_parse('x')$$, 'QVG01', NULL, 'a bare word is not understood');
SELECT throws_ok($$SELECT app.fingerprint_rule_parse('!x -> {{ default }}')$$, 'QVG01', NULL,
                 'a negated word without a colon is not understood');
SELECT throws_ok($$SELECT app.fingerprint_rule_parse('error.type -> x')$$, 'QVG01', NULL,
                 'a field without a colon and glob is not understood');
SELECT throws_ok($$SELECT app.fingerprint_rule_parse('x -> {{ default }}')$$, 'QVG01', NULL,
                 'a word before -> that is no matcher is not understood');
SELECT throws_ok(format('SELECT app.fingerprint_rule_add(%s, %L)', 999999, 'type:Foo -> x'), 'QN001', NULL,
  'a rule for a project that does not exist is not found');

-- == At capture ==

CREATE TEMP TABLE events AS SELECT
  '{"error_type": "database", "message": "ConnectionError: could not connect to db-1",
    "frames": [{"filename": "/srv/app/db.py", "module": "app.db", "function": "connect", "in_app": true}]}'::jsonb AS db_1,
  '{"error_type": "database", "message": "ConnectionError: could not connect to db-2",
    "frames": [{"filename": "/srv/app/reports.py", "module": "app.reports", "function": "nightly", "in_app": true}]}'::jsonb AS db_2,
  '{"error_type": "database", "message": "ConnectionError: could not connect to db-3",
    "frames": [{"filename": "/srv/tests/test_db.py", "module": "tests.test_db", "function": "test_connect", "in_app": true}]}'::jsonb AS in_tests,
  '{"error_type": "api", "message": "Payment declined", "fingerprint": ["payments"]}'::jsonb AS declined;
CREATE TEMP TABLE before_rules AS SELECT pg_temp.capture(db_1) AS db_1, pg_temp.capture(db_2) AS db_2 FROM events;
SELECT isnt((SELECT db_1 ->> 'id' FROM before_rules), (SELECT db_2 ->> 'id' FROM before_rules),
  'without a rule, one error from two code paths is two groups');

SELECT is(app.fingerprint_rule_add(pg_temp.project('shop'), 'error.type:ConnectionError !module:tests.* -> database-down') ->> 'position',
  '1', 'a rule is added after the project''s others');
SELECT is(app.fingerprint_rule_add(pg_temp.project('shop'), 'type:ConnectionError -> {{ default }}, {{ stack.function }}') ->> 'position',
  '2', 'and the next after it');
CREATE TEMP TABLE with_rules AS
  SELECT pg_temp.capture(db_1) AS db_1, pg_temp.capture(db_2) AS db_2, pg_temp.capture(in_tests) AS in_tests,
         pg_temp.capture(db_1, 'admin') AS other_project
    FROM events;
SELECT is((SELECT db_1 ->> 'id' FROM with_rules), (SELECT db_2 ->> 'id' FROM with_rules),
  'a matching rule makes its events one group, whatever their frames');
SELECT isnt((SELECT db_1 ->> 'id' FROM with_rules), (SELECT db_1 ->> 'id' FROM before_rules),
  'a new group: the rule applies to the events after it');
SELECT is((SELECT fingerprint FROM app.error_events e, with_rules w WHERE e.event_id = (w.db_1 ->> 'event_id')::uuid),
  ARRAY['database-down'], 'the event stores the fingerprint the rule set');
SELECT is((SELECT e.metadata -> '_fingerprint_rule' ->> 'rule' FROM app.error_events e, with_rules w WHERE e.event_id = (w.db_1 ->> 'event_id')::uuid),
  'error.type:ConnectionError !module:tests.* -> database-down', 'and the rule that set it');
SELECT is((SELECT e.fingerprint FROM app.error_events e, with_rules w WHERE e.event_id = (w.in_tests ->> 'event_id')::uuid),
  ARRAY['{{ default }}', 'test_connect'], 'a negated matcher keeps the first rule off; the next rule fills in its variables');
SELECT is((SELECT other_project ->> 'id' FROM with_rules), (SELECT db_1 ->> 'id' FROM before_rules),
  'another project''s events are not touched');

SELECT app.fingerprint_rule_add(pg_temp.project('shop'), 'message:"payment declined" -> card');
CREATE TEMP TABLE declined AS SELECT pg_temp.capture(declined) AS result FROM events;
SELECT is((SELECT e.fingerprint FROM app.error_events e, declined d WHERE e.event_id = (d.result ->> 'event_id')::uuid), ARRAY['card'],
  'a rule wins over the client''s fingerprint (case does not count in globs)');
SELECT is((SELECT e.metadata #> '{_fingerprint_rule,client_fingerprint}' FROM app.error_events e ORDER BY e.received_at DESC, e.ctid DESC LIMIT 1),
  '["payments"]', 'which is kept in metadata');

SELECT app.fingerprint_rule_delete(r.id) FROM app.fingerprint_rules r;
SELECT is((SELECT pg_temp.capture(db_1) ->> 'id' FROM events), (SELECT db_1 ->> 'id' FROM before_rules),
  'once the rules are deleted, events group by default again');
SELECT throws_ok('SELECT app.fingerprint_rule_delete(999999)', 'QN001', NULL, 'a rule that does not exist is not found');

-- == Variables in a client's fingerprint (as Sentry fills them in) ==

SELECT is(app.fingerprint_fill(ARRAY['{{ default }}', '{{ error.type }}', '{{function}}', '{{ tags.x }}', 'plain'],
                               '{"$": {"type": "KeyError", "function": "charge"}}'),
  ARRAY['{{ default }}', 'KeyError', 'charge', '{{ tags.x }}', 'plain'],
  'a fingerprint''s variables are filled in; {{ default }} and unknown ones stay as written');
CREATE TEMP TABLE by_type AS SELECT
  pg_temp.capture('{"error_type": "api", "message": "KeyError: ''coupon''", "fingerprint": ["{{ error.type }}", "checkout"]}') AS key_a,
  pg_temp.capture('{"error_type": "api", "message": "KeyError: ''total''", "fingerprint": ["{{ error.type }}", "checkout"]}') AS key_b,
  pg_temp.capture('{"error_type": "api", "message": "ValueError: bad total", "fingerprint": ["{{ error.type }}", "checkout"]}') AS value_a;
SELECT is((SELECT key_a ->> 'id' FROM by_type), (SELECT key_b ->> 'id' FROM by_type),
  'a client fingerprint {{ error.type }}, checkout: two messages of one exception type are one group');
SELECT isnt((SELECT key_a ->> 'id' FROM by_type), (SELECT value_a ->> 'id' FROM by_type),
  'and another type another group');
SELECT is((SELECT e.fingerprint FROM app.error_events e, by_type b WHERE e.event_id = replace(b.key_a ->> 'event_id', '-', '')::uuid),
  ARRAY['KeyError', 'checkout'], 'the event keeps its fingerprint as filled in');

SELECT * FROM finish();
ROLLBACK;
