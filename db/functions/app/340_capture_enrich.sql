-- Capture, step two (after app.capture_parse and the rate limit in app.capture_batch): scrub,
-- fingerprint and enrich the accepted events of a batch.

-- == What is done to each field (both paths of app.capture_enrich use these) ==

-- Free text (message, template): the common clean text costs the detector regex alone.
CREATE OR REPLACE FUNCTION app._capture_clean_text(p_text text, p_key_pattern text, p_text_detector text[]) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p_text ~ ANY (p_text_detector) THEN app._scrub_text(p_text, p_key_pattern, p_text_detector) ELSE p_text END
$$;
COMMENT ON FUNCTION app._capture_clean_text(text, text, text[]) IS 'app.scrub_text with the patterns passed in and the detector inline';
DROP FUNCTION IF EXISTS app._capture_clean_text(text, text, text);  -- (the detector was one regex)

-- Metadata as text (an object: validated, bounded by app.capture_item_of). What app.scrub_jsonb
-- would do is nothing unless the detector flags it, and the text is what app._capture_trim_metadata
-- measures (scrubbing can lengthen it).
CREATE OR REPLACE FUNCTION app._capture_clean_metadata(
  p_metadata text, p_key_pattern text, p_json_detector text[], p_text_detector text[]
) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p_metadata ~ ANY (p_json_detector)
              THEN app._capture_trim_metadata(app._scrub_jsonb(p_metadata::jsonb, p_key_pattern, p_json_detector, p_text_detector))
              WHEN octet_length(p_metadata) <= app.capture_limit('metadata') THEN p_metadata::jsonb
              ELSE app._capture_trim_metadata(p_metadata::jsonb) END
$$;
COMMENT ON FUNCTION app._capture_clean_metadata(text, text, text[], text[]) IS
  'Metadata (JSON text of an object) scrubbed and trimmed to its limit (16 KB)';
DROP FUNCTION IF EXISTS app._capture_clean_metadata(text, text, text, text);  -- (the detectors were one regex each)

-- Every text field an event carries itself, scrubbed and then cut to its limit: a trim never
-- halves a secret before it is recognised, and a secret replaced by [Filtered] never makes a
-- value too long (app.capture_item_of cut each to twice its limit before). Ids are cut plainly (a
-- marker would make another id). Fingerprint parts are scrubbed like the rest (and so grouped by
-- what is stored). The detector first reads all the fields at once (joined by chr(31), which ends
-- a word like the start of a text does): a clean event, the common case, costs one pass over its
-- fields, not one per field. Both paths of app.capture_enrich start here; the fields that repeat
-- from event to event follow, scrubbed once per distinct value: metadata, frames, and through the
-- derivation cache the stack trace and the user agent.
CREATE OR REPLACE FUNCTION app.capture_clean_fields(p_item app.capture_item, p_key_pattern text, p_text_detector text[])
RETURNS app.capture_item
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_item app.capture_item := p_item;
  v_text text;
