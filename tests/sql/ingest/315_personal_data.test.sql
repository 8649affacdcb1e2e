-- Personal data: what keep, hash and drop make of e-mail addresses, IP addresses and user ids, in
-- texts, user ids and JSON at any depth; what is not an address stays; grouping reads one placeholder.
BEGIN;
SELECT plan(49);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B');

-- policies by name: hash (A's key), hash_b (B's key), keep, drop
CREATE FUNCTION pg_temp.policy(p_name text) RETURNS app.personal_data_policy
LANGUAGE sql AS $$
  SELECT (p.organization_id, coalesce(a.action, 'hash'), coalesce(a.action, 'hash'), coalesce(a.action, 'hash'),
          p.hash_key, p.updated_at, p.updated_by)::app.personal_data_policy
    FROM app.personal_data_policy p
    LEFT JOIN (SELECT p_name::app.personal_data_action AS action WHERE p_name IN ('keep', 'drop')) AS a ON true
   WHERE p.organization_id = CASE WHEN p_name = 'hash_b' THEN '00000000-0000-0000-0000-00000000000b'::uuid
                                  ELSE '00000000-0000-0000-0000-00000000000a'::uuid END
$$;
CREATE FUNCTION pg_temp.text(p_policy text, p_text text) RETURNS text
LANGUAGE sql AS $$ SELECT app.personal_data_text(pg_temp.policy(p_policy), p_text) $$;

-- == Every organization has a policy: hash, with a key of its own ==

SELECT results_eq($$SELECT email::text, ip_address::text, user_id::text FROM app.personal_data_policy
                     WHERE organization_id IN ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000b')$$,
                  $$VALUES ('hash', 'hash', 'hash'), ('hash', 'hash', 'hash')$$,
                  'a new organization gets a policy row: hash for e-mail addresses, IP addresses and user ids');
SELECT isnt((SELECT hash_key FROM app.personal_data_policy WHERE organization_id = '00000000-0000-0000-0000-00000000000a'),
            (SELECT hash_key FROM app.personal_data_policy WHERE organization_id = '00000000-0000-0000-0000-00000000000b'),
            'each organization has its own random key');

-- == E-mail addresses ==

SELECT matches(pg_temp.text('hash', 'login failed for bob@example.com'), '^login failed for \[email:[0-9a-f]{12}\]$',
               'hash: an e-mail address becomes [email:<12 hex digits>]');
SELECT is(pg_temp.text('hash', 'Bob@Example.COM'), pg_temp.text('hash', 'bob@example.com'),
          'hash: the same address in another case gives the same token');
SELECT is(substr(pg_temp.text('hash', 'to bob@example.com.'), 4, 20), pg_temp.text('hash', 'bob@example.com'),
          'hash: the token does not depend on the text around it');
SELECT isnt(pg_temp.text('hash', 'bob@example.com'), pg_temp.text('hash_b', 'bob@example.com'),
            'hash: another organization gets another token for the same address');
SELECT isnt(pg_temp.text('hash', 'bob@example.com'), pg_temp.text('hash', 'alice@example.com'),
            'hash: another address gets another token');
SELECT is(pg_temp.text('drop', 'login failed for bob@example.com'), 'login failed for [email]', 'drop: [email]');
SELECT is(pg_temp.text('keep', 'login failed for bob@example.com'), 'login failed for bob@example.com', 'keep: as sent');
SELECT is(pg_temp.text('hash', 'https://shop.test/reset?email=bob%40example.com&step=2'),
          'https://shop.test/reset?email=' || pg_temp.text('hash', 'bob@example.com') || '&step=2',
          'a %40-encoded address in a URL hashes like the address itself');
SELECT is(pg_temp.text('drop', 'mailto:jane.doe+shop@mail.example.co.uk, ok'), 'mailto:[email], ok',
          'dots, plus and subdomains are part of the address');

-- == IP addresses ==

SELECT matches(pg_temp.text('hash', 'from 203.0.113.7'), '^from \[ip:[0-9a-f]{12}\]$', 'hash: an IPv4 address becomes [ip:…]');
SELECT is(pg_temp.text('drop', 'X-Forwarded-For: 203.0.113.7, 198.51.100.2'), 'X-Forwarded-For: [ip], [ip]',
          'drop: every address of a forwarded-for list');
SELECT is(pg_temp.text('drop', 'GET http://10.0.0.5:8080/api failed'), 'GET http://[ip]:8080/api failed', 'an IPv4 URL host');
SELECT results_eq($$SELECT pg_temp.text('drop', t) FROM unnest(ARRAY['2001:0db8:85a3:0000:0000:8a2e:0370:7334', '2001:db8::8a2e:370:7334',
                      '::2', 'fe80::1%eth0', 'http://[2001:db8::1]:443/', '::ffff:192.0.2.1']) WITH ORDINALITY AS x(t, n) ORDER BY n$$,
                  $$VALUES ('[ip]'), ('[ip]'), ('[ip]'), ('[ip]%eth0'), ('http://[[ip]]:443/'), ('::ffff:[ip]')$$,
                  'IPv6: full, compressed, with a zone, as a URL host, IPv4-mapped');
