-- Scrubbing applied (reference/sentry.md §6): free text, URLs and JSON with secrets replaced by
-- [Filtered]. The validators and the combined patterns these use are in 310_scrubbing.sql. Every
-- function first asks the detector whether anything could match and returns its input untouched
-- if not.

-- == Text ==

-- A validated value rule over a text: each match whose secret passes the check (app._scrub_validated)
-- replaced. The text between matches (regexp_split_to_array) is interleaved with the matches
-- (regexp_matches) and joined once, so the work grows with the text, not with the text times its
-- matches (a replace of each secret over the whole text cost 1.3 s on 120 KB of card numbers). A
-- match can run past its secret into the next one, an IBAN into another's groups: then the text is
-- searched again, with the first one replaced (three passes at most).
CREATE OR REPLACE FUNCTION app._scrub_validated_matches(p_text text, p_pattern text, p_validator text, p_replacement text)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_result text := p_text;
  v_between text[];
  v_matches text[];
  v_secrets text[];
BEGIN
  FOR v_pass IN 1 .. 3 LOOP
    v_between := regexp_split_to_array(v_result, p_pattern);
    EXIT WHEN cardinality(v_between) = 1;
    -- (a validated pattern has no capturing group: m[1] is the whole match)
    SELECT array_agg(m.found[1] ORDER BY m.n), array_agg(app._scrub_validated(p_validator, m.found[1]) ORDER BY m.n)
      INTO v_matches, v_secrets
      FROM regexp_matches(v_result, p_pattern, 'g') WITH ORDINALITY AS m (found, n);
    v_result := (SELECT string_agg(x.between || coalesce(CASE WHEN x.secret IS NULL THEN x.match
                                                              ELSE p_replacement || substr(x.match, length(x.secret) + 1) END, ''),
                                   '' ORDER BY x.n)
                   FROM unnest(v_between, v_matches, v_secrets) WITH ORDINALITY AS x (between, match, secret, n));
    EXIT WHEN NOT EXISTS (SELECT FROM unnest(v_matches, v_secrets) AS y (match, secret) WHERE length(y.secret) < length(y.match));
  END LOOP;
  RETURN v_result;
END $$;
COMMENT ON FUNCTION app._scrub_validated_matches(text, text, text, text) IS
  'A text with the secret of every match of a validated value rule that passes its check replaced';

