-- One duration syntax and one time syntax: short units, ISO 8601 and PostgreSQL's interval text
-- read as the same interval; relative times count from now(); a malformed value is QV001.
BEGIN;
SELECT plan(18);

SELECT is(app.duration('24h'), interval '24 hours', '24h is a day of hours');
SELECT is(app.duration('2w'), interval '14 days', '2w is two weeks');
SELECT is(app.duration('30s'), interval '30 seconds', '30s');
SELECT is(app.duration('15m'), interval '15 minutes', '15m is minutes, not months');
SELECT is(app.duration('PT1H'), interval '1 hour', 'ISO 8601');
SELECT is(app.duration('24 hours'), interval '24 hours', 'PostgreSQL interval text still works');
SELECT is(app.duration(NULL), NULL::interval, 'no value, no duration');
SELECT throws_ok($$SELECT app.duration('soon', '--since')$$, 'QV001', NULL, 'a malformed duration is QV001');

SELECT is(app.moment('now'), now(), 'now');
SELECT is(app.moment('+1h'), now() + interval '1 hour', '+1h counts from now');
SELECT is(app.moment('-30m'), now() - interval '30 minutes', '-30m counts back from now');
SELECT is(app.moment('2026-12-01T02:00Z'), timestamptz '2026-12-01 02:00+00', 'ISO 8601');
SELECT throws_ok($$SELECT app.moment('tomorrowish', '--until')$$, 'QV001', NULL, 'a malformed time is QV001');
SELECT throws_ok($$SELECT app.moment('+soon', '--until')$$, 'QV001', NULL, 'a malformed relative time is QV001');

SELECT is(app.name_of('  Acme  ', 'organization'), 'Acme', 'a name is trimmed');
SELECT is(app.name_of(repeat('a', 255), 'project'), repeat('a', 255), 'a name of 255 characters is taken');
SELECT throws_ok($$SELECT app.name_of(repeat('a', 256), 'organization')$$, 'QV001', NULL,
  'a longer name is QV001 (not the column''s 22001)');
SELECT throws_ok($$SELECT app.name_of(' ', 'project')$$, 'QV002', NULL, 'a blank name is QV002');

SELECT * FROM finish();
ROLLBACK;
