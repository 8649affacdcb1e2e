-- Enrichment: browser, os and device type of an error from its user agent (app.user_agent_rule).

-- One query over the rule table: a rule's needle (a plain strpos on the lowercased agent) decides
-- whether its regex is tried at all, and most rules need no regex: an agent costs a handful of
-- regex runs, not one per rule, and the few hot patterns stay in the backend's regex cache.
CREATE OR REPLACE FUNCTION app.parse_user_agent(p_user_agent text, OUT browser text, OUT os text, OUT device_type text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_agent text := left(btrim(p_user_agent), 1000);  -- real agents are < 500 characters
  v_lower text := lower(v_agent);
BEGIN
  IF v_agent IS NULL OR v_agent = '' THEN
    RETURN;
  END IF;
  SELECT max(label) FILTER (WHERE kind = 'browser'), max(label) FILTER (WHERE kind = 'os'),
         max(label) FILTER (WHERE kind = 'device')
    INTO browser, os, device_type
    FROM (SELECT kind, CASE WHEN version_group IS NULL THEN name  -- the version of the winners only
                            ELSE concat_ws(' ', name, replace(regexp_substr(v_agent, pattern, 1, 1, '', version_group), '_', '.'))
                       END AS label
            FROM (SELECT DISTINCT ON (kind) kind, name, pattern, version_group
                    FROM app.user_agent_rule
                   WHERE enabled  -- CASE fixes the order: the needle first, the regex only when it occurs
                     AND CASE WHEN needle IS NOT NULL AND strpos(v_lower, needle) = 0 THEN false
                              WHEN pattern IS NULL THEN true
                              ELSE v_agent ~ pattern END
                   ORDER BY kind, priority) AS winner) AS labelled;
END $$;
COMMENT ON FUNCTION app.parse_user_agent(text) IS
'Browser ("Chrome 131", "Mobile Safari 17"), os ("Windows 10", "macOS 10.15", "iOS 17.1", "Android 14")
and device type (desktop, mobile, tablet, bot) of a User-Agent header: per kind, the first enabled
app.user_agent_rule by priority whose needle occurs and whose pattern matches; NULL where none does';
