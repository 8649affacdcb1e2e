-- Personal data in the capture pipeline: app.capture_batch and app.capture_one call
-- app.personal_data_enrich(_one) in place of app.capture_enrich(_one). The organization's policy
-- is read once per call, and only when some event could hold personal data (a user id, or a text
-- the detector flags); an event without any costs one detector pass over its texts.

-- == The policy ==

CREATE OR REPLACE FUNCTION app.personal_data_policy_of(p_organization_id uuid) RETURNS app.personal_data_policy
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_policy app.personal_data_policy;
BEGIN
  SELECT * INTO v_policy FROM app.personal_data_policy p WHERE p.organization_id = p_organization_id;
  IF NOT FOUND THEN  -- (a new organization gets its row from a trigger: this is a safety net)
    INSERT INTO app.personal_data_policy (organization_id) VALUES (p_organization_id) ON CONFLICT DO NOTHING;
    SELECT * INTO v_policy FROM app.personal_data_policy p WHERE p.organization_id = p_organization_id;
  END IF;
  RETURN v_policy;
END $$;
COMMENT ON FUNCTION app.personal_data_policy_of(uuid) IS
  'An organization''s personal-data policy with its hash key (for capture, which runs as the owner)';

CREATE OR REPLACE FUNCTION app._personal_data_keeps_all(p_policy app.personal_data_policy) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT p_policy.email = 'keep' AND p_policy.ip_address = 'keep' AND p_policy.user_id = 'keep'
$$;
COMMENT ON FUNCTION app._personal_data_keeps_all(app.personal_data_policy) IS 'Whether a policy keeps all three kinds';

-- == Stack traces and user agents ==

