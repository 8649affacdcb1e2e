-- api.get_error_stats: figures from the per-minute metrics, one organization for org roles.
BEGIN;
SELECT plan(19);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B');
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000a', 3);
SELECT count(*) FROM app.capture_batch('00000000-0000-0000-0000-00000000000a', NULL, '[
  {"message": "checkout failed", "error_type": "api", "severity": "critical"},
  {"message": "checkout failed", "error_type": "api", "severity": "critical"},
  {"message": "slow query", "error_type": "database", "severity": "warning"},
  {"message": "over the limit", "error_type": "api"}]');
SELECT count(*) FROM app.capture_batch('00000000-0000-0000-0000-00000000000b', NULL, '[{"message": "B only", "error_type": "auth"}]');
-- an error first seen long ago that happened again now
INSERT INTO app.system_errors (error_hash, error_type, message, organization_id, first_seen_at, status)
VALUES (repeat('9', 64), 'runtime', 'old friend', '00000000-0000-0000-0000-00000000000a', now() - interval '10 days', 'recurring');
INSERT INTO app.error_events (organization_id, error_hash, error_type, message)
VALUES ('00000000-0000-0000-0000-00000000000a', repeat('9', 64), 'runtime', 'old friend');

SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a"}';
CREATE TEMP TABLE a_stats AS SELECT api.get_error_stats() AS s;
SELECT is((SELECT (s ->> 'total_events')::int FROM a_stats), 4, 'total events of the organization in the range');
SELECT is((SELECT (s ->> 'total_errors')::int FROM a_stats), 3, 'distinct errors seen in the range');
SELECT is((SELECT (s ->> 'new_errors')::int FROM a_stats), 2, 'new: first seen in the range');
SELECT is((SELECT (s ->> 'recurring_errors')::int FROM a_stats), 1, 'recurring: seen in the range, first seen before it');
SELECT is((SELECT (s ->> 'regressed_errors')::int FROM a_stats), 1, 'regressed: status recurring');
SELECT is((SELECT s -> 'by_type' FROM a_stats), '{"api": 2, "database": 1, "runtime": 1}', 'events by type');
SELECT is((SELECT s -> 'by_severity' FROM a_stats), '{"critical": 2, "warning": 1, "error": 1}', 'events by severity');
SELECT is((SELECT s -> 'by_status' FROM a_stats), '{"new": 2, "recurring": 1}', 'errors by status');
SELECT is((SELECT s -> 'top_errors' -> 0 ->> 'message' FROM a_stats), 'checkout failed', 'top errors by events first');
SELECT is((SELECT (s ->> 'refused_events')::int FROM a_stats), 1, 'events refused by the rate limit');
SELECT is((SELECT jsonb_array_length(s -> 'series') FROM a_stats), 25, '24 hours in hourly buckets (the partial first one too)');
SELECT is((SELECT sum((b ->> 'events')::int)::int FROM a_stats, jsonb_array_elements(s -> 'series') AS b), 4,
  'the series adds up to the total');
SELECT is((api.get_error_stats('2 hours') ->> 'bucket'), '00:01:00', 'short ranges come per minute');
SELECT throws_like($$SELECT api.get_error_stats('1 hour', '00000000-0000-0000-0000-00000000000b')$$, '%"code" : "QA001"%',
  'an org owner asking for another organization is forbidden (403)');
SELECT throws_ok($$SELECT api.get_error_stats('-1 hour')$$, 'QV001', NULL, 'a negative range is invalid');
SELECT throws_ok($$SELECT api.get_error_stats('a while')$$, 'QV001', NULL,
  'a time range that is no duration is QV001 (not PostgreSQL''s 22007)');
SELECT is((api.get_error_stats('2h') ->> 'bucket'), '00:01:00', 'the CLI''s duration forms are read too');
SELECT throws_ok($$SELECT api.get_error_stats('1 hour', 'not-an-id')$$, 'QV001', NULL,
  'an organization id that is no UUID is QV001 (not PostgreSQL''s 22P02)');
RESET ROLE;

SET LOCAL ROLE system_admin;
SET LOCAL request.jwt.claims = '{"role": "system_admin"}';
SELECT is((api.get_error_stats('24 hours') ->> 'total_events')::int, 5, 'a system admin sees every organization');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
