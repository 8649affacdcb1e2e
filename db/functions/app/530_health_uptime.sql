-- Uptime maths over system_uptime intervals, the health summary and status page (with their
-- one-minute cache), and retention of raw checks.

-- == Uptime ==

CREATE OR REPLACE FUNCTION app._health_seconds(p_ranges tstzmultirange) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(sum(extract(epoch FROM upper(r) - lower(r))), 0) FROM unnest(p_ranges) r
$$;
COMMENT ON FUNCTION app._health_seconds(tstzmultirange) IS 'Total seconds covered by a multirange';

-- Time-weighted uptime of one monitor over [p_from, p_to). Intervals are clipped to the window
-- (an open one runs until now); maintenance (windows, and any interval with status maintenance)
-- is cut out of every status and so leaves numerator and denominator; time without an interval
-- (unknown: no data, probe broken, monitor disabled) is not observed either. Uptime corrections
-- (525_health_uptime_corrections.sql) apply: a false positive's range counts as operational, a
-- late maintenance window's or a probe bug's is left out like maintenance.
--   downtime = major_outage + partial_outage_weight x partial_outage + degraded_weight x degraded
--   uptime % = 100 x (1 - downtime / observed), observed = operational + degraded + partial + major
-- The weights are settings (defaults 0.3 and 0, as Statuspage and Instatus count them).
CREATE OR REPLACE FUNCTION app.health_uptime_breakdown(p_monitor_id bigint, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (
  uptime_percentage numeric, observed_seconds numeric, downtime_seconds numeric, operational_seconds numeric,
  degraded_seconds numeric, partial_outage_seconds numeric, major_outage_seconds numeric,
  maintenance_seconds numeric, unknown_seconds numeric
)
LANGUAGE sql STABLE AS $$
  WITH window_range AS (SELECT tstzrange(p_from, p_to) AS w),
  recorded AS (
    SELECT u.status, tstzrange(u.started_at, coalesce(u.ended_at, greatest(u.started_at, now()))) * wr.w AS r
      FROM app.system_uptime u, window_range wr
     WHERE u.monitor_id = p_monitor_id AND u.started_at < p_to AND coalesce(u.ended_at, 'infinity') > p_from
  ),
  corrections AS (
    SELECT c.kind, c.during * wr.w AS r
      FROM app.uptime_corrections c, window_range wr
     WHERE c.monitor_id = p_monitor_id AND c.during && wr.w
  ),
  false_positives AS (
    SELECT coalesce(range_agg(c.r), '{}'::tstzmultirange) AS mr FROM corrections c WHERE c.kind = 'false_positive'
  ),
  -- what was recorded, with the time of false positives turned operational
  intervals AS (
    SELECT i.status, x.r
      FROM recorded i, false_positives f,
           unnest(CASE WHEN i.status = 'maintenance' THEN multirange(i.r) ELSE multirange(i.r) - f.mr END) AS x (r)
    UNION ALL
    SELECT 'operational', x.r FROM recorded i, false_positives f, unnest(multirange(i.r) * f.mr) AS x (r)
     WHERE i.status <> 'maintenance'
  ),
  maintenance AS (
    SELECT coalesce(range_agg(x.r), '{}'::tstzmultirange) AS mr FROM (
      SELECT mw.during * wr.w AS r
        FROM app.health_maintenance_windows mw, window_range wr
       WHERE mw.monitor_id = p_monitor_id AND mw.during && wr.w
      UNION ALL
      SELECT c.r FROM corrections c WHERE c.kind IN ('late_maintenance', 'probe_bug')
      UNION ALL
      SELECT i.r FROM intervals i WHERE i.status = 'maintenance') x
  ),
  per_status AS (
    SELECT i.status, app._health_seconds(range_agg(i.r) - (SELECT m.mr FROM maintenance m)) AS seconds
      FROM intervals i WHERE i.status <> 'maintenance' GROUP BY i.status
  ),
  totals AS (
    SELECT coalesce(sum(p.seconds) FILTER (WHERE p.status = 'operational'), 0) AS operational,
           coalesce(sum(p.seconds) FILTER (WHERE p.status = 'degraded'), 0) AS degraded,
           coalesce(sum(p.seconds) FILTER (WHERE p.status = 'partial_outage'), 0) AS partial,
           coalesce(sum(p.seconds) FILTER (WHERE p.status = 'major_outage'), 0) AS major,
           (SELECT app._health_seconds(m.mr) FROM maintenance m) AS maintenance,
           extract(epoch FROM p_to - p_from) AS window_seconds,
           coalesce(app.health_setting_number('partial_outage_weight'), 0.3) AS partial_weight,
           coalesce(app.health_setting_number('degraded_weight'), 0) AS degraded_weight
      FROM per_status p
  ),
  summed AS (
    SELECT t.*, t.operational + t.degraded + t.partial + t.major AS observed,
           t.major + t.partial_weight * t.partial + t.degraded_weight * t.degraded AS downtime
      FROM totals t
  )
  SELECT CASE WHEN s.observed > 0 THEN round(100 * (1 - s.downtime / s.observed), 4) END,
         s.observed, s.downtime, s.operational, s.degraded, s.partial, s.major, s.maintenance,
         greatest(s.window_seconds - s.observed - s.maintenance, 0)
    FROM summed s
$$;
COMMENT ON FUNCTION app.health_uptime_breakdown(bigint, timestamptz, timestamptz) IS $$Time-weighted uptime of a monitor over a window, with seconds per status.

downtime = major_outage + partial_outage_weight (0.3) x partial_outage + degraded_weight (0) x degraded;
uptime % = 100 x (1 - downtime / observed). Maintenance and unknown time are excluded from both.$$;
GRANT EXECUTE ON FUNCTION app.health_uptime_breakdown(bigint, timestamptz, timestamptz), app._health_seconds(tstzmultirange)
  TO staff, org_owner, system_admin;

-- The monitor a caller means by a service name: their organization's, else the platform-wide one
-- (row-level security decides which they may see).
CREATE OR REPLACE FUNCTION app.health_visible_monitor_id(p_service_name text) RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT m.id FROM app.health_monitors m
   WHERE m.service_name = p_service_name
   ORDER BY m.organization_id IS NOT DISTINCT FROM app.current_org_id() DESC, m.organization_id NULLS FIRST
   LIMIT 1
$$;
COMMENT ON FUNCTION app.health_visible_monitor_id(text) IS 'The monitor of a service name as the caller sees it (own organization first, then platform-wide)';
GRANT EXECUTE ON FUNCTION app.health_visible_monitor_id(text) TO staff, org_owner, system_admin;

-- Daily bars (UTC days, oldest first, today so far last): each day's uptime and seconds per status,
-- for the status page and a monitor's page.
CREATE OR REPLACE FUNCTION app.health_daily_bars(p_monitor_id bigint, p_days integer, p_now timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_agg(jsonb_build_object(
           'date', (d.day_start AT TIME ZONE 'UTC')::date, 'uptime_percentage', b.uptime_percentage,
           'observed_seconds', b.observed_seconds, 'degraded_seconds', b.degraded_seconds,
           'partial_outage_seconds', b.partial_outage_seconds, 'major_outage_seconds', b.major_outage_seconds,
           'maintenance_seconds', b.maintenance_seconds)
         || app.health_day_corrections(p_monitor_id, (d.day_start AT TIME ZONE 'UTC')::date) ORDER BY d.day_start)
    FROM (SELECT g AT TIME ZONE 'UTC' AS day_start
            FROM generate_series(date_trunc('day', p_now AT TIME ZONE 'UTC') - make_interval(days => p_days - 1),
                                 date_trunc('day', p_now AT TIME ZONE 'UTC'), interval '1 day') g) AS d
   CROSS JOIN LATERAL app.health_uptime_breakdown(p_monitor_id, d.day_start,
                                                  least(d.day_start + interval '1 day', p_now)) AS b
$$;
COMMENT ON FUNCTION app.health_daily_bars(bigint, integer, timestamptz) IS
  'A monitor''s last p_days UTC days: uptime and seconds per status each (oldest first)';
GRANT EXECUTE ON FUNCTION app.health_daily_bars(bigint, integer, timestamptz) TO staff, org_owner, system_admin;

-- == Summary (the spec's get_health_summary, cached one minute) ==

CREATE OR REPLACE FUNCTION app.health_summary_entry(p_monitor_id bigint, p_now timestamptz DEFAULT now()) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'monitor_id', m.id, 'organization_id', m.organization_id, 'service_name', m.service_name,
    'display_name', m.display_name, 'check_type', m.check_type, 'enabled', m.enabled,
    'status', s.status, 'status_since', s.status_since,
    'last_status', s.last_status, 'last_checked_at', s.last_checked_at, 'response_time_ms', s.last_response_time_ms,
    'in_maintenance', EXISTS (SELECT FROM app.health_maintenance_windows w WHERE w.monitor_id = m.id AND w.during @> p_now),
    'uptime_24h', (SELECT b.uptime_percentage FROM app.health_uptime_breakdown(m.id, p_now - interval '24 hours', p_now) b),
    'uptime_30d', (SELECT b.uptime_percentage FROM app.health_uptime_breakdown(m.id, p_now - interval '30 days', p_now) b),
    'last_error', (SELECT jsonb_build_object('message', c.error_message, 'status', c.status, 'checked_at', c.checked_at)
                     FROM app.health_checks c
                    WHERE c.monitor_id = m.id AND c.status <> 'healthy' AND c.checked_at <= p_now
                    ORDER BY c.checked_at DESC LIMIT 1))
  FROM app.health_monitors m JOIN app.health_monitor_state s ON s.monitor_id = m.id
  WHERE m.id = p_monitor_id
$$;
COMMENT ON FUNCTION app.health_summary_entry(bigint, timestamptz) IS 'One service of the health summary: state, latest check, uptime 24 h and 30 d, latest failed check';
GRANT EXECUTE ON FUNCTION app.health_summary_entry(bigint, timestamptz) TO staff, org_owner, system_admin;

-- Cached entries younger than summary_cache_seconds are served as they are; the others are
-- computed now (pg_cron refreshes the cache each minute, so that is rare).
CREATE OR REPLACE FUNCTION app.health_summary(p_now timestamptz DEFAULT now()) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  WITH ttl AS (SELECT make_interval(secs => coalesce(app.health_setting_number('summary_cache_seconds'), 60)) AS age),
  entries AS (
    SELECT CASE WHEN c.computed_at > p_now - ttl.age THEN c.summary ELSE app.health_summary_entry(m.id, p_now) END AS entry,
           CASE WHEN c.computed_at > p_now - ttl.age THEN c.computed_at ELSE p_now END AS computed_at
      FROM app.health_monitors m CROSS JOIN ttl
      LEFT JOIN app.health_summary_cache c ON c.monitor_id = m.id
  )
  SELECT jsonb_build_object(
    'overall_status', app.health_overall_status(coalesce(array_agg((e.entry ->> 'status')::app.health_status_enum)
                        FILTER (WHERE (e.entry ->> 'enabled')::boolean AND NOT (e.entry ->> 'in_maintenance')::boolean), '{}')),
    'computed_at', coalesce(min(e.computed_at), p_now),
    'services', coalesce(jsonb_agg(e.entry ORDER BY e.entry ->> 'organization_id' NULLS FIRST, (e.entry ->> 'monitor_id')::bigint),
                         '[]'::jsonb))
  FROM entries e
$$;
COMMENT ON FUNCTION app.health_summary(timestamptz) IS 'The health summary of the monitors the caller may see, from the one-minute cache where fresh';
GRANT EXECUTE ON FUNCTION app.health_summary(timestamptz) TO staff, org_owner, system_admin;

-- == Status page ==

CREATE OR REPLACE FUNCTION app.health_status_page_build(p_now timestamptz DEFAULT now()) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  WITH components AS (
    SELECT m.id, m.service_name, m.display_name,
           CASE WHEN EXISTS (SELECT FROM app.health_maintenance_windows w WHERE w.monitor_id = m.id AND w.during @> p_now)
                THEN 'maintenance'::app.uptime_status_enum
                ELSE app.health_uptime_status(s.status, m.outage_status) END AS status
      FROM app.health_monitors m JOIN app.health_monitor_state s ON s.monitor_id = m.id
     WHERE m.organization_id IS NULL AND m.is_public AND m.enabled
  ),
  bars AS (
    SELECT c.id, app.health_daily_bars(c.id, 90, p_now) AS days FROM components c
  ),
  windows AS (
    SELECT c.id, w90.uptime_percentage AS uptime_90d, w30.downtime_seconds AS downtime_30d, w30.observed_seconds AS observed_30d
      FROM components c
     CROSS JOIN LATERAL app.health_uptime_breakdown(c.id, p_now - interval '90 days', p_now) w90
     CROSS JOIN LATERAL app.health_uptime_breakdown(c.id, p_now - interval '30 days', p_now) w30
  ),
  incident AS (
    SELECT jsonb_build_object('service', c.service_name, 'name', c.display_name, 'status', u.status,
             'started_at', u.started_at, 'ended_at', u.ended_at,
             'duration_seconds', coalesce(u.duration_seconds, round(extract(epoch FROM p_now - u.started_at)))) AS last
      FROM app.system_uptime u JOIN components c ON c.id = u.monitor_id
     WHERE u.status IN ('partial_outage', 'major_outage') AND u.started_at <= p_now
     ORDER BY u.started_at DESC LIMIT 1
  ),
  overall AS (
    SELECT CASE WHEN bool_or(c.status = 'major_outage') THEN 'critical'
                WHEN bool_or(c.status = 'partial_outage') THEN 'major'
                WHEN bool_or(c.status = 'degraded') THEN 'minor'
                WHEN bool_or(c.status = 'maintenance') THEN 'maintenance'
                WHEN bool_or(c.status = 'operational') THEN 'none'
                ELSE 'unknown' END AS indicator
      FROM components c
  )
  SELECT jsonb_build_object(
    'generated_at', p_now,
    'status', jsonb_build_object('indicator', o.indicator, 'description', CASE o.indicator
        WHEN 'critical' THEN 'Major System Outage' WHEN 'major' THEN 'Partial System Outage'
        WHEN 'minor' THEN 'Degraded Performance' WHEN 'maintenance' THEN 'Service Under Maintenance'
        WHEN 'none' THEN 'All Systems Operational' ELSE 'Status Unknown' END),
    'uptime_30d', (SELECT CASE WHEN sum(w.observed_30d) > 0 THEN round(100 * (1 - sum(w.downtime_30d) / sum(w.observed_30d)), 4) END
                     FROM windows w),
    'last_incident', (SELECT i.last FROM incident i),
    'method', jsonb_build_object(
      'uptime', 'time-weighted over status intervals; maintenance and time without data are excluded',
      'downtime', 'major_outage + partial_outage_weight x partial_outage + degraded_weight x degraded',
      'partial_outage_weight', coalesce(app.health_setting_number('partial_outage_weight'), 0.3),
      'degraded_weight', coalesce(app.health_setting_number('degraded_weight'), 0),
      'days', 'UTC'),
    'components', coalesce((
      SELECT jsonb_agg(jsonb_build_object('service', c.service_name, 'name', c.display_name, 'status', c.status,
                                          'uptime_90d', w.uptime_90d, 'days', b.days) ORDER BY c.id)
        FROM components c JOIN bars b ON b.id = c.id JOIN windows w ON w.id = c.id), '[]'::jsonb))
  FROM overall o
$$;
COMMENT ON FUNCTION app.health_status_page_build(timestamptz) IS 'The public status page document: components, overall status, uptime, last incident, 90 daily bars';

-- == Cache refresh (pg_cron, every minute) ==

CREATE OR REPLACE FUNCTION app.health_refresh_cache(p_now timestamptz DEFAULT now()) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_count integer;
BEGIN
  INSERT INTO app.health_summary_cache AS c (monitor_id, organization_id, summary, computed_at)
  SELECT m.id, m.organization_id, app.health_summary_entry(m.id, p_now), p_now FROM app.health_monitors m
  ON CONFLICT (monitor_id) DO UPDATE
    SET organization_id = excluded.organization_id, summary = excluded.summary, computed_at = excluded.computed_at;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  INSERT INTO app.health_status_page_cache AS c (singleton, payload, computed_at)
  VALUES (true, app.health_status_page_build(p_now), p_now)
  ON CONFLICT (singleton) DO UPDATE SET payload = excluded.payload, computed_at = excluded.computed_at;
  RETURN v_count;
END $$;
COMMENT ON FUNCTION app.health_refresh_cache(timestamptz) IS 'pg_cron each minute: recompute the summary entries and the status page';

CREATE OR REPLACE FUNCTION app.health_status_page(p_now timestamptz DEFAULT now()) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT coalesce(
    (SELECT c.payload FROM app.health_status_page_cache c
      WHERE c.computed_at > p_now - make_interval(secs => coalesce(app.health_setting_number('summary_cache_seconds'), 60))),
    app.health_status_page_build(p_now))
$$;
COMMENT ON FUNCTION app.health_status_page(timestamptz) IS 'The status page document, from the cache while fresh';
GRANT EXECUTE ON FUNCTION app.health_status_page(timestamptz) TO anon, staff, org_owner, system_admin;

-- == Retention (pg_cron, nightly) ==

CREATE OR REPLACE FUNCTION app.health_retention_run(p_now timestamptz DEFAULT now()) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_checks bigint;
  v_intervals bigint;
BEGIN
  DELETE FROM app.health_checks
   WHERE checked_at < p_now - make_interval(days => coalesce(app.health_setting_number('checks_retention_days'), 30)::integer);
  GET DIAGNOSTICS v_checks = ROW_COUNT;
  -- an open interval (ended_at NULL) is the current state: it stays however old
  DELETE FROM app.system_uptime
   WHERE ended_at < p_now - make_interval(days => coalesce(app.health_setting_number('uptime_retention_days'), 3650)::integer);
  GET DIAGNOSTICS v_intervals = ROW_COUNT;
  RETURN v_checks + v_intervals;
END $$;
COMMENT ON FUNCTION app.health_retention_run(timestamptz) IS
  'Delete health_checks older than checks_retention_days and ended system_uptime intervals older than uptime_retention_days; returns how many rows';
