-- User-agent rules (enrichment: browser, os, device_type of an error). Configuration, not tenant
-- data: system admins edit it, app.parse_user_agent reads it. For each kind the first enabled
-- rule by priority whose needle occurs and whose pattern matches wins.

-- == Tables ==

CREATE TABLE app.user_agent_rule (
  id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind          text NOT NULL CONSTRAINT user_agent_rule_kind_check CHECK (kind IN ('browser', 'os', 'device')),
  priority      integer NOT NULL,
  needle        text CONSTRAINT user_agent_rule_needle_check CHECK (needle = lower(needle) AND needle <> ''),
  pattern       text CONSTRAINT user_agent_rule_pattern_check CHECK (pattern <> ''),
  name          text NOT NULL,
  version_group smallint CONSTRAINT user_agent_rule_version_group_check CHECK (version_group BETWEEN 1 AND 9),
  enabled       boolean NOT NULL DEFAULT true,
  CONSTRAINT user_agent_rule_kind_priority_key UNIQUE (kind, priority),
  CONSTRAINT user_agent_rule_device_name_check CHECK (kind <> 'device' OR name IN ('desktop', 'mobile', 'tablet', 'bot')),
  CONSTRAINT user_agent_rule_match_check CHECK (needle IS NOT NULL OR pattern IS NOT NULL),
  CONSTRAINT user_agent_rule_version_group_pattern_check CHECK (version_group IS NULL OR pattern IS NOT NULL)
);
COMMENT ON TABLE app.user_agent_rule IS
'How app.parse_user_agent names a user agent: per kind, the first enabled rule by priority that matches';
COMMENT ON COLUMN app.user_agent_rule.priority IS 'Lower is tried first; unique per kind';
COMMENT ON COLUMN app.user_agent_rule.needle IS
'Lowercase text the lowercased user agent must contain (a strpos, before any regex); NULL: the pattern alone decides';
COMMENT ON COLUMN app.user_agent_rule.pattern IS
'PostgreSQL regular expression that must match too, case-sensitive unless it starts with (?i); NULL: the needle alone decides.
Few distinct patterns keep PostgreSQL''s per-backend cache of 32 compiled regexes warm';
COMMENT ON COLUMN app.user_agent_rule.name IS 'Browser or OS name (the version is appended), or the device type';
COMMENT ON COLUMN app.user_agent_rule.version_group IS
'Capture group of pattern holding the version (underscores become dots: 10_15 -> 10.15); NULL: no version';

-- == Row-level security ==

ALTER TABLE app.user_agent_rule ENABLE ROW LEVEL SECURITY;
CREATE POLICY user_agent_rule_system_admin ON app.user_agent_rule TO system_admin USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON app.user_agent_rule TO system_admin;

-- == Seed ==