SELECT is(pg_temp.text('drop', 'http://127.0.0.1:3000/ or http://[::1]:8080/, bound to 0.0.0.0 and ::'),
          'http://127.0.0.1:3000/ or http://[::1]:8080/, bound to 0.0.0.0 and ::',
          'loopback and unspecified addresses name no one: they stay');
SELECT is(pg_temp.text('drop', repeat('10.0.0.1 bob@x.io fe80::7 ', 3000)), repeat('[ip] [email] [ip] ', 3000),
          'thousands of addresses in one text: each one replaced');
SELECT is(pg_temp.text('hash', '2001:DB8::1'), pg_temp.text('hash', '2001:db8::1'), 'hash: IPv6 in either case, one token');
SELECT is(pg_temp.text('keep', 'from 203.0.113.7 and fe80::1'), 'from 203.0.113.7 and fe80::1', 'keep: as sent');
SELECT isnt(pg_temp.text('hash', '203.0.113.7'), pg_temp.text('hash_b', '203.0.113.7'), 'hash: another organization, another token');

SELECT is_empty($$SELECT t FROM unnest(ARRAY['bob@example.com', 'Bob@Example.COM', 'email=bob%40example.com',
                      'mailto:jane.doe+shop@mail.example.co.uk', '203.0.113.7', 'http://10.0.0.5:8080/api', '/10.0.0.5',
                      '2001:0db8:85a3:0000:0000:8a2e:0370:7334', '2001:db8::8a2e:370:7334', '::2', 'fe80::1%eth0',
                      '1abc:def::ab', '[2001:db8::1]', '::ffff:192.0.2.1']) AS t
                   WHERE NOT app._personal_data_suspect(t) OR pg_temp.text('drop', t) = t$$,
                'the detector flags every address form (the fast path never skips one)');

-- == Not addresses: left alone ==

