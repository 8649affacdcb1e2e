-- JSON that PostgreSQL cannot store verbatim. The json type keeps any escape as text, but jsonb
-- and every operator that decodes a string (->>, #>>, json_to_record into text) refuse two of
-- them: \u0000 (22P05, text holds no NUL) and a UTF-16 surrogate escape without its partner
-- (\ud800 alone, 22P02). Clients send both (C strings, truncated UTF-16, binary data in a log
-- line), so every JSON body passes through app.json_repair once, before it is decoded: each such
-- escape becomes \ufffd (U+FFFD, the replacement character, visible where the client's text had
-- something unstorable), and the caller records how many (app.repair_marker).
--
-- NaN and Infinity are not JSON and never reach SQL: pgwarden web turns them into the strings
-- "NaN", "Infinity" and "-Infinity" (workers/web/jsonwire.py) and passes their count along.
-- Below them, the readers of client values every ingest path shares: timestamps and numbers.

-- Clean JSON text costs three substring searches (C, no regular expression) and the cast it needs
-- anyway. Only text holding a candidate escape takes the slow path, which is linear: escaped
-- backslashes (\\) are set aside first, so every backslash left starts an escape (the pairing runs
-- left to right, as replace() does); \u0000 is a plain replace; lone surrogates are the two
-- regular expressions below, each about 1.5 µs per escape it replaces (0.25 s for a 1 MB item of
-- nothing else), and a low surrogate's "not preceded by a high one" is tested as "not followed" in
-- the reversed text (a look-behind constraint is quadratic in PostgreSQL's engine).
-- chr(1) and chr(2) are free as markers: a JSON text cannot contain raw control characters.
CREATE OR REPLACE FUNCTION app.json_repair(p_text text, OUT document jsonb, OUT unstorable integer)
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  v_text text;
BEGIN
  unstorable := 0;
  IF (strpos(p_text, '\u0000') = 0 AND strpos(p_text, '\ud') = 0 AND strpos(p_text, '\uD') = 0)
     OR strpos(p_text, chr(1)) > 0 OR strpos(p_text, chr(2)) > 0 THEN  -- (the latter is not JSON: the cast says so)
    document := p_text::jsonb;
    RETURN;
  END IF;
  v_text := replace(p_text, '\\', chr(1));
  IF strpos(v_text, '\ud') > 0 OR strpos(v_text, '\uD') > 0 THEN
    -- a high surrogate not followed by a low one, then a low one not preceded by a high one
    v_text := regexp_replace(v_text, '\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})', chr(2), 'g');
    v_text := reverse(regexp_replace(reverse(v_text), '[0-9a-fA-F]{2}[c-fC-F][dD]u\\(?![0-9a-fA-F]{2}[89abAB][dD]u\\)',
                                     chr(2), 'g'));
    unstorable := length(v_text) - length(replace(v_text, chr(2), ''));
    v_text := replace(v_text, chr(2), '\ufffd');
  END IF;
  unstorable := unstorable + (length(v_text) - length(replace(v_text, '\u0000', ''))) / 6;
  document := replace(replace(v_text, '\u0000', '\ufffd'), chr(1), '\\')::jsonb;
END $$;
COMMENT ON FUNCTION app.json_repair(text) IS
  'JSON text as jsonb, each \u0000 and lone surrogate escape replaced by \ufffd; unstorable = how many were replaced';

CREATE OR REPLACE FUNCTION app.json_clean(p_document json) RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT (app.json_repair(p_document::text)).document
$$;
COMMENT ON FUNCTION app.json_clean(json) IS 'A json value as jsonb, with \u0000 and lone surrogate escapes replaced by \ufffd';

-- What was repaired in an item, as its stored marker (metadata._repaired of an event) and as
-- app.ingest_repairs counts it; NULL when nothing was.
CREATE OR REPLACE FUNCTION app.repair_marker(p_unstorable integer, p_non_finite integer) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT nullif(jsonb_strip_nulls(jsonb_build_object(
           'unstorable_characters', nullif(p_unstorable, 0), 'non_finite_numbers', nullif(p_non_finite, 0))), '{}')
$$;
COMMENT ON FUNCTION app.repair_marker(integer, integer) IS
  'The _repaired marker {unstorable_characters, non_finite_numbers} of an item, NULL when nothing was repaired';

GRANT EXECUTE ON FUNCTION app.json_repair(text), app.json_clean(json), app.repair_marker(integer, integer)
  TO anon, staff, org_owner, system_admin, pgwarden_web;

-- Each element of a JSON array repaired on its own, so each knows what was replaced in it.
CREATE OR REPLACE FUNCTION app.json_repair_elements(p_array json)
RETURNS TABLE (ordinal bigint, document jsonb, unstorable integer)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT e.n, r.document, r.unstorable
    FROM json_array_elements(CASE WHEN json_typeof(p_array) = 'array' THEN p_array ELSE '[]' END) WITH ORDINALITY AS e (value, n)
   CROSS JOIN LATERAL app.json_repair(e.value::text) AS r
$$;
COMMENT ON FUNCTION app.json_repair_elements(json) IS
  'The elements of a JSON array, each as app.json_repair returns it (document, unstorable), in order';
GRANT EXECUTE ON FUNCTION app.json_repair_elements(json) TO anon, staff, org_owner, system_admin, pgwarden_web;

-- == Reading client values ==

-- A timestamp as clients send it, the one reader of client timestamps (captures through PostgREST;
-- every item of the Sentry endpoint, whose pgwarden web passes the values on as the SDK sent them):
--   Unix seconds: a JSON number (the browser SDK's float) or a numeric string ("1795874289",
--     " 1795874289.5 ", "1.795874289e9", signed), between year 1 and year 9999;
--   RFC 3339 (the Python SDK): 2026-11-28T13:57:14.594176Z; T, t or a space; seconds and their
--     fraction optional (a fraction is cut to microseconds, not rounded); offset Z, z, +02, +0200 or
--     +02:00; no offset = UTC, as Sentry reads it. Surrounding white space is ignored.
-- NULL for anything else, or what names no real moment (month 13, 30 February, year 0): decided by
-- patterns and ranges, never by a failed cast, so an expression, inlined, with no exception block
-- (tests/sql/foundation/025_json_timestamp.test.sql lists the formats).
CREATE OR REPLACE FUNCTION app.json_timestamp_offset(p_offset text) RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_offset IS NULL THEN interval '0'
              ELSE (CASE WHEN left(p_offset, 1) = '-' THEN -1 ELSE 1 END)
                   * make_interval(hours => substr(p_offset, 2, 2)::integer,
                                   mins => coalesce(nullif(substr(replace(p_offset, ':', ''), 4, 2), '')::integer, 0)) END
$$;
COMMENT ON FUNCTION app.json_timestamp_offset(text) IS
  'An RFC 3339 offset (+02, +0200, +02:00, -23:59; NULL for Z or none) as the interval to take from the wall time';

CREATE OR REPLACE FUNCTION app.json_timestamp(p_value jsonb) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN jsonb_typeof(p_value) = 'number' THEN
      CASE WHEN p_value::numeric >= -62135596800 AND p_value::numeric < 253402300800
           -- rounded first: a double cannot hold every numeric (1e-400 would be out of its range)
           THEN to_timestamp(round(p_value::numeric, 6)::double precision) END
    WHEN jsonb_typeof(p_value) IS DISTINCT FROM 'string' THEN NULL
    WHEN length(p_value #>> '{}') <= 100
         AND btrim(p_value #>> '{}', E' \t\n\r\f\v') ~ '^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$' THEN
      CASE WHEN btrim(p_value #>> '{}', E' \t\n\r\f\v')::numeric >= -62135596800
                AND btrim(p_value #>> '{}', E' \t\n\r\f\v')::numeric < 253402300800
           THEN to_timestamp(round(btrim(p_value #>> '{}', E' \t\n\r\f\v')::numeric, 6)::double precision) END
    WHEN btrim(p_value #>> '{}', E' \t\n\r\f\v')
           ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?(Z|z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?$'
         AND left(btrim(p_value #>> '{}', E' \t\n\r\f\v'), 4) <> '0000'
         AND substr(btrim(p_value #>> '{}', E' \t\n\r\f\v'), 9, 2)::integer
             <= extract(day FROM (left(btrim(p_value #>> '{}', E' \t\n\r\f\v'), 7) || '-01')::date + interval '1 month - 1 day')
      -- the wall time read as UTC, less its offset: PostgreSQL's own offsets stop at 15 hours, RFC
      -- 3339's (and Python's, which read these before) go to 23:59
      THEN (regexp_replace(regexp_replace(btrim(p_value #>> '{}', E' \t\n\r\f\v'), '([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$', ''),
                           '(\.[0-9]{6})[0-9]+', '\1')::timestamp AT TIME ZONE 'UTC')
           - app.json_timestamp_offset(substring(btrim(p_value #>> '{}', E' \t\n\r\f\v') FROM '([+-][0-9]{2}(:?[0-9]{2})?)$'))
  END
$$;
COMMENT ON FUNCTION app.json_timestamp(jsonb) IS
  'A JSON Unix-seconds number (or numeric string) or RFC 3339 string as timestamptz (UTC when no offset); NULL when unusable';
DROP FUNCTION IF EXISTS app._capture_timestamp(jsonb);  -- (the capture-only reader it replaces)

-- PostgreSQL keeps a JSON number exactly and prints it in full: "1e131071", 9 bytes of a request,
-- is 131,072 digits wherever the event becomes text (scrubbing, hashing, storing), so a small body
-- of such numbers would cost gigabytes. Clients that parse JSON (every SDK; pgwarden web, which
-- re-serialises what it parsed) hold numbers in doubles, which print in at most ~330 characters;
-- PostgREST hands a body over as written, so its capture endpoints refuse what no double holds.
CREATE OR REPLACE FUNCTION app.json_numbers_fit_double(p_value jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT NOT jsonb_path_exists(p_value,
    'lax $.** ? (@.type() == "number" && !(@ == 0 || (@.abs() <= 1.8e308 && @.abs() >= 1e-324)))')
$$;
COMMENT ON FUNCTION app.json_numbers_fit_double(jsonb) IS
  'False when some number in a JSON value lies beyond a double''s range (|x| > 1.8e308, or 0 < |x| < 1e-324)';