INSERT INTO app.user_agent_rule (kind, priority, needle, pattern, name, version_group) VALUES
  -- crawlers and HTTP libraries first: they often claim to be a browser too
  ('browser', 100, 'googlebot', 'Googlebot(?:-[A-Za-z]+)?/([0-9]+)', 'Googlebot', 1),
  ('browser', 110, 'bingbot', 'bingbot/([0-9]+)', 'Bingbot', 1),
  ('browser', 120, 'applebot', 'Applebot/([0-9]+)', 'Applebot', 1),
  ('browser', 130, 'duckduckbot', 'DuckDuckBot(?:-Https)?/([0-9]+)', 'DuckDuckBot', 1),
  ('browser', 140, 'yandexbot', 'YandexBot/([0-9]+)', 'YandexBot', 1),
  ('browser', 150, 'baiduspider', NULL, 'Baiduspider', NULL),
  ('browser', 160, 'facebookexternalhit', 'facebookexternalhit/([0-9]+)', 'Facebook crawler', 1),
  ('browser', 170, 'twitterbot', 'Twitterbot/([0-9]+)', 'Twitterbot', 1),
  ('browser', 180, 'slackbot', NULL, 'Slackbot', NULL),
  ('browser', 190, 'headlesschrome', 'HeadlessChrome/([0-9]+)', 'HeadlessChrome', 1),
  ('browser', 200, 'lighthouse', NULL, 'Lighthouse', NULL),
  ('browser', 210, 'curl/', '^curl/([0-9]+)', 'curl', 1),
  ('browser', 220, 'wget/', '^Wget/([0-9]+)', 'Wget', 1),
  ('browser', 230, 'python-requests/', 'python-requests/([0-9]+)', 'python-requests', 1),
  ('browser', 240, 'python-httpx/', 'python-httpx/([0-9]+)', 'python-httpx', 1),
  ('browser', 250, 'aiohttp/', 'aiohttp/([0-9]+)', 'aiohttp', 1),
  ('browser', 260, 'python-urllib/', 'Python-urllib/([0-9]+)', 'Python-urllib', 1),
  ('browser', 270, 'go-http-client/', 'Go-http-client/([0-9]+)', 'Go-http-client', 1),
  ('browser', 280, 'axios/', 'axios/([0-9]+)', 'axios', 1),
  ('browser', 290, 'node-fetch', 'node-fetch(?:/([0-9]+))?', 'node-fetch', 1),
  ('browser', 300, 'okhttp/', 'okhttp/([0-9]+)', 'okhttp', 1),
  ('browser', 310, 'postmanruntime/', 'PostmanRuntime/([0-9]+)', 'PostmanRuntime', 1),
  -- browsers built on Chrome or Safari name themselves before the engine they carry
  ('browser', 400, 'edg/', 'Edg/([0-9]+)', 'Edge', 1),
  ('browser', 410, 'edga/', 'EdgA/([0-9]+)', 'Edge Mobile', 1),
  ('browser', 420, 'edgios/', 'EdgiOS/([0-9]+)', 'Edge Mobile', 1),
  ('browser', 430, 'edge/', 'Edge/([0-9]+)', 'Edge', 1),
  ('browser', 440, 'opr/', 'OPR/([0-9]+)', 'Opera', 1),
  ('browser', 450, 'opios/', 'OPiOS/([0-9]+)', 'Opera Mobile', 1),
  ('browser', 460, 'opera mini', 'Opera Mini/([0-9]+)', 'Opera Mini', 1),
  ('browser', 470, 'opera', 'Opera[/ ].*Version/([0-9]+)', 'Opera', 1),
  ('browser', 480, 'samsungbrowser/', 'SamsungBrowser/([0-9]+)', 'Samsung Internet', 1),
  ('browser', 490, 'yabrowser/', 'YaBrowser/([0-9]+)', 'Yandex Browser', 1),
  ('browser', 500, 'vivaldi/', 'Vivaldi/([0-9]+)', 'Vivaldi', 1),
  ('browser', 510, 'ucbrowser/', 'UCBrowser/([0-9]+)', 'UC Browser', 1),
  ('browser', 520, 'fban', 'FBAV/([0-9]+)', 'Facebook', 1),
  ('browser', 530, 'instagram', 'Instagram ([0-9]+)', 'Instagram', 1),
  ('browser', 540, 'fxios/', 'FxiOS/([0-9]+)', 'Firefox iOS', 1),
  ('browser', 550, 'crios/', 'CriOS/([0-9]+)', 'Chrome iOS', 1),
  ('browser', 560, '; wv)', '; wv\).* Chrome/([0-9]+)', 'Chrome WebView', 1),
  ('browser', 570, 'mobile', 'Chrome/([0-9]+)[0-9.]* Mobile', 'Chrome Mobile', 1),
  ('browser', 580, 'chrome/', 'Chrome/([0-9]+)', 'Chrome', 1),
  ('browser', 590, 'chromium/', 'Chromium/([0-9]+)', 'Chromium', 1),
  ('browser', 600, 'android', 'Android.*Firefox/([0-9]+)', 'Firefox Mobile', 1),
  ('browser', 610, 'firefox/', 'Firefox/([0-9]+)', 'Firefox', 1),
  ('browser', 620, 'mobile/', 'Version/([0-9]+)[0-9.]* Mobile/[A-Za-z0-9]+ Safari/', 'Mobile Safari', 1),
  ('browser', 630, 'safari/', 'Version/([0-9]+)[0-9.]* Safari/', 'Safari', 1),
  ('browser', 640, 'msie ', 'MSIE ([0-9]+)', 'IE', 1),
  ('browser', 650, 'trident/', 'Trident/.*rv:([0-9]+)', 'IE', 1),

  ('os', 100, 'ipad', '\(iPad; CPU OS ([0-9]+(?:_[0-9]+)?)', 'iPadOS', 1),
  ('os', 110, 'iphone os', 'CPU iPhone OS ([0-9]+(?:_[0-9]+)?)', 'iOS', 1),
  ('os', 120, 'ios ', '[(; ]iOS ([0-9]+(?:\.[0-9]+)?)', 'iOS', 1),
  ('os', 130, 'android', 'Android ([0-9]+)', 'Android', 1),
  ('os', 140, 'android', NULL, 'Android', NULL),
  ('os', 150, 'cros ', NULL, 'ChromeOS', NULL),
  ('os', 200, 'windows nt 10.0', NULL, 'Windows 10', NULL),
  ('os', 210, 'windows nt 6.3', NULL, 'Windows 8.1', NULL),
  ('os', 220, 'windows nt 6.2', NULL, 'Windows 8', NULL),
  ('os', 230, 'windows nt 6.1', NULL, 'Windows 7', NULL),
  ('os', 240, 'windows', NULL, 'Windows', NULL),
  ('os', 300, 'mac os x', 'Mac OS X ([0-9]+[_.][0-9]+)', 'macOS', 1),
  ('os', 310, 'macintosh', NULL, 'macOS', NULL),
  ('os', 400, 'linux', NULL, 'Linux', NULL),

  ('device', 100, 'bot', '(?i)(?<!cu)bot(?:[/_ ;)-]|$)', 'bot', NULL),
  ('device', 110, 'crawl', NULL, 'bot', NULL),
  ('device', 120, 'spider', NULL, 'bot', NULL),
  ('device', 130, 'slurp', NULL, 'bot', NULL),
  ('device', 140, 'headless', NULL, 'bot', NULL),
  ('device', 150, 'lighthouse', NULL, 'bot', NULL),
  ('device', 160, 'facebookexternalhit', NULL, 'bot', NULL),
  ('device', 170, 'curl/', NULL, 'bot', NULL),
  ('device', 180, 'wget/', NULL, 'bot', NULL),
  ('device', 190, 'python-', NULL, 'bot', NULL),
  ('device', 195, 'aiohttp/', NULL, 'bot', NULL),
  ('device', 200, 'go-http-client/', NULL, 'bot', NULL),
  ('device', 210, 'axios/', NULL, 'bot', NULL),
  ('device', 220, 'node-fetch', NULL, 'bot', NULL),
  ('device', 230, 'okhttp/', NULL, 'bot', NULL),
  ('device', 240, 'postmanruntime/', NULL, 'bot', NULL),
  ('device', 300, 'ipad', NULL, 'tablet', NULL),
  ('device', 310, 'tablet', NULL, 'tablet', NULL),
  ('device', 320, 'silk/', NULL, 'tablet', NULL),
  ('device', 330, 'android', '^(?!.*Mobi).*Android', 'tablet', NULL),
  ('device', 400, 'mobi', NULL, 'mobile', NULL),
  ('device', 410, 'iphone', NULL, 'mobile', NULL),
  ('device', 420, 'ipod', NULL, 'mobile', NULL),
  ('device', 430, 'android', NULL, 'mobile', NULL),
  ('device', 440, 'opera mini', NULL, 'mobile', NULL),
  ('device', 500, 'windows nt', NULL, 'desktop', NULL),
  ('device', 510, 'macintosh', NULL, 'desktop', NULL),
  ('device', 520, 'x11', NULL, 'desktop', NULL),
  ('device', 530, 'cros ', NULL, 'desktop', NULL);
