-- Signing in to the web app. Python checks a password against its argon2 hash (a library call);
-- everything else is decided here: who may sign in, throttling (failures per account and per IP
-- address in a window), and whether a session is still valid (idle and absolute timeouts).
-- The sign-in tables have RLS on and no policy: only these SECURITY DEFINER functions touch them,
-- and only pgwarden web (and the superuser's CLI) may call them.

-- == Settings and normal forms ==

CREATE OR REPLACE FUNCTION app.web_setting(p_key text) RETURNS numeric
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT (s.value #>> '{}')::numeric FROM app.web_settings s WHERE s.key = p_key AND jsonb_typeof(s.value) = 'number'
$$;
COMMENT ON FUNCTION app.web_setting(text) IS 'A numeric web setting (NULL when unset)';

CREATE OR REPLACE FUNCTION app.user_email_key(p_email text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT lower(btrim(p_email)) $$;
COMMENT ON FUNCTION app.user_email_key(text) IS 'An e-mail address as users are looked up and stored: trimmed, lower-cased';

CREATE OR REPLACE FUNCTION app._web_token_hash(p_token text) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT sha256(convert_to(p_token, 'UTF8')) $$;
COMMENT ON FUNCTION app._web_token_hash(text) IS 'What web_sessions keeps of a session token';

-- == Users ==

-- The roles that may sign in to the web app: those with a database role of the same name.
CREATE OR REPLACE FUNCTION app._web_user_may_sign_in(p_role app.reporter_type_enum, p_password_hash text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT p_role IN ('system_admin', 'org_owner', 'staff') AND p_password_hash IS NOT NULL
$$;
COMMENT ON FUNCTION app._web_user_may_sign_in(app.reporter_type_enum, text) IS
  'Whether a user may sign in: a password is set and the role is system_admin, org_owner or staff (customers may not)';

CREATE OR REPLACE FUNCTION app.user_create(p_email text, p_role text, p_organization_id uuid, p_password_hash text,
                                           p_name text DEFAULT NULL) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_role app.reporter_type_enum :=
    app._enum_value(p_role, enum_range(NULL::app.reporter_type_enum)::text[], 'role')::app.reporter_type_enum;
  v_email text := app.user_email_key(p_email);
  v_id uuid;
BEGIN
  IF v_email IS NULL OR v_email !~ '^[^@\s]+@[^@\s]+$' OR length(v_email) > 255 THEN
    RAISE EXCEPTION 'invalid e-mail address' USING ERRCODE = 'QVW01', DETAIL = 'Field: email.',
      HINT = 'Give an address like name@example.com.';
  END IF;
  IF v_role IS NULL OR v_role = 'customer' THEN
    RAISE EXCEPTION 'invalid role' USING ERRCODE = 'QVW01', DETAIL = 'Field: role.',
      HINT = 'A person who signs in is a system_admin, org_owner or staff.';
  END IF;
  IF (v_role = 'system_admin') <> (p_organization_id IS NULL) THEN
    RAISE EXCEPTION 'organization does not fit the role' USING ERRCODE = 'QVW01', DETAIL = 'Field: organization_id.',
      HINT = 'Org owners and staff belong to an organization; system admins to none.';
  END IF;
  IF p_password_hash IS NOT NULL AND p_password_hash !~ '^\$argon2id\$' THEN
    RAISE EXCEPTION 'password hash is not argon2id' USING ERRCODE = 'QVW01', DETAIL = 'Field: password_hash.',
      HINT = 'Hash the password with argon2id (PHC string format).';
  END IF;
  IF p_organization_id IS NOT NULL AND NOT EXISTS (SELECT FROM app.organizations o WHERE o.id = p_organization_id) THEN
    RAISE EXCEPTION 'organization % not found', p_organization_id USING ERRCODE = 'QN001',
      DETAIL = 'Field: organization_id.', HINT = 'List organizations with GET /organizations.';
  END IF;
  INSERT INTO app.users (organization_id, email, name, role, password_hash, password_changed_at)
  VALUES (p_organization_id, v_email, nullif(btrim(p_name), ''), v_role, p_password_hash,
          CASE WHEN p_password_hash IS NOT NULL THEN now() END)
  RETURNING id INTO v_id;
  RETURN v_id;
END $$;
COMMENT ON FUNCTION app.user_create(text, text, uuid, text, text) IS
  'Create a person who may sign in (QVW01 for an invalid e-mail, role, organization or hash; 23505 for a taken e-mail)';

-- A new password ends every session of the user.
CREATE OR REPLACE FUNCTION app.user_set_password(p_email text, p_password_hash text) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_id uuid;
BEGIN
  IF p_password_hash IS NULL OR p_password_hash !~ '^\$argon2id\$' THEN
    RAISE EXCEPTION 'password hash is not argon2id' USING ERRCODE = 'QVW01', DETAIL = 'Field: password_hash.',
      HINT = 'Hash the password with argon2id (PHC string format).';
  END IF;
  UPDATE app.users u SET password_hash = p_password_hash, password_changed_at = now()
   WHERE u.email = app.user_email_key(p_email)
  RETURNING u.id INTO v_id;
  IF v_id IS NULL THEN
    RAISE EXCEPTION 'user % not found', p_email USING ERRCODE = 'QNW01', DETAIL = 'Field: email.',
      HINT = 'Create the user first (pgwarden user create).';
  END IF;
  UPDATE app.web_sessions s SET ended_at = now() WHERE s.user_id = v_id AND s.ended_at IS NULL;
  RETURN v_id;
END $$;
COMMENT ON FUNCTION app.user_set_password(text, text) IS 'Replace a user''s password hash and end their sessions (QNW01 when no such user)';

-- A user named by e-mail address (any case), id or id prefix (4+ hex digits).
CREATE OR REPLACE FUNCTION app.user_ref(p_ref text, p_field text DEFAULT 'user') RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT CASE WHEN p_ref IS NULL THEN NULL ELSE app.reference_one('user', p_ref, p_field,
    coalesce(
      (SELECT array_agg(u.id::text) FROM app.users u WHERE u.email = app.user_email_key(p_ref)),
      (SELECT array_agg(u.id::text ORDER BY u.created_at)
         FROM app.users u, app.uuid_prefix_bounds(p_ref) b WHERE u.id BETWEEN b.low AND b.high)),
    '`pgwarden user list` shows the users; give an e-mail address, an id or an id prefix.')::uuid END
$$;
COMMENT ON FUNCTION app.user_ref(text, text)
  IS 'The user an e-mail address, id or id prefix (4+ hex digits) names; QN001 / QV001 naming p_field';

-- Users as the CLI lists them (one when p_user_id is given), oldest first.
CREATE OR REPLACE FUNCTION app.user_list(p_user_id uuid DEFAULT NULL) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'id', u.id, 'email', u.email, 'name', u.name, 'role', u.role, 'organization_id', u.organization_id,
           'organization', o.name, 'can_sign_in', u.password_hash IS NOT NULL, 'created_at', u.created_at,
           'last_signed_in_at', (SELECT max(s.created_at) FROM app.web_sessions s WHERE s.user_id = u.id))
         ORDER BY u.created_at, u.email), '[]')
    FROM app.users u LEFT JOIN app.organizations o ON o.id = u.organization_id
   WHERE p_user_id IS NULL OR u.id = p_user_id
$$;
COMMENT ON FUNCTION app.user_list(uuid) IS 'Users (or one) with their organization''s name, whether they may sign in, and their last sign-in';

-- A user removed, with their sessions; what they did stays, without them (ON DELETE SET NULL).
-- The last system admin who can sign in stays: without one, nobody could manage pgwarden.
CREATE OR REPLACE FUNCTION app.user_delete(p_user_id uuid) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_user record;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('pgwarden:bootstrap-admin'));  -- (as user_bootstrap_admin)
  SELECT u.id, u.email, u.role INTO v_user FROM app.users u WHERE u.id = p_user_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'user % not found', p_user_id USING ERRCODE = 'QNW01', DETAIL = 'Field: user.',
      HINT = '`pgwarden user list` shows the users.';
  END IF;
  IF v_user.role = 'system_admin' AND NOT EXISTS (
       SELECT FROM app.users u WHERE u.role = 'system_admin' AND u.password_hash IS NOT NULL AND u.id <> p_user_id) THEN
    RAISE EXCEPTION 'user % is the last system admin who can sign in', v_user.email USING ERRCODE = 'QSW01',
      DETAIL = 'Field: user.', HINT = 'Create another system admin first (pgwarden user create --role system_admin).';
  END IF;
  DELETE FROM app.users u WHERE u.id = p_user_id;
  RETURN v_user.email;
