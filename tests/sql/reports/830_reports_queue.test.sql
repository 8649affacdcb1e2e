-- Working the queue: statuses, assignee, duplicates, a history row per change; org owners work
-- their organization's reports only, staff read them; new reports raise new_user_report alerts.
BEGIN;
SELECT plan(24);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Shop A'), ('00000000-0000-0000-0000-00000000000b', 'Shop B');
INSERT INTO app.users (id, organization_id, email, role) VALUES
  ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-00000000000a', 'owner@a.test', 'org_owner'),
  ('00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-00000000000a', 'dev@a.test', 'staff'),
  ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-00000000000b', 'owner@b.test', 'org_owner');
INSERT INTO app.error_alerts (alert_type, channel, organization_id, trigger_conditions)
VALUES ('new_user_report', 'in_app', '00000000-0000-0000-0000-00000000000a', '{}');
INSERT INTO app.projects (organization_id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'shop-a');
SELECT app.widget_key_set(p.id, ARRAY['https://shop.test']) FROM app.projects p;

-- a customer's report through the API, as PostgREST calls it
SELECT set_config('request.headers', json_build_object('x-pgwarden-widget-key', w.widget_key, 'origin', 'https://shop.test',
                                                       'x-forwarded-for', '192.0.2.10')::text, true)
  FROM app.project_widget_keys w;
SET LOCAL ROLE anon;
SELECT set_config('request.jwt.claims', '{"role": "anon"}', true);
SELECT api.submit_report('{"title": "Cannot pay", "description": "The button spins", "priority": "high"}') ->> 'status_token'
  AS token \gset
SELECT api.submit_report('{"title": "Same here", "description": "Spinning"}') IS NOT NULL AS second \gset
SELECT throws_like($$SELECT api.report_detail(id::text) FROM (SELECT gen_random_uuid() AS id) x$$, '%permission denied%',
                   'a customer reads nothing of the queue');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM app.alert_incidents i JOIN app.error_alerts r ON r.id = i.rule_id
            WHERE r.alert_type = 'new_user_report'), 2, 'each report submitted through the API raises a new_user_report alert');
SELECT id AS report FROM app.user_error_reports WHERE title = 'Cannot pay' \gset
SELECT id AS other FROM app.user_error_reports WHERE title = 'Same here' \gset
INSERT INTO app.user_error_reports (id, report_type, reporter_type, organization_id, title, description)
VALUES ('00000000-0000-0000-0000-0000000000bb', 'bug', 'customer', '00000000-0000-0000-0000-00000000000b', 'B''s', 'x');

-- == An org owner works it ==

SET LOCAL ROLE org_owner;
SELECT set_config('request.jwt.claims', '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a", "sub": "00000000-0000-0000-0000-0000000000a1"}', true);
SELECT is(api.assign_report(:'report', '00000000-0000-0000-0000-0000000000a2') ->> 'assigned_to',
          '00000000-0000-0000-0000-0000000000a2', 'an org owner assigns a report to someone of the organization');
SELECT throws_like($$SELECT api.assign_report('$$ || :'report' || $$', '00000000-0000-0000-0000-0000000000b1')$$,
                   '%"code" : "QN803"%', 'not to someone of another organization (404)');
SELECT is(api.update_report_status(:'report', 'in_progress') ->> 'status', 'in_progress', 'open -> in_progress');
SELECT is(api.update_report_status(:'report', 'pending_info', 'Which browser?') ->> 'status', 'pending_info',
          'in_progress -> pending_info');
SELECT is(api.update_report_status(:'report', 'resolved', 'Fixed in 2.4.1') ->> 'resolution_notes', 'Fixed in 2.4.1',
          'resolved, with resolution notes');
SELECT is((SELECT resolved_at FROM app.user_error_reports WHERE id = :'report'), now(), 'resolving sets resolved_at');
SELECT throws_like($$SELECT api.update_report_status('$$ || :'report' || $$', 'in_progress')$$, '%"code" : "QS801"%',
                   'a resolved report goes back to work only when reopened (409)');
