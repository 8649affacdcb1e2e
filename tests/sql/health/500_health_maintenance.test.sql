-- Maintenance windows are changed and removed through the api (system admins only): times in the
-- one syntax, a value left out kept, the window still ending after it starts, codes for the rest.
BEGIN;
SELECT plan(10);

SELECT app.health_monitor_add('{"service_name": "billing", "check_type": "external", "target": {"url": "http://b"}}')
  AS billing \gset
SELECT app.health_maintenance_add(:billing, '2026-12-07 02:00Z', '2026-12-07 03:00Z', 'upgrade') AS window_id \gset

SET LOCAL ROLE system_admin;
SET LOCAL request.jwt.claims = '{"role": "system_admin"}';
SELECT lives_ok(format($$SELECT api.update_maintenance_window(%s, ends_at => '2026-12-07T04:00Z')$$, :window_id),
  'a system admin moves the end of a window');
SELECT is((SELECT (starts_at, ends_at, reason)::text FROM api.maintenance_windows WHERE id = :window_id),
  (SELECT ('2026-12-07 02:00Z'::timestamptz, '2026-12-07 04:00Z'::timestamptz, 'upgrade')::text),
  '... keeping its start and reason');
SELECT lives_ok(format($$SELECT api.update_maintenance_window(%s, starts_at => '+1h', ends_at => '+3h', reason => '')$$,
                       :window_id), 'relative times are read, an empty reason clears it');
SELECT is((SELECT (ends_at - starts_at, reason IS NULL)::text FROM api.maintenance_windows WHERE id = :window_id),
  '(02:00:00,t)', '... two hours from now on, without a reason');
SELECT throws_ok(format($$SELECT api.update_maintenance_window(%s, ends_at => 'soonish')$$, :window_id), 'QV001', NULL,
  'a time not understood is QV001 (not PostgreSQL''s 22007)');
SELECT throws_ok(format($$SELECT app.health_maintenance_edit(%s, NULL, now() - interval '1 day')$$, :window_id), 'QV501', NULL,
  'a window must still end after it starts');
SELECT throws_ok($$SELECT app.health_maintenance_edit(-1, NULL, NULL)$$, 'QN503', NULL, 'an unknown window is QN503');
SELECT throws_like($$SELECT api.delete_maintenance_window(-1)$$, '%"code" : "QN503"%',
  '... answered as a 404 over HTTP');
SELECT lives_ok(format($$SELECT api.delete_maintenance_window(%s)$$, :window_id), 'a window is deleted');
RESET ROLE;
SET LOCAL ROLE org_owner;
SELECT throws_ok($$SELECT api.delete_maintenance_window(1)$$, '42501', NULL, 'org owners cannot delete windows');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
