-- Scrubbing rules (reference/sentry.md §6): what is replaced by [Filtered] before anything is
-- stored. Configuration, not tenant data: system admins edit it, app.scrub_* read it.

-- == Tables ==

CREATE TABLE app.scrub_rule (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind        text NOT NULL CONSTRAINT scrub_rule_kind_check CHECK (kind IN ('key', 'value')),
  pattern     text NOT NULL CONSTRAINT scrub_rule_pattern_check CHECK (pattern <> ''),
  replacement text CONSTRAINT scrub_rule_replacement_check CHECK ((kind = 'key') = (replacement IS NULL)),
  validator   text CONSTRAINT scrub_rule_validator_check CHECK (validator IS NULL OR (validator IN ('luhn', 'iban') AND kind = 'value')),
  detect      text CONSTRAINT scrub_rule_detect_check CHECK (detect <> ''),
  description text NOT NULL,
  enabled     boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE app.scrub_rule IS
'Secret and PII scrubbing rules, applied by app.scrub_jsonb, app.scrub_text and app.scrub_url before an event is stored';
COMMENT ON COLUMN app.scrub_rule.kind IS
'key: a key name (JSON object key, URL query parameter, key=value in text) whose value is replaced whole by [Filtered]; value: a pattern replaced wherever it occurs in a string';
COMMENT ON COLUMN app.scrub_rule.pattern IS
'PostgreSQL regular expression. key rules: matched case-insensitively anywhere in the key (a substring: no anchors; no
capturing groups); value rules: matched case-sensitively';
COMMENT ON COLUMN app.scrub_rule.replacement IS
'value rules: what replaces each match (regexp_replace syntax, \1 = first group); key rules: NULL, the value becomes [Filtered]';
COMMENT ON COLUMN app.scrub_rule.detect IS
'A cheap regex that matches, case-insensitively, wherever pattern can (its distinctive part: eyJ for JWTs); all
rules'' detect patterns form one regex that decides in one pass whether a text needs scrubbing at all. NULL: pattern.
No word boundaries: it also runs over JSON text, where \n precedes a word (write (?:^|[^a-z0-9]|\\[nrt]) instead)';
COMMENT ON COLUMN app.scrub_rule.validator IS
'luhn: a match is replaced only when its digits pass the Luhn check (card numbers); iban: only the IBAN a match
starts with, when its country, length and ISO 13616 check digits are right; NULL: always. A validated pattern
has no capturing groups';

-- == Row-level security ==

ALTER TABLE app.scrub_rule ENABLE ROW LEVEL SECURITY;
CREATE POLICY scrub_rule_system_admin ON app.scrub_rule TO system_admin USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON app.scrub_rule TO system_admin;

-- == Seed: Sentry's defaults (Relay @password/@creditcard/@pemkey/@urlauth, the Python SDK denylist) ==

INSERT INTO app.scrub_rule (kind, pattern, replacement, validator, detect, description) VALUES
  ('key', 'passw(?:or)?d', NULL, NULL, 'passw', 'password, passwd, db_password, PASSWORD_HASH'),
  ('key', 'passphrase', NULL, NULL, NULL, 'passphrases'),
  ('key', 'secret', NULL, NULL, NULL, 'secret, client_secret, AWS_SECRET_ACCESS_KEY'),
  ('key', 'token', NULL, NULL, NULL, 'token, access_token, csrftoken, x-auth-token'),
  ('key', 'api[-_ ]?key', NULL, NULL, NULL, 'api_key, apikey, x-api-key'),
  ('key', 'auth', NULL, NULL, NULL, 'auth, authorization, proxy-authorization, oauth_*'),
  ('key', 'credential', NULL, NULL, NULL, 'credentials, X-Amz-Credential'),
  ('key', 'cookie', NULL, NULL, NULL, 'cookie, set-cookie'),
  ('key', 'session', NULL, NULL, NULL, 'session, sessionid, session_key, aiohttp_session'),
  ('key', 'sess_?id|connect\.sid', NULL, NULL, NULL, 'PHPSESSID, connect.sid'),
  ('key', 'csrf|xsrf', NULL, NULL, NULL, 'csrf, _csrf, XSRF-TOKEN'),
  ('key', 'private[-_ ]?key', NULL, NULL, NULL, 'private_key, privatekey'),
  ('key', 'access[-_ ]?key', NULL, NULL, NULL, 'access_key, aws_access_key_id'),
  ('key', 'signature', NULL, NULL, NULL, 'signed URLs: X-Amz-Signature, signature'),
  ('key', 'pwd', NULL, NULL, NULL, 'pwd, db_pwd, MYSQL_PWD (and PWD, the working directory)'),
  ('value', '\m(?:3[47][0-9]{2}|4[0-9]{3}|5[1-5][0-9]{2}|2[2-7][0-9]{2}|6011|65[0-9]{2})(?:(?:[ -]?[0-9]){11,12}|(?:\.[0-9]{4}){3})\M',
   '[Filtered]', 'luhn', '(?:3[47]|4[0-9]|5[1-5]|2[2-7]|6[05])[0-9]{2}[ .-]?[0-9]{4}[ .-]?[0-9]{2}',
   'card numbers (Visa, Mastercard, Amex, Discover; spaced, dashed or 4111.1111.1111.1111) that pass the Luhn check'),
  ('value', '([Bb]earer[ ]+)[A-Za-z0-9._~+/=-]+', '\1[Filtered]', NULL, 'bearer ', 'bearer tokens'),
  ('value', 'eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*', '[Filtered]', NULL, 'eyJ', 'JSON Web Tokens'),
  ('value', '\m(?:AKIA|ASIA)[A-Z0-9]{16}\M', '[Filtered]', NULL, 'AKIA|ASIA', 'AWS access key ids'),
  ('value', '([Aa][Ww][Ss][A-Za-z0-9_.-]*["'']?[ \t]*[:= \t][ \t]*["'']?)[A-Za-z0-9/+]{40}([^A-Za-z0-9/+=]|$)', '\1[Filtered]\2',
   NULL, 'aws', 'AWS secret access keys: 40 base64 characters right after an aws… name'),
  ('value', '-----BEGIN [A-Z ]*PRIVATE KEY( BLOCK)?-----[^-]*(-----END [A-Z ]*PRIVATE KEY( BLOCK)?-----)?', '[Filtered]',
   NULL, 'PRIVATE KEY', 'PEM private key blocks (also when cut off before the END line)'),
  ('value', '(\m[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]+:)[^\s/@]+@', '\1[Filtered]@', NULL, '://[^\s:/@]+:[^\s/@]+@',
   'passwords in URLs: scheme://user:password@host'),
  ('value', '\m(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}', '[Filtered]', NULL, '[sr]k_(?:live|test)_', 'Stripe secret and restricted keys'),
  ('value', '\m(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})', '[Filtered]', NULL, 'gh[pousr]_|github_pat_',
   'GitHub tokens (classic and fine-grained)'),
  ('value', '\mxox[abprs]-[A-Za-z0-9-]{10,}', '[Filtered]', NULL, 'xox[abprs]-', 'Slack tokens');

