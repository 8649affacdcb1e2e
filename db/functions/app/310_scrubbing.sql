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

-- == IBAN (ISO 13616) ==

-- Each registered country and the length of its IBANs (ISO 13616 registry), as a constant: two
-- letters and two digits per country, so a search for two letters can only land on a country.
CREATE OR REPLACE FUNCTION app._iban_countries() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT 'AD24AE23AL28AT20AZ28BA20BE16BG22BH22BI27BR29BY28CH21CR22CY28CZ24DE22DJ27DK18DO28EE20EG29ES24'
         'FI18FK18FO18FR27GB22GE22GI23GL18GR27GT28HN28HR21HU28IE22IL23IQ23IS26IT27JO30KW30KZ20LB28'
         'LC32LI21LT20LU20LV21LY25MC27MD24ME22MK19MN20MR27MT31MU30NI28NL18NO15OM23PK24PL28PS29PT25'
         'QA29RO24RS22RU33SA24SC31SD18SE24SI19SK24SM27SO23ST25SV28TL23TN24TR26UA29VA22VG24XK20YE30'::text
$$;
COMMENT ON FUNCTION app._iban_countries() IS 'Countries with IBANs and their lengths: AD24AE23… (ISO 13616 registry)';

CREATE OR REPLACE FUNCTION app._iban_length(p_country text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_country ~ '^[A-Za-z]{2}$' THEN
    substr(app._iban_countries(), nullif(strpos(app._iban_countries(), upper(p_country)), 0) + 2, 2)::integer END
$$;
COMMENT ON FUNCTION app._iban_length(text) IS 'The length of a country''s IBANs, NULL for a country without IBANs';

-- Like app.luhn_valid: a loop of simple expressions. The check digits make the IBAN, its four
-- characters moved to the end and letters read as 10..35, a number that leaves 1 divided by 97.
CREATE OR REPLACE FUNCTION app.iban_valid(p_iban text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  v_iban text := upper(replace(coalesce(p_iban, ''), ' ', ''));
  v_length integer := length(v_iban);
  v_rearranged text;
  v_code integer;
  v_remainder integer := 0;
BEGIN
  IF v_length IS DISTINCT FROM app._iban_length(left(v_iban, 2)) OR v_iban !~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]+$' THEN
    RETURN false;
  END IF;
  v_rearranged := substr(v_iban, 5) || left(v_iban, 4);
  FOR v_at IN 1 .. v_length LOOP
    v_code := ascii(substr(v_rearranged, v_at, 1));
    v_remainder := CASE WHEN v_code <= 57 THEN (v_remainder * 10 + v_code - 48) % 97
                        ELSE (v_remainder * 100 + v_code - 55) % 97 END;
  END LOOP;
  RETURN v_remainder = 1;
END $$;
COMMENT ON FUNCTION app.iban_valid(text) IS
'Whether a text (spaces ignored, any case) is an IBAN: a registered country, that country''s length and ISO 13616 (mod 97) check digits';

-- The IBAN a match of the IBAN rule starts with: its country's number of characters, ending
-- where the match does or at a space (a spaced IBAN may be followed by more groups of four).
CREATE OR REPLACE FUNCTION app._iban_at_start(p_candidate text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  v_wanted integer := app._iban_length(left(p_candidate, 2));
  v_seen integer := 0;
BEGIN
  IF v_wanted IS NULL THEN
    RETURN NULL;
  END IF;
  FOR v_at IN 1 .. length(p_candidate) LOOP
    IF substr(p_candidate, v_at, 1) <> ' ' THEN
      v_seen := v_seen + 1;
      IF v_seen = v_wanted THEN
        RETURN CASE WHEN substr(p_candidate, v_at + 1, 1) IN ('', ' ') AND app.iban_valid(left(p_candidate, v_at))
                    THEN left(p_candidate, v_at) END;
      END IF;
    END IF;
  END LOOP;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app._iban_at_start(text) IS 'The valid IBAN a text starts with (whole groups), or NULL';

-- What a validated value rule replaces of one match: the match (luhn) or the IBAN it starts
-- with (iban) when that passes its check, else nothing.
CREATE OR REPLACE FUNCTION app._scrub_validated(p_validator text, p_candidate text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE p_validator
    WHEN 'luhn' THEN CASE WHEN app.luhn_valid(p_candidate) THEN p_candidate END
    WHEN 'iban' THEN app._iban_at_start(p_candidate)
  END
$$;
COMMENT ON FUNCTION app._scrub_validated(text, text) IS
  'The secret within one match of a validated value rule (luhn: the card number; iban: the IBAN it starts with), or NULL';

-- == The combined patterns, cached for the session ==

-- Every scrub_* call needs regexes built from the enabled rules: all key patterns as one
-- alternation, and detectors that answer in one case-insensitive pass whether a text could need
-- scrubbing at all. The JSON detector looks for any key rule's word (a key may hold spaces or
-- brackets) or any value rule's detect pattern; the text detector wants a key word followed by a
-- separator (token=, password: …), so a path like /auth/login does not count. A detector is a
-- short list of regexes, each tried once over the text (text ~ ANY (detectors)): the key words,
-- then the value rules' detect patterns seven at a time. PostgreSQL's regex engine builds its DFA
-- afresh on every call, at a cost that grows faster than the pattern: the value rules' detect
-- patterns cost 46 µs in one regex on 250 characters of an event's fields, 28 in regexes of seven
-- (34 one regex per rule: each call costs its setup); and a text one of them flags is checked
-- against the rules of that regex only (app._scrub_values). Few regexes either way: a backend
-- keeps only 32 compiled.
-- Building them costs ~100 µs (a tenth of a single capture), so they are kept in session
-- settings (each list joined by chr(31)), tagged with the derivation cache generation they were
-- built under (db/functions/app/335_derivation_cache.sql): every rule change bumps it, so each
-- session rebuilds them in its next transaction, and the changing transaction at once. The
-- generation is memoized before the rules are read: results of these patterns are cached under
-- it, so it must not be newer than they are.
CREATE OR REPLACE FUNCTION app._scrub_refresh_patterns() RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_generation integer := app.derivation_cache_generation();
  v_keys text;
  v_key_words text;
  v_values text[];      -- the value rules' detect patterns, seven to a regex
  v_value_rules text[];  -- the ids of the rules each of those regexes stands for
BEGIN
  SELECT string_agg('(?:' || pattern || ')', '|' ORDER BY id), string_agg('(?:' || coalesce(detect, pattern) || ')', '|' ORDER BY id)
    INTO v_keys, v_key_words
    FROM app.scrub_rule WHERE enabled AND kind = 'key';
  SELECT coalesce(array_agg('(?i)' || c.alternatives ORDER BY c.chunk), '{}'), coalesce(array_agg(c.ids ORDER BY c.chunk), '{}')
    INTO v_values, v_value_rules
    FROM (SELECT v.chunk, string_agg('(?:' || v.detect || ')', '|' ORDER BY v.id) AS alternatives,
                 string_agg(v.id::text, ',' ORDER BY v.id) AS ids
            FROM (SELECT r.id, coalesce(r.detect, r.pattern) AS detect, (row_number() OVER (ORDER BY r.id) - 1) / 7 AS chunk
                    FROM app.scrub_rule r WHERE r.enabled AND r.kind = 'value') AS v
           GROUP BY v.chunk) AS c;
  -- session settings (is_local false): rolled back with an aborted transaction like any SET
  PERFORM set_config('pgwarden.scrub_key_pattern', coalesce(v_keys, '(?!x)x'), false),
          set_config('pgwarden.scrub_json_detector', array_to_string('(?i)' || v_key_words || v_values, chr(31)), false),
          set_config('pgwarden.scrub_text_detector',
                     array_to_string('(?i)(?:' || v_key_words || ')' || app._scrub_key_tail_detect() || v_values, chr(31)), false),
          set_config('pgwarden.scrub_value_detector', array_to_string(v_values, chr(31)), false),
          set_config('pgwarden.scrub_value_rules', array_to_string(v_value_rules, chr(31)), false),
          set_config('pgwarden.scrub_generation', v_generation::text, false);
END $$;
COMMENT ON FUNCTION app._scrub_refresh_patterns() IS
  'Build the session''s combined key pattern and detectors from the enabled scrub rules, for this generation';

-- What may follow a key word up to its separator in free text: token_v2=, api-key:, auth[token]=,
-- "secret": and password%3D (URL-encoded). Not / or ?: in /auth/login.js:10 or /session?x=1 the
-- key word is a path; nor a file extension before a line number: auth.js:3:9 is a location.
CREATE OR REPLACE FUNCTION app._scrub_key_separator() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT '(?:[\w\[\]-]|%(?!3[AaDd])|\.(?![A-Za-z]{1,5}:[0-9]))*["'']?[ \t]*(?:[:=]|%3[AaDd])'
$$;
COMMENT ON FUNCTION app._scrub_key_separator() IS
  'Regex from the end of a key word to its separator in key=value, key: value and key%3Dvalue text';
DROP FUNCTION IF EXISTS app._scrub_key_tail();  -- (the separator alone, before the whitespace form)

-- What the detector asks of the text after a key word: either form above, without their
-- lookaheads (a superset): each lookahead in the combined detector costs as much as the rest of it.
CREATE OR REPLACE FUNCTION app._scrub_key_tail_detect() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT '(?:[\w.%\[\]-]*["'']?[ \t]*(?:[:=]|%3[AaDd])|[\w.\[\]-]*[ \t]+[A-Za-z0-9][^\s]*[^A-Za-z\s.,;:!?])'
$$;
COMMENT ON FUNCTION app._scrub_key_tail_detect() IS
  'Regex of what may follow a key word in a text that needs scrubbing: app._scrub_key_separator or app._scrub_key_space, loosely';

-- A key word, whitespace, then a value that looks like a secret (passwd hunter2, token 8f3a…):
-- one that has a digit or a sign besides trailing punctuation, so "token expired" and "session
-- (/srv/app/session.js:3:9)" are prose and code, not pairs. Ends before the value (a lookahead).
CREATE OR REPLACE FUNCTION app._scrub_key_space() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT '[\w.\[\]-]*[ \t]+(?=[A-Za-z0-9][^\s]*[^A-Za-z\s.,;:!?])' $$;
COMMENT ON FUNCTION app._scrub_key_space() IS
  'Regex from the end of a key word over whitespace to a value that looks like a secret (key word, space, value text)';

-- pgwarden.scrub_key_pattern, or pgwarden.scrub_json_detector, _text_detector, _value_detector
-- (lists joined by chr(31): app._scrub_detectors). When the session's patterns are of the generation this transaction has memoized, a SQL
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

-- A detector (pgwarden.scrub_json_detector, _text_detector, _value_detector) as its list of
-- regexes: a text needs scrubbing when it matches any of them (text ~ ANY (detectors)); or
-- pgwarden.scrub_value_rules, the ids (1,2,…) of the rules of each value detector regex.
CREATE OR REPLACE FUNCTION app._scrub_detectors(p_name text) RETURNS text[]
LANGUAGE sql STABLE AS $$
  SELECT string_to_array(app._scrub_pattern(p_name), chr(31))
$$;
COMMENT ON FUNCTION app._scrub_detectors(text) IS 'One of the scrub detectors of the current rules, as its list of regexes';

-- == Text ==

-- The slow path, for a text the value detector flagged: each value rule of each regex of the
-- value detector that matches, in turn.
CREATE OR REPLACE FUNCTION app._scrub_values(p_value text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_detectors text[] := app._scrub_detectors('pgwarden.scrub_value_detector');
  v_rules text[];
  v_result text := p_value;
  v_rule record;
  v_candidate text;
  v_secret text;
  v_again boolean;
BEGIN
  FOR v_chunk IN 1 .. coalesce(cardinality(v_detectors), 0) LOOP
    CONTINUE WHEN NOT v_result ~ v_detectors[v_chunk];  -- (most texts: flagged for a key=value pair only)
    v_rules := app._scrub_detectors('pgwarden.scrub_value_rules');
    FOR v_rule IN SELECT pattern, replacement, validator FROM app.scrub_rule
                   WHERE id = ANY (string_to_array(v_rules[v_chunk], ',')::integer[]) AND enabled ORDER BY id LOOP
      CONTINUE WHEN v_result !~ v_rule.pattern;
      IF v_rule.validator IS NOT NULL THEN  -- only what passes the check
        -- (a match can run past its secret into the next one, an IBAN into another's groups:
        -- then the text is searched again, now with the first one replaced)
        FOR v_pass IN 1 .. 3 LOOP
          v_again := false;
          FOR v_candidate IN SELECT DISTINCT m[1] FROM regexp_matches(v_result, v_rule.pattern, 'g') AS m LOOP
            v_secret := app._scrub_validated(v_rule.validator, v_candidate);
            IF v_secret IS NOT NULL THEN
              v_result := replace(v_result, v_secret, v_rule.replacement);
              v_again := v_again OR length(v_secret) < length(v_candidate);
            END IF;
          END LOOP;
          EXIT WHEN NOT v_again;
        END LOOP;
      ELSE
        v_result := regexp_replace(v_result, v_rule.pattern, v_rule.replacement, 'g');
      END IF;
    END LOOP;
  END LOOP;
  RETURN v_result;
END $$;
COMMENT ON FUNCTION app._scrub_values(text) IS 'Apply every enabled value rule to a text (the slow path of app.scrub_text)';

-- Value rules, then the value of key=value, key: value and "key": "value" pairs whose key
-- contains a key rule, then of key-word-space-value pairs whose value looks like a secret. Pairs
-- are found with regexp_instr and cut out with string functions: one regexp_replace with capture
-- groups costs ~70 µs on a 1 KB stack trace, this a few.
CREATE OR REPLACE FUNCTION app._scrub_text(p_value text, p_key_pattern text, p_text_detector text[]) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_result text;
  v_pair text := '(?:' || p_key_pattern || ')' || app._scrub_key_separator() || '[ \t]*';  -- up to the value
  v_spaced_pair text := '(?:' || p_key_pattern || ')' || app._scrub_key_space();
  v_from integer := 1;
  v_at integer;
  v_secret text;
BEGIN
  IF p_value IS NULL OR NOT p_value ~ ANY (p_text_detector) THEN
    RETURN p_value;  -- the common case: one pass of the detector
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
  v_from := 1;
  LOOP
    v_at := regexp_instr(v_result, v_spaced_pair, v_from, 1, 1, 'i');
    EXIT WHEN v_at = 0;
    -- the value up to a space or delimiter, without trailing punctuation; six characters at least
    v_secret := rtrim(regexp_substr(substr(v_result, v_at, 2000), '^[A-Za-z0-9][^\s&,;"''<>()]*'), '.,;:!?');
    IF length(v_secret) >= 6 THEN
      v_result := left(v_result, v_at - 1) || '[Filtered]' || substr(v_result, v_at + length(v_secret));
    END IF;
    v_from := v_at + 1;
  END LOOP;
  RETURN v_result;
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
