-- The heuristic provider, in SQL: rules over data already in the database (rules in
-- app.ai_heuristic_rule, severity in app.ai_severity_matrix: db/schema/455_ai_heuristic.sql).
-- Nothing leaves the database, so it runs on the stored (not prompt-stripped) group. It runs
-- synchronously for a request, and for new and regressed groups through an ai.analyze job whose
-- handler only hands it back (db/functions/app/460_ai_runs.sql): the capture transaction never
-- pays for the similarity search.

-- == Shared by prompts and rules ==

-- The group an analysis is about, as the caller sees it (under row-level security for API roles).
CREATE OR REPLACE FUNCTION app.ai_error_group(p_error_id uuid) RETURNS app.system_errors
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_group app.system_errors;
BEGIN
  SELECT * INTO v_group FROM app.system_errors s WHERE s.id = p_error_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'error % not found', p_error_id USING ERRCODE = 'QN001',
      DETAIL = 'Field: error_id.', HINT = 'Use the id of an error group of your organization.';
  END IF;
  RETURN v_group;
END $$;
COMMENT ON FUNCTION app.ai_error_group(uuid) IS 'An error group by id; QN001 when there is none the caller may see';
GRANT EXECUTE ON FUNCTION app.ai_error_group(uuid) TO staff, org_owner, system_admin;