SELECT throws_like($$SELECT api.update_report_status('$$ || :'report' || $$', 'duplicate')$$, '%"code" : "QS801"%',
                   'a duplicate needs its original (mark_report_duplicate)');
SELECT throws_ok($$SELECT api.update_report_status('$$ || :'report' || $$', 'done')$$, 'QV001', NULL, 'an unknown status is invalid');
SELECT is(api.update_report_status(:'report', 'open') -> 'resolved_at', 'null'::jsonb, 'reopening clears resolved_at');
SELECT is(api.mark_report_duplicate(:'other', :'report') ->> 'duplicate_of', :'report', 'a report is marked a duplicate of another');
SELECT is((SELECT status::text FROM app.user_error_reports WHERE id = :'other'), 'duplicate', '... with the duplicate status');
SELECT throws_like($$SELECT api.mark_report_duplicate('$$ || :'report' || $$', '$$ || :'report' || $$')$$, '%"code" : "QS802"%',
                   'a report is no duplicate of itself');
SELECT throws_like($$SELECT api.mark_report_duplicate('00000000-0000-0000-0000-0000000000bb', '$$ || :'report' || $$')$$,
                   '%"code" : "QN801"%', 'another organization''s report is not found');
SELECT results_eq($$SELECT change, from_value, to_value, note, changed_by::text FROM api.report_history ORDER BY id$$,
  $$VALUES ('assigned_to', NULL, '00000000-0000-0000-0000-0000000000a2', NULL, '00000000-0000-0000-0000-0000000000a1'),
           ('status', 'open', 'in_progress', NULL, '00000000-0000-0000-0000-0000000000a1'),
           ('status', 'in_progress', 'pending_info', 'Which browser?', '00000000-0000-0000-0000-0000000000a1'),
           ('status', 'pending_info', 'resolved', 'Fixed in 2.4.1', '00000000-0000-0000-0000-0000000000a1'),
           ('status', 'resolved', 'open', NULL, '00000000-0000-0000-0000-0000000000a1'),
           ('status', 'open', 'duplicate', NULL, '00000000-0000-0000-0000-0000000000a1'),
           ('duplicate_of', NULL, $$ || quote_literal(:'report') || $$, NULL, '00000000-0000-0000-0000-0000000000a1')$$,
  'every change is a history row: who, from, to, and the note');
SELECT is(api.report_detail(:'report') -> 'duplicates', jsonb_build_array(:'other'), 'the original lists its duplicates');
SELECT results_eq('SELECT title::text, assigned_to_email::text FROM api.report_queue ORDER BY title',
  $$VALUES ('Cannot pay', 'dev@a.test'), ('Same here', NULL)$$, 'the queue shows the organization''s reports with their assignee');

-- == Staff read, other owners see nothing ==

SELECT set_config('request.jwt.claims', '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000b", "sub": "00000000-0000-0000-0000-0000000000b1"}', true);
SELECT is((SELECT count(*)::int FROM api.report_queue WHERE organization_id = '00000000-0000-0000-0000-00000000000a'), 0,
          'another organization''s owner sees none of them');
SELECT throws_like($$SELECT api.update_report_status('$$ || :'report' || $$', 'closed')$$, '%"code" : "QN801"%',
                   '... and cannot work them (404)');
RESET ROLE;
SET LOCAL ROLE staff;
SELECT set_config('request.jwt.claims', '{"role": "staff", "org_id": "00000000-0000-0000-0000-00000000000a", "sub": "00000000-0000-0000-0000-0000000000a2"}', true);
SELECT is((SELECT count(*)::int FROM api.report_queue), 2, 'staff read their organization''s queue');
SELECT throws_like($$SELECT api.update_report_status('$$ || :'report' || $$', 'closed')$$, '%permission denied%',
                   'but do not work it');
RESET ROLE;

-- == The customer's status link ==

SET LOCAL ROLE anon;
SELECT is(api.report_status(:'token') ->> 'status', 'open', 'the customer''s status token shows the report''s current status');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
