-- Fingerprints (reference/sentry.md §3), grouping rules version 2 (version 1, which made the groups
-- before it, is frozen in 325_grouping_legacy.sql): the grouping components of an event and their
-- hash. Split so the pipeline can cache the expensive half: the frame components depend on the
-- frames alone (app.grouping_frame_components, cached per stack trace by app.capture_enrich); the
-- rest is cheap (type, exception class or grouping message, exception chain, client fingerprint).
-- app.grouping_components and app.error_fingerprint compose the parts.

-- The old signatures (version 2 takes the exception chain too)
DROP FUNCTION IF EXISTS app._frame_in_app(jsonb);
DROP FUNCTION IF EXISTS app._grouping_function(text);
DROP FUNCTION IF EXISTS app._grouping_function(text, boolean);
DROP FUNCTION IF EXISTS app.grouping_components(app.error_type_enum, text, jsonb, text);
DROP FUNCTION IF EXISTS app.grouping_components_of(app.error_type_enum, text, text, text);
DROP FUNCTION IF EXISTS app.error_hash(app.error_type_enum, text, text, text[], text);
DROP FUNCTION IF EXISTS app.error_fingerprint(app.error_type_enum, text, jsonb, text[], text);
DROP FUNCTION IF EXISTS app.grouping_components_of(app.error_type_enum, text, text, text, text, text);
DROP FUNCTION IF EXISTS app.error_hash_components(app.error_type_enum, text, text, text[], text, text, text);
DROP FUNCTION IF EXISTS app.error_hash(app.error_type_enum, text, text, text[], text, text, text);
DROP FUNCTION IF EXISTS app.components_hash(jsonb);

-- == Frames ==

