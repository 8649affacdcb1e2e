-- `make demo` (workers/demo): the demo's organizations, projects, monitors and alert rules, created
-- once from its catalogue (app.demo_setup), and a made-up past week for each organization
-- (app.demo_backfill). Events, reports and deliveries are never written here: the demo sends them
-- through the SDKs and APIs like anyone else.

CREATE OR REPLACE FUNCTION app._demo_found(p_kind text, p_key text) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT d.object_id FROM app.demo_objects d
   WHERE d.kind = p_kind AND d.demo_key = p_key
     AND CASE p_kind  -- the object itself may have been deleted since
           WHEN 'organization' THEN EXISTS (SELECT FROM app.organizations o WHERE o.id::text = d.object_id)
           WHEN 'project' THEN EXISTS (SELECT FROM app.projects p WHERE p.id::text = d.object_id)
           WHEN 'monitor' THEN EXISTS (SELECT FROM app.health_monitors m WHERE m.id::text = d.object_id)
           WHEN 'alert_rule' THEN EXISTS (SELECT FROM app.error_alerts r WHERE r.id::text = d.object_id)
         END
$$;
COMMENT ON FUNCTION app._demo_found(text, text) IS 'The id of the demo object of a catalogue key, while it exists';

CREATE OR REPLACE FUNCTION app._demo_remember(p_kind text, p_key text, p_object_id text) RETURNS text
LANGUAGE sql AS $$
  INSERT INTO app.demo_objects (kind, demo_key, object_id) VALUES (p_kind, p_key, p_object_id)
  ON CONFLICT ON CONSTRAINT demo_objects_pkey DO UPDATE SET object_id = excluded.object_id, created_at = now()
  RETURNING object_id
$$;
COMMENT ON FUNCTION app._demo_remember(text, text, text) IS 'Record the object created for a catalogue key';

-- The catalogue: {"organizations": [{"key", "name", "projects": [{"key", "name", "origins"}],
-- "monitors": [{"key", "spec"}], "rules": [{"key", "spec"}]}]}, specs as app.health_monitor_add and
-- app.alert_rule_create take them (without organization_id). What exists is kept; a monitor's
-- target and a rule's webhook_url follow the catalogue (the demo services' port may change).
CREATE OR REPLACE FUNCTION app.demo_setup(p_catalogue jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_org jsonb;
  v_item jsonb;
  v_org_id uuid;
  v_id text;
  v_projects jsonb;
  v_organizations jsonb := '[]'::jsonb;
  v_created integer := 0;
BEGIN
  IF jsonb_typeof(p_catalogue -> 'organizations') IS DISTINCT FROM 'array' THEN
    RAISE EXCEPTION 'the demo catalogue has no organizations' USING ERRCODE = 'QV901',
      DETAIL = 'Field: organizations.', HINT = 'Pass {"organizations": [...]} (workers/demo/catalogue.py).';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('app.demo_setup'));  -- two demos at once create one set
  FOR v_org IN SELECT * FROM jsonb_array_elements(p_catalogue -> 'organizations') LOOP
    v_org_id := app._demo_found('organization', v_org ->> 'key')::uuid;
    IF v_org_id IS NULL THEN
      INSERT INTO app.organizations (name) VALUES (v_org ->> 'name') RETURNING id INTO v_org_id;
      PERFORM app._demo_remember('organization', v_org ->> 'key', v_org_id::text);
      v_created := v_created + 1;
    END IF;

    v_projects := '[]'::jsonb;
    FOR v_item IN SELECT * FROM jsonb_array_elements(coalesce(v_org -> 'projects', '[]')) LOOP
      v_id := app._demo_found('project', v_item ->> 'key');
      IF v_id IS NULL THEN
        INSERT INTO app.projects (organization_id, name) VALUES (v_org_id, v_item ->> 'name') RETURNING id::text INTO v_id;
        PERFORM app._demo_remember('project', v_item ->> 'key', v_id);
        v_created := v_created + 1;
      END IF;
      v_projects := v_projects || jsonb_build_object(
        'key', v_item ->> 'key', 'id', v_id::bigint,
        'public_key', (SELECT p.public_key FROM app.projects p WHERE p.id = v_id::bigint),
        'widget_key', app.widget_key_set(v_id::bigint, ARRAY(SELECT jsonb_array_elements_text(v_item -> 'origins')))
                        ->> 'widget_key');
    END LOOP;

    FOR v_item IN SELECT * FROM jsonb_array_elements(coalesce(v_org -> 'monitors', '[]')) LOOP
      v_id := app._demo_found('monitor', v_item ->> 'key');
      IF v_id IS NULL THEN
        v_id := app.health_monitor_add(v_item -> 'spec' || jsonb_build_object('organization_id', v_org_id))::text;
        PERFORM app._demo_remember('monitor', v_item ->> 'key', v_id);
        v_created := v_created + 1;
      ELSE
        UPDATE app.health_monitors m SET target = v_item -> 'spec' -> 'target', updated_at = now()
         WHERE m.id = v_id::bigint AND m.target IS DISTINCT FROM v_item -> 'spec' -> 'target';
      END IF;
    END LOOP;

    FOR v_item IN SELECT * FROM jsonb_array_elements(coalesce(v_org -> 'rules', '[]')) LOOP
      v_id := app._demo_found('alert_rule', v_item ->> 'key');
      IF v_id IS NULL THEN
        SELECT r.id::text INTO v_id
          FROM app.alert_rule_create(v_item -> 'spec' || jsonb_build_object('organization_id', v_org_id)) r;
        PERFORM app._demo_remember('alert_rule', v_item ->> 'key', v_id);
        v_created := v_created + 1;
      ELSIF EXISTS (SELECT FROM app.error_alerts r WHERE r.id = v_id::uuid
                       AND r.webhook_url IS DISTINCT FROM v_item -> 'spec' ->> 'webhook_url') THEN
        PERFORM app.alert_rule_update(v_id::uuid, jsonb_build_object('webhook_url', v_item -> 'spec' -> 'webhook_url'));
      END IF;
    END LOOP;

    v_organizations := v_organizations || jsonb_build_object(
      'key', v_org ->> 'key', 'id', v_org_id, 'name', v_org ->> 'name', 'projects', v_projects);
  END LOOP;
  RETURN jsonb_build_object('organizations', v_organizations, 'created', v_created);
