-- app.capture_enrich takes a shortcut for a single event: an event captured alone is stored
-- exactly as the same event captured in a batch; either way every text field is scrubbed before
-- it is cut to its column.
BEGIN;
SELECT plan(10);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'batched'), ('00000000-0000-0000-0000-00000000000b', 'one by one');
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000a', 0);
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000b', 0);
-- one personal-data hash key for both: user ids are hashed alike (db/schema/315_personal_data.sql)
UPDATE app.personal_data_policy SET hash_key = '\x01' WHERE organization_id IN ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000b');

CREATE TEMP TABLE sample (n integer, event jsonb);
INSERT INTO sample VALUES
  (1, '{"message": "Payment timed out after 30s for order 12345", "error_type": "api"}'),
  (2, '{"message": "Could not connect to replica", "message_template": "Could not connect to %s", "error_type": "database",
        "metadata": {"db": {"password": "hunter2", "host": "db-1"}, "attempt": 3}}'),
  (3, '{"message": "TypeError: Cannot read properties of undefined", "error_type": "javascript",
        "stack_trace": "TypeError: x\n    at onPay (https://shop.test/assets/app.3f9a1c.js:24:68)\n    at main (https://shop.test/m.js:1:1)",
        "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "url": "https://shop.test/pay?card=4111111111111111&token=abc&page=2", "user_id": "u-17"}'),
  (4, '{"message": "ValueError: bad", "error_type": "runtime", "fingerprint": ["{{ default }}", "tenant-7"],
        "frames": [{"filename": "/srv/app/x.py", "function": "f", "vars": {"api_key": "sk_live_abcdefghijklmnop1234"}},
                   {"filename": "/usr/lib/python3.11/json/decoder.py", "function": "decode"}]}'),
  (5, '{"message": "login failed with Authorization: Bearer abc123secretvalue", "severity": "critical",
        "url": "https://jane:hunter2@shop.test/login?next=/cart", "metadata": {"note": "nothing secret"}}');
INSERT INTO sample VALUES
  (7, '{"message": "checkout failed", "component": "/reset?password=hunter7", "file_path": "/srv/app/pay.js token=tok-file-7",
        "user_id": "4007540091714527", "request_id": "req Bearer req-bearer-7", "session_id": "sessionid=sess-7-secret",
        "user_agent": "Mozilla/5.0 AIzaB0W-O5PjeJfJTNcrZ6ydIEsgo5nVjzz8Gwb", "fingerprint": ["pay", "card 5111785025517161"],
        "url": "https://shop.test/pay?note=Bearer+url-bearer-7&c=4007+5400+9171+4527",
        "metadata": {"card": 6011188049170316, "headers": [["X-Auth-Token", "hdr-7"]]}}');
-- a chain: its cause's value and its frame hold secrets (the frame's variables are not kept at all),
-- its cause's value an address
INSERT INTO sample VALUES
  (9, '{"message": "SyncError: order sync failed", "error_type": "runtime",
        "frames": [{"filename": "/srv/app/sync.py", "function": "sync", "in_app": true}],
        "exceptions": [{"type": "ConnectionError", "value": "connect to postgres://app:chain-pw-9@db-1/shop failed, token=chain-tok-9, ops chain-9@example.com",
                        "frames": [{"filename": "/home/chain-9@example.com/pool.py", "in_app": true,
                                    "context_line": "conn = pool.get(token=chain-ctx-9)"},
                                   {"filename": "/srv/app/db.py", "function": "connect", "in_app": true,
                                    "vars": {"password": "chain-var-9"}}]},
                       {"type": "SyncError", "module": "shop.errors"}]}');
INSERT INTO sample SELECT 8, jsonb_build_object('message', 'long fields', 'component', repeat('c', 250) || ' token=x',
  'request_id', repeat('r', 95) || ' pwd=secret-pwd-8', 'user_agent', repeat('u', 1995) || ' 4007 5400 9171 4527');
INSERT INTO sample SELECT 6, jsonb_build_object('message', 'huge ' || repeat('m', 9000), 'stack_trace', repeat('s', 70000),
  'url', 'https://x.test/' || repeat('u', 2100),
  'metadata', (SELECT jsonb_object_agg('key' || n, repeat('v', 100)) FROM generate_series(1, 300) AS n));

SELECT count(*) FROM app.capture_batch('00000000-0000-0000-0000-00000000000a', NULL, (SELECT jsonb_agg(event ORDER BY n) FROM sample));
SELECT count(*) FROM sample s CROSS JOIN LATERAL app.capture_batch('00000000-0000-0000-0000-00000000000b', NULL,
                                                                    jsonb_build_array(s.event)) AS c;

