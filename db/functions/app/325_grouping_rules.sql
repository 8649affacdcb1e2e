-- Fingerprint rules (table app.fingerprint_rules, db/schema/325_grouping.sql): Sentry's server-side
-- fingerprinting in a subset of its syntax, one rule a row, applied by app.capture_batch and
-- app.capture_one to the events of a project before they are hashed. A rule:
--
--   [!]matcher:glob [[!]matcher:glob ...] -> value[, value ...]
--
-- matchers: error.type (type), error.value (value), message, stack.function (function),
-- stack.module (module), stack.abs_path (path), level, logger; a glob is bare or "quoted" (\" and
-- \\ escape), * any run (within one path segment for stack.abs_path, where ** crosses them),
-- ? one character, [...] a class; case does not count. Values are bare or quoted text, or one of
-- {{ default }}, {{ error.type }}, {{ error.value }}, {{ message }}, {{ stack.function }},
-- {{ stack.module }}, {{ level }}, {{ logger }}, {{ transaction }}. A matcher holds when any of
-- the event's values for it matches (every exception of a chain, every frame); ! negates.

-- A glob as an anchored regular expression (linear: one pass over at most 1000 characters).
CREATE OR REPLACE FUNCTION app.fingerprint_glob_regex(p_glob text, p_path boolean) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  v_regex text[] := '{}'::text[];
  v_char text;
  v_class text;
  v_n integer := 1;
  v_length integer := length(p_glob);
BEGIN
  WHILE v_n <= v_length LOOP
    v_char := substr(p_glob, v_n, 1);
    IF v_char = '*' AND substr(p_glob, v_n + 1, 1) = '*' THEN
      v_regex := v_regex || '.*'::text;
      v_n := v_n + 1;
    ELSIF v_char = '*' THEN
      v_regex := v_regex || CASE WHEN p_path THEN '[^/\\]*' ELSE '.*' END;
    ELSIF v_char = '?' THEN
      v_regex := v_regex || '.'::text;
    ELSIF v_char = '[' AND strpos(substr(p_glob, v_n + 2), ']') > 0 THEN  -- a class: its characters literal
      v_class := substr(p_glob, v_n + 1, strpos(substr(p_glob, v_n + 2), ']'));  -- (a ] first is a member)
      v_regex := v_regex || ('[' || CASE WHEN left(v_class, 1) = '!' THEN '^' || substr(v_class, 2) ELSE v_class END || ']');
      v_n := v_n + length(v_class) + 1;
    ELSE
      v_regex := v_regex || regexp_replace(v_char, '([][\\.^$|()+{}*?])', '\\\1');
    END IF;
    v_n := v_n + 1;
  END LOOP;
  RETURN '^' || array_to_string(v_regex, '') || '$';
END
$fn$;
COMMENT ON FUNCTION app.fingerprint_glob_regex(text, boolean) IS
  'A fingerprint rule''s glob (*, ** for paths, ?, [...]) as an anchored regular expression';

