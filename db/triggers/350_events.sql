-- Folding captured events into their groups. One statement-level trigger per INSERT into
-- app.error_events: it aggregates the new rows per (organization, error_hash) and touches each
-- group row once, however many events of it the statement carried (a flood of one error is one
-- row update per batch, not a lock convoy). Row locks are taken in key order, groups then
-- metrics rows, by one upsert each, so concurrent batches never deadlock.
-- What happened to each group is left in the transaction setting pgwarden.capture_outcomes
-- for app.capture_batch to answer with. Alert rules are evaluated here too, in the capturing
-- transaction (step 5).
-- Why not an explicit fold returning them: a plain INSERT must fold too, so this trigger also
-- fires on capture_batch's INSERT, and skipping rows folded already needs a mark on every event
-- (a copy of the group key, kept in step by merges) or a session signal; and the skipped call
-- alone costs a single capture what dropping the setting saves it (10-15 µs against ~10 µs; issue 20).

-- The live feed: new, regressed, and groups active again this minute (at most one message per
-- group per minute, so NOTIFY's commit-time lock stays rare); 100 ids per message. Ignored
-- groups never appear.
CREATE OR REPLACE FUNCTION app._errors_live_notify(p_outcomes jsonb, p_woke jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('errors:live', jsonb_build_object('ids', jsonb_agg(w.id ORDER BY w.id))::text)
     FROM (SELECT o.id, (row_number() OVER (ORDER BY o.id) - 1) / 100 AS chunk
             FROM jsonb_to_recordset(p_outcomes) AS o (id uuid, organization_id uuid, error_hash text, status text,
                                                       is_new boolean, is_regression boolean)
             LEFT JOIN jsonb_to_recordset(p_woke) AS k (organization_id uuid, error_hash text)
               ON k.organization_id = o.organization_id AND k.error_hash = o.error_hash
            WHERE o.status <> 'ignored' AND (o.is_new OR o.is_regression OR k.error_hash IS NOT NULL)) AS w
    GROUP BY w.chunk;
END $$;
COMMENT ON FUNCTION app._errors_live_notify(jsonb, jsonb) IS 'NOTIFY errors:live with the ids of groups worth a look, batched';

-- A group's status once an event seen at p_seen_at is counted: a resolved group seen again at
-- or after its resolution is recurring (Sentry's regression); any other status stays. A group
-- resolved in the next release (p_resolved_in_release) stays resolved here: only an event of a
-- newer release regresses it (app.error_groups_release_regress, step 1 below).
DROP FUNCTION IF EXISTS app.error_status_on_event(app.error_status_enum, timestamptz, timestamptz);  -- (before the release)
CREATE OR REPLACE FUNCTION app.error_status_on_event(p_status app.error_status_enum, p_resolved_at timestamptz,
                                                     p_seen_at timestamptz, p_resolved_in_release text)
RETURNS app.error_status_enum
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_status = 'resolved' AND p_resolved_in_release IS NULL
                   AND p_seen_at >= coalesce(p_resolved_at, '-infinity') THEN 'recurring'
              ELSE p_status END
$$;
COMMENT ON FUNCTION app.error_status_on_event(app.error_status_enum, timestamptz, timestamptz, text) IS
  'The status of a group after an event seen at p_seen_at: resolved becomes recurring (unless resolved in the next release), others stay';

CREATE OR REPLACE FUNCTION app.tg_error_events__aggregate() RETURNS trigger
LANGUAGE plpgsql AS $$
-- @plpgsql_check_options: newtable = new_events
DECLARE
  v_setting text;
  v_outcomes jsonb;  -- one object per group: what this statement did to it
  v_woke jsonb;      -- {organization_id, error_hash} of groups first seen in their current minute
BEGIN
  -- 1. one upsert per group, in key order (the only order any capture takes these locks in).
  --    A new group is represented by its earliest event. A resolved group with an event at or
  --    after its resolution becomes recurring (Sentry's regression); it keeps resolved_at until
  --    step 3, which is how RETURNING tells a regression from a group that was recurring already.
  WITH first_event AS (  -- (one sort: a window over it, not an aggregate joined back, ~50 µs less an event)
    SELECT DISTINCT ON (e.organization_id, e.error_hash) e.*,
           count(*) OVER w AS events, min(e.occurred_at) OVER w AS first_seen,
           max(e.occurred_at) OVER w AS last_seen, max(e.severity) OVER w AS group_severity
      FROM new_events e
    WINDOW w AS (PARTITION BY e.organization_id, e.error_hash)
     ORDER BY e.organization_id, e.error_hash, e.occurred_at, e.received_at
  ), counted AS (
    INSERT INTO app.system_errors AS s (
      error_hash, error_type, severity, message, stack_trace, component, file_path, line_number, column_number,
      url, user_agent, browser, os, device_type, user_id, organization_id, metadata, request_id, session_id,
      status, occurrence_count, first_seen_at, last_seen_at)
    SELECT f.error_hash, f.error_type, f.group_severity, f.message, f.stack_trace, f.component, f.file_path, f.line_number,
           f.column_number, f.url, f.user_agent, f.browser, f.os, f.device_type,
           -- the spec's user_id references app.users: only a known user of this organization fits
           (SELECT u.id FROM app.users u
             WHERE f.user_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
               AND u.id = f.user_id::uuid AND u.organization_id = f.organization_id),
           f.organization_id, f.metadata, f.request_id, f.session_id,
           'new', f.events, f.first_seen, f.last_seen
      FROM first_event f
     ORDER BY f.organization_id, f.error_hash
    ON CONFLICT (organization_id, error_hash) DO UPDATE
       SET occurrence_count = s.occurrence_count + excluded.occurrence_count,
           first_seen_at = least(s.first_seen_at, excluded.first_seen_at),
           last_seen_at = greatest(s.last_seen_at, excluded.last_seen_at),
           severity = greatest(s.severity, excluded.severity),
           status = app.error_status_on_event(s.status, s.resolved_at, excluded.last_seen_at, s.resolved_in_release),
           updated_at = now()
    RETURNING s.organization_id, s.error_hash, s.id, s.occurrence_count, s.status, s.severity,
              (s.xmax = 0) AS is_new, (s.status = 'recurring' AND s.resolved_at IS NOT NULL) AS is_regression,
              (s.status = 'resolved' AND s.resolved_in_release IS NOT NULL) AS release_pending)
  SELECT coalesce(jsonb_agg(to_jsonb(c)), '[]') INTO v_outcomes FROM counted c;

  -- 1a. where each group was seen: (project, environment, release) combinations new to it, and
  --     releases new to the organization (from those: a release new to the organization is new
  --     to its group too). ON CONFLICT DO NOTHING: a known combination is one index probe, no lock.
  WITH fresh AS (
    INSERT INTO app.error_group_releases AS g (organization_id, error_hash, project_id, environment, release, first_seen_at)
    SELECT e.organization_id, e.error_hash, e.project_id, e.environment, e.release, min(e.occurred_at)
      FROM new_events e
     GROUP BY e.organization_id, e.error_hash, e.project_id, e.environment, e.release
     ORDER BY e.organization_id, e.error_hash, e.project_id, e.environment, e.release
    ON CONFLICT DO NOTHING
    RETURNING g.organization_id, g.release, g.first_seen_at)
  INSERT INTO app.releases AS r (organization_id, version, first_seen_at)
  SELECT f.organization_id, f.release, min(f.first_seen_at) FROM fresh f WHERE f.release IS NOT NULL
   GROUP BY f.organization_id, f.release ORDER BY f.organization_id, f.release
  ON CONFLICT DO NOTHING;

  -- 1b. groups resolved in the next release (rare): an event of a newer release regresses them
  IF v_outcomes @? '$[*] ? (@.release_pending == true)' THEN
    v_outcomes := app.error_groups_release_regress(v_outcomes,
      (SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_object('organization_id', e.organization_id, 'error_hash', e.error_hash,
                                                             'release', e.release)), '[]')
         FROM new_events e WHERE e.release IS NOT NULL));
  END IF;

  -- 2. per-minute metrics, one row per organization, minute and group (key order again)
  WITH bumped AS (
    INSERT INTO app.error_metrics AS m (organization_id, bucket, error_hash, event_count)
    SELECT e.organization_id, date_trunc('minute', e.received_at), e.error_hash, count(*)::integer
      FROM new_events e
     GROUP BY e.organization_id, date_trunc('minute', e.received_at), e.error_hash
     ORDER BY e.organization_id, date_trunc('minute', e.received_at), e.error_hash
    ON CONFLICT (organization_id, bucket, error_hash) DO UPDATE SET event_count = m.event_count + excluded.event_count
    RETURNING m.organization_id, m.error_hash, (m.xmax = 0) AS first_in_minute)
  SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_object('organization_id', b.organization_id, 'error_hash', b.error_hash)),
                  '[]')
    INTO v_woke FROM bumped b WHERE b.first_in_minute;

  -- 3. new and regressed groups (rare): finish the regression, keep the audit trail, write the
  --    related-errors documents of new groups, enqueue the jobs the policy asks for (ignored
  --    groups are never new or regressed: no jobs); ai.analyze jobs carry what the AI feature
  --    decides (provider, budget, prompt): db/functions/app/465_ai_runs.sql
  IF v_outcomes @? '$[*] ? (@.is_new == true || @.is_regression == true)' THEN
    UPDATE app.system_errors s SET resolved_at = NULL, resolved_by = NULL, resolved_in_release = NULL
      FROM jsonb_to_recordset(v_outcomes) AS o (id uuid, is_regression boolean)
     WHERE s.id = o.id AND o.is_regression;
    -- the deploy shortly before (db/functions/app/378_suspect_releases.sql), before the alert rules read it
    PERFORM app.error_groups_suspect_releases(v_outcomes);
    INSERT INTO app.error_status_history (error_id, organization_id, from_status, to_status, note)
    SELECT o.id, o.organization_id, 'resolved', 'recurring', 'seen again after resolution'
      FROM jsonb_to_recordset(v_outcomes) AS o (id uuid, organization_id uuid, is_regression boolean)
     WHERE o.is_regression;

    PERFORM app.job_enqueue(
              p.job_kind,
              jsonb_build_object('error_id', o.id, 'organization_id', o.organization_id, 'error_hash', o.error_hash,
                                 'transition', t.transition, 'severity', o.severity),
              -- one job per group and transition; each regression is its own transition
              concat_ws(':', 'error', o.id, t.transition, CASE WHEN o.is_regression THEN o.occurrence_count END))
       FROM jsonb_to_recordset(v_outcomes) AS o (id uuid, organization_id uuid, error_hash text, severity app.severity_enum,
                                                 occurrence_count integer, is_new boolean, is_regression boolean)
      CROSS JOIN LATERAL (SELECT CASE WHEN o.is_new THEN 'new' WHEN o.is_regression THEN 'regression' END AS transition) t
       JOIN app.capture_job_policy p ON p.transition = t.transition AND p.enabled AND o.severity >= p.min_severity
                                    AND p.job_kind <> 'ai.analyze'
      ORDER BY o.organization_id, o.error_hash, p.job_kind;
    PERFORM app.error_similarity_add(v_outcomes);
    PERFORM app.error_messages_add(ARRAY(SELECT o.id FROM jsonb_to_recordset(v_outcomes) AS o (id uuid, is_new boolean)
                                          WHERE o.is_new));
    PERFORM app.ai_on_error_groups(v_outcomes);

    PERFORM app._errors_live_notify(v_outcomes, v_woke);
  ELSIF jsonb_array_length(v_woke) > 0 THEN
    -- 4. the live feed
    PERFORM app._errors_live_notify(v_outcomes, v_woke);
  END IF;

  -- 5. critical_error alert rules, for the same groups as the live feed (so a flood of one error
  --    is evaluated once a minute, not per event): db/functions/app/720_alerts_evaluate.sql
  IF jsonb_array_length(v_woke) > 0 OR v_outcomes @? '$[*] ? (@.is_new == true || @.is_regression == true)' THEN
    PERFORM app.alert_on_error_groups(v_outcomes, v_woke);
  END IF;

  v_setting := set_config('pgwarden.capture_outcomes', v_outcomes::text, true);  -- (PERFORM would run a query)
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.tg_error_events__aggregate() IS
  'Statement trigger: count new events into their groups and per-minute metrics, enqueue analysis, notify the live feed';

CREATE OR REPLACE TRIGGER _500_aggregate_groups AFTER INSERT ON app.error_events
  REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION app.tg_error_events__aggregate();