END $$;
COMMENT ON FUNCTION app.user_delete(uuid) IS
  'Delete a user and their sessions, keeping what they did (QNW01 when none; QSW01 for the last system admin)';
GRANT EXECUTE ON FUNCTION app.user_ref(text, text), app.user_delete(uuid) TO system_admin;

-- The first system admin, once: created only while no system admin can sign in. Returns whether
-- it was created (the caller prints the password it generated only then).
CREATE OR REPLACE FUNCTION app.user_bootstrap_admin(p_email text, p_password_hash text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('pgwarden:bootstrap-admin'));
  IF EXISTS (SELECT FROM app.users u WHERE u.role = 'system_admin' AND u.password_hash IS NOT NULL) THEN
    RETURN false;
  END IF;
  IF EXISTS (SELECT FROM app.users u WHERE u.email = app.user_email_key(p_email)) THEN
    PERFORM app.user_set_password(p_email, p_password_hash);
    UPDATE app.users u SET role = 'system_admin', organization_id = NULL WHERE u.email = app.user_email_key(p_email);
  ELSE
    PERFORM app.user_create(p_email, 'system_admin', NULL, p_password_hash, 'Administrator');
  END IF;
  RETURN true;
END $$;
COMMENT ON FUNCTION app.user_bootstrap_admin(text, text) IS
  'Create the first system admin unless one who can sign in exists; true when created';