CREATE TEMP TABLE not_personal (label text, input text, detector_passes boolean);
INSERT INTO not_personal VALUES
  ('a Chrome user agent', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36', true),
  ('Rust and C++ paths', 'std::fmt::Display at core::ops::function::FnOnce', true),
  ('Ruby and PHP scopes', 'Foo::Bar#baz in App\Http\Controller::index', true),
  ('Gecko stack frames with URLs', E'fn@https://shop.test/static/app.js:1:2\n@debugger eval code:1:1', true),
  ('a clock time and a V8 frame', 'at 12:30:45.123 at render (https://shop.test/static/app.js:100:17)', true),
  ('a scoped npm package', 'node_modules/@sentry/browser/index.js and react-dom@18.2.0', true),
  ('a four-part version', 'v1.2.3.4 and release 1.2.3.4.5 and 1.2.3.456', false),
  ('an octet over 255', 'value 256.1.1.1', false),
  ('a name ending in a digit before ::', 'Vec2::new and ec2::client', false),
  ('a Gecko frame of a relative file', 'handleClick@app.js:10:5', false),
  ('a MAC address', 'from 00:1a:2b:3c:4d:5e', false);
SELECT is_empty($$SELECT label FROM not_personal WHERE pg_temp.text('drop', input) <> input$$,
                'versions, scopes, stack frames, times and MAC addresses are no addresses');
SELECT is_empty($$SELECT label FROM not_personal WHERE detector_passes AND app._personal_data_suspect(input)$$,
                'the common ones pass the detector: one regex, no slow path');

-- == User ids ==

SELECT matches(app.personal_data_user_id(pg_temp.policy('hash'), 'u-4711'), '^\[user:[0-9a-f]{12}\]$', 'hash: [user:…]');
SELECT is(app.personal_data_user_id(pg_temp.policy('hash'), 'u-4711'), app.personal_data_user_id(pg_temp.policy('hash'), 'u-4711'),
          'hash: stable, so distinct users still count');
SELECT isnt(app.personal_data_user_id(pg_temp.policy('hash'), 'u-4711'), app.personal_data_user_id(pg_temp.policy('hash_b'), 'u-4711'),
            'hash: another organization, another token');
SELECT is(app.personal_data_user_id(pg_temp.policy('drop'), 'u-4711'), NULL, 'drop: a user id becomes NULL (no user)');
SELECT is(app.personal_data_user_id(pg_temp.policy('keep'), 'u-4711'), 'u-4711', 'keep: as sent');
SELECT is(app.personal_data_user_id(pg_temp.policy('hash'), 'bob@example.com'), pg_temp.text('hash', 'bob@example.com'),
          'a user id that is an e-mail address is hashed as one (the same token as in the message)');
SELECT is(app.personal_data_user_id(pg_temp.policy('hash'), '203.0.113.7'), pg_temp.text('hash', '203.0.113.7'),
          'a user id that is an IP address is hashed as one');
SELECT is(app.personal_data_user_id(
            (SELECT (p.organization_id, 'drop', 'keep', 'keep', p.hash_key, p.updated_at, p.updated_by)::app.personal_data_policy
               FROM app.personal_data_policy p WHERE p.organization_id = '00000000-0000-0000-0000-00000000000a'),
            'bob@example.com'), NULL,
          'an e-mail user id follows the e-mail setting even when user ids are kept');
SELECT isnt(app.personal_data_user_id(pg_temp.policy('hash'), 'bob'), replace(pg_temp.text('hash', 'bob@x.io'), 'email', 'user'),
            'kinds never share a token');

-- == JSON at any depth ==

CREATE TEMP TABLE sentry_metadata AS SELECT jsonb_build_object(
  'user', jsonb_build_object('id', 42, 'email', 'bob@example.com', 'ip_address', '2001:db8::1', 'username', 'bob@example.com',
                             'name', 'Bob'),
  'request', jsonb_build_object('headers', jsonb_build_array(jsonb_build_array('X-Forwarded-For', '203.0.113.7'),
                                                             jsonb_build_array('Accept', 'text/html')),
                                'url', 'https://shop.test/?email=bob%40example.com'),
  'contexts', jsonb_build_object('client', jsonb_build_object('X-Real-IP', '198.51.100.2')),
  'tags', jsonb_build_object('customer', 'bob@example.com', 'plan', 'pro'),
  'breadcrumbs', jsonb_build_array(jsonb_build_object('message', 'signed in as bob@example.com', 'category', 'auth'),
                                   jsonb_build_object('data', jsonb_build_object('url', 'http://10.0.0.5/api', 'status_code', 200))),
  'extra', jsonb_build_object('bob@example.com', 'an address as a key', 'userId', 'u-4711', 'count', 3)) AS doc;
CREATE TEMP TABLE hashed_metadata AS SELECT app.personal_data_jsonb(pg_temp.policy('hash'), doc) AS doc FROM sentry_metadata;

SELECT unalike(doc::text, '%' || canary || '%', 'hash: nothing of ' || canary || ' is left in the JSON')
  FROM hashed_metadata, unnest(ARRAY['bob@example', 'bob%40', '2001:db8', '203.0.113', '198.51.100', '10.0.0.5', 'u-4711']) AS canary;
SELECT is(doc #>> '{user,email}', pg_temp.text('hash', 'bob@example.com'), 'user.email is hashed like the address anywhere else')
  FROM hashed_metadata;
SELECT is(doc #>> '{user,username}', doc #>> '{user,email}', 'user.username that is an e-mail address too') FROM hashed_metadata;
SELECT is(doc #>> '{user,id}', app.personal_data_user_id(pg_temp.policy('hash'), '42'), 'user.id (a number) is hashed as a user id')
  FROM hashed_metadata;
SELECT is(doc #>> '{extra,userId}', app.personal_data_user_id(pg_temp.policy('hash'), 'u-4711'), 'a userId key holds a user id')
  FROM hashed_metadata;
SELECT ok(doc -> 'extra' ? pg_temp.text('hash', 'bob@example.com'), 'an address as a key is replaced by its token') FROM hashed_metadata;
SELECT is(doc #> '{request,headers,1}', '["Accept", "text/html"]', 'members without personal data are kept as they were')
  FROM hashed_metadata;
SELECT is(doc #>> '{user,name}', 'Bob', 'other user fields stay (only e-mail and IP addresses and user ids are in scope)')
  FROM hashed_metadata;
SELECT is((SELECT app.personal_data_jsonb(pg_temp.policy('drop'), doc) FROM sentry_metadata) #> '{user,id}', 'null',
          'drop: a user id in JSON becomes null');
SELECT is((SELECT app.personal_data_jsonb(pg_temp.policy('keep'), doc) FROM sentry_metadata), (SELECT doc FROM sentry_metadata),
          'keep: the JSON is unchanged');

-- == Grouping reads one placeholder whatever the policy ==

SELECT results_eq($$SELECT app.personal_data_grouping_text(pg_temp.text(p, '/home/bob@example.com/app.py on 10.0.0.5 and fe80::1'))
                      FROM unnest(ARRAY['keep', 'hash', 'hash_b', 'drop']) AS p$$,
                  $$VALUES ('/home/<email>/app.py on <ip> and <ip>'), ('/home/<email>/app.py on <ip> and <ip>'),
                           ('/home/<email>/app.py on <ip> and <ip>'), ('/home/<email>/app.py on <ip> and <ip>')$$,
                  'an address, its token and its drop marker read <email> and <ip> for grouping');

SELECT * FROM finish();
ROLLBACK;
