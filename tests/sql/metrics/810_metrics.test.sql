-- Prometheus samples from SQL (db/functions/app/810_metrics.sql): counters count every row once,
-- whether folded into app.metric_totals or not yet, and never decrease when retention deletes
-- the rows they were counted from.
BEGIN;
SELECT plan(12);

CREATE FUNCTION pg_temp.sample(p_sample text, p_labels jsonb DEFAULT '{}') RETURNS double precision
LANGUAGE sql AS $$
  SELECT coalesce(sum(s.value), 0) FROM app.metrics_snapshot() s WHERE s.sample = p_sample AND s.labels @> p_labels
$$;

INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-0000000000a1', 'Acme');
INSERT INTO app.projects (organization_id, name, public_key)
VALUES ('00000000-0000-0000-0000-0000000000a1', 'shop', repeat('a', 32));
-- ten minutes ago (old enough to fold) and now
INSERT INTO app.error_metrics (organization_id, bucket, error_hash, event_count) VALUES
  ('00000000-0000-0000-0000-0000000000a1', date_trunc('minute', now() - interval '10 minutes'), 'h1', 3),
  ('00000000-0000-0000-0000-0000000000a1', date_trunc('minute', now()), 'h1', 2);
INSERT INTO app.rate_limit_usage (organization_id, minute, accepted, refused) VALUES
  ('00000000-0000-0000-0000-0000000000a1', date_trunc('minute', now() - interval '10 minutes'), 100, 4);
INSERT INTO app.job_history (id, kind, payload, state, priority, attempts, max_attempts, failures, run_at, claimed_at,
                             created_at, finished_at)
VALUES (1, 'builtin.echo', '{}', 'succeeded', 0, 1, 5, '[]', now() - interval '2 seconds', now(), now(),
        now() + interval '0.3 seconds');

SELECT is(pg_temp.sample('pgwarden_events_accepted_total', '{"organization_id": "00000000-0000-0000-0000-0000000000a1"}'),
          5::float8, 'events accepted count every stored event of the organization');
SELECT is(pg_temp.sample('pgwarden_events_refused_total', '{"reason": "rate_limit"}'), 4::float8,
          'events refused by the rate limit are counted with reason rate_limit');

SELECT is(app.metrics_fold(), date_trunc('minute', now() - interval '5 minutes'),
          'a fold reaches the minute five minutes (the lag) ago');
SELECT is((SELECT value FROM app.metric_totals WHERE metric = 'pgwarden_events_accepted_total'), 3::float8,
          'the fold moved the older minute into the totals');
SELECT is(pg_temp.sample('pgwarden_events_accepted_total'), 5::float8,
          'after the fold a scrape still counts every event once');

DELETE FROM app.error_metrics WHERE bucket < now() - interval '6 minutes';
DELETE FROM app.rate_limit_usage;
SELECT is(pg_temp.sample('pgwarden_events_accepted_total'), 5::float8,
          'retention deleting folded rows does not make a counter decrease');
SELECT is(pg_temp.sample('pgwarden_events_refused_total'), 4::float8, 'nor the refusals');

SELECT app.metrics_fold();
SELECT is((SELECT value FROM app.metric_totals WHERE metric = 'pgwarden_events_accepted_total'), 3::float8,
          'folding again adds nothing: each minute is folded once');

SELECT is(ARRAY[pg_temp.sample('pgwarden_job_wait_seconds_bucket', '{"kind": "builtin.echo", "le": "1"}'),
                pg_temp.sample('pgwarden_job_wait_seconds_bucket', '{"kind": "builtin.echo", "le": "2.5"}'),
                pg_temp.sample('pgwarden_job_wait_seconds_bucket', '{"kind": "builtin.echo", "le": "+Inf"}'),
                pg_temp.sample('pgwarden_job_wait_seconds_count', '{"kind": "builtin.echo"}'),
                round(pg_temp.sample('pgwarden_job_wait_seconds_sum', '{"kind": "builtin.echo"}')::numeric, 1)::float8],
          ARRAY[0, 1, 1, 1, 2]::float8[], 'a job that waited 2 s lands in the buckets from le 2.5 up; count and sum');

SELECT app.ingest_refusals_record((app.web_batch_of(
  jsonb_build_array(jsonb_build_object('project_id', p.id, 'public_key', p.public_key, 'refused', 'too_large', 'items', '[]'::jsonb),
                    jsonb_build_object('project_id', p.id, 'public_key', repeat('b', 32), 'refused', 'too_large', 'items', '[]'::jsonb)))
  ).requests)
  FROM app.projects p;
SELECT is(pg_temp.sample('pgwarden_ingest_requests_refused_total', '{"reason": "too_large"}'), 1::float8,
          'a request refused for its size counts for its organization only with the project''s key');

SELECT is((SELECT count(DISTINCT (s.family, s.type, s.help)) FROM app.metrics_snapshot() s),
          (SELECT count(DISTINCT s.family) FROM app.metrics_snapshot() s),
          'each family comes with one type and one help text');
SELECT ok(pg_temp.sample('pgwarden_database_size_bytes') > 0, 'the database size is reported');

SELECT * FROM finish();
ROLLBACK;