-- == Throttling ==

-- Seconds until a sign-in for this account or from this address may be tried again (0: now).
-- login_max_failures failures within login_window_minutes block both, counted apart: for the
-- account (only failures after its last success) and for the IP address. A blocked attempt is
-- not recorded, so waiting always helps.
CREATE OR REPLACE FUNCTION app.web_login_wait_seconds(p_email text, p_ip inet, p_now timestamptz DEFAULT now())
RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  WITH cfg AS (
    SELECT coalesce(app.web_setting('login_max_failures'), 5)::integer AS max_failures,
           make_interval(mins => coalesce(app.web_setting('login_window_minutes'), 15)::integer) AS span
  ), by_account AS (
    SELECT a.attempted_at FROM app.web_login_attempts a, cfg
     WHERE a.email = app.user_email_key(p_email) AND NOT a.succeeded AND a.attempted_at > p_now - cfg.span
       AND a.attempted_at > coalesce((SELECT max(b.attempted_at) FROM app.web_login_attempts b
                                       WHERE b.email = app.user_email_key(p_email) AND b.succeeded), '-infinity')
     ORDER BY a.attempted_at DESC OFFSET (SELECT cfg.max_failures - 1 FROM cfg) LIMIT 1
  ), by_ip AS (
    SELECT a.attempted_at FROM app.web_login_attempts a, cfg
     WHERE a.ip = p_ip AND NOT a.succeeded AND a.attempted_at > p_now - cfg.span
     ORDER BY a.attempted_at DESC OFFSET (SELECT cfg.max_failures - 1 FROM cfg) LIMIT 1
  )
  SELECT coalesce(greatest(0, ceil(extract(epoch FROM
           greatest((SELECT x.attempted_at FROM by_account x), (SELECT y.attempted_at FROM by_ip y))
           + (SELECT cfg.span FROM cfg) - p_now)))::integer, 0)
