-- Alert history retention (alert_settings history_retention_days, default 90): resolved incidents go
-- with their notifications, deliveries, attempts and in-app copies; an incident that stays open keeps
-- its recent notices and any whose delivery is still pending, and loses the rest.
BEGIN;
SELECT plan(9);

INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'Org A');
INSERT INTO app.alert_incidents (id, organization_id, alert_type, status, severity, title, started_at, resolved_at) VALUES
  ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-00000000000a', 'critical_error', 'resolved', 'error',
   'resolved long ago', now() - interval '100 days', now() - interval '91 days'),
  ('00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-00000000000a', 'critical_error', 'resolved', 'error',
   'resolved lately', now() - interval '100 days', now() - interval '89 days'),
  ('00000000-0000-0000-0000-0000000000c3', '00000000-0000-0000-0000-00000000000a', 'health_degraded', 'firing', 'critical',
   'open for months', now() - interval '200 days', NULL);

-- a notice with one delivery (one attempt, one in-app copy): old and done, old and pending, recent
CREATE FUNCTION pg_temp.notice(p_incident uuid, p_age interval, p_status app.alert_delivery_status) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
  v_notification uuid;
  v_delivery uuid;
BEGIN
  INSERT INTO app.alert_notifications (incident_id, organization_id, kind, content, event_count, new_since_last, created_at)
  VALUES (p_incident, '00000000-0000-0000-0000-00000000000a', 'firing', '{}', 1, 1, now() - p_age) RETURNING id INTO v_notification;
  INSERT INTO app.alert_deliveries (notification_id, incident_id, organization_id, channel, recipient, address_hash, status, created_at)
  VALUES (v_notification, p_incident, '00000000-0000-0000-0000-00000000000a', 'in_app', 'org_owner', 'h', p_status, now() - p_age)
  RETURNING id INTO v_delivery;
  INSERT INTO app.alert_delivery_attempts (delivery_id, attempt, organization_id, outcome, attempted_at)
  VALUES (v_delivery, 1, '00000000-0000-0000-0000-00000000000a', 'delivered', now() - p_age);
  INSERT INTO app.alert_in_app_notifications (delivery_id, incident_id, organization_id, recipient_role, kind, severity, title, body, created_at)
  VALUES (v_delivery, p_incident, '00000000-0000-0000-0000-00000000000a', 'org_owner', 'firing', 'error', 't', 'b', now() - p_age);
  RETURN v_notification;
END $$;
SELECT pg_temp.notice('00000000-0000-0000-0000-0000000000c1', '95 days', 'delivered');
SELECT pg_temp.notice('00000000-0000-0000-0000-0000000000c2', '95 days', 'delivered');
SELECT pg_temp.notice('00000000-0000-0000-0000-0000000000c3', '150 days', 'delivered') AS old_done \gset
SELECT pg_temp.notice('00000000-0000-0000-0000-0000000000c3', '120 days', 'failed') AS old_failed \gset
SELECT pg_temp.notice('00000000-0000-0000-0000-0000000000c3', '100 days', 'retrying') AS old_pending \gset
SELECT pg_temp.notice('00000000-0000-0000-0000-0000000000c3', '1 day', 'delivered') AS recent \gset

SELECT is(app.alert_retention_run(), 3, 'one resolved incident and two finished notices of the open one are deleted');
SELECT is((SELECT array_agg(title ORDER BY title) FROM app.alert_incidents), ARRAY['open for months', 'resolved lately'],
  'an incident resolved more than 90 days ago is deleted; one resolved since and an open one stay');
SELECT is((SELECT count(*)::int FROM app.alert_notifications WHERE incident_id = '00000000-0000-0000-0000-0000000000c1'), 0,
  '... with its notices');
SELECT set_eq($$SELECT id FROM app.alert_notifications WHERE incident_id = '00000000-0000-0000-0000-0000000000c3'$$,
  format($$VALUES (%L::uuid), (%L::uuid)$$, :'old_pending', :'recent'),
  'the open incident keeps its recent notice and an old one still being delivered');
SELECT is((SELECT count(*)::int FROM app.alert_deliveries), 3, 'deliveries go with their notices');
SELECT is((SELECT count(*)::int FROM app.alert_delivery_attempts), 3, '... and their attempts');
SELECT is((SELECT count(*)::int FROM app.alert_in_app_notifications), 3, '... and their in-app copies');

SELECT app.alert_setting_set('history_retention_days', '30');
UPDATE app.alert_deliveries SET status = 'delivered' WHERE notification_id = :'old_pending';
SELECT is(app.alert_retention_run(), 2, 'history_retention_days shortens it: the other resolved incident, the notice now done');
SELECT is((SELECT array_agg(id) FROM app.alert_notifications), ARRAY[:'recent'::uuid], 'only the recent notice is left');

SELECT * FROM finish();
ROLLBACK;
