-- `pgwarden errors show`: one error group as a person reads it. app.error_detail (the group, its
-- latest events, status history, AI analysis) plus where it happens: the top frames of its latest
-- event with a stack, the browsers, systems and pages of its latest events, and the user reports
-- linked to it.

CREATE OR REPLACE FUNCTION app.error_summary(p_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_detail jsonb := app.error_detail(p_id);
  v_org uuid := (v_detail ->> 'organization_id')::uuid;
  v_hash text := v_detail ->> 'error_hash';
  v_frames text[];
BEGIN
  -- the crashing frame first: Sentry's frames run oldest call first, a text stack trace newest first
  SELECT coalesce(
           (SELECT array_agg(concat_ws(' ', coalesce(f ->> 'function', '?'),
                                       '(' || concat_ws(':', coalesce(f ->> 'filename', f ->> 'abs_path', f ->> 'module'),
                                                        f ->> 'lineno') || ')') ORDER BY n DESC)
              FROM jsonb_array_elements(CASE jsonb_typeof(e.frames) WHEN 'array' THEN e.frames
                                             WHEN 'object' THEN e.frames -> 'frames' END) WITH ORDINALITY AS x(f, n)),
           (SELECT array_agg(btrim(l) ORDER BY n)
              FROM unnest(string_to_array(e.stack_trace, E'\n')) WITH ORDINALITY AS s(l, n)
             WHERE n > 1 AND btrim(l) <> ''))
    INTO v_frames
    FROM app.error_events e
   WHERE e.organization_id = v_org AND e.error_hash = v_hash AND (e.frames IS NOT NULL OR e.stack_trace IS NOT NULL)
   ORDER BY e.received_at DESC LIMIT 1;
  RETURN v_detail || jsonb_build_object(
    'top_frames', to_jsonb(coalesce(v_frames[1:5], '{}'::text[])),
    'breakdowns', (SELECT jsonb_build_object(
                     'browser', app.error_summary_counts(array_agg(l.browser)),
                     'os', app.error_summary_counts(array_agg(l.os)),
                     'url', app.error_summary_counts(array_agg(l.url)),
                     'events_read', count(*))
                     FROM (SELECT e.browser, e.os, e.url FROM app.error_events e
                            WHERE e.organization_id = v_org AND e.error_hash = v_hash
                            ORDER BY e.received_at DESC LIMIT 1000) l),
    'linked_reports', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', r.id, 'title', r.title,
                                                                     'status', r.status, 'created_at', r.created_at)
                                                 ORDER BY r.created_at DESC), '[]')
                         FROM app.user_error_reports r WHERE r.linked_error_id = p_id));
END $$;
COMMENT ON FUNCTION app.error_summary(uuid)
  IS 'An error group for reading: app.error_detail plus top frames, breakdowns of its latest 1000 events and linked reports';

CREATE OR REPLACE FUNCTION app.error_summary_counts(p_values text[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(jsonb_object_agg(value, events ORDER BY events DESC, value), '{}')
    FROM (SELECT coalesce(v, 'unknown') AS value, count(*) AS events FROM unnest(p_values) v
           GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5) top
$$;
COMMENT ON FUNCTION app.error_summary_counts(text[]) IS 'The five most frequent values and their counts (NULL as unknown)';