$$;
COMMENT ON FUNCTION app.web_login_wait_seconds(text, inet, timestamptz) IS
  'Seconds until a sign-in for the account or from the address may be tried again (0 = now)';

-- == Signing in ==

-- Step 1: {wait_seconds, password_hash}. The hash is given only when no wait applies and the user
-- may sign in; otherwise NULL, and the caller checks the password against a dummy hash so an
-- unknown e-mail takes as long as a wrong password.
CREATE OR REPLACE FUNCTION app.web_login_begin(p_email text, p_ip inet) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT jsonb_build_object(
    'wait_seconds', w.seconds,
    'password_hash', CASE WHEN w.seconds = 0 THEN
                       (SELECT u.password_hash FROM app.users u
                         WHERE u.email = app.user_email_key(p_email) AND app._web_user_may_sign_in(u.role, u.password_hash))
                     END)
    FROM (SELECT app.web_login_wait_seconds(p_email, p_ip) AS seconds) w
$$;
COMMENT ON FUNCTION app.web_login_begin(text, inet) IS 'Sign-in step 1: the wait that applies, else the hash to check the password against';

-- Step 2, with the outcome of the password check: records the attempt and, when it succeeded,
-- starts a session. {token} on success (the only time the token exists in clear), else
-- {token: null, wait_seconds}.
CREATE OR REPLACE FUNCTION app.web_login_finish(p_email text, p_ip inet, p_password_ok boolean, p_user_agent text)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_wait integer := app.web_login_wait_seconds(p_email, p_ip);
  v_user_id uuid;
  v_token text;
BEGIN
  IF v_wait > 0 THEN
    RETURN jsonb_build_object('token', NULL, 'wait_seconds', v_wait);
  END IF;
  SELECT u.id INTO v_user_id FROM app.users u
   WHERE u.email = app.user_email_key(p_email) AND app._web_user_may_sign_in(u.role, u.password_hash);
  INSERT INTO app.web_login_attempts (email, ip, succeeded)
  VALUES (left(app.user_email_key(p_email), 255), p_ip, coalesce(p_password_ok, false) AND v_user_id IS NOT NULL);
  IF NOT coalesce(p_password_ok, false) OR v_user_id IS NULL THEN
    RETURN jsonb_build_object('token', NULL, 'wait_seconds', app.web_login_wait_seconds(p_email, p_ip));
  END IF;
  v_token := encode(gen_random_bytes(32), 'hex');
  INSERT INTO app.web_sessions (token_hash, user_id, ip, user_agent)
  VALUES (app._web_token_hash(v_token), v_user_id, p_ip, left(p_user_agent, 500));
  RETURN jsonb_build_object('token', v_token, 'wait_seconds', 0);
END $$;
COMMENT ON FUNCTION app.web_login_finish(text, inet, boolean, text) IS
  'Sign-in step 2: record the attempt; on success start a session and return its token';

-- == Sessions ==

