-- Linking a report to the error it is about (linked_error_id, and why: link_reason). In order: the
-- Sentry event id the reporter's page sent last; else an event of the reporter's session or of the
-- failed request; else an event of the same page (URL) just before the report. A report stored
-- before its error (the page sends both at once; they commit in either order) is linked by the
-- minute pass, app.report_link_late, once the error is stored. Every way in links here: the
-- widget and tokens (app.report_submit) and Sentry feedback (app.web_record_feedback).

-- The windows of the rules, the one place they are written: events of the session or request
-- received from an hour before the report to 10 minutes after it; of the same URL from 10 minutes
-- before to a minute after (the error of the page being reported, not a later one); a report
-- naming an event id waits a day for it.
CREATE OR REPLACE FUNCTION app.report_link_windows(
  OUT session_before interval, OUT url_before interval, OUT url_after interval, OUT after interval,
  OUT event_wait interval)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT interval '1 hour', interval '10 minutes', interval '1 minute', interval '10 minutes', interval '1 day'
$$;
COMMENT ON FUNCTION app.report_link_windows() IS
  'How far around a report its error is looked for: session/request, URL, and how long a named event is waited for';

-- The error group a report is about and the rule that found it (NULLs when none). Events are
-- reached through the organization's groups active in the window (system_errors.updated_at is
-- server time), each by its (organization, error_hash, received_at) index: no index on the event
-- table's hot path is needed, and the per-organization rate limit bounds what one group holds.
CREATE OR REPLACE FUNCTION app.report_link_find(
  p_organization_id uuid, p_event_id uuid, p_session_id text, p_request_id text, p_url text, p_at timestamptz,
  OUT error_id uuid, OUT reason text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  w record := app.report_link_windows();
BEGIN
  IF p_organization_id IS NULL THEN
    RETURN;
  END IF;
  IF p_event_id IS NOT NULL THEN
    SELECT s.id, 'event_id' INTO error_id, reason
      FROM app.error_event_ids x
      JOIN app.system_errors s ON s.organization_id = x.organization_id AND s.error_hash = x.error_hash
     WHERE x.organization_id = p_organization_id AND x.event_id = p_event_id;
    IF FOUND THEN
      RETURN;
    END IF;
  END IF;
  IF p_session_id IS NOT NULL OR p_request_id IS NOT NULL THEN
    SELECT s.id, m.reason INTO error_id, reason
      FROM app.system_errors s
     CROSS JOIN LATERAL (
       SELECT e.received_at, CASE WHEN e.request_id = p_request_id THEN 'request_id' ELSE 'session_id' END AS reason
         FROM app.error_events e
        WHERE e.organization_id = s.organization_id AND e.error_hash = s.error_hash
          AND e.received_at BETWEEN p_at - w.session_before AND p_at + w.after
          AND (e.session_id = p_session_id OR e.request_id = p_request_id)
        ORDER BY (e.request_id = p_request_id) DESC NULLS LAST, abs(extract(epoch FROM e.received_at - p_at))
        LIMIT 1) m
     WHERE s.organization_id = p_organization_id AND s.updated_at >= p_at - w.session_before
     ORDER BY (m.reason = 'request_id') DESC, abs(extract(epoch FROM m.received_at - p_at))
     LIMIT 1;
    IF FOUND THEN
      RETURN;
    END IF;
  END IF;
  IF p_url IS NOT NULL THEN
    SELECT s.id, 'url' INTO error_id, reason
      FROM app.system_errors s
     CROSS JOIN LATERAL (
       SELECT e.received_at FROM app.error_events e
        WHERE e.organization_id = s.organization_id AND e.error_hash = s.error_hash
          AND e.received_at BETWEEN p_at - w.url_before AND p_at + w.url_after
          AND split_part(e.url, '#', 1) = split_part(p_url, '#', 1)
        ORDER BY e.received_at DESC LIMIT 1) m
     WHERE s.organization_id = p_organization_id AND s.updated_at >= p_at - w.url_before
     ORDER BY m.received_at DESC
     LIMIT 1;
  END IF;
END $$;
COMMENT ON FUNCTION app.report_link_find(uuid, uuid, text, text, text, timestamptz) IS
  'The error group a report is about and why (event_id, request_id, session_id, url), from the report''s context at time p_at';

-- The minute pass (pg_cron): reports not linked yet, while their windows are open, linked to the
-- error that has arrived since. Past the session, request and URL windows (w.after) no later event
-- can fall in them, so an older report only waits for the event it names: one index probe, where
-- the full search walks the organization's active groups (bench/reports.py measures the pass).
-- Feedback from Sentry that was stored unlinked (as "other") becomes a bug report once linked, as
-- feedback that arrives after its event is.
CREATE OR REPLACE FUNCTION app.report_link_late() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  w record := app.report_link_windows();
  v_count integer;
BEGIN
  UPDATE app.user_error_reports r
     SET linked_error_id = f.error_id, link_reason = f.reason,
         report_type = CASE WHEN r.report_type = 'other' AND r.browser_info ->> 'source' LIKE 'sentry %' THEN 'bug'
                            ELSE r.report_type END
    FROM (SELECT u.id, l.error_id, l.reason  -- (a LATERAL call: (f(…)).* would run it once per column)
            FROM app.user_error_reports u
           CROSS JOIN LATERAL (SELECT u.created_at > now() - w.after AS open) AS c
           CROSS JOIN LATERAL app.report_link_find(u.organization_id, u.event_id, CASE WHEN c.open THEN u.session_id END,
                                                   CASE WHEN c.open THEN u.request_id END, CASE WHEN c.open THEN u.url END,
                                                   u.created_at) AS l
           WHERE u.linked_error_id IS NULL AND u.organization_id IS NOT NULL
             AND u.created_at > now() - greatest(w.event_wait, w.after)
             AND ((u.event_id IS NOT NULL AND u.created_at > now() - w.event_wait)
                  OR ((u.session_id IS NOT NULL OR u.request_id IS NOT NULL OR u.url IS NOT NULL) AND c.open))) AS f
   WHERE r.id = f.id AND f.error_id IS NOT NULL AND r.linked_error_id IS NULL;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END $$;
COMMENT ON FUNCTION app.report_link_late() IS
  'Link reports stored before their error (an event id waits a day, the other rules 10 minutes); returns how many';

DROP FUNCTION IF EXISTS app.feedback_link_late();  -- (feedback only, by event id: generalised above)
