-- Environments and releases as columns, where each group was seen, the filters that read it, and
-- "resolved in the next release": an old release's straggler leaves the group resolved, a newer
-- release reopens it (semver, and first seen where a release is not semver).
BEGIN;
SELECT plan(32);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B'),
  ('00000000-0000-0000-0000-00000000000c', 'Org C');
SELECT app.rate_limit_set(id, 0) FROM app.organizations;
INSERT INTO app.projects (organization_id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'shop') RETURNING id AS shop \gset
INSERT INTO app.projects (organization_id, name) VALUES ('00000000-0000-0000-0000-00000000000b', 'b-shop') RETURNING id AS bshop \gset
INSERT INTO app.projects (organization_id, name) VALUES ('00000000-0000-0000-0000-00000000000c', 'c-shop') RETURNING id AS cshop \gset

-- one event of a message from an environment and release (as the Sentry mapping, the capture API
-- and the webhooks carry them: in metadata), received p_ago before now; its group's outcome
CREATE FUNCTION pg_temp.capture(p_project bigint, p_message text, p_environment text, p_release text,
                                p_ago interval DEFAULT '0') RETURNS jsonb
LANGUAGE sql AS $$
  SELECT b.result FROM app.capture_batch((SELECT organization_id FROM app.projects WHERE id = p_project), p_project,
    jsonb_build_array(jsonb_build_object('message', p_message, 'error_type', 'api',
      'timestamp', CASE WHEN p_ago > '0' THEN to_char((now() - p_ago) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') END,
      'metadata', jsonb_strip_nulls(jsonb_build_object('environment', p_environment, 'release', p_release))))) AS b
$$;
CREATE FUNCTION pg_temp.status(p_message text) RETURNS text
LANGUAGE sql AS $$ SELECT status::text FROM app.system_errors WHERE message = p_message $$;
CREATE FUNCTION pg_temp.id(p_message text) RETURNS uuid
LANGUAGE sql AS $$ SELECT id FROM app.system_errors WHERE message = p_message $$;

-- == Columns and where each group was seen ==

SELECT pg_temp.capture(:shop, 'Checkout broke', 'production', 'shop@1.1.0', '3 hours');
SELECT pg_temp.capture(:shop, 'Checkout broke', 'staging', 'shop@1.2.0', '2 hours');
SELECT pg_temp.capture(:shop, 'Search broke', 'staging', 'shop@1.2.0', '2 hours');
SELECT pg_temp.capture(:shop, 'Login broke', NULL, NULL);
SELECT pg_temp.capture(:bshop, 'B broke', 'production', 'b@9.0.0');

SELECT results_eq($$SELECT environment, release FROM app.error_events WHERE message = 'Checkout broke' ORDER BY received_at, occurred_at$$,
  $$VALUES ('production', 'shop@1.1.0'), ('staging', 'shop@1.2.0')$$,
  'an event''s environment and release are columns, filled from what it was sent with');
SELECT is((SELECT environment FROM app.error_events WHERE message = 'Login broke'), NULL, 'NULL when the event named none');
SELECT results_eq($$SELECT environment, release FROM app.error_group_releases g JOIN app.system_errors s USING (organization_id, error_hash)
                     WHERE s.message = 'Checkout broke' ORDER BY g.first_seen_at$$,
  $$VALUES ('production', 'shop@1.1.0'), ('staging', 'shop@1.2.0')$$,
  'each group keeps the environments and releases it was seen in');
SELECT pg_temp.capture(:shop, 'Checkout broke', 'staging', 'shop@1.2.0', '1 hour');
SELECT is((SELECT count(*)::int FROM app.error_group_releases g JOIN app.system_errors s USING (organization_id, error_hash)
            WHERE s.message = 'Checkout broke'), 2, 'a combination seen again adds nothing');
SELECT results_eq($$SELECT version FROM app.releases WHERE organization_id = '00000000-0000-0000-0000-00000000000a' ORDER BY first_seen_at$$,
  $$VALUES ('shop@1.1.0'), ('shop@1.2.0')$$, 'the organization''s releases, in the order they appeared');
SELECT results_eq($$SELECT app.error_detail(pg_temp.id('Checkout broke')) -> 'environments',
                           app.error_detail(pg_temp.id('Checkout broke')) ->> 'first_release',
                           app.error_detail(pg_temp.id('Checkout broke')) ->> 'last_release'$$,
  $$VALUES ('["production", "staging"]'::jsonb, 'shop@1.1.0', 'shop@1.2.0')$$,
  'a group''s detail names its environments, first and last release');

-- == Filters ==

SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a"}';
SELECT set_eq($$SELECT s.message FROM api.error_groups s
                 WHERE (s.organization_id, s.error_hash) IN (SELECT * FROM api.error_groups_seen_in(environment => 'staging'))$$,
  ARRAY['Checkout broke', 'Search broke'], 'the list''s environment filter: the groups seen in it');
SELECT set_eq($$SELECT s.message FROM api.error_groups s
                 WHERE (s.organization_id, s.error_hash) IN (SELECT * FROM api.error_groups_seen_in(release => 'shop@1.1.0'))$$,
  ARRAY['Checkout broke'], 'the release filter');
SELECT set_eq($$SELECT s.message FROM api.error_groups s
                 WHERE (s.organization_id, s.error_hash) IN (SELECT * FROM api.error_groups_seen_in(environment => 'production'))$$,
  ARRAY['Checkout broke'], 'another organization''s groups are not seen in it');
SELECT set_eq($$SELECT s.message FROM api.error_groups s
                 WHERE (s.organization_id, s.error_hash) IN
                       (SELECT * FROM api.error_groups_seen_in(environment => 'production', release => 'shop@1.2.0'))$$,
  ARRAY[]::text[], 'both filters hold for the same event');
SELECT results_eq($$SELECT message, occurrence_count FROM api.list_errors(sort => 'events', environment => 'staging')$$,
  $$VALUES ('Checkout broke', 3), ('Search broke', 1)$$, 'api.list_errors filters by environment, in its order');
SELECT results_eq($$SELECT l.message FROM api.list_errors(sort => 'events', environment => 'staging', max_results => 1) f
                     CROSS JOIN LATERAL api.list_errors(sort => 'events', environment => 'staging', after_id => f.id::text,
                                                        after_occurrence_count => f.occurrence_count) l$$,
  $$VALUES ('Search broke')$$, '... a page at a time');
SELECT is((SELECT array_agg(message) FROM api.list_errors(release => 'shop@1.1.0', status => 'new')), ARRAY['Checkout broke'],
  '... and by release, with the other filters');
RESET ROLE;
SELECT set_eq($$SELECT message FROM app.error_list(p_environment => 'staging')$$, ARRAY['Checkout broke', 'Search broke'],
  'the CLI''s list filters by environment');
SELECT set_eq($$SELECT message FROM app.error_list(p_release => 'b@9.0.0')$$, ARRAY['B broke'], '... and by release');

-- == Resolved in the next release: semver ==

SELECT is(app.error_status_change(pg_temp.id('Checkout broke'), 'resolved', 'fixed', true) ->> 'resolved_in_release', 'shop@1.2.0',
  'resolving in the next release records the current release');
SELECT is(pg_temp.status('Checkout broke'), 'resolved', 'the group is resolved');
SELECT is((pg_temp.capture(:shop, 'Checkout broke', 'production', 'shop@1.1.0')) ->> 'is_regression', 'false',
  'a straggler of an older release does not regress it');
SELECT is((pg_temp.capture(:shop, 'Checkout broke', 'staging', 'shop@1.2.0')) ->> 'status', 'resolved',
  'nor does one of the release it was resolved in');
SELECT is((pg_temp.capture(:shop, 'Checkout broke', 'production', NULL)) ->> 'status', 'resolved',
  'nor one that names no release');
SELECT is((pg_temp.capture(:shop, 'Checkout broke', 'production', 'shop@1.10.0')) ->> 'is_regression', 'true',
  'an event of a newer release (1.10.0 > 1.2.0 by semver) regresses it');
SELECT is(pg_temp.status('Checkout broke'), 'recurring', 'the group is recurring');
SELECT results_eq($$SELECT resolved_at, resolved_in_release FROM app.system_errors WHERE message = 'Checkout broke'$$,
  $$VALUES (NULL::timestamptz, NULL::text)$$, 'the regression clears the resolution');
SELECT is((SELECT to_status::text FROM app.error_status_history WHERE error_id = pg_temp.id('Checkout broke') ORDER BY id DESC LIMIT 1),
  'recurring', 'and is kept in the status history');

-- == ... by first seen where releases are not semver ==

SELECT pg_temp.capture(:cshop, 'Cart broke', 'staging', 'build-blue', '50 minutes');
SELECT pg_temp.capture(:cshop, 'Cart broke', 'staging', 'build-green', '40 minutes');
SELECT app.error_status_change(pg_temp.id('Cart broke'), 'resolved', NULL, true);
SELECT is((SELECT resolved_in_release FROM app.system_errors WHERE message = 'Cart broke'), 'build-green',
  'the current release is the one that appeared last');
SELECT is((pg_temp.capture(:cshop, 'Cart broke', 'staging', 'build-blue')) ->> 'status', 'resolved',
  'an event of a release first seen earlier leaves it resolved');
SELECT is((pg_temp.capture(:cshop, 'Cart broke', 'staging', 'build-red')) ->> 'status', 'recurring',
  'one of a release never seen before regresses it');

-- == Plainly resolved: any event regresses, as before ==

SELECT app.error_status_change(pg_temp.id('B broke'), 'resolved');
SELECT is((pg_temp.capture(:bshop, 'B broke', 'production', 'b@8.0.0')) ->> 'status', 'recurring',
  'a group resolved plainly regresses on any event, an old release''s too');

-- == Refusals ==

SELECT throws_ok($$SELECT app.error_status_change(pg_temp.id('Login broke'), 'ignored', NULL, true)$$, 'QV001', NULL,
  'only resolved can wait for the next release');
DELETE FROM app.releases WHERE organization_id = '00000000-0000-0000-0000-00000000000b';
SELECT throws_ok($$SELECT app.error_status_change(pg_temp.id('B broke'), 'resolved', NULL, true)$$, 'QSR01', NULL,
  'without any release known there is no next one (QSR01)');
SELECT pg_temp.id('Login broke') AS login \gset
SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a"}';
SELECT is(api.update_error_status(:'login', 'resolved', NULL, true) ->> 'resolved_in_release', 'shop@1.10.0',
  'an org owner resolves in the next release through the API');
RESET ROLE;

-- deleting an organization deletes where its groups were seen, its releases and its deploys
INSERT INTO app.deploys (organization_id, project_id, release, environment)
VALUES ('00000000-0000-0000-0000-00000000000a', :shop, 'shop@1.10.0', 'production');
SELECT app.organization_delete('00000000-0000-0000-0000-00000000000a', true);
SELECT is((SELECT count(*)::int FROM (SELECT organization_id FROM app.error_group_releases UNION ALL
                                      SELECT organization_id FROM app.releases UNION ALL
                                      SELECT organization_id FROM app.deploys) AS r
            WHERE r.organization_id = '00000000-0000-0000-0000-00000000000a'), 0,
  'a deleted organization leaves no releases, deploys or seen-in rows behind');

SELECT * FROM finish();
ROLLBACK;
