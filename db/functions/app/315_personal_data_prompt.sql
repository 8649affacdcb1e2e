-- Personal data before anything leaves for an AI provider: whatever an organization's policy kept
-- in its stored errors, a prompt keeps none of it. app.personal_data_strip is the second pass over
-- every text of a prompt (after app.scrub_text): the e-mail and IP detectors of
-- 315_personal_data.sql with every kind dropped, hash tokens of any policy reduced to their kind,
-- and what those detectors do not look for, found here in one place: phone numbers, home
-- directories in paths, and a person's own values taken from the user fields of the group's events
-- (names, user names, user ids, e-mails, phones), wherever they reappear in free text.

-- == The drop-everything policy ==

CREATE OR REPLACE FUNCTION app.personal_data_drop_all() RETURNS app.personal_data_policy
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT ROW(NULL, 'drop', 'drop', 'drop', NULL, NULL, NULL)::app.personal_data_policy
$fn$;
COMMENT ON FUNCTION app.personal_data_drop_all() IS 'A personal-data policy that drops e-mail addresses, IP addresses and user ids';

-- == Phone numbers ==

-- International (+ and 7-15 digits), an area code in parentheses, North American 3-3-4 groups, or a
-- national number starting with 0 in groups; a match counts when it holds 7 to 15 digits
-- (app._personal_data_phone_digits), so dates (2024-01-15), versions and line:column pairs do not.
CREATE OR REPLACE FUNCTION app._personal_data_phone_pattern() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT '\+[0-9](?:[ .()/-]{0,2}[0-9]){6,14}'
         '|\([0-9]{2,5}\)[ .-]?[0-9]{3,4}[ .-]?[0-9]{3,5}'
         '|\m[0-9]{3}[ .-][0-9]{3}[ .-][0-9]{4}\M'
         '|\m0[0-9]{1,4}(?:[ /-]?[0-9]{2,}){1,3}\M'
$fn$;
COMMENT ON FUNCTION app._personal_data_phone_pattern() IS 'Regex of a phone number candidate (app._personal_data_phone_digits decides)';

CREATE OR REPLACE FUNCTION app._personal_data_phone_digits() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$ SELECT '^(?:[^0-9]*[0-9]){7,15}[^0-9]*$' $fn$;
COMMENT ON FUNCTION app._personal_data_phone_digits() IS 'Regex of a phone number candidate that is one: 7 to 15 digits';

-- == A person's own values ==

-- Keys whose scalar value names or reaches a person wherever they are, and the keys that do so
-- inside an object about a person (user, customer, …: its id and name too).
CREATE OR REPLACE FUNCTION app._personal_data_person_key() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT '^(?:(?:user|customer|client|member|account|author|contact)?[_.-]?'
         '(?:user[_.-]?name|login|e[_-]?mail|phone(?:[_.-]?number)?|mobile|telephone|'
         '(?:first|last|full|display|given|family|middle|nick|real)[_.-]?name|surname)|user[_.-]?id|uid|ip[_.-]?address)$'
$fn$;
COMMENT ON FUNCTION app._personal_data_person_key() IS 'Regex (case-insensitive) of keys whose value identifies a person anywhere';

CREATE OR REPLACE FUNCTION app._personal_data_person_object_key() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT '^(?:user|customer|client|member|person|contact|profile|account|author|reporter|owner|sender|recipient|actor)$'
$fn$;
COMMENT ON FUNCTION app._personal_data_person_object_key() IS
  'Regex (case-insensitive) of keys of objects about a person, whose id, name, email and phone count too';

