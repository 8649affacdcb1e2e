-- Personal data (tables in db/schema/315_personal_data.sql): e-mail addresses, IP addresses and
-- user ids in captured errors are kept, hashed or dropped by the organization's policy before
-- anything is stored, and after secrets are scrubbed. Capture calls app.personal_data_enrich(_one)
-- where it enriched before: the stack trace and the user agent are anonymized before they are parsed
-- and cached (app.derive_cached keeps only anonymized text), the other fields after scrubbing and
-- grouping, which so never depends on the policy:
--   hash  [email:1a2b3c4d5e6f] [ip:…] [user:…]: the first 12 hex digits of
--         HMAC-SHA256(organization's key, 'email:' || address), the same for the same value in one
--         organization (so "users affected" still counts) and unrelated across organizations
--   drop  [email] [ip]; a user id becomes NULL
-- Messages and client fingerprints are fingerprinted before they are anonymized; frames parsed from
-- an anonymized stack trace group by app.personal_data_grouping_text, which writes <email> and <ip>
-- for an address in any of its three forms. This runs on every event: a cheap detector
-- (app._personal_data_suspect) decides whether a text could hold an address at all, and the
-- policy is read once per batch.

-- == Patterns (constants the planner folds) ==

-- Cheap and a little generous: true for every text the precise patterns below match (and for some
-- more). Each part is guarded by strpos where it can be, and no part is case-insensitive or looks
-- around: the regex engine then costs ~10 ns a character, and a clean 500-character event a few µs.
-- An IPv4-like number right after a word and a slash (Chrome/120.0.0.0, a version) does not count.
CREATE OR REPLACE FUNCTION app._personal_data_suspect(p_text text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT ((strpos(p_text, '@') > 0 OR strpos(p_text, '%40') > 0) AND p_text ~ '(?:@|%40)[A-Za-z0-9-]+\.[A-Za-z]')
      OR (strpos(p_text, '::') > 0 AND p_text ~ '[0-9][0-9A-Fa-f:]*::|::[0-9A-Fa-f:]*[0-9]')
      OR p_text ~ ('(?:^/?|[^0-9A-Za-z_./]|[^0-9A-Za-z_.]/)[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]'
                   '|[0-9A-Fa-f]:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]')
$fn$;
COMMENT ON FUNCTION app._personal_data_suspect(text) IS
  'Whether a text could hold an e-mail or IP address (true for every text app._personal_data_text changes)';

-- The same for JSON text, where a member whose key names a user id counts too (jsonb text writes
-- keys as "key": ).
CREATE OR REPLACE FUNCTION app._personal_data_suspect_json(p_json text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT app._personal_data_suspect(p_json)
      OR ((strpos(p_json, '"u') > 0 OR strpos(p_json, '"U') > 0)
          AND p_json ~ '"(?:[Uu][Ss][Ee][Rr](?:[_.-]?[Ii][Dd])?|[Uu][Ii][Dd])": ')
$fn$;
COMMENT ON FUNCTION app._personal_data_suspect_json(text) IS
  'Whether JSON text could hold an e-mail or IP address or a user / user_id / userId / uid key';

-- A JSON key whose scalar value is a user id (and "id" inside an object under such a key).
CREATE OR REPLACE FUNCTION app._personal_data_user_key() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$ SELECT '^(?:user[_.-]?id|uid)$' $fn$;
COMMENT ON FUNCTION app._personal_data_user_key() IS 'Regex (case-insensitive) of JSON keys that hold a user id';

-- The precise patterns. No lookbehind (PostgreSQL checks one from the start of the text, so a text
-- with many matches would cost the square of its length), no capture groups (splitting a match
-- into groups costs 20-60 µs) and lookahead only where the address is rare (each costs ~10 µs a
-- match): what must come before an address is matched with it and cut off again
-- (app._personal_data_prefix), what must not follow it is checked on the text after it, and an
-- IPv4 candidate is checked for its octets (app._personal_data_replace).

-- name@domain.tld, also %40-encoded (query strings); followed by :<digit> it is not one
-- (fn@app.js:10 is a Gecko stack frame: app._personal_data_email_not_before)
CREATE OR REPLACE FUNCTION app._personal_data_email_pattern() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT '[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z][A-Za-z]+'
$fn$;
COMMENT ON FUNCTION app._personal_data_email_pattern() IS 'Regex of an e-mail address (@ or %40)';

CREATE OR REPLACE FUNCTION app._personal_data_email_not_before() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$ SELECT '^:[0-9]' $fn$;
COMMENT ON FUNCTION app._personal_data_email_not_before() IS
  'Regex of what an e-mail address is not followed by (:<line>, as in a stack frame fn@app.js:10)';

-- A candidate: four or more dotted numbers, not inside a word or a longer number, nor a version
-- after a name and a slash (Chrome/120.0.0.0); after // (a URL's host) it counts. The match starts
-- with what precedes it: nothing (start of text), one character or two (//). An address only when
-- it is exactly four octets (app._personal_data_ipv4): 1.2.3.4.5 and 1.2.3.456 are not.
CREATE OR REPLACE FUNCTION app._personal_data_ipv4_pattern() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT '(?:^/?|[^0-9A-Za-z_./]|[^0-9A-Za-z_.]/)[0-9]{1,3}(?:\.[0-9]+){3,}'
$fn$;
COMMENT ON FUNCTION app._personal_data_ipv4_pattern() IS 'Regex of an IPv4 candidate with the character(s) before it';

CREATE OR REPLACE FUNCTION app._personal_data_ipv4() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT '^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$'
$fn$;
COMMENT ON FUNCTION app._personal_data_ipv4() IS 'Regex of exactly an IPv4 address (four octets of at most 255)';

-- Loopback and unspecified addresses name no one (http://127.0.0.1:3000/ stays readable).
CREATE OR REPLACE FUNCTION app._personal_data_ipv4_personal() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT '^(?!127\.|0\.0\.0\.0$)' || substr(app._personal_data_ipv4(), 2)
$fn$;
COMMENT ON FUNCTION app._personal_data_ipv4_personal() IS
  'Regex of exactly an IPv4 address that can name someone: not loopback (127/8) nor 0.0.0.0';

CREATE OR REPLACE FUNCTION app._personal_data_ipv6_personal() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$ SELECT '^(?!::1?$)' $fn$;
COMMENT ON FUNCTION app._personal_data_ipv6_personal() IS 'Regex of an IPv6 address that can name someone: not ::1 nor ::';

-- eight groups, or compressed with ::, holding a digit (so Foo::Bar and std::fmt are not
-- addresses), not inside a word or a longer run of colons; the match starts with the character
-- before the address, if any.
CREATE OR REPLACE FUNCTION app._personal_data_ipv6_pattern() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT '(?:^|[^0-9A-Za-z_:.])(?=[0-9A-Fa-f:]*[0-9])(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){7}'
         '|(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?)(?![0-9A-Za-z_:])'
$fn$;
COMMENT ON FUNCTION app._personal_data_ipv6_pattern() IS 'Regex of an IPv6 address (full or compressed) with the character before it';

-- How many characters of a match precede the address: 0, 1 or 2, as its first and second
-- characters are or are not ones an address starts with (p_starts; NULL: always 0).
CREATE OR REPLACE FUNCTION app._personal_data_prefix(p_match text, p_starts text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT CASE WHEN p_starts IS NULL OR strpos(p_starts, left(p_match, 1)) > 0 THEN 0
              WHEN strpos(p_starts, substr(p_match, 2, 1)) > 0 THEN 1 ELSE 2 END
$fn$;
COMMENT ON FUNCTION app._personal_data_prefix(text, text) IS
  'The length of what precedes the address in a match of app._personal_data_ipv4_pattern or _ipv6_pattern';

-- == Tokens ==

-- The value hashed: e-mail addresses case-folded (Bob@X.com = bob@x.com) with %40 as @, IP addresses
-- case-folded, user ids as sent. The kind is part of the HMAC input, so kinds never share a token.
-- The key goes in as its hex text: hmac(text, text, text) is immutable where a bytea conversion of
-- the input is not, so this stays an inlined expression (a call would cost four times as much).
CREATE OR REPLACE FUNCTION app.personal_data_token(p_kind text, p_action app.personal_data_action, p_key bytea,
                                                   p_value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT CASE p_action
    WHEN 'keep' THEN p_value
    WHEN 'drop' THEN '[' || p_kind || ']'
    ELSE '[' || p_kind || ':'
         || left(encode(hmac(p_kind || ':' || CASE p_kind WHEN 'email' THEN replace(lower(p_value), '%40', '@')
                                                          WHEN 'ip' THEN lower(p_value)
                                                          ELSE p_value END,
                             encode(p_key, 'hex'), 'sha256'), 'hex'), 12) || ']'
  END
$fn$;
COMMENT ON FUNCTION app.personal_data_token(text, app.personal_data_action, bytea, text) IS
'What one e-mail address, IP address or user id (kind email, ip or user) becomes: keep: itself; drop: [kind];
hash: [kind:first 12 hex digits of HMAC-SHA256(key, kind:value)], e-mail and IP addresses case-folded first';

-- Every match of p_pattern that is an address (its address matches p_valid, the text after it does
-- not match p_not_before; NULL: no check) replaced by what precedes the address and the address's
-- token: the text between matches (regexp_split_to_array) interleaved with the matches
-- (regexp_matches), two regex passes in all, the pieces joined once (concatenating in a loop would
-- be quadratic) and each distinct match replaced once.
CREATE OR REPLACE FUNCTION app._personal_data_replace(
  p_text text, p_pattern text, p_starts text, p_valid text, p_not_before text,
  p_kind text, p_action app.personal_data_action, p_key bytea
) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  v_between text[];
  v_matches text[];
BEGIN
  IF p_action = 'keep' THEN
    RETURN p_text;
  END IF;
  v_between := regexp_split_to_array(p_text, p_pattern);
  IF cardinality(v_between) = 1 THEN
    RETURN p_text;
  END IF;
  v_matches := ARRAY(SELECT m[1] FROM regexp_matches(p_text, p_pattern, 'g') AS m);
  RETURN (SELECT string_agg(b.between || coalesce(CASE WHEN p_not_before IS NOT NULL AND b.after ~ p_not_before THEN b.match
                                                         ELSE t.replacement END, ''), '' ORDER BY b.n)
            FROM (SELECT x.between, x.match, x.n, lead(x.between) OVER (ORDER BY x.n) AS after
                    FROM unnest(v_between, v_matches) WITH ORDINALITY AS x (between, match, n)) AS b
            LEFT JOIN (SELECT d.match,
                              CASE WHEN p_valid IS NULL OR substr(d.match, c.prefix + 1) ~ p_valid
                                   THEN left(d.match, c.prefix)
                                        || app.personal_data_token(p_kind, p_action, p_key, substr(d.match, c.prefix + 1))
                                   ELSE d.match END AS replacement
                         FROM (SELECT DISTINCT x.match FROM unnest(v_matches) AS x (match)) AS d
                        CROSS JOIN LATERAL (SELECT app._personal_data_prefix(d.match, p_starts) AS prefix) AS c) AS t
              ON t.match = b.match);
END $fn$;
COMMENT ON FUNCTION app._personal_data_replace(text, text, text, text, text, text, app.personal_data_action, bytea) IS
  'A text with the address in every match of a pattern replaced by its token (app.personal_data_token)';

-- == Texts, user ids, JSON ==

-- The slow path, for a text the detector flagged: e-mail addresses first (so the IPv4 rule never
-- sees a domain), then IPv4 (so an IPv4-mapped IPv6 address hashes as its IPv4 address), then IPv6;
-- loopback and unspecified addresses stay.
CREATE OR REPLACE FUNCTION app._personal_data_text(p_policy app.personal_data_policy, p_text text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
  v_text text := p_text;
BEGIN
  IF p_policy.email <> 'keep' AND (strpos(v_text, '@') > 0 OR strpos(v_text, '%40') > 0) THEN
    v_text := app._personal_data_replace(v_text, app._personal_data_email_pattern(), NULL, NULL,
                                         app._personal_data_email_not_before(), 'email', p_policy.email, p_policy.hash_key);
  END IF;
  IF p_policy.ip_address <> 'keep' THEN
    IF strpos(v_text, '.') > 0 THEN
      v_text := app._personal_data_replace(v_text, app._personal_data_ipv4_pattern(), '0123456789',
                                           app._personal_data_ipv4_personal(), NULL, 'ip', p_policy.ip_address, p_policy.hash_key);
    END IF;
    IF strpos(v_text, '::') > 0 OR length(v_text) - length(replace(v_text, ':', '')) >= 7 THEN  -- :: or 8 groups
      v_text := app._personal_data_replace(v_text, app._personal_data_ipv6_pattern(), '0123456789abcdefABCDEF:',
                                           app._personal_data_ipv6_personal(), NULL, 'ip', p_policy.ip_address, p_policy.hash_key);
    END IF;
  END IF;
  RETURN v_text;
END $fn$;
COMMENT ON FUNCTION app._personal_data_text(app.personal_data_policy, text) IS
  'app.personal_data_text without the detector test';

CREATE OR REPLACE FUNCTION app.personal_data_text(p_policy app.personal_data_policy, p_text text) RETURNS text
LANGUAGE sql IMMUTABLE AS $fn$
  SELECT CASE WHEN app._personal_data_suspect(p_text) THEN app._personal_data_text(p_policy, p_text) ELSE p_text END
$fn$;
COMMENT ON FUNCTION app.personal_data_text(app.personal_data_policy, text) IS
'A text (message, stack trace, URL, header value, …) with every e-mail address (also %40-encoded) and IPv4 and
IPv6 address kept, hashed or dropped by the policy';

-- Whether a whole text is one address: an e-mail address (email) or an IP address (ip); else NULL.
-- The scrubbers ask too: an address after a key word (auth bob@example.com) is personal data, which
-- the policy decides on, not a secret (db/functions/app/310_scrubbing_apply.sql).
CREATE OR REPLACE FUNCTION app.personal_data_kind(p_text text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT CASE WHEN p_text ~ ('^(?:' || app._personal_data_email_pattern() || ')$') THEN 'email'
              WHEN p_text ~ app._personal_data_ipv4() OR p_text ~ ('^(?:' || app._personal_data_ipv6_pattern() || ')$')
                THEN 'ip' END
$fn$;
COMMENT ON FUNCTION app.personal_data_kind(text) IS 'email or ip when a whole text is one e-mail or IP address, else NULL';

-- A user id that is an e-mail or IP address follows that kind's setting; any other follows user_id
-- (keep still anonymizes addresses inside it). Dropped, it is NULL: no user, rather than one user.
CREATE OR REPLACE FUNCTION app._personal_data_user_id(p_policy app.personal_data_policy, p_user_id text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
  v_kind text := 'user';
  v_action app.personal_data_action := p_policy.user_id;
BEGIN
  IF app._personal_data_suspect(p_user_id) THEN
    v_kind := coalesce(app.personal_data_kind(p_user_id), 'user');
    v_action := CASE v_kind WHEN 'email' THEN p_policy.email WHEN 'ip' THEN p_policy.ip_address ELSE v_action END;
    IF v_kind = 'user' AND v_action = 'keep' THEN
      RETURN app._personal_data_text(p_policy, p_user_id);
    END IF;
  END IF;
  RETURN CASE WHEN v_action <> 'drop' THEN app.personal_data_token(v_kind, v_action, p_policy.hash_key, p_user_id) END;
END $fn$;
COMMENT ON FUNCTION app._personal_data_user_id(app.personal_data_policy, text) IS
  'app.personal_data_user_id for a user id that holds an @, %40, . or : (and so could be an address)';

-- An expression for the common user id (no @, ., : in it: no address), inlined into its callers.
CREATE OR REPLACE FUNCTION app.personal_data_user_id(p_policy app.personal_data_policy, p_user_id text) RETURNS text
LANGUAGE sql IMMUTABLE AS $fn$
  SELECT CASE WHEN strpos(p_user_id, '@') > 0 OR strpos(p_user_id, '%40') > 0 OR strpos(p_user_id, '.') > 0
                   OR strpos(p_user_id, ':') > 0 THEN app._personal_data_user_id(p_policy, p_user_id)
              WHEN p_policy.user_id <> 'drop' THEN app.personal_data_token('user', p_policy.user_id, p_policy.hash_key, p_user_id)
         END
$fn$;
COMMENT ON FUNCTION app.personal_data_user_id(app.personal_data_policy, text) IS
'A user id kept, hashed ([user:…]) or dropped (NULL) by the policy; one that is an e-mail or IP address is
treated as one';

-- Keys and string values anywhere get app._personal_data_text; the scalar value of a user-id key
-- (user_id, userId, uid; id in an object under user) app.personal_data_user_id. Only members that
-- may change are rebuilt and merged back (a key that changes replaces the old one).
CREATE OR REPLACE FUNCTION app._personal_data_jsonb(p_policy app.personal_data_policy, p_value jsonb,
                                                    p_in_user boolean DEFAULT false) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
  v_keys text[];
  v_members jsonb;
BEGIN
  IF jsonb_typeof(p_value) = 'object' THEN
    SELECT array_agg(c.key), jsonb_object_agg(c.new_key, c.new_value) INTO v_keys, v_members
      FROM (SELECT e.key,
                   CASE WHEN app._personal_data_suspect(e.key) THEN app._personal_data_text(p_policy, e.key) ELSE e.key END
                     AS new_key,
                   CASE WHEN u.user_id IS NOT DISTINCT FROM e.value #>> '{}' THEN e.value  -- (a number stays one)
                        WHEN u.is_user_id THEN coalesce(to_jsonb(u.user_id), 'null')
                        ELSE app._personal_data_jsonb(p_policy, e.value, lower(e.key) = 'user') END AS new_value
              FROM jsonb_each(p_value) AS e
             CROSS JOIN LATERAL (
               SELECT c.is_user_id, CASE WHEN c.is_user_id THEN app.personal_data_user_id(p_policy, e.value #>> '{}') END AS user_id
                 FROM (SELECT (e.key ~* app._personal_data_user_key() OR (p_in_user AND e.key = 'id'))
                              AND jsonb_typeof(e.value) IN ('string', 'number') AS is_user_id) AS c) AS u
             WHERE app._personal_data_suspect(e.key) OR e.key ~* app._personal_data_user_key() OR (p_in_user AND e.key = 'id')
                OR (lower(e.key) = 'user' AND jsonb_typeof(e.value) = 'object')
                OR (jsonb_typeof(e.value) IN ('object', 'array') AND app._personal_data_suspect_json(e.value::text))
                OR (jsonb_typeof(e.value) = 'string' AND app._personal_data_suspect(e.value #>> '{}'))) AS c;
    RETURN CASE WHEN v_keys IS NULL THEN p_value ELSE (p_value - v_keys) || v_members END;
  ELSIF jsonb_typeof(p_value) = 'array' THEN
    RETURN coalesce((SELECT jsonb_agg(CASE WHEN (jsonb_typeof(e.value) IN ('object', 'array')
                                                 AND app._personal_data_suspect_json(e.value::text))
                                             OR (jsonb_typeof(e.value) = 'string' AND app._personal_data_suspect(e.value #>> '{}'))
                                           THEN app._personal_data_jsonb(p_policy, e.value) ELSE e.value END ORDER BY e.n)
                       FROM jsonb_array_elements(p_value) WITH ORDINALITY AS e (value, n)), '[]');
  ELSIF jsonb_typeof(p_value) = 'string' THEN
    RETURN to_jsonb(app.personal_data_text(p_policy, p_value #>> '{}'));
  END IF;
  RETURN p_value;
END $fn$;
COMMENT ON FUNCTION app._personal_data_jsonb(app.personal_data_policy, jsonb, boolean) IS
  'app.personal_data_jsonb without the detector test (p_in_user: the value is the object of a user key)';

CREATE OR REPLACE FUNCTION app.personal_data_jsonb(p_policy app.personal_data_policy, p_value jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
  v_text text := p_value::text;
BEGIN
  RETURN CASE WHEN app._personal_data_suspect_json(v_text) THEN app._personal_data_jsonb(p_policy, p_value) ELSE p_value END;
END $fn$;
COMMENT ON FUNCTION app.personal_data_jsonb(app.personal_data_policy, jsonb) IS
'A JSON value (metadata, frames) with personal data kept, hashed or dropped by the policy, at any depth: e-mail
and IP addresses in keys and strings (headers such as X-Forwarded-For, breadcrumbs, tags, contexts, user.email,
user.ip_address, an e-mail as user.username), and user ids under the keys user_id, userId, uid and the id of a
user object';

-- == Grouping ==

-- An e-mail or IP address written as itself, as a hash token or as a drop marker reads <email> or
-- <ip> (app.normalize_message's placeholders): frames parsed from a stack trace anonymized under
-- any policy group alike.
CREATE OR REPLACE FUNCTION app.personal_data_grouping_text(p_text text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  v_text text := p_text;
BEGIN
  IF strpos(v_text, '[email:') > 0 OR strpos(v_text, '[ip:') > 0 THEN  -- hash tokens read as drop markers
    v_text := regexp_replace(v_text, '\[(email|ip):[0-9a-f]{12}\]', '[\1]', 'g');
  END IF;
  IF app._personal_data_suspect(v_text) THEN  -- addresses as sent, too
    v_text := app._personal_data_text(ROW(NULL, 'drop', 'drop', 'drop', NULL, NULL, NULL)::app.personal_data_policy, v_text);
  END IF;
  IF strpos(v_text, '[email]') > 0 OR strpos(v_text, '[ip]') > 0 THEN
    v_text := replace(replace(v_text, '[email]', '<email>'), '[ip]', '<ip>');
  END IF;
  RETURN v_text;
END $fn$;
COMMENT ON FUNCTION app.personal_data_grouping_text(text) IS
  'A text with e-mail and IP addresses, their hash tokens and drop markers written <email> and <ip> (for grouping)';