-- What the derivation cache derives from (app.derive_cached: a stack trace's frames, a user
-- agent's browser) and keeps the scrubbed text of: anonymized before, so the cache holds no
-- address. Secrets first, then addresses: what a scrub rule finds becomes [Filtered], not a token
-- (in postgres://app:pw@db.example.com the password is no e-mail address's name). Only a text the
-- detector flags is scrubbed here (the others are scrubbed through the cache as sent, and this one
-- again there, finding nothing). Its length is bounded already (app.capture_item_of: twice its
-- limit).
CREATE OR REPLACE FUNCTION app.personal_data_cache_input(p_policy app.personal_data_policy, p_text text)
RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN app._personal_data_suspect(p_text) THEN app._personal_data_text(p_policy, app.scrub_text(p_text)) ELSE p_text END
$$;
COMMENT ON FUNCTION app.personal_data_cache_input(app.personal_data_policy, text) IS
  'A stack trace or user agent with its secrets scrubbed and personal data kept, hashed or dropped by the policy';
DROP FUNCTION IF EXISTS app.personal_data_stack_trace(app.personal_data_policy, text);  -- (the stack trace alone)

-- == One event ==

-- The texts of an event but the stack trace, and its metadata, frames and chain as JSON text: one text
-- for one detector pass (app._personal_data_suspect_json).
-- (STABLE as concat_ws is: a SQL function declared more immutable than its body is not inlined, and
-- called, it costs a plan per transaction)
CREATE OR REPLACE FUNCTION app._personal_data_texts(p_item app.capture_item) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT concat_ws(E'\n', p_item.message, p_item.message_template, p_item.url, p_item.component, p_item.file_path,
                   p_item.user_agent, p_item.request_id, p_item.session_id, array_to_string(p_item.fingerprint, E'\n'),
                   p_item.metadata::text, p_item.frames::text, p_item.exceptions::text)
$$;
COMMENT ON FUNCTION app._personal_data_texts(app.capture_item) IS
  'An event''s text fields but the stack trace, and its metadata, frames and exception chain as JSON, joined by line breaks';

-- The fields the pipeline only passes on, after grouping: every text but the stack trace, metadata
-- frames and exception chain; each trimmed to its column again (a token can be longer than what it replaces).
CREATE OR REPLACE FUNCTION app.personal_data_apply_texts(p_policy app.personal_data_policy, p_item app.capture_item)
RETURNS app.capture_item
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_item app.capture_item := p_item;
  v_text text;
BEGIN
  v_text := app.personal_data_text(p_policy, p_item.message);
  v_item.message := app._capture_trim(v_text, app.capture_limit('message'));
  v_text := app.personal_data_text(p_policy, p_item.message_template);
  v_item.message_template := app._capture_trim(v_text, app.capture_limit('message_template'));
  v_text := app.personal_data_text(p_policy, p_item.url);
  v_item.url := app._capture_trim(v_text, app.capture_limit('url'));
  v_text := app.personal_data_text(p_policy, p_item.component);
  v_item.component := app._capture_trim(v_text, app.capture_limit('component'));
  v_text := app.personal_data_text(p_policy, p_item.file_path);
  v_item.file_path := app._capture_trim(v_text, app.capture_limit('file_path'));
  v_text := app.personal_data_text(p_policy, p_item.user_agent);
  v_item.user_agent := app._capture_trim(v_text, app.capture_limit('user_agent'));
  v_item.request_id := left(app.personal_data_text(p_policy, p_item.request_id), app.capture_limit('request_id'));
  v_item.session_id := left(app.personal_data_text(p_policy, p_item.session_id), app.capture_limit('session_id'));
  IF p_item.fingerprint IS NOT NULL THEN
    v_item.fingerprint := ARRAY(SELECT left(app.personal_data_text(p_policy, f.part), app.capture_limit('fingerprint'))
                                  FROM unnest(p_item.fingerprint) WITH ORDINALITY AS f (part, n) ORDER BY f.n);
  END IF;
  v_item.metadata := app.personal_data_jsonb(p_policy, p_item.metadata);
  v_item.frames := app.personal_data_jsonb(p_policy, p_item.frames);
  v_item.exceptions := app.personal_data_jsonb(p_policy, p_item.exceptions);
  RETURN v_item;
END $$;
COMMENT ON FUNCTION app.personal_data_apply_texts(app.personal_data_policy, app.capture_item) IS
'A captured event''s texts but the stack trace (app.personal_data_text) and its metadata, frames and exception chain at any depth
(app.personal_data_jsonb) with personal data kept, hashed or dropped by the policy';

-- == The enrich step of capture ==

-- app.capture_enrich_one under the organization's policy. Before enrichment: the stack trace and
-- the user agent (so only anonymized text is parsed and cached) and the user id; after it, when
-- the detector flagged them, the other texts (grouping has seen them as sent). The common event,
-- with a user id and nothing else, costs one detector pass, the policy's row and one HMAC.
CREATE OR REPLACE FUNCTION app.personal_data_enrich_one(p_organization_id uuid, p_item app.capture_item)
RETURNS app.capture_item
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_text text := app._personal_data_texts(p_item);
  v_texts_flagged boolean := app._personal_data_suspect_json(v_text);
  v_policy app.personal_data_policy;
  v_item app.capture_item := p_item;
BEGIN
  v_text := p_item.stack_trace;
  IF p_item.user_id IS NULL AND NOT v_texts_flagged AND NOT app._personal_data_suspect(v_text) THEN
    RETURN app.capture_enrich_one(p_item);  -- nothing personal: the policy is not even read
  END IF;
  v_policy := app.personal_data_policy_of(p_organization_id);
  IF app._personal_data_keeps_all(v_policy) THEN
    RETURN app.capture_enrich_one(p_item);
  END IF;
  v_text := app.personal_data_cache_input(v_policy, p_item.stack_trace);
  v_item.stack_trace := v_text;
  v_text := app.personal_data_cache_input(v_policy, p_item.user_agent);
  v_item.user_agent := v_text;
  v_text := app.personal_data_user_id(v_policy, p_item.user_id);
  v_item.user_id := left(v_text, app.capture_limit('user_id'));
  v_item := app.capture_enrich_one(v_item);
  IF v_texts_flagged THEN
    v_item := app.personal_data_apply_texts(v_policy, v_item);
  END IF;
  RETURN v_item;
END $$;
COMMENT ON FUNCTION app.personal_data_enrich_one(uuid, app.capture_item) IS
  'app.capture_enrich_one with the organization''s personal-data policy applied (grouping does not depend on it)';

-- The same for a batch, in three statements: flag and prepare every event (each distinct stack
-- trace and user agent anonymized once), enrich, then anonymize the texts of the flagged ones.
CREATE OR REPLACE FUNCTION app.personal_data_enrich(p_organization_id uuid, p_items app.capture_item[])
RETURNS app.capture_item[]
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_policy app.personal_data_policy;
  v_flagged integer[];  -- ordinals of the events whose texts the detector flagged
  v_personal boolean;   -- some event has a user id, a flagged stack trace or flagged texts
  v_items app.capture_item[];
BEGIN
  IF cardinality(p_items) = 1 THEN
    RETURN ARRAY[app.personal_data_enrich_one(p_organization_id, p_items[1])];
  END IF;
  SELECT coalesce(array_agg(i.ordinal) FILTER (WHERE app._personal_data_suspect_json(t.texts)), '{}'),
         bool_or(i.user_id IS NOT NULL OR app._personal_data_suspect(i.stack_trace))
    INTO v_flagged, v_personal
    FROM unnest(p_items) AS i
   CROSS JOIN LATERAL (SELECT app._personal_data_texts(i) AS texts OFFSET 0) AS t;  -- (a column: the detector is inlined)
  IF NOT v_personal AND cardinality(v_flagged) = 0 THEN
    RETURN app.capture_enrich(p_items);
  END IF;
  v_policy := app.personal_data_policy_of(p_organization_id);
  IF app._personal_data_keeps_all(v_policy) THEN
    RETURN app.capture_enrich(p_items);
  END IF;
  v_items := app.capture_enrich(ARRAY(
    SELECT CASE WHEN i.user_id IS NULL AND s.clean IS NOT DISTINCT FROM i.stack_trace AND a.clean IS NOT DISTINCT FROM i.user_agent
                THEN i
                ELSE jsonb_populate_record(i, jsonb_build_object(
                       'stack_trace', s.clean, 'user_agent', a.clean,
                       'user_id', left(app.personal_data_user_id(v_policy, i.user_id), app.capture_limit('user_id')))) END
      FROM unnest(p_items) AS i
      LEFT JOIN (SELECT d.stack_trace, app.personal_data_cache_input(v_policy, d.stack_trace) AS clean
                   FROM (SELECT DISTINCT x.stack_trace FROM unnest(p_items) AS x WHERE x.stack_trace IS NOT NULL) AS d
                 OFFSET 0) AS s ON s.stack_trace = i.stack_trace
      LEFT JOIN (SELECT d.user_agent, app.personal_data_cache_input(v_policy, d.user_agent) AS clean
                   FROM (SELECT DISTINCT x.user_agent FROM unnest(p_items) AS x WHERE x.user_agent IS NOT NULL) AS d
                 OFFSET 0) AS a ON a.user_agent = i.user_agent
     ORDER BY i.ordinal));
  IF cardinality(v_flagged) = 0 THEN
    RETURN v_items;
  END IF;
  RETURN ARRAY(SELECT CASE WHEN e.ordinal = ANY (v_flagged) THEN app.personal_data_apply_texts(v_policy, e) ELSE e END
                 FROM unnest(v_items) AS e ORDER BY e.ordinal);
END $$;
COMMENT ON FUNCTION app.personal_data_enrich(uuid, app.capture_item[]) IS
  'app.capture_enrich with the organization''s personal-data policy applied (grouping does not depend on it)';

-- == Changing a policy ==

-- Invoker rights: row-level security decides whose policy a caller may change (org owners their
-- own organization, system admins any); a policy the caller cannot see is not found.
CREATE OR REPLACE FUNCTION app.personal_data_policy_set(p_organization_id uuid, p_email text DEFAULT NULL,
                                                        p_ip_address text DEFAULT NULL, p_user_id text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_actions text[] := enum_range(NULL::app.personal_data_action)::text[];
  v_email text := app._enum_value(p_email, v_actions, 'email');
  v_ip_address text := app._enum_value(p_ip_address, v_actions, 'ip_address');
  v_user_id text := app._enum_value(p_user_id, v_actions, 'user_id');
  v_organization_id uuid := coalesce(p_organization_id, app.current_org_id());
  v_result jsonb;
BEGIN
  IF v_organization_id IS NULL THEN
    RAISE EXCEPTION 'organization_id is missing' USING ERRCODE = 'QV002',
      DETAIL = 'Field: organization_id.', HINT = 'Name the organization (a token with org_id names its own).';
  END IF;
  UPDATE app.personal_data_policy p
     SET email = coalesce(v_email::app.personal_data_action, p.email),
         ip_address = coalesce(v_ip_address::app.personal_data_action, p.ip_address),
         user_id = coalesce(v_user_id::app.personal_data_action, p.user_id),
         -- (asked for nothing, it only answers)
         updated_at = CASE WHEN num_nonnulls(v_email, v_ip_address, v_user_id) > 0 THEN now() ELSE p.updated_at END,
         updated_by = CASE WHEN num_nonnulls(v_email, v_ip_address, v_user_id) > 0
                           THEN (SELECT u.id FROM app.users u WHERE u.id = app.current_user_id()) ELSE p.updated_by END
   WHERE p.organization_id = v_organization_id
  RETURNING jsonb_build_object('organization_id', p.organization_id, 'email', p.email, 'ip_address', p.ip_address,
                               'user_id', p.user_id, 'updated_at', p.updated_at, 'updated_by', p.updated_by)
    INTO v_result;
  IF v_result IS NULL THEN
    RAISE EXCEPTION 'organization % not found', v_organization_id USING ERRCODE = 'QN001',
      DETAIL = 'Field: organization_id.', HINT = 'Use the id of your organization (org owners) or of an existing one.';
  END IF;
  RETURN v_result;
END $$;
COMMENT ON FUNCTION app.personal_data_policy_set(uuid, text, text, text) IS
  'Set what capture keeps of e-mail addresses, IP addresses and user ids (keep, hash, drop; NULL leaves one as it is); returns the policy';
GRANT EXECUTE ON FUNCTION app.personal_data_policy_set(uuid, text, text, text) TO org_owner, system_admin;
