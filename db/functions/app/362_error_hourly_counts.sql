-- Events per hour of a few error groups: the errors list's sparklines, an error's page and its
-- events of the last 24 hours (app.error_detail).

-- The hourly rollup for the hours the fold has covered and the minute rows after its watermark,
-- so the counts are exact and current while reading a few rows per group and hour (an index on
-- the rollup led by the group; the minute rows are indexed by time, which for a day of a busy
-- organization means hundreds of thousands of rows). Buckets are UTC hours (app.stats_bucket_start).
CREATE OR REPLACE FUNCTION app.error_hourly_counts(p_organization_ids uuid[], p_error_hashes text[], p_hours integer)
RETURNS TABLE (organization_id uuid, error_hash text, bucket timestamptz, events bigint)
LANGUAGE sql STABLE AS $$
  WITH span AS (
    SELECT app.stats_bucket_start(interval '1 hour', now()) - make_interval(hours => p_hours - 1) AS start,
           (SELECT r.folded_until FROM app.error_rollup r) AS watermark
  ), groups AS (
    SELECT DISTINCT g.organization_id, g.error_hash FROM unnest(p_organization_ids, p_error_hashes) AS g (organization_id, error_hash)
  )
  SELECT c.organization_id, c.error_hash, c.bucket, sum(c.events)::bigint
    FROM (SELECT h.organization_id, h.error_hash::text, h.bucket, h.event_count AS events
            FROM groups g CROSS JOIN span
            JOIN app.error_metrics_hourly h ON h.organization_id = g.organization_id AND h.error_hash = g.error_hash
                                           AND h.bucket >= span.start
          UNION ALL
          SELECT m.organization_id, m.error_hash::text, app.stats_bucket_start(interval '1 hour', m.bucket), m.event_count
            FROM span CROSS JOIN groups g
            JOIN app.error_metrics m ON m.organization_id = g.organization_id AND m.error_hash = g.error_hash
                                    AND m.bucket >= greatest(span.start, span.watermark)) AS c
   GROUP BY 1, 2, 3
$$;
COMMENT ON FUNCTION app.error_hourly_counts(uuid[], text[], integer) IS
  'Events per UTC hour of the given groups over the last p_hours hours (the current one included), exact: rollup plus minutes after the fold';
GRANT EXECUTE ON FUNCTION app.error_hourly_counts(uuid[], text[], integer) TO staff, org_owner, system_admin;
