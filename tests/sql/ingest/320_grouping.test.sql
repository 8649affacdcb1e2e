-- Grouping: which events are the same error (reference/sentry.md §3 and the §14 vectors).
BEGIN;
SELECT plan(67);

-- == Message normalization: the §14 vectors, then one per placeholder class ==

SELECT is(app.normalize_message('Payment provider timed out after 30s for order 12345'),
          'Payment provider timed out after <duration> for order <int>', '§14: durations and ints become placeholders');
SELECT is(app.normalize_message('User 3f2504e0-4f89-11d3-9a0c-0305e82c3301 from 10.0.0.1 failed'),
          'User <uuid> from <ip> failed', '§14: UUIDs and IPv4 addresses become placeholders');

SELECT results_eq(
  $$SELECT app.normalize_message(input) FROM (VALUES
      (1, 'order 42 of -7 items'),
      (2, 'ratio 3.14159 too high'),
      (3, 'request 3F2504E0-4F89-11D3-9A0C-0305E82C3301 lost'),
      (4, 'pointer 0x7f69671bed50 freed'),
      (5, 'commit 3f9a1c2b4d5e6f708192a3b4c5d6e7f8091a2b3c missing'),
      (6, 'trace 4bf92f3577b34da6a3ce929d0e0e4736 dropped'),
      (7, 'peer 2001:db8::8a2e:370:7334 and ::1 and fe80::1ff:fe23:4567:890a reset'),
      (8, 'bounce from jane.doe+shop@example.co.uk'),
      (9, 'GET https://api.example.com/v1/orders/12345?expand=items failed'),
      (10, 'at 2026-11-28T13:57:14.594176Z, 2026-11-28 and 13:57:14'),
      (11, 'since Mon, 02 Jan 2006 15:04:05 GMT'),
      (12, 'took 250ms, then 1.5s, then 2h'),
      (13, 'image 1920x1080 too large'),
      (14, 'KeyError: ''coupon'' in "checkout"'),
      (15, 'can''t open user''s cart')
    ) AS t(n, input) ORDER BY n$$,
  $$VALUES ('order <int> of <int> items'), ('ratio <float> too high'), ('request <uuid> lost'),
           ('pointer <hex> freed'), ('commit <hex> missing'), ('trace <hex> dropped'),
           ('peer <ip> and <ip> and <ip> reset'), ('bounce from <email>'), ('GET <url> failed'),
           ('at <date>, <date> and <date>'), ('since <date>'), ('took <duration>, then <duration>, then <duration>'),
           ('image <int>x<int> too large'), ('KeyError: <quoted> in <quoted>'), ('can''t open user''s cart')$$,
  'each placeholder class: int, float, uuid, hex, ip (v6), email, url, date, duration, NxM, quoted (not apostrophes)');

SELECT is(app.normalize_message(E'first line 1\n\n  second line 2\nthird line 3\nfourth'),
          E'first line <int>\nsecond line <int>...', 'only the first two non-empty lines count, like Sentry');
SELECT is(app.normalize_message('user_42 hit abc123 on v1'), 'user_42 hit abc123 on v1',
          'numbers glued to words stay (they are names, not values)');
SELECT is(app.normalize_message(NULL), NULL, 'NULL stays NULL');

-- == Fingerprint shape and inputs ==

SELECT matches(app.error_fingerprint('api', 'boom'), '^[0-9a-f]{64}$', 'the hash is 64 lowercase hex characters (SHA-256)');
SELECT is(app.error_fingerprint('api', 'Payment provider timed out after 30s for order 12345'),
          app.error_fingerprint('api', 'Payment provider timed out after 5s for order 99'),
          'messages that differ only in parameters group together');
SELECT isnt(app.error_fingerprint('api', 'Payment provider timed out'), app.error_fingerprint('network', 'Payment provider timed out'),
            'the error type is part of the group');
SELECT isnt(app.error_fingerprint('api', 'Payment provider timed out'), app.error_fingerprint('api', 'Payment provider declined'),
            'different messages are different groups');
