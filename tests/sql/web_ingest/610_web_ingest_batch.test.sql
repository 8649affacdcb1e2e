-- One call of app.web_ingest answers every request of a micro-batch on its own: requests with a
-- wrong key or an unknown project are refused alike and store nothing, the others' events are
-- captured per project in request order, their other items reach their recorders, and what was
-- refused before parsing or repaired is counted for the organization the key proves.
BEGIN;
SELECT plan(11);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B');
INSERT INTO app.projects (organization_id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'a-web'), ('00000000-0000-0000-0000-00000000000b', 'b-web');
SELECT app.rate_limit_set(o.id, 0) FROM app.organizations o;

CREATE TEMP TABLE answer AS
SELECT w.request_ordinal, w.outcome
  FROM app.web_ingest((
    SELECT jsonb_build_array(
      -- 1: Org A, an event, a session, a client report, a transaction (dropped) and a malformed item
      jsonb_build_object('project_id', a.id, 'public_key', a.public_key, 'event_id', 'AAAAAAAA-AAAA-AAAA-AAAA-AAAAAAAAAAA1',
        'items', jsonb_build_array(
          jsonb_build_object('type', 'event', 'payload', jsonb_build_object('message', 'first', 'timestamp', 1795874289.98)),
          jsonb_build_object('type', 'session', 'payload', jsonb_build_object('sid', 's-1', 'status', 'ok',
                                                                             'started', '2026-11-28T13:57:14Z',
                                                                             'attrs', jsonb_build_object('release', 'a@1'))),
          jsonb_build_object('type', 'client_report', 'payload', jsonb_build_object('timestamp', 1795874289,
            'discarded_events', jsonb_build_array(jsonb_build_object('reason', 'sample_rate', 'category', 'error', 'quantity', 4)))),
          jsonb_build_object('type', 'transaction', 'payload', '{}'::jsonb),
          '"not an item"'::jsonb)),
      -- 2: Org A's project with Org B's key
      jsonb_build_object('project_id', a.id, 'public_key', b.public_key,
        'items', jsonb_build_array(jsonb_build_object('type', 'event', 'payload', jsonb_build_object('message', 'stranger')))),
      -- 3: a project that does not exist
      jsonb_build_object('project_id', 999999999, 'public_key', a.public_key,
        'items', jsonb_build_array(jsonb_build_object('type', 'event', 'payload', jsonb_build_object('message', 'nowhere')))),
      -- 4: Org B, two events, repaired
      jsonb_build_object('project_id', b.id, 'public_key', b.public_key, 'repairs', jsonb_build_object('non_finite_numbers', 2),
        'items', jsonb_build_array(jsonb_build_object('type', 'event', 'payload', jsonb_build_object('message', 'b one')),
                                   jsonb_build_object('type', 'event', 'payload', jsonb_build_object('message', 'b two')))),
      -- 5: Org A, refused before parsing for its size
      jsonb_build_object('project_id', a.id, 'public_key', a.public_key, 'refused', 'too_large', 'items', '[]'::jsonb),
      -- 6: Org A, an event whose payload is no object: nothing to capture
      jsonb_build_object('project_id', a.id, 'public_key', a.public_key,
        'items', jsonb_build_array(jsonb_build_object('type', 'event', 'payload', '"text"'::jsonb))))
      FROM app.projects a, app.projects b WHERE a.name = 'a-web' AND b.name = 'b-web')) w;

SELECT is((SELECT array_agg(request_ordinal ORDER BY request_ordinal) FROM answer), ARRAY[1, 2, 3, 4, 5, 6],
          'one answer per request, in order');
SELECT is((SELECT outcome FROM answer WHERE request_ordinal = 1), '{"id": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1"}',
          'a request answers with its event id, the envelope header''s in its normal form');
SELECT is((SELECT array_agg(outcome #>> '{error,code}' || ' ' || (outcome #>> '{error,http_status}') ORDER BY request_ordinal)
             FROM answer WHERE request_ordinal IN (2, 3)), ARRAY['QA601 403', 'QA601 403'],
          'a wrong key and an unknown project are refused alike');
SELECT is((SELECT array_agg(message ORDER BY occurred_at, message) FROM app.error_events),
          ARRAY['first', 'b one', 'b two'], 'the accepted requests'' events are stored, the refused ones'' not');
SELECT is((SELECT occurred_at FROM app.error_events WHERE message = 'first'), '2026-11-28 13:58:09.98+00'::timestamptz,
          'an event keeps the float seconds its SDK sent');
SELECT is((SELECT array_agg(e.organization_id::text || ' ' || e.message ORDER BY e.message) FROM app.error_events e
            WHERE e.message LIKE 'b %'),
          ARRAY['00000000-0000-0000-0000-00000000000b b one', '00000000-0000-0000-0000-00000000000b b two'],
          'each project''s events are captured for its own organization');
SELECT is((SELECT (started_at, release::text) FROM app.client_sessions WHERE sid = 's-1'),
          ('2026-11-28 13:57:14+00'::timestamptz, 'a@1'::text), 'a session next to an event reaches its recorder');
SELECT is((SELECT (hour, quantity) FROM app.client_discards), ('2026-11-28 13:00:00+00'::timestamptz, 4::bigint),
          'a client report is counted in the hour its Unix seconds name');
SELECT is((SELECT array_agg(item_type ORDER BY item_type) FROM app.dropped_items), ARRAY['transaction'],
          'an item kept by no recorder is counted as dropped; an item that is no object is not an item');
SELECT is((SELECT array_agg(x ORDER BY x) FROM (
             SELECT 'refused ' || r.organization_id || ' ' || r.requests AS x FROM app.ingest_refusals r
             UNION ALL
             SELECT 'repaired ' || r.organization_id || ' ' || r.items FROM app.ingest_repairs r) s),
          ARRAY['refused 00000000-0000-0000-0000-00000000000a 1', 'repaired 00000000-0000-0000-0000-00000000000b 1'],
          'a refusal before parsing and a repaired request are counted for their organizations');

SELECT is((SELECT outcome FROM answer WHERE request_ordinal = 6), '{"id": null}',
          'an event whose payload is no object captures nothing (pgwarden web refuses it before, 400 QV: a defence only)');

SELECT * FROM finish();
ROLLBACK;
