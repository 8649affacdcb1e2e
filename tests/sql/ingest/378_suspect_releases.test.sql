-- Deploys (api.record_deploy and its refusals) and the suspect release: a group that appears or
-- regresses in an environment within the hour after a deploy there names it, with events per
-- minute before and after; so do a health incident and the alert notifications.
BEGIN;
SELECT plan(23);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B');
SELECT app.rate_limit_set(id, 0) FROM app.organizations;
INSERT INTO app.projects (organization_id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'shop') RETURNING id AS shop \gset
INSERT INTO app.projects (organization_id, name) VALUES ('00000000-0000-0000-0000-00000000000b', 'b-shop') RETURNING id AS bshop \gset
INSERT INTO app.users (id, organization_id, email, role) VALUES
  ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-00000000000a', 'owner@a.test', 'org_owner');

CREATE FUNCTION pg_temp.capture(p_message text, p_environment text, p_severity text DEFAULT 'error') RETURNS jsonb
LANGUAGE sql AS $$
  SELECT b.result FROM app.capture_batch('00000000-0000-0000-0000-00000000000a',
    (SELECT id FROM app.projects WHERE name = 'shop'),
    jsonb_build_array(jsonb_build_object('message', p_message, 'error_type', 'api', 'severity', p_severity,
      'metadata', jsonb_build_object('environment', p_environment, 'release', 'shop@2.0.0')))) AS b
$$;
CREATE FUNCTION pg_temp.suspect(p_message text) RETURNS jsonb
LANGUAGE sql AS $$ SELECT suspect_release FROM app.system_errors WHERE message = p_message $$;

-- == Recording a deploy, and what is refused ==

SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a", "sub": "00000000-0000-0000-0000-0000000000a1"}';
SELECT throws_ok($$SELECT api.record_deploy(NULL, 'production', 'shop')$$, 'QV002', NULL, 'a deploy needs a release');
SELECT throws_ok($$SELECT api.record_deploy('shop/2.0.0', 'production', 'shop')$$, 'QV001', NULL,
  'a release with a slash is refused, as Sentry does');
SELECT throws_ok($$SELECT api.record_deploy(repeat('x', 201), 'production', 'shop')$$, 'QV001', NULL, 'so is one over 200 characters');
SELECT throws_ok($$SELECT api.record_deploy('shop@2.0.0', ' ', 'shop')$$, 'QV002', NULL, 'a deploy needs an environment');
SELECT throws_ok($$SELECT api.record_deploy('shop@2.0.0', 'production', NULL)$$, 'QV002', NULL, 'and a project');
SELECT throws_like($$SELECT api.record_deploy('shop@2.0.0', 'production', 'b-shop')$$, '%"code" : "QN001"%',
  'another organization''s project is not found (404)');
SELECT throws_ok($$SELECT api.record_deploy('shop@2.0.0', 'production', 'shop', now() + interval '1 hour')$$, 'QV001', NULL,
  'a deploy in the future is refused');
SELECT throws_ok($$SELECT api.record_deploy('shop@2.0.0', 'production', 'shop', url => 'javascript:alert(1)')$$, 'QV001', NULL,
  'a link that is not http(s) is refused');
SELECT throws_ok($$SELECT api.record_deploy('shop@2.0.0', 'production', 'shop', commit => 'not a commit')$$, 'QV001', NULL,
  'a commit with spaces is refused');

SELECT is(api.record_deploy('shop@1.9.0', 'production', 'shop', now() - interval '2 hours') ->> 'release', 'shop@1.9.0',
  'an org owner records a deploy of their project');
SELECT is(api.record_deploy('shop@2.0.0', 'production', 'shop', now() - interval '10 minutes', '9f1c2e7',
                            'https://ci.example.com/run/42') ->> 'commit', '9f1c2e7',
  'with its commit and link');
SELECT is((SELECT count(*)::int FROM api.deploys), 2, 'the deploys are listed');
SELECT is((SELECT first_seen_at FROM api.releases WHERE version = 'shop@2.0.0'), now() - interval '10 minutes',
  'a deployed release is known from its deploy on');
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000b"}';
SELECT is((SELECT count(*)::int FROM api.deploys), 0, 'another organization sees none of them');
RESET ROLE;

