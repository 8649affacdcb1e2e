-- Every organization has a personal-data policy row from its first moment (the defaults: hash, with
-- a fresh key), so capture never meets an organization without one.

CREATE OR REPLACE FUNCTION app.tg_organizations__personal_data_policy() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, app, public AS $$
BEGIN
  INSERT INTO app.personal_data_policy (organization_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.tg_organizations__personal_data_policy() IS
  'Create a new organization''s personal-data policy with the defaults (hash) and its own hash key';

CREATE OR REPLACE TRIGGER _500_personal_data_policy AFTER INSERT ON app.organizations
  FOR EACH ROW EXECUTE FUNCTION app.tg_organizations__personal_data_policy();
