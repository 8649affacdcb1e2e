-- A corpus of synthetic secrets in the shapes that leak most (IBANs with valid check digits, US
-- social security numbers, Luhn-valid cards however they are written, vendor API keys, passwords
-- in prose): none survives scrubbing, in text, JSON or URLs; harmless look-alikes are kept, and
-- clean text does not even reach the slow path.
BEGIN;
SELECT plan(30);

-- == IBAN check digits (ISO 13616), like the Luhn check for cards ==

SELECT results_eq($$SELECT app.iban_valid(n) FROM unnest(ARRAY[
                      'DE56787789328792174218', 'GB35 NWBK 0967 9290 8100 33', 'fr4490757938347017468145384', 'NO7661113930955',
                      'MT60MALT67300245892152758929ABC', 'DE56787789328792174219', 'DE5678778932879217421', 'XX56787789328792174218',
                      'DE56-7877-8932-8792-1742-18', NULL]) WITH ORDINALITY AS t(n, i) ORDER BY i$$,
                  $$VALUES (true), (true), (true), (true), (true), (false), (false), (false), (false), (false)$$,
                  'iban_valid: compact, spaced, lower-case, the shortest (NO) and a lettered one pass; a wrong check digit, length or country, dashes and NULL do not');

-- == Secrets: each is replaced and nothing of it survives ==

CREATE TEMP TABLE secret (label text, input text, secret text);
INSERT INTO secret VALUES
  ('a German IBAN', 'refund to DE56787789328792174218 please', '87789328792174218'),
  ('a spaced British IBAN', 'IBAN: GB35 NWBK 0967 9290 8100 33.', '0967 9290 8100'),
  ('a French IBAN, lower case', 'mon iban fr44 9075 7938 3470 1746 8145 384 merci', '7938 3470 1746'),
  ('a Dutch IBAN', 'NL82RABO0191614610', '0191614610'),
  ('a Spanish IBAN', 'cuenta ES92 0330 7666 1934 5145 0612', '7666 1934 5145'),
  ('an Italian IBAN', 'IT29X3100772837832661663049', '100772837832661663049'),
  ('a Swiss IBAN, spaced, short last group', 'CH68 4032 6991 0237 4095 4 is mine', '6991 0237 4095'),
  ('a Norwegian IBAN (15)', 'NO76 6111 3930 955', '6111 3930 955'),
  ('a Belgian IBAN followed by more digits', 'BE50 9729 7926 2243 2026', '9729 7926 2243'),
  ('two IBANs in a row', 'AT53 9332 8367 9160 1108 PL35 4364 6974 8212 3789 9143 3014', '4364 6974 8212'),
  ('a Maltese IBAN', 'MT60 MALT 6730 0245 8921 5275 8929 ABC', '8921 5275 8929'),
  ('an SSN with dashes', 'customer ssn 512-34-6789 on file', '512-34-6789'),
  ('an SSN with spaces', 'SSN 512 34 6789', '512 34 6789'),
  ('an SSN in a chained exception', E'ValueError: bad ssn\n\nDuring handling: KeyError: 078-05-1120', '078-05-1120'),
  ('a Visa number', 'card 4007540091714527', '4007540091714527'),
  ('a dotted Visa number', 'card 4007.5400.9171.4527', '4007.5400.9171.4527'),
  ('a 2-series Mastercard', 'card 2221-0790-9669-0915', '2221-0790-9669-0915'),
  ('an Amex number', 'amex 3711 146569 77782', '3711 146569 77782'),
  ('a Discover number', 'disc 6011188049170316', '6011188049170316'),
  ('a Google API key', 'maps key AIzaB0W-O5PjeJfJTNcrZ6ydIEsgo5nVjzz8Gwb', 'AIzaB0W-O5PjeJfJTNcrZ6ydIEsgo5nVjzz8Gwb'),
  ('a Slack webhook URL', 'post to https://hooks.slack.com/services/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 failed',
   'DmO46ayJKP4GY08vDuPngU30'),
  ('a SendGrid key', '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 rejected', 'wQr8t4-lC4LvGNWAMsI'),
  ('an OpenAI key', 'openai sk-50756EHugmANb7qiSXbcmjoaRsuUwpNFgFULh2GNqTmSH4Bb', 'sk-50756EHugmANb7qiSXbcmjoaRsuUwpNFgFULh2GNqTmSH4Bb'),
  ('an OpenAI project key', 'key=sk-proj-W0uABBrDSxOOyBymrEqlHXm31qzZcmzTUoRyj9nde9syxoAwuKmhr7jmPY72T3AVbfzx06UVZyvmbPkZyRHJouZrQV3xZA',
   'W0uABBrDSxOOyBymrEqlHXm31qzZcmzTUoRyj9nde9syxoAw'),
  ('an Anthropic key', '401 for sk-ant-api03-G4ZgzWbmHGJR1m4jfXuX8v-h2-1KZNUK9IKLdbFfu0XgOYgOjC29GFfm7sFog16pAgTtpU4r16H1UrLqE9oNTJIyJEyFzAA',
   'G4ZgzWbmHGJR1m4jfXuX8v'),
  ('a GitLab token', 'clone with glpat-fhbIH2denCJjluEV99TA', 'glpat-fhbIH2denCJjluEV99TA'),
  ('an npm token', '//registry.npmjs.org/:_authToken npm_vvFVi13eZhCZ0N1XXnCBVqyZjxjP1MusJWV0', 'npm_vvFVi13eZhCZ0N1XXnCBVqyZjxjP1MusJWV0'),
  ('a Twilio API key', 'twilio SK5db3ea22dfe9029629fa947bab3ae8e9 denied', 'SK5db3ea22dfe9029629fa947bab3ae8e9'),
  ('a webhook signing secret', 'verify with whsec_6OCZFkUUdUYXyVXtwwl6KcChuLc2iNkQ', 'whsec_6OCZFkUUdUYXyVXtwwl6KcChuLc2iNkQ'),
  ('a fine-grained GitHub token', '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',
   'FFIZUeTN6cAW0Qw2aZy1f4D9IObHxTaZhA7A6jpVkOyRkunyBHsr4dEtUht'),
  ('pwd=', 'mysql -u shop pwd=Tr0ub4dor&3', 'Tr0ub4dor'),
  ('a URL-encoded password', 'POST /reset body password%3Dc0rrect-h0rse%26next%3D%2F', 'c0rrect-h0rse'),
  ('passwd and a value', 'login failed: passwd hunter2 rejected', 'hunter2'),
  ('token and a value', 'refresh with token 8f3a2b9c1d expired', '8f3a2b9c1d'),
  ('an Azure connection string',
   'DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==;EndpointSuffix=core.windows.net',
   'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA');

