-- Prometheus metrics, computed here and served as text by pgwarden web (GET /metrics, one call of
-- app.metrics_snapshot per scrape). Counters are folded (db/schema/810_metrics.sql): pg_cron's
-- metrics-fold adds each closed stretch of minutes to app.metric_totals once, so a counter never
-- decreases when retention trims the rows it was counted from, and a scrape reads only the rows
-- since the last fold.

-- == Counters ==

-- Upper bounds of the latency histograms, in seconds (Prometheus's default buckets, stretched to
-- the minutes a probe or a paced delivery may wait).
CREATE OR REPLACE FUNCTION app._metrics_buckets() RETURNS TABLE (le text, bound double precision)
LANGUAGE sql IMMUTABLE AS $$
  SELECT b::text, b FROM unnest(ARRAY[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]::float8[]) b
  UNION ALL SELECT '+Inf', 'infinity'
$$;
COMMENT ON FUNCTION app._metrics_buckets() IS 'The le bounds of the latency histograms (seconds), +Inf last';

-- Every counter sample over the rows stamped in [p_from, p_to): what happened in that stretch. Summing
-- two adjacent stretches gives the same as one covering both, which is what folding relies on.
CREATE OR REPLACE FUNCTION app.metrics_counts(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (metric text, labels jsonb, value double precision)
LANGUAGE sql STABLE AS $$
  WITH samples (metric, labels, value) AS (
    -- events stored, per organization (refused ones and repeated client event ids are not)
    SELECT 'pgwarden_events_accepted_total', jsonb_build_object('organization_id', m.organization_id::text),
           sum(m.event_count)::float8
      FROM app.error_metrics m WHERE m.bucket >= p_from AND m.bucket < p_to
     GROUP BY m.organization_id
    UNION ALL
    SELECT 'pgwarden_events_refused_total',
           jsonb_build_object('organization_id', u.organization_id::text, 'reason', 'rate_limit'), sum(u.refused)::float8
      FROM app.rate_limit_usage u WHERE u.minute >= p_from AND u.minute < p_to AND u.refused > 0
     GROUP BY u.organization_id
    UNION ALL
    SELECT 'pgwarden_ingest_requests_refused_total',
           jsonb_build_object('organization_id', r.organization_id::text, 'reason', r.reason), sum(r.requests)::float8
      FROM app.ingest_refusals r WHERE r.minute >= p_from AND r.minute < p_to
     GROUP BY r.organization_id, r.reason
    UNION ALL
    SELECT 'pgwarden_jobs_finished_total', jsonb_build_object('kind', h.kind, 'state', h.state::text), count(*)::float8
      FROM app.job_history h WHERE h.finished_at >= p_from AND h.finished_at < p_to
     GROUP BY h.kind, h.state
    UNION ALL
    SELECT 'pgwarden_alert_delivery_attempts_total', jsonb_build_object('channel', d.channel, 'outcome', a.outcome),
           count(*)::float8
      FROM app.alert_delivery_attempts a JOIN app.alert_deliveries d ON d.id = a.delivery_id
     WHERE a.attempted_at >= p_from AND a.attempted_at < p_to
     GROUP BY d.channel, a.outcome
    UNION ALL
    SELECT 'pgwarden_health_checks_total',
           jsonb_build_object('service', c.service_name::text, 'organization_id', coalesce(c.organization_id::text, ''),
                              'status', c.status::text),
           count(*)::float8
      FROM app.health_checks c WHERE c.checked_at >= p_from AND c.checked_at < p_to
     GROUP BY c.service_name, c.organization_id, c.status
    UNION ALL
    -- job latency: waiting (due until claimed) and running (claimed until finished), per kind
    SELECT l.family || s.suffix, jsonb_build_object('kind', l.kind) || s.labels, s.value
      FROM (SELECT f.family, h.kind, array_agg(f.seconds) AS seconds
              FROM app.job_history h
             CROSS JOIN LATERAL (VALUES
               ('pgwarden_job_wait_seconds', greatest(extract(epoch FROM h.claimed_at - h.run_at), 0)::float8),
               ('pgwarden_job_run_seconds', greatest(extract(epoch FROM h.finished_at - h.claimed_at), 0)::float8))
               AS f (family, seconds)
             WHERE h.finished_at >= p_from AND h.finished_at < p_to AND h.claimed_at IS NOT NULL
             GROUP BY f.family, h.kind) AS l (family, kind, seconds)
     CROSS JOIN LATERAL (
       SELECT '_bucket', jsonb_build_object('le', b.le),
              (SELECT count(*) FROM unnest(l.seconds) x WHERE x <= b.bound)::float8
         FROM app._metrics_buckets() b
       UNION ALL SELECT '_count', '{}'::jsonb, cardinality(l.seconds)::float8
       UNION ALL SELECT '_sum', '{}'::jsonb, (SELECT sum(x) FROM unnest(l.seconds) x)) AS s (suffix, labels, value)
  )
  SELECT s.metric, s.labels, sum(s.value) FROM samples s GROUP BY s.metric, s.labels
$$;
COMMENT ON FUNCTION app.metrics_counts(timestamptz, timestamptz) IS
  'Counter and histogram samples over the rows stamped in [p_from, p_to): events, refusals, jobs, job latency, deliveries, probes';

-- pg_cron, each minute: add the minutes older than the lag to the totals, once.
CREATE OR REPLACE FUNCTION app.metrics_fold(p_now timestamptz DEFAULT now()) RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE
  v_state app.metric_fold_state;
  v_cutoff timestamptz;
BEGIN
  SELECT * INTO v_state FROM app.metric_fold_state FOR UPDATE;
  v_cutoff := date_trunc('minute', p_now - v_state.lag);
  IF v_cutoff <= v_state.folded_through THEN
    RETURN v_state.folded_through;
  END IF;
  INSERT INTO app.metric_totals AS t (metric, labels, value)
  SELECT c.metric, c.labels, c.value FROM app.metrics_counts(v_state.folded_through, v_cutoff) c
  ON CONFLICT (metric, labels) DO UPDATE SET value = t.value + excluded.value;
  UPDATE app.metric_fold_state s SET folded_through = v_cutoff;
  RETURN v_cutoff;
END $$;
COMMENT ON FUNCTION app.metrics_fold(timestamptz) IS
  'Fold the counter samples of minutes older than the lag into app.metric_totals (pg_cron, each minute); returns how far';

-- == The scrape ==

-- One statement, so the totals and the rows after folded_through come from one snapshot: a fold
-- committing meanwhile can neither count a minute twice nor drop it.
CREATE OR REPLACE FUNCTION app.metrics_snapshot()
RETURNS TABLE (family text, type text, help text, sample text, labels jsonb, value double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, app, pg_temp AS $$
  WITH families (family, type, help) AS (VALUES
    ('pgwarden_events_accepted', 'counter', 'Error events stored, per organization'),
    ('pgwarden_events_refused', 'counter', 'Error events refused, per organization and reason (rate_limit: over the organization''s per-minute limit)'),
    ('pgwarden_ingest_requests_refused', 'counter', 'Ingest requests refused before parsing, per organization and reason (too_large: body or item over its limit)'),
    ('pgwarden_jobs_finished', 'counter', 'Jobs finished, per kind and state (succeeded, dead)'),
    ('pgwarden_job_wait_seconds', 'histogram', 'Seconds a finished job waited from due to claimed, per kind'),
    ('pgwarden_job_run_seconds', 'histogram', 'Seconds a finished job ran from claimed to finished, per kind'),
    ('pgwarden_alert_delivery_attempts', 'counter', 'Alert delivery attempts, per channel and outcome (delivered, retry, failed)'),
    ('pgwarden_health_checks', 'counter', 'Health probe results, per service, organization (empty: platform) and status'),
    ('pgwarden_jobs', 'gauge', 'Jobs in the queue now, per kind and state (ready, scheduled, running)'),
    ('pgwarden_job_oldest_ready_seconds', 'gauge', 'Age of the oldest job ready to run, per kind (0: none waits)'),
    ('pgwarden_alert_deliveries_pending', 'gauge', 'Alert deliveries queued or retrying, per channel'),
    ('pgwarden_health_monitor_status', 'gauge', 'A monitor''s current status: 1 for the status it is in, 0 for the others'),
    ('pgwarden_health_monitor_response_seconds', 'gauge', 'Response time of a monitor''s last probe'),
    ('pgwarden_error_groups', 'gauge', 'Error groups, per organization and status'),
    ('pgwarden_organization', 'info', 'Organization names by id'),
    ('pgwarden_database_size_bytes', 'gauge', 'Size of the pgwarden database on disk'),
    ('pgwarden_replication_lag_seconds', 'gauge', 'Replay lag of each streaming replica, as the primary sees it'),
    ('pgwarden_metrics_folded_through_seconds', 'gauge', 'Unix time up to which counters are folded (pg_cron metrics-fold; stalls when pg_cron does)')
  ),
  counters AS (
    SELECT c.metric AS sample, c.labels, sum(c.value) AS value
      FROM (SELECT t.metric, t.labels, t.value FROM app.metric_totals t
            UNION ALL
            SELECT l.metric, l.labels, l.value
              FROM app.metric_fold_state s CROSS JOIN LATERAL app.metrics_counts(s.folded_through, 'infinity') l) c
     GROUP BY c.metric, c.labels
  ),
  jobs AS (SELECT * FROM app.job_stats()),
  monitors AS (
    SELECT m.service_name::text AS service, coalesce(m.organization_id::text, '') AS organization_id, s.status,
           s.last_response_time_ms
      FROM app.health_monitors m JOIN app.health_monitor_state s ON s.monitor_id = m.id
     WHERE m.enabled
  ),
  gauges (sample, labels, value) AS (
    SELECT 'pgwarden_jobs', jsonb_build_object('kind', j.kind, 'state', q.state), q.jobs::float8
      FROM jobs j CROSS JOIN LATERAL (VALUES ('ready', j.ready), ('scheduled', j.scheduled), ('running', j.running))
        AS q (state, jobs)
    UNION ALL
    SELECT 'pgwarden_job_oldest_ready_seconds', jsonb_build_object('kind', j.kind), coalesce(j.oldest_ready_seconds, 0)
      FROM jobs j
    UNION ALL
    SELECT 'pgwarden_alert_deliveries_pending', jsonb_build_object('channel', d.channel), count(*)::float8
      FROM app.alert_deliveries d WHERE d.status IN ('queued', 'retrying') GROUP BY d.channel
    UNION ALL
    SELECT 'pgwarden_health_monitor_status',
           jsonb_build_object('service', m.service, 'organization_id', m.organization_id, 'status', e.status::text),
           (m.status = e.status)::integer::float8
      FROM monitors m CROSS JOIN unnest(enum_range(NULL::app.health_status_enum)) AS e (status)
    UNION ALL
    SELECT 'pgwarden_health_monitor_response_seconds',
           jsonb_build_object('service', m.service, 'organization_id', m.organization_id), m.last_response_time_ms / 1000.0
      FROM monitors m WHERE m.last_response_time_ms IS NOT NULL
    UNION ALL
    SELECT 'pgwarden_error_groups', jsonb_build_object('organization_id', e.organization_id::text, 'status', e.status::text),
           count(*)::float8
      FROM app.system_errors e GROUP BY e.organization_id, e.status
    UNION ALL
    SELECT 'pgwarden_organization_info', jsonb_build_object('organization_id', o.id::text, 'name', o.name::text), 1
      FROM app.organizations o
    UNION ALL
    SELECT 'pgwarden_database_size_bytes', '{}'::jsonb, pg_database_size(current_database())::float8
    UNION ALL
    SELECT 'pgwarden_replication_lag_seconds', jsonb_build_object('replica', r.application_name::text),
           coalesce(extract(epoch FROM r.replay_lag), 0)::float8
      FROM pg_stat_replication r
    UNION ALL
    SELECT 'pgwarden_metrics_folded_through_seconds', '{}'::jsonb,
           CASE WHEN isfinite(s.folded_through) THEN extract(epoch FROM s.folded_through)::float8 ELSE 0 END
      FROM app.metric_fold_state s
  )
  SELECT f.family, f.type, f.help, s.sample, s.labels, s.value
    FROM (SELECT * FROM counters UNION ALL SELECT * FROM gauges) s
    JOIN families f ON s.sample IN (f.family, f.family || '_total', f.family || '_info', f.family || '_bucket',
                                    f.family || '_count', f.family || '_sum')
   ORDER BY f.family, s.sample, s.labels
$$;
COMMENT ON FUNCTION app.metrics_snapshot() IS
  'Every Prometheus sample: family, type, help, sample name, labels, value (GET /metrics renders it as text)';
GRANT EXECUTE ON FUNCTION app.metrics_snapshot() TO pgwarden_web;

-- == Refusals before parsing ==

-- pgwarden web's requests refused for their size, as it hands them to app.web_ingest:
-- {"project_id", "public_key", "refused": "too_large", "items": []}. Counted for the organization
-- only when the key is the project's (app.web_batch_of), so a stranger cannot inflate another
-- organization's count.
CREATE OR REPLACE FUNCTION app.ingest_refusals_record(p_requests app.web_request[]) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO app.ingest_refusals AS r (organization_id, minute, reason, requests)
  SELECT q.organization_id, date_trunc('minute', now()), q.refused, count(*)
    FROM unnest(p_requests) q
   WHERE q.error IS NULL AND q.refused = 'too_large'
   GROUP BY q.organization_id, q.refused
   ORDER BY q.organization_id
  ON CONFLICT (organization_id, minute, reason) DO UPDATE SET requests = r.requests + excluded.requests
$$;
DROP FUNCTION IF EXISTS app.ingest_refusals_record(jsonb, jsonb);  -- (it read the batch as JSON)
COMMENT ON FUNCTION app.ingest_refusals_record(app.web_request[]) IS
  'Count the requests of an ingest batch that pgwarden web refused before parsing, per organization and reason';