CREATE FUNCTION pg_temp.stored(p_organization_id uuid) RETURNS TABLE (stored_event text)
LANGUAGE sql AS $$
  SELECT row(e.error_hash, e.error_type, e.severity, e.message, e.message_template, e.stack_trace, e.frames, e.fingerprint,
             e.component, e.file_path, e.line_number, e.column_number, e.url, e.user_agent, e.browser, e.os, e.device_type,
             e.user_id, e.metadata, e.request_id, e.session_id, e.exceptions)::text
    FROM app.error_events e WHERE e.organization_id = p_organization_id
$$;
SELECT is((SELECT count(*)::integer FROM app.error_events WHERE organization_id = '00000000-0000-0000-0000-00000000000b'), 9,
          'every event captured alone is stored');
SELECT set_eq($$SELECT * FROM pg_temp.stored('00000000-0000-0000-0000-00000000000b')$$,
              $$SELECT * FROM pg_temp.stored('00000000-0000-0000-0000-00000000000a')$$,
              'alone or in a batch: the same scrubbed, trimmed, enriched and fingerprinted event');
SELECT is_empty($$SELECT 1 FROM app.error_events e WHERE e::text ~ '(hunter2|abc123secretvalue|sk_live_abcdefghijklmnop1234)'$$,
                'and no secret in either');
SELECT is_empty($$SELECT e.event_id FROM app.error_events e
                   WHERE e::text ~ '(hunter7|tok-file-7|4007540091714527|req-bearer-7|sess-7-secret|AIzaB0W|5111785025517161|url-bearer-7|4007\+5400|6011188049170316|hdr-7|secret-pwd-8|4007 5400)'
                   UNION ALL
                  SELECT s.id FROM app.system_errors s
                   WHERE s::text ~ '(hunter7|tok-file-7|4007540091714527|req-bearer-7|sess-7-secret|AIzaB0W|5111785025517161|url-bearer-7|4007\+5400|6011188049170316|hdr-7|secret-pwd-8|4007 5400)'$$,
                'component, file path, user id, request and session ids, user agent, fingerprint, URL (+ for spaces) and metadata numbers and header pairs are scrubbed');
-- (the batch derived the chain, the event alone found it in the derivation cache: compared above)
SELECT results_eq($$SELECT e.exceptions #>> '{0,value}' ~ '^connect to postgres://app:\[Filtered\]@db-1/shop failed, token=\[Filtered\], ops ',
                           e.exceptions::text ~ '(chain-pw-9|chain-tok-9|chain-var-9|chain-ctx-9|vars|chain-9@example)'
                      FROM app.error_events e WHERE e.message = 'SyncError: order sync failed'$$,
                  $$VALUES (true, false), (true, false)$$,
                  'a chain is stored scrubbed (its cause''s value), its frames without variables, derived or cached');
SELECT results_eq($$SELECT count(*) > 0, bool_or(c.result::text ~ '(chain-|example)'), bool_or(c.result::text ~ '<email>')
                      FROM app.derivation_cache c WHERE c.kind = 'exceptions'$$,
                  $$VALUES (true, false, true)$$,
                  'the derivation cache keeps the chain''s derivation, but neither its secret nor its address');
SELECT is_empty($$SELECT 1 FROM app.error_events e WHERE e.message = 'SyncError: order sync failed'
                     AND e.error_hash <> app.error_fingerprint(e.error_type, e.message, e.frames, e.fingerprint,
                                                                e.message_template, e.exceptions)$$,
                'and grouped as app.error_fingerprint groups the stored event (each stack reduced there, nothing cached)');
SELECT results_eq($$SELECT component, fingerprint::text FROM app.error_events
                     WHERE organization_id = '00000000-0000-0000-0000-00000000000b' AND message = 'checkout failed'$$,
                  $$VALUES ('/reset?password=[Filtered]'::varchar, '{pay,"card [Filtered]"}')$$,
                  'only the secret is replaced: the rest of each field is kept');
-- (by default a user id is hashed whole: db/functions/app/315_personal_data.sql; kept, it is scrubbed)
SELECT app.personal_data_policy_set('00000000-0000-0000-0000-00000000000a', p_user_id => 'keep');
SELECT count(*) FROM app.capture_batch('00000000-0000-0000-0000-00000000000a', NULL,
                                       jsonb_build_array((SELECT event || '{"message": "kept user id"}' FROM sample WHERE n = 7)));
SELECT is((SELECT user_id FROM app.error_events WHERE message = 'kept user id'), '[Filtered]'::varchar,
          'a user id the policy keeps is scrubbed like any other field');
SELECT results_eq($$SELECT length(component), right(component, 12), length(request_id), length(user_agent), right(user_agent, 12)
                      FROM app.error_events WHERE organization_id = '00000000-0000-0000-0000-00000000000b' AND message = 'long fields'$$,
                  $$VALUES (255, '…[truncated]', 100, 2000, '…[truncated]')$$,
                  'fields are cut to their columns after scrubbing ([Filtered] is longer than the secret it replaces)');

SELECT * FROM finish();
ROLLBACK;
