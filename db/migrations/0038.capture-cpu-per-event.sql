-- 0038: capture CPU per event. The generated columns app.error_events.environment and release
-- call PL/pgSQL instead of SQL functions: an inlinable SQL function in a generated column is
-- inlined again (its body parsed and analysed) by every INSERT into app.error_events, about 100 µs
-- of the database's ~2 ms for a single-event capture; a PL/pgSQL function is compiled once per
-- session. Same results: the bodies are the same expressions.

-- ---- as in db/schema/376_releases.sql
CREATE OR REPLACE FUNCTION app.event_environment(p_metadata jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN CASE WHEN jsonb_typeof(p_metadata -> 'environment') IN ('string', 'number', 'boolean')
              THEN left(nullif(btrim(p_metadata ->> 'environment'), ''), 64) END;
END $$;

CREATE OR REPLACE FUNCTION app.event_release(p_metadata jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN CASE WHEN jsonb_typeof(p_metadata -> 'release') IN ('string', 'number', 'boolean')
              THEN left(nullif(btrim(p_metadata ->> 'release'), ''), 200) END;
END $$;
