-- What the web app's pages read in one call each where a page needs more than a view: an error's
-- detail, a monitor's page and the status page's history. Invoker rights (RLS decides) except
-- the public status history, which shows public platform-wide components only.

-- == Error detail ==

-- A group's stack as frames with in_app: the latest event's structured frames when the client
-- sent some, else the frames parsed from its stack trace text. In app as grouping reads it
-- (app.grouping_frames): the client's boolean; when any frame has one (an SDK decided), a frame
-- without one is not in app; else app.stack_frame_in_app of its path.
-- (Owner's rights: pure computation over its arguments, through the grouping's private helpers.)
CREATE OR REPLACE FUNCTION app.error_frames(p_frames jsonb, p_stack_trace text) RETURNS jsonb
LANGUAGE sql IMMUTABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT CASE WHEN jsonb_typeof(p_frames) = 'array' AND jsonb_array_length(p_frames) > 0
              THEN (SELECT jsonb_agg(f.frame || jsonb_build_object('in_app',
                             CASE WHEN jsonb_typeof(f.frame -> 'in_app') = 'boolean' THEN (f.frame ->> 'in_app')::boolean
                                  WHEN jsonb_path_exists(p_frames, '$[*] ? (@.in_app.type() == "boolean")') THEN false
                                  ELSE app.stack_frame_in_app(coalesce(nullif(f.frame ->> 'abs_path', ''), f.frame ->> 'filename'))
                             END) ORDER BY f.n)
                      FROM jsonb_array_elements(p_frames) WITH ORDINALITY AS f (frame, n)
                     WHERE jsonb_typeof(f.frame) = 'object')
              ELSE coalesce(app.parse_stack_trace(p_stack_trace), '[]') END
$$;
COMMENT ON FUNCTION app.error_frames(jsonb, text) IS 'Stack frames with in_app (oldest first): the client''s frames, else parsed from the trace text';

-- app.error_detail (the CLI's) plus what the page shows: its assignee and assignment history (by
-- e-mail address), the latest event's frames, events per hour over 7 days, the top values of
-- browser, os, device, url, release and environment among the latest events, and the latest
-- events with their (scrubbed) metadata.
CREATE OR REPLACE FUNCTION app.error_detail_page(p_error_id uuid, p_sample integer DEFAULT 2000) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_detail jsonb := app.error_detail(p_error_id);  -- QN001 for an error the caller cannot see
  v_organization_id uuid := (v_detail ->> 'organization_id')::uuid;
  v_error_hash text := v_detail ->> 'error_hash';
