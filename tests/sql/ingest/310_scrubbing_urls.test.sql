-- URL parameters are scrubbed with string functions (app._scrub_url_parameters) exactly as the
-- lookbehind regex that defines them would, on every combination of tricky parts.
BEGIN;
SELECT plan(6);

CREATE TEMP TABLE part (kind text, text text);
INSERT INTO part VALUES
  ('base', 'https://shop.test/checkout'), ('base', 'https://shop.test/a;token=1/b'), ('base', '/auth/cb'), ('base', ''),
  ('base', 'https://shop.test/x?'), ('base', 'https://shop.test/é;'),
  ('sep', '?'), ('sep', '&'), ('sep', ';'), ('sep', '#'), ('sep', '?&'),
  ('name', 'token'), ('name', 'page'), ('name', 'x_Token_2'), ('name', 'a;token'), ('name', 'q?secret'), ('name', ''),
  ('name', 'api key'), ('name', 'sessionid=1;csrf'), ('name', 'é'),
  ('value', 'v1'), ('value', ''), ('value', 'a=b'), ('value', 'x;password=y'), ('value', 'é?z');
CREATE TEMP TABLE url AS
  SELECT b.text || s1.text || n1.text || '=' || v1.text || coalesce(s2.text || n2.text || '=' || v2.text, '') AS url
    FROM part b, part s1, part n1, part v1
    LEFT JOIN part s2 ON s2.kind = 'sep' AND s2.text IN ('&', '#', ';')
    LEFT JOIN part n2 ON n2.kind = 'name' AND n2.text IN ('token', 'page', 'a;token')
    LEFT JOIN part v2 ON v2.kind = 'value' AND v2.text IN ('v1', '', 'a=b')
   WHERE b.kind = 'base' AND s1.kind = 'sep' AND n1.kind = 'name' AND v1.kind = 'value';

SELECT cmp_ok((SELECT count(*)::integer FROM url), '>', 10000, 'over ten thousand URLs');
SELECT is_empty($$
  SELECT u.url FROM url u, (SELECT app._scrub_pattern('pgwarden.scrub_key_pattern') AS k) p
   WHERE app._scrub_url_parameters(u.url, p.k)
         IS DISTINCT FROM regexp_replace(u.url, '(?<=[?&;#][^=&#]*(?:' || p.k || ')[^=&#]*=)[^&#]+', '[Filtered]', 'gi')$$,
  'the string version filters exactly the values the lookbehind regex does');
SELECT cmp_ok((SELECT count(*)::integer FROM url u WHERE app._scrub_url_parameters(u.url, app._scrub_pattern('pgwarden.scrub_key_pattern')) <> u.url),
              '>', 1000, '... and many of them have something filtered');
SELECT is(app.scrub_url('https://shop.test/cb?code=1&access_token=abc#state=x&id_token=eyJa.eyJb.c'),
          'https://shop.test/cb?code=1&access_token=[Filtered]#state=x&id_token=[Filtered]', 'query and fragment together');
SELECT is(app.scrub_url('https://shop.test/cb?token+id=secret1&page=2'), 'https://shop.test/cb?token+id=[Filtered]&page=2',
          'a parameter named like a key is filtered whatever follows the key word in its name');
SELECT is(app.scrub_url('https://u:pw@shop.test/pay?note=4111111111111111&page=2'), 'https://shop.test/pay?note=[Filtered]&page=2',
          'user info goes and value rules apply to the rest (a card number)');

SELECT * FROM finish();
ROLLBACK;
