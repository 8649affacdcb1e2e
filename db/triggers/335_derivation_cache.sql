-- A change to a rule table that feeds a cached derivation starts a new cache generation
-- (db/functions/app/335_derivation_cache.sql): nothing computed under the old rules is read again.

-- SECURITY DEFINER: system admins edit the rules but have no business with the cache state.
CREATE OR REPLACE FUNCTION app.tg_derivation_rules__invalidate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, app, public AS $$
BEGIN
  PERFORM app.derivation_cache_invalidate();
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.tg_derivation_rules__invalidate() IS 'Start a new derivation cache generation after a rule change';

CREATE OR REPLACE TRIGGER _910_invalidate_derivations AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON app.scrub_rule
  FOR EACH STATEMENT EXECUTE FUNCTION app.tg_derivation_rules__invalidate();
CREATE OR REPLACE TRIGGER _910_invalidate_derivations AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON app.user_agent_rule
  FOR EACH STATEMENT EXECUTE FUNCTION app.tg_derivation_rules__invalidate();