SELECT is_empty($$SELECT label FROM secret
                   WHERE strpos(app.scrub_text(input), secret) > 0 OR strpos(app.scrub_text(input), '[Filtered]') = 0$$,
                'scrub_text: every secret of the corpus is replaced by [Filtered] and nothing of it survives');
SELECT is_empty($$SELECT label FROM secret
                   WHERE strpos(app.scrub_jsonb(jsonb_build_object('extra', jsonb_build_object('note', input),
                                                                   'tags', jsonb_build_array(jsonb_build_array('note', input)),
                                                                   'logentry', jsonb_build_object('params', jsonb_build_array(1, input)))
                                               )::text, secret) > 0$$,
                'scrub_jsonb: the same secrets in nested objects, tag pairs and log parameters are filtered');
SELECT is_empty($$SELECT label FROM secret
                   WHERE strpos(app.scrub_jsonb(jsonb_build_object('note', E'first line\n' || input))::text, secret) > 0$$,
                'a secret after a line break in a JSON string is found (the detector reads JSON text, where it follows \n)');
SELECT is_empty($$SELECT label FROM secret
                   WHERE strpos(app.scrub_jsonb(jsonb_build_object(input, 'value'))::text, secret) > 0$$,
                'a secret used as an object key is filtered too');
SELECT is(app.scrub_text('iban DE56787789328792174218 and DE56 7877 8932 8792 1742 18'), 'iban [Filtered] and [Filtered]',
          'only the IBAN is replaced, compact or spaced');
SELECT is(app.scrub_text('twice: BE50 9729 7926 2243 2026 then'), 'twice: [Filtered] 2026 then',
          'a spaced IBAN followed by a number: the IBAN goes, the number stays');

-- == Numbers as well as strings ==

SELECT is(app.scrub_jsonb('{"card": 4007540091714527, "amount": 4200, "ids": [6011188049170316, 17]}'),
          '{"card": "[Filtered]", "amount": 4200, "ids": ["[Filtered]", 17]}',
          'a card number sent as a JSON number becomes the string [Filtered]; other numbers stay numbers');
SELECT is(app.scrub_jsonb('4007540091714527'), '"[Filtered]"', 'a bare JSON number is checked too');

-- == Headers as [name, value] pairs: a key rule applies to the name ==

SELECT is(app.scrub_jsonb('{"headers": [["Authorization", "Basic dXNlcjpwYXNz"], ["X-Auth-Token", "t-9"], ["Cookie", "sid=1"], ["Accept", "text/html"], ["X-Count", 3]]}'),
          '{"headers": [["Authorization", "[Filtered]"], ["X-Auth-Token", "[Filtered]"], ["Cookie", "[Filtered]"], ["Accept", "text/html"], ["X-Count", 3]]}',
          'the value of a pair named like a key is filtered, other pairs are kept');
