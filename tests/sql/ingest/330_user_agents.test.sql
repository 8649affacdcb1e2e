-- Enrichment: browser, os and device type from real User-Agent headers.
BEGIN;
SELECT plan(9);

CREATE TEMP TABLE agent (n integer, user_agent text, browser text, os text, device_type text);
INSERT INTO agent VALUES
  (1, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
   'Chrome 131', 'Windows 10', 'desktop'),
  (2, 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
   'Safari 17', 'macOS 10.15', 'desktop'),
  (3, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
   'Firefox 133', 'Windows 10', 'desktop'),
  (4, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
   'Edge 131', 'Windows 10', 'desktop'),
  (5, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0',
   'Opera 115', 'Windows 10', 'desktop'),
  (6, 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1',
   'Mobile Safari 17', 'iOS 17.1', 'mobile'),
  (7, 'Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
   'Mobile Safari 17', 'iPadOS 17.1', 'tablet'),
  (8, 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.135 Mobile Safari/537.36',
   'Chrome Mobile 131', 'Android 14', 'mobile'),
  (9, 'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
   'Chrome 130', 'Android 13', 'tablet'),
  (10, 'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36',
   'Samsung Internet 26', 'Android 14', 'mobile'),
  (11, 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
   'Chrome iOS 131', 'iOS 17.1', 'mobile'),
  (12, 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15',
   'Firefox iOS 133', 'iOS 17.1', 'mobile'),
  (13, 'Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0',
   'Firefox Mobile 133', 'Android 14', 'mobile'),
  (14, 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
   'Chrome 131', 'Linux', 'desktop'),
  (15, 'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
   'Chrome 131', 'ChromeOS', 'desktop'),
  (16, 'Mozilla/5.0 (Linux; Android 10; K; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.39 Mobile Safari/537.36',
   'Chrome WebView 131', 'Android 10', 'mobile'),
  (17, 'Mozilla/5.0 (Windows NT 6.1; Win64; x64; Trident/7.0; rv:11.0) like Gecko', 'IE 11', 'Windows 7', 'desktop'),
  (18, 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'Googlebot 2', NULL, 'bot'),
  (19, 'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
   'Googlebot 2', 'Android 6', 'bot'),
  (20, 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36',
   'Bingbot 2', NULL, 'bot'),
  (21, 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.28 Safari/537.36',
   'HeadlessChrome 120', 'Linux', 'bot'),
  (22, 'curl/8.5.0', 'curl 8', NULL, 'bot'),
  (23, 'python-requests/2.31.0', 'python-requests 2', NULL, 'bot'),
  (24, 'Mozilla/5.0 (Linux; Android 10; CUBOT NOTE 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Mobile Safari/537.36',
   'Chrome Mobile 118', 'Android 10', 'mobile');

SELECT results_eq(
  $$SELECT a.n, p.browser, p.os, p.device_type FROM agent a CROSS JOIN LATERAL app.parse_user_agent(a.user_agent) p ORDER BY a.n$$,
  $$SELECT n, browser, os, device_type FROM agent ORDER BY n$$,
  'real user agents: browser with major version, os with version, device type');

SELECT is((SELECT row(browser, os, device_type)::text FROM app.parse_user_agent(NULL)), '(,,)', 'no user agent: all NULL');
SELECT is((SELECT row(browser, os, device_type)::text FROM app.parse_user_agent('   ')), '(,,)', 'a blank user agent: all NULL');
SELECT is((SELECT row(browser, os, device_type)::text FROM app.parse_user_agent('MyInternalTool/1.0')), '(,,)',
          'an unknown agent: all NULL rather than a guess');
SELECT lives_ok($$SELECT app.parse_user_agent(repeat('Mozilla/5.0 (', 5000))$$, 'a huge or malformed agent is no error');

-- rules are rows: a new rule takes effect at once, by priority
INSERT INTO app.user_agent_rule (kind, priority, needle, pattern, name, version_group)
VALUES ('browser', 50, 'pgwarden-probe/', 'pgwarden-probe/([0-9]+)', 'pgwarden probe', 1);
SELECT is((SELECT browser FROM app.parse_user_agent('Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0 pgwarden-probe/3.1')),
          'pgwarden probe 3', 'an inserted rule with a better priority wins');
UPDATE app.user_agent_rule SET enabled = false WHERE kind = 'browser' AND name = 'pgwarden probe';
SELECT is((SELECT browser FROM app.parse_user_agent('Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0 pgwarden-probe/3.1')),
          'Chrome 131', 'a disabled rule is skipped');

SET LOCAL ROLE staff;
SELECT throws_ok('SELECT * FROM app.user_agent_rule', '42501', NULL, 'staff cannot read the rules');
RESET ROLE;
SET LOCAL ROLE system_admin;
SELECT lives_ok($$UPDATE app.user_agent_rule SET enabled = enabled WHERE kind = 'os'$$, 'system_admin edits the rules');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
