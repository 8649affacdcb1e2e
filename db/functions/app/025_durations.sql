-- One duration syntax and one time syntax for every caller (the CLI's options, api functions), and the
-- id reader of api parameters sent as text (app.uuid_of).
-- PostgreSQL's interval input already reads 30s, 15m, 1h, 24h, 7d, 2w, 1h30m, ISO 8601 (PT1H,
-- P1DT2H) and its own text (24 hours); these functions add the relative times (+1h, -30m, now) and
-- turn a malformed value into QV001 naming the field, instead of PostgreSQL's 22007.

CREATE OR REPLACE FUNCTION app.duration(p_text text, p_field text DEFAULT 'duration') RETURNS interval
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF p_text IS NULL THEN
    RETURN NULL;
  END IF;
  RETURN btrim(p_text)::interval;
EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR interval_field_overflow THEN
  RAISE EXCEPTION 'invalid duration %', quote_literal(p_text) USING ERRCODE = 'QV001',
    DETAIL = format('Field: %s.', p_field),
    HINT = 'Use a number and a unit (30s, 15m, 1h, 24h, 7d, 2w), ISO 8601 (PT1H) or PostgreSQL interval text (24 hours).';
END $$;
COMMENT ON FUNCTION app.duration(text, text)
  IS 'A duration in the one syntax (30s, 15m, 1h, 24h, 7d, 2w, ISO 8601, PostgreSQL interval text); QV001 naming p_field';

-- A length in whole days (an SLO's window): a bare number is days, anything else a duration.
CREATE OR REPLACE FUNCTION app.duration_days(p_text text, p_field text DEFAULT 'duration') RETURNS integer
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_seconds numeric;
BEGIN
  IF btrim(p_text) ~ '^[0-9]{1,6}$' THEN
    RETURN btrim(p_text)::integer;
  END IF;
  v_seconds := extract(epoch FROM app.duration(p_text, p_field));
  IF v_seconds % 86400 <> 0 THEN
    RAISE EXCEPTION 'duration % is not a whole number of days', quote_literal(p_text) USING ERRCODE = 'QV001',
      DETAIL = format('Field: %s.', p_field), HINT = 'Use days or weeks: 7d, 28d, 30d, 4w (or a number of days).';
  END IF;
  RETURN (v_seconds / 86400)::integer;
END $$;
COMMENT ON FUNCTION app.duration_days(text, text)
  IS 'Whole days from a number of days or a duration (30d, 4w); QV001 naming p_field otherwise';

CREATE OR REPLACE FUNCTION app.moment(p_text text, p_field text DEFAULT 'time') RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_text text := lower(btrim(p_text));
BEGIN
  IF p_text IS NULL THEN
    RETURN NULL;
  ELSIF v_text = 'now' THEN
    RETURN now();
  ELSIF v_text ~ '^[+-]' THEN
    -- relative to now: +1h, -30m, +2d12h
    RETURN now() + CASE WHEN left(v_text, 1) = '-' THEN -1 ELSE 1 END
                   * app.duration(btrim(substr(v_text, 2)), p_field);
  END IF;
  RETURN p_text::timestamptz;
EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR invalid_text_representation THEN
  RAISE EXCEPTION 'invalid time %', quote_literal(p_text) USING ERRCODE = 'QV001',
    DETAIL = format('Field: %s.', p_field),
    HINT = 'Use ISO 8601 (2026-12-01T02:00Z), now, or a time relative to now (+1h, -30m, +7d).';
END $$;
COMMENT ON FUNCTION app.moment(text, text)
  IS 'A time: ISO 8601 (or any PostgreSQL timestamptz text), now, +1h, -30m; QV001 naming p_field';

-- An id sent as text (an api parameter): QV001 naming the field instead of PostgreSQL's 22P02,
-- which an api function typed uuid would answer before its body runs.
CREATE OR REPLACE FUNCTION app.uuid_of(p_text text, p_field text DEFAULT 'id') RETURNS uuid
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN nullif(btrim(p_text), '')::uuid;
EXCEPTION WHEN invalid_text_representation THEN
  RAISE EXCEPTION 'invalid id %', quote_literal(left(p_text, 100)) USING ERRCODE = 'QV001',
    DETAIL = format('Field: %s.', p_field),
    HINT = 'Send a UUID (8-4-4-4-12 hex digits, e.g. 3f2a1c9e-0b7d-4e21-9a5f-6c1d2e3f4a5b), or leave it out.';
END $$;
COMMENT ON FUNCTION app.uuid_of(text, text)
  IS 'A UUID sent as text (NULL when absent or blank); QV001 naming p_field when it is not one';
-- A name sent as text (of an organization or a project: varchar(255) columns), trimmed; QV002 when
-- blank, QV001 past 255 characters (the column would refuse it with PostgreSQL's own 22001).
CREATE OR REPLACE FUNCTION app.name_of(p_text text, p_what text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_name text := btrim(p_text);
BEGIN
  IF coalesce(v_name, '') = '' THEN
    RAISE EXCEPTION '% name is empty', p_what USING ERRCODE = 'QV002',
      DETAIL = 'Field: name.', HINT = format('Give the %s a name.', p_what);
  END IF;
  IF length(v_name) > 255 THEN
    RAISE EXCEPTION '% name is longer than 255 characters', p_what USING ERRCODE = 'QV001',
      DETAIL = format('Field: name. It has %s characters.', length(v_name)), HINT = 'Use at most 255 characters.';
  END IF;
  RETURN v_name;
END $$;
COMMENT ON FUNCTION app.name_of(text, text)
  IS 'A name (of the p_what: organization, project) trimmed; QV002 when blank, QV001 past 255 characters';
-- A list of ids sent as text: each read by app.uuid_of (the first malformed one is named).
CREATE OR REPLACE FUNCTION app.uuids_of(p_texts text[], p_field text DEFAULT 'ids') RETURNS uuid[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_texts IS NOT NULL THEN ARRAY(SELECT app.uuid_of(t.value, p_field)
                                                    FROM unnest(p_texts) WITH ORDINALITY AS t (value, n) ORDER BY t.n) END
$$;
COMMENT ON FUNCTION app.uuids_of(text[], text) IS 'UUIDs sent as a list of text; QV001 naming p_field when one is not a UUID';

-- (api functions run as the caller's role and read their parameters with these)
GRANT EXECUTE ON FUNCTION app.duration(text, text), app.duration_days(text, text), app.moment(text, text), app.uuid_of(text, text),
  app.uuids_of(text[], text), app.name_of(text, text) TO anon, staff, org_owner, system_admin;
