-- Reports are cleaned before they are stored, whichever way they came in (the widget, a token,
-- Sentry feedback) or were edited, as capture cleans an event (app.report_stored_text, _json):
-- secrets scrubbed with the ingest's rules, then e-mail and IP addresses kept, hashed or dropped by
-- the organization's personal-data policy. The reporter's e-mail and name are kept as typed: they
-- gave them to be answered. Screenshot URLs (addresses of images, not of a person) are scrubbed only.
-- An update cleans only the columns it changed.

-- (as the owner: org owners writing resolution notes hold no rights on the scrubbing rules or the policy's key)
CREATE OR REPLACE FUNCTION app.tg_user_error_reports__scrub() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, app, public AS $$
DECLARE
  v_policy app.personal_data_policy := app.report_policy(NEW.organization_id);
  v_insert boolean := TG_OP = 'INSERT';
BEGIN
  IF v_insert OR NEW.title IS DISTINCT FROM OLD.title THEN
    NEW.title := app.report_stored_text(v_policy, NEW.title, app.report_limit('title'));
  END IF;
  IF v_insert OR NEW.description IS DISTINCT FROM OLD.description THEN
    NEW.description := app.report_stored_text(v_policy, NEW.description);
  END IF;
  IF v_insert OR NEW.steps_to_reproduce IS DISTINCT FROM OLD.steps_to_reproduce THEN
    NEW.steps_to_reproduce := app.report_stored_text(v_policy, NEW.steps_to_reproduce);
  END IF;
  IF v_insert OR NEW.expected_behavior IS DISTINCT FROM OLD.expected_behavior THEN
    NEW.expected_behavior := app.report_stored_text(v_policy, NEW.expected_behavior);
  END IF;
  IF v_insert OR NEW.actual_behavior IS DISTINCT FROM OLD.actual_behavior THEN
    NEW.actual_behavior := app.report_stored_text(v_policy, NEW.actual_behavior);
  END IF;
  IF v_insert OR NEW.resolution_notes IS DISTINCT FROM OLD.resolution_notes THEN
    NEW.resolution_notes := app.report_stored_text(v_policy, NEW.resolution_notes);
  END IF;
  IF v_insert OR NEW.url IS DISTINCT FROM OLD.url THEN
    NEW.url := app.report_stored_text(v_policy, NEW.url, app.report_limit('url'), true);
  END IF;
  IF v_insert OR NEW.session_id IS DISTINCT FROM OLD.session_id THEN
    NEW.session_id := app.report_stored_text(v_policy, NEW.session_id, app.report_limit('session_id'));
  END IF;
  IF v_insert OR NEW.request_id IS DISTINCT FROM OLD.request_id THEN
    NEW.request_id := app.report_stored_text(v_policy, NEW.request_id, app.report_limit('request_id'));
  END IF;
  IF v_insert OR NEW.browser_info IS DISTINCT FROM OLD.browser_info THEN
    NEW.browser_info := app.report_stored_json(v_policy, NEW.browser_info);
  END IF;
  IF NEW.screenshot_urls IS NOT NULL AND (v_insert OR NEW.screenshot_urls IS DISTINCT FROM OLD.screenshot_urls) THEN
    NEW.screenshot_urls := ARRAY(SELECT app.scrub_url(s.u) FROM unnest(NEW.screenshot_urls) WITH ORDINALITY AS s (u, n) ORDER BY s.n);
  END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION app.tg_user_error_reports__scrub() IS
  'Clean a report before it is stored: secrets scrubbed with the ingest''s rules, personal data by its organization''s policy';

CREATE OR REPLACE TRIGGER _100_scrub
  BEFORE INSERT OR UPDATE OF title, description, steps_to_reproduce, expected_behavior, actual_behavior,
    resolution_notes, url, session_id, request_id, browser_info, screenshot_urls
  ON app.user_error_reports FOR EACH ROW EXECUTE FUNCTION app.tg_user_error_reports__scrub();
