-- Users are deleted through the api (system admins), named by e-mail address, id or id prefix;
-- what they did stays without them, and the last system admin who can sign in stays.
BEGIN;
SELECT plan(8);

INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'Org A');
SELECT app.user_create('admin@a.test', 'system_admin', NULL, '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA') AS admin \gset
SELECT app.user_create('owner@a.test', 'org_owner', '00000000-0000-0000-0000-00000000000a',
                       '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA') AS owner \gset
SELECT app.health_monitor_add('{"service_name": "billing", "check_type": "external", "target": {"url": "http://b"}}')
  AS billing \gset
SELECT app.health_maintenance_add(:billing, now(), now() + interval '1 hour', 'upgrade', :'owner') AS window_id \gset
DELETE FROM app.users WHERE role = 'system_admin' AND id <> :'admin';  -- (the only admin, whatever ran before)

SET LOCAL ROLE system_admin;
SET LOCAL request.jwt.claims = '{"role": "system_admin"}';
SELECT is(api.delete_user('OWNER@a.test'), 'owner@a.test', 'a user named by e-mail address (any case) is deleted');
SELECT is((SELECT count(*)::int FROM app.users WHERE email = 'owner@a.test'), 0, '... and is gone');
SELECT is((SELECT created_by FROM app.health_maintenance_windows WHERE id = :window_id), NULL,
  'what they did stays, without them');
SELECT throws_like($$SELECT api.delete_user('nobody@a.test')$$, '%"code" : "QN001"%', 'an unknown user is a 404 (QN001)');
SELECT throws_ok($$SELECT app.user_ref('not an email or id', 'user_ref')$$, 'QN001', NULL, '... named by its field');
SELECT throws_like(format($$SELECT api.delete_user(%L)$$, :'admin'), '%"code" : "QSW01"%',
  'the last system admin who can sign in is not deleted (409)');
SELECT throws_ok(format($$SELECT app.user_delete(%L)$$, :'admin'), 'QSW01', NULL, '... QSW01');
RESET ROLE;
SET LOCAL ROLE org_owner;
SELECT throws_ok($$SELECT api.delete_user('admin@a.test')$$, '42501', NULL, 'org owners cannot delete users');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