SELECT is(app.error_fingerprint('api', 'Payment provider timed out after 30s', NULL, ARRAY['{{ default }}', 'eu']),
          app.error_fingerprint('api', 'Payment provider timed out after 30s', '[]', ARRAY['{{ default }}', 'eu']),
          'an event without frames hashes as one whose stack has no frame (its shortcut skips reducing the stack)');
SELECT is(app.error_fingerprint('api', 'Payment provider timed out after 30s'),
          app.error_fingerprint('api', 'Payment provider timed out after 30s', '[]'),
          'so does one without a client fingerprint');

-- §14: a logging template wins over its formatted text
SELECT is(app.error_fingerprint('database', 'Could not connect to primary', NULL, NULL, 'Could not connect to %s'),
          app.error_fingerprint('database', 'Could not connect to replica', NULL, NULL, 'Could not connect to %s'),
          '§14: the same logentry template with different params is one group');
SELECT isnt(app.error_fingerprint('database', 'Could not connect to primary'),
            app.error_fingerprint('database', 'Could not connect to replica'),
            'without the template those formatted messages would be two groups');

-- == Frames: Sentry-shaped, as the Python SDK sends them (reference/sample-envelope-python.txt) ==

CREATE TEMP TABLE python_frames AS SELECT
  '[{"filename": "sentry_probe.py", "abs_path": "/srv/app/sentry_probe.py", "function": "<module>", "module": "__main__", "lineno": 27, "in_app": true},
    {"filename": "sentry_probe.py", "abs_path": "/srv/app/sentry_probe.py", "function": "inner", "module": "__main__", "lineno": 25, "in_app": true,
     "vars": {"x": "0", "local_secret": "''not-a-secret''"}}]'::jsonb AS frames;

SELECT is(app.error_fingerprint('runtime', 'ZeroDivisionError: division by zero', frames),
          app.error_fingerprint('runtime', 'ZeroDivisionError: division by zero',
                                jsonb_set(jsonb_set(frames, '{0,lineno}', '31'), '{1,lineno}', '29')),
          '§14: the same in-app frames with other line numbers are one group')
  FROM python_frames;
SELECT is(app.error_fingerprint('runtime', 'KeyError: ''a''', frames), app.error_fingerprint('runtime', 'KeyError: ''b''', frames),
          '§14: the same stack with another exception value is one group')
  FROM python_frames;
SELECT isnt(app.error_fingerprint('runtime', 'KeyError: ''a''', frames), app.error_fingerprint('runtime', 'ValueError: bad', frames),
            'the same stack with another exception class is another group (Sentry: type + stack)')
  FROM python_frames;
SELECT isnt(app.error_fingerprint('runtime', 'ZeroDivisionError: division by zero', frames),
            app.error_fingerprint('runtime', 'ZeroDivisionError: division by zero', jsonb_set(frames, '{1,function}', '"outer"')),
            'another in-app function is another group')
  FROM python_frames;
SELECT is(app.error_fingerprint('runtime', 'ZeroDivisionError: division by zero', frames),
          app.error_fingerprint('runtime', 'ZeroDivisionError: division by zero',
            frames || '[{"filename": "/usr/lib/python3.11/site-packages/httpx/_client.py", "function": "send", "lineno": 1014, "in_app": false}]'),
          'library frames do not change the group when the stack has in-app frames')
  FROM python_frames;
SELECT isnt(app.error_fingerprint('runtime', 'ZeroDivisionError: division by zero', frames),
            app.error_fingerprint('runtime', 'ZeroDivisionError: division by zero'),
            'a stack groups differently from the bare message')
  FROM python_frames;