-- Every string or number under a person key, at any depth (arrays included); markers that stand in
-- for a value ([Filtered], [email], [user:…]) are not values.
CREATE OR REPLACE FUNCTION app.personal_data_known_values(p_value jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  WITH RECURSIVE walk (key, value, in_person) AS (
    SELECT NULL::text, p_value, false
    UNION ALL
    SELECT c.key, c.value, c.in_person
      FROM walk w
     CROSS JOIN LATERAL (
       SELECT e.key, e.value, w.key ~* app._personal_data_person_object_key() AS in_person
         FROM jsonb_each(CASE WHEN jsonb_typeof(w.value) = 'object' THEN w.value END) AS e
       UNION ALL
       SELECT w.key, a.value, w.in_person
         FROM jsonb_array_elements(CASE WHEN jsonb_typeof(w.value) = 'array' THEN w.value END) AS a) AS c
  )
  SELECT coalesce(array_agg(DISTINCT v.text), '{}')
    FROM walk w
   CROSS JOIN LATERAL (SELECT btrim(w.value #>> '{}') AS text) AS v
   WHERE jsonb_typeof(w.value) IN ('string', 'number') AND length(v.text) >= 2
     AND v.text !~ '^\[[a-z_]+(?::[0-9a-f]+)?\]$' AND v.text <> '[Filtered]'
     AND (w.key ~* app._personal_data_person_key()
          OR (w.in_person AND lower(w.key) IN ('id', 'name', 'username', 'email', 'phone', 'login', 'ip')))
$fn$;
COMMENT ON FUNCTION app.personal_data_known_values(jsonb) IS
'Values that identify a person in a JSON document (event metadata): names, user names, e-mails, phones, user ids
and IP addresses under their keys, and the id and name of a user, customer or other person object';

CREATE OR REPLACE FUNCTION app._regex_literal(p_text text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT regexp_replace(p_text, '([][!$()*+.:<=>?\\^{|}/-])', '\\\1', 'g')
$fn$;
COMMENT ON FUNCTION app._regex_literal(text) IS 'A text as a regular expression matching exactly it';

-- == The pass ==

-- Known values first (a name is found nowhere else; a known e-mail in an odd form is caught
-- whole), longest first so a value inside a longer one does not leave a piece of it behind.
CREATE OR REPLACE FUNCTION app.personal_data_strip(p_text text, p_known text[] DEFAULT '{}') RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
  v_text text := p_text;
  v_value text;
BEGIN
  IF v_text IS NULL OR v_text = '' THEN
    RETURN v_text;
  END IF;
  FOR v_value IN SELECT k FROM unnest(p_known) AS k WHERE k <> '' ORDER BY length(k) DESC, k LOOP
    IF strpos(lower(v_text), lower(v_value)) > 0 THEN  -- a name is a name in any case
      v_text := regexp_replace(v_text, '(^|[^[:alnum:]_])' || app._regex_literal(v_value) || '(?![[:alnum:]_])',
                               '\1[user]', 'gi');
    END IF;
  END LOOP;
  v_text := app.personal_data_text(app.personal_data_drop_all(), v_text);
  IF strpos(v_text, '[email:') > 0 OR strpos(v_text, '[ip:') > 0 OR strpos(v_text, '[user:') > 0 THEN
    v_text := regexp_replace(v_text, '\[(email|ip|user):[0-9a-f]{12}\]', '[\1]', 'g');  -- hash tokens of any policy
  END IF;
  IF v_text ~ '[0-9](?:[^0-9]{0,3}[0-9]){6}' THEN
    v_text := app._personal_data_replace(v_text, app._personal_data_phone_pattern(), NULL, app._personal_data_phone_digits(),
                                         NULL, 'phone', 'drop', NULL);
  END IF;
  IF strpos(v_text, '/home/') > 0 OR strpos(v_text, '/Users/') > 0 OR strpos(v_text, '\Users\') > 0 THEN
    v_text := regexp_replace(v_text, '(/home/|/Users/|\\Users\\)[^/\\[:space:]:"'']+', '\1[user]', 'g');
  END IF;
  RETURN v_text;
END $fn$;
COMMENT ON FUNCTION app.personal_data_strip(text, text[]) IS
'A text with no personal data left, whatever the organization''s policy kept: the known values (names, user ids, …
of the people concerned) as [user], e-mail and IP addresses as [email] and [ip] (hash tokens too), phone numbers as
[phone], the user name of a home directory (/home/<name>/, /Users/<name>/, C:\Users\<name>\) as [user]';