SELECT is(app.scrub_jsonb('{"flags": ["auth", "billing"]}'), '{"flags": ["auth", "billing"]}',
          'a plain two-string list is not a pair (only arrays of pairs are)');

-- == URLs: + and %20 are spaces, encoded pairs are pairs ==

SELECT is(app.scrub_url('https://shop.test/cb?note=Bearer+abc123def&page=2'), 'https://shop.test/cb?note=Bearer+[Filtered]&page=2',
          'Bearer+token in a query is a bearer token');
SELECT is(app.scrub_url('https://shop.test/pay?c=4007+5400+9171+4527&page=2'), 'https://shop.test/pay?c=[Filtered]&page=2',
          'a card number with + for spaces is found');
SELECT is(app.scrub_url('https://shop.test/k?pem=-----BEGIN+RSA+PRIVATE+KEY-----%0AMIIEowIBAAKCAQEA3Tz2'), 'https://shop.test/k?pem=[Filtered]',
          'a PEM block with + for spaces is found');
SELECT is(app.scrub_url('https://shop.test/a%20b/c?next=%2Freset%3Fpassword%3Dhunter2&x=1'),
          'https://shop.test/a%20b/c?next=%2Freset%3Fpassword%3D[Filtered]&x=1',
          'a URL-encoded password pair inside a parameter is filtered; the rest of the URL is kept as sent');

-- == Harmless look-alikes are kept ==

CREATE TEMP TABLE harmless (input text);
INSERT INTO harmless VALUES
  ('IBAN DE56787789328792174219 has a wrong check digit'), ('trace de56787789328792174218aa0bc1ef2 is hex'),
  ('not numbers of a person: 000-12-3456, 666-12-3456, 912-34-5678, 123-00-4567, 123-45-0000 and 123-45 6789'),
  ('order 4007540091714528 fails Luhn; version 4007.5400 and 2026-11-28'),
  ('token expired.'), ('Password must be at least 8 characters long'), ('session (/srv/app/session.js:3:9)'),
  ('at TokenService.validate(TokenService.java:42)'), ('classname=CheckoutForm'), ('risk-score-calculation-engine failed'),
  ('Task sk-long-running-report is slow'), ('msg.length is 12');
SELECT is_empty($$SELECT input FROM harmless WHERE app.scrub_text(input) <> input$$,
                'wrong check digits, impossible SSNs, Luhn failures, prose after key words, file locations and key words inside words are kept');

-- == Key rules ==

SELECT is(app.scrub_jsonb('{"pwd": "x1", "DB_PWD": "x2", "ssn": "078051120", "user_ssn": 78051120, "classname": "Form", "AccountKey": "k"}'),
          '{"pwd": "[Filtered]", "DB_PWD": "[Filtered]", "ssn": "[Filtered]", "user_ssn": "[Filtered]", "classname": "Form", "AccountKey": "[Filtered]"}',
          'pwd, ssn (as a word, not inside classname) and Azure account keys are key rules');

-- == The fast path: clean text is answered by one detector pass ==

CREATE TEMP TABLE clean (input text);
INSERT INTO clean VALUES
  ('Payment provider timed out after 30s for order 12345'), ('User 3f2504e0-4f89-11d3-9a0c-0305e82c3301 from 10.0.0.1 failed'),
  ('trace_id 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7'), ('commit 9fceb02d0ae598e95dc970b74767f19372d61af8'),
  ('at onPay (https://shop.example.com/assets/app.3f9a1c.js:24:68)'), ('GET /api/orders/98765?expand=items 503'),
  ('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'),
  ('timestamp 1795874289980'), ('Could not connect to db-1:5432 after 3 attempts'), ('session expired, please log in');
SELECT is_empty($$SELECT input FROM clean WHERE input ~ ANY (app._scrub_detectors('pgwarden.scrub_text_detector'))$$,
                'ids, hashes, trace ids, user agents, timestamps and prose do not trip the text detector');
SELECT is_empty($$SELECT input FROM clean WHERE to_jsonb(input)::text ~ ANY (app._scrub_detectors('pgwarden.scrub_json_detector'))
                    AND input !~* 'session'$$,
                '... nor the JSON detector (except where a key word appears: a key may be any text)');
SELECT is_empty($$SELECT label FROM secret WHERE NOT input ~ ANY (app._scrub_detectors('pgwarden.scrub_text_detector'))$$,
                'every secret of the corpus trips the text detector');

