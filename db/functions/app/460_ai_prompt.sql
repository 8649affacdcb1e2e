-- What is sent to an AI provider: the spec's prompt template (app.ai_prompt) filled from the
-- stored, scrubbed group, each text through the scrubbing rules again (they may have grown since
-- capture) and then through app.personal_data_strip with the values that identify the people
-- concerned, whatever the organization's personal-data policy kept; URLs without their query values.
-- Nothing else leaves: no metadata, no user id, no organization name. The answer must match
-- app.ai_response_schema.

-- == The answer ==

CREATE OR REPLACE FUNCTION app.ai_response_schema() RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT '{
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": false,
    "required": ["rootCause", "impact", "suggestedFix", "prevention", "severity", "relatedErrors"],
    "properties": {
      "rootCause": {"type": "string", "minLength": 1, "maxLength": 4000},
      "impact": {"type": "string", "minLength": 1, "maxLength": 2000},
      "suggestedFix": {"type": "string", "minLength": 1, "maxLength": 8000},
      "prevention": {"type": "string", "minLength": 1, "maxLength": 4000},
      "severity": {"type": "integer", "minimum": 1, "maximum": 5},
      "relatedErrors": {"type": "array", "maxItems": 20, "items": {"type": "string", "maxLength": 64}}
    }
  }'::jsonb
$$;
COMMENT ON FUNCTION app.ai_response_schema() IS
  'JSON Schema of a provider''s answer (the spec''s response: rootCause, impact, suggestedFix, prevention, severity 1-5, relatedErrors); the worker validates with it';

-- == The people concerned ==

-- Whose values must not reach a prompt: the person fields of the group's first event and of its
-- newest 20 events, their user ids as stored (kept, or a hash token), and the name and e-mail of the
-- pgwarden user the group names.
CREATE OR REPLACE FUNCTION app.ai_known_values(p_error_id uuid) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT coalesce(array_agg(DISTINCT v.value) FILTER (WHERE length(v.value) >= 2), '{}')
    FROM app.system_errors s
   CROSS JOIN LATERAL (
     SELECT unnest(app.personal_data_known_values(s.metadata)) AS value
     UNION ALL
     SELECT unnest(app.personal_data_known_values(e.metadata) || e.user_id::text)
       FROM (SELECT e.metadata, e.user_id FROM app.error_events e
              WHERE e.organization_id = s.organization_id AND e.error_hash = s.error_hash
              ORDER BY e.received_at DESC LIMIT 20) AS e
     UNION ALL
     SELECT unnest(ARRAY[u.name::text, u.email::text]) FROM app.users u WHERE u.id = s.user_id) AS v
   WHERE s.id = p_error_id AND v.value IS NOT NULL
$$;
COMMENT ON FUNCTION app.ai_known_values(uuid) IS
  'Values identifying the people an error group concerns (names, user ids, e-mails, phones of its events; its user), for app.personal_data_strip';

-- == The prompt ==

-- A URL as a prompt shows it: its query values and fragment left out (names of parameters say what
-- a page was asked for; their values are a person's input more often than a clue).
CREATE OR REPLACE FUNCTION app.ai_prompt_url(p_url text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT regexp_replace(regexp_replace(p_url, '#.*$', ''), '([?&;][^=&#;]*)=[^&#;]*', '\1=…', 'g')
$$;
COMMENT ON FUNCTION app.ai_prompt_url(text) IS 'A URL as a prompt shows it: no fragment, each query value replaced by …';

CREATE OR REPLACE FUNCTION app.ai_prompt(p_error_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_group app.system_errors := app.ai_error_group(p_error_id);
  v_setting app.ai_setting;
  v_prompt app.ai_prompt;
  v_known text[] := app.ai_known_values(p_error_id);
  v_stats jsonb := app.ai_group_stats(p_error_id);
  v_similar jsonb;
BEGIN
  SELECT * INTO v_setting FROM app.ai_setting;
  SELECT * INTO v_prompt FROM app.ai_prompt p WHERE p.version = v_setting.prompt_version;
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'id', r.id, 'line', format('- %s: %s %s', r.id, s.error_type,
                                      -- that group's people too: its message may name them
                                      app.personal_data_strip(app.scrub_text(left(app.normalize_message(s.message), 300)),
                                                              v_known || app.ai_known_values(r.id))))
           ORDER BY r.score DESC, r.id), '[]')
    INTO v_similar
    FROM app.related_errors(p_error_id, v_setting.related_limit, 0.3) AS r
    JOIN app.system_errors s ON s.id = r.id;
  RETURN jsonb_build_object(
    'prompt_version', v_prompt.version,
    'system', v_prompt.system_text,
    'candidates', (SELECT coalesce(jsonb_agg(c -> 'id'), '[]') FROM jsonb_array_elements(v_similar) AS c),
    'prompt', app.ai_fill_template(v_prompt.user_template, jsonb_build_object(
      'error_type', v_group.error_type,
      'message', app.personal_data_strip(app.scrub_text(left(v_group.message, v_setting.prompt_text_chars)), v_known),
      'stack_trace', coalesce(app.personal_data_strip(app.scrub_text(left(v_group.stack_trace, v_setting.prompt_text_chars)),
                                                      v_known), '(none)'),
      'component', coalesce(app.personal_data_strip(app.scrub_text(v_group.component), v_known), '(unknown)'),
      'file_path', coalesce(app.personal_data_strip(app.scrub_text(v_group.file_path), v_known), '(unknown)'),
      'line_number', coalesce(v_group.line_number::text, '?'),
      'url', coalesce(app.personal_data_strip(app.ai_prompt_url(app.scrub_url(v_group.url)), v_known), '(none)'),
      'browser', coalesce(app.personal_data_strip(nullif(concat_ws(' on ', v_group.browser, v_group.os), ''), v_known),
                          '(unknown)'),
      'user_role', coalesce((SELECT u.role::text FROM app.users u WHERE u.id = v_group.user_id), '(unknown)'),
      -- a tenant's name can be a person's (a salon named after its owner) and says nothing about the bug
      'org_name', '[organization]',
      'occurrences', v_stats ->> 'occurrences',
      'users', v_stats ->> 'users',
      'first_seen', to_char(v_group.first_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'),
      'trend', v_stats ->> 'trend',
      'similar_errors', coalesce((SELECT string_agg(c ->> 'line', E'\n') FROM jsonb_array_elements(v_similar) AS c), '(none)'))));
END $$;
COMMENT ON FUNCTION app.ai_prompt(uuid) IS
'The prompt for an error group: {prompt_version, system, prompt, candidates}: the spec''s template filled from the
group''s scrubbed fields, each scrubbed again and stripped of personal data (app.personal_data_strip), with its
counts, trend and similar errors (candidates: the ids it may name in relatedErrors)';
