-- Reports are scrubbed before they are stored, whichever way they came in (the widget, a token,
-- Sentry feedback) or were edited: free text with the ingest's rules (app.scrub_text), the page
-- URL as capture scrubs URLs, browser_info as JSON. The reporter's e-mail and name are kept as
-- typed, so a reply is possible.

-- (as the owner: org owners writing resolution notes hold no rights on the scrubbing rules)
CREATE OR REPLACE FUNCTION app.tg_user_error_reports__scrub() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, app, public AS $$
BEGIN
  NEW.title := app.scrub_text(NEW.title);
  NEW.description := app.scrub_text(NEW.description);
  NEW.steps_to_reproduce := app.scrub_text(NEW.steps_to_reproduce);
  NEW.expected_behavior := app.scrub_text(NEW.expected_behavior);
  NEW.actual_behavior := app.scrub_text(NEW.actual_behavior);
  NEW.resolution_notes := app.scrub_text(NEW.resolution_notes);
  NEW.url := app.scrub_url(NEW.url);
  NEW.browser_info := app.scrub_jsonb(NEW.browser_info);
  IF NEW.screenshot_urls IS NOT NULL THEN
    NEW.screenshot_urls := ARRAY(SELECT app.scrub_url(s.u) FROM unnest(NEW.screenshot_urls) WITH ORDINALITY AS s (u, n) ORDER BY s.n);
  END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION app.tg_user_error_reports__scrub() IS
  'Scrub a report''s free text, URLs and browser_info with the ingest''s rules before it is stored';

CREATE OR REPLACE TRIGGER _100_scrub
  BEFORE INSERT OR UPDATE OF title, description, steps_to_reproduce, expected_behavior, actual_behavior,
    resolution_notes, url, browser_info, screenshot_urls
  ON app.user_error_reports FOR EACH ROW EXECUTE FUNCTION app.tg_user_error_reports__scrub();