-- The slow path, for a text the value detector flagged: each value rule of each regex of the
-- value detector that matches, in turn.
CREATE OR REPLACE FUNCTION app._scrub_values(p_value text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_detectors text[] := app._scrub_detectors('pgwarden.scrub_value_detector');
  v_rules text[];
  v_result text := p_value;
  v_rule record;
BEGIN
  FOR v_chunk IN 1 .. coalesce(cardinality(v_detectors), 0) LOOP
    CONTINUE WHEN NOT v_result ~ v_detectors[v_chunk];  -- (most texts: flagged for a key=value pair only)
    v_rules := app._scrub_detectors('pgwarden.scrub_value_rules');
    FOR v_rule IN SELECT pattern, replacement, validator FROM app.scrub_rule
                   WHERE id = ANY (string_to_array(v_rules[v_chunk], ',')::integer[]) AND enabled ORDER BY id LOOP
      CONTINUE WHEN v_result !~ v_rule.pattern;
      v_result := CASE WHEN v_rule.validator IS NOT NULL  -- only what passes the check
                       THEN app._scrub_validated_matches(v_result, v_rule.pattern, v_rule.validator, v_rule.replacement)
                       ELSE regexp_replace(v_result, v_rule.pattern, v_rule.replacement, 'g') END;
    END LOOP;
  END LOOP;
  RETURN v_result;
END $$;
COMMENT ON FUNCTION app._scrub_values(text) IS 'Apply every enabled value rule to a text (the slow path of app.scrub_text)';

-- What a key=value pair's value is, after its separator: a quoted string, or up to a space or a
-- delimiter (with an Authorization scheme before it: Bearer abc, Basic abc).
CREATE OR REPLACE FUNCTION app._scrub_pair_value() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT '(?:"[^"\n]*"|''[^''\n]*''|(?:(?:bearer|basic|token|digest)[ \t]+)?[^\s&,;"''<>]+)'
$$;
COMMENT ON FUNCTION app._scrub_pair_value() IS 'Regex of the value of a key=value, key: value or "key": "value" pair';

-- The value of every key word, whitespace, value pair (passwd hunter2; p_pair: the whole pair)
-- that is a secret: without trailing punctuation, six characters or more and no e-mail or IP
-- address (that is personal data, which the organization's policy decides on:
-- db/functions/app/315_personal_data.sql) becomes [Filtered]. The text between pairs
-- (regexp_split_to_array) is interleaved with the pairs (regexp_matches), two regex passes in all,
-- and the pieces are joined once: the work grows with the text, however many pairs it holds. The
-- pattern has no capturing group (db/triggers/310_scrubbing.sql): the engine would split every
-- match into its groups, which costs several times the search.
CREATE OR REPLACE FUNCTION app._scrub_spaced_pairs(p_text text, p_pair text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_between text[] := regexp_split_to_array(p_text, p_pair, 'i');
  v_pairs text[];  -- each pair as it is to be stored
BEGIN
  IF cardinality(v_between) = 1 THEN
    RETURN p_text;
  END IF;
  v_pairs := ARRAY(SELECT CASE WHEN length(v.secret) >= 6 AND app.personal_data_kind(v.secret) IS NULL
                               THEN left(v.pair, -length(v.value)) || '[Filtered]' || substr(v.value, length(v.secret) + 1)
                               ELSE v.pair END
                     FROM regexp_matches(p_text, p_pair, 'gi') WITH ORDINALITY AS m (pair, n)
                    -- (the value has no blank in it: it follows the last one)
                    CROSS JOIN LATERAL (SELECT m.pair[1] AS pair, regexp_substr(m.pair[1], '[^ \t]*$') AS value) AS w
                    CROSS JOIN LATERAL (SELECT w.pair, w.value, rtrim(w.value, '.,;:!?') AS secret) AS v
                    ORDER BY m.n);
  -- (unnest of two arrays pairs them up by position: the last piece of text has no pair after it)
  RETURN (SELECT string_agg(x.between || coalesce(x.pair, ''), '' ORDER BY x.n)
            FROM unnest(v_between, v_pairs) WITH ORDINALITY AS x (between, pair, n));
END $$;
COMMENT ON FUNCTION app._scrub_spaced_pairs(text, text) IS
  'A text with the value of every key word, whitespace, value pair that looks like a secret set to [Filtered]';
DROP FUNCTION IF EXISTS app._scrub_pairs(text, text, text, boolean);  -- (key=value pairs are one regexp_replace)

-- Value rules, then the value of key=value, key: value and "key": "value" pairs whose key
-- contains a key rule, then of key-word-space-value pairs whose value looks like a secret. Each
-- kind of pair is found in one pass over the text (a search from each pair's offset, as before,
-- read the rest of the text once per pair: 16 KB of pairs took seconds).
CREATE OR REPLACE FUNCTION app._scrub_text(p_value text, p_key_pattern text, p_text_detector text[]) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_result text;
BEGIN
  IF p_value IS NULL OR NOT p_value ~ ANY (p_text_detector) THEN
    RETURN p_value;  -- the common case: one pass of the detector
  END IF;
  -- (a value already [Filtered] is replaced by itself)
  v_result := regexp_replace(app._scrub_values(p_value),
                             '((?:' || p_key_pattern || ')' || app._scrub_key_separator() || '[ \t]*)' || app._scrub_pair_value(),
                             '\1[Filtered]', 'gi');
  RETURN app._scrub_spaced_pairs(v_result, '(?:' || p_key_pattern || ')' || app._scrub_key_space() || '[A-Za-z0-9][^\s&,;"''<>()]*');
END $$;
COMMENT ON FUNCTION app._scrub_text(text, text, text[]) IS 'app.scrub_text with the combined patterns passed in';
DROP FUNCTION IF EXISTS app._scrub_text(text, text, text);  -- (the text detector was one regex)

CREATE OR REPLACE FUNCTION app.scrub_text(p_value text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF p_value IS NULL OR p_value = '' THEN
    RETURN p_value;
  END IF;
  RETURN app._scrub_text(p_value, app._scrub_pattern('pgwarden.scrub_key_pattern'),
                         app._scrub_detectors('pgwarden.scrub_text_detector'));
END $$;
COMMENT ON FUNCTION app.scrub_text(text) IS
'Free text (message, stack trace) with secrets replaced

Every enabled value rule (card numbers passing Luhn, IBANs passing their check digits, US social
security numbers, bearer tokens, JWTs, AWS keys, PEM private keys, URL passwords, vendor API keys,
…) is applied, then the value of every key=value, key: value, "key": "value" or key%3Dvalue pair
whose key contains a key rule (password=…, token: …, Authorization: Bearer …) becomes [Filtered],
and so does a value after a key word and whitespace when it has a digit or a sign in it (passwd
hunter2; not "token expired").';

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

-- The parameters first, then the value rules (app._scrub_values asks the value detector first).
-- Two encodings hide what the rules look for: a URL-encoded pair inside a parameter
-- (next=%2Freset%3Fpassword%3Dhunter2) gets the free-text pass, and for the value rules a + or
-- %20 standing for a space (Bearer+abc, 4111+1111+1111+1111) is read as one.
CREATE OR REPLACE FUNCTION app._scrub_url(p_url text, p_key_pattern text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_result text := p_url;
  v_spaced text;
  v_scrubbed text;
BEGIN
  IF v_result IS NULL OR v_result = '' THEN
    RETURN v_result;
  END IF;
  IF strpos(v_result, '@') > 0 THEN  -- userinfo: scheme://user:password@host
    v_result := regexp_replace(v_result, '^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*@', '\1');
  END IF;
  -- query and fragment (OAuth implicit flow)
  v_result := app._scrub_values(app._scrub_url_parameters(v_result, p_key_pattern));
  IF strpos(v_result, '%3') > 0 THEN  -- %3D, %3A: an encoded separator
    v_result := app._scrub_text(v_result, p_key_pattern, app._scrub_detectors('pgwarden.scrub_text_detector'));
  END IF;
  IF strpos(v_result, '+') > 0 OR strpos(v_result, '%20') > 0 THEN
    v_spaced := replace(replace(v_result, '+', ' '), '%20', ' ');
    v_scrubbed := app._scrub_values(v_spaced);
    IF v_scrubbed <> v_spaced THEN
      v_result := replace(v_scrubbed, ' ', '+');
    END IF;
  END IF;
  RETURN v_result;
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
contains a key rule set to [Filtered] (?token=[Filtered]&page=2), and the value rules applied, also
where + or %20 stands for a space; URL-encoded pairs (password%3D…) are filtered as in free text';

-- == JSON ==

-- Set-based over an object's members: only the members that may change are rebuilt (a key
-- matching a key rule loses its value; strings and numbers get the text rules; objects and arrays
-- the detector flags are recursed into; a key holding a secret is scrubbed too) and merged back
-- over the object. In an array, a [name, value] pair whose name matches a key rule loses its
-- value, as a member would (Sentry sends headers, cookies and query strings as such pairs).
CREATE OR REPLACE FUNCTION app._scrub_jsonb(p_value jsonb, p_key_pattern text, p_json_detector text[], p_text_detector text[])
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_renamed text[];
  v_members jsonb;
  v_text text;
BEGIN
  IF jsonb_typeof(p_value) = 'object' THEN
    SELECT array_agg(m.key) FILTER (WHERE m.new_key <> m.key), jsonb_object_agg(m.new_key, m.new_value)
      INTO v_renamed, v_members
      FROM (SELECT e.key, app._scrub_text(e.key, p_key_pattern, p_text_detector) AS new_key,
                   CASE WHEN e.key ~* p_key_pattern AND jsonb_typeof(e.value) <> 'null' THEN '"[Filtered]"'
                        ELSE app._scrub_jsonb(e.value, p_key_pattern, p_json_detector, p_text_detector) END AS new_value
              FROM jsonb_each(p_value) AS e
             -- (a member's key and value are read by one pass of the detector, joined by chr(31))
             WHERE e.key ~* p_key_pattern
                OR CASE WHEN jsonb_typeof(e.value) IN ('object', 'array')
                        THEN (e.key || chr(31) || e.value::text) ~ ANY (p_json_detector)
                        ELSE (e.key || chr(31) || coalesce(e.value #>> '{}', '')) ~ ANY (p_text_detector) END) AS m;
    RETURN (p_value - coalesce(v_renamed, '{}')) || coalesce(v_members, '{}');
  ELSIF jsonb_typeof(p_value) = 'array' THEN
    RETURN coalesce((SELECT jsonb_agg(CASE
                                        WHEN jsonb_typeof(value) = 'array' AND jsonb_array_length(value) = 2
                                             AND jsonb_typeof(value -> 0) = 'string' AND value ->> 0 ~* p_key_pattern
                                             AND jsonb_typeof(value -> 1) <> 'null'
                                          THEN jsonb_build_array(value -> 0, '[Filtered]')
                                        WHEN jsonb_typeof(value) IN ('string', 'number')
                                             OR (jsonb_typeof(value) IN ('object', 'array') AND value::text ~ ANY (p_json_detector))
                                          THEN app._scrub_jsonb(value, p_key_pattern, p_json_detector, p_text_detector)
                                        ELSE value END ORDER BY n)
                       FROM jsonb_array_elements(p_value) WITH ORDINALITY AS e(value, n)), '[]');
  ELSIF jsonb_typeof(p_value) IN ('string', 'number') THEN
    v_text := p_value #>> '{}';
    IF NOT v_text ~ ANY (p_text_detector) THEN
      RETURN p_value;
    END IF;
    v_text := app._scrub_text(v_text, p_key_pattern, p_text_detector);
    -- a number that held a secret (a card number sent as a JSON number) becomes a string
    RETURN CASE WHEN v_text = p_value #>> '{}' THEN p_value ELSE to_jsonb(v_text) END;
  END IF;
  RETURN p_value;
END $$;
COMMENT ON FUNCTION app._scrub_jsonb(jsonb, text, text[], text[]) IS 'app.scrub_jsonb with the combined patterns passed in';
DROP FUNCTION IF EXISTS app._scrub_jsonb(jsonb, text, text, text);  -- (the detectors were one regex each)

CREATE OR REPLACE FUNCTION app.scrub_jsonb(p_value jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_json_detector text[];
BEGIN
  IF p_value IS NULL OR jsonb_typeof(p_value) NOT IN ('object', 'array', 'string', 'number') THEN
    RETURN p_value;
  END IF;
  v_json_detector := app._scrub_detectors('pgwarden.scrub_json_detector');
  IF NOT p_value::text ~ ANY (v_json_detector) THEN
    RETURN p_value;  -- the common case: one pass of the detector over the text, nothing rebuilt
  END IF;
  RETURN app._scrub_jsonb(p_value, app._scrub_pattern('pgwarden.scrub_key_pattern'), v_json_detector,
                          app._scrub_detectors('pgwarden.scrub_text_detector'));
END $$;
COMMENT ON FUNCTION app.scrub_jsonb(jsonb) IS
'A JSON value (metadata, frame vars, request data) with secrets replaced, at any depth

Every object member whose key contains a key rule (password, passwd, pwd, secret, token, api_key,
apikey, auth, authorization, credentials, cookie, session, csrf, private_key, ssn, …; case-folded
substrings) gets the string "[Filtered]" as its whole value (null stays null), and so does the
value of a [name, value] pair in an array (headers as pairs); every string, number and key gets
app.scrub_text (value rules: Luhn-valid card numbers, IBANs, social security numbers, bearer
tokens, JWTs, AWS keys, PEM private keys, URL passwords, vendor API keys; and key=value pairs), a
number that held a secret becoming the string with it replaced. Returned unchanged, without
being rebuilt, when one pass of the detector finds nothing.';
