CREATE FUNCTION api.whoami() RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object(
    'role', current_user,
    'organization_id', app.current_org_id(),
    'user_id', app.current_user_id(),
    'expires_at', to_timestamp(app.jwt_claim('exp')::bigint))
$$;
COMMENT ON FUNCTION api.whoami() IS $$Who the API thinks you are

Your database role, organization and user, as read from your JWT (anon without one).

Errors: none of its own; a malformed or expired token is refused with 401 by PostgREST before the call.

Example: curl "$API/rpc/whoami" -H "Authorization: Bearer $TOKEN"$$;
GRANT EXECUTE ON FUNCTION api.whoami() TO anon, staff, org_owner, system_admin;
