-- Rate limits per organization: default 100/minute, overrides, 0 = unlimited, refused events counted.
BEGIN;
SELECT plan(21);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B'),
  ('00000000-0000-0000-0000-00000000000c', 'Org C');

CREATE FUNCTION pg_temp.events(p_count integer, p_from integer DEFAULT 1) RETURNS jsonb
LANGUAGE sql AS $$
  SELECT jsonb_agg(jsonb_build_object('message', 'flood ' || n, 'error_type', 'javascript'))
    FROM generate_series(p_from, p_from + p_count - 1) AS n
$$;
CREATE FUNCTION pg_temp.capture(p_org text, p_events jsonb) RETURNS TABLE (ordinal integer, result jsonb, error jsonb)
LANGUAGE sql AS $$ SELECT * FROM app.capture_batch(p_org::uuid, NULL, p_events) $$;

-- == The default: exactly 100 per minute ==

SELECT is(app.rate_limit_per_minute('00000000-0000-0000-0000-00000000000a'), 100, 'the default limit is 100 per minute');
CREATE TEMP TABLE hundred AS SELECT * FROM pg_temp.capture('00000000-0000-0000-0000-00000000000a', pg_temp.events(100));
SELECT is((SELECT count(*)::int FROM hundred WHERE error IS NULL), 100, 'exactly 100 events in a minute are accepted');
CREATE TEMP TABLE one_more AS SELECT * FROM pg_temp.capture('00000000-0000-0000-0000-00000000000a', pg_temp.events(1, 101));
SELECT is((SELECT error ->> 'code' FROM one_more), 'QR001', 'the 101st is refused with QR001');
SELECT ok((SELECT (error ->> 'retry_after')::int BETWEEN 1 AND 60 FROM one_more), '... telling when to retry (seconds)');
SELECT is((SELECT count(*)::int FROM app.error_events WHERE message = 'flood 101'), 0, '... and stores nothing');
SELECT results_eq($$SELECT accepted, refused FROM app.rate_limit_usage WHERE organization_id = '00000000-0000-0000-0000-00000000000a'$$,
  $$VALUES (100, 1)$$, 'accepted and refused events are counted per organization and minute');

-- == A batch straddling the limit: the first events inside it are accepted ==

CREATE TEMP TABLE straddle AS
  SELECT * FROM pg_temp.capture('00000000-0000-0000-0000-00000000000b',
    pg_temp.events(98) || '[{"severity": "nonsense", "message": "invalid"}]' || pg_temp.events(5, 500));
SELECT is((SELECT array_agg(ordinal ORDER BY ordinal) FROM straddle WHERE error ->> 'code' = 'QR001'), ARRAY[102, 103, 104],
  'in a batch the events past the budget are refused, in order');
SELECT is((SELECT error ->> 'code' FROM straddle WHERE ordinal = 99), 'QV001', 'an invalid event is refused for what it is');
SELECT results_eq($$SELECT accepted, refused FROM app.rate_limit_usage WHERE organization_id = '00000000-0000-0000-0000-00000000000b'$$,
  $$VALUES (100, 3)$$, 'invalid events do not use up the budget');

-- == A new minute starts a new budget ==

SELECT is((SELECT accepted FROM app.rate_limit_take('00000000-0000-0000-0000-00000000000a', 5, now() + interval '1 minute')), 5,
  'the next minute accepts again');
SELECT is((SELECT retry_after_seconds FROM app.rate_limit_take('00000000-0000-0000-0000-00000000000a', 1,
             date_trunc('minute', now()) + interval '45 seconds')), 15, 'Retry-After counts the seconds left in the minute');

-- == Overrides ==

SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000c', 3);
SELECT is((SELECT count(*)::int FROM pg_temp.capture('00000000-0000-0000-0000-00000000000c', pg_temp.events(5)) WHERE error IS NULL), 3,
  'an override replaces the default');
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000c', 0);
SELECT is((SELECT count(*)::int FROM pg_temp.capture('00000000-0000-0000-0000-00000000000c', pg_temp.events(300, 10)) WHERE error IS NULL),
  300, '0 lifts the limit');
SELECT is((SELECT accepted FROM app.rate_limit_usage WHERE organization_id = '00000000-0000-0000-0000-00000000000c'), 3,
  'an unlimited organization is not counted (no counter row to queue on)');
UPDATE app.rate_limit_setting SET default_per_minute = 1000;
SELECT is(app.rate_limit_per_minute('00000000-0000-0000-0000-00000000000a'), 1000, 'the default lives in a table');

SELECT throws_ok($$SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000c', -1)$$, 'QV001', NULL,
  'a negative limit is invalid');
SELECT throws_ok($$SELECT app.rate_limit_set('00000000-0000-0000-0000-0000000000ff', 10)$$, 'QN001', NULL,
  'a limit for an unknown organization is not found');

-- == Through the API: one refused event is a 429 with Retry-After ==

SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000c', 1);
INSERT INTO app.projects (organization_id, name, public_key)
VALUES ('00000000-0000-0000-0000-00000000000c', 'c-web', 'cccccccccccccccccccccccccccccccc');
SET LOCAL request.headers = '{"x-pgwarden-key": "cccccccccccccccccccccccccccccccc"}';
SET LOCAL request.jwt.claims = '{"role": "anon"}';
CREATE TEMP TABLE refused AS SELECT api.capture_error('{"message": "over the limit"}') AS answer;
SELECT is((SELECT answer ->> 'code' FROM refused), 'QR001', 'api.capture_error over the limit answers QR001 (not raised)');
SELECT is(current_setting('response.status'), '429', '... with HTTP status 429 for PostgREST');
SELECT is(current_setting('response.headers')::jsonb, jsonb_build_array(jsonb_build_object('Retry-After', (SELECT answer ->> 'retry_after' FROM refused))),
  '... and a Retry-After header');
SELECT results_eq($$SELECT refused FROM app.rate_limit_usage WHERE organization_id = '00000000-0000-0000-0000-00000000000c'$$,
  $$VALUES (3)$$, '... and the refusal is counted (2 earlier this minute, and this one) as the transaction commits');

SELECT * FROM finish();
ROLLBACK;
