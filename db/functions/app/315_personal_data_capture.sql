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

-- == One event ==

-- The texts of an event but the stack trace, and its metadata and frames as JSON text: one text
-- for one detector pass.
CREATE OR REPLACE FUNCTION app._personal_data_texts(p_item app.capture_item) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT concat_ws(E'\n', p_item.message, p_item.message_template, p_item.url, p_item.component, p_item.file_path,
                   p_item.user_agent, p_item.request_id, p_item.session_id, array_to_string(p_item.fingerprint, E'\n'),
                   p_item.metadata::text, p_item.frames::text)
$$;
COMMENT ON FUNCTION app._personal_data_texts(app.capture_item) IS
  'An event''s text fields but the stack trace, and its metadata and frames as JSON, joined by line breaks';

-- Whether an event could hold personal data at all: a user id, or a detector hit in its texts.
CREATE OR REPLACE FUNCTION app._personal_data_flagged(p_item app.capture_item) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_text text;
BEGIN
  IF p_item.user_id IS NOT NULL THEN
    RETURN true;
  END IF;
  v_text := p_item.stack_trace;
  IF app._personal_data_suspect(v_text) THEN
    RETURN true;
  END IF;
  v_text := app._personal_data_texts(p_item);
  RETURN app._personal_data_suspect_json(v_text);
END $$;
COMMENT ON FUNCTION app._personal_data_flagged(app.capture_item) IS
  'Whether an event has a user id, or texts, a stack trace, metadata or frames that could hold personal data';

-- Every stored field of one event but the stack trace, which app.personal_data_enrich(_one)
-- anonymizes before it is derived; fields are trimmed to their columns again (a token can be
-- longer than what it replaces). Not idempotent for user ids: call it once per event.
CREATE OR REPLACE FUNCTION app.personal_data_apply_item(p_policy app.personal_data_policy, p_item app.capture_item)
RETURNS app.capture_item
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_item app.capture_item := p_item;
  v_text text := app._personal_data_texts(p_item);
BEGIN
  v_item.user_id := left(app.personal_data_user_id(p_policy, p_item.user_id), 255);
  IF NOT app._personal_data_suspect_json(v_text) THEN
    RETURN v_item;  -- the common case: one detector pass over all the texts
  END IF;
  v_text := app.personal_data_text(p_policy, p_item.message);
  v_item.message := app._capture_trim(v_text, 8192);
  v_text := app.personal_data_text(p_policy, p_item.message_template);
  v_item.message_template := app._capture_trim(v_text, 8192);
  v_text := app.personal_data_text(p_policy, p_item.url);
  v_item.url := app._capture_trim(v_text, 2000);
  v_text := app.personal_data_text(p_policy, p_item.component);
  v_item.component := app._capture_trim(v_text, 255);
  v_text := app.personal_data_text(p_policy, p_item.file_path);
  v_item.file_path := app._capture_trim(v_text, 500);
  v_text := app.personal_data_text(p_policy, p_item.user_agent);
  v_item.user_agent := app._capture_trim(v_text, 2000);
  v_item.request_id := left(app.personal_data_text(p_policy, p_item.request_id), 100);
  v_item.session_id := left(app.personal_data_text(p_policy, p_item.session_id), 100);
  IF p_item.fingerprint IS NOT NULL THEN
    v_item.fingerprint := ARRAY(SELECT left(app.personal_data_text(p_policy, f.part), 255)
                                  FROM unnest(p_item.fingerprint) WITH ORDINALITY AS f (part, n) ORDER BY f.n);
  END IF;
  v_item.metadata := app.personal_data_jsonb(p_policy, p_item.metadata);
  v_item.frames := app.personal_data_jsonb(p_policy, p_item.frames);
  RETURN v_item;
END $$;
COMMENT ON FUNCTION app.personal_data_apply_item(app.personal_data_policy, app.capture_item) IS
'One captured event with its personal data kept, hashed or dropped by the policy: user_id
(app.personal_data_user_id), every text field but the stack trace (app.personal_data_text) and metadata and
frames at any depth (app.personal_data_jsonb); error_hash, browser, os and device_type are left as they are';

-- == The enrich step of capture ==

-- app.capture_enrich_one under the organization's policy: the stack trace anonymized before it is
-- scrubbed, parsed and cached, the rest after the event is fingerprinted.
CREATE OR REPLACE FUNCTION app.personal_data_enrich_one(p_organization_id uuid, p_item app.capture_item)
RETURNS app.capture_item
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_policy app.personal_data_policy;
  v_item app.capture_item := p_item;
BEGIN
  IF NOT app._personal_data_flagged(p_item) THEN
    RETURN app.capture_enrich_one(p_item);  -- nothing personal: the policy is not even read
  END IF;
  v_policy := app.personal_data_policy_of(p_organization_id);
  IF app._personal_data_keeps_all(v_policy) THEN
    RETURN app.capture_enrich_one(p_item);
  END IF;
  v_item.stack_trace := app.personal_data_text(v_policy, p_item.stack_trace);
  RETURN app.personal_data_apply_item(v_policy, app.capture_enrich_one(v_item));
END $$;
COMMENT ON FUNCTION app.personal_data_enrich_one(uuid, app.capture_item) IS
  'app.capture_enrich_one with the organization''s personal-data policy applied (grouping does not depend on it)';

-- The same for a batch: each distinct stack trace is anonymized once.
CREATE OR REPLACE FUNCTION app.personal_data_enrich(p_organization_id uuid, p_items app.capture_item[])
RETURNS app.capture_item[]
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_policy app.personal_data_policy;
BEGIN
  IF cardinality(p_items) = 1 THEN
    RETURN ARRAY[app.personal_data_enrich_one(p_organization_id, p_items[1])];
  END IF;
  IF NOT EXISTS (SELECT FROM unnest(p_items) AS i WHERE app._personal_data_flagged(i)) THEN
    RETURN app.capture_enrich(p_items);
  END IF;
  v_policy := app.personal_data_policy_of(p_organization_id);
  IF app._personal_data_keeps_all(v_policy) THEN
    RETURN app.capture_enrich(p_items);
  END IF;
  RETURN ARRAY(
    SELECT app.personal_data_apply_item(v_policy, e)
      FROM unnest(app.capture_enrich(ARRAY(
             SELECT CASE WHEN s.clean IS DISTINCT FROM i.stack_trace
                         THEN jsonb_populate_record(i, jsonb_build_object('stack_trace', s.clean)) ELSE i END
               FROM unnest(p_items) AS i
               LEFT JOIN (SELECT d.stack_trace, app.personal_data_text(v_policy, d.stack_trace) AS clean
                            FROM (SELECT DISTINCT x.stack_trace FROM unnest(p_items) AS x
                                   WHERE x.stack_trace IS NOT NULL) AS d
                          OFFSET 0) AS s ON s.stack_trace = i.stack_trace
              ORDER BY i.ordinal))) AS e
     ORDER BY e.ordinal);
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
         updated_at = now(),
         updated_by = (SELECT u.id FROM app.users u WHERE u.id = app.current_user_id())
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
  'Set what capture keeps of e-mail addresses, IP addresses and user ids (keep, hash, drop; NULL leaves one as it is)';
GRANT EXECUTE ON FUNCTION app.personal_data_policy_set(uuid, text, text, text) TO org_owner, system_admin;
