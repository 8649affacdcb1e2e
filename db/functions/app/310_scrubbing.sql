-- Scrubbing (reference/sentry.md §6): secrets and card numbers become [Filtered] before an event
-- is stored. Rules are rows of app.scrub_rule. These run for every event, so each function first
-- asks one combined regex whether anything could match and returns its input untouched if not.

-- == Luhn ==

-- A loop of simple expressions: a set-based SQL version costs ~40 µs a call to plan and run.
CREATE OR REPLACE FUNCTION app.luhn_valid(p_number text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  v_digits text := regexp_replace(coalesce(p_number, ''), '[^0-9]', '', 'g');
  v_length integer := length(v_digits);
  v_sum integer := 0;
  v_digit integer;
BEGIN
  IF v_length NOT BETWEEN 12 AND 19 THEN
    RETURN false;
  END IF;
  FOR v_from_right IN 0 .. v_length - 1 LOOP  -- every second digit from the right is doubled
    v_digit := ascii(substr(v_digits, v_length - v_from_right, 1)) - 48;
    v_sum := v_sum + CASE WHEN v_from_right % 2 = 1 THEN (2 * v_digit) % 10 + (2 * v_digit) / 10 ELSE v_digit END;
  END LOOP;
  RETURN v_sum % 10 = 0;
END $$;
COMMENT ON FUNCTION app.luhn_valid(text) IS
'Whether the digits of a text (spaces and dashes ignored) are a 12-19 digit number passing the Luhn check, as card numbers do';

-- == The combined patterns, cached for the session ==

-- Every scrub_* call needs regexes built from the enabled rules: all key patterns as one
-- alternation, and two detectors that answer in one case-insensitive pass whether a text could
-- need scrubbing at all. The JSON detector looks for any key rule's word (a key may hold spaces or
-- brackets) or any value rule's detect pattern; the text detector wants a key word followed by a
-- separator (token=, password: …), so a path like /auth/login does not count. Building them costs
-- ~100 µs (a tenth of a single capture), so they are kept in session settings, tagged with the
-- derivation cache generation they were built under (db/functions/app/335_derivation_cache.sql):
-- every rule change bumps it, so each session rebuilds them in its next transaction, and the
-- changing transaction at once. The generation is memoized before the rules are read: results of
-- these patterns are cached under it, so it must not be newer than they are.
CREATE OR REPLACE FUNCTION app._scrub_refresh_patterns() RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_generation integer := app.derivation_cache_generation();
  v_keys text;
  v_key_words text;
  v_values text;
BEGIN
  SELECT string_agg('(?:' || pattern || ')', '|' ORDER BY id) FILTER (WHERE kind = 'key'),
         string_agg('(?:' || coalesce(detect, pattern) || ')', '|' ORDER BY id) FILTER (WHERE kind = 'key'),
         string_agg('(?:' || coalesce(detect, pattern) || ')', '|' ORDER BY id) FILTER (WHERE kind = 'value')
    INTO v_keys, v_key_words, v_values
    FROM app.scrub_rule WHERE enabled;
  -- session settings (is_local false): rolled back with an aborted transaction like any SET
  PERFORM set_config('pgwarden.scrub_key_pattern', coalesce(v_keys, '(?!x)x'), false),
          set_config('pgwarden.scrub_json_detector', '(?i)' || concat_ws('|', v_key_words, v_values, '(?!x)x'), false),
          set_config('pgwarden.scrub_text_detector',
                     '(?i)' || concat_ws('|', '(?:' || v_key_words || ')' || app._scrub_key_tail(), v_values, '(?!x)x'), false),
          set_config('pgwarden.scrub_value_detector', '(?i)' || coalesce(v_values, '(?!x)x'), false),
          set_config('pgwarden.scrub_generation', v_generation::text, false);
END $$;
COMMENT ON FUNCTION app._scrub_refresh_patterns() IS
  'Build the session''s combined key pattern and detectors from the enabled scrub rules, for this generation';

-- What may follow a key word up to its separator in free text: token_v2=, api-key:, auth[token]=
-- (not / or ?: in /auth/login.js:10 or /session?x=1 the key word is a path).
CREATE OR REPLACE FUNCTION app._scrub_key_tail() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT '[\w.%\[\]-]*["'']?[ \t]*[:=]' $$;
COMMENT ON FUNCTION app._scrub_key_tail() IS 'Regex from the end of a key word to its separator in key=value and key: value text';

