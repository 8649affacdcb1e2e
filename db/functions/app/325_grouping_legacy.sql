-- Grouping rules version 1, frozen: what made the groups that existed before version 2
-- (db/migrations/0022). Until app.grouping_config.transition_until, an event whose current hash finds
-- no group is hashed this way too (app.capture_item_hash_v1), and a version 1 group that hash finds
-- keeps its events (325_grouping_resolve.sql). Never change these: a change would
-- lose the old groups. The current rules are in 320_grouping_fingerprint.sql.

-- A client frame's in_app when it says so (a boolean), else decided by its path.
CREATE OR REPLACE FUNCTION app._frame_in_app_v1(p_frame jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT coalesce(CASE WHEN jsonb_typeof(p_frame -> 'in_app') = 'boolean' THEN (p_frame ->> 'in_app')::boolean END,
                  app.stack_frame_in_app(coalesce(nullif(p_frame ->> 'abs_path', ''), p_frame ->> 'filename')))
$fn$;
COMMENT ON FUNCTION app._frame_in_app_v1(jsonb) IS 'A frame''s in_app: the client''s boolean, else app.stack_frame_in_app(abs_path or filename)';

CREATE OR REPLACE FUNCTION app._grouping_function_v1(p_function text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT nullif(CASE WHEN strpos(p_function, '*') > 0 OR left(p_function, 6) = 'async ' OR left(p_function, 4) = 'new '
                          OR left(p_function, 7) = 'Object.' OR p_function IN ('?', '<anonymous>', 'Anonymous function')
                     THEN regexp_replace(p_function, '^.*\*|^(?:async |new )+|^Object\.|^(?:\?|<anonymous>|Anonymous function)$', '', 'g')
                     ELSE p_function END, '')
$fn$;
COMMENT ON FUNCTION app._grouping_function_v1(text) IS 'A frame''s function name for grouping, without async/new/Object. and anonymous markers';

-- What a frame contributes (Sentry newstyle): its module, else its file without scheme, host,
-- query and fragment, and for JavaScript without the build's content hash (app.3f9a1c.js =
-- app.js); and its function without async/new/Object. decorations. Never line or column numbers.
-- Two loops of simple assignments (in-app flags, then the chosen frames): ~40% cheaper than the
-- same work as set-based queries, whose start-up dominates for a few frames. Components are
-- collected in an array and joined once: text grown by concatenation is copied at every frame.
CREATE OR REPLACE FUNCTION app.grouping_frame_components_v1(p_frames jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  v_frames jsonb := CASE jsonb_typeof(p_frames) WHEN 'array' THEN p_frames WHEN 'object' THEN p_frames -> 'frames' END;
  v_frame jsonb;
  v_in_app boolean[] := '{}'::boolean[];
  v_any_in_app boolean := false;
  v_count integer;
  v_file text;
  v_function text;
  v_location text;
  v_components text[] := '{}'::text[];
BEGIN
  v_count := CASE WHEN jsonb_typeof(v_frames) = 'array' THEN jsonb_array_length(v_frames) ELSE 0 END;
  FOR i IN 0 .. v_count - 1 LOOP
    v_frame := v_frames -> i;
    v_in_app[i] := jsonb_typeof(v_frame) = 'object' AND app._frame_in_app_v1(v_frame);
    v_any_in_app := v_any_in_app OR v_in_app[i];
  END LOOP;
  FOR i IN 0 .. v_count - 1 LOOP
    CONTINUE WHEN v_any_in_app AND NOT v_in_app[i];
    v_frame := v_frames -> i;
    CONTINUE WHEN jsonb_typeof(v_frame) <> 'object';
    v_location := nullif(v_frame ->> 'module', '');
    IF v_location IS NULL THEN
      v_file := coalesce(nullif(v_frame ->> 'filename', ''), v_frame ->> 'abs_path');
      IF strpos(v_file, '://') > 0 OR strpos(v_file, '?') > 0 OR strpos(v_file, '#') > 0 THEN
        v_file := regexp_replace(v_file, '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*|[?#].*$', '', 'g');
      END IF;
      IF right(v_file, 3) = '.js' OR right(v_file, 4) IN ('.mjs', '.cjs', '.jsx') THEN
        v_file := regexp_replace(v_file, $re$[.-](?=[A-Za-z0-9_]*[0-9])(?:[0-9a-f]{6,}|[A-Za-z0-9_]{8})((?:\.chunk)?\.(?:m?js|cjs|jsx))$$re$, '\1');
      END IF;
      v_location := nullif(v_file, '');
    END IF;
    v_function := app._grouping_function_v1(btrim(v_frame ->> 'function'));
    CONTINUE WHEN v_location IS NULL AND v_function IS NULL;
    v_components := v_components || jsonb_build_array('frame', v_location, v_function)::text;  -- JSON text, cast once
  END LOOP;
  -- an address in a file name reads the same whatever the personal-data policy made of it
  RETURN app.personal_data_grouping_text(array_to_string(v_components, ', '));
END
$fn$;
COMMENT ON FUNCTION app.grouping_frame_components_v1(jsonb) IS
'The frame part of the default grouping as JSON text: ["frame", module or file, function], … joined by
", ", oldest first; the in-app frames, or all when none is in app (Sentry''s system variant); '''' when
no frame is usable. In app: the client''s boolean, else app.stack_frame_in_app(abs_path or filename).
E-mail and IP addresses, and their personal-data tokens, read <email> and <ip>.';

-- The default grouping from the frame part (app.grouping_frame_components) and the message.
CREATE OR REPLACE FUNCTION app.grouping_components_of_v1(
  p_error_type app.error_type_enum, p_message text, p_frame_components text, p_message_template text DEFAULT NULL
) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  v_exception text;
BEGIN
  IF p_frame_components <> '' THEN
    v_exception := app.grouping_exception(p_message);
    RETURN ('[' || jsonb_build_array('type', p_error_type)::text
            || CASE WHEN v_exception IS NULL THEN '' ELSE ', ' || jsonb_build_array('exception', v_exception)::text END
            || ', ' || p_frame_components || ']')::jsonb;
  END IF;
  RETURN jsonb_build_array(jsonb_build_array('type', p_error_type),
                           jsonb_build_array('message', app.normalize_message(coalesce(nullif(p_message_template, ''), p_message))));
END
$fn$;
COMMENT ON FUNCTION app.grouping_components_of_v1(app.error_type_enum, text, text, text) IS
'app.grouping_components with the frames already reduced by app.grouping_frame_components';

-- error_fingerprint with the frames already reduced (what app.capture_enrich calls).
CREATE OR REPLACE FUNCTION app.error_hash_v1(
  p_error_type app.error_type_enum, p_message text, p_frame_components text,
  p_fingerprint text[] DEFAULT NULL, p_message_template text DEFAULT NULL
) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  v_default jsonb;
  v_components jsonb := '[]'::jsonb;
  v_entry text;
BEGIN
  FOREACH v_entry IN ARRAY coalesce(p_fingerprint, '{}') LOOP
    CONTINUE WHEN v_entry IS NULL;
    IF v_entry ~ '^\s*\{\{\s*default\s*\}\}\s*$' THEN
      v_default := coalesce(v_default, app.grouping_components_of_v1(p_error_type, p_message, p_frame_components, p_message_template));
      v_components := v_components || v_default;
    ELSE
      v_components := v_components || jsonb_build_array(jsonb_build_array('fingerprint', v_entry));
    END IF;
  END LOOP;
  IF v_components = '[]' THEN
    v_components := app.grouping_components_of_v1(p_error_type, p_message, p_frame_components, p_message_template);
  END IF;
  RETURN encode(sha256(convert_to(v_components::text, 'UTF8')), 'hex');
END
$fn$;
COMMENT ON FUNCTION app.error_hash_v1(app.error_type_enum, text, text, text[], text) IS
'app.error_fingerprint with the frames given as app.grouping_frame_components';

-- A captured event's version 1 hash, from what capture keeps of it (the texts as stored: personal
-- data read as <email> and <ip>, as app.normalize_message wrote them before anonymization).
CREATE OR REPLACE FUNCTION app.capture_item_hash_v1(p_item app.capture_item) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $fn$
BEGIN
  RETURN app.error_hash_v1(p_item.error_type, app.personal_data_grouping_text(p_item.message),
                           app.grouping_frame_components_v1(coalesce(p_item.frames, app.parse_stack_trace(p_item.stack_trace))),
                           p_item.fingerprint, app.personal_data_grouping_text(p_item.message_template));
END
$fn$;
COMMENT ON FUNCTION app.capture_item_hash_v1(app.capture_item) IS
  'The grouping rules version 1 hash of a captured event (scrubbed, as capture_batch holds it)';
