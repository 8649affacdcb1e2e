-- Listing and filtering errors. PostgREST filters do the rest: ?status=eq.new&severity=eq.critical
-- &error_type=eq.api&organization_id=eq.<id>&last_seen_at=gte.<time>&message=ilike.*timeout*
-- (a filter on the organization's groups), or /rpc/search_errors, which the trigram index of
-- app.error_messages serves, for similarity ranking. Pages in a
-- fixed order, fast at any size: /rpc/list_errors (db/functions/api/365_error_lists.sql).

CREATE VIEW api.error_groups WITH (security_invoker = true) AS
  SELECT s.id, s.organization_id, s.error_hash, s.error_type, s.severity, s.status, s.message, s.component,
         s.file_path, s.url, s.occurrence_count, s.first_seen_at, s.last_seen_at, s.resolved_at, s.resolved_by,
         s.ai_suggestion, s.ai_analyzed_at, s.assigned_to,
         u.users_affected, s.resolved_in_release, s.suspect_release
    FROM app.system_errors s
   CROSS JOIN LATERAL app.error_group_users_count(s.organization_id, s.error_hash) AS u;
COMMENT ON VIEW api.error_groups IS $$Error groups for listing and filtering

One row per distinct error with its counts and status; users_affected counts the distinct user_id
values of its events. Filter with status, severity, error_type, organization_id, last_seen_at and
message=ilike.*text* (a filter on each row; /rpc/search_errors uses the message index). Org owners and staff see their organization's errors; system admins see all.
resolved_in_release: resolved in the release after this one (only a newer release's event reopens
it); suspect_release: the deploy shortly before it appeared or regressed, with events per minute
before and after (api.record_deploy).
Pages at any size, each read from an index led by the organization: order=last_seen_at.desc,id.desc
(newest), order=occurrence_count.desc,id.desc (most events) or order=first_seen_at.desc,id.desc, with
any of the status, severity and error_type filters; the next page starts after the last row
(keyset pagination, docs/cli-and-api.md), or use /rpc/list_errors.$$;
GRANT SELECT ON api.error_groups TO staff, org_owner, system_admin;

CREATE VIEW api.error_events WITH (security_invoker = true) AS
  SELECT e.event_id, e.organization_id, e.error_hash, e.project_id, e.received_at, e.occurred_at, e.error_type,
         e.severity, e.message, e.message_template, e.stack_trace, e.frames, e.fingerprint, e.component,
         e.file_path, e.line_number, e.column_number, e.url, e.user_agent, e.browser, e.os, e.device_type,
         e.user_id, e.metadata, e.request_id, e.session_id, e.environment, e.release
    FROM app.error_events e;
COMMENT ON VIEW api.error_events IS $$Each captured occurrence (scrubbed)

Filter by organization_id and error_hash for one group's events, by received_at for a time window.$$;
GRANT SELECT ON api.error_events TO staff, org_owner, system_admin;

CREATE VIEW api.error_metrics WITH (security_invoker = true) AS
  SELECT m.organization_id, m.bucket, m.error_hash, m.event_count FROM app.error_metrics m;
COMMENT ON VIEW api.error_metrics IS 'Accepted events per organization, minute and error group';
GRANT SELECT ON api.error_metrics TO staff, org_owner, system_admin;

-- PL/pgSQL (at most 200 rows) so a search cut by the role's statement_timeout answers 429, not 500.
CREATE FUNCTION api.search_errors(query text, max_results integer DEFAULT 20) RETURNS SETOF api.error_groups
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN QUERY
  SELECT g.* FROM api.error_groups g
   WHERE g.id IN (SELECT m.error_id FROM app.error_messages m  -- (its trigram index)
                   WHERE m.message % search_errors.query OR m.message ILIKE '%' || search_errors.query || '%')
   ORDER BY similarity(g.message, search_errors.query) DESC, g.last_seen_at DESC
   LIMIT least(greatest(coalesce(search_errors.max_results, 20), 1), 200);
EXCEPTION WHEN query_canceled THEN
  PERFORM app.raise_statement_timeout();
END $$;
COMMENT ON FUNCTION api.search_errors(text, integer) IS $$Search error groups by message text

Trigram similarity (pg_trgm) or substring match, best matches first; at most max_results (200).

Parameters:
- query: text to find in error messages (text; trigram similarity or substring)
- max_results: how many groups at most (integer, default 20, kept within 1 to 200)

Errors: QA042 401 (no token), QR002 429 (the search ran past its time budget).

Example: curl -X POST "$API/rpc/search_errors" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"query": "timeout", "max_results": 10}'$$;
GRANT EXECUTE ON FUNCTION api.search_errors(text, integer) TO staff, org_owner, system_admin;
