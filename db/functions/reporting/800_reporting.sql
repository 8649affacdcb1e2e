-- The reporting schema: read-only history for Grafana, Metabase or psql, read by the login
-- pgwarden_reader (db/schema/800_reporting.sql) on the primary or on a streaming replica. It holds
-- only views and the functions behind them, so it is rebuilt on every `pgwarden db apply`, like api.
--
-- Unlike api's views, these run with their owner's rights: pgwarden_reader sees every organization
-- (an operator's view; each row names its organization_id) and needs no privilege on app. Only
-- pgwarden_reader may read them (tests/sql/_lint/030_reporting_reader.test.sql). Hours and days are
-- UTC. Nothing here names a person: no messages' users, recipients or addresses.

DROP SCHEMA IF EXISTS reporting CASCADE;
CREATE SCHEMA reporting;
COMMENT ON SCHEMA reporting IS $$pgwarden history for dashboards (Grafana, Metabase, psql): read-only views over every organization, for the login pgwarden_reader$$;
GRANT USAGE ON SCHEMA reporting TO pgwarden_reader;

-- == Tenants ==

CREATE VIEW reporting.organizations AS
  SELECT o.id AS organization_id, o.name, o.created_at FROM app.organizations o;
COMMENT ON VIEW reporting.organizations IS 'Organizations (a Grafana variable: SELECT name AS __text, organization_id AS __value)';

CREATE VIEW reporting.projects AS
  SELECT p.id AS project_id, p.organization_id, p.name, p.created_at FROM app.projects p;
COMMENT ON VIEW reporting.projects IS 'Projects (ingest endpoints) of each organization';

-- == Errors ==

-- From the rollups (db/schema/360_stats_rollups.sql): the hours and days folded so far, plus the
-- minute rows from the watermark on (the bucket holding the watermark is partial in the rollup);
-- a rollup row is one group's events in its bucket.
CREATE VIEW reporting.errors_per_hour AS
  SELECT c.organization_id, c.bucket AS hour, sum(c.event_count)::bigint AS events, count(DISTINCT c.error_hash) AS groups
    FROM (SELECT h.organization_id, h.bucket, h.error_hash, h.event_count FROM app.error_metrics_hourly h
          UNION ALL
          SELECT m.organization_id, date_trunc('hour', m.bucket, 'UTC'), m.error_hash, m.event_count
            FROM app.error_metrics m WHERE m.bucket >= (SELECT r.folded_until FROM app.error_rollup r)) AS c
   GROUP BY c.organization_id, c.bucket;
COMMENT ON VIEW reporting.errors_per_hour IS 'Error events stored per organization and hour (UTC), and how many groups they fell into';
COMMENT ON COLUMN reporting.errors_per_hour.groups IS 'Distinct error groups with events in the hour';

CREATE VIEW reporting.errors_per_day AS
  SELECT c.organization_id, c.bucket AS day, sum(c.event_count)::bigint AS events, count(DISTINCT c.error_hash) AS groups
    FROM (SELECT d.organization_id, d.bucket, d.error_hash, d.event_count FROM app.error_metrics_daily d
          UNION ALL
          SELECT m.organization_id, date_trunc('day', m.bucket, 'UTC'), m.error_hash, m.event_count
            FROM app.error_metrics m WHERE m.bucket >= (SELECT r.folded_until FROM app.error_rollup r)) AS c
   GROUP BY c.organization_id, c.bucket;
COMMENT ON VIEW reporting.errors_per_day IS 'Error events stored per organization and day (UTC), and how many groups they fell into';
COMMENT ON COLUMN reporting.errors_per_day.groups IS 'Distinct error groups with events in the day';

CREATE VIEW reporting.error_groups AS
  SELECT s.id AS error_id, s.organization_id, s.error_hash, s.error_type, s.severity, s.status, s.message,
         s.component, s.occurrence_count, s.first_seen_at, s.last_seen_at, s.resolved_at
    FROM app.system_errors s;
COMMENT ON VIEW reporting.error_groups IS 'Every error group (one row per organization and fingerprint), its state and counts; messages are scrubbed';

CREATE VIEW reporting.top_groups AS
  WITH recent AS (
    SELECT m.organization_id, m.error_hash,
           sum(m.event_count) FILTER (WHERE m.bucket >= now() - interval '1 hour')::bigint AS events_last_hour,
           sum(m.event_count) FILTER (WHERE m.bucket >= now() - interval '24 hours')::bigint AS events_last_24h,
           sum(m.event_count)::bigint AS events_last_7d
      FROM app.error_metrics m
     WHERE m.bucket >= now() - interval '7 days'
     GROUP BY m.organization_id, m.error_hash
  )
  SELECT s.organization_id, s.id AS error_id, s.error_type, s.severity, s.status, s.message,
         coalesce(r.events_last_hour, 0) AS events_last_hour, coalesce(r.events_last_24h, 0) AS events_last_24h,
         r.events_last_7d, s.occurrence_count, s.last_seen_at,
         rank() OVER (PARTITION BY s.organization_id ORDER BY coalesce(r.events_last_24h, 0) DESC,
                      r.events_last_7d DESC) AS rank_24h
    FROM recent r JOIN app.system_errors s ON s.organization_id = r.organization_id AND s.error_hash = r.error_hash;
COMMENT ON VIEW reporting.top_groups IS 'Error groups with events in the last 7 days, their events in the last hour, 24 hours and 7 days, ranked per organization by the last 24 hours';

CREATE VIEW reporting.refusals_per_hour AS
  SELECT u.organization_id, date_trunc('hour', u.minute, 'UTC') AS hour, 'rate_limit' AS reason,
         sum(u.refused)::bigint AS refused
    FROM app.rate_limit_usage u WHERE u.refused > 0
   GROUP BY u.organization_id, date_trunc('hour', u.minute, 'UTC')
  UNION ALL
  SELECT r.organization_id, date_trunc('hour', r.minute, 'UTC'), r.reason, sum(r.requests)::bigint
    FROM app.ingest_refusals r
   GROUP BY r.organization_id, date_trunc('hour', r.minute, 'UTC'), r.reason;
COMMENT ON VIEW reporting.refusals_per_hour IS 'What ingest refused per organization and hour: events over the rate limit (rate_limit), requests over a size limit (too_large)';

-- == Health ==

-- Uptime per monitor and UTC day over [p_from, p_to), each day computed by app.health_uptime_breakdown
-- (the one place uptime is defined: weights, maintenance, unknown time). As the view's owner, so
-- pgwarden_reader needs no privilege on app.
CREATE OR REPLACE FUNCTION reporting.uptime_per_day_between(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (organization_id uuid, service_name text, display_name text, day timestamptz, uptime_percentage numeric,
               observed_seconds numeric, downtime_seconds numeric, maintenance_seconds numeric, unknown_seconds numeric)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, app, pg_temp AS $$
  SELECT m.organization_id, m.service_name::text, m.display_name::text, d.day, b.uptime_percentage, b.observed_seconds,
         b.downtime_seconds, b.maintenance_seconds, b.unknown_seconds
    FROM app.health_monitors m
   CROSS JOIN LATERAL generate_series(date_trunc('day', greatest(p_from, m.created_at), 'UTC'),
                                      least(p_to, now()), interval '1 day') AS d (day)
   CROSS JOIN LATERAL app.health_uptime_breakdown(m.id, d.day, least(d.day + interval '1 day', now())) AS b
   WHERE d.day < least(p_to, now())
   ORDER BY m.organization_id NULLS FIRST, m.service_name, d.day
$$;
COMMENT ON FUNCTION reporting.uptime_per_day_between(timestamptz, timestamptz) IS
  'Uptime per monitor and UTC day in a range (Grafana: uptime_per_day_between($__timeFrom(), $__timeTo()))';
GRANT EXECUTE ON FUNCTION reporting.uptime_per_day_between(timestamptz, timestamptz) TO pgwarden_reader;

CREATE VIEW reporting.uptime_per_day AS
  SELECT * FROM reporting.uptime_per_day_between(date_trunc('day', now(), 'UTC') - interval '30 days', now());
COMMENT ON VIEW reporting.uptime_per_day IS 'Uptime per monitor (service) and UTC day over the last 30 days; today so far; NULL where nothing was observed';
COMMENT ON COLUMN reporting.uptime_per_day.organization_id IS 'NULL: a platform-wide monitor';
COMMENT ON COLUMN reporting.uptime_per_day.uptime_percentage IS '100 x (1 - downtime / observed); partial outages count 0.3, maintenance is excluded';

CREATE VIEW reporting.outages AS
  SELECT u.organization_id, u.service_name::text AS service_name, u.status, u.started_at, u.ended_at,
         extract(epoch FROM coalesce(u.ended_at, now()) - u.started_at)::bigint AS duration_seconds
    FROM app.system_uptime u WHERE u.status <> 'operational';
COMMENT ON VIEW reporting.outages IS 'Every stretch a monitor was not operational (degraded, partial or major outage, maintenance); ended_at NULL: still going';

CREATE VIEW reporting.health_checks_per_hour AS
  SELECT c.organization_id, c.service_name::text AS service_name, date_trunc('hour', c.checked_at, 'UTC') AS hour,
         c.status, count(*) AS checks, round(avg(c.response_time_ms))::integer AS avg_response_ms,
         max(c.response_time_ms) AS max_response_ms
    FROM app.health_checks c
   GROUP BY c.organization_id, c.service_name, date_trunc('hour', c.checked_at, 'UTC'), c.status;
COMMENT ON VIEW reporting.health_checks_per_hour IS 'Probe results per service, hour (UTC) and status, with response times';

-- == Alerts ==

CREATE VIEW reporting.incidents AS
  SELECT i.id AS incident_id, i.organization_id, i.alert_type, i.severity, i.status, i.title, i.service, i.is_test,
         i.started_at, i.resolved_at,
         extract(epoch FROM coalesce(i.resolved_at, now()) - i.started_at)::bigint AS duration_seconds,
         i.notifications_sent
    FROM app.alert_incidents i;
COMMENT ON VIEW reporting.incidents IS 'Alert incidents (one problem, notified as one): when they started and resolved, and how many notices went out';
COMMENT ON COLUMN reporting.incidents.organization_id IS 'NULL: platform-wide (a platform monitor)';

CREATE VIEW reporting.deliveries AS
  SELECT d.id AS delivery_id, d.organization_id, d.incident_id, d.rule_id, d.channel, d.status, d.attempts,
         d.last_status_code, d.created_at, d.delivered_at,
         extract(epoch FROM d.delivered_at - d.created_at) AS seconds_to_deliver
    FROM app.alert_deliveries d;
COMMENT ON VIEW reporting.deliveries IS 'Alert deliveries (one notice to one destination) and their outcome; the recipient is not shown';

CREATE VIEW reporting.delivery_attempts_per_hour AS
  SELECT d.channel, date_trunc('hour', a.attempted_at, 'UTC') AS hour, a.outcome, count(*) AS attempts,
         round(avg(a.latency_ms))::integer AS avg_latency_ms
    FROM app.alert_delivery_attempts a JOIN app.alert_deliveries d ON d.id = a.delivery_id
   GROUP BY d.channel, date_trunc('hour', a.attempted_at, 'UTC'), a.outcome;
COMMENT ON VIEW reporting.delivery_attempts_per_hour IS 'Delivery attempts per channel, hour (UTC) and outcome (delivered, retry, failed)';

GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO pgwarden_reader;