BEGIN
  RETURN v_detail || jsonb_build_object(
    'assignee', (SELECT jsonb_build_object('id', u.id, 'email', u.email, 'name', u.name) FROM app.users u
                  WHERE u.id = (v_detail ->> 'assigned_to')::uuid),
    'assignment_history', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                    'from', f.email, 'to', t.email, 'changed_by', b.email, 'changed_at', h.changed_at)
                                  ORDER BY h.changed_at, h.id), '[]')
                             FROM app.error_assignment_history h
                             LEFT JOIN app.users f ON f.id = h.from_user
                             LEFT JOIN app.users t ON t.id = h.to_user
                             LEFT JOIN app.users b ON b.id = h.changed_by
                            WHERE h.error_id = p_error_id),
    'frames', coalesce((SELECT app.error_frames(x.frames, coalesce(x.stack_trace, v_detail ->> 'stack_trace'))
                          FROM app.error_events x
                         WHERE x.organization_id = v_organization_id AND x.error_hash = v_error_hash
                         ORDER BY x.received_at DESC LIMIT 1),
                       app.error_frames(NULL, v_detail ->> 'stack_trace')),
    'series', (SELECT jsonb_agg(jsonb_build_object('bucket', b.hour, 'events', coalesce(c.events, 0)) ORDER BY b.hour)
                 FROM generate_series(app.stats_bucket_start(interval '1 hour', now()) - interval '167 hours',
                                      app.stats_bucket_start(interval '1 hour', now()), interval '1 hour') AS b (hour)
                 LEFT JOIN app.error_hourly_counts(ARRAY[v_organization_id], ARRAY[v_error_hash], 168) AS c
                        ON c.bucket = b.hour),
    'breakdowns', (WITH sample AS (
                     SELECT e.browser, e.os, e.device_type, e.url, e.release, e.environment
                       FROM app.error_events e
                      WHERE e.organization_id = v_organization_id AND e.error_hash = v_error_hash
                      ORDER BY e.received_at DESC LIMIT p_sample
                   ), counted AS (
                     SELECT d.dimension, d.value, count(*) AS events,
                            row_number() OVER (PARTITION BY d.dimension ORDER BY count(*) DESC, d.value) AS rank
                       FROM sample s
                      CROSS JOIN LATERAL (VALUES ('browser', s.browser), ('os', s.os), ('device', s.device_type),
                                                 ('url', s.url), ('release', s.release),
                                                 ('environment', s.environment)) AS d (dimension, value)
                      WHERE d.value IS NOT NULL
                      GROUP BY d.dimension, d.value
                   )
                   SELECT jsonb_build_object(
                     'sampled_events', (SELECT count(*) FROM sample),
                     'dimensions', coalesce((SELECT jsonb_object_agg(t.dimension, t.top)
                                               FROM (SELECT c.dimension, jsonb_agg(jsonb_build_object('value', c.value,
                                                            'events', c.events) ORDER BY c.rank) AS top
                                                       FROM counted c WHERE c.rank <= 5 GROUP BY c.dimension) AS t),
                                            '{}'))),
    'events', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                        'event_id', e.event_id, 'received_at', e.received_at, 'occurred_at', e.occurred_at,
                        'severity', e.severity, 'message', e.message, 'url', e.url, 'user_id', e.user_id,
                        'browser', e.browser, 'os', e.os, 'device_type', e.device_type, 'project_id', e.project_id,
                        'request_id', e.request_id, 'metadata', e.metadata) ORDER BY e.received_at DESC), '[]')
                 FROM (SELECT * FROM app.error_events x
                        WHERE x.organization_id = v_organization_id AND x.error_hash = v_error_hash
                        ORDER BY x.received_at DESC LIMIT 10) AS e));
END $$;
COMMENT ON FUNCTION app.error_detail_page(uuid, integer) IS
  'An error group for its page: detail, frames, hourly events over 7 days, top values among the latest events, latest events';

-- == A monitor's page ==

CREATE OR REPLACE FUNCTION app.health_monitor_page(p_monitor_id bigint, p_now timestamptz DEFAULT now()) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_monitor app.health_monitors;
BEGIN
  SELECT * INTO v_monitor FROM app.health_monitors m WHERE m.id = p_monitor_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'health monitor % not found', p_monitor_id USING ERRCODE = 'QN501',
      DETAIL = 'No monitor you may see has this id.', HINT = 'List monitors with GET /health_monitors.';
  END IF;
  RETURN jsonb_build_object(
    'monitor', to_jsonb(v_monitor) - 'heartbeat_token'
               -- targets may name internal addresses and secrets' variables: for those who edit them
               - CASE WHEN current_user IN ('staff', 'org_owner') THEN 'target' ELSE '' END,
    'summary', app.health_summary_entry(p_monitor_id, p_now),
    'uptime', (SELECT jsonb_object_agg(w.label, b.uptime_percentage)
                 FROM (VALUES ('24h', interval '24 hours'), ('7d', interval '7 days'), ('30d', interval '30 days'),
                              ('90d', interval '90 days')) AS w (label, span)
                CROSS JOIN LATERAL app.health_uptime_breakdown(p_monitor_id, p_now - w.span, p_now) AS b),
    'checks', (SELECT coalesce(jsonb_agg(jsonb_build_object('checked_at', c.checked_at, 'status', c.status,
                                                            'response_time_ms', c.response_time_ms) ORDER BY c.checked_at), '[]')
                 FROM (SELECT * FROM app.health_checks x
                        WHERE x.monitor_id = p_monitor_id AND x.checked_at > p_now - interval '24 hours'
                        ORDER BY x.checked_at DESC LIMIT 2000) AS c),
    'days', app.health_daily_bars(p_monitor_id, 90, p_now),
    'incidents', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                           'status', u.status, 'started_at', u.started_at, 'ended_at', u.ended_at,
                           'duration_seconds', coalesce(u.duration_seconds, round(extract(epoch FROM p_now - u.started_at))))
                         ORDER BY u.started_at DESC), '[]')
                    FROM (SELECT * FROM app.system_uptime x
                           WHERE x.monitor_id = p_monitor_id AND x.status <> 'operational'
                           ORDER BY x.started_at DESC LIMIT 20) AS u),
    'maintenance', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                             'id', w.id, 'starts_at', lower(w.during), 'ends_at', upper(w.during), 'reason', w.reason,
                             'active', w.during @> p_now) ORDER BY lower(w.during) DESC), '[]')
                      FROM (SELECT * FROM app.health_maintenance_windows x
                             WHERE x.monitor_id = p_monitor_id AND upper(x.during) > p_now - interval '90 days'
                             ORDER BY lower(x.during) DESC LIMIT 20) AS w));
