-- Retention of what grows with traffic or time besides errors: SDK sessions and their hourly counts,
-- client reports and dropped items, cron check-ins, repair counts and closed user reports, each past
-- its own setting in app.retention_setting, by app.retention_run (nightly on pg_cron).
BEGIN;
SELECT plan(21);

INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'Org A');
INSERT INTO app.projects (organization_id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'shop');
SELECT id AS project FROM app.projects \gset

SELECT results_eq(
  $$SELECT client_sessions, client_session_aggregates, client_discards, dropped_items, cron_check_ins, ingest_repairs,
           closed_reports, cron_run_details FROM app.retention_setting$$,
  $$VALUES ('90 days'::interval, '90 days'::interval, '90 days'::interval, '90 days'::interval, '30 days'::interval,
            '90 days'::interval, '365 days'::interval, '7 days'::interval)$$,
  'the defaults: 90 days of sessions and hourly counts, 30 of check-ins, a year of closed reports, a week of cron runs');

-- one row just past its retention and one just inside it, for each kind
INSERT INTO app.client_sessions (project_id, sid, organization_id, release, started_at, updated_at, status) VALUES
  (:project, 'old', '00000000-0000-0000-0000-00000000000a', '1.0', now() - interval '120 days', now() - interval '91 days', 'ok'),
  (:project, 'new', '00000000-0000-0000-0000-00000000000a', '1.0', now() - interval '120 days', now() - interval '89 days', 'ok');
INSERT INTO app.client_session_aggregates (organization_id, project_id, release, hour, exited) VALUES
  ('00000000-0000-0000-0000-00000000000a', :project, '1.0', date_trunc('hour', now() - interval '91 days'), 1),
  ('00000000-0000-0000-0000-00000000000a', :project, '1.0', date_trunc('hour', now() - interval '89 days'), 1);
INSERT INTO app.client_discards (organization_id, project_id, hour, reason, category, quantity) VALUES
  ('00000000-0000-0000-0000-00000000000a', :project, date_trunc('hour', now() - interval '91 days'), 'sample_rate', 'error', 3),
  ('00000000-0000-0000-0000-00000000000a', :project, date_trunc('hour', now() - interval '89 days'), 'sample_rate', 'error', 3);
INSERT INTO app.dropped_items (organization_id, project_id, hour, item_type, quantity) VALUES
  ('00000000-0000-0000-0000-00000000000a', :project, date_trunc('hour', now() - interval '91 days'), 'transaction', 2),
  ('00000000-0000-0000-0000-00000000000a', :project, date_trunc('hour', now() - interval '89 days'), 'transaction', 2);
INSERT INTO app.cron_check_ins (project_id, check_in_id, organization_id, monitor_slug, status, started_at, updated_at) VALUES
  (:project, 'old', '00000000-0000-0000-0000-00000000000a', 'nightly', 'ok', now() - interval '31 days', now() - interval '31 days'),
  (:project, 'new', '00000000-0000-0000-0000-00000000000a', 'nightly', 'ok', now() - interval '29 days', now() - interval '29 days');
INSERT INTO app.ingest_repairs (organization_id, hour, source, repair, items, occurrences) VALUES
  ('00000000-0000-0000-0000-00000000000a', date_trunc('hour', now() - interval '91 days'), 'sentry', 'non_finite_numbers', 1, 1),
  ('00000000-0000-0000-0000-00000000000a', date_trunc('hour', now() - interval '89 days'), 'sentry', 'non_finite_numbers', 1, 1);
INSERT INTO app.user_error_reports (report_type, reporter_type, organization_id, title, description, status, resolved_at, updated_at) VALUES
  ('bug', 'customer', '00000000-0000-0000-0000-00000000000a', 'closed long ago', 'x', 'closed', NULL, now() - interval '366 days'),
  ('bug', 'customer', '00000000-0000-0000-0000-00000000000a', 'resolved long ago', 'x', 'resolved', now() - interval '366 days', now()),
  ('bug', 'customer', '00000000-0000-0000-0000-00000000000a', 'a duplicate, long ago', 'x', 'duplicate', NULL, now() - interval '400 days'),
  ('bug', 'customer', '00000000-0000-0000-0000-00000000000a', 'resolved this year', 'x', 'resolved', now() - interval '364 days', now() - interval '364 days'),
  ('bug', 'customer', '00000000-0000-0000-0000-00000000000a', 'open for ages', 'x', 'open', NULL, now() - interval '900 days');

