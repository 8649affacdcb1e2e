-- Scrub rules: a pattern must compile before it is stored (a broken regex would fail every
-- capture). A change rebuilds the cached combined patterns through the derivation cache
-- generation it bumps (db/triggers/335_derivation_cache.sql, app._scrub_pattern).

-- (a statement trigger that blanked the cached patterns did the same before the generation: retired)
DROP TRIGGER IF EXISTS _900_clear_cache ON app.scrub_rule;
DROP FUNCTION IF EXISTS app.tg_scrub_rule__clear_cache();

CREATE OR REPLACE FUNCTION app.tg_scrub_rule__check_pattern() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    PERFORM '' ~ NEW.pattern;
  EXCEPTION WHEN invalid_regular_expression THEN
    RAISE EXCEPTION 'invalid scrub rule pattern' USING ERRCODE = 'QV001',
      DETAIL = format('pattern %s: %s', NEW.pattern, SQLERRM),
      HINT = 'Write a PostgreSQL regular expression (ARE syntax).';
  END;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION app.tg_scrub_rule__check_pattern() IS 'Reject a scrub rule whose pattern does not compile';

CREATE OR REPLACE TRIGGER _100_check_pattern BEFORE INSERT OR UPDATE OF pattern ON app.scrub_rule
  FOR EACH ROW EXECUTE FUNCTION app.tg_scrub_rule__check_pattern();