INSERT INTO app.scrub_rule (kind, pattern, replacement, validator, detect, description, enabled) VALUES
  ('value', '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}', '[email]', NULL, '@',
   'email addresses (off by default: often wanted for triage)', false),
  ('value', '\m(?!000|666|9[0-9]{2})[0-9]{3}([- ])(?!00)[0-9]{2}\1(?!0000)[0-9]{4}\M', '[Filtered]', NULL,
   '[0-9]{3}[- ][0-9]{2}[- ][0-9]{4}',
   'US social security numbers written 078-05-1120 or 078 05 1120 (area not 000, 666 or 9xx; group not 00; serial not 0000)',
   true);

-- == Seed: IBANs (Relay's @iban) and the vendor key shapes leaked most often ==

-- (the IBAN pattern lists the ISO 13616 registry's countries; app.iban_valid knows each one's length)
INSERT INTO app.scrub_rule (kind, pattern, replacement, validator, detect, description) VALUES
  ('key', '(?<![a-z])ssn(?![a-z])|social[-_ ]?security', NULL, NULL, 'ssn|social[-_ ]?security',
   'ssn, user_ssn, social_security_number (not classname)'),
  ('key', '(?:account|shared[-_ ]?access)[-_ ]?key', NULL, NULL, NULL, 'Azure connection strings: AccountKey, SharedAccessKey'),
  ('value', '(?i)\m(?:A[DELTZ]|B[AEGHIRY]|C[HRYZ]|D[EJKO]|E[EGS]|F[IKOR]|G[BEILRT]|H[NRU]|I[ELQST]|JO|K[WZ]|L[BCITUVY]|M[CDEKNRTU]|N[ILO]|OM|P[KLST]|QA|R[OSU]|S[ACDEIKMOTV]|T[LNR]|UA|V[AG]|XK|YE)[0-9]{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\M',
   '[Filtered]', 'iban',
   '(?:^|[^a-z0-9]|\\[nrt])[a-z]{2}[0-9]{2}[ ]?[0-9a-z]{4}',
   'IBANs, compact or in groups of four, whose country, length and check digits are right'),
  ('value', '\mAIza[0-9A-Za-z_-]{35}', '[Filtered]', NULL, 'AIza', 'Google API keys'),
  ('value', '(\mhttps?://(?:hooks\.slack\.com/(?:services|workflows|triggers)|(?:[a-z]+\.)?discord(?:app)?\.com/api/webhooks)/)[A-Za-z0-9/_-]+',
   '\1[Filtered]', NULL, 'hooks\.slack\.com/|/api/webhooks/', 'Slack and Discord webhook URLs (the path is the secret)'),
  ('value', '\mSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}', '[Filtered]', NULL, 'SG\.[a-z0-9_-]{8}', 'SendGrid API keys'),
  ('value', '\msk-(?:ant-[A-Za-z0-9_-]{20,}|(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{32,})', '[Filtered]', NULL,
   'sk-(?:ant-|proj-|svcacct-|admin-|[a-z0-9]{20})', 'OpenAI (sk-, sk-proj-) and Anthropic (sk-ant-) API keys'),
  ('value', '\mgl(?:pat|dt|rt|ptt|soat|ft|cbt|imt|agent|oas)-[A-Za-z0-9_-]{20,}', '[Filtered]', NULL,
   'gl[a-z]{2,5}-', 'GitLab tokens (glpat- and the other gl…- prefixes)'),
  ('value', '\mnpm_[A-Za-z0-9]{36}\M', '[Filtered]', NULL, 'npm_[a-z0-9]{8}', 'npm access tokens'),
  ('value', '\mSK[0-9a-fA-F]{32}\M', '[Filtered]', NULL, 'sk[0-9a-f]{12}', 'Twilio API keys'),
  ('value', '\mwhsec_[A-Za-z0-9+/=]{24,}', '[Filtered]', NULL, 'whsec_',
   'webhook signing secrets (Stripe, Svix/Azure, pgwarden''s own error-webhook secret)');