-- pgwarden.scrub_key_pattern, or pgwarden.scrub_json_detector, _text_detector, _value_detector.
-- When the session's patterns are of the generation this transaction has memoized, a SQL
-- expression (inlined into the caller) answers; otherwise app._scrub_pattern_current checks.
CREATE OR REPLACE FUNCTION app._scrub_pattern_current(p_name text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
  -- (unset in a new session, blanked by a rule change: app.derivation_cache_invalidate)
  IF current_setting('pgwarden.scrub_generation', true) IS DISTINCT FROM app.derivation_cache_generation()::text THEN
    PERFORM app._scrub_refresh_patterns();
  END IF;
  RETURN current_setting(p_name);
END $$;
COMMENT ON FUNCTION app._scrub_pattern_current(text) IS
  'One of the combined scrub patterns, rebuilt first when the session''s are not of this transaction''s generation';

CREATE OR REPLACE FUNCTION app._scrub_pattern(p_name text) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN nullif(current_setting('pgwarden.derivation_generation', true), '')
                   = current_setting('pgwarden.scrub_generation', true)
              THEN current_setting(p_name)
              ELSE app._scrub_pattern_current(p_name) END
$$;
COMMENT ON FUNCTION app._scrub_pattern(text) IS 'One of the combined scrub patterns of the current rules (built on first use in a session and after rule changes)';

-- == Text ==

-- The slow path, for a text the value detector flagged: each value rule in turn.
CREATE OR REPLACE FUNCTION app._scrub_values(p_value text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_result text := p_value;
  v_rule record;
  v_candidate text;
BEGIN
  IF p_value !~ app._scrub_pattern('pgwarden.scrub_value_detector') THEN
    RETURN p_value;  -- flagged for a key=value pair only
  END IF;
  FOR v_rule IN SELECT pattern, replacement, validator FROM app.scrub_rule
                 WHERE kind = 'value' AND enabled ORDER BY id LOOP
    CONTINUE WHEN v_result !~ v_rule.pattern;
    IF v_rule.validator = 'luhn' THEN  -- only the candidates that pass the check
      FOR v_candidate IN SELECT DISTINCT m[1] FROM regexp_matches(v_result, '(' || v_rule.pattern || ')', 'g') AS m LOOP
        IF app.luhn_valid(v_candidate) THEN
          v_result := replace(v_result, v_candidate, v_rule.replacement);
        END IF;
      END LOOP;
    ELSE
      v_result := regexp_replace(v_result, v_rule.pattern, v_rule.replacement, 'g');
    END IF;
  END LOOP;
  RETURN v_result;
END $$;
COMMENT ON FUNCTION app._scrub_values(text) IS 'Apply every enabled value rule to a text (the slow path of app.scrub_text)';

-- Value rules, then the value of key=value, key: value and "key": "value" pairs whose key
-- contains a key rule. Pairs are found with regexp_instr and cut out with string functions: one
-- regexp_replace with capture groups costs ~70 µs on a 1 KB stack trace, this a few.
CREATE OR REPLACE FUNCTION app._scrub_text(p_value text, p_key_pattern text, p_text_detector text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_result text;
  v_pair text := '(?:' || p_key_pattern || ')' || app._scrub_key_tail() || '[ \t]*';  -- up to the value
  v_from integer := 1;
  v_at integer;
  v_secret text;
BEGIN
  IF p_value IS NULL OR p_value !~ p_text_detector THEN
    RETURN p_value;  -- the common case: one regex pass
  END IF;
  v_result := app._scrub_values(p_value);
  LOOP
    v_at := regexp_instr(v_result, v_pair, v_from, 1, 1, 'i');  -- where the value starts
    EXIT WHEN v_at = 0;
    v_secret := regexp_substr(substr(v_result, v_at, 2000),
      '^(?:"[^"\n]*"|''[^''\n]*''|(?:(?:bearer|basic|token|digest)[ \t]+)?[^\s&,;"''<>]+)', 1, 1, 'i');
    IF v_secret IS NOT NULL AND v_secret <> '[Filtered]' THEN
      v_result := left(v_result, v_at - 1) || '[Filtered]' || substr(v_result, v_at + length(v_secret));
    END IF;
    v_from := v_at + 1;
  END LOOP;
  RETURN v_result;
END $$;
COMMENT ON FUNCTION app._scrub_text(text, text, text) IS 'app.scrub_text with the combined patterns passed in';

CREATE OR REPLACE FUNCTION app.scrub_text(p_value text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF p_value IS NULL OR p_value = '' THEN
    RETURN p_value;
  END IF;
  RETURN app._scrub_text(p_value, app._scrub_pattern('pgwarden.scrub_key_pattern'),
                         app._scrub_pattern('pgwarden.scrub_text_detector'));
END $$;
COMMENT ON FUNCTION app.scrub_text(text) IS
'Free text (message, stack trace) with secrets replaced

Every enabled value rule (card numbers passing Luhn, bearer tokens, JWTs, AWS keys, PEM private
keys, URL passwords, …) is applied, then the value of every key=value, key: value or "key": "value"
pair whose key contains a key rule (password=…, token: …, Authorization: Bearer …) becomes
[Filtered].';

-- == URLs ==

-- Query and fragment parameters whose name contains a key rule get [Filtered] as value: what
-- regexp_replace(url, '(?<=[?&;#][^=&#]*(?:<key pattern>)[^=&#]*=)[^&#]+', '[Filtered]', 'gi')
-- does, with string functions and one short regex per parameter name (that lookbehind costs
-- ~10 µs a URL). A value runs to the next & or #; its name starts after that & or #, or after the
-- first ? or ; following the previous = (or the start of the URL).
CREATE OR REPLACE FUNCTION app._scrub_url_parameters(p_url text, p_key_pattern text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_parts text[];
  v_segment text;
  v_delimiter text;
  v_result text := '';
  v_from integer := 1;  -- where the current segment starts in p_url
  v_length integer;
  v_name_from integer;
  v_equals integer;
  v_name text;
  v_start integer;
BEGIN
  IF strpos(p_url, '=') = 0 THEN
    RETURN p_url;
  END IF;
  v_parts := string_to_array(translate(p_url, '#', '&'), '&');
  FOR k IN 1 .. cardinality(v_parts) LOOP
    v_length := length(v_parts[k]);  -- translate keeps lengths: cut the original text
    v_segment := substr(p_url, v_from, v_length);
    v_delimiter := substr(p_url, v_from + v_length, 1);
    v_name_from := 1;
    LOOP
      v_equals := strpos(substr(v_segment, v_name_from), '=');
      EXIT WHEN v_equals = 0;
      v_equals := v_name_from + v_equals - 1;
      v_name := substr(v_segment, v_name_from, v_equals - v_name_from);
      v_start := CASE WHEN k > 1 AND v_name_from = 1 THEN 0
                      ELSE least(nullif(strpos(v_name, '?'), 0), nullif(strpos(v_name, ';'), 0)) END;
      IF v_start IS NOT NULL AND v_equals < v_length AND substr(v_name, v_start + 1) ~* p_key_pattern THEN
        v_segment := left(v_segment, v_equals) || '[Filtered]';
        EXIT;
      END IF;
      v_name_from := v_equals + 1;
    END LOOP;
    v_result := v_result || v_segment || v_delimiter;
    v_from := v_from + v_length + 1;
  END LOOP;
  RETURN v_result;
END $$;
COMMENT ON FUNCTION app._scrub_url_parameters(text, text) IS
  'A URL with the value of each query or fragment parameter whose name matches the key pattern set to [Filtered]';

-- The parameters first, then the value rules (app._scrub_values asks the value detector first,
-- so a URL it does not flag costs that one regex).
CREATE OR REPLACE FUNCTION app._scrub_url(p_url text, p_key_pattern text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_result text := p_url;
BEGIN
  IF v_result IS NULL OR v_result = '' THEN
    RETURN v_result;
  END IF;
  IF strpos(v_result, '@') > 0 THEN  -- userinfo: scheme://user:password@host
    v_result := regexp_replace(v_result, '^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*@', '\1');
  END IF;
  -- query and fragment (OAuth implicit flow)
  RETURN app._scrub_values(app._scrub_url_parameters(v_result, p_key_pattern));
END $$;
COMMENT ON FUNCTION app._scrub_url(text, text) IS 'app.scrub_url with the combined key pattern passed in';
DROP FUNCTION IF EXISTS app._scrub_url(text, text, text);  -- (it also took the text detector)

CREATE OR REPLACE FUNCTION app.scrub_url(p_url text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF p_url IS NULL OR p_url = '' THEN
    RETURN p_url;
  END IF;
  RETURN app._scrub_url(p_url, app._scrub_pattern('pgwarden.scrub_key_pattern'));
END $$;
COMMENT ON FUNCTION app.scrub_url(text) IS
'A URL with user:password@ removed, the value of each query or fragment parameter whose name
contains a key rule set to [Filtered] (?token=[Filtered]&page=2), and the value rules applied';

-- == JSON ==

-- Set-based over an object's members: only the members that may change are rebuilt (a key
-- matching a key rule loses its value; strings get the text rules; objects and arrays the detector
-- flags are recursed into) and merged back over the object.
CREATE OR REPLACE FUNCTION app._scrub_jsonb(p_value jsonb, p_key_pattern text, p_json_detector text, p_text_detector text)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF jsonb_typeof(p_value) = 'object' THEN
    RETURN p_value || coalesce(
      (SELECT jsonb_object_agg(key, CASE WHEN key ~* p_key_pattern AND jsonb_typeof(value) <> 'null' THEN '"[Filtered]"'
                                         ELSE app._scrub_jsonb(value, p_key_pattern, p_json_detector, p_text_detector) END)
         FROM jsonb_each(p_value)
        WHERE key ~* p_key_pattern
           OR (jsonb_typeof(value) IN ('object', 'array') AND value::text ~ p_json_detector)
           OR (jsonb_typeof(value) = 'string' AND value #>> '{}' ~ p_text_detector)),
      '{}');
  ELSIF jsonb_typeof(p_value) = 'array' THEN
    RETURN coalesce((SELECT jsonb_agg(CASE WHEN jsonb_typeof(value) = 'string'
                                             OR (jsonb_typeof(value) IN ('object', 'array') AND value::text ~ p_json_detector)
                                           THEN app._scrub_jsonb(value, p_key_pattern, p_json_detector, p_text_detector)
                                           ELSE value END ORDER BY n)
                       FROM jsonb_array_elements(p_value) WITH ORDINALITY AS e(value, n)), '[]');
  ELSIF jsonb_typeof(p_value) = 'string' THEN
    RETURN to_jsonb(app._scrub_text(p_value #>> '{}', p_key_pattern, p_text_detector));
  END IF;
  RETURN p_value;
END $$;
COMMENT ON FUNCTION app._scrub_jsonb(jsonb, text, text, text) IS 'app.scrub_jsonb with the combined patterns passed in';

CREATE OR REPLACE FUNCTION app.scrub_jsonb(p_value jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_json_detector text;
BEGIN
  IF p_value IS NULL OR jsonb_typeof(p_value) NOT IN ('object', 'array', 'string') THEN
    RETURN p_value;
  END IF;
  v_json_detector := app._scrub_pattern('pgwarden.scrub_json_detector');
  IF p_value::text !~ v_json_detector THEN
    RETURN p_value;  -- the common case: one regex pass over the text, nothing rebuilt
  END IF;
  RETURN app._scrub_jsonb(p_value, app._scrub_pattern('pgwarden.scrub_key_pattern'), v_json_detector,
                          app._scrub_pattern('pgwarden.scrub_text_detector'));
END $$;
COMMENT ON FUNCTION app.scrub_jsonb(jsonb) IS
'A JSON value (metadata, frame vars, request data) with secrets replaced, at any depth

Every object member whose key contains a key rule (password, passwd, secret, token, api_key,
apikey, auth, authorization, credentials, cookie, session, csrf, private_key, …; case-folded
substrings) gets the string "[Filtered]" as its whole value (null stays null); every string
gets app.scrub_text (value rules: Luhn-valid card numbers, bearer tokens, JWTs, AWS keys, PEM
private keys, URL passwords; and key=value pairs). Returned unchanged, without being rebuilt,
when one pass of the detector finds nothing.';
