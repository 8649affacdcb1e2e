-- Personal data policy (db/schema/315_personal_data.sql): read by staff, org owners and system
-- admins (row-level security: their organization, or all), changed by org owners (their own) and
-- system admins. The hash key is in neither.

CREATE VIEW api.personal_data_policies WITH (security_invoker = true) AS
  SELECT p.organization_id, p.email, p.ip_address, p.user_id, p.updated_at, p.updated_by
    FROM app.personal_data_policy p;
COMMENT ON VIEW api.personal_data_policies IS $$What capture keeps of personal data in error reports

Per organization, for e-mail addresses, IP addresses (v4 and v6) and user ids found anywhere in captured
errors (message, stack trace, URL, user_id, metadata at any depth: breadcrumbs, tags, contexts, request
headers such as X-Forwarded-For, user.email, user.ip_address): keep (stored as sent), hash (the default:
a token such as [email:1a2b3c4d5e6f], the same for the same value within the organization, so users
affected still counts distinct users) or drop ([email], [ip]; a user id becomes null). Change it with
/rpc/set_personal_data_policy. Contact details a person types into a report are kept.$$;
COMMENT ON COLUMN api.personal_data_policies.email IS 'keep, hash or drop for e-mail addresses';
COMMENT ON COLUMN api.personal_data_policies.ip_address IS 'keep, hash or drop for IPv4 and IPv6 addresses';
COMMENT ON COLUMN api.personal_data_policies.user_id IS 'keep, hash or drop for user ids (one that is an e-mail or IP address follows that kind)';
GRANT SELECT ON api.personal_data_policies TO staff, org_owner, system_admin;

-- ids as text, read by app.uuid_of: typed, PostgREST's cast would answer 22P02/22007 before the body runs
CREATE FUNCTION api.set_personal_data_policy(email text DEFAULT NULL, ip_address text DEFAULT NULL,
                                             user_id text DEFAULT NULL, organization_id text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.personal_data_policy_set(app.uuid_of(set_personal_data_policy.organization_id, 'organization_id'), set_personal_data_policy.email,
                                      set_personal_data_policy.ip_address, set_personal_data_policy.user_id);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
END $$;
COMMENT ON FUNCTION api.set_personal_data_policy(text, text, text, text) IS $$Set what capture keeps of personal data (org owners, system admins)

Each of email, ip_address and user_id is keep, hash or drop; one left out stays as it is. Org owners
change their own organization (organization_id defaults to it); system admins name one. Applies to errors
captured from now on. Returns the policy. 400 (QV001) for another value, 404 for an organization you
cannot see.

Parameters:
- email: what to keep of e-mail addresses: keep, hash or drop (text; omitted = unchanged)
- ip_address: same choice for IP addresses (text)
- user_id: same choice for user ids (text)
- organization_id: the organization (UUID; omitted = your own)

Errors: QV001 400 (organization_id not a UUID, named in details), QV001 400 (unknown choice), QN001 404 (organization not found).

Example: curl -X POST "$API/rpc/set_personal_data_policy" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"email": "hash", "ip_address": "drop"}'$$;
GRANT EXECUTE ON FUNCTION api.set_personal_data_policy(text, text, text, text) TO org_owner, system_admin;
