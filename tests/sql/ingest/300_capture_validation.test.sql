-- The fast validity test (app._capture_plainly_valid) only ever vouches for events
-- app.capture_validate accepts, and app.capture_parse refuses exactly what capture_validate refuses.
BEGIN;
SELECT plan(8);

CREATE TEMP TABLE field (name text);
INSERT INTO field VALUES ('message'), ('error_type'), ('severity'), ('stack_trace'), ('component'), ('file_path'),
  ('url'), ('user_agent'), ('message_template'), ('user_id'), ('request_id'), ('session_id'), ('metadata'),
  ('line_number'), ('column_number'), ('fingerprint'), ('frames'), ('event_id'), ('timestamp'), ('exceptions'),
  ('mesage'), ('context'), ('tags');
CREATE TEMP TABLE value (v jsonb);
INSERT INTO value VALUES ('null'), ('""'), ('"   "'), ('"\t"'), ('"text"'), ('"API"'), ('" api"'), ('"api"'),
  ('"critical"'), ('"cosmic"'), ('0'), ('-1'), ('12'), ('1.5'), ('"12"'), ('true'), ('[]'), ('[null]'), ('["a"]'),
  ('[1, 2]'), ('{}'), ('{"a": 1}'), ('[{"filename": "a.js"}]'), ('"0123456789abcdef0123456789abcdef"'),
  ('"2026-11-28T13:57:14Z"'), ('"2026-13-01T00:00:00Z"'), ('1795874289.98'), ('"{{ default }}"');
CREATE TEMP TABLE item AS
  SELECT jsonb_build_object('message', 'boom', 'error_type', 'api') || jsonb_build_object(f.name, v.v) AS item FROM field f, value v
  UNION ALL
  SELECT jsonb_build_object('message', 'boom') - 'message' || jsonb_build_object(f.name, v.v) FROM field f, value v
  UNION ALL
  SELECT x FROM (VALUES ('"just text"'::jsonb), ('[]'), ('null'), ('{}'), ('{"message": "x", "metadata": {"password": "p"}}'),
                        ('{"message": "x", "error_type": null, "severity": null, "metadata": null}')) AS t (x);

CREATE TEMP TABLE judged AS
  SELECT i.item, app._capture_plainly_valid(i.item) AS plainly_valid,
         app.capture_validate(i.item) AS problem
    FROM item i;

SELECT cmp_ok((SELECT count(*)::integer FROM judged WHERE plainly_valid), '>', 100, 'many events are plainly valid');
SELECT cmp_ok((SELECT count(*)::integer FROM judged WHERE problem IS NULL AND NOT plainly_valid), '>', 20,
              '... and many valid ones are left to app.capture_validate');
SELECT is_empty($$SELECT item FROM judged WHERE plainly_valid AND problem IS NOT NULL$$,
                'no event it calls plainly valid has a problem');
SELECT is_empty($$SELECT j.item FROM judged j
                   CROSS JOIN LATERAL unnest(app.capture_parse(jsonb_build_array(j.item))) AS p
                  WHERE p.error IS DISTINCT FROM j.problem$$,
                'capture_parse refuses every event with the problem capture_validate names, and only those');

SELECT is((SELECT array_agg(DISTINCT p.problem ->> 'details') FROM judged p
             WHERE p.item ?| ARRAY['mesage', 'context', 'tags'] AND jsonb_typeof(p.item) = 'object'),
          ARRAY['Field: context.', 'Field: mesage.', 'Field: tags.'],
          'an event holding an unknown field is refused, naming that field');
SELECT is((SELECT DISTINCT p.problem ->> 'code' FROM judged p WHERE p.item ? 'tags'), 'QV001', '... as QV001');

SELECT is(app.error_type_labels(), enum_range(NULL::app.error_type_enum)::text[],
          'the error_type labels are the enum''s, in order');
SELECT is(app.severity_labels(), enum_range(NULL::app.severity_enum)::text[], 'so are the severity labels');

SELECT * FROM finish();
ROLLBACK;