BEGIN
  IF concat_ws(chr(31), v_item.message, v_item.message_template, v_item.component, v_item.file_path, v_item.user_id,
               v_item.request_id, v_item.session_id, array_to_string(v_item.fingerprint, chr(31)))
     ~ ANY (p_text_detector) THEN
    v_item.message := app._capture_clean_text(v_item.message, p_key_pattern, p_text_detector);
    v_item.message_template := app._capture_clean_text(v_item.message_template, p_key_pattern, p_text_detector);
    v_item.component := app._capture_clean_text(v_item.component, p_key_pattern, p_text_detector);
    v_item.file_path := app._capture_clean_text(v_item.file_path, p_key_pattern, p_text_detector);
    v_item.user_id := app._capture_clean_text(v_item.user_id, p_key_pattern, p_text_detector);
    v_item.request_id := app._capture_clean_text(v_item.request_id, p_key_pattern, p_text_detector);
    v_item.session_id := app._capture_clean_text(v_item.session_id, p_key_pattern, p_text_detector);
    IF array_to_string(v_item.fingerprint, chr(31)) ~ ANY (p_text_detector) THEN
      v_item.fingerprint := ARRAY(SELECT app._capture_clean_text(f.part, p_key_pattern, p_text_detector)
                                    FROM unnest(v_item.fingerprint) WITH ORDINALITY AS f (part, n) ORDER BY f.n);
    END IF;
  END IF;
  v_text := v_item.message;
  v_item.message := app._capture_trim(v_text, app.capture_limit('message'));
  v_text := v_item.message_template;
  v_item.message_template := app._capture_trim(v_text, app.capture_limit('message_template'));
  v_text := app._scrub_url(v_item.url, p_key_pattern);
  v_item.url := app._capture_trim(v_text, app.capture_limit('url'));
  v_text := v_item.component;
  v_item.component := app._capture_trim(v_text, app.capture_limit('component'));
  v_text := v_item.file_path;
  v_item.file_path := app._capture_trim(v_text, app.capture_limit('file_path'));
  v_item.user_id := left(v_item.user_id, app.capture_limit('user_id'));
  v_item.request_id := left(v_item.request_id, app.capture_limit('request_id'));
  v_item.session_id := left(v_item.session_id, app.capture_limit('session_id'));
  IF length(array_to_string(v_item.fingerprint, '')) > app.capture_limit('fingerprint') THEN  -- (some part may be over it)
    v_item.fingerprint := ARRAY(SELECT left(f.part, app.capture_limit('fingerprint'))
                                  FROM unnest(v_item.fingerprint) WITH ORDINALITY AS f (part, n) ORDER BY f.n);
  END IF;
  RETURN v_item;
END $$;
COMMENT ON FUNCTION app.capture_clean_fields(app.capture_item, text, text[]) IS
  'An event''s own text fields (message, template, URL, component, file path, ids, fingerprint) scrubbed, then cut to their columns';

-- Client frames (already cut to the newest that fit: app._capture_trim_frames).
CREATE OR REPLACE FUNCTION app._capture_clean_frames(p_frames jsonb) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT app.scrub_jsonb(p_frames)
$$;
COMMENT ON FUNCTION app._capture_clean_frames(jsonb) IS 'Client frames, scrubbed';

-- An exception chain (app._capture_trim_exceptions: its keys are fixed, and none is one a key rule
-- names): only its texts can hold a secret, so the text detector decides (on the JSON text with
-- quotes and tabs unescaped, as the texts read), not the JSON detector, whose key words a path or
-- function name (…/_auth.py) often holds.
CREATE OR REPLACE FUNCTION app._capture_chain_suspect(p_exceptions text, p_text_detector text[]) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT replace(replace(p_exceptions, '\"', '"'), '\t', E'\t') ~ ANY (p_text_detector)
$$;
COMMENT ON FUNCTION app._capture_chain_suspect(text, text[]) IS
  'Whether an exception chain''s JSON text (as app._capture_trim_exceptions keeps it) may hold a secret: it is then scrubbed';

-- (the one place a suspect chain is scrubbed: here, and where the derivation cache said it is suspect)
CREATE OR REPLACE FUNCTION app._capture_scrubbed_chain(p_exceptions jsonb, p_suspect boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p_suspect THEN app.scrub_jsonb(p_exceptions) ELSE p_exceptions END
$$;
COMMENT ON FUNCTION app._capture_scrubbed_chain(jsonb, boolean) IS
  'An exception chain scrubbed when app._capture_chain_suspect found it suspect (p_suspect), else as it is';

CREATE OR REPLACE FUNCTION app._capture_clean_chain(p_exceptions jsonb, p_text_detector text[]) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT app._capture_scrubbed_chain(p_exceptions, app._capture_chain_suspect(p_exceptions::text, p_text_detector))
$$;
COMMENT ON FUNCTION app._capture_clean_chain(jsonb, text[]) IS 'An exception chain (as app._capture_trim_exceptions keeps it), scrubbed';

-- == Scrub, fingerprint, enrich ==

-- One event (a batch of one: every single capture, most Sentry envelopes): the steps of
-- app.capture_enrich's query as a few assignments, which cost a fraction of starting that query
-- (measured: a single capture costs ~27% more CPU through the query). The same answers and rows
-- either way: tests/sql/ingest/340_capture_enrich.test.sql. Arguments of _capture_trim are plain variables,
-- so it is inlined (and the same holds in app.capture_clean_fields). Scrubbing may lengthen a text
-- (a short secret becomes [Filtered]): each is cut to its limit after it (app.capture_item_of cut it
-- to twice that before).
CREATE OR REPLACE FUNCTION app.capture_enrich_one(p_item app.capture_item) RETURNS app.capture_item
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_text_detector text[] := app._scrub_detectors('pgwarden.scrub_text_detector');
  v_json_detector text[] := app._scrub_detectors('pgwarden.scrub_json_detector');
  v_key_pattern text := app._scrub_pattern('pgwarden.scrub_key_pattern');
  v_item app.capture_item := app.capture_clean_fields(p_item, v_key_pattern, v_text_detector);
  v_stack jsonb := app.derive_cached_one('stack_trace', p_item.stack_trace);
  v_agent jsonb := app.derive_cached_one('user_agent', p_item.user_agent);
  v_text text;
  v_variants text[];  -- the client frames' app.grouping_frame_variants (a chain's raised exception reuses them)
  v_chain jsonb;       -- a chain's derivation (app._derive_exceptions)