-- no frame in app: all frames count (Sentry's system variant), still not line numbers nor the value
SELECT is(app.error_fingerprint('javascript', 'x is not defined',
            '[{"filename": "/srv/app/node_modules/lib/a.js", "function": "run", "lineno": 1}, {"filename": "node:internal/timers", "function": "listOnTimeout", "lineno": 569}]'),
          app.error_fingerprint('javascript', 'y is not defined',
            '[{"filename": "/srv/app/node_modules/lib/a.js", "function": "run", "lineno": 9}, {"filename": "node:internal/timers", "function": "listOnTimeout", "lineno": 581}]'),
          'when no frame is in app, all frames group (without line numbers or the message)');
SELECT isnt(app.error_fingerprint('javascript', 'x is not defined',
              '[{"filename": "/srv/app/node_modules/lib/a.js", "function": "run", "lineno": 1}]'),
            app.error_fingerprint('javascript', 'x is not defined',
              '[{"filename": "/srv/app/node_modules/lib/b.js", "function": "run", "lineno": 1}]'),
            'when no frame is in app, another library file is another group');

-- JavaScript: host, query string and the build's content hash do not split a group
SELECT is(app.error_fingerprint('javascript', 'TypeError: x', '[{"filename": "https://shop.example.com/assets/app.3f9a1c.js", "function": "onPay", "lineno": 24}]'),
          app.error_fingerprint('javascript', 'TypeError: x', '[{"filename": "https://cdn.example.net/assets/app.9b8e7d01.js?v=2", "function": "onPay", "lineno": 31}]'),
          'a new deploy (content hash), CDN host or cache-busting query is the same group');
SELECT is(app.error_fingerprint('javascript', 'TypeError: x', '[{"filename": "https://shop.example.com/assets/index-BpZ0f2xK.js", "function": "Object.onPay", "lineno": 2}]'),
          app.error_fingerprint('javascript', 'TypeError: x', '[{"filename": "https://shop.example.com/assets/index-Cq7aYw3L.js", "function": "onPay", "lineno": 2}]'),
          'a Vite-style hash and an Object. prefix do not split a group');
SELECT isnt(app.error_fingerprint('javascript', 'TypeError: x', '[{"filename": "https://shop.example.com/assets/app.js", "function": "onPay", "lineno": 24}]'),
            app.error_fingerprint('javascript', 'TypeError: x', '[{"filename": "https://shop.example.com/assets/cart.js", "function": "onPay", "lineno": 24}]'),
            'another file is another group');
SELECT is(app.error_fingerprint('javascript', 'TypeError: x', '[{"module": "shop.checkout", "filename": "a.js", "function": "pay", "in_app": true}]'),
          app.error_fingerprint('javascript', 'TypeError: x', '[{"module": "shop.checkout", "filename": "b.js", "function": "pay", "in_app": true}]'),
          'a module name takes precedence over the file name');

-- Garbage frames never fail a capture
SELECT lives_ok($$SELECT app.error_fingerprint('unknown', 'x', '[1, "two", null, {"in_app": "yes", "lineno": "NaN"}, {}]')$$,
                'frames of the wrong shape are ignored, not an error');
SELECT is(app.error_fingerprint('unknown', 'x', '{"frames": [{"filename": "/srv/a.py", "function": "f"}]}'),
          app.error_fingerprint('unknown', 'x', '[{"filename": "/srv/a.py", "function": "f"}]'),
          'a Sentry stacktrace object {"frames": [...]} is accepted too');
SELECT is(app.error_fingerprint('unknown', 'boom', '[]'), app.error_fingerprint('unknown', 'boom'),
          'an empty frame list falls back to the message');

-- == Client fingerprints (§14: {{ default }}) ==

SELECT isnt(app.error_fingerprint('api', 'boom', NULL, ARRAY['{{ default }}', 'tenant-7']), app.error_fingerprint('api', 'boom'),
            '§14: {{ default }} + tenant-7 differs from the default group');
SELECT isnt(app.error_fingerprint('api', 'boom', NULL, ARRAY['{{ default }}', 'tenant-7']),
            app.error_fingerprint('api', 'boom', NULL, ARRAY['{{ default }}', 'tenant-8']),
            '§14: and each tenant is its own sub-group');
SELECT is(app.error_fingerprint('api', 'boom 12', NULL, ARRAY['{{ default }}', 'tenant-7']),
          app.error_fingerprint('api', 'boom 13', NULL, ARRAY['{{default}}', 'tenant-7']),
          '{{default}} without spaces is the same variable, and it expands to the normalized default');
SELECT is(app.error_fingerprint('api', 'boom', NULL, ARRAY['{{ default }}']), app.error_fingerprint('api', 'boom'),
          '{{ default }} alone is the default group');
SELECT is(app.error_fingerprint('api', 'boom', NULL, ARRAY['checkout-outage']), app.error_fingerprint('network', 'other', NULL, ARRAY['checkout-outage']),
          'a fingerprint without {{ default }} replaces grouping entirely');
SELECT isnt(app.error_fingerprint('api', 'x', NULL, ARRAY['a b']), app.error_fingerprint('api', 'x', NULL, ARRAY['a', 'b']),
            'components are separated unambiguously ("a b" is not "a","b")');
SELECT isnt(app.error_fingerprint('api', 'x', NULL, ARRAY['ab', 'c']), app.error_fingerprint('api', 'x', NULL, ARRAY['a', 'bc']),
            'components are separated unambiguously ("ab","c" is not "a","bc")');
SELECT is(app.error_fingerprint('api', 'boom', NULL, ARRAY[]::text[]), app.error_fingerprint('api', 'boom'),
          'an empty fingerprint list means the default');
SELECT is(app.grouping_components('api', 'Payment failed after 30s'),
          '[["type", "api"], ["message", "Payment failed after <duration>"]]'::jsonb,
          'grouping_components shows why an event grouped where it did');

-- == Stack trace texts ==

-- Chrome (V8); an extension frame is not app code
SELECT is(app.parse_stack_trace(E'TypeError: Cannot read properties of undefined (reading ''coupon'')\n'
  '    at applyCoupon (https://shop.example.com/assets/index-BpZ0f2xK.js:2:44188)\n'
  '    at onPay (https://shop.example.com/assets/index-BpZ0f2xK.js:2:45001)\n'
  '    at HTMLButtonElement.<anonymous> (https://shop.example.com/assets/index-BpZ0f2xK.js:2:45210)\n'
  '    at chrome-extension://fheoggkfdfchfphceeifdbepaooicaho/content.js:1:2043'),
  '[{"filename": "chrome-extension://fheoggkfdfchfphceeifdbepaooicaho/content.js", "module": null, "function": null, "lineno": 1, "colno": 2043, "in_app": false},
    {"filename": "https://shop.example.com/assets/index-BpZ0f2xK.js", "module": null, "function": "HTMLButtonElement.<anonymous>", "lineno": 2, "colno": 45210, "in_app": true},
    {"filename": "https://shop.example.com/assets/index-BpZ0f2xK.js", "module": null, "function": "onPay", "lineno": 2, "colno": 45001, "in_app": true},
    {"filename": "https://shop.example.com/assets/index-BpZ0f2xK.js", "module": null, "function": "applyCoupon", "lineno": 2, "colno": 44188, "in_app": true}]'::jsonb,
  'Chrome: frames oldest first, crashing frame last, extension frames not in app');

