-- Auditable uptime: a correction says who, why and which range; it changes exactly the UTC days it
-- covers, keeps each one's figures before and after (its lineage), and the status page shows the
-- corrected figures marked as corrected.
BEGIN;
SELECT plan(12);

UPDATE app.health_monitors SET enabled = false;  -- the seeds stay out of the way
SELECT date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS d \gset
SELECT app.health_monitor_add('{"service_name": "ledger", "display_name": "Ledger", "check_type": "external",
  "target": {"url": "http://ledger.test"}}') AS ledger \gset

-- five days: down from 22:00 three days ago until 02:00 the day after, and 10:00-11:00 yesterday
INSERT INTO app.system_uptime (service_name, status, started_at, ended_at, monitor_id) VALUES
  ('ledger', 'operational', :'d'::timestamptz - interval '5 days', :'d'::timestamptz - interval '2 days 2 hours', :ledger),
  ('ledger', 'major_outage', :'d'::timestamptz - interval '2 days 2 hours', :'d'::timestamptz - interval '1 day 22 hours', :ledger),
  ('ledger', 'operational', :'d'::timestamptz - interval '1 day 22 hours', :'d'::timestamptz - interval '14 hours', :ledger),
  ('ledger', 'major_outage', :'d'::timestamptz - interval '14 hours', :'d'::timestamptz - interval '13 hours', :ledger),
  ('ledger', 'operational', :'d'::timestamptz - interval '13 hours', NULL, :ledger);

CREATE TEMP TABLE bars_before AS
  SELECT b ->> 'date' AS day, b AS bar FROM jsonb_array_elements(app.health_daily_bars(:ledger, 6)) b;
SELECT results_eq($$SELECT (bar ->> 'uptime_percentage')::numeric FROM bars_before ORDER BY day$$,
  $$VALUES (100::numeric), (100), (91.6667), (91.6667), (95.8333), (100)$$, 'the recorded days: two hours down twice, one hour once');

SELECT throws_ok(format($$SELECT app.uptime_correct(%s, 'mistake', now() - interval '1 hour', now(), 'x', 'me')$$, :ledger),
  'QV535', NULL, 'a correction is a false positive, a late maintenance window or a probe bug');
SELECT throws_ok(format($$SELECT app.uptime_correct(%s, 'probe_bug', now() - interval '1 hour', now(), ' ', 'me')$$, :ledger),
  'QV535', NULL, '... and says why');
SELECT throws_ok($$SELECT app.uptime_correct(-1, 'probe_bug', now() - interval '1 hour', now(), 'why', 'me')$$,
  'QN501', NULL, '... of a monitor that exists');

-- == the outage across midnight was a false positive ==

SELECT app.uptime_correct(:ledger, 'false_positive', :'d'::timestamptz - interval '2 days 2 hours',
                          :'d'::timestamptz - interval '1 day 22 hours', 'the probe host lost its route', 'ops@example.test')
  AS fp \gset
SELECT results_eq(format($$SELECT day::text, (previous ->> 'uptime_percentage')::numeric, (corrected ->> 'uptime_percentage')::numeric
                             FROM app.uptime_correction_days WHERE correction_id = %s ORDER BY day$$, :fp),
  format($$VALUES ('%s', 91.6667, 100::numeric), ('%s', 91.6667, 100::numeric)$$,
         (:'d'::timestamptz - interval '3 days')::date, (:'d'::timestamptz - interval '2 days')::date),
  'its lineage: exactly the two days it covers, each with the figure before and after');
SELECT is((SELECT author || ': ' || reason FROM app.uptime_corrections WHERE id = :fp),
  'ops@example.test: the probe host lost its route', 'who and why are kept');

CREATE TEMP TABLE bars_after AS
  SELECT b ->> 'date' AS day, b AS bar FROM jsonb_array_elements(app.health_daily_bars(:ledger, 6)) b;
SELECT results_eq($$SELECT a.day FROM bars_after a JOIN bars_before b USING (day) WHERE a.bar <> b.bar ORDER BY 1$$,
  format($$VALUES ('%s'), ('%s')$$, (:'d'::timestamptz - interval '3 days')::date, (:'d'::timestamptz - interval '2 days')::date),
  'only those two days'' bars changed');
SELECT results_eq($$SELECT (bar ->> 'uptime_percentage')::numeric, bar -> 'corrections' -> 0 ->> 'kind',
                           (bar -> 'corrections' -> 0 ->> 'previous_uptime_percentage')::numeric
                      FROM bars_after WHERE bar ? 'corrections' ORDER BY day$$,
  $$VALUES (100::numeric, 'false_positive', 91.6667), (100, 'false_positive', 91.6667)$$,
  'a corrected day shows the corrected figure, what corrected it and the figure before');
SELECT results_eq(format($$SELECT * FROM app.health_uptime_breakdown(%s, '%s'::timestamptz - interval '5 days', '%s')$$,
                         :ledger, :'d', :'d'),
  $$VALUES (99.1667, 432000::numeric, 3600::numeric, 428400::numeric, 0::numeric, 0::numeric, 3600::numeric, 0::numeric, 0::numeric)$$, 'the window sums see the correction too: only yesterday''s hour is down');

-- == yesterday's hour was maintenance, entered late ==

SELECT app.uptime_correct(:ledger, 'late_maintenance', :'d'::timestamptz - interval '14 hours',
                          :'d'::timestamptz - interval '13 hours', 'database upgrade, announced by mail', 'ops@example.test') AS late \gset
SELECT results_eq(format($$SELECT day::text, (corrected ->> 'uptime_percentage')::numeric, (corrected ->> 'maintenance_seconds')::numeric
                             FROM app.uptime_correction_days WHERE correction_id = %s$$, :late),
  format($$VALUES ('%s', 100::numeric, 3600::numeric)$$, (:'d'::timestamptz - interval '1 day')::date),
  'a late maintenance window: one day, its hour now maintenance');

-- == the public status page ==

SELECT is((SELECT count(*)::int FROM jsonb_array_elements(
             (SELECT c -> 'days' FROM jsonb_array_elements(app.health_status_page_build() -> 'components') c
               WHERE c ->> 'service' = 'ledger')) b WHERE b ? 'corrections'), 3,
  'the status page marks the three corrected days');
SELECT is((SELECT c ->> 'uptime_90d' FROM jsonb_array_elements(app.health_status_page_build() -> 'components') c
            WHERE c ->> 'service' = 'ledger'), '100.0000', 'and its uptime is the corrected one');

SELECT * FROM finish();
ROLLBACK;
