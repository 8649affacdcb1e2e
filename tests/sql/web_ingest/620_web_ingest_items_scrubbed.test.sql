-- The text fields of Sentry items other than events (sessions, check-ins, client reports, item
-- types) are scrubbed, then cut to their columns; the scrubber reads each to twice its column, so
-- a huge value costs no more than a long one, and a secret across the cut is still seen whole.
BEGIN;
SELECT plan(4);

SELECT is(app.web_item_text('shop@1.2 token=abc123secret', 250), 'shop@1.2 token=[Filtered]', 'a field is scrubbed');
SELECT is(app.web_item_text(repeat('r', 240) || ' token=abc123secret', 250), repeat('r', 240) || ' token=[Fi',
          'a secret across the cut is scrubbed before the field is cut');
SELECT is(length(app.web_item_text(repeat('auth=x ', 150000), 250)), 250, 'a 1 MB value is stored cut to its column');

INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'Shop');
INSERT INTO app.projects (organization_id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'shop');
SELECT app.web_record_sessions(ARRAY(SELECT jsonb_populate_recordset(NULL::app.web_item, jsonb_build_array(jsonb_build_object(
  'organization_id', '00000000-0000-0000-0000-00000000000a', 'type', 'session',
  'project_id', (SELECT id FROM app.projects WHERE organization_id = '00000000-0000-0000-0000-00000000000a'),
  'payload', jsonb_build_object('sid', 's-1', 'status', 'ok',
                                'attrs', jsonb_build_object('release', 'shop@1 ' || repeat('passwd hunter22 ', 60000))))))));
SELECT is((SELECT release::text FROM app.client_sessions WHERE sid = 's-1'),
          left('shop@1 ' || repeat('passwd [Filtered] ', 20), 250), 'a session''s release of 1 MB: scrubbed and cut');

SELECT * FROM finish();
ROLLBACK;
