-- Rate limits (tables in db/schema/305_rate_limits.sql). Unlimited organizations touch no
-- counter at all, so their captures never queue behind one another on a counter row.

CREATE OR REPLACE FUNCTION app.rate_limit_per_minute(p_organization_id uuid) RETURNS integer
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN coalesce((SELECT o.per_minute FROM app.organization_rate_limits o WHERE o.organization_id = p_organization_id),
                  (SELECT s.default_per_minute FROM app.rate_limit_setting s));
END $$;
COMMENT ON FUNCTION app.rate_limit_per_minute(uuid) IS 'The organization''s limit in events per minute (its override, else the default); 0 = unlimited';
GRANT EXECUTE ON FUNCTION app.rate_limit_per_minute(uuid) TO staff, org_owner, system_admin;

-- Take up to p_requested events from this minute's budget. Every refused event is counted.
CREATE OR REPLACE FUNCTION app.rate_limit_take(
  p_organization_id uuid, p_requested integer, p_at timestamptz DEFAULT now(),
  OUT accepted integer, OUT retry_after_seconds integer, OUT per_minute integer)
LANGUAGE plpgsql AS $$
DECLARE
  v_minute timestamptz := date_trunc('minute', p_at);
  v_used integer;
  v_taken integer;
BEGIN
  per_minute := app.rate_limit_per_minute(p_organization_id);
  IF per_minute = 0 OR coalesce(p_requested, 0) <= 0 THEN
    accepted := greatest(coalesce(p_requested, 0), 0);
    RETURN;
  END IF;
  INSERT INTO app.rate_limit_usage (organization_id, minute) VALUES (p_organization_id, v_minute)
  ON CONFLICT DO NOTHING;
  -- concurrent captures of one organization take turns here until they commit
  SELECT u.accepted INTO v_used FROM app.rate_limit_usage u
   WHERE u.organization_id = p_organization_id AND u.minute = v_minute FOR UPDATE;
  v_taken := least(p_requested, greatest(per_minute - v_used, 0));
  UPDATE app.rate_limit_usage u SET accepted = u.accepted + v_taken, refused = u.refused + (p_requested - v_taken)
   WHERE u.organization_id = p_organization_id AND u.minute = v_minute;
  accepted := v_taken;
  IF v_taken < p_requested THEN
    retry_after_seconds := greatest(1, ceil(extract(epoch FROM v_minute + interval '1 minute' - p_at))::integer);
  END IF;
END $$;
COMMENT ON FUNCTION app.rate_limit_take(uuid, integer, timestamptz) IS
  'Accept up to p_requested events within the organization''s per-minute limit; counts accepted and refused';

CREATE OR REPLACE FUNCTION app.rate_limit_set(p_organization_id uuid, p_per_minute integer) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
  IF p_per_minute IS NULL OR p_per_minute < 0 THEN
    RAISE EXCEPTION 'per-minute limit must be 0 or more' USING ERRCODE = 'QV001',
      DETAIL = format('Field: per_minute, value %s.', p_per_minute), HINT = 'Use 0 to lift the limit.';
  END IF;
  IF NOT EXISTS (SELECT FROM app.organizations o WHERE o.id = p_organization_id) THEN
    RAISE EXCEPTION 'organization % not found', p_organization_id USING ERRCODE = 'QN001',
      DETAIL = 'Field: organization_id.', HINT = 'Use the id of an existing organization.';
  END IF;
  INSERT INTO app.organization_rate_limits AS o (organization_id, per_minute) VALUES (p_organization_id, p_per_minute)
  ON CONFLICT (organization_id) DO UPDATE SET per_minute = excluded.per_minute, updated_at = now();
  RETURN p_per_minute;
END $$;
COMMENT ON FUNCTION app.rate_limit_set(uuid, integer) IS 'Set an organization''s events-per-minute limit (0 lifts it)';
GRANT EXECUTE ON FUNCTION app.rate_limit_set(uuid, integer) TO system_admin;
