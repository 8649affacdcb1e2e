-- Scrubbing (reference/sentry.md §6): secrets become [Filtered] before anything is stored. Rules
-- are rows of app.scrub_rule; this file holds the validators some of them use (Luhn, IBAN) and the
-- patterns built from them, cached per session; 310_scrubbing_apply.sql applies them to text,
-- URLs and JSON. They run for every event, so each of those first asks the detector whether
-- anything could match and returns its input untouched if not.

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

-- A key word, whitespace, then a value that looks like a secret (passwd hunter2, token 8f3a…):
-- one that has a digit or a sign besides trailing punctuation, so "token expired" and "session
-- (/srv/app/session.js:3:9)" are prose and code, not pairs. Ends before the value (a lookahead).
CREATE OR REPLACE FUNCTION app._scrub_key_space() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT '[\w.\[\]-]*[ \t]+(?=[A-Za-z0-9][^\s]*[^A-Za-z\s.,;:!?])' $$;
COMMENT ON FUNCTION app._scrub_key_space() IS
  'Regex from the end of a key word over whitespace to a value that looks like a secret (key word, space, value text)';

-- What the detector asks of the text after a key word: either form above, without their
-- lookaheads (a superset): each lookahead in the combined detector costs as much as the rest of it.
CREATE OR REPLACE FUNCTION app._scrub_key_tail_detect() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT '(?:[\w.%\[\]-]*["'']?[ \t]*(?:[:=]|%3[AaDd])|[\w.\[\]-]*[ \t]+[A-Za-z0-9][^\s]*[^A-Za-z\s.,;:!?])'
$$;
COMMENT ON FUNCTION app._scrub_key_tail_detect() IS
  'Regex of what may follow a key word in a text that needs scrubbing: app._scrub_key_separator or app._scrub_key_space, loosely';

-- pgwarden.scrub_key_pattern, or pgwarden.scrub_json_detector, _text_detector, _value_detector,
-- _value_rules (lists joined by chr(31): app._scrub_detectors). When the session's patterns are of
-- the generation this transaction has memoized, a SQL expression (inlined into the caller)
-- answers; otherwise app._scrub_pattern_current checks.
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
