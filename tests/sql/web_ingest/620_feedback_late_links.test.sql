-- Customer feedback that commits before the event it names is linked once that event is stored
-- (app.report_link_late, every minute), within a day.
BEGIN;
SELECT plan(9);

INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'Shop');
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000a', 0);

CREATE FUNCTION pg_temp.feedback(p_message text, p_event_id text) RETURNS integer
LANGUAGE sql AS $$
  SELECT app.web_record_feedback(ARRAY(SELECT jsonb_populate_recordset(NULL::app.web_item, jsonb_build_array(jsonb_build_object(
    'organization_id', '00000000-0000-0000-0000-00000000000a', 'type', 'feedback',
    'payload', jsonb_build_object('contexts', jsonb_build_object('feedback', jsonb_build_object(
      'message', p_message, 'name', 'Jane', 'contact_email', 'jane@example.com',
      'associated_event_id', p_event_id))))))), '{}')
$$;
CREATE FUNCTION pg_temp.report(p_message text) RETURNS app.user_error_reports
LANGUAGE sql AS $$ SELECT * FROM app.user_error_reports WHERE description = p_message $$;

-- the feedback comes first (its event is still in flight)
SELECT pg_temp.feedback('The pay button does nothing', '7c2a9f1b-d0e8-4f3b-8a6e-5d4c3b2a1f00');
SELECT pg_temp.feedback('Nothing happens at all', 'ffffffffffffffffffffffffffffffff');
SELECT pg_temp.feedback('It broke yesterday', '0123456789abcdef0123456789abcdef');
UPDATE app.user_error_reports SET created_at = now() - interval '2 days' WHERE description = 'It broke yesterday';

SELECT is((pg_temp.report('The pay button does nothing')).linked_error_id, NULL,
          'feedback stored before its event is not linked');
SELECT is((pg_temp.report('The pay button does nothing')).report_type::text, 'other', 'and is not yet a bug report');
SELECT is(app.report_link_late(), 0, 'while the event has not arrived there is nothing to link');

-- then the events
SELECT app.capture_batch('00000000-0000-0000-0000-00000000000a', NULL, '[
  {"error_type": "javascript", "message": "Error: Checkout button broke", "event_id": "7c2a9f1bd0e84f3b8a6e5d4c3b2a1f00"},
  {"error_type": "javascript", "message": "Error: Old news", "event_id": "0123456789abcdef0123456789abcdef"}]');

SELECT is(app.report_link_late(), 1, 'once the event is stored, the pass links its feedback');
SELECT is((pg_temp.report('The pay button does nothing')).linked_error_id,
          (SELECT id FROM app.system_errors WHERE message = 'Error: Checkout button broke'),
          'to the group the event was counted in');
SELECT is((pg_temp.report('The pay button does nothing')).report_type::text, 'bug',
          'as a bug report, like feedback that arrives after its event');
SELECT is((pg_temp.report('Nothing happens at all')).linked_error_id, NULL, 'feedback whose event never came stays unlinked');
SELECT is((pg_temp.report('It broke yesterday')).linked_error_id, NULL, 'after a day feedback is left as it is');
SELECT is(app.report_link_late(), 0, 'a linked report is not touched again');

SELECT * FROM finish();
ROLLBACK;
