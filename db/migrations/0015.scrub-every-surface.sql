-- 0015: scrubbing rules for every stored surface: IBANs (a validator of their check digits), a
-- precise US social security number rule (enabled), dotted card numbers, pwd=, and the vendor
-- key shapes leaked most often.

-- ---- as in db/schema/310_scrubbing.sql
ALTER TABLE app.scrub_rule DROP CONSTRAINT scrub_rule_validator_check;
ALTER TABLE app.scrub_rule ADD CONSTRAINT scrub_rule_validator_check
  CHECK (validator IS NULL OR (validator IN ('luhn', 'iban') AND kind = 'value'));
COMMENT ON COLUMN app.scrub_rule.detect IS
'A cheap regex that matches, case-insensitively, wherever pattern can (its distinctive part: eyJ for JWTs); all
rules'' detect patterns form one regex that decides in one pass whether a text needs scrubbing at all. NULL: pattern.
No word boundaries: it also runs over JSON text, where \n precedes a word (write (?:^|[^a-z0-9]|\\[nrt]) instead)';
COMMENT ON COLUMN app.scrub_rule.validator IS
'luhn: a match is replaced only when its digits pass the Luhn check (card numbers); iban: only the IBAN a match
starts with, when its country, length and ISO 13616 check digits are right; NULL: always. A validated pattern
has no capturing groups';

-- the seeded rules as db/schema/310_scrubbing.sql now has them (rows an admin changed are left alone)
UPDATE app.scrub_rule SET pattern = 'pwd', description = 'pwd, db_pwd, MYSQL_PWD (and PWD, the working directory)'
 WHERE kind = 'key' AND pattern = 'mysql_pwd';
UPDATE app.scrub_rule
   SET pattern = '\m(?:3[47][0-9]{2}|4[0-9]{3}|5[1-5][0-9]{2}|2[2-7][0-9]{2}|6011|65[0-9]{2})(?:(?:[ -]?[0-9]){11,12}|(?:\.[0-9]{4}){3})\M',
       detect = '(?:3[47]|4[0-9]|5[1-5]|2[2-7]|6[05])[0-9]{2}[ .-]?[0-9]{4}[ .-]?[0-9]{2}',
       description = 'card numbers (Visa, Mastercard, Amex, Discover; spaced, dashed or 4111.1111.1111.1111) that pass the Luhn check'
 WHERE kind = 'value' AND validator = 'luhn'
   AND pattern = '\m(?:3[47][0-9]{2}|4[0-9]{3}|5[1-5][0-9]{2}|2[2-7][0-9]{2}|6011|65[0-9]{2})(?:[ -]?[0-9]){11,12}\M';
UPDATE app.scrub_rule
   SET pattern = '\m(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})', detect = 'gh[pousr]_|github_pat_',
       description = 'GitHub tokens (classic and fine-grained)'
 WHERE kind = 'value' AND pattern = '\mgh[pousr]_[A-Za-z0-9]{36,}';
UPDATE app.scrub_rule
   SET pattern = '\m(?!000|666|9[0-9]{2})[0-9]{3}([- ])(?!00)[0-9]{2}\1(?!0000)[0-9]{4}\M',
       detect = '[0-9]{3}[- ][0-9]{2}[- ][0-9]{4}',
       description = 'US social security numbers written 078-05-1120 or 078 05 1120 (area not 000, 666 or 9xx; group not 00; serial not 0000)',
       enabled = true
 WHERE kind = 'value' AND pattern = '\m[0-9]{3}-[0-9]{2}-[0-9]{4}\M';

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

-- == Key patterns without capturing groups (db/triggers/310_scrubbing.sql) ==

-- Pairs are found whole (db/functions/app/310_scrubbing_apply.sql): a group in a key pattern would
-- make the regex engine split every match into its groups. The seeded passw(or)?d, and any other
-- key pattern, get (?:…) for (…).
UPDATE app.scrub_rule SET pattern = regexp_replace(pattern, '(?<!\\)\((?![?])', '(?:', 'g')
 WHERE kind = 'key' AND pattern ~ '(?<!\\)\((?![?])';
COMMENT ON COLUMN app.scrub_rule.pattern IS
'PostgreSQL regular expression. key rules: matched case-insensitively anywhere in the key (a substring: no anchors; no
capturing groups); value rules: matched case-sensitively';