CREATE TEMP TABLE run AS SELECT app.retention_run() -> 'deleted' AS deleted;

SELECT is((SELECT array_agg(sid) FROM app.client_sessions), ARRAY['new'], 'a session not updated for 90 days is deleted');
SELECT is((SELECT count(*)::int FROM app.client_session_aggregates), 1, 'hourly session counts older than 90 days are deleted');
SELECT is((SELECT count(*)::int FROM app.client_discards), 1, 'client report counts older than 90 days are deleted');
SELECT is((SELECT count(*)::int FROM app.dropped_items), 1, 'dropped item counts older than 90 days are deleted');
SELECT is((SELECT array_agg(check_in_id) FROM app.cron_check_ins), ARRAY['new'], 'a check-in older than 30 days is deleted');
SELECT is((SELECT count(*)::int FROM app.ingest_repairs), 1, 'repair counts older than 90 days are deleted');
SELECT is((SELECT array_agg(title::text ORDER BY title) FROM app.user_error_reports), ARRAY['open for ages', 'resolved this year'],
  'reports closed, resolved or duplicate for a year are deleted; an open one stays however old');
SELECT is((SELECT deleted FROM run),
  '{"client_sessions": 1, "client_session_aggregates": 1, "client_discards": 1, "dropped_items": 1, "cron_check_ins": 1,
    "ingest_repairs": 1, "closed_reports": 3, "cron_run_details": 0}'::jsonb,
  'the run reports what it deleted of each kind (no pg_cron log in this database)');

-- each has its own setting
UPDATE app.retention_setting SET client_sessions = '10 days', client_session_aggregates = '10 days',
  client_discards = '10 days', dropped_items = '10 days', cron_check_ins = '10 days', ingest_repairs = '10 days',
  closed_reports = '10 days';
SELECT is((SELECT app.retention_run() -> 'deleted'),
  '{"client_sessions": 1, "client_session_aggregates": 1, "client_discards": 1, "dropped_items": 1, "cron_check_ins": 1,
    "ingest_repairs": 1, "closed_reports": 1, "cron_run_details": 0}'::jsonb,
  'shorter settings delete the rest');
SELECT is((SELECT count(*)::int FROM app.client_sessions) + (SELECT count(*)::int FROM app.client_session_aggregates)
          + (SELECT count(*)::int FROM app.client_discards) + (SELECT count(*)::int FROM app.dropped_items)
          + (SELECT count(*)::int FROM app.cron_check_ins) + (SELECT count(*)::int FROM app.ingest_repairs), 0,
  '... leaving no session, count or check-in');

-- settings are checked: a retention of nothing would delete what was just written
SELECT throws_ok($$UPDATE app.retention_setting SET client_sessions = '1 hour'$$, '23514', NULL,
  'sessions are kept at least a day');
SELECT throws_ok($$UPDATE app.retention_setting SET client_session_aggregates = '0'$$, '23514', NULL,
  'session counts at least a day');
SELECT throws_ok($$UPDATE app.retention_setting SET client_discards = '0'$$, '23514', NULL, 'client reports at least a day');
SELECT throws_ok($$UPDATE app.retention_setting SET dropped_items = '0'$$, '23514', NULL, 'dropped items at least a day');
SELECT throws_ok($$UPDATE app.retention_setting SET cron_check_ins = '0'$$, '23514', NULL, 'check-ins at least a day');
SELECT throws_ok($$UPDATE app.retention_setting SET ingest_repairs = '0'$$, '23514', NULL, 'repair counts at least a day');
SELECT throws_ok($$UPDATE app.retention_setting SET closed_reports = '0'$$, '23514', NULL, 'closed reports at least a day');
SELECT throws_ok($$UPDATE app.retention_setting SET cron_run_details = '1 minute'$$, '23514', NULL, 'cron runs at least an hour');

-- only a system admin changes retention
SET LOCAL ROLE org_owner;
SELECT set_config('request.jwt.claims', '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a"}', true);
SELECT throws_ok($$UPDATE app.retention_setting SET client_sessions = '30 days'$$, '42501', NULL,
  'an organization owner may not change retention');
RESET ROLE;
SET LOCAL ROLE system_admin;
UPDATE app.retention_setting SET client_sessions = '30 days';
RESET ROLE;
SELECT is((SELECT client_sessions FROM app.retention_setting), '30 days'::interval, 'a system admin may');

SELECT * FROM finish();
ROLLBACK;