-- What the frames of one stack contribute (Sentry newstyle). Per frame: its module, else its file
-- without scheme, host, query and fragment, and for JavaScript without the build's content hash
-- (app.3f9a1c.js = app.js); and its function. JavaScript functions (Sentry's javascript fuzzing):
-- the engines agree only on the part after the last dot (HTMLButtonElement.onPay, Object.onPay,
-- onPay), a V8 alias [as x] is dropped, Firefox's closures (setup/<) and anonymous markers are no
-- name; other functions lose async/new/Object. and anonymous markers. Never line or column
-- numbers. Built-in and eval frames ([native code], <anonymous>, native, eval code, eval) are left
-- out: Safari and Chrome list them, Firefox does not. In app: the client's boolean; when any frame
-- of the stack has one (an SDK decided), a frame without one is not in app (as Sentry reads it),
-- else app.stack_frame_in_app of its path decides. The in-app frames contribute, or when none is in
-- app and p_app_only is false, all (Sentry's system variant). Loops of string functions (a regex or
-- a function call per frame would double their cost): which frames count first, then only theirs
-- are read; the components are joined once.
-- Both variants come from one pass (app.grouping_frame_variants): the in-app one is the frames that
-- count when any is in app, else ''; the default one is the same, or all frames when none is.
CREATE OR REPLACE FUNCTION app.grouping_frame_variants(p_frames jsonb) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  v_frames jsonb := CASE jsonb_typeof(p_frames) WHEN 'array' THEN p_frames WHEN 'object' THEN p_frames -> 'frames' END;
  v_count integer;
  v_frame jsonb;
  v_path text;
  v_file text;
  v_location text;
  v_function text;
  v_previous jsonb;                  -- the frame before (recursion)
  v_context text;
  v_states text[] := '{}'::text[];  -- per frame: T/F the client's in_app, t/f app.stack_frame_in_app; NULL never counts
  v_app_state text;                  -- the state of the frames that are in app: T when an SDK decided, else t
  v_any_app boolean;
  v_components text[] := '{}'::text[];
  v_text text;
BEGIN
  v_count := CASE WHEN jsonb_typeof(v_frames) = 'array' THEN jsonb_array_length(v_frames) ELSE 0 END;
  FOR i IN 0 .. v_count - 1 LOOP  -- which frames are in app (cheap: no text is built)
    v_frame := v_frames -> i;
    CONTINUE WHEN jsonb_typeof(v_frame) <> 'object';
    v_path := coalesce(nullif(v_frame ->> 'abs_path', ''), v_frame ->> 'filename');
    v_states[i] := CASE WHEN v_path IN ('[native code]', 'native code', 'eval code', '<anonymous>', 'native')
                             OR v_frame ->> 'function' = 'eval' THEN NULL
                        WHEN jsonb_typeof(v_frame -> 'in_app') = 'boolean'
                          THEN CASE WHEN (v_frame ->> 'in_app')::boolean THEN 'T' ELSE 'F' END
                        WHEN app.stack_frame_in_app(v_path) THEN 't' ELSE 'f' END;
    -- recursion: a frame that repeats the one before it (file, module, function, line, column)
    -- counts once, however deep the recursion went
    IF v_previous IS NOT NULL AND (v_frame ->> 'function') IS NOT DISTINCT FROM (v_previous ->> 'function')
       AND jsonb_build_array(v_frame -> 'abs_path', v_frame -> 'filename', v_frame -> 'module', v_frame -> 'package',
                             v_frame -> 'lineno', v_frame -> 'colno')
           = jsonb_build_array(v_previous -> 'abs_path', v_previous -> 'filename', v_previous -> 'module',
                               v_previous -> 'package', v_previous -> 'lineno', v_previous -> 'colno') THEN
      v_states[i] := NULL;
    END IF;
    v_previous := v_frame;
  END LOOP;
  -- a JavaScript stack of one frame without a function, at a URL (an inline script, a bundle's
  -- top level): too poor to group by (Sentry's single-frame rule)
  IF v_count = 1 AND v_states[0] IS NOT NULL AND nullif(btrim(v_frames #>> '{0,function}'), '') IS NULL
     AND coalesce(nullif(v_frames #>> '{0,abs_path}', ''), v_frames #>> '{0,filename}') ~ '^(?:https?:|file:|blob:|applewebdata:)' THEN
    RETURN '{"",""}'::text[];
  END IF;
  v_app_state := CASE WHEN 'T' = ANY (v_states) OR 'F' = ANY (v_states) THEN 'T' ELSE 't' END;
  v_any_app := v_app_state = ANY (v_states);
  FOR i IN 0 .. v_count - 1 LOOP  -- the components of the frames that count
    CONTINUE WHEN v_states[i] IS NULL OR (v_any_app AND v_states[i] <> v_app_state);
    v_frame := v_frames -> i;
    v_path := coalesce(nullif(v_frame ->> 'abs_path', ''), v_frame ->> 'filename');
    v_file := coalesce(nullif(v_frame ->> 'filename', ''), v_frame ->> 'abs_path');
    v_function := btrim(v_frame ->> 'function');
    IF strpos(v_function, ' [as ') > 0 THEN
      v_function := left(v_function, strpos(v_function, ' [as ') - 1);
    END IF;
    IF strpos(v_path, '://') > 0 OR right(v_file, 3) IN ('.js', '.ts') OR right(v_file, 4) IN ('.mjs', '.cjs', '.jsx', '.tsx') THEN
      IF left(v_function, 6) = 'async ' OR left(v_function, 4) = 'new ' THEN
        v_function := regexp_replace(v_function, '^(?:async |new )+', '');
      END IF;
      v_function := CASE WHEN right(v_function, 2) = '/<' THEN NULL
                         WHEN strpos(v_function, '.') > 0 THEN right(v_function, strpos(reverse(v_function), '.') - 1)
                         ELSE v_function END;
      v_function := CASE WHEN v_function IN ('', '?', '<anonymous>', 'Anonymous function', '<anonymous function>', 'eval')
                         THEN NULL ELSE v_function END;
    ELSIF strpos(v_function, '*') > 0 OR left(v_function, 6) = 'async ' OR left(v_function, 4) = 'new '
          OR left(v_function, 7) = 'Object.' OR v_function IN ('?', '<anonymous>', 'Anonymous function') THEN
      v_function := regexp_replace(v_function, '^.*\*|^(?:async |new )+|^Object\.|^(?:\?|<anonymous>|Anonymous function)$', '', 'g');
    END IF;
    v_function := nullif(v_function, '');
    v_location := nullif(v_frame ->> 'module', '');
    IF v_location IS NULL THEN
      IF strpos(v_file, '://') > 0 OR strpos(v_file, '?') > 0 OR strpos(v_file, '#') > 0 THEN
        v_file := regexp_replace(v_file, '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*|[?#].*$', '', 'g');
      END IF;
      IF right(v_file, 3) = '.js' OR right(v_file, 4) IN ('.mjs', '.cjs', '.jsx') THEN
        v_file := regexp_replace(v_file, $re$[.-](?=[A-Za-z0-9_]*[0-9])(?:[0-9a-f]{6,}|[A-Za-z0-9_]{8})((?:\.chunk)?\.(?:m?js|cjs|jsx))$$re$, '\1');
      END IF;
      v_location := nullif(v_file, '');
    END IF;
    -- a frame without a function name: its source line (whitespace collapsed) when the SDK sent
    -- one of at most 120 characters, but not from a URL (a browser's page or bundle)
    v_context := CASE WHEN v_function IS NULL AND length(v_frame ->> 'context_line') <= 120
                           AND strpos(coalesce(v_path, ''), '://') = 0
                      THEN nullif(btrim(regexp_replace(v_frame ->> 'context_line', '\s+', ' ', 'g')), '') END;
    CONTINUE WHEN v_location IS NULL AND v_function IS NULL AND v_context IS NULL;
    v_components := v_components || CASE WHEN v_context IS NULL THEN jsonb_build_array('frame', v_location, v_function)
                                         ELSE jsonb_build_array('frame', v_location, v_function, v_context) END::text;  -- JSON text, cast once
  END LOOP;
  -- an address in a file name reads the same whatever the personal-data policy made of it
  v_text := app.personal_data_grouping_text(array_to_string(v_components, ', '));
  RETURN ARRAY[CASE WHEN v_any_app THEN v_text ELSE '' END, v_text];
END
$fn$;
COMMENT ON FUNCTION app.grouping_frame_variants(jsonb) IS
'{in-app, default}: app.grouping_frames of one stack with p_app_only true and false, from one pass over its frames';

CREATE OR REPLACE FUNCTION app.grouping_frames(p_frames jsonb, p_app_only boolean) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT (app.grouping_frame_variants(p_frames))[CASE WHEN p_app_only THEN 1 ELSE 2 END]
$fn$;
COMMENT ON FUNCTION app.grouping_frames(jsonb, boolean) IS
'The frames part of the grouping of one stack as JSON text: ["frame", module or file, function], … joined by ", ",
oldest first; the in-app frames, or all when none is in app and p_app_only is false; '''' when no frame is usable.
Built-in and eval frames never count, nor a frame that repeats the one before it (recursion); JavaScript functions
count by the part after their last dot. A frame without a function adds its source line (context_line, up to 120
characters, whitespace collapsed; not at a URL) as a fourth element. A JavaScript stack of a single frame without
a function at a URL gives ''''. E-mail and IP addresses, and their personal-data tokens, read <email> and <ip>.';

-- A frame's source line as grouping may read it (app.grouping_frames): only of a frame without a
-- function name, at most 120 characters. What capture keeps of a frame's source lines.
CREATE OR REPLACE FUNCTION app.grouping_context_line(p_frame jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT CASE WHEN coalesce(btrim(p_frame ->> 'function'), '') IN ('', '?', '<anonymous>', 'Anonymous function', '<anonymous function>')
                   AND length(p_frame ->> 'context_line') <= 120
              THEN p_frame -> 'context_line' END
$fn$;
COMMENT ON FUNCTION app.grouping_context_line(jsonb) IS
  'A frame''s context_line when grouping may read it (no function name, at most 120 characters), else NULL';

-- One stack, the way a single exception groups (what the derivation cache keeps per stack trace).
CREATE OR REPLACE FUNCTION app.grouping_frame_components(p_frames jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT (app.grouping_frame_variants(p_frames))[2]
$fn$;
COMMENT ON FUNCTION app.grouping_frame_components(jsonb) IS
  'app.grouping_frames of one stack: its in-app frames, else all (Sentry''s app and system variants)';

-- == Exceptions ==

-- The exception class a message starts with (TypeError: …, Uncaught ReferenceError: …), or NULL.
CREATE OR REPLACE FUNCTION app.grouping_exception(p_message text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT regexp_replace(rtrim(regexp_substr(p_message,
           '^(?:Uncaught )?[A-Za-z_$][A-Za-z0-9_$.]*(?:Error|Exception|Exit|Interrupt|Warning|Fault)(?::|$)'), ':'),
         '^Uncaught ', '')
$fn$;
COMMENT ON FUNCTION app.grouping_exception(text) IS 'The exception class a message starts with (without Uncaught), or NULL';

-- The raised exception's class: the type the client named in its chain (none when synthetic: a
-- message the SDK wrapped), else the class the message starts with.
CREATE OR REPLACE FUNCTION app.grouping_exception_type(p_exceptions jsonb, p_message text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT CASE WHEN jsonb_typeof(p_exceptions -> -1) = 'object'
              THEN CASE WHEN p_exceptions -> -1 -> 'synthetic' = 'true'::jsonb THEN NULL ELSE nullif(p_exceptions -> -1 ->> 'type', '') END
              ELSE app.grouping_exception(p_message) END
$fn$;
COMMENT ON FUNCTION app.grouping_exception_type(jsonb, text) IS
  'The raised exception''s class for grouping: its type in the chain (NULL when synthetic), else the message''s class';

-- A chain (the raised exception caused by others: Python's raise … from, JavaScript's cause), as
-- Sentry groups it: every exception in order, oldest cause first, each its type and its frames,
-- or its grouping message when no frame of it contributes. The frames are the chain's in-app
-- ones when any exception has one, else all (one variant for the whole chain). p_frames are the
-- raised exception's frames; its message falls back to the template, as a single one does.
-- p_raised and p_causes: the frame variants (app.grouping_frame_variants) of the raised exception
-- and of the causes (a JSON array of their pairs flattened, oldest first: app._derive_exceptions)
-- when the caller has them already; each stack is otherwise reduced here, once. NULL for no chain (fewer than two exceptions).
DROP FUNCTION IF EXISTS app.grouping_chain(jsonb, jsonb, text, text);  -- (the variants are new)
CREATE OR REPLACE FUNCTION app.grouping_chain(p_exceptions jsonb, p_frames jsonb, p_message text, p_message_template text,
                                              p_raised text[] DEFAULT NULL, p_causes jsonb DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  v_count integer := CASE WHEN jsonb_typeof(p_exceptions) = 'array' THEN jsonb_array_length(p_exceptions) ELSE 0 END;
  v_app text[] := '{}'::text[];    -- per exception: its in-app frames' part
  v_all text[] := '{}'::text[];    -- per exception: its default part (all frames when none is in app)
  v_variants text[];
  v_any_app boolean := false;
  v_parts text[] := '{}'::text[];
  v_exception jsonb;
  v_frames text;
  v_type text;
BEGIN
  IF v_count < 2 THEN
    RETURN NULL;
  END IF;
  FOR i IN 0 .. v_count - 1 LOOP  -- each exception's frames, reduced once
    v_variants := CASE WHEN i = v_count - 1 THEN coalesce(p_raised, app.grouping_frame_variants(p_frames))
                       WHEN p_causes ->> (2 * i + 1) IS NOT NULL THEN ARRAY[p_causes ->> (2 * i), p_causes ->> (2 * i + 1)]
                       ELSE app.grouping_frame_variants(p_exceptions -> i -> 'frames') END;
    v_app[i] := v_variants[1];
    v_all[i] := v_variants[2];
    v_any_app := v_any_app OR v_app[i] <> '';
  END LOOP;
  FOR i IN 0 .. v_count - 1 LOOP
    v_exception := p_exceptions -> i;
    v_frames := CASE WHEN v_any_app THEN v_app[i] ELSE v_all[i] END;
    IF i = v_count - 1 THEN  -- the raised one: as a single exception
      v_type := app.grouping_exception_type(p_exceptions, p_message);
      v_parts := v_parts || CASE WHEN v_frames = '' THEN jsonb_build_array('message', app.grouping_message(
                                                               coalesce(nullif(p_message_template, ''), p_message)))::text
                                 WHEN v_type IS NULL THEN v_frames
                                 ELSE jsonb_build_array('exception', v_type)::text || ', ' || v_frames END;
    ELSE
      v_type := CASE WHEN v_exception -> 'synthetic' = 'true'::jsonb THEN NULL ELSE nullif(v_exception ->> 'type', '') END;
      v_parts := v_parts || jsonb_build_array('cause', v_type)::text
                         || CASE WHEN v_frames <> '' THEN v_frames
                                 ELSE jsonb_build_array('value', app.grouping_message(v_exception ->> 'value'))::text END;
    END IF;
  END LOOP;
  RETURN array_to_string(v_parts, ', ');
END
$fn$;
COMMENT ON FUNCTION app.grouping_chain(jsonb, jsonb, text, text, text[], jsonb) IS
'The grouping of an exception chain (two or more exceptions, oldest cause first) as JSON text: per cause
["cause", type] and its frames or ["value", grouping message]; then the raised exception: ["exception", type] and
its frames, or ["message", grouping message]. Frames: the in-app ones when any exception has one, else all.
p_raised, p_causes: the stacks'' app.grouping_frame_variants when known (the raised one''s; the causes'' as one JSON
array, oldest first). NULL for fewer than two exceptions.';

-- == Components and hash ==

-- The default grouping from the frame part (app.grouping_frame_components), the message, the
-- exception chain as sent (its raised exception's class counts with frames) and the chain's
-- grouping (app.grouping_chain, NULL without one).
CREATE OR REPLACE FUNCTION app.grouping_components_of(
  p_error_type app.error_type_enum, p_message text, p_frame_components text, p_message_template text DEFAULT NULL,
  p_exceptions jsonb DEFAULT NULL, p_chain text DEFAULT NULL
) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  v_exception text;
BEGIN
  IF p_chain IS NOT NULL THEN
    RETURN ('[' || jsonb_build_array('type', p_error_type)::text || ', ' || p_chain || ']')::jsonb;
  END IF;
  IF p_frame_components <> '' THEN
    v_exception := app.grouping_exception_type(p_exceptions, p_message);
    RETURN ('[' || jsonb_build_array('type', p_error_type)::text
            || CASE WHEN v_exception IS NULL THEN '' ELSE ', ' || jsonb_build_array('exception', v_exception)::text END
            || ', ' || p_frame_components || ']')::jsonb;
  END IF;
  RETURN jsonb_build_array(jsonb_build_array('type', p_error_type),
                           jsonb_build_array('message', app.grouping_message(coalesce(nullif(p_message_template, ''), p_message))));
END
$fn$;
COMMENT ON FUNCTION app.grouping_components_of(app.error_type_enum, text, text, text, jsonb, text) IS
'app.grouping_components with the frames already reduced (app.grouping_frame_components) and the chain''s grouping
(app.grouping_chain)';

CREATE OR REPLACE FUNCTION app.grouping_components(
  p_error_type app.error_type_enum, p_message text, p_frames jsonb DEFAULT NULL, p_message_template text DEFAULT NULL,
  p_exceptions jsonb DEFAULT NULL
) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
BEGIN  -- (PL/pgSQL: a SQL function naming p_frames twice is not inlined, and then costs a plan per call)
  RETURN app.grouping_components_of(p_error_type, p_message, app.grouping_frame_components(p_frames), p_message_template,
                                    p_exceptions,
                                    CASE WHEN jsonb_array_length(p_exceptions) > 1
                                         THEN app.grouping_chain(p_exceptions, p_frames, p_message, p_message_template) END);
END
$fn$;
COMMENT ON FUNCTION app.grouping_components(app.error_type_enum, text, jsonb, text, jsonb) IS
'Why an event groups where it does: the default grouping components, in hash order

["type", error_type] first. One exception with at least one usable frame: ["exception", class] (its type in the
chain, else the class its message starts with: TypeError: …), then ["frame", module or file, function] for each
in-app frame, oldest first, or all frames when none is in app (app.grouping_frames); the message does not
contribute (same stack, different value = same group). Without frames: ["message", app.grouping_message(template,
else message)]. A chain of exceptions (p_exceptions, oldest first, the raised one last): every exception in order
(app.grouping_chain).';

-- What an event's hash is computed from: the client fingerprint (each entry ["fingerprint", entry],
-- {{ default }} the default components) or, without one, the default components.
CREATE OR REPLACE FUNCTION app.error_hash_components(
  p_error_type app.error_type_enum, p_message text, p_frame_components text,
  p_fingerprint text[] DEFAULT NULL, p_message_template text DEFAULT NULL,
  p_exceptions jsonb DEFAULT NULL, p_chain text DEFAULT NULL
) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  v_default jsonb;
  v_components jsonb := '[]'::jsonb;
  v_entry text;
BEGIN
  FOREACH v_entry IN ARRAY coalesce(p_fingerprint, '{}') LOOP
    CONTINUE WHEN v_entry IS NULL;
    IF v_entry ~ '^\s*\{\{\s*default\s*\}\}\s*$' THEN
      v_default := coalesce(v_default, app.grouping_components_of(p_error_type, p_message, p_frame_components,
                                                                  p_message_template, p_exceptions, p_chain));
      v_components := v_components || v_default;
    ELSE
      v_components := v_components || jsonb_build_array(jsonb_build_array('fingerprint', v_entry));
    END IF;
  END LOOP;
  IF v_components = '[]' THEN
    RETURN app.grouping_components_of(p_error_type, p_message, p_frame_components, p_message_template,
                                      p_exceptions, p_chain);
  END IF;
  RETURN v_components;
END
$fn$;
COMMENT ON FUNCTION app.error_hash_components(app.error_type_enum, text, text, text[], text, jsonb, text) IS
'The components app.error_hash hashes: a client fingerprint''s entries as ["fingerprint", entry] with {{ default }}
replaced by the default components (app.grouping_components_of), else the default components';

-- error_fingerprint with the frames already reduced (what app.capture_enrich calls).
CREATE OR REPLACE FUNCTION app.error_hash(
  p_error_type app.error_type_enum, p_message text, p_frame_components text,
  p_fingerprint text[] DEFAULT NULL, p_message_template text DEFAULT NULL,
  p_exceptions jsonb DEFAULT NULL, p_chain text DEFAULT NULL
) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
BEGIN
  -- the components' JSON text keeps every boundary unambiguous; without a client fingerprint (most
  -- events) they are the default ones, read without app.error_hash_components' call (each PL/pgSQL
  -- call costs 2-4 µs, and a message-only hash is several deep)
  RETURN encode(sha256(convert_to(CASE WHEN p_fingerprint IS NULL
    THEN app.grouping_components_of(p_error_type, p_message, p_frame_components, p_message_template, p_exceptions, p_chain)
    ELSE app.error_hash_components(p_error_type, p_message, p_frame_components, p_fingerprint,
                                   p_message_template, p_exceptions, p_chain) END::text, 'UTF8')), 'hex');
END
$fn$;
COMMENT ON FUNCTION app.error_hash(app.error_type_enum, text, text, text[], text, jsonb, text) IS
'app.error_fingerprint with the frames given as app.grouping_frame_components and the chain''s grouping as
app.grouping_chain';

CREATE OR REPLACE FUNCTION app.error_fingerprint(
  p_error_type app.error_type_enum, p_message text, p_frames jsonb DEFAULT NULL,
  p_fingerprint text[] DEFAULT NULL, p_message_template text DEFAULT NULL, p_exceptions jsonb DEFAULT NULL
) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
BEGIN  -- (PL/pgSQL, as app.grouping_components; no stack to reduce without frames: a message's hash is 3-4 µs less)
  RETURN app.error_hash(p_error_type, p_message,
                        CASE WHEN p_frames IS NULL THEN '' ELSE app.grouping_frame_components(p_frames) END,
                        p_fingerprint, p_message_template, p_exceptions,
                        CASE WHEN jsonb_array_length(p_exceptions) > 1
                             THEN app.grouping_chain(p_exceptions, p_frames, p_message, p_message_template) END);
END
$fn$;
COMMENT ON FUNCTION app.error_fingerprint(app.error_type_enum, text, jsonb, text[], text, jsonb) IS
'error_hash: SHA-256 hex of the grouping components (app.grouping_components)

A client fingerprint wins: each entry becomes ["fingerprint", entry], and an entry {{ default }}
(or {{default}}) is replaced by the default components, so ["{{ default }}", "tenant-7"] splits the
default group per tenant and ["{{ default }}"] alone is the default group. The components are
hashed as their JSON text, which keeps every boundary unambiguous.';
