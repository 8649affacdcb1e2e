-- Grouping (reference/sentry.md §3): which events are "the same error". The pipeline calls
-- app.parse_stack_trace for clients that send only a stack_trace text, then
-- app.error_fingerprint; app.grouping_components shows why two events did (not) group.
-- Every function here is IMMUTABLE: same input, same group, forever (a change regroups errors).

-- == Message normalization ==

-- Sentry's parameterization, in its order (email, url, ip, uuid, hex, date, duration, numbers),
-- plus quoted values. PL/pgSQL so that a cheap strpos() skips each regex that cannot match:
-- a regexp_replace costs 1-3 µs even when nothing matches. No lookaround constraints: they
-- make PostgreSQL's regex engine several times slower.
CREATE OR REPLACE FUNCTION app.normalize_message(p_message text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  v text := p_message;
BEGIN
  IF v IS NULL THEN
    RETURN NULL;
  END IF;
  IF strpos(v, E'\n') > 0 THEN  -- the first two non-empty lines, '...' when more followed
    v := regexp_replace(v, '^\s*([^\n]*\S[^\n]*)\s*\n\s*([^\n]*\S[^\n]*)\s*\n[\s\S]*\S[\s\S]*$', E'\\1\n\\2...');
  END IF;
  v := btrim(v, E' \t\r\n');
  IF strpos(v, '''') > 0 OR strpos(v, '"') > 0 THEN  -- an apostrophe inside a word opens nothing
    v := regexp_replace(v, $re$(^|[^\w'"])(?:'[^'\n]*'|"[^"\n]*")$re$, '\1<quoted>', 'g');
  END IF;
  IF strpos(v, '@') > 0 THEN
    v := regexp_replace(v, $re$[\w.%+-]+@[\w-]+(?:\.[\w-]+)+$re$, '<email>', 'g');
  END IF;
  IF strpos(v, '://') > 0 THEN
    v := regexp_replace(v, $re$\m[a-z][a-z0-9+.-]*://[^\s"'<>]*[^\s"'<>.,;:!?)\]}]$re$, '<url>', 'gi');
  END IF;
  IF v !~ '[0-9]' THEN
    RETURN v;  -- every remaining placeholder needs a digit
  END IF;
  IF strpos(v, '.') > 0 THEN
    v := regexp_replace(v, $re$\m(?:\d{1,3}\.){3}\d{1,3}\M$re$, '<ip>', 'g');
  END IF;
  IF strpos(v, ':') > 0 THEN  -- IPv6: eight groups, or compressed with '::'
    v := regexp_replace(v, $re$(^|[^\w:])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\M|(?:[0-9a-f]{1,4}:){1,7}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6}\M)?|::[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6}\M)$re$,
                        '\1<ip>', 'gi');
  END IF;
  IF strpos(v, '-') > 0 THEN
    v := regexp_replace(v, $re$\m[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\M$re$, '<uuid>', 'gi');
  END IF;
  -- 0x..., or a run of 8+ hex characters holding a letter (pure digit runs stay numbers)
  v := regexp_replace(v, $re$\m(?:0x[0-9a-f]+|[a-f][0-9a-f]{7,}|\d[a-f][0-9a-f]{6,}|\d{2}[a-f][0-9a-f]{5,}|\d{3}[a-f][0-9a-f]{4,}|\d{4}[a-f][0-9a-f]{3,}|\d{5}[a-f][0-9a-f]{2,}|\d{6}[a-f][0-9a-f]+|\d{7,}[a-f][0-9a-f]*)\M$re$,
                      '<hex>', 'gi');
  IF strpos(v, '-') > 0 OR strpos(v, ':') > 0 THEN  -- ISO 8601, RFC 1123, clock times
    v := regexp_replace(v, $re$\m(?:\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d? (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d(?: (?:GMT|UTC|[+-]\d{4}))?|\d\d?:\d\d(?::\d\d(?:[.,]\d+)?)?(?: ?[AaPp][Mm])?)\M$re$,
                        '<date>', 'g');
  END IF;
  v := regexp_replace(v, $re$\m\d+(?:\.\d+)?(?:[nuµm]?s|secs?|m(?:ins?)?|hr?s?)\M$re$, '<duration>', 'g');
  IF strpos(v, 'x') > 0 THEN
    v := regexp_replace(v, $re$\m\d+x\d+\M$re$, '<int>x<int>', 'g');
  END IF;
  IF strpos(v, '.') > 0 THEN
    v := regexp_replace(v, $re$-?\m\d+\.\d+(?:e[+-]?\d+)?\M$re$, '<float>', 'g');
  END IF;
  RETURN regexp_replace(v, $re$-?\m\d+\M$re$, '<int>', 'g');
END
$fn$;
COMMENT ON FUNCTION app.normalize_message(text) IS
'Sentry-style message parameterization for grouping (reference/sentry.md §3.3).

Keeps the first two non-empty lines (+ "..." when more followed), then replaces, in this order:
''…'' and "…" (not an apostrophe inside a word) -> <quoted>; emails -> <email>; scheme://… -> <url>;
IPv4 and IPv6 -> <ip>; 8-4-4-4-12 UUIDs -> <uuid>; 0x… and runs of 8+ hex characters that hold a
letter (SHA-1, MD5, trace ids) -> <hex>; ISO 8601 dates/datetimes, RFC 1123 dates and clock times
-> <date>; a number with a unit ns/us/µs/ms/s/sec/m/min/h/hr -> <duration>; 1920x1080 ->
<int>x<int>; decimals -> <float>; integers (with sign) -> <int>. As in Sentry a dotted version
1.2.3 becomes <float>.<int>, and a number glued to letters (user_42, abc123) stays.';

-- == The browsers' wordings ==

-- Chrome (V8), Safari (JavaScriptCore) and Firefox (SpiderMonkey) word the same failure each their
-- own way; grouping reads them in one wording (V8's) before parameterizing. Only the message after
-- an optional "Uncaught " and exception class counts. app.grouping_message calls it only when a
-- strpos finds a distinctive word of one of its rules: a message none can match costs a few strpos.
CREATE OR REPLACE FUNCTION app.grouping_engine_wording(p_message text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  v_parts text[];
BEGIN
  IF p_message IS NULL OR length(p_message) > 1000 THEN
    RETURN p_message;
  END IF;
  -- [1] "Uncaught TypeError: " or "", [2] the rest
  v_parts := regexp_match(p_message, '^((?:Uncaught )?(?:[A-Za-z_$][A-Za-z0-9_$]*: )?)(.*)$');
  v_parts[2] := CASE
    -- a fetch that never got an answer: Chromium (optionally naming the host), Firefox, Safari, React Native
    WHEN v_parts[2] ~ '^(?:Failed to fetch(?: \([^)]*\))?|NetworkError when attempting to fetch resource\.?|Load failed|The network connection was lost\.?|The Internet connection appears to be offline\.?|Network request failed)$'
      THEN 'Failed to fetch'
    -- reading a property of undefined or null
    WHEN strpos(v_parts[2], 'Cannot read property ''') = 1
      THEN regexp_replace(v_parts[2], $re$^Cannot read property '([^']*)' of (undefined|null)$$re$,
                          $re$Cannot read properties of \2 (reading '\1')$re$)
    WHEN strpos(v_parts[2], ' is not an object (evaluating ''') > 0
      THEN regexp_replace(v_parts[2], $re$^(undefined|null) is not an object \(evaluating '(?:[^']*[.[])?([A-Za-z0-9_$]*)[]"']*'\)$$re$,
                          $re$Cannot read properties of \1 (reading '\2')$re$)
    WHEN strpos(v_parts[2], 'can''t access property "') = 1
      THEN regexp_replace(v_parts[2], $re$^can't access property "([^"]*)", .* is (undefined|null)$$re$,
                          $re$Cannot read properties of \2 (reading '\1')$re$)
    -- calling what is not a function: Safari adds the call it evaluated
    WHEN strpos(v_parts[2], ' is not a function. (In ''') > 0
      THEN regexp_replace(v_parts[2], $re$^(.*) is not a function\. \(In '.*\)$$re$, '\1 is not a function')
    -- an undeclared variable
    WHEN strpos(v_parts[2], 'Can''t find variable: ') = 1
      THEN substr(v_parts[2], 22) || ' is not defined'
    -- JSON.parse of a truncated text, and of a text that is no JSON at all
    WHEN v_parts[2] ~ '^(?:Unexpected end of JSON input|JSON Parse error: Unexpected EOF|JSON\.parse: unexpected end of data)'
      THEN 'Unexpected end of JSON input'
    WHEN v_parts[2] ~ '^(?:Unexpected token .* (?:is not valid JSON|in JSON at position [0-9]+)|"[^"]*" is not valid JSON|Unexpected non-whitespace character after JSON|JSON Parse error: |JSON\.parse: )'
      THEN 'Unexpected token in JSON'
    ELSE v_parts[2] END;
  RETURN v_parts[1] || v_parts[2];
END
$fn$;
COMMENT ON FUNCTION app.grouping_engine_wording(text) IS
'A browser''s message in V8''s wording, for grouping: Failed to fetch for Firefox''s NetworkError when attempting
to fetch resource., Safari''s Load failed (and The network connection was lost, The Internet connection appears
to be offline, React Native''s Network request failed); Cannot read properties of undefined (reading ''x'') for
Safari''s undefined is not an object (evaluating ''t.x''), Firefox''s can''t access property "x", t is undefined
and old Chrome''s Cannot read property ''x'' of undefined (null alike); x is not defined for Safari''s Can''t find
variable: x; Safari''s x is not a function. (In ''x()'', …) without its parenthesis; the engines'' JSON.parse
failures as Unexpected end of JSON input or Unexpected token in JSON. An "Uncaught " and exception class in front
stay; messages over 1000 characters are left as they are.';

-- What a message contributes to grouping: the browsers' wordings made one, then parameterized.
-- PL/pgSQL: a SQL function that names its argument this often is not inlined, and then costs a
-- plan per call.
CREATE OR REPLACE FUNCTION app.grouping_message(p_message text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
BEGIN
  IF strpos(p_message, 'to fetch') > 0 OR strpos(p_message, 'Load failed') > 0 OR strpos(p_message, 'request failed') > 0
     OR strpos(p_message, 'connection was lost') > 0 OR strpos(p_message, 'to be offline') > 0
     OR strpos(p_message, ' is not an object (') > 0 OR strpos(p_message, 'access property "') > 0
     OR strpos(p_message, 'Cannot read property ''') > 0 OR strpos(p_message, 'find variable: ') > 0
     OR strpos(p_message, 'JSON') > 0 OR strpos(p_message, ' function. (In ') > 0 THEN
    RETURN app.normalize_message(app.grouping_engine_wording(p_message));
  END IF;
  RETURN app.normalize_message(p_message);
END
$fn$;
COMMENT ON FUNCTION app.grouping_message(text) IS
  'A message as grouping reads it: app.normalize_message(app.grouping_engine_wording(message))';

-- == Stack traces ==

-- Library and runtime code is not "in app": Sentry groups by the application's own frames.
-- strpos() chains rather than one case-insensitive regex: ten times cheaper per frame.
CREATE OR REPLACE FUNCTION app.stack_frame_in_app(p_filename text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(p_filename, '') <> ''
     AND strpos(p_filename, 'node_modules') = 0
     AND strpos(p_filename, 'site-packages') = 0
     AND strpos(p_filename, 'dist-packages') = 0
     AND left(p_filename, 1) <> '<'
     AND strpos(p_filename, '<anonymous>') = 0
     AND strpos(p_filename, '[native code]') = 0
     AND p_filename <> 'native'
     AND left(p_filename, 5) <> 'node:'
     AND left(p_filename, 9) <> 'internal/'
     AND strpos(p_filename, 'extension://') = 0
     AND left(p_filename, 18) <> 'webkit-masked-url:'
     AND (strpos(p_filename, '/python') = 0 OR p_filename !~ '/lib(64)?/python[0-9.]*/')
$$;
COMMENT ON FUNCTION app.stack_frame_in_app(text) IS
'Whether a frame''s file is application code: false for node_modules, site-packages, dist-packages,
the Python standard library (…/lib/pythonX.Y/…), <anonymous>, <frozen …> and other <…> pseudo
files, [native code], node:… and internal/… (Node built-ins) and browser-extension URLs
(chrome-extension://, moz-extension://, safari-web-extension://, webkit-masked-url:); true otherwise';

-- One parsed frame as JSON text (cheaper than jsonb_build_object, which sorts its keys, and
-- parse_stack_trace casts all frames to jsonb at once). Cheap arguments let the planner inline it
-- and stack_frame_in_app inside it. STABLE only because to_json is.
CREATE OR REPLACE FUNCTION app._stack_frame_json(p_function text, p_filename text, p_lineno text, p_colno text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
  SELECT '{"filename": ' || coalesce(to_json(nullif(p_filename, ''))::text, 'null')
      || ', "module": null, "function": ' || coalesce(to_json(nullif(btrim(p_function), ''))::text, 'null')
      || ', "lineno": ' || CASE WHEN length(p_lineno) BETWEEN 1 AND 9 THEN p_lineno::integer::text ELSE 'null' END
      || ', "colno": ' || CASE WHEN length(p_colno) BETWEEN 1 AND 9 THEN p_colno::integer::text ELSE 'null' END
      || ', "in_app": ' || CASE WHEN length(p_lineno) BETWEEN 1 AND 9 AND app.stack_frame_in_app(p_filename)
                                THEN 'true' ELSE 'false' END || '}'
$fn$;
COMMENT ON FUNCTION app._stack_frame_json(text, text, text, text) IS 'One parsed stack frame, shaped as Sentry''s, as JSON text';

-- Loops of few simple PL/pgSQL assignments, with string functions rather than regex captures:
-- PostgreSQL's regex engine is quick to find a match but slow (10-20 µs per stack line) to split
-- one into groups, and a set-based query costs more to start than these loops take to run.
-- Linear in the number of lines: frames are appended to an array (PL/pgSQL appends to an array
-- variable in place; building one text by concatenation copies it every line, and made a
-- 64k-line trace take 10 s). V8 and Gecko/WebKit list the newest frame first, so their lines are
-- walked from the last; Python lists the oldest first: frames come out oldest first (Sentry's
-- order, crashing frame last). A line number of more than 9 digits is none (so the cast cannot
-- fail). A frame without one is a runtime built-in.
CREATE OR REPLACE FUNCTION app.parse_stack_trace(p_stack_trace text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  v_text text := replace(p_stack_trace, E'\r', '');
  v_lines text[];
  v_line text;
  v_function text;
  v_location text;
  v_tail text;
  v_cut integer;
  v_frames text[] := '{}'::text[];  -- each frame as JSON text, oldest first
BEGIN
  IF strpos(v_text, 'File "') > 0 AND v_text ~ 'File "[^"\n]+", line [0-9]' THEN
    -- Python: '  File "/srv/app/billing.py", line 2, in charge'
    FOREACH v_line IN ARRAY string_to_array(v_text, E'\n') LOOP
      CONTINUE WHEN strpos(v_line, 'File "') = 0;
      v_line := btrim(v_line, E' \t');
      CONTINUE WHEN v_line NOT LIKE 'File "%", line %';
      v_cut := strpos(v_line, '", line ');
      v_tail := substr(v_line, v_cut + 8);  -- '2, in charge'
      v_function := CASE WHEN strpos(v_tail, ', in ') > 0 THEN substr(v_tail, strpos(v_tail, ', in ') + 5) END;
      v_location := substr(v_line, 7, v_cut - 7);
      v_frames := v_frames || app._stack_frame_json(v_function, v_location, substring(v_tail FROM '^[0-9]+'), NULL);
    END LOOP;
  ELSIF strpos(v_text, 'at ') > 0 AND v_text ~ '(^|\n)[ \t]*at [^ \t\n]' THEN
    -- V8 (Chrome, Edge, Node): '    at fn (https://x/app.js:10:5)', '    at https://x/app.js:10:5'
    v_lines := string_to_array(v_text, E'\n');
    FOR v_n IN REVERSE cardinality(v_lines) .. 1 LOOP
      v_line := ltrim(v_lines[v_n], E' \t');
      CONTINUE WHEN v_line NOT LIKE 'at %';
      v_line := rtrim(substr(v_line, CASE WHEN v_line LIKE 'at async %' THEN 10 ELSE 4 END), E' \t');
      v_cut := CASE WHEN v_line LIKE '%)' THEN strpos(v_line, ' (') ELSE 0 END;  -- 'fn (location)'
      v_function := CASE WHEN v_cut > 0 THEN left(v_line, v_cut - 1) END;
      v_location := CASE WHEN v_cut > 0 THEN substr(v_line, v_cut + 2, length(v_line) - v_cut - 2) ELSE v_line END;
      v_tail := regexp_substr(right(v_location, 24), ':[0-9]+(?::[0-9]+)?$');  -- ':line:col' or ':line'
      v_frames := v_frames || app._stack_frame_json(v_function, left(v_location, length(v_location) - coalesce(length(v_tail), 0)),
                                                    split_part(v_tail, ':', 2), split_part(v_tail, ':', 3));
    END LOOP;
  ELSIF strpos(v_text, '@') > 0 THEN
    -- Gecko (Firefox), WebKit (Safari): 'fn@https://x/app.js:10:5', 'forEach@[native code]'
    v_lines := string_to_array(v_text, E'\n');
    FOR v_n IN REVERSE cardinality(v_lines) .. 1 LOOP
      v_line := v_lines[v_n];
      v_cut := strpos(v_line, '@');
      CONTINUE WHEN v_cut = 0;
      v_location := btrim(substr(v_line, v_cut + 1), E' \t');
      v_tail := regexp_substr(right(v_location, 24), ':[0-9]+(?::[0-9]+)?$');
      CONTINUE WHEN v_tail IS NULL AND v_location <> '[native code]';  -- prose that holds an '@'
      v_frames := v_frames || app._stack_frame_json(left(v_line, v_cut - 1), left(v_location, length(v_location) - coalesce(length(v_tail), 0)),
                                                    split_part(v_tail, ':', 2), split_part(v_tail, ':', 3));
    END LOOP;
  END IF;
  RETURN ('[' || array_to_string(v_frames, ',') || ']')::jsonb;
END
$fn$;
COMMENT ON FUNCTION app.parse_stack_trace(text) IS
'Frames [{filename, module, function, lineno, colno, in_app}] from a stack trace text, oldest first

Understands V8 (Chrome, Edge, Node: "at fn (file:line:col)", "at file:line:col", "at async fn (…)"),
Gecko/WebKit (Firefox, Safari: "fn@file:line:col", "fn@[native code]") and Python tracebacks
("File \"path\", line N, in fn"); anything else gives []. module is always null (a text trace does
not name it); in_app follows app.stack_frame_in_app, and a frame without a line number (a runtime
built-in such as "native" or "index 0") is not in app.';

-- Fingerprints (app.grouping_components, app.error_fingerprint) are in 320_grouping_fingerprint.sql.