-- == The suspect release of a new group ==

SELECT pg_temp.capture('Checkout broke', 'production');
SELECT results_eq($$SELECT pg_temp.suspect('Checkout broke') ->> 'release', pg_temp.suspect('Checkout broke') ->> 'commit',
                           (pg_temp.suspect('Checkout broke') ->> 'minutes_before')::numeric$$,
  $$VALUES ('shop@2.0.0', '9f1c2e7', 10.0)$$,
  'a new group names the latest deploy of its environment within the hour before its first event');
SELECT ok((pg_temp.suspect('Checkout broke') ->> 'events_per_minute_before')::numeric = 0
          AND (pg_temp.suspect('Checkout broke') ->> 'events_per_minute_after')::numeric > 0,
  'with the evidence: no events per minute before the deploy, some after');
SELECT pg_temp.capture('Staging only', 'staging');
SELECT is(pg_temp.suspect('Staging only'), NULL, 'a deploy to another environment is no suspect');

-- == ... of a regression, with events before the deploy ==

SELECT pg_temp.capture('Old trouble', 'production');
UPDATE app.error_metrics SET bucket = date_trunc('minute', now() - interval '40 minutes'), event_count = 60
 WHERE error_hash = (SELECT error_hash FROM app.system_errors WHERE message = 'Old trouble');
UPDATE app.system_errors SET status = 'resolved', resolved_at = now() - interval '1 minute', suspect_release = NULL
 WHERE message = 'Old trouble';
SELECT is((pg_temp.capture('Old trouble', 'production')) ->> 'is_regression', 'true', 'the group regresses');
SELECT is((pg_temp.suspect('Old trouble') ->> 'events_per_minute_before')::numeric, 1.00,
  'and names the deploy, with its events per minute over the hour before it (60 events: 1 a minute)');

-- == Old deploys are not suspects ==

DELETE FROM app.deploys WHERE release = 'shop@2.0.0';
SELECT pg_temp.capture('Unrelated', 'production');
SELECT is(pg_temp.suspect('Unrelated'), NULL, 'a deploy more than an hour before the first event is no suspect');
INSERT INTO app.deploys (organization_id, project_id, release, environment, deployed_at, commit_sha)
VALUES ('00000000-0000-0000-0000-00000000000a', :shop, 'shop@2.0.0', 'production', now() - interval '10 minutes', '9f1c2e7');

-- == Alert notifications and health incidents carry it ==

SELECT c.id AS rule FROM app.alert_rule_create(jsonb_build_object(
  'alert_type', 'critical_error', 'channel', 'slack', 'webhook_url', 'https://hooks.slack.com/services/T/B/a',
  'organization_id', '00000000-0000-0000-0000-00000000000a')) c \gset
SELECT pg_temp.capture('Payments down', 'production', 'critical');
SELECT i.id AS incident FROM app.alert_incidents i WHERE i.rule_id = :'rule' \gset
SELECT is((SELECT f ->> 'value' FROM jsonb_array_elements(app.alert_notification_content(:'incident', 'firing') -> 'fields') f
            WHERE f ->> 'name' = 'Suspect release'),
  app.suspect_release_text(pg_temp.suspect('Payments down')), 'the alert notification names the suspect release');
SELECT ok(app.alert_notification_content(:'incident', 'firing') ->> 'summary' LIKE '%Suspect release: shop@2.0.0 (production)%',
  'and says it in its summary');
INSERT INTO app.alert_incidents (organization_id, alert_type, severity, title) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'health_degraded', 'error', 'API unhealthy') RETURNING id AS health \gset
SELECT is(app.alert_incident_suspect_release((SELECT i FROM app.alert_incidents i WHERE i.id = :'health')) ->> 'release',
  'shop@2.0.0', 'a health incident names the deploy shortly before it started');

SELECT * FROM finish();
ROLLBACK;