END $$;
COMMENT ON FUNCTION app.health_monitor_page(bigint, timestamptz) IS
  'A monitor for its page: settings, summary, uptime 24 h to 90 d, checks of 24 h, 90 daily bars, incidents, maintenance';

-- == The public status page's history ==

-- Public platform-wide components only (those the status page shows): maintenance now and
-- planned, and incidents (time not operational) of the last 90 days, newest first.
CREATE OR REPLACE FUNCTION app.health_status_history(p_now timestamptz DEFAULT now()) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  WITH components AS (
    SELECT m.id, m.service_name, m.display_name FROM app.health_monitors m
     WHERE m.organization_id IS NULL AND m.is_public AND m.enabled
  )
  SELECT jsonb_build_object(
    'generated_at', p_now,
    'maintenance', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                             'service', c.service_name, 'name', c.display_name, 'starts_at', lower(w.during),
                             'ends_at', upper(w.during), 'reason', w.reason, 'active', w.during @> p_now)
                           ORDER BY lower(w.during), c.id), '[]')
                      FROM app.health_maintenance_windows w JOIN components c ON c.id = w.monitor_id
                     WHERE upper(w.during) > p_now),
    'incidents', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                           'service', i.service_name, 'name', i.display_name, 'status', i.status,
                           'started_at', i.started_at, 'ended_at', i.ended_at,
                           'duration_seconds', coalesce(i.duration_seconds, round(extract(epoch FROM p_now - i.started_at))))
                         ORDER BY i.started_at DESC), '[]')
                    FROM (SELECT c.service_name, c.display_name, u.status, u.started_at, u.ended_at, u.duration_seconds
                            FROM app.system_uptime u JOIN components c ON c.id = u.monitor_id
                           WHERE u.status IN ('degraded', 'partial_outage', 'major_outage')
                             AND coalesce(u.ended_at, p_now) > p_now - interval '90 days' AND u.started_at <= p_now
                           ORDER BY u.started_at DESC LIMIT 50) AS i))
$$;
COMMENT ON FUNCTION app.health_status_history(timestamptz) IS
  'The status page''s maintenance (now and planned) and incidents of 90 days, public platform-wide components only';

GRANT EXECUTE ON FUNCTION app.error_detail(uuid), app.error_detail_page(uuid, integer), app.error_frames(jsonb, text),
  app.health_monitor_page(bigint, timestamptz) TO staff, org_owner, system_admin;
GRANT EXECUTE ON FUNCTION app.health_status_history(timestamptz) TO anon, staff, org_owner, system_admin;