-- {name} placeholders filled from p_values in one pass (text inserted is not scanned again;
-- a placeholder p_values lacks stays as written).
CREATE OR REPLACE FUNCTION app.ai_fill_template(p_template text, p_values jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_between text[];
  v_names text[];
BEGIN
  v_between := regexp_split_to_array(p_template, '\{[a-z_]+\}');
  IF cardinality(v_between) = 1 THEN
    RETURN p_template;
  END IF;
  v_names := ARRAY(SELECT m[1] FROM regexp_matches(p_template, '\{([a-z_]+)\}', 'g') AS m);
  RETURN (SELECT string_agg(x.between || coalesce(coalesce(p_values ->> x.name, '{' || x.name || '}'), ''), '' ORDER BY x.n)
            FROM unnest(v_between, v_names) WITH ORDINALITY AS x (between, name, n));
END $$;
COMMENT ON FUNCTION app.ai_fill_template(text, jsonb) IS 'A template with each {placeholder} replaced by the value of that key (one pass)';

-- python, javascript (browser or Node, TypeScript too) or other: the SDK's platform when the event
-- names one, else the files of its frames.
CREATE OR REPLACE FUNCTION app.ai_code_language(p_stack_trace text, p_file_path text, p_metadata jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN p_metadata ->> 'platform' = 'python' THEN 'python'
    WHEN p_metadata ->> 'platform' IN ('javascript', 'node') THEN 'javascript'
    WHEN concat_ws(E'\n', p_file_path, left(p_stack_trace, 4000)) ~ '\.py\M|File "[^"]+", line [0-9]' THEN 'python'
    WHEN concat_ws(E'\n', p_file_path, left(p_stack_trace, 4000)) ~ '\.(?:m?js|cjs|jsx|tsx?|vue|svelte)\M|\m(?:at )?[^ ]+ \((?:https?|webpack|file|node):' THEN 'javascript'
    ELSE 'other' END
$$;
COMMENT ON FUNCTION app.ai_code_language(text, text, jsonb) IS
  'The language of an error''s code: the event''s platform, else the files of its frames (python, javascript or other)';

-- == Impact ==

-- Counts for the impact statement and the severity matrix: occurrences, distinct users among the
-- newest 10,000 events, events in the last hour and the hour before (each counted up to 10,000),
-- and the trend: new (first seen within the hour), rising (at least 5 and twice the hour before),
-- falling (half the hour before or less), else steady.
CREATE OR REPLACE FUNCTION app.ai_group_stats(p_error_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_group app.system_errors;
  v_users integer;
  v_last_hour integer;
  v_hour_before integer;
BEGIN
  SELECT * INTO v_group FROM app.system_errors s WHERE s.id = p_error_id;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  SELECT count(DISTINCT e.user_id) INTO v_users
    FROM (SELECT e.user_id FROM app.error_events e
           WHERE e.organization_id = v_group.organization_id AND e.error_hash = v_group.error_hash
           ORDER BY e.received_at DESC LIMIT 10000) AS e;
  SELECT count(*) INTO v_last_hour
    FROM (SELECT FROM app.error_events e
           WHERE e.organization_id = v_group.organization_id AND e.error_hash = v_group.error_hash
             AND e.received_at > now() - interval '1 hour' LIMIT 10000) AS e;
  SELECT count(*) INTO v_hour_before
    FROM (SELECT FROM app.error_events e
           WHERE e.organization_id = v_group.organization_id AND e.error_hash = v_group.error_hash
             AND e.received_at > now() - interval '2 hours' AND e.received_at <= now() - interval '1 hour' LIMIT 10000) AS e;
  RETURN jsonb_build_object(
    'occurrences', v_group.occurrence_count, 'users', v_users, 'last_hour', v_last_hour, 'hour_before', v_hour_before,
    'first_seen', v_group.first_seen_at, 'last_seen', v_group.last_seen_at,
    'trend', CASE WHEN v_group.first_seen_at > now() - interval '1 hour' THEN 'new'
                  WHEN v_last_hour >= 5 AND v_last_hour >= 2 * v_hour_before THEN 'rising'
                  WHEN v_last_hour * 2 <= v_hour_before THEN 'falling'
                  ELSE 'steady' END);
END $$;
COMMENT ON FUNCTION app.ai_group_stats(uuid) IS
  'Occurrences, distinct users (of the newest 10,000 events), events in the last two hours and the trend of an error group';

CREATE OR REPLACE FUNCTION app.ai_impact_text(p_stats jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT format('%s occurrence%s %s since %s; %s.',
                p_stats ->> 'occurrences', CASE WHEN (p_stats ->> 'occurrences')::integer = 1 THEN '' ELSE 's' END,
                CASE (p_stats ->> 'users')::integer WHEN 0 THEN 'with no user identified'
                                                    WHEN 1 THEN 'from 1 user'
                                                    ELSE format('from %s distinct users', p_stats ->> 'users') END,
                to_char((p_stats ->> 'first_seen')::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'),
                CASE p_stats ->> 'trend'
                  WHEN 'new' THEN 'first seen within the last hour'
                  WHEN 'rising' THEN format('rising: %s in the last hour, %s the hour before', p_stats ->> 'last_hour', p_stats ->> 'hour_before')
                  WHEN 'falling' THEN format('falling: %s in the last hour, %s the hour before', p_stats ->> 'last_hour', p_stats ->> 'hour_before')
                  ELSE format('steady: %s in the last hour', p_stats ->> 'last_hour') END)
$$;
COMMENT ON FUNCTION app.ai_impact_text(jsonb) IS 'The impact statement of an analysis from app.ai_group_stats';

-- The matrix's score for the group's severity and its reach (distinct users; a rising trend one
-- band up), plus the rule's bump, within 1..5.
CREATE OR REPLACE FUNCTION app.ai_severity_score(p_severity app.severity_enum, p_stats jsonb, p_bump integer)
RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT least(5, greatest(1, coalesce(
    (SELECT m.score + coalesce(p_bump, 0)
       FROM app.ai_reach_band b
       JOIN app.ai_reach_band shifted
         ON shifted.position = least(b.position + CASE WHEN p_stats ->> 'trend' = 'rising' THEN 1 ELSE 0 END,
                                     (SELECT max(x.position) FROM app.ai_reach_band x))
       JOIN app.ai_severity_matrix m ON m.severity = p_severity AND m.reach = shifted.reach
      WHERE b.min_users <= coalesce((p_stats ->> 'users')::integer, 0)
      ORDER BY b.min_users DESC LIMIT 1), 3)))
$$;
COMMENT ON FUNCTION app.ai_severity_score(app.severity_enum, jsonb, integer) IS
  'Severity 1-5 from app.ai_severity_matrix by group severity and reach (a rising trend counts one band up), plus a rule''s bump';

-- == The analysis ==

-- The newest in-app frame as "function (file:line)", else the group's file:line.
CREATE OR REPLACE FUNCTION app.ai_error_location(p_stack_trace text, p_file_path text, p_line_number integer)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(
    (SELECT format('%s (%s%s)', coalesce(f ->> 'function', '?'), f ->> 'filename', ':' || (f ->> 'lineno'))
       FROM jsonb_array_elements(app.parse_stack_trace(left(p_stack_trace, 20000))) WITH ORDINALITY AS x (f, n)
      WHERE (f ->> 'in_app')::boolean ORDER BY x.n DESC LIMIT 1),
    nullif(concat_ws(':', p_file_path, p_line_number::text), ''),
    'the newest in-app frame')
$$;
COMMENT ON FUNCTION app.ai_error_location(text, text, integer) IS 'Where an error happened: its newest in-app frame, else file:line';

CREATE OR REPLACE FUNCTION app.ai_heuristic_analysis(p_error_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_group app.system_errors := app.ai_error_group(p_error_id);
  v_rule app.ai_heuristic_rule;
  v_language text;
  v_stats jsonb;
  v_values jsonb;
  v_setting app.ai_setting;
BEGIN
  SELECT * INTO v_setting FROM app.ai_setting;
  SELECT * INTO v_rule FROM app.ai_heuristic_rule r
   WHERE r.enabled AND (r.error_types IS NULL OR v_group.error_type = ANY (r.error_types))
     AND left(v_group.message, 4000) ~* r.pattern
   ORDER BY r.position LIMIT 1;
  IF NOT FOUND THEN  -- (the seed's last rule matches anything; an admin may have removed it)
    SELECT * INTO v_rule FROM app.ai_heuristic_rule r WHERE r.fix_class = 'manual_review' ORDER BY r.position LIMIT 1;
  END IF;
  v_language := app.ai_code_language(v_group.stack_trace, v_group.file_path, v_group.metadata);
  v_stats := app.ai_group_stats(p_error_id);
  v_values := jsonb_build_object(
    'name', coalesce((SELECT g FROM unnest(regexp_match(left(v_group.message, 4000), v_rule.name_pattern, 'i')) AS g
                       WHERE g IS NOT NULL LIMIT 1), v_rule.name_default, 'the value'),
    'location', app.ai_error_location(v_group.stack_trace, v_group.file_path, v_group.line_number));
  RETURN jsonb_build_object(
    'rootCause', app.ai_fill_template(v_rule.root_cause, v_values),
    'impact', app.ai_impact_text(v_stats),
    'suggestedFix', app.ai_fill_template(CASE v_language WHEN 'python' THEN v_rule.fix_python
                                                         WHEN 'javascript' THEN v_rule.fix_javascript
                                                         ELSE v_rule.fix_other END, v_values),
    'prevention', app.ai_fill_template(v_rule.prevention, v_values),
    'severity', app.ai_severity_score(v_group.severity, v_stats, v_rule.severity_bump),
    'relatedErrors', coalesce((SELECT jsonb_agg(r.id ORDER BY r.score DESC, r.id)
                                 FROM app.related_errors(p_error_id, v_setting.related_limit, v_setting.related_min_score) AS r),
                              '[]'),
    'fixClass', v_rule.fix_class,
    'autoFix', v_rule.auto_fix,
    'language', v_language);
END $$;
COMMENT ON FUNCTION app.ai_heuristic_analysis(uuid) IS
'The heuristic provider''s analysis of an error group, in the spec''s shape (rootCause, impact, suggestedFix,
prevention, severity 1-5, relatedErrors) plus fixClass, autoFix and language: the first matching rule of
app.ai_heuristic_rule, the fix in the language of the frames, impact from occurrences, distinct users and trend,
severity from app.ai_severity_matrix, related errors from pg_trgm similarity';