BEGIN
  v_text := coalesce(v_agent ->> 'scrubbed', v_item.user_agent);
  v_item.user_agent := app._capture_trim(v_text, app.capture_limit('user_agent'));
  v_item.metadata := app._capture_clean_metadata(v_item.metadata::text, v_key_pattern, v_json_detector, v_text_detector);
  v_text := coalesce(v_stack ->> 'scrubbed', v_item.stack_trace);
  v_item.stack_trace := app._capture_trim(v_text, app.capture_limit('stack_trace'));
  v_item.frames := app._capture_clean_frames(v_item.frames);
  IF jsonb_array_length(v_item.exceptions) > 1 THEN
    v_chain := app.derive_cached_one('exceptions', v_item.exceptions::text);
    v_item.exceptions := app._capture_scrubbed_chain(v_item.exceptions, (v_chain ->> 'scrub')::boolean);
  ELSIF v_item.exceptions IS NOT NULL THEN
    v_item.exceptions := app._capture_clean_chain(v_item.exceptions, v_text_detector);
  END IF;
  v_item.browser := left(v_agent ->> 'browser', 100);
  v_item.os := left(v_agent ->> 'os', 100);
  v_item.device_type := left(v_agent ->> 'device_type', 50);
  IF v_item.frames IS NOT NULL THEN
    v_variants := app.grouping_frame_variants(v_item.frames);
  END IF;
  v_text := CASE WHEN v_item.frames IS NOT NULL THEN v_variants[2] ELSE coalesce(v_stack ->> 'frame_components', '') END;
  v_item.error_hash := app.error_hash(
    v_item.error_type, v_item.message, v_text, v_item.fingerprint, v_item.message_template, v_item.exceptions,
    CASE WHEN jsonb_array_length(v_item.exceptions) > 1
         THEN app.grouping_chain(v_item.exceptions, coalesce(v_item.frames, v_stack -> 'frames'), v_item.message,
                                 v_item.message_template, v_variants, v_chain -> 'causes') END);
  RETURN v_item;
END $$;
COMMENT ON FUNCTION app.capture_enrich_one(app.capture_item) IS
  'app.capture_enrich for one event: scrubbed, trimmed, fingerprinted (error_hash) and its user agent parsed';

-- An event's own text fields are scrubbed first (app.capture_clean_fields); expensive steps then
-- run once per distinct input of the batch (a flood repeats the same stack, metadata and user
-- agent), and stack traces and user agents seen before cost one index probe (app.derive_cached).
-- Nothing unscrubbed reaches a column. Grouping keys on what the hash depends on: with
-- usable frames only the exception class of the message counts, so a flood of one stack with
-- varying messages is hashed once. PL/pgSQL so the big query is planned once per session.
CREATE OR REPLACE FUNCTION app.capture_enrich(p_items app.capture_item[]) RETURNS app.capture_item[]
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_text_detector text[];
  v_json_detector text[];
  v_key_pattern text;
  v_items app.capture_item[];  -- p_items with their own text fields clean (app.capture_clean_fields)
  v_kinds text[];
  v_inputs text[];
  v_results jsonb[];
  v_stacks integer;  -- how many of the inputs (sorted by kind) are stack traces
  v_chains jsonb[];  -- the distinct chains of two or more exceptions
  v_chain_results jsonb[];