-- Node: node:internal, node_modules, async frames and a bare location
CREATE TEMP TABLE node_trace AS SELECT app.parse_stack_trace(E'Error: connect ECONNREFUSED 127.0.0.1:5432\n'
  '    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)\n'
  '    at async Pool.connect (/srv/api/node_modules/pg-pool/index.js:45:11)\n'
  '    at async loadOrder (/srv/api/src/orders/repository.js:18:20)\n'
  '    at async /srv/api/src/routes/checkout.js:33:7\n'
  '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)') AS frames;
SELECT is(jsonb_array_length(frames), 5, 'Node: five frames') FROM node_trace;
SELECT is(frames -> 4 ->> 'function', 'TCPConnectWrap.afterConnect [as oncomplete]', 'Node: the crashing frame is last') FROM node_trace;
SELECT is(frames -> 3, '{"filename": "/srv/api/node_modules/pg-pool/index.js", "module": null, "function": "Pool.connect", "lineno": 45, "colno": 11, "in_app": false}',
          'Node: "at async fn (...)" drops async; node_modules is not in app') FROM node_trace;
SELECT is(frames -> 1, '{"filename": "/srv/api/src/routes/checkout.js", "module": null, "function": null, "lineno": 33, "colno": 7, "in_app": true}',
          'Node: "at async file:line:col" is an anonymous in-app frame') FROM node_trace;