-- The person behind a session token, while the session is valid: {claims: {role, org_id, sub}
-- (PostgREST's JWT claims), email, name}; NULL once it has ended, idled out or outlived
-- session_max_hours, or its user may no longer sign in. p_touch records the use (to the minute),
-- which is what keeps a session from idling out; a live feed reads without touching.
CREATE OR REPLACE FUNCTION app.web_session_resume(p_token text, p_touch boolean DEFAULT true) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  v_session app.web_sessions;
  v_user app.users;
BEGIN
  SELECT * INTO v_session FROM app.web_sessions s
   WHERE s.token_hash = app._web_token_hash(p_token) AND s.ended_at IS NULL
     AND s.last_seen_at > now() - make_interval(mins => coalesce(app.web_setting('session_idle_minutes'), 30)::integer)
     AND s.created_at > now() - make_interval(hours => coalesce(app.web_setting('session_max_hours'), 12)::integer);
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  SELECT * INTO v_user FROM app.users u WHERE u.id = v_session.user_id AND app._web_user_may_sign_in(u.role, u.password_hash);
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF p_touch AND v_session.last_seen_at < now() - interval '1 minute' THEN
    UPDATE app.web_sessions s SET last_seen_at = now() WHERE s.id = v_session.id;
  END IF;
  RETURN jsonb_build_object(
    'claims', jsonb_strip_nulls(jsonb_build_object('role', v_user.role, 'org_id', v_user.organization_id, 'sub', v_user.id)),
    'email', v_user.email, 'name', v_user.name, 'statement_timeout', app.role_statement_timeout(v_user.role::text));
END $$;
COMMENT ON FUNCTION app.web_session_resume(text, boolean) IS
  'The signed-in person of a valid session: PostgREST-shaped claims, e-mail, name and their role''s statement_timeout; NULL when not valid';

-- The statement_timeout a role is given (db/schema/010_roles_schemas.sql): PostgREST 12 applies
-- the impersonated role's to each request's transaction, and pgwarden web does the same for a
-- page (SET ROLE alone would keep its own login's). The current one when the role has none.
CREATE OR REPLACE FUNCTION app.role_statement_timeout(p_role text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT coalesce((SELECT substr(c.setting, length('statement_timeout=') + 1)
                     FROM pg_db_role_setting s
                     JOIN pg_roles r ON r.oid = s.setrole
                    CROSS JOIN unnest(s.setconfig) AS c (setting)
                    WHERE r.rolname = p_role AND c.setting LIKE 'statement_timeout=%'
                      AND s.setdatabase IN (0, (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()))
                    ORDER BY s.setdatabase DESC LIMIT 1),
                  current_setting('statement_timeout'))
$$;
COMMENT ON FUNCTION app.role_statement_timeout(text) IS
  'The statement_timeout a role is set to (its setting in this database, else everywhere), else the current one';

CREATE OR REPLACE FUNCTION app.web_session_end(p_token text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $$
  UPDATE app.web_sessions s SET ended_at = now() WHERE s.token_hash = app._web_token_hash(p_token) AND s.ended_at IS NULL
$$;
COMMENT ON FUNCTION app.web_session_end(text) IS 'Sign out: end a session';

-- Nightly: attempts older than a day no longer count; ended or expired sessions are forgotten.
CREATE OR REPLACE FUNCTION app.web_sign_in_prune(p_now timestamptz DEFAULT now()) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_attempts bigint;
  v_sessions bigint;
BEGIN
  DELETE FROM app.web_login_attempts a WHERE a.attempted_at < p_now - interval '1 day';
  GET DIAGNOSTICS v_attempts = ROW_COUNT;
  DELETE FROM app.web_sessions s
   WHERE s.ended_at < p_now - interval '1 day'
      OR s.last_seen_at < p_now - interval '1 day'
                          - make_interval(mins => coalesce(app.web_setting('session_idle_minutes'), 30)::integer)
      OR s.created_at < p_now - interval '1 day'
                        - make_interval(hours => coalesce(app.web_setting('session_max_hours'), 12)::integer);
  GET DIAGNOSTICS v_sessions = ROW_COUNT;
  RETURN v_attempts + v_sessions;
END $$;
COMMENT ON FUNCTION app.web_sign_in_prune(timestamptz) IS 'Delete sign-in attempts older than a day and sessions over a day past their end';

GRANT EXECUTE ON FUNCTION app.web_login_begin(text, inet), app.web_login_finish(text, inet, boolean, text),
  app.web_session_resume(text, boolean), app.web_session_end(text), app.role_statement_timeout(text) TO pgwarden_web;
GRANT EXECUTE ON FUNCTION app.user_email_key(text) TO staff, org_owner, system_admin;
