-- A report is linked to the error it is about: by event id, else session or request id, else the
-- same URL just before; a report stored before its error is linked by the minute pass.
BEGIN;
SELECT plan(10);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Shop A'), ('00000000-0000-0000-0000-00000000000b', 'Shop B');
SELECT app.rate_limit_set(o.id, 0) FROM app.organizations o;

SELECT app.capture_batch('00000000-0000-0000-0000-00000000000a', NULL, '[
  {"error_type": "javascript", "message": "Error: Checkout broke", "event_id": "7c2a9f1bd0e84f3b8a6e5d4c3b2a1f00",
   "url": "https://shop.test/checkout#step-2"},
  {"error_type": "api", "message": "GET /api/cart 500", "session_id": "sess-42", "request_id": "req-9",
   "url": "https://shop.test/cart"}]');
SELECT app.capture_batch('00000000-0000-0000-0000-00000000000b', NULL, '[
  {"error_type": "javascript", "message": "Error: B broke", "event_id": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
   "url": "https://shop.test/checkout"}]');

CREATE FUNCTION pg_temp.link(p_org text, p_body jsonb) RETURNS text
LANGUAGE sql AS $$
  SELECT (SELECT message FROM app.system_errors WHERE id = f.error_id) || ' by ' || f.reason
    FROM app.report_link_find(p_org::uuid, (p_body ->> 'event_id')::uuid, p_body ->> 'session_id', p_body ->> 'request_id',
                              p_body ->> 'url', now()) f
$$;

SELECT is(pg_temp.link('00000000-0000-0000-0000-00000000000a', '{"event_id": "7c2a9f1b-d0e8-4f3b-8a6e-5d4c3b2a1f00"}'),
          'Error: Checkout broke by event_id', 'the event id the page sent last names the error');
SELECT is(pg_temp.link('00000000-0000-0000-0000-00000000000a', '{"session_id": "sess-42"}'),
          'GET /api/cart 500 by session_id', 'else an error of the reporter''s session');
SELECT is(pg_temp.link('00000000-0000-0000-0000-00000000000a', '{"session_id": "other", "request_id": "req-9"}'),
          'GET /api/cart 500 by request_id', 'or of the failed request');
SELECT is(pg_temp.link('00000000-0000-0000-0000-00000000000a', '{"url": "https://shop.test/checkout#summary"}'),
          'Error: Checkout broke by url', 'else an error of the same page just before (the fragment aside)');
SELECT is(pg_temp.link('00000000-0000-0000-0000-00000000000b', '{"event_id": "7c2a9f1bd0e84f3b8a6e5d4c3b2a1f00", "session_id": "sess-42"}'),
          NULL, 'another organization''s errors are never linked');
UPDATE app.error_events SET received_at = received_at - interval '11 minutes' WHERE message = 'Error: Checkout broke';
SELECT is(pg_temp.link('00000000-0000-0000-0000-00000000000a', '{"url": "https://shop.test/checkout"}'), NULL,
          'an error of the page more than 10 minutes before is another story');

-- a report stored before its error
SELECT app.report_submit('00000000-0000-0000-0000-00000000000a', NULL, 'staff', NULL,
  '{"title": "Pay fails", "description": "nothing happens", "event_id": "0123456789abcdef0123456789abcdef"}', 'unknown');
SELECT app.report_submit('00000000-0000-0000-0000-00000000000a', NULL, 'staff', NULL,
  '{"title": "Search is slow", "description": "ages", "session_id": "sess-77"}', 'unknown');
SELECT app.report_submit('00000000-0000-0000-0000-00000000000a', NULL, 'staff', NULL,
  '{"title": "Refund missing", "description": "since this morning", "event_id": "fedcba9876543210fedcba9876543210",
    "session_id": "sess-88"}', 'unknown');
UPDATE app.user_error_reports SET created_at = now() - interval '3 hours' WHERE title = 'Refund missing';
SELECT is((SELECT linked_error_id FROM app.user_error_reports WHERE title = 'Pay fails'), NULL,
          'a report whose error has not arrived is stored unlinked');
SELECT app.capture_batch('00000000-0000-0000-0000-00000000000a', NULL, '[
  {"error_type": "javascript", "message": "Error: Pay broke", "event_id": "0123456789abcdef0123456789abcdef"},
  {"error_type": "api", "message": "GET /api/search 504", "session_id": "sess-77"},
  {"error_type": "api", "message": "POST /api/refunds 500", "event_id": "fedcba9876543210fedcba9876543210"}]');
SELECT is(app.report_link_late(), 3, 'the minute pass links all three once their errors are stored');
SELECT results_eq($$SELECT r.title::text, e.message, r.link_reason FROM app.user_error_reports r
                     JOIN app.system_errors e ON e.id = r.linked_error_id ORDER BY r.title$$,
  $$VALUES ('Pay fails', 'Error: Pay broke', 'event_id'), ('Refund missing', 'POST /api/refunds 500', 'event_id'),
           ('Search is slow', 'GET /api/search 504', 'session_id')$$,
  'each to its error, with the rule that found it (a report hours old, by the event it names)');
SELECT app.report_submit('00000000-0000-0000-0000-00000000000a', NULL, 'staff', NULL,
  '{"title": "Old page", "description": "was slow", "url": "https://shop.test/late"}', 'unknown');
UPDATE app.user_error_reports SET created_at = now() - interval '11 minutes' WHERE title = 'Old page';
SELECT app.capture_batch('00000000-0000-0000-0000-00000000000a', NULL, '[
  {"error_type": "api", "message": "GET /late 500", "url": "https://shop.test/late"}]');
UPDATE app.error_events SET received_at = now() - interval '11 minutes' WHERE message = 'GET /late 500';
SELECT is(app.report_link_late(), 0,
          'a linked report is not touched again, nor one past its URL window (even with an error of its page then)');

SELECT * FROM finish();
ROLLBACK;
