-- Each minute (pg_cron, db/functions/app/970_alerts_cron.sql): windowed rules, then every
-- notification that came due (group wait over, a group-interval tick, a repeat). Notices due at
-- once (group wait 0, a resolution after the group interval) go out in the transaction that
-- caused them; the tick catches the rest, so timers are honoured to within a minute.

CREATE OR REPLACE FUNCTION app.alert_tick() RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_spikes integer := app.alert_evaluate_spikes();
  v_monitors integer := app.alert_evaluate_monitors();
BEGIN
  RETURN jsonb_build_object('spikes_firing', v_spikes, 'monitors_firing', v_monitors,
                            'notifications_sent', app.alert_notify_due());
END $$;
COMMENT ON FUNCTION app.alert_tick() IS
  'Evaluate windowed alert rules (error spikes, health for_minutes, maintenance ended) and send due notifications';

CREATE OR REPLACE FUNCTION app.alert_retention_run() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_horizon timestamptz := now() - make_interval(days => coalesce((app.alert_setting('history_retention_days') #>> '{}')::integer, 90));
  v_incidents integer;
  v_notifications integer;
BEGIN
  DELETE FROM app.alert_incidents i
   WHERE i.status = 'resolved' AND i.notify_at IS NULL AND i.resolved_at < v_horizon;
  GET DIAGNOSTICS v_incidents = ROW_COUNT;
  -- an incident that stays open for months repeats its notice every few hours: its old notices go
  -- (with their deliveries, attempts and in-app copies) once none of their deliveries is pending
  DELETE FROM app.alert_notifications n
   USING app.alert_incidents i
   WHERE i.id = n.incident_id AND i.status = 'firing' AND n.created_at < v_horizon
     AND NOT EXISTS (SELECT FROM app.alert_deliveries d
                      WHERE d.notification_id = n.id AND d.status IN ('queued', 'retrying'));
  GET DIAGNOSTICS v_notifications = ROW_COUNT;
  RETURN v_incidents + v_notifications;
END $$;
COMMENT ON FUNCTION app.alert_retention_run() IS
  'Delete resolved incidents (with notifications, deliveries and attempts), and finished notifications of open ones, past history_retention_days; returns how many incidents and notifications';
