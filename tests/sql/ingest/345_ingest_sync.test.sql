-- PGWARDEN_INGEST_SYNC: the database setting pgwarden.ingest_sync decides the synchronous_commit
-- every capture transaction commits with (app.capture_batch, and app.capture_one's own fast path),
-- off unless it is on; app.set_ingest_sync stores it for the database's new sessions.
BEGIN;
SELECT plan(13);

INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'durable');
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000a', 0);

-- the synchronous_commit a capture left for the rest of its transaction (that is, for its commit)
CREATE FUNCTION pg_temp.commit_mode_of(p_path text, p_ingest_sync text, p_session text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_event jsonb := '{"error_type": "javascript", "message": "Cannot read properties of undefined"}';
  v_ignored record;
BEGIN
  PERFORM set_config('synchronous_commit', p_session, true);
  PERFORM set_config('pgwarden.ingest_sync', coalesce(p_ingest_sync, ''), true);
  IF p_path = 'batch' THEN
    SELECT count(*) AS n INTO v_ignored
      FROM app.capture_batch('00000000-0000-0000-0000-00000000000a', NULL, jsonb_build_array(v_event));
  ELSE
    SELECT * INTO v_ignored FROM app.capture_one('00000000-0000-0000-0000-00000000000a', NULL, v_event);
    IF v_ignored.error IS NOT NULL THEN
      RAISE EXCEPTION 'capture refused: %', v_ignored.error;
    END IF;
  END IF;
  RETURN current_setting('synchronous_commit');
END $$;

SELECT is(pg_temp.commit_mode_of('batch', 'off', 'on'), 'off',
          'ingest sync off: a batch capture commits without waiting for the disk');
SELECT is(pg_temp.commit_mode_of('one', 'off', 'on'), 'off', 'ingest sync off: so does a single capture');
SELECT is(pg_temp.commit_mode_of('batch', 'on', 'off'), 'on', 'ingest sync on: a batch capture waits for the disk');
SELECT is(pg_temp.commit_mode_of('one', 'on', 'off'), 'on', 'ingest sync on: so does a single capture');
SELECT is(pg_temp.commit_mode_of('one', NULL, 'on'), 'off', 'unset, ingest sync is off (the default)');
SELECT is(pg_temp.commit_mode_of('batch', 'sometimes', 'on'), 'off', 'anything but on is off');
SELECT is((SELECT count(*)::integer FROM app.error_events WHERE organization_id = '00000000-0000-0000-0000-00000000000a'),
          6, 'every one of those captures was stored');

-- == The setter ==

CREATE FUNCTION pg_temp.database_ingest_sync() RETURNS text
LANGUAGE sql AS $$
  SELECT substring(c.setting FROM '^pgwarden\.ingest_sync=(.*)$')
    FROM pg_db_role_setting s CROSS JOIN LATERAL unnest(s.setconfig) AS c (setting)
   WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) AND s.setrole = 0
     AND c.setting LIKE 'pgwarden.ingest_sync=%'
$$;

SELECT set_config('pgwarden.ingest_sync', '', true);  -- this session: the default
SELECT is(app.set_ingest_sync(' ON '), true, 'setting it on differs from this session''s default');
SELECT is(pg_temp.database_ingest_sync(), 'on', 'new sessions of the database get it');
SELECT is(app.set_ingest_sync('off'), false, 'off is what this session already has');
SELECT is(app.set_ingest_sync(NULL), false, 'unset is the default, off');
SELECT is(pg_temp.database_ingest_sync(), NULL, 'unset, the database setting is removed: the default applies');
SELECT throws_ok($$SELECT app.set_ingest_sync('maybe')$$, 'QV001', NULL, 'anything but on or off is refused');

SELECT * FROM finish();
ROLLBACK;