END $$;
COMMENT ON FUNCTION app.demo_setup(jsonb) IS
  'Create the demo catalogue''s organizations, projects (with widget keys), monitors and alert rules that do not exist yet; returns their ids and keys';

-- A made-up past: what the demo cannot send, because SDKs and APIs stamp events with the time
-- they arrive. For the p_days before the organization was created: per-minute counts of each of
-- its error groups (a daily rhythm, one spike hour per group; for minutes the fold has passed,
-- also added to every rollup the statistics read), and for each of its monitors uptime intervals
-- (the services in p_flapping have an outage every few hours, the others one or two a week) with a
-- health check every five minutes. Marked: app.demo_backfills lists each range, intervals say
-- 'demo backfill' in notes, checks {"demo_backfill": true} in details. The groups' own counters
-- (occurrence_count, first_seen_at) are left as the events really sent made them. Once per
-- organization: a second call answers what the first wrote.
CREATE OR REPLACE FUNCTION app.demo_backfill(p_organization_id uuid, p_days integer DEFAULT 7,
                                             p_flapping text[] DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_done app.demo_backfills;
  v_folded timestamptz;
  v_from timestamptz;
  v_until timestamptz;
  v_minute_rows bigint;
  v_monitor record;
  v_at timestamptz;
  v_end timestamptz;
  v_status app.uptime_status_enum;
  v_intervals integer := 0;
  v_checks bigint := 0;
  v_rows bigint;
BEGIN
  IF p_days IS NULL OR p_days NOT BETWEEN 1 AND 30 THEN
    RAISE EXCEPTION 'a demo backfill covers 1 to 30 days, not %', p_days USING ERRCODE = 'QV901',
      DETAIL = 'Field: days.', HINT = 'The demo backfills 7 days.';
  END IF;
  -- the fold waits: minutes below its watermark are added to the rollups here, once
  SELECT r.folded_until INTO v_folded FROM app.error_rollup r FOR UPDATE;
  SELECT * INTO v_done FROM app.demo_backfills b WHERE b.organization_id = p_organization_id;
  IF FOUND THEN
    RETURN to_jsonb(v_done) || jsonb_build_object('backfilled', false);
  END IF;
  SELECT date_trunc('minute', o.created_at) INTO v_until FROM app.organizations o WHERE o.id = p_organization_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'organization % not found', p_organization_id USING ERRCODE = 'QN001',
      DETAIL = 'Field: organization_id.', HINT = 'Backfill an organization app.demo_setup created.';
  END IF;
  v_from := v_until - make_interval(days => p_days);

  -- errors: E[floor(x + U)] = x for U uniform on [0, 1), so each minute's expected count is the
  -- group's rate times the hour's factor (busy afternoons, quiet nights, the spike hour)
  WITH demo_group AS (
    SELECT s.error_hash, 0.05 + (abs(hashtext(s.error_hash)) % 100) / 100.0 * 1.2 AS rate,
           abs(hashtext(s.error_hash || ':spike')) % (p_days * 24) AS spike_hour
      FROM app.system_errors s WHERE s.organization_id = p_organization_id
  ), demo_minute AS (
    SELECT g.error_hash, m.bucket,
           floor(g.rate * (1 + 0.8 * sin(2 * pi() * (extract(hour FROM m.bucket AT TIME ZONE 'UTC') - 9) / 24))
                 * CASE WHEN floor(extract(epoch FROM m.bucket - v_from) / 3600) = g.spike_hour THEN 15 ELSE 1 END
                 * 2 * random() + random())::integer AS event_count
      FROM demo_group g
     CROSS JOIN generate_series(v_from, v_until - interval '1 minute', interval '1 minute') AS m (bucket)
  )
  INSERT INTO app.error_metrics AS e (organization_id, bucket, error_hash, event_count)
  SELECT p_organization_id, dm.bucket, dm.error_hash, dm.event_count FROM demo_minute dm WHERE dm.event_count > 0
  ON CONFLICT ON CONSTRAINT error_metrics_pkey DO UPDATE SET event_count = e.event_count + excluded.event_count;
  GET DIAGNOSTICS v_minute_rows = ROW_COUNT;
  PERFORM app.error_rollup_add_minutes(v_from, least(v_until, v_folded), p_organization_id);
  PERFORM app._error_windows_recount(p_organization_id, NULL);

  -- uptime: alternating operational stretches and incidents up to the monitor's own first interval
  FOR v_monitor IN
    SELECT m.id, m.service_name, m.check_type, m.endpoint, m.service_name = ANY (p_flapping) AS flaps,
           least(v_until, m.created_at, (SELECT min(u.started_at) FROM app.system_uptime u WHERE u.monitor_id = m.id))
             AS until_at
      FROM app.health_monitors m WHERE m.organization_id = p_organization_id ORDER BY m.id
  LOOP
    v_at := v_from;
    v_status := 'operational'::app.uptime_status_enum;
    WHILE v_at < v_monitor.until_at LOOP
      v_end := least(v_monitor.until_at, v_at + CASE
        WHEN v_status <> 'operational' THEN make_interval(mins => 3 + (random() * 25)::integer)
        WHEN v_monitor.flaps THEN make_interval(mins => 90 + (random() * 300)::integer)
        ELSE make_interval(mins => 1440 + (random() * 4320)::integer) END);
      INSERT INTO app.system_uptime (service_name, status, started_at, ended_at, duration_seconds, notes,
                                     organization_id, monitor_id)
      VALUES (v_monitor.service_name, v_status, v_at, v_end, extract(epoch FROM v_end - v_at)::integer,
              'demo backfill', p_organization_id, v_monitor.id);
      v_intervals := v_intervals + 1;
      INSERT INTO app.health_checks (check_type, service_name, endpoint, status, response_time_ms, status_code,
                                     error_message, details, checked_at, organization_id, monitor_id)
      SELECT v_monitor.check_type, v_monitor.service_name, v_monitor.endpoint,
             CASE v_status WHEN 'operational' THEN 'healthy' WHEN 'degraded' THEN 'degraded'
                           ELSE 'unhealthy' END::app.health_status_enum,
             CASE v_status WHEN 'operational' THEN 30 + (random() * 90)::integer
                           WHEN 'degraded' THEN 900 + (random() * 2000)::integer END,
             CASE WHEN v_status IN ('operational', 'degraded') THEN 200 ELSE 503 END,
             CASE WHEN v_status NOT IN ('operational', 'degraded') THEN 'HTTP 503: Service Unavailable' END,
             '{"demo_backfill": true}', c.at, p_organization_id, v_monitor.id
        FROM generate_series(v_at, v_end - interval '1 second', interval '5 minutes') AS c (at);
      GET DIAGNOSTICS v_rows = ROW_COUNT;
      v_checks := v_checks + v_rows;
      v_status := CASE WHEN v_status <> 'operational' THEN 'operational'
                       WHEN random() < 0.5 THEN 'degraded'
                       WHEN v_monitor.flaps THEN 'major_outage' ELSE 'partial_outage' END::app.uptime_status_enum;
      v_at := v_end;
    END LOOP;
  END LOOP;

  INSERT INTO app.demo_backfills (organization_id, from_at, until_at, minute_rows, uptime_intervals, health_checks)
  VALUES (p_organization_id, v_from, v_until, v_minute_rows, v_intervals, v_checks)
  RETURNING * INTO v_done;
  RETURN to_jsonb(v_done) || jsonb_build_object('backfilled', true);
END $$;
COMMENT ON FUNCTION app.demo_backfill(uuid, integer, text[]) IS
  'Write a made-up past (minute counts and rollups, uptime intervals, health checks) for the days before a demo organization was created; once per organization';

CREATE OR REPLACE FUNCTION app.demo_summary(p_organization_ids uuid[])
RETURNS TABLE (organization_id uuid, error_groups bigint, monitors bigint, alert_rules bigint, reports bigint,
               backfilled_from timestamptz, metric_days bigint)
LANGUAGE sql STABLE AS $$
  SELECT o.id,
         (SELECT count(*) FROM app.system_errors s WHERE s.organization_id = o.id),
         (SELECT count(*) FROM app.health_monitors m WHERE m.organization_id = o.id),
         (SELECT count(*) FROM app.error_alerts r WHERE r.organization_id = o.id),
         (SELECT count(*) FROM app.user_error_reports u WHERE u.organization_id = o.id),
         (SELECT b.from_at FROM app.demo_backfills b WHERE b.organization_id = o.id),
         (SELECT count(DISTINCT app.stats_bucket_start('1 day', c.bucket)) FROM app.error_counts c
           WHERE c.organization_id = o.id)
    FROM unnest(p_organization_ids) WITH ORDINALITY AS o (id, n)
   ORDER BY o.n
$$;
COMMENT ON FUNCTION app.demo_summary(uuid[]) IS
  'Per demo organization: error groups, monitors, alert rules, reports, where its backfill starts and the UTC days with counts (minutes or rollups)';
