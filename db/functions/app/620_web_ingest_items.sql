-- What app.web_ingest does with the envelope items that are not error events. Each recorder takes
-- the batch's items (app.web_batch_of: typed, read out of their JSON once) and writes set-based,
-- aggregating within the batch first.

-- (timestamps: app.json_timestamp, db/functions/app/025_json_input.sql)

-- A text field of an item as stored: scrubbed, then cut to its column (p_limit characters). The
-- scrubber reads at most twice that, as capture reads an event's fields (app._capture_bound): a
-- huge value costs no more than a long one, and a secret across the cut is still seen whole.
CREATE OR REPLACE FUNCTION app.web_item_text(p_text text, p_limit integer) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT left(app.scrub_text(app._capture_bound(p_text, p_limit)), p_limit)
$$;
COMMENT ON FUNCTION app.web_item_text(text, integer) IS 'A text scrubbed and cut to p_limit characters (read to twice that)';

-- The error group of an event stored earlier, by its client event id (app.error_event_ids).
CREATE OR REPLACE FUNCTION app.error_group_of_event(p_organization_id uuid, p_event_id text) RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT s.id
    FROM app.error_event_ids x
    JOIN app.system_errors s ON s.organization_id = x.organization_id AND s.error_hash = x.error_hash
   WHERE p_event_id ~ '^[0-9a-f]{32}$' AND x.organization_id = p_organization_id
     AND x.event_id = CASE WHEN p_event_id ~ '^[0-9a-f]{32}$' THEN p_event_id::uuid END
$$;
COMMENT ON FUNCTION app.error_group_of_event(uuid, text) IS 'The system_errors id of an event stored before (32-hex client event id), or NULL';

-- The error group an event (by its 32-hex event id) was counted in, from this batch or earlier.
CREATE OR REPLACE FUNCTION app.web_group_of_event(p_captured app.web_captured[], p_organization_id uuid, p_event_id text)
RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT coalesce(
    (SELECT c.group_id FROM unnest(p_captured) c
      WHERE c.event_id = p_event_id AND c.organization_id = p_organization_id AND c.group_id IS NOT NULL LIMIT 1),
    app.error_group_of_event(p_organization_id, p_event_id))
$$;
DROP FUNCTION IF EXISTS app.web_group_of_event(jsonb, uuid, text);  -- (it read the captured events as JSON)
COMMENT ON FUNCTION app.web_group_of_event(app.web_captured[], uuid, text) IS 'The system_errors id of an event captured in this batch or before, or NULL';

