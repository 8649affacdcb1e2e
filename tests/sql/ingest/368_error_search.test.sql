-- Message search: each group's message is written once, when the group is created (an event of
-- a known group writes nothing there), the searches read it through its trigram index, and an
-- organization's people find only their organization's groups.
BEGIN;
SELECT plan(9);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B');
INSERT INTO app.projects (id, organization_id, name) OVERRIDING SYSTEM VALUE VALUES
  (9101, '00000000-0000-0000-0000-00000000000a', 'a-web'), (9102, '00000000-0000-0000-0000-00000000000b', 'b-web');
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000a', 0);
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000b', 0);

SELECT count(*) FROM app.capture_batch('00000000-0000-0000-0000-00000000000a', 9101,
  '[{"message": "Timeout talking to the payments gateway", "error_type": "network"},
    {"message": "Cannot read properties of undefined (reading ''coupon'')", "error_type": "javascript"}]');
SELECT count(*) FROM app.capture_batch('00000000-0000-0000-0000-00000000000b', 9102,
  '[{"message": "Timeout talking to the search cluster", "error_type": "network"}]');

SELECT set_eq($$SELECT m.message FROM app.error_messages m JOIN app.system_errors s ON s.id = m.error_id
                WHERE s.message = m.message AND s.organization_id = m.organization_id$$,
  ARRAY['Timeout talking to the payments gateway', 'Cannot read properties of undefined (reading ''coupon'')',
        'Timeout talking to the search cluster'],
  'a new group''s message is written with its group and organization');

-- more events of known groups (one batch of several, one alone): nothing new is written
CREATE TEMP TABLE before_events AS SELECT xmin::text::bigint AS version, m.error_id FROM app.error_messages m;
SELECT count(*) FROM app.capture_batch('00000000-0000-0000-0000-00000000000a', 9101,
  '[{"message": "Timeout talking to the payments gateway", "error_type": "network"},
    {"message": "Timeout talking to the payments gateway", "error_type": "network"}]');
SELECT count(*) FROM app.capture_batch('00000000-0000-0000-0000-00000000000a', 9101,
  '[{"message": "Timeout talking to the payments gateway", "error_type": "network"}]');
SELECT is((SELECT occurrence_count FROM app.system_errors WHERE message = 'Timeout talking to the payments gateway'), 4,
  'the known group counted the new events');
SELECT set_eq('SELECT xmin::text::bigint AS version, error_id FROM app.error_messages', 'SELECT version, error_id FROM before_events',
  'events of known groups leave the messages untouched (no row written or rewritten)');

SELECT is((SELECT count(*)::int FROM pg_index WHERE indrelid = 'app.system_errors'::regclass
             AND indexrelid::regclass::text LIKE '%trgm%'), 0,
  'system_errors holds no trigram index (an event of a known group would write it again)');

SELECT results_eq($$SELECT message FROM app.error_list(NULL, NULL, NULL, NULL, 'COUPON', 10)$$,
  ARRAY['Cannot read properties of undefined (reading ''coupon'')'], 'the command line''s text filter reads the messages');

-- == as an org owner of A ==
SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a"}';
SELECT results_eq($$SELECT message FROM api.search_errors('timeout talking')$$,
  ARRAY['Timeout talking to the payments gateway'], 'search_errors finds by substring, only in the own organization');
SELECT results_eq($$SELECT message FROM api.search_errors('Timeout talkin to the paymnts gateway')$$,
  ARRAY['Timeout talking to the payments gateway'], 'search_errors finds by trigram similarity despite typos');
SELECT is((SELECT count(*)::int FROM app.error_messages), 2, 'an org owner reads only the messages of the own organization');
RESET ROLE;

CREATE FUNCTION pg_temp.plan_text(p_query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v_line text; v_plan text := '';
BEGIN
  FOR v_line IN EXECUTE 'EXPLAIN ' || p_query LOOP v_plan := v_plan || v_line || E'\n'; END LOOP;
  RETURN v_plan;
END $$;
SET LOCAL enable_seqscan = off;  -- (three rows: without it any plan may scan them)
SELECT matches(pg_temp.plan_text($$SELECT * FROM app.system_errors WHERE id IN (SELECT m FROM app.error_ids_matching('payments') AS m)$$),
  'idx_error_messages_trgm', 'a substring search is read from the trigram index of the messages');

SELECT * FROM finish();
ROLLBACK;
