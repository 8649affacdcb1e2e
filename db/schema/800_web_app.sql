-- The web app (pgwarden web's pages): people sign in with e-mail and password, a session carries
-- them, and each page runs as their role with PostgREST's JWT claims so row-level security decides
-- what they see. Functions are in db/functions/app/800_web_*.sql and db/functions/api/800_web_*.sql.

-- == The web process acts as the person signed in ==

-- Per page transaction pgwarden web switches to the person's role (SET LOCAL ROLE, as PostgREST
-- does from authenticator). NOINHERIT keeps those roles' rights out of its own login, which
-- still only executes the entry points granted to it by name.
ALTER ROLE pgwarden_web NOINHERIT;
GRANT anon, staff, org_owner, system_admin TO pgwarden_web;

-- == Error codes ==

INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QVW01', 400, 'invalid user: e-mail, role, organization or password hash'),
  ('QNW01', 404, 'user not found'),
  ('QSW01', 409, 'the last system admin who can sign in cannot be deleted'),
  -- the web app's own refusals (workers/web/ui/pages.py), in the one error shape like SQL's
  ('QAW01', 401, 'sign-in required: no session, or it has ended'),
  ('QAW02', 403, 'form expired or not sent from a pgwarden page (CSRF token missing or wrong)'),
  ('QAW03', 401, 'e-mail address and password do not match an account that may sign in'),
  ('QRW01', 429, 'too many failed sign-ins for the account or from the address'),
  ('QVW02', 400, 'a web page''s query string or form holds a value it does not take'),
  ('QNW02', 404, 'no such page');

-- == Passwords ==

ALTER TABLE app.users
  ADD COLUMN password_hash text,
  ADD COLUMN password_changed_at timestamptz,
  ADD CONSTRAINT users_password_hash_check CHECK (password_hash ~ '^\$argon2id\$');
COMMENT ON COLUMN app.users.password_hash IS 'argon2id hash (PHC string) of the web sign-in password; NULL: may not sign in';

-- Nobody reads a password hash through a role: only the sign-in functions (SECURITY DEFINER) do.
REVOKE SELECT ON app.users FROM staff, org_owner, system_admin;
GRANT SELECT (id, organization_id, email, name, role, created_at) ON app.users TO staff, org_owner, system_admin;

-- == Settings ==

CREATE TABLE app.web_settings (
  key         text PRIMARY KEY,
  value       jsonb NOT NULL,
  description text NOT NULL
);
COMMENT ON TABLE app.web_settings IS 'Sign-in and session tunables of the web app';
ALTER TABLE app.web_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY web_settings_system_admin ON app.web_settings TO system_admin USING (true) WITH CHECK (true);
GRANT SELECT, UPDATE ON app.web_settings TO system_admin;

INSERT INTO app.web_settings (key, value, description) VALUES
  ('session_idle_minutes', '30', 'a session unused for this long has ended (sign in again)'),
  ('session_max_hours', '12', 'a session ends this long after sign-in, however busy'),
  ('login_max_failures', '5', 'failed sign-ins allowed per account and per IP address within login_window_minutes'),
  ('login_window_minutes', '15', 'the window in which failed sign-ins are counted');

-- == Sessions ==

CREATE TABLE app.web_sessions (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  token_hash   bytea NOT NULL,
  user_id      uuid NOT NULL REFERENCES app.users (id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  ended_at     timestamptz,
  ip           inet,
  user_agent   text,
  CONSTRAINT web_sessions_token_hash_key UNIQUE (token_hash)
);
COMMENT ON TABLE app.web_sessions IS 'Signed-in web sessions; the cookie holds the token, this table only its SHA-256';
COMMENT ON COLUMN app.web_sessions.last_seen_at IS 'Last page served (kept to the minute); idle past session_idle_minutes ends the session';
CREATE INDEX idx_web_sessions_user ON app.web_sessions (user_id);
ALTER TABLE app.web_sessions ENABLE ROW LEVEL SECURITY;  -- no policy: only the sign-in functions touch it

-- == Sign-in attempts ==

CREATE TABLE app.web_login_attempts (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  attempted_at timestamptz NOT NULL DEFAULT now(),
  email        text NOT NULL,
  ip           inet,
  succeeded    boolean NOT NULL
);
COMMENT ON TABLE app.web_login_attempts IS 'Sign-in attempts whose password was checked, for throttling per account and per IP';
COMMENT ON COLUMN app.web_login_attempts.email IS 'As typed, trimmed and lower-cased: counted whether or not such a user exists';
CREATE INDEX idx_web_login_attempts_email ON app.web_login_attempts (email, attempted_at);
CREATE INDEX idx_web_login_attempts_ip ON app.web_login_attempts (ip, attempted_at);
ALTER TABLE app.web_login_attempts ENABLE ROW LEVEL SECURITY;  -- no policy: only the sign-in functions touch it

-- == Severity response targets (the spec's Severity Levels table) ==

CREATE TABLE app.severity_response_targets (
  severity        app.severity_enum PRIMARY KEY,
  response_target interval NOT NULL CONSTRAINT severity_response_targets_response_target_check
                                    CHECK (response_target > interval '0')
);
COMMENT ON TABLE app.severity_response_targets IS
  'How soon a new or regressed error of a severity should be acknowledged (debug has none)';
ALTER TABLE app.severity_response_targets ENABLE ROW LEVEL SECURITY;
CREATE POLICY severity_response_targets_read ON app.severity_response_targets FOR SELECT
  TO staff, org_owner, system_admin USING (true);
CREATE POLICY severity_response_targets_system_admin ON app.severity_response_targets TO system_admin
  USING (true) WITH CHECK (true);
GRANT SELECT ON app.severity_response_targets TO staff, org_owner, system_admin;
GRANT INSERT, UPDATE, DELETE ON app.severity_response_targets TO system_admin;

INSERT INTO app.severity_response_targets (severity, response_target) VALUES
  ('critical', '15 minutes'), ('error', '1 hour'), ('warning', '4 hours'), ('info', '24 hours');