-- The event a feedback item names (its associated_event_id, kept in browser_info), as 32 hex digits.
CREATE OR REPLACE FUNCTION app.feedback_event_id(p_associated_event_id jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT app.event_id_text(app.json_text(p_associated_event_id))
$$;
COMMENT ON FUNCTION app.feedback_event_id(jsonb) IS 'A feedback''s associated_event_id as 32 lower-case hex digits (dashes dropped)';

-- feedback (contexts.feedback) and user_report ({event_id, name, email, comments}) items become
-- user_error_reports from customers, linked to the error group of the event they are about (one
-- stored before its event is linked later: app.report_link_late). What the person wrote, the page
-- and the browser details are scrubbed like an event (and cleaned again by the reports' trigger,
-- which applies the organization's personal-data policy: db/triggers/800_reports.sql); the name and
-- e-mail address they typed to be answered are kept as typed. Image attachments of the same
-- envelope (pgwarden web checked them and sends {media_type, width, height, base64}) become its
-- screenshots, at most app.report_limit('screenshot_urls'), served from the request's base_url.
CREATE OR REPLACE FUNCTION app.web_record_feedback(p_items app.web_item[], p_captured app.web_captured[])
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_count integer;
BEGIN
  WITH feedback AS (
    SELECT i.organization_id, i.project_id, i.request, i.type AS item_type, i.payload,
           CASE WHEN i.type = 'feedback'
                THEN CASE WHEN jsonb_typeof(i.payload #> '{contexts,feedback}') = 'object'
                          THEN i.payload #> '{contexts,feedback}' ELSE '{}' END
                ELSE jsonb_build_object('message', i.payload -> 'comments', 'name', i.payload -> 'name',
                                        'contact_email', i.payload -> 'email', 'associated_event_id', i.payload -> 'event_id')
           END AS fields
      FROM unnest(p_items) i
     WHERE i.type IN ('feedback', 'user_report') AND i.payload IS NOT NULL
  ), report AS (
    SELECT gen_random_uuid() AS id, f.organization_id, f.project_id, f.request, f.payload,
           app.scrub_text(btrim(app.json_text(f.fields -> 'message'))) AS message,
           coalesce(app.json_text(f.fields -> 'contact_email'), app.json_text(f.payload #> '{user,email}')) AS email,
           coalesce(app.json_text(f.fields -> 'name'), app.json_text(f.payload #> '{user,name}'),
                    app.json_text(f.payload #> '{user,username}')) AS name,
           app.scrub_url(app._capture_bound(coalesce(app.json_text(f.fields -> 'url'), app.json_text(f.payload #> '{request,url}')),
                                            app.capture_limit('url'))) AS url,
           app.web_group_of_event(p_captured, f.organization_id, app.feedback_event_id(f.fields -> 'associated_event_id'))
             AS linked_error_id,
           CASE WHEN app.feedback_event_id(f.fields -> 'associated_event_id') ~ '^[0-9a-f]{32}$'
                THEN app.feedback_event_id(f.fields -> 'associated_event_id')::uuid END AS event_id,
           app.scrub_jsonb(jsonb_strip_nulls(jsonb_build_object(
             'source', 'sentry ' || f.item_type,
             'feedback_source', f.fields -> 'source',
             'event_id', f.payload -> 'event_id',
             'associated_event_id', f.fields -> 'associated_event_id',
             'user_agent', app.sentry_header(f.payload #> '{request,headers}', 'User-Agent'),
             'browser', f.payload #> '{contexts,browser}', 'os', f.payload #> '{contexts,os}',
             'release', f.payload -> 'release', 'environment', f.payload -> 'environment'))) AS browser_info
      FROM feedback f
     WHERE coalesce(btrim(app.json_text(f.fields -> 'message')), '') <> ''
  ), screenshot AS (
    SELECT s.report_id, gen_random_uuid() AS id, s.shot, s.base_url, s.n
      FROM (SELECT r.id AS report_id, a.screenshot AS shot, a.base_url,
                   row_number() OVER (PARTITION BY r.id ORDER BY a.item) AS n
              FROM report r
              JOIN unnest(p_items) a ON a.request = r.request AND a.type = 'attachment' AND a.screenshot IS NOT NULL) s
     WHERE s.n <= app.report_limit('screenshot_urls')
  ), stored AS (
    INSERT INTO app.user_error_reports (id, report_type, reporter_type, reporter_email, reporter_name, organization_id,
                                        title, description, url, browser_info, linked_error_id, project_id, event_id,
                                        link_reason, screenshot_urls)
    SELECT r.id, CASE WHEN r.linked_error_id IS NULL THEN 'other' ELSE 'bug' END::app.report_type_enum,
           'customer', left(r.email, 255), left(r.name, 255), r.organization_id,
           left(split_part(r.message, E'\n', 1), 200), r.message, left(r.url, app.capture_limit('url')), r.browser_info,
           r.linked_error_id, r.project_id, r.event_id, CASE WHEN r.linked_error_id IS NOT NULL THEN 'event_id' END,
           (SELECT array_agg(s.base_url || '/reports/screenshots/' || s.id ORDER BY s.n)
              FROM screenshot s WHERE s.report_id = r.id)
      FROM report r
    RETURNING id
  ), shots AS (
    INSERT INTO app.report_screenshots (id, organization_id, project_id, report_id, source, media_type, width, height,
                                        content)
    SELECT s.id, r.organization_id, r.project_id, s.report_id, 'sentry_attachment', s.shot ->> 'media_type',
           (s.shot ->> 'width')::integer, (s.shot ->> 'height')::integer, decode(s.shot ->> 'base64', 'base64')
      FROM screenshot s JOIN report r ON r.id = s.report_id JOIN stored ON stored.id = s.report_id
    RETURNING 1
  )
  SELECT count(*) INTO v_count FROM stored;
  RETURN v_count;
END $$;
DROP FUNCTION IF EXISTS app.web_record_feedback(jsonb, jsonb);  -- (it read the batch's items as JSON)
COMMENT ON FUNCTION app.web_record_feedback(app.web_item[], app.web_captured[]) IS
  'Sentry feedback and user_report items as customer user_error_reports linked to their event''s group, with their screenshot attachments';

-- session items (one session's update) and sessions items (pre-aggregated counts) → release health.
CREATE OR REPLACE FUNCTION app.web_record_sessions(p_items app.web_item[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO app.client_sessions AS s (project_id, sid, organization_id, release, environment, distinct_id,
                                        started_at, updated_at, status, errors)
  SELECT DISTINCT ON (x.project_id, x.sid) x.project_id, x.sid, x.organization_id, x.release, x.environment,
         x.distinct_id, x.started_at, x.updated_at, x.status, x.errors
    FROM (
      SELECT i.project_id, app.web_item_text(app.json_text(p -> 'sid'), 100) AS sid, i.organization_id,
             app.web_item_text(app.json_text(p #> '{attrs,release}'), 250) AS release,
             app.web_item_text(coalesce(app.json_text(p #> '{attrs,environment}'), 'production'), 64) AS environment,
             -- a user id: the policy decides, then the scrubbers (as for an event's user_id)
             app.web_item_text(app.personal_data_user_id((SELECT pd FROM app.personal_data_policy pd
                                                           WHERE pd.organization_id = i.organization_id),
                                                          app.json_text(p -> 'did')), 200) AS distinct_id,
             coalesce(app.json_timestamp(p -> 'started'), now()) AS started_at,
             coalesce(app.json_timestamp(p -> 'timestamp'), now()) AS updated_at,
             coalesce(app.json_text(p -> 'status'), 'ok') AS status,
             greatest(coalesce(app.json_int(p -> 'errors'), 0), 0) AS errors
        FROM unnest(p_items) i, LATERAL (SELECT i.payload AS p) payload
       WHERE i.type = 'session' AND i.payload IS NOT NULL
    ) x
   WHERE x.sid IS NOT NULL AND x.release IS NOT NULL
     AND x.status IN ('ok', 'exited', 'errored', 'unhandled', 'crashed', 'abnormal')
   ORDER BY x.project_id, x.sid, x.updated_at DESC
  ON CONFLICT (project_id, sid) DO UPDATE
    SET status = CASE WHEN excluded.updated_at >= s.updated_at THEN excluded.status ELSE s.status END,
        errors = greatest(s.errors, excluded.errors),
        updated_at = greatest(s.updated_at, excluded.updated_at);

  INSERT INTO app.client_session_aggregates AS s (organization_id, project_id, release, environment, hour,
                                                  exited, errored, abnormal, crashed)
  SELECT i.organization_id, i.project_id,
         app.web_item_text(app.json_text(i.payload #> '{attrs,release}'), 250),
         app.web_item_text(coalesce(app.json_text(i.payload #> '{attrs,environment}'), 'production'), 64),
         date_trunc('hour', coalesce(app.json_timestamp(a.value -> 'started'), now())),
         sum(greatest(coalesce(app.json_int(a.value -> 'exited'), 0), 0)),
         sum(greatest(coalesce(app.json_int(a.value -> 'errored'), 0), 0)),
         sum(greatest(coalesce(app.json_int(a.value -> 'abnormal'), 0), 0)),
         sum(greatest(coalesce(app.json_int(a.value -> 'crashed'), 0), 0))
    FROM unnest(p_items) i
    CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(i.payload -> 'aggregates') = 'array'
                                                 THEN i.payload -> 'aggregates' ELSE '[]' END) a
   WHERE i.type = 'sessions' AND app.json_text(i.payload #> '{attrs,release}') IS NOT NULL
     AND jsonb_typeof(a.value) = 'object'
   GROUP BY 1, 2, 3, 4, 5
  ON CONFLICT (project_id, release, environment, hour) DO UPDATE
    SET exited = s.exited + excluded.exited, errored = s.errored + excluded.errored,
        abnormal = s.abnormal + excluded.abnormal, crashed = s.crashed + excluded.crashed;
END $$;
DROP FUNCTION IF EXISTS app.web_record_sessions(jsonb);  -- (it read the batch's items as JSON)
COMMENT ON FUNCTION app.web_record_sessions(app.web_item[]) IS
  'Sentry session and sessions items into client_sessions / client_session_aggregates (release health), text fields scrubbed';

-- check_in items: the monitor's heartbeat; a later item with the same check_in_id finishes it.
CREATE OR REPLACE FUNCTION app.web_record_check_ins(p_items app.web_item[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO app.cron_check_ins AS c (project_id, check_in_id, organization_id, monitor_slug, status,
                                       duration_seconds, environment, release, monitor_config)
  SELECT DISTINCT ON (x.project_id, x.check_in_id) x.project_id, x.check_in_id, x.organization_id, x.monitor_slug,
         x.status, x.duration_seconds, x.environment, x.release, x.monitor_config
    FROM (
      SELECT i.project_id,
             lower(replace(app.json_text(i.payload -> 'check_in_id'), '-', '')) AS check_in_id,
             i.organization_id,
             app.web_item_text(app.json_text(i.payload -> 'monitor_slug'), 200) AS monitor_slug,
             app.json_text(i.payload -> 'status') AS status,
             CASE WHEN jsonb_typeof(i.payload -> 'duration') = 'number'
                  THEN (i.payload ->> 'duration')::double precision END AS duration_seconds,
             app.web_item_text(app.json_text(i.payload -> 'environment'), 64) AS environment,
             app.web_item_text(app.json_text(i.payload -> 'release'), 250) AS release,
             CASE WHEN jsonb_typeof(i.payload -> 'monitor_config') = 'object'
                  THEN app.scrub_jsonb(i.payload -> 'monitor_config') END AS monitor_config,
             i.ordinality AS n
        FROM unnest(p_items) WITH ORDINALITY AS i
       WHERE i.type = 'check_in'
    ) x
   WHERE x.check_in_id ~ '^[0-9a-f]{1,64}$' AND x.monitor_slug IS NOT NULL
     AND x.status IN ('in_progress', 'ok', 'error')
   ORDER BY x.project_id, x.check_in_id, x.n DESC
  ON CONFLICT (project_id, check_in_id) DO UPDATE
    SET status = excluded.status, duration_seconds = coalesce(excluded.duration_seconds, c.duration_seconds),
        monitor_config = coalesce(excluded.monitor_config, c.monitor_config), updated_at = now();
END $$;
DROP FUNCTION IF EXISTS app.web_record_check_ins(jsonb);  -- (it read the batch's items as JSON)
COMMENT ON FUNCTION app.web_record_check_ins(app.web_item[]) IS
  'Sentry check_in items into cron_check_ins (one row per check-in id, latest status), text fields and monitor_config scrubbed';

-- client_report items: what the SDK itself dropped, by reason and data category.
CREATE OR REPLACE FUNCTION app.web_record_client_reports(p_items app.web_item[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO app.client_discards AS d (organization_id, project_id, hour, reason, category, quantity)
  SELECT i.organization_id, i.project_id,
         date_trunc('hour', coalesce(app.json_timestamp(i.payload -> 'timestamp'), now())),
         app.web_item_text(app.json_text(e.value -> 'reason'), 64),
         app.web_item_text(app.json_text(e.value -> 'category'), 64),
         sum(app.json_int(e.value -> 'quantity'))
    FROM unnest(p_items) i
    CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(i.payload -> 'discarded_events') = 'array'
                                                 THEN i.payload -> 'discarded_events' ELSE '[]' END) e
   WHERE i.type = 'client_report' AND jsonb_typeof(e.value) = 'object'
     AND app.json_text(e.value -> 'reason') IS NOT NULL AND app.json_text(e.value -> 'category') IS NOT NULL
     AND app.json_int(e.value -> 'quantity') > 0
   GROUP BY 1, 2, 3, 4, 5
  ON CONFLICT (project_id, hour, reason, category) DO UPDATE SET quantity = d.quantity + excluded.quantity;
END $$;
DROP FUNCTION IF EXISTS app.web_record_client_reports(jsonb);  -- (it read the batch's items as JSON)
COMMENT ON FUNCTION app.web_record_client_reports(app.web_item[]) IS 'Sentry client_report items into client_discards (SDK-side drops per reason and category)';

-- Everything pgwarden accepts without keeping (transaction, attachment, span, replay, profile, ...).
CREATE OR REPLACE FUNCTION app.web_record_dropped_items(p_items app.web_item[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO app.dropped_items AS d (organization_id, project_id, hour, item_type, quantity)
  SELECT i.organization_id, i.project_id, date_trunc('hour', now()), app.web_item_text(i.type, 64), count(*)
    FROM unnest(p_items) i
   WHERE i.type NOT IN ('event', 'feedback', 'user_report', 'session', 'sessions', 'check_in', 'client_report')
   GROUP BY 1, 2, 3, 4
  ON CONFLICT (project_id, hour, item_type) DO UPDATE SET quantity = d.quantity + excluded.quantity;
END $$;
DROP FUNCTION IF EXISTS app.web_record_dropped_items(jsonb);  -- (it read the batch's items as JSON)
COMMENT ON FUNCTION app.web_record_dropped_items(app.web_item[]) IS 'Counts the envelope items pgwarden accepts but does not keep, per project, hour and type';