-- The matcher names a rule may use, and the field each stands for.
CREATE OR REPLACE FUNCTION app.fingerprint_matcher_field(p_name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE lower(p_name)
    WHEN 'error.type' THEN 'error.type' WHEN 'type' THEN 'error.type'
    WHEN 'error.value' THEN 'error.value' WHEN 'value' THEN 'error.value'
    WHEN 'message' THEN 'message'
    WHEN 'stack.function' THEN 'stack.function' WHEN 'function' THEN 'stack.function'
    WHEN 'stack.module' THEN 'stack.module' WHEN 'module' THEN 'stack.module'
    WHEN 'stack.abs_path' THEN 'stack.abs_path' WHEN 'path' THEN 'stack.abs_path'
    WHEN 'level' THEN 'level' WHEN 'logger' THEN 'logger'
  END
$$;
COMMENT ON FUNCTION app.fingerprint_matcher_field(text) IS 'The field a fingerprint rule matcher (or its short name) matches, or NULL';

-- A {{ variable }} of a fingerprint value, as the field of app.fingerprint_facts it reads; NULL
-- for a value that is not a variable, '' for one that is not known.
CREATE OR REPLACE FUNCTION app.fingerprint_variable(p_value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_value ~ '^\s*\{\{.*\}\}\s*$' THEN
    CASE lower(regexp_replace(p_value, '^\s*\{\{\s*|\s*\}\}\s*$', '', 'g'))
      WHEN 'default' THEN 'default'
      WHEN 'error.type' THEN 'type' WHEN 'type' THEN 'type'
      WHEN 'error.value' THEN 'value' WHEN 'value' THEN 'value'
      WHEN 'message' THEN 'message'
      WHEN 'stack.function' THEN 'function' WHEN 'function' THEN 'function'
      WHEN 'stack.module' THEN 'module' WHEN 'module' THEN 'module'
      WHEN 'level' THEN 'level' WHEN 'logger' THEN 'logger' WHEN 'transaction' THEN 'transaction'
      ELSE '' END
  END
$$;
COMMENT ON FUNCTION app.fingerprint_variable(text) IS
  'The variable a fingerprint value names ({{ error.type }} -> type), '''' when unknown, NULL when it is plain text';

CREATE OR REPLACE FUNCTION app._fingerprint_rule_invalid(p_rule text, p_why text, p_hint text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RAISE EXCEPTION 'fingerprint rule not understood: %', p_why USING ERRCODE = 'QVG01',
    DETAIL = format('Field: rule. Rule: %s', left(p_rule, 200)), HINT = p_hint;
END $$;
COMMENT ON FUNCTION app._fingerprint_rule_invalid(text, text, text) IS 'Raise QVG01 for a fingerprint rule that does not parse';

-- A rule as {matchers: [{field, glob, regex, negated}], fingerprint: [values]}; QVG01 naming what
-- is wrong. One pass over the text: a token is a bare run or a quoted string.
CREATE OR REPLACE FUNCTION app.fingerprint_rule_parse(p_rule text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
  v_text text := btrim(coalesce(p_rule, ''), E' \t\r\n');
  v_length integer := length(v_text);
  v_n integer := 1;
  v_char text;
  v_token text;
  v_matchers jsonb := '[]'::jsonb;
  v_values text[] := '{}'::text[];
  v_right boolean := false;  -- after ->
  v_name text;
  v_field text;
  v_negated boolean;
  v_cut integer;
BEGIN
  IF v_length = 0 OR v_length > 1000 THEN
    PERFORM app._fingerprint_rule_invalid(p_rule, 'empty or longer than 1000 characters', 'Write one rule of at most 1000 characters.');
  END IF;
  WHILE v_n <= v_length LOOP
    v_char := substr(v_text, v_n, 1);
    IF v_char IN (' ', E'\t') OR (v_right AND v_char = ',') THEN
      v_n := v_n + 1;
      CONTINUE;
    END IF;
    IF NOT v_right AND substr(v_text, v_n, 2) = '->' THEN
      v_right := true;
      v_n := v_n + 2;
      CONTINUE;
    END IF;
    -- a token: a matcher up to the next blank, a value up to the next comma; quoted parts kept whole
    v_token := '';
    WHILE v_n <= v_length LOOP
      v_char := substr(v_text, v_n, 1);
      EXIT WHEN (v_right AND v_char = ',') OR (NOT v_right AND (v_char IN (' ', E'\t') OR substr(v_text, v_n, 2) = '->'));
      IF v_char = '"' THEN
        v_n := v_n + 1;
        LOOP
          IF v_n > v_length THEN
            PERFORM app._fingerprint_rule_invalid(p_rule, 'a quote is not closed', 'Close every " (write \" for a quote inside).');
          END IF;
          v_char := substr(v_text, v_n, 1);
          EXIT WHEN v_char = '"';
          IF v_char = '\' AND v_n < v_length THEN
            v_n := v_n + 1;
            v_char := substr(v_text, v_n, 1);
          END IF;
          v_token := v_token || v_char;
          v_n := v_n + 1;
        END LOOP;
      ELSE
        v_token := v_token || v_char;
      END IF;
      v_n := v_n + 1;
    END LOOP;
    IF v_right THEN
      v_token := btrim(v_token, E' \t');
      IF app.fingerprint_variable(v_token) = '' THEN
        PERFORM app._fingerprint_rule_invalid(p_rule, format('unknown variable %s', v_token),
          'Use {{ default }}, {{ error.type }}, {{ error.value }}, {{ message }}, {{ stack.function }}, {{ stack.module }}, {{ level }}, {{ logger }} or {{ transaction }}.');
      END IF;
      v_values := v_values || v_token;
    ELSE
      v_negated := left(v_token, 1) = '!';
      v_cut := strpos(v_token, ':');
      v_name := CASE WHEN v_cut > 0  -- (a word without a colon has no field name: no matcher)
                     THEN substr(v_token, CASE WHEN v_negated THEN 2 ELSE 1 END, v_cut - CASE WHEN v_negated THEN 2 ELSE 1 END) END;
      v_field := app.fingerprint_matcher_field(v_name);
      IF v_cut = 0 OR v_field IS NULL THEN
        PERFORM app._fingerprint_rule_invalid(p_rule, format('%s is no matcher', v_token),
          'Write matcher:glob with error.type, error.value, message, stack.function, stack.module, stack.abs_path, level or logger.');
      END IF;
      v_matchers := v_matchers || jsonb_build_object(
        'field', v_field, 'glob', substr(v_token, v_cut + 1), 'negated', v_negated,
        'regex', app.fingerprint_glob_regex(substr(v_token, v_cut + 1), v_field = 'stack.abs_path'));
    END IF;
  END LOOP;
  IF jsonb_array_length(v_matchers) = 0 OR cardinality(v_values) = 0 THEN
    PERFORM app._fingerprint_rule_invalid(p_rule, 'a rule needs matchers, -> and values',
      'Write e.g. error.type:ConnectionError -> {{ default }}, database.');
  END IF;
  IF cardinality(v_values) > 50 THEN
    PERFORM app._fingerprint_rule_invalid(p_rule, 'more than 50 values', 'A fingerprint has at most 50 values.');
  END IF;
  RETURN jsonb_build_object('matchers', v_matchers, 'fingerprint', to_jsonb(v_values));
END
$fn$;
COMMENT ON FUNCTION app.fingerprint_rule_parse(text) IS
  'A fingerprint rule (matcher:glob ... -> value, ...) as {matchers: [{field, glob, regex, negated}], fingerprint}; QVG01 when it does not parse';

-- == At capture ==

-- What the matchers and variables of rules read of one event (as sent, before scrubbing): every
-- exception type and value of the chain, the message and its template, every frame's function,
-- module and path (client frames, the chain's, else those parsed from the stack trace), the level
-- and logger; for variables, the raised exception's type and value and its crashing frame.
CREATE OR REPLACE FUNCTION app.fingerprint_facts(p_item app.capture_item) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
  v_frames jsonb := coalesce(p_item.frames, app.parse_stack_trace(p_item.stack_trace), '[]');
  v_all jsonb := v_frames || coalesce(jsonb_path_query_array(p_item.exceptions, '$[*].frames[*]'), '[]');
  v_type text := app.grouping_exception_type(p_item.exceptions, p_item.message);
  v_value text := CASE WHEN strpos(p_item.message, v_type || ': ') = 1 THEN substr(p_item.message, length(v_type) + 3)
                       ELSE p_item.message END;
  v_crash jsonb := (SELECT f.value FROM jsonb_array_elements(v_frames) WITH ORDINALITY AS f (value, n)
                     WHERE jsonb_typeof(f.value) = 'object'
                     ORDER BY (f.value -> 'in_app' = 'true'::jsonb) DESC, f.n DESC LIMIT 1);
BEGIN
  RETURN jsonb_build_object(
    'error.type', coalesce(jsonb_path_query_array(p_item.exceptions, '$[*].type ? (@.type() == "string")'), '[]')
                  || coalesce(to_jsonb(v_type), '[]'),
    'error.value', coalesce(jsonb_path_query_array(p_item.exceptions, '$[*].value ? (@.type() == "string")'), '[]')
                   || coalesce(to_jsonb(v_value), '[]'),
    'message', jsonb_build_array(p_item.message) || coalesce(to_jsonb(p_item.message_template), '[]'),
    'stack.function', jsonb_path_query_array(v_all, '$[*].function ? (@.type() == "string")'),
    'stack.module', jsonb_path_query_array(v_all, '$[*].module ? (@.type() == "string")'),
    'stack.abs_path', jsonb_path_query_array(v_all, '$[*].abs_path ? (@.type() == "string")')
                      || jsonb_path_query_array(v_all, '$[*].filename ? (@.type() == "string")'),
    'level', jsonb_build_array(p_item.severity) || coalesce(to_jsonb(p_item.metadata ->> 'level'), '[]'),
    'logger', coalesce(to_jsonb(p_item.metadata ->> 'logger'), '[]'),
    '$', jsonb_build_object('type', v_type, 'value', v_value, 'message', p_item.message,
                            'function', v_crash ->> 'function', 'module', coalesce(v_crash ->> 'module', v_crash ->> 'filename'),
                            'level', coalesce(p_item.metadata ->> 'level', p_item.severity::text),
                            'logger', p_item.metadata ->> 'logger',
                            'transaction', coalesce(p_item.metadata ->> 'transaction', p_item.component)));
END
$fn$;
COMMENT ON FUNCTION app.fingerprint_facts(app.capture_item) IS
  'What fingerprint rule matchers ({field: [values]}) and variables ($: {type, value, ...}) read of a captured event';

-- A fingerprint with its variables filled in from an event's facts ({{ default }} stays:
-- app.error_hash expands it; an unknown variable stays as written, as Sentry leaves it).
CREATE OR REPLACE FUNCTION app.fingerprint_fill(p_fingerprint text[], p_facts jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT array_agg(CASE WHEN coalesce(app.fingerprint_variable(f.value), '') = '' THEN f.value
                        WHEN app.fingerprint_variable(f.value) = 'default' THEN '{{ default }}'
                        ELSE coalesce(p_facts -> '$' ->> app.fingerprint_variable(f.value), '<no value>') END ORDER BY f.n)
    FROM unnest(p_fingerprint) WITH ORDINALITY AS f (value, n)
$$;
COMMENT ON FUNCTION app.fingerprint_fill(text[], jsonb) IS
  'A fingerprint with its variables ({{ error.type }}, {{ function }}, …) filled in from app.fingerprint_facts; {{ default }} and unknown ones stay';

-- Whether a (client's) fingerprint names a variable to fill in: any known one but {{ default }}.
-- STRICT: an event without a fingerprint (most) is answered without starting the query
CREATE OR REPLACE FUNCTION app.fingerprint_has_variables(p_fingerprint text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT EXISTS (SELECT FROM unnest(p_fingerprint) AS f (value)
                  WHERE strpos(f.value, '{{') > 0 AND app.fingerprint_variable(f.value) NOT IN ('', 'default'))
$$;
COMMENT ON FUNCTION app.fingerprint_has_variables(text[]) IS
  'Whether a fingerprint names a variable app.fingerprint_fill fills in (a known one but {{ default }})';

-- The first rule of the project whose matchers all hold for the facts, as {id, rule, fingerprint}
-- with the fingerprint's variables filled in.
CREATE OR REPLACE FUNCTION app.fingerprint_rule_match(p_organization_id uuid, p_project_id bigint, p_facts jsonb) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('id', r.id, 'rule', r.rule, 'fingerprint', to_jsonb(app.fingerprint_fill(r.fingerprint, p_facts)))
    FROM app.fingerprint_rules r
   WHERE r.organization_id = p_organization_id AND r.project_id = p_project_id
     AND NOT EXISTS (SELECT FROM jsonb_to_recordset(r.matchers) AS m (field text, regex text, negated boolean)
                      WHERE EXISTS (SELECT FROM jsonb_array_elements_text(p_facts -> m.field) AS v (value)
                                     WHERE v.value ~* m.regex) = m.negated)
   ORDER BY r.position
   LIMIT 1
$$;
COMMENT ON FUNCTION app.fingerprint_rule_match(uuid, bigint, jsonb) IS
  'The first matching fingerprint rule of a project for an event''s facts: {id, rule, fingerprint (variables filled in)}, or NULL';

-- The events of a batch with their fingerprint set by the project's first matching rule (it wins
-- over the client's, as in Sentry; metadata._fingerprint_rule says which rule and what the client
-- sent), else with the variables of the client's fingerprint filled in (as Sentry does both).
-- Called only when the project has rules or some event's fingerprint has variables; p_rules is
-- app.grouping_needs' answer whether the project has rules (the caller asked already).
DROP FUNCTION IF EXISTS app.fingerprint_rules_apply(uuid, bigint, app.capture_item[]);  -- (it looked the rules up again)
CREATE OR REPLACE FUNCTION app.fingerprint_rules_apply(p_organization_id uuid, p_project_id bigint, p_items app.capture_item[],
                                                       p_rules boolean)
RETURNS app.capture_item[]
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN ARRAY(
    SELECT CASE WHEN m.matched IS NOT NULL
                  THEN jsonb_populate_record(i, jsonb_build_object(
                         'fingerprint', m.matched -> 'fingerprint',
                         'metadata', coalesce(i.metadata, '{}') || jsonb_build_object('_fingerprint_rule', jsonb_strip_nulls(
                                       jsonb_build_object('id', m.matched -> 'id', 'rule', m.matched -> 'rule',
                                                          'client_fingerprint', to_jsonb(i.fingerprint))))))
                WHEN f.facts IS NOT NULL AND app.fingerprint_has_variables(i.fingerprint)
                  THEN jsonb_populate_record(i, jsonb_build_object('fingerprint', app.fingerprint_fill(i.fingerprint, f.facts)))
                ELSE i END
      FROM unnest(p_items) AS i
      LEFT JOIN LATERAL (SELECT app.fingerprint_facts(i) AS facts OFFSET 0) AS f
        ON i.error IS NULL AND (p_rules OR app.fingerprint_has_variables(i.fingerprint))
      LEFT JOIN LATERAL (SELECT app.fingerprint_rule_match(p_organization_id, p_project_id, f.facts) AS matched) AS m
        ON p_rules AND f.facts IS NOT NULL
     ORDER BY i.ordinal);
END $$;
COMMENT ON FUNCTION app.fingerprint_rules_apply(uuid, bigint, app.capture_item[], boolean) IS
  'Captured events with the fingerprint of their project''s first matching fingerprint rule (metadata._fingerprint_rule), else their own with its variables filled in';

-- == Writing rules (invoker rights: row-level security decides whose projects) ==

CREATE OR REPLACE FUNCTION app.fingerprint_rule_add(p_project_id bigint, p_rule text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_parsed jsonb := app.fingerprint_rule_parse(p_rule);
  v_organization_id uuid := (SELECT p.organization_id FROM app.projects p WHERE p.id = p_project_id);
  v_row app.fingerprint_rules;
BEGIN
  IF v_organization_id IS NULL THEN
    RAISE EXCEPTION 'project % not found', p_project_id USING ERRCODE = 'QN001', DETAIL = 'Field: project_id.',
      HINT = 'Use the id of a project of your organization.';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('pgwarden:fingerprint-rules'), p_project_id::integer);  -- positions
  IF (SELECT count(*) FROM app.fingerprint_rules r
       WHERE r.organization_id = v_organization_id AND r.project_id = p_project_id) >= 50 THEN
    PERFORM app._fingerprint_rule_invalid(p_rule, 'the project has 50 rules', 'Delete a rule first.');
  END IF;
  INSERT INTO app.fingerprint_rules (organization_id, project_id, position, rule, matchers, fingerprint, created_by)
  VALUES (v_organization_id, p_project_id,
          coalesce((SELECT max(r.position) FROM app.fingerprint_rules r
                     WHERE r.organization_id = v_organization_id AND r.project_id = p_project_id), 0) + 1,
          btrim(p_rule, E' \t\r\n'), v_parsed -> 'matchers',
          ARRAY(SELECT jsonb_array_elements_text(v_parsed -> 'fingerprint')),
          (SELECT u.id FROM app.users u WHERE u.id = app.current_user_id()))
  RETURNING * INTO v_row;
  RETURN jsonb_build_object('id', v_row.id, 'project_id', v_row.project_id, 'position', v_row.position,
                            'rule', v_row.rule, 'matchers', v_row.matchers, 'fingerprint', to_jsonb(v_row.fingerprint));
END $$;
COMMENT ON FUNCTION app.fingerprint_rule_add(bigint, text) IS
  'Add a fingerprint rule after the project''s others (QVG01 when it does not parse or the project has 50; QN001 unseen project)';

CREATE OR REPLACE FUNCTION app.fingerprint_rule_delete(p_rule_id bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_row app.fingerprint_rules;
BEGIN
  DELETE FROM app.fingerprint_rules r WHERE r.id = p_rule_id RETURNING * INTO v_row;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'fingerprint rule % not found', p_rule_id USING ERRCODE = 'QN001', DETAIL = 'Field: rule_id.',
      HINT = 'List the rules with pgwarden errors rules PROJECT_ID.';
  END IF;
  RETURN jsonb_build_object('id', v_row.id, 'project_id', v_row.project_id, 'rule', v_row.rule);
END $$;
COMMENT ON FUNCTION app.fingerprint_rule_delete(bigint) IS 'Delete a fingerprint rule (QN001 when unseen)';

GRANT EXECUTE ON FUNCTION app.fingerprint_rule_add(bigint, text), app.fingerprint_rule_delete(bigint),
  app.fingerprint_rule_parse(text), app._fingerprint_rule_invalid(text, text, text), app.fingerprint_glob_regex(text, boolean),
  app.fingerprint_matcher_field(text), app.fingerprint_variable(text)
  TO staff, org_owner, system_admin;