SELECT results_eq($$SELECT (f ->> 'in_app')::boolean FROM node_trace, jsonb_array_elements(frames) WITH ORDINALITY AS e(f, n) ORDER BY n$$,
                  $$VALUES (false), (true), (true), (false), (false)$$, 'Node: node:internal and node:net frames are not in app');

-- Firefox (Gecko) and Safari (WebKit)
SELECT is(app.parse_stack_trace(E'applyCoupon@https://shop.example.com/assets/index-BpZ0f2xK.js:2:44188\n'
  'onPay@https://shop.example.com/assets/index-BpZ0f2xK.js:2:45001\n'
  'EventListener.handleEvent*setup@https://shop.example.com/assets/index-BpZ0f2xK.js:2:45210\n'),
  '[{"filename": "https://shop.example.com/assets/index-BpZ0f2xK.js", "module": null, "function": "EventListener.handleEvent*setup", "lineno": 2, "colno": 45210, "in_app": true},
    {"filename": "https://shop.example.com/assets/index-BpZ0f2xK.js", "module": null, "function": "onPay", "lineno": 2, "colno": 45001, "in_app": true},
    {"filename": "https://shop.example.com/assets/index-BpZ0f2xK.js", "module": null, "function": "applyCoupon", "lineno": 2, "colno": 44188, "in_app": true}]'::jsonb,
  'Firefox: fn@file:line:col frames, oldest first');
SELECT is(app.parse_stack_trace(E'applyCoupon@https://shop.example.com/assets/app.js:2:44188\r\n'
  '@https://shop.example.com/assets/app.js:2:45210\r\n'
  'dispatchEvent@[native code]'),
  '[{"filename": "[native code]", "module": null, "function": "dispatchEvent", "lineno": null, "colno": null, "in_app": false},
    {"filename": "https://shop.example.com/assets/app.js", "module": null, "function": null, "lineno": 2, "colno": 45210, "in_app": true},
    {"filename": "https://shop.example.com/assets/app.js", "module": null, "function": "applyCoupon", "lineno": 2, "colno": 44188, "in_app": true}]'::jsonb,
  'Safari: anonymous frames, [native code] (not in app) and CRLF line ends');

-- Python (the frames of reference/sample-envelope-python.txt as the traceback prints them)
SELECT is(app.parse_stack_trace(E'Traceback (most recent call last):\n'
  '  File "/srv/app/sentry_probe.py", line 27, in <module>\n'
  '    inner(0)\n'
  '  File "/usr/local/lib/python3.11/site-packages/wrapt/wrappers.py", line 598, in __call__\n'
  '    return self._self_wrapper(self.__wrapped__, self._self_instance, args, kwargs)\n'
  '  File "/srv/app/sentry_probe.py", line 25, in inner\n'
  '    return 1 / x\n'
  'ZeroDivisionError: division by zero'),
  '[{"filename": "/srv/app/sentry_probe.py", "module": null, "function": "<module>", "lineno": 27, "colno": null, "in_app": true},
    {"filename": "/usr/local/lib/python3.11/site-packages/wrapt/wrappers.py", "module": null, "function": "__call__", "lineno": 598, "colno": null, "in_app": false},
    {"filename": "/srv/app/sentry_probe.py", "module": null, "function": "inner", "lineno": 25, "colno": null, "in_app": true}]'::jsonb,
  'Python: tracebacks are already oldest first; site-packages is not in app');

SELECT is(app.parse_stack_trace('Something went wrong, no stack here'), '[]'::jsonb, 'text without a stack gives []');
SELECT is(app.parse_stack_trace('Error: mail jane@example.com bounced'), '[]'::jsonb, 'an @ in prose is not a Gecko frame');
SELECT is(app.parse_stack_trace(NULL), '[]'::jsonb, 'NULL gives []');
SELECT ok((app.parse_stack_trace(E'Error\n    at f (/srv/a.js:99999999999:1)') -> 0 ->> 'lineno') IS DISTINCT FROM '99999999999',
          'an absurd line number is not taken as one (and is no error)');
