-- Scrub rules: a pattern must compile before it is stored (a broken regex would fail every
-- capture), and any change clears this transaction's cached combined patterns (310_scrubbing).

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

CREATE OR REPLACE FUNCTION app.tg_scrub_rule__clear_cache() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('pgwarden.scrub_key_pattern', '', true),
          set_config('pgwarden.scrub_json_detector', '', true),
          set_config('pgwarden.scrub_text_detector', '', true),
          set_config('pgwarden.scrub_value_detector', '', true);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.tg_scrub_rule__clear_cache() IS 'Make the next scrub call of this transaction rebuild the combined patterns';

CREATE OR REPLACE TRIGGER _100_check_pattern BEFORE INSERT OR UPDATE OF pattern ON app.scrub_rule
  FOR EACH ROW EXECUTE FUNCTION app.tg_scrub_rule__check_pattern();
CREATE OR REPLACE TRIGGER _900_clear_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON app.scrub_rule
  FOR EACH STATEMENT EXECUTE FUNCTION app.tg_scrub_rule__clear_cache();