BEGIN
  IF cardinality(p_items) = 1 THEN
    RETURN ARRAY[app.capture_enrich_one(p_items[1])];
  END IF;
  v_text_detector := app._scrub_detectors('pgwarden.scrub_text_detector');
  v_json_detector := app._scrub_detectors('pgwarden.scrub_json_detector');
  v_key_pattern := app._scrub_pattern('pgwarden.scrub_key_pattern');
  v_items := ARRAY(SELECT app.capture_clean_fields(i, v_key_pattern, v_text_detector) FROM unnest(p_items) AS i);
  SELECT array_agg(d.kind ORDER BY d.kind, d.input), array_agg(d.input ORDER BY d.kind, d.input)
    INTO v_kinds, v_inputs
    FROM (SELECT 'stack_trace' AS kind, i.stack_trace AS input FROM unnest(v_items) AS i WHERE i.stack_trace IS NOT NULL
          UNION
          SELECT 'user_agent', i.user_agent FROM unnest(v_items) AS i WHERE i.user_agent IS NOT NULL) AS d;
  IF v_kinds IS NOT NULL THEN
    v_results := app.derive_cached(v_kinds, v_inputs);
  END IF;
  v_stacks := coalesce(array_position(v_kinds, 'user_agent') - 1, cardinality(v_kinds), 0);
  -- (a statement of their own: the chains are joined back as jsonb, their text is only the key)
  SELECT array_agg(d.exceptions) INTO v_chains
    FROM (SELECT DISTINCT i.exceptions FROM unnest(v_items) AS i WHERE jsonb_array_length(i.exceptions) > 1) AS d;
  IF v_chains IS NOT NULL THEN
    v_chain_results := app.derive_cached(array_fill('exceptions'::text, ARRAY[cardinality(v_chains)]),
                                         ARRAY(SELECT c::text FROM unnest(v_chains) AS c));
  END IF;

  RETURN (
  WITH stack AS (
    -- unnest of each kind's slice (not a filter on all kinds, whose low row estimate makes a nested loop)
    SELECT d.input AS stack_trace,
           app._capture_trim(coalesce(d.result ->> 'scrubbed', d.input), app.capture_limit('stack_trace')) AS clean,
           d.result ->> 'frame_components' AS frame_components,
           d.result -> 'frames' AS parsed_frames
      FROM unnest(v_inputs[1:v_stacks], v_results[1:v_stacks]) AS d (input, result) OFFSET 0
  ), agent AS (
    SELECT d.input AS user_agent,
           app._capture_trim(coalesce(d.result ->> 'scrubbed', d.input), app.capture_limit('user_agent')) AS clean,
           left(d.result ->> 'browser', 100) AS browser, left(d.result ->> 'os', 100) AS os,
           left(d.result ->> 'device_type', 50) AS device_type
      FROM unnest(v_inputs[v_stacks + 1:], v_results[v_stacks + 1:]) AS d (input, result)
  ), metadata AS (
    -- by text: jsonb equality would take {"n": 1} for {"n": 1.0}
    SELECT d.metadata, app._capture_clean_metadata(d.metadata, v_key_pattern, v_json_detector, v_text_detector) AS clean
      FROM (SELECT DISTINCT i.metadata::text AS metadata FROM unnest(v_items) AS i) AS d OFFSET 0
  ), client_frames AS (
    SELECT d.frames, f.clean, v.variants[2] AS frame_components, v.variants
      FROM (SELECT DISTINCT i.frames::text AS frames FROM unnest(v_items) AS i WHERE i.frames IS NOT NULL) AS d
     CROSS JOIN LATERAL (SELECT app._capture_clean_frames(d.frames::jsonb) AS clean OFFSET 0) AS f
     CROSS JOIN LATERAL (SELECT app.grouping_frame_variants(f.clean) AS variants OFFSET 0) AS v
  ), chains AS (  -- (a flood of one error repeats its chain; as jsonb: no text is printed and parsed again)
    SELECT d.exceptions, app._capture_clean_chain(d.exceptions, v_text_detector) AS clean, NULL::jsonb AS causes
      FROM (SELECT DISTINCT i.exceptions FROM unnest(v_items) AS i WHERE jsonb_array_length(i.exceptions) = 1) AS d
    UNION ALL
    SELECT c.exceptions, app._capture_scrubbed_chain(c.exceptions, (c.result ->> 'scrub')::boolean),
           c.result -> 'causes'
      FROM unnest(v_chains, v_chain_results) AS c (exceptions, result)
    OFFSET 0
  ), keyed AS (
    SELECT i.ordinal, i.event_id, i.client_event_id, i.occurred_at, i.error_type, i.severity, i.message,
           s.clean AS stack_trace, f.clean AS frames, i.fingerprint, i.message_template, i.component, i.file_path,
           i.line_number, i.column_number, i.url, a.clean AS user_agent, i.user_id, md.clean AS metadata, i.request_id,
           i.session_id, a.browser, a.os, a.device_type, c.clean AS exceptions,
           CASE WHEN i.frames IS NOT NULL THEN f.frame_components ELSE coalesce(s.frame_components, '') END AS frame_components,
           coalesce(f.clean, s.parsed_frames) AS grouping_frames, f.variants AS frame_variants, c.causes AS cause_variants
      FROM unnest(v_items) AS i
      JOIN metadata md ON md.metadata = i.metadata::text
      LEFT JOIN stack s ON s.stack_trace = i.stack_trace
      LEFT JOIN agent a ON a.user_agent = i.user_agent
      LEFT JOIN client_frames f ON f.frames = i.frames::text
      LEFT JOIN chains c ON c.exceptions = i.exceptions
  ), grouped AS (
    -- what the hash depends on: with frames only the exception class of the message, and the
    -- chain with its raised exception's frames as reduced (jsonb equality treats NULLs as equal, and hashes)
    SELECT k.*,
           jsonb_build_array(k.error_type, k.fingerprint, k.frame_components,
                             CASE WHEN k.frame_components <> '' AND k.exceptions IS NULL THEN app.grouping_exception(k.message)
                                  WHEN k.frame_components <> '' AND jsonb_array_length(k.exceptions) = 1 THEN NULL
                                  ELSE k.message END,
                             CASE WHEN k.frame_components = '' THEN k.message_template END, k.exceptions,
                             CASE WHEN jsonb_array_length(k.exceptions) > 1 THEN to_jsonb(k.frame_variants) END,
                             CASE WHEN jsonb_array_length(k.exceptions) > 1 AND k.frame_variants IS NULL
                                  THEN k.grouping_frames END) AS grouping_key
      FROM keyed k
  ), grouping AS (
    SELECT d.grouping_key,
           app.error_hash(d.error_type, d.message, d.frame_components, d.fingerprint, d.message_template, d.exceptions,
                          CASE WHEN jsonb_array_length(d.exceptions) > 1
                               THEN app.grouping_chain(d.exceptions, d.grouping_frames, d.message, d.message_template,
                                                       d.frame_variants, d.cause_variants) END)
             AS error_hash
      FROM (SELECT DISTINCT ON (k.grouping_key) k.grouping_key, k.error_type, k.message, k.frame_components,
                   k.fingerprint, k.message_template, k.exceptions, k.grouping_frames, k.frame_variants, k.cause_variants
              FROM grouped k) AS d
    OFFSET 0  -- a subquery of its own: one hash per distinct key, not one per event
  )
  SELECT array_agg(ROW(
           k.ordinal, NULL, k.event_id, k.client_event_id, k.occurred_at, k.error_type, k.severity, k.message,
           k.stack_trace, k.frames, k.fingerprint, k.message_template, k.component, k.file_path, k.line_number,
           k.column_number, k.url, k.user_agent, k.user_id, k.metadata, k.request_id, k.session_id, g.error_hash,
           k.browser, k.os, k.device_type, k.exceptions, NULL)::app.capture_item ORDER BY k.ordinal)
    FROM grouped k
    JOIN grouping g ON g.grouping_key = k.grouping_key);
END $$;
COMMENT ON FUNCTION app.capture_enrich(app.capture_item[]) IS
  'Scrub, trim, fingerprint (error_hash) and parse the user agent of accepted events, once per distinct input';