SELECT is(app.stack_frame_in_app('/srv/app/src/x.ts'), true, 'in_app: application paths are app code');
SELECT results_eq($$SELECT app.stack_frame_in_app(f) FROM unnest(ARRAY['moz-extension://abc/x.js', 'safari-web-extension://x/y.js',
                      '/usr/lib/python3/dist-packages/yaml/x.py', '<anonymous>', 'node:internal/x', '/usr/lib/python3.11/json/decoder.py']) f$$,
                  $$VALUES (false), (false), (false), (false), (false), (false)$$,
                  'in_app: extensions, dist-packages, <anonymous>, node:internal and the Python standard library are not');

-- == Parsing and fingerprinting together ==

SELECT is(app.error_fingerprint('javascript', 'TypeError: Cannot read properties of undefined (reading ''coupon'')',
            app.parse_stack_trace(E'TypeError: x\n    at applyCoupon (https://shop.example.com/assets/index-BpZ0f2xK.js:2:44188)\n    at onPay (https://shop.example.com/assets/index-BpZ0f2xK.js:2:45001)')),
          app.error_fingerprint('javascript', 'TypeError: Cannot read properties of undefined (reading ''total'')',
            app.parse_stack_trace(E'TypeError: y\n    at applyCoupon (https://shop.example.com/assets/index-Cq7aYw3L.js:2:51877)\n    at onPay (https://shop.example.com/assets/index-Cq7aYw3L.js:2:52690)')),
          'the same code path after a redeploy (new hash, new columns) and with another value is one group');
SELECT is(app.error_fingerprint('javascript', 'TypeError: x',
            app.parse_stack_trace(E'TypeError: x\n    at applyCoupon (https://shop.example.com/assets/app.js:2:44188)\n    at onPay (https://shop.example.com/assets/app.js:2:45001)')),
          app.error_fingerprint('javascript', 'TypeError: x',
            app.parse_stack_trace(E'applyCoupon@https://shop.example.com/assets/app.js:2:44190\nonPay@https://shop.example.com/assets/app.js:2:45003')),
          'Chrome and Firefox reporting the same code path are one group');
SELECT isnt(app.error_fingerprint('javascript', 'TypeError: x', app.parse_stack_trace(E'TypeError: x\n    at applyCoupon (https://shop.example.com/assets/app.js:2:1)')),
            app.error_fingerprint('javascript', 'TypeError: x', app.parse_stack_trace(E'TypeError: x\n    at removeCoupon (https://shop.example.com/assets/app.js:2:1)')),
            'another crashing function is another group');
SELECT is(app.error_fingerprint('javascript', 'ReferenceError: x is not defined', app.parse_stack_trace('ReferenceError: x is not defined')),
          app.error_fingerprint('javascript', 'ReferenceError: x is not defined'),
          'a stack text without frames groups by message');

-- == Sentry's frame rules: source lines of unnamed frames, recursion, a lone JavaScript frame ==

SELECT isnt(app.grouping_frame_components('[{"filename": "/srv/app/jobs.js", "context_line": "  queue.push(order)", "in_app": true}]'),
            app.grouping_frame_components('[{"filename": "/srv/app/jobs.js", "context_line": "  cache.drop(order)", "in_app": true}]'),
  'two frames without a function name in one file group apart by their source line (Sentry''s context-line)');
SELECT is(app.grouping_frame_components('[{"filename": "/srv/app/jobs.js", "context_line": "\t queue.push(   order) ", "in_app": true}]'),
  '["frame", "/srv/app/jobs.js", null, "queue.push( order)"]', 'the source line counts with its whitespace collapsed');
SELECT is(app.grouping_frame_components('[{"filename": "/srv/app/jobs.js", "function": "run", "context_line": "a()", "in_app": true}]'),
          app.grouping_frame_components('[{"filename": "/srv/app/jobs.js", "function": "run", "context_line": "b()", "in_app": true}]'),
  'a frame with a function name groups by it, not by its source line');