-- == Texts made of pairs: each pair is scrubbed, however many there are ==

-- (found in one pass over the text: a search per pair from its offset took seconds on 16 KB)
CREATE TEMP TABLE dense AS
  SELECT 'login failed ' || string_agg('auth=s' || n || 'x', ' ' ORDER BY n) AS pairs,
         string_agg('token t0k3n' || n || 'y', ' ' ORDER BY n) AS spaced,
         string_agg('password=p' || n || 'w&passwd pw' || n || 'secret, ', '' ORDER BY n) AS mixed
    FROM generate_series(1, 2300) AS n;
SELECT is((SELECT app.scrub_text(pairs) FROM dense), 'login failed ' || rtrim(repeat('auth=[Filtered] ', 2300)),
          '2,300 key=value pairs (16 KB): every value is [Filtered]');
SELECT is((SELECT app.scrub_text(spaced) FROM dense), rtrim(repeat('token [Filtered] ', 2300)),
          '2,300 key word, space, value pairs: every value is [Filtered]');
SELECT is((SELECT app.scrub_text(mixed) FROM dense), repeat('password=[Filtered]&passwd [Filtered], ', 2300),
          'both kinds interleaved: every value is [Filtered]');

-- thousands of distinct card numbers and IBANs, each checked and replaced where it is
CREATE TEMP TABLE numbers AS
  SELECT string_agg(c.card || ' DE' || lpad((98 - (c.bban || '131400')::numeric % 97)::text, 2, '0') || c.bban, ' ' ORDER BY c.n)
           AS text
    FROM (SELECT n, lpad((n * 7919)::text, 18, '0') AS bban,
                 (SELECT b.body || d FROM generate_series(0, 9) AS d WHERE app.luhn_valid(b.body || d)) AS card
            FROM generate_series(1, 2000) AS n
           CROSS JOIN LATERAL (SELECT '4' || lpad((n * 104729)::text, 14, '0') AS body) AS b) AS c;
SELECT is((SELECT app.scrub_text(text) FROM numbers), rtrim(repeat('[Filtered] ', 4000)),
          '2,000 card numbers and 2,000 IBANs, all different (92 KB): each is [Filtered]');

-- An e-mail or IP address after a key word and a space is personal data, for the organization's
-- policy to keep, hash or drop (db/functions/app/315_personal_data.sql), not a secret; as the value
-- of a key=value pair it is the secret.
SELECT results_eq($$SELECT app.scrub_text(t) FROM unnest(ARRAY[
                      'auth bob@example.com failed', 'session 203.0.113.7 expired', 'token 2001:db8::7.',
                      'password=bob@example.com', 'session: 203.0.113.7']) WITH ORDINALITY AS x(t, i) ORDER BY i$$,
                  $$VALUES ('auth bob@example.com failed'), ('session 203.0.113.7 expired'), ('token 2001:db8::7.'),
                           ('password=[Filtered]'), ('session: [Filtered]')$$,
                  'an address after a key word is left to the personal-data policy; the value of a pair is not');

-- == Rules that would break scrubbing are refused ==

SELECT throws_ok($$INSERT INTO app.scrub_rule (kind, pattern, description) VALUES ('key', 'pass(code)', 'grouped')$$,
                 'QV001', NULL, 'a key pattern with a capturing group is refused (pairs are found whole)');

SELECT throws_ok($$INSERT INTO app.scrub_rule (kind, pattern, replacement, validator, detect, description)
                   VALUES ('value', '\m(4[0-9]{15})\M', '[Filtered]', 'luhn', '4[0-9]{15}', 'grouped')$$,
                 'QV001', NULL, 'a validated pattern with a capturing group is refused (a validator reads matches whole)');
SELECT throws_ok($$INSERT INTO app.scrub_rule (kind, pattern, replacement, description) VALUES ('value', '(?i)secretword', '[x]', 'no detect')$$,
                 'QV001', NULL, 'a pattern with an embedded option needs a detect (it cannot join the combined detector)');
SELECT throws_ok($$INSERT INTO app.scrub_rule (kind, pattern, replacement, detect, description) VALUES ('value', 'abc', '[x]', '(unclosed', 'bad')$$,
                 'QV001', NULL, 'a detect that does not compile is refused');
SELECT lives_ok($$INSERT INTO app.scrub_rule (kind, pattern, replacement, validator, detect, description)
                  VALUES ('value', '(?i)\mDE[0-9]{20}\M', '[de]', 'iban', 'de[0-9]{20}', 'a narrower IBAN rule')$$,
                'a validated pattern with an embedded option and a detect is accepted');

SELECT * FROM finish();
ROLLBACK;
