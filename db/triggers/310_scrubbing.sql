-- Scrub rules: a pattern must compile before it is stored (a broken regex would fail every
-- capture). A change rebuilds the cached combined patterns through the derivation cache
-- generation it bumps (db/triggers/335_derivation_cache.sql, app._scrub_pattern).

-- (a statement trigger that blanked the cached patterns did the same before the generation: retired)
DROP TRIGGER IF EXISTS _900_clear_cache ON app.scrub_rule;
DROP FUNCTION IF EXISTS app.tg_scrub_rule__clear_cache();

-- Each pattern must compile on its own and as part of the combined patterns (wrapped in (?:…),
-- where an embedded option such as (?i) is not allowed: such a rule needs a detect). A validated
-- rule's matches are read whole, and so are the pairs a key rule finds (a capturing group would
-- make the regex engine split every match into its groups, which costs several times the search),
-- so neither pattern has a capturing group.
CREATE OR REPLACE FUNCTION app.tg_scrub_rule__check_pattern() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_groups integer;
BEGIN
  BEGIN
    PERFORM '' ~ NEW.pattern, '' ~ ('(?:' || coalesce(NEW.detect, NEW.pattern) || ')'),
            '' ~ CASE WHEN NEW.kind = 'key' THEN '(?:' || NEW.pattern || ')' ELSE '' END;
    IF NEW.validator IS NOT NULL OR NEW.kind = 'key' THEN  -- (a pattern made an optional group matches the empty text: one element per group)
      v_groups := cardinality(regexp_match('', '(' || regexp_replace(NEW.pattern, '^\(\?[a-z]+\)', '') || ')?')) - 1;
    END IF;
  EXCEPTION WHEN invalid_regular_expression THEN
    RAISE EXCEPTION 'invalid scrub rule pattern' USING ERRCODE = 'QV001',
      DETAIL = format('pattern %s, detect %s: %s', NEW.pattern, NEW.detect, SQLERRM),
      HINT = 'Write PostgreSQL regular expressions (ARE syntax); a pattern with an embedded option like (?i) needs a detect.';
  END;
  IF v_groups > 0 THEN
    RAISE EXCEPTION 'a % scrub rule pattern has a capturing group', CASE WHEN NEW.kind = 'key' THEN 'key' ELSE 'validated' END
      USING ERRCODE = 'QV001', DETAIL = format('pattern %s', NEW.pattern),
      HINT = 'Write its groups as (?:…): a validator reads each match whole, and pairs are found whole.';
  END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION app.tg_scrub_rule__check_pattern() IS
  'Reject a scrub rule whose pattern or detect does not compile (alone and combined), or a key or validated pattern with capturing groups';

CREATE OR REPLACE TRIGGER _100_check_pattern BEFORE INSERT OR UPDATE OF pattern, detect, validator ON app.scrub_rule
  FOR EACH ROW EXECUTE FUNCTION app.tg_scrub_rule__check_pattern();