SELECT is(app.grouping_frame_components(jsonb_build_array(jsonb_build_object('filename', '/srv/app/jobs.js', 'in_app', true,
                                                                            'context_line', repeat('x', 121)))),
  '["frame", "/srv/app/jobs.js", null]', 'a source line over 120 characters does not count (minified code)');
SELECT is(app.grouping_frame_components('[{"abs_path": "https://shop.example.com/app.js", "filename": "app.js", "context_line": "a()"},
                                          {"abs_path": "https://shop.example.com/app.js", "filename": "app.js", "function": "main"}]'),
  '["frame", "app.js", null], ["frame", "app.js", "main"]', 'nor does one at a URL without a function name');

SELECT is(app.grouping_frame_components('[{"module": "app.tree", "function": "load", "lineno": 3, "in_app": true},
                                          {"module": "app.tree", "function": "walk", "lineno": 9, "in_app": true},
                                          {"module": "app.tree", "function": "walk", "lineno": 9, "in_app": true},
                                          {"module": "app.tree", "function": "walk", "lineno": 9, "in_app": true},
                                          {"module": "app.tree", "function": "visit", "lineno": 20, "in_app": true}]'),
  '["frame", "app.tree", "load"], ["frame", "app.tree", "walk"], ["frame", "app.tree", "visit"]',
  'a frame repeating the one before it (recursion) counts once, however deep');
SELECT is(app.grouping_frame_components('[{"module": "app.tree", "function": "walk", "lineno": 9, "in_app": true},
                                          {"module": "app.tree", "function": "walk", "lineno": 12, "in_app": true}]'),
  '["frame", "app.tree", "walk"], ["frame", "app.tree", "walk"]', 'the same function called from another line counts again');

SELECT is(app.grouping_frame_components('[{"abs_path": "https://shop.example.com/assets/app.js", "filename": "/assets/app.js", "lineno": 1, "colno": 2048}]'),
  '', 'a JavaScript stack of one unnamed frame at a URL does not count (Sentry''s single-frame rule) …');
SELECT isnt(app.error_fingerprint('javascript', 'TypeError: a is undefined',
                                  '[{"abs_path": "https://shop.example.com/assets/app.js", "lineno": 1, "colno": 2048}]'),
            app.error_fingerprint('javascript', 'TypeError: b is undefined',
                                  '[{"abs_path": "https://shop.example.com/assets/app.js", "lineno": 1, "colno": 2048}]'),
  '… so such events group by their message');

-- app.error_hash reads the default components itself when there is no client fingerprint (a
-- shortcut past app.error_hash_components): both give the same hash for every kind of event
SELECT is((SELECT count(*) FROM (VALUES
    ('api'::app.error_type_enum, 'Payment provider timed out after 30s', '', NULL, NULL::jsonb, NULL),
    ('database', 'Could not connect to replica', '', 'Could not connect to %s', NULL, NULL),
    ('runtime', 'ZeroDivisionError: division by zero', app.grouping_frame_components(
       '[{"filename": "app.py", "function": "charge", "in_app": true}]'), NULL, '[{"type": "ZeroDivisionError"}]', NULL),
    ('runtime', 'SyncError: failed', '', NULL, '[{"type": "JSONDecodeError"}, {"type": "SyncError"}]',
     '["cause", "JSONDecodeError"], ["value", "x"], ["message", "SyncError: failed"]')
  ) AS e (error_type, message, frame_components, template, exceptions, chain)
  WHERE app.error_hash(e.error_type, e.message, e.frame_components, NULL, e.template, e.exceptions, e.chain)
        = encode(sha256(convert_to(app.error_hash_components(e.error_type, e.message, e.frame_components, NULL,
                                                             e.template, e.exceptions, e.chain)::text, 'UTF8')), 'hex')),
  4::bigint, 'without a client fingerprint, the hash is that of app.error_hash_components (its shortcut agrees)');

SELECT * FROM finish();
ROLLBACK;
