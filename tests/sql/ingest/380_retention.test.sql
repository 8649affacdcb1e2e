-- Retention: resolved errors past 30 days go with their events; old partitions are dropped;
-- partitions are made ahead, and rows stranded in the default partition move into theirs.
BEGIN;
SELECT plan(13);

INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'Org A');
INSERT INTO app.error_events (organization_id, error_hash, error_type, message) VALUES
  ('00000000-0000-0000-0000-00000000000a', repeat('1', 64), 'api', 'resolved long ago'),
  ('00000000-0000-0000-0000-00000000000a', repeat('2', 64), 'api', 'resolved last week'),
  ('00000000-0000-0000-0000-00000000000a', repeat('3', 64), 'api', 'open for ages');
INSERT INTO app.error_event_ids (organization_id, event_id, error_hash)
VALUES ('00000000-0000-0000-0000-00000000000a', gen_random_uuid(), repeat('1', 64));
UPDATE app.system_errors SET status = 'resolved', resolved_at = now() - interval '31 days' WHERE error_hash = repeat('1', 64);
UPDATE app.system_errors SET status = 'resolved', resolved_at = now() - interval '7 days' WHERE error_hash = repeat('2', 64);
UPDATE app.system_errors SET first_seen_at = now() - interval '90 days' WHERE error_hash = repeat('3', 64);
INSERT INTO app.user_error_reports (report_type, reporter_type, organization_id, title, description, linked_error_id)
SELECT 'bug', 'customer', organization_id, 'it broke', 'x', id FROM app.system_errors WHERE error_hash = repeat('1', 64);

-- a day past the event retention, with its own partition
CREATE TABLE app.error_events_p20000101 PARTITION OF app.error_events
  FOR VALUES FROM ('2000-01-01 00:00:00+00') TO ('2000-01-02 00:00:00+00');

CREATE TEMP TABLE run AS SELECT app.retention_run() AS summary;
SELECT is((SELECT (summary ->> 'deleted_errors')::int FROM run), 1, 'one resolved error was past retention');
SELECT is((SELECT count(*)::int FROM app.system_errors WHERE error_hash = repeat('1', 64)), 0, 'it is deleted');
SELECT is((SELECT count(*)::int FROM app.error_events WHERE error_hash = repeat('1', 64)), 0, '... with its events');
SELECT is((SELECT count(*)::int FROM app.error_metrics WHERE error_hash = repeat('1', 64)), 0, '... its metrics');
SELECT is((SELECT count(*)::int FROM app.error_event_ids WHERE error_hash = repeat('1', 64)), 0, '... and its event ids');
SELECT is((SELECT linked_error_id FROM app.user_error_reports), NULL, 'a report linked to it is kept, unlinked');
SELECT is((SELECT count(*)::int FROM app.system_errors), 2, 'recently resolved and open errors stay, however old');
SELECT is(to_regclass('app.error_events_p20000101'), NULL, 'a partition past the event retention is dropped');
SELECT ok((SELECT summary -> 'dropped_partitions' ? 'error_events_p20000101' FROM run), '... and reported');

SELECT ok(to_regclass('app.error_events_p' || to_char((now() AT TIME ZONE 'UTC') + interval '7 days', 'YYYYMMDD')) IS NOT NULL,
  'partitions exist a week ahead');

-- pg_cron was down: an event for a day without partition lands in the default one
INSERT INTO app.error_events (received_at, organization_id, error_hash, error_type, message)
VALUES (now() + interval '20 days', '00000000-0000-0000-0000-00000000000a', repeat('4', 64), 'api', 'from the future');
SELECT is((SELECT count(*)::int FROM ONLY app.error_events_default), 1, 'an event without its partition is still stored');
SELECT is(app.error_events_ensure_partitions(25) >= 1, true, 'creating partitions further ahead');
SELECT is((SELECT tableoid::regclass::text FROM app.error_events WHERE message = 'from the future'),
  'app.error_events_p' || to_char((now() AT TIME ZONE 'UTC') + interval '20 days', 'YYYYMMDD'),
  'moves the stranded event into its new partition');

SELECT * FROM finish();
ROLLBACK;
